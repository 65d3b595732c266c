import type { CallOptions, ClientCall, ClientTransport, MethodKind } from '../call/call.js';
import { type DrpcCallHost, DrpcClientCall } from '../protocol/drpc/client-call.js';
import { DrpcClientSession } from '../protocol/drpc/client-session.js';
import { type DrpcSessionOptions, type ResolvedDrpcOptions, resolveDrpcOptions } from '../protocol/drpc/options.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { status } from '../status/status.js';
import type { Conn } from '../transport/conn.js';
import { DEFAULT_CLOSE_GRACE_MS, checkCloseGrace, destroyAfterGrace } from '../transport/close-grace.js';
import { LongTimer } from '../call/long-timer.js';

/** DEFAULT_MAX_CONNECTIONS is the pool's default connection cap: enough for heavy fan-out, well under common descriptor limits. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** DEFAULT_IDLE_TIMEOUT_MS is how long an idle pooled connection is kept by default (30 s). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** DrpcPoolOptions configure a DrpcPool. */
export interface DrpcPoolOptions {
  /** maxConnections caps the open (and dialling) connections (default 256); calls beyond wait in a FIFO queue. */
  maxConnections?: number;
  /** idleTimeoutMs closes a connection idle this long (default 30 s; 0 closes it as soon as it is idle; Infinity keeps it). */
  idleTimeoutMs?: number;
  /** closeGraceMs is how long a closed connection lets the peer end its side before it is destroyed (default 1000; Infinity: wait for the peer). */
  closeGraceMs?: number;
  /** session holds the options of each connection's session. */
  session?: DrpcSessionOptions;
}

/**
 * DrpcPool is a ClientTransport for upstream drpc peers, which run one
 * stream per connection: each concurrent call gets its own connection, and a
 * connection is reused only after its stream finished on the wire (soft
 * cancels included). Idle connections are reused most-recently-used first,
 * so surplus ones age out after `idleTimeoutMs`. When `maxConnections` are
 * busy, calls wait in FIFO order. A failed dial fails one waiting call with
 * UNAVAILABLE. close() fails waiting and running calls with UNAVAILABLE.
 */
export class DrpcPool implements ClientTransport, DrpcCallHost {
  private readonly sessions = new Set<DrpcClientSession>();
  private readonly idle: DrpcClientSession[] = [];
  private readonly timers = new Map<DrpcClientSession, LongTimer>();
  private readonly waiting: DrpcClientCall[] = [];
  private readonly closeCallbacks: Array<(error?: Error) => void> = [];
  private readonly opts: ResolvedDrpcOptions;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly closeGraceMs: number;
  private dialing = 0;
  private isClosed = false;
  /** dials counts connections dialled (successfully or not). */
  dials = 0;

  /** constructor takes the dial function; nothing is dialled before the first call. Throws RangeError on bad options. */
  constructor(
    private readonly dial: () => Promise<Conn>,
    options: DrpcPoolOptions = {},
  ) {
    this.opts = resolveDrpcOptions(options.session);
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    checkCloseGrace(this.closeGraceMs);
    if (!(Number.isSafeInteger(this.maxConnections) && this.maxConnections >= 1)) throw new RangeError('maxConnections must be a positive integer');
    if (!(this.idleTimeoutMs >= 0)) throw new RangeError('idleTimeoutMs must be >= 0');
  }

  /** maxPacketSize bounds outgoing messages (DrpcCallHost). */
  get maxPacketSize(): number {
    return this.opts.maxPacketSize;
  }

  /** maxQueuedMessages bounds unread messages per call (DrpcCallHost). */
  get maxQueuedMessages(): number {
    return this.opts.maxQueuedMessages;
  }

  /** maxQueuedBytes bounds unread bytes per call (DrpcCallHost). */
  get maxQueuedBytes(): number {
    return this.opts.maxQueuedBytes;
  }

  /** closed is true once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** stats reports open, idle and dialling connections and waiting calls. */
  get stats(): { open: number; idle: number; dialing: number; waiting: number } {
    return { open: this.sessions.size, idle: this.idle.length, dialing: this.dialing, waiting: this.waiting.length };
  }

  /** createCall prepares a call; it gets a connection when started. */
  createCall(method: string, kind: MethodKind, options: CallOptions = {}): ClientCall {
    return new DrpcClientCall(this, method, kind, options);
  }

  /** adopt adds an already-open connection as an idle one (connectDrpc hands over its first dial). */
  adopt(conn: Conn): void {
    if (this.isClosed) return conn.destroy();
    this.addSession(conn);
  }

  /** acquire gives the call an idle connection, or queues it and dials if under the cap (DrpcCallHost). */
  acquire(call: DrpcClientCall): void {
    if (this.isClosed) return queueMicrotask(() => call.fail(status(Code.UNAVAILABLE, 'drpc: pool closed')));
    const s = this.idle.pop();
    if (s) {
      this.clearTimer(s);
      return s.attach(call);
    }
    this.waiting.push(call);
    this.maybeDial();
  }

  /** abandon removes a call that ended while waiting (DrpcCallHost). */
  abandon(call: DrpcClientCall): void {
    const i = this.waiting.indexOf(call);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** onClose registers a callback run once when the pool closes. */
  onClose(cb: (error?: Error) => void): void {
    if (this.isClosed) queueMicrotask(() => cb());
    else this.closeCallbacks.push(cb);
  }

  /** close closes every connection; waiting and running calls fail with UNAVAILABLE. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const s = status(Code.UNAVAILABLE, 'drpc: pool closed');
    for (const c of this.waiting.splice(0)) c.fail(s);
    for (const session of [...this.sessions]) session.close();
    for (const cb of this.closeCallbacks.splice(0)) cb();
  }

  private maybeDial(): void {
    while (this.waiting.length > this.dialing && this.sessions.size + this.dialing < this.maxConnections) {
      this.dialing++;
      this.dials++;
      this.dial().then(
        (conn) => {
          this.dialing--;
          if (this.isClosed) return conn.destroy();
          this.addSession(conn);
        },
        (err: unknown) => {
          this.dialing--;
          const e = RpcError.from(err, Code.UNAVAILABLE);
          this.waiting.shift()?.fail(status(Code.UNAVAILABLE, `drpc: dial failed: ${e.rawMessage}`));
        },
      );
    }
  }

  private addSession(conn: Conn): void {
    const session = new DrpcClientSession(conn, this.opts);
    this.sessions.add(session);
    session.onIdle = () => this.onIdle(session);
    session.onClose(() => {
      this.remove(session);
      destroyAfterGrace(conn, this.closeGraceMs);
    });
    this.onIdle(session);
  }

  private onIdle(session: DrpcClientSession): void {
    if (session.closed || this.isClosed) return;
    const call = this.waiting.shift();
    if (call) return session.attach(call);
    this.idle.push(session);
    this.timers.set(session, new LongTimer(() => session.close(), this.idleTimeoutMs, { unref: true }));
  }

  private remove(session: DrpcClientSession): void {
    this.sessions.delete(session);
    const i = this.idle.indexOf(session);
    if (i >= 0) this.idle.splice(i, 1);
    this.clearTimer(session);
    if (!this.isClosed) this.maybeDial();
  }

  private clearTimer(session: DrpcClientSession): void {
    const t = this.timers.get(session);
    t?.cancel();
    this.timers.delete(session);
  }
}
