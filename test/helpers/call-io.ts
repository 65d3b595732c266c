import type { CallBase, CallListener } from '../../src/call/call.js';
import type { Status } from '../../src/status/status.js';

/**
 * CallIO adapts one call's events to promises: `read()` pulls one message
 * (null at end of stream), `write()` resolves when the send was acknowledged,
 * `status` resolves with the final status, `onCancelled` fires on a server
 * call's cancellation. It is the small bridge that tests and benchmarks
 * use to drive calls at the call layer, below the reactors.
 */
export class CallIO implements CallListener {
  private readers: Array<(m: Uint8Array | null) => void> = [];
  private writers: Array<(ok: boolean) => void> = [];
  private ended = false;
  private resolveStatus!: (s: Status) => void;
  /** status resolves once with the call's final status. */
  readonly status: Promise<Status>;
  /** cancelled becomes true when the call was cancelled (server side). */
  cancelled = false;
  private readonly cancelWaiters: Array<() => void> = [];

  /** constructor starts the call with this object as its listener. */
  constructor(private readonly call: CallBase) {
    this.status = new Promise((r) => (this.resolveStatus = r));
    call.start(this);
  }

  /** read resolves with the next message, or null once the peer's stream ended. */
  read(): Promise<Uint8Array | null> {
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.readers.push(resolve);
      this.call.request(1);
    });
  }

  /** write sends a message and resolves with the acknowledgement (false: not sent). */
  write(message: Uint8Array, last = false): Promise<boolean> {
    return new Promise((resolve) => {
      this.writers.push(resolve);
      this.call.send(message, { last });
    });
  }

  /** whenCancelled resolves when the call is cancelled. */
  whenCancelled(): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((r) => this.cancelWaiters.push(r));
  }

  /** onMessage implements CallListener. */
  onMessage(message: Uint8Array | null): void {
    if (message === null) this.ended = true;
    this.readers.shift()?.(message);
    if (this.ended) for (const r of this.readers.splice(0)) r(null);
  }

  /** onWritable implements CallListener. */
  onWritable(ok: boolean): void {
    this.writers.shift()?.(ok);
  }

  /** onStatus implements CallListener. */
  onStatus(status: Status): void {
    for (const w of this.writers.splice(0)) w(false);
    this.resolveStatus(status);
  }

  /** onCancelled implements CallListener. */
  onCancelled(): void {
    this.cancelled = true;
    for (const r of this.readers.splice(0)) r(null);
    for (const w of this.cancelWaiters.splice(0)) w();
  }
}
