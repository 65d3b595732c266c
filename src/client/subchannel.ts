// Subchannel: the connection to one endpoint of a client, dialled again after
// a loss or a failed attempt, with exponential backoff between failures.
import type { ClientTransport } from '../call/call.js';
import { Backoff, type ResolvedBackoff } from './backoff.js';
import type { ConnectivityState } from './connectivity.js';
import { DrpcPool } from './drpc-pool.js';

/** DRAIN_CHECK_MS is how often a removed endpoint's connection is checked for open calls. */
const DRAIN_CHECK_MS = 50;

/** openCalls counts the calls open on a transport (ttrpc and multiplexed drpc sessions count streams; a pool its busy connections). */
function openCalls(t: ClientTransport): number {
  if (t instanceof DrpcPool) return t.stats.open - t.stats.idle + t.stats.waiting;
  const n = (t as { openStreams?: unknown }).openStreams;
  return typeof n === 'number' ? n : 0;
}

/** EndpointDialer opens one connection (a call-layer transport) to an address within timeoutMs. @internal */
export type EndpointDialer = (address: string, timeoutMs: number, signal: AbortSignal) => Promise<ClientTransport>;

/**
 * Subchannel holds at most one transport to one address. While active it
 * connects when idle, reconnects at once after a ready connection was lost,
 * and after a failed attempt waits a backoff delay (transient_failure) before
 * the next one. Every state change is reported to `changed`. Timers are
 * unref'd and cleared by deactivate() and shutdown(). @internal
 */
export class Subchannel {
  /** state is this endpoint's connectivity state. */
  state: ConnectivityState = 'idle';
  /** transport is the ready connection, if any. */
  transport: ClientTransport | undefined;
  /** lastError is the error of the last failed attempt or lost connection. */
  lastError: Error | undefined;
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private draining: NodeJS.Timeout | undefined;
  private dialing: AbortController | undefined;
  private readonly backoff: Backoff;

  /** constructor records the endpoint; nothing is dialled before activate(). */
  constructor(
    readonly address: string,
    private readonly dialer: EndpointDialer,
    private readonly options: ResolvedBackoff & { dialTimeoutMs: number | undefined },
    private readonly changed: (sub: Subchannel, failed: boolean) => void,
  ) {
    this.backoff = new Backoff(options);
  }

  /** ready tells whether a call can go on this endpoint now. */
  get ready(): boolean {
    return this.state === 'ready' && this.transport !== undefined && !this.transport.closed;
  }

  /** activate lets the subchannel connect (now, when idle) and keep reconnecting. */
  activate(): void {
    if (this.active || this.state === 'shutdown') return;
    this.active = true;
    if (this.state === 'idle') this.attempt();
  }

  /** deactivate stops reconnecting; a ready connection stays open. */
  deactivate(): void {
    this.active = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.set('idle');
    }
  }

  /** goIdle closes the connection without reconnecting (client idle timeout); activate() connects again. */
  goIdle(): void {
    this.deactivate();
    const t = this.transport;
    this.transport = undefined;
    if (this.state === 'ready') this.set('idle');
    t?.close();
  }

  /** drain stops reconnecting and closes the connection once no call is open on it (an endpoint no longer resolved). */
  drain(done: () => void): void {
    const t = this.transport;
    if (t === undefined || t.closed || openCalls(t) === 0) return (this.shutdown(), done());
    this.deactivate();
    this.draining = setInterval(() => {
      if (t.closed || openCalls(t) === 0) {
        this.shutdown();
        done();
      }
    }, DRAIN_CHECK_MS);
    this.draining.unref();
  }

  /** shutdown closes the connection and stops for good. */
  shutdown(): void {
    this.active = false;
    clearInterval(this.draining);
    this.dialing?.abort();
    this.dialing = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.transport;
    this.transport = undefined;
    this.state = 'shutdown';
    t?.close();
  }

  private attempt(): void {
    this.set('connecting');
    this.dial();
  }

  private dial(): void {
    const timeoutMs = this.options.dialTimeoutMs ?? this.options.minConnectTimeoutMs;
    const abort = new AbortController();
    this.dialing = abort;
    this.dialer(this.address, timeoutMs, abort.signal).then(
      (t) => {
        if (this.dialing === abort) this.dialing = undefined;
        if (this.state === 'shutdown') return t.close();
        this.transport = t;
        this.backoff.reset();
        t.onClose((error) => this.lost(t, error));
        if (!t.closed) this.set('ready');
      },
      (e: unknown) => {
        if (this.dialing === abort) this.dialing = undefined;
        if (this.state === 'shutdown') return;
        this.lastError = e instanceof Error ? e : new Error(String(e));
        this.set('transient_failure', true);
        if (!this.active) return this.set('idle');
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.active) this.attempt();
          else this.set('idle');
        }, this.backoff.next());
        this.timer.unref();
      },
    );
  }

  private lost(t: ClientTransport, error: Error | undefined): void {
    if (this.transport !== t) return;
    this.transport = undefined;
    this.lastError = error ?? new Error('connection closed');
    if (this.state === 'shutdown') return;
    if (!this.active) return this.set('idle', true);
    this.set('connecting', true);
    if (this.state === 'connecting') this.dial();
  }

  private set(state: ConnectivityState, failed = false): void {
    if (this.state === state || this.state === 'shutdown') return;
    this.state = state;
    this.changed(this, failed);
  }
}
