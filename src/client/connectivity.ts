// Connectivity state of a client, as gRPC names it, and its change listeners.

/** ConnectivityState is a client's (or one endpoint's) connection state, gRPC's names in lower case. */
export type ConnectivityState = 'idle' | 'connecting' | 'ready' | 'transient_failure' | 'shutdown';

/** StateListener receives each new state of a client. */
export type StateListener = (state: ConnectivityState) => void;

/** StateWatchers holds the current state and notifies listeners when it changes (a listener that throws is skipped, the others still run). */
export class StateWatchers {
  private readonly listeners = new Set<StateListener>();

  /** constructor sets the first state. */
  constructor(public state: ConnectivityState) {}

  /** set moves to a state and notifies when it differs; nothing leaves 'shutdown'. */
  set(next: ConnectivityState): void {
    if (next === this.state || this.state === 'shutdown') return;
    this.state = next;
    for (const l of [...this.listeners]) {
      try {
        l(next);
      } catch {
        // A listener's failure is its own; the state machine goes on.
      }
    }
    if (next === 'shutdown') this.listeners.clear();
  }

  /** add registers a listener and returns its unsubscribe function. */
  add(listener: StateListener): () => void {
    if (this.state === 'shutdown') return () => undefined;
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
