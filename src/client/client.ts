import type { CallOptions, ClientCall, ClientTransport, MethodKind } from '../call/call.js';
import { type ClientInterceptor, chainClient } from '../call/interceptors.js';
import type { MessageInterceptor } from '../call/message-interceptors.js';
import { InterceptedClientCall } from './intercepted-call.js';
import type { MethodDescriptor } from '../call/method.js';
import { bindClientReactor, isBound } from '../../reactors/client-bind.js';
import type { ClientCallEnd } from '../../reactors/client-binding.js';
import { ReactorMisuseError } from '../../reactors/misuse.js';
import type { ClientBidiReactor, ClientReadReactor, ClientUnaryReactor, ClientWriteReactor } from '../../reactors/client-reactors.js';
import { Metadata, type MetadataInit } from '../metadata/metadata.js';
import { defaultScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';
import { abortStatus } from '../status/abort-status.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import type { TlsOptions } from '../transport/tls-options.js';
import { connectDrpc, connectTtrpc } from './connect.js';
import type { DrpcPoolOptions } from './drpc-pool.js';
import type { DrpcSessionOptions } from '../protocol/drpc/options.js';
import { UnaryCallbackCall, type UnaryClientCall, UnaryPromiseCall } from './unary-call.js';
import { type IdleProbe, IdleTimer } from './idle-timer.js';
import { IterableBidiReactor, IterableReadReactor, PromiseWriteReactor, type UnaryCallback } from './promise-reactors.js';
import { CallFailure } from './call-failure.js';

// Shared by calls without deadline and metadata (call layers only read their options).
const NO_CALL_OPTIONS: CallOptions = Object.freeze({});

/** CallOptions are per-call client options. */
export interface ClientCallOptions {
  /** metadata is sent with the request. */
  metadata?: Metadata | MetadataInit;
  /** timeoutMs sets a deadline relative to now. */
  timeoutMs?: number;
  /** deadline sets an absolute deadline (ms since the epoch). */
  deadline?: number;
  /** signal cancels the call when aborted: the call ends DEADLINE_EXCEEDED when the reason is a timeout (`AbortSignal.timeout()`), CANCELLED otherwise, and its RpcError has the reason as `cause` (an already aborted signal fails the call before anything is sent). */
  signal?: AbortSignal;
}

/** ClientOptions configure a Client. */
export interface ClientOptions {
  /** scheduler runs every reaction (default: the process-wide scheduler). */
  scheduler?: Scheduler;
  /** ttrpc holds the ttrpc session options. */
  ttrpc?: TtrpcSessionOptions;
  /** dialTimeoutMs bounds connecting. */
  dialTimeoutMs?: number;
  /** protocol is what the server speaks: 'ttrpc' (default) or 'drpc'. */
  protocol?: 'ttrpc' | 'drpc';
  /** multiplex (drpc) runs every call on one multiplexed connection; only for servers that multiplex. */
  multiplex?: boolean;
  /** pool (upstream drpc; default true) spreads concurrent calls over pooled connections. */
  pool?: boolean | DrpcPoolOptions;
  /** drpc holds the drpc session options. */
  drpc?: DrpcSessionOptions;
  /** interceptors wrap every call at the byte level, first one outermost (see ClientInterceptor). */
  interceptors?: readonly ClientInterceptor[];
  /** messageInterceptors wrap every call at the message level, Connect style, first one outermost and outside the byte-level ones (see MessageInterceptor). */
  messageInterceptors?: readonly MessageInterceptor[];
  /** closeGraceMs is how long close() lets the server end its side of a connection before it is destroyed, so a hung server never keeps the process alive (default 1000; Infinity: wait for the server). */
  closeGraceMs?: number;
  /** keepAliveMs turns TCP keepalive on, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
  /** tls configures a tls:// target: trusted `ca`, `cert`/`key` for mutual TLS, `servername` (PEM or file paths; see TlsOptions). */
  tls?: TlsOptions;
  /**
   * idleTimeoutMs (default 0: off) closes an idle connection: once no call
   * was open for this long, a ttrpc, multiplexed drpc or `pool: false` client
   * closes its connection, so an idle process may exit. Such a client does
   * not dial again: later calls fail UNAVAILABLE with a message naming the
   * idle timeout (connect a new Client, or use ReconnectingUpstream). A drpc
   * pool takes it as its per-connection idle timeout instead (unless the pool
   * options set one) and dials again when calls come.
   */
  idleTimeoutMs?: number;
}

/** CloseCallback runs once when the client's connection closed (by close() or lost), after every open call reached onDone. */
export type CloseCallback = (error?: Error) => void | Promise<void>;

/**
 * Client makes calls on one connection: promises and async iterables, the
 * unary callback shortcut, and reactors for every call shape. Like a ttrpc
 * client, close() closes the connection at once (open calls end with
 * UNAVAILABLE) and resolves once every open call reached onDone and the
 * on-close callbacks ran (ttrpc's UserOnCloseWait). `await using` closes it
 * (Symbol.asyncDispose is close()).
 */
export class Client implements AsyncDisposable {
  private open = 0;
  private started = 0;
  private idleTimer: IdleTimer | undefined;
  private refusal = 'client is closed';
  private readonly idle: Array<() => void> = [];
  private readonly closeCallbacks: CloseCallback[] = [];
  private closing: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private closeError: Error | undefined;

  private constructor(
    private readonly transport: ClientTransport,
    private readonly scheduler: Scheduler,
    private readonly interceptors: readonly ClientInterceptor[] = [],
    idleTimeoutMs = 0,
    private readonly peer: string | undefined = undefined,
    private readonly messageInterceptors: readonly MessageInterceptor[] = [],
  ) {
    if (idleTimeoutMs !== 0 && idleTimeoutMs !== Infinity) {
      this.idleTimer = new IdleTimer(idleTimeoutMs, this.idleProbe(), () => {
        this.refusal = `client connection was closed after ${idleTimeoutMs} ms without calls (idleTimeoutMs); connect a new Client`;
        transport.close();
      });
    }
    transport.onClose((error) => {
      this.closeError = error;
      this.idleTimer?.stop();
      void this.connectionClosed().catch(() => undefined);
    });
  }

  /** idleProbe lets an IdleTimer read the call counters. */
  private idleProbe(): IdleProbe {
    const self = this;
    return {
      get callsStarted() {
        return self.started;
      },
      get openCalls() {
        return self.open;
      },
    };
  }

  /** connect dials a target (address string or PipeListener); rejects with RpcError UNAVAILABLE, or RangeError for a bad option. */
  static async connect(target: string | PipeListener, options: ClientOptions = {}): Promise<Client> {
    const { keepAliveMs, tls, idleTimeoutMs = 0 } = options;
    if (!(idleTimeoutMs >= 0)) throw new RangeError('idleTimeoutMs must be >= 0 (0 or Infinity: off)');
    const pooled = options.protocol === 'drpc' && !options.multiplex && options.pool !== false;
    let pool = options.pool;
    if (pooled && idleTimeoutMs > 0 && idleTimeoutMs !== Infinity) {
      const own = typeof pool === 'object' ? pool : {};
      pool = { ...own, idleTimeoutMs: own.idleTimeoutMs ?? idleTimeoutMs };
    }
    const t =
      options.protocol === 'drpc'
        ? await connectDrpc(target, { multiplex: options.multiplex, pool, drpc: options.drpc, timeoutMs: options.dialTimeoutMs, closeGraceMs: options.closeGraceMs, keepAliveMs, tls })
        : await connectTtrpc(target, { ttrpc: options.ttrpc, timeoutMs: options.dialTimeoutMs, closeGraceMs: options.closeGraceMs, keepAliveMs, tls });
    return new Client(t, options.scheduler ?? defaultScheduler(), options.interceptors, pooled ? 0 : idleTimeoutMs, typeof target === 'string' ? target : target.address, options.messageInterceptors);
  }

  /** fromTransport wraps an already connected call-layer transport (idleTimeoutMs then closes that transport when idle). */
  static fromTransport(transport: ClientTransport, options: ClientOptions = {}): Client {
    return new Client(transport, options.scheduler ?? defaultScheduler(), options.interceptors, options.idleTimeoutMs, undefined, options.messageInterceptors);
  }

  /** unary makes a unary call; rejects with RpcError. */
  unary<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): Promise<Res> {
    const c = new UnaryPromiseCall<Req, Res>(this.unaryEnded);
    this.startUnary(method, request, options, c);
    return c.promise;
  }

  /** unaryCallback is the one-line unary shortcut (gRPC C++ `stub->async()->M(ctx, req, resp, callback)`); the callback runs on the scheduler. */
  unaryCallback<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options: ClientCallOptions | undefined, callback: UnaryCallback<Res>): void {
    this.startUnary(method, request, options, new UnaryCallbackCall<Req, Res>(this.unaryEnded, this.scheduler, callback));
  }

  /** serverStream yields the responses of a server-streaming call; throws RpcError at a failed end; breaking out cancels. */
  serverStream<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): AsyncIterable<Res> {
    const r = new IterableReadReactor<Res>(new CallFailure(method.path, this.peer));
    this.bind(method, 'server_stream', r, options, request, false, r.ending);
    r.startCall();
    return r.stream;
  }

  /** clientStream sends every request of an (async) iterable and resolves with the response. */
  clientStream<Req, Res>(method: MethodDescriptor<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: ClientCallOptions): Promise<Res> {
    const r = new PromiseWriteReactor<Req, Res>(requests, new CallFailure(method.path, this.peer));
    this.bind(method, 'client_stream', r, options, undefined, false, r.ending);
    r.startCall();
    r.begin();
    return r.result;
  }

  /** bidi sends requests from an (async) iterable and yields responses; breaking out cancels. */
  bidi<Req, Res>(method: MethodDescriptor<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: ClientCallOptions): AsyncIterable<Res> {
    const r = new IterableBidiReactor<Req, Res>(requests, new CallFailure(method.path, this.peer));
    this.bind(method, method.kind, r, options, undefined, method.kind !== 'bidi', r.ending);
    r.startCall();
    r.begin();
    return r.stream;
  }

  /** bindUnary binds a ClientUnaryReactor to a new unary call; then call reactor.startCall(). */
  bindUnary<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, reactor: ClientUnaryReactor<Res>, options?: ClientCallOptions): void {
    this.bind(method, 'unary', reactor, options, request);
  }

  /** bindRead binds a ClientReadReactor to a new server-streaming call. */
  bindRead<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, reactor: ClientReadReactor<Res>, options?: ClientCallOptions): void {
    this.bind(method, 'server_stream', reactor, options, request);
  }

  /** bindWrite binds a ClientWriteReactor to a new client-streaming call. */
  bindWrite<Req, Res>(method: MethodDescriptor<Req, Res>, reactor: ClientWriteReactor<Req, Res>, options?: ClientCallOptions): void {
    this.bind(method, 'client_stream', reactor, options);
  }

  /**
   * bindBidi binds a ClientBidiReactor to a new call. For a bidi method that
   * is a bidirectional call; a method of another shape (generic clients and
   * proxies, e.g. `rawMethod(ctx.method, ctx.kind)`) goes on the wire with its
   * own shape and is driven as a stream: the writes carry the request(s), the
   * reads return the response(s).
   */
  bindBidi<Req, Res>(method: MethodDescriptor<Req, Res>, reactor: ClientBidiReactor<Req, Res>, options?: ClientCallOptions): void {
    this.bind(method, method.kind, reactor, options, undefined, method.kind !== 'bidi');
  }

  /** onClose registers a callback run once when the connection closes (close() or lost), after every open call reached onDone; close() awaits it. */
  onClose(cb: CloseCallback): void {
    if (this.closed) void this.closed.then(() => cb(this.closeError)).catch(() => undefined);
    else this.closeCallbacks.push(cb);
  }

  /** openCalls is the number of calls that have not reached onDone. */
  get openCalls(): number {
    return this.open;
  }

  /**
   * close closes the connection now (calls still open end with UNAVAILABLE;
   * ttrpc has no graceful close) and resolves once every open call reached
   * onDone and the on-close callbacks ran; it rejects with the first error a
   * callback threw. Calls bound after close() fail with UNAVAILABLE. Queued
   * bytes are flushed and the connection ended; one the server has not ended
   * too after `closeGraceMs` is destroyed (connections made by connect()).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.idleTimer?.stop();
      this.transport.close();
      await this.connectionClosed();
    })();
    return this.closing;
  }

  /** [Symbol.asyncDispose] is close(), for `await using client = await Client.connect(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** connectionClosed waits for every open call's onDone, then runs the on-close callbacks once. */
  private connectionClosed(): Promise<void> {
    this.closed ??= (async () => {
      if (this.open > 0) await new Promise<void>((r) => this.idle.push(r));
      let first: unknown;
      for (const cb of this.closeCallbacks.splice(0)) {
        try {
          await cb(this.closeError);
        } catch (e) {
          first ??= e;
        }
      }
      if (first !== undefined) throw first;
    })();
    return this.closed;
  }

  /** callEnd is every call's end hook when no abort listener needs removing. */
  private readonly callEnd: ClientCallEnd = { afterDone: () => this.callEnded() };

  private callEnded(): void {
    if (--this.open === 0) for (const w of this.idle.splice(0)) w();
  }

  /** createCall opens a call with the options' deadline and metadata, through the interceptors (message level outside, byte level inside). */
  private createCall(method: MethodDescriptor<unknown, unknown>, kind: MethodKind, options: ClientCallOptions | undefined): ClientCall {
    const path = method.path;
    let deadline: number | undefined;
    let metadata: Metadata | undefined;
    if (options !== undefined) {
      deadline = options.deadline ?? (options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined);
      metadata = options.metadata === undefined ? undefined : options.metadata instanceof Metadata ? options.metadata : new Metadata(options.metadata);
    }
    if (this.messageInterceptors.length) {
      const info = { metadata: metadata ?? new Metadata(), deadline, peer: this.peer };
      return new InterceptedClientCall(method, kind, this.messageInterceptors, info, (o) => this.transportCall(path, kind, o));
    }
    return this.transportCall(path, kind, metadata === undefined && deadline === undefined ? NO_CALL_OPTIONS : { metadata, deadline });
  }

  /** transportCall opens a call on the transport, through the byte-level interceptors. */
  private transportCall(path: string, kind: MethodKind, options: CallOptions): ClientCall {
    if (this.interceptors.length) return chainClient(this.interceptors, { method: path, kind }, { metadata: options.metadata, deadline: options.deadline }, (o: CallOptions) => this.transport.createCall(path, kind, o));
    return this.transport.createCall(path, kind, options);
  }

  private readonly unaryEnded = (): void => this.callEnded();

  /** startUnary runs a unary call on the call layer (UnaryClientCall): no reactor, one reaction at most (the callback). */
  private startUnary<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options: ClientCallOptions | undefined, unary: UnaryClientCall<Req, Res>): void {
    if (method.kind !== 'unary') throw new RpcError(Code.INVALID_ARGUMENT, `${method.path} is a ${method.kind} method, not unary`);
    const call = this.createCall(method as MethodDescriptor<unknown, unknown>, 'unary', options);
    this.open++;
    this.started++;
    let refused: Status | undefined;
    unary.peer = this.peer;
    const signal = options?.signal;
    if (this.closing || this.closed) refused = status(Code.UNAVAILABLE, this.refusal);
    else if (signal?.aborted) refused = unary.aborted(signal.reason, false);
    else if (signal) {
      const abort = (): void => call.cancel(unary.aborted(signal.reason));
      signal.addEventListener('abort', abort, { once: true });
      unary.detach = () => signal.removeEventListener('abort', abort);
    }
    unary.start(call, method, request, refused);
  }

  private bind<Req, Res>(method: MethodDescriptor<Req, Res>, kind: MethodKind, reactor: ClientUnaryReactor<Res> | ClientReadReactor<Res> | ClientWriteReactor<Req, Res> | ClientBidiReactor<Req, Res>, options: ClientCallOptions | undefined, request?: Req, streamed = false, failure?: CallFailure): void {
    if (method.kind !== kind) throw new RpcError(Code.INVALID_ARGUMENT, `${method.path} is a ${method.kind} method, not ${kind}`);
    // Checked before anything is created, so a misuse leaves no half-open call behind.
    if (isBound(reactor as ClientUnaryReactor<unknown>)) throw new ReactorMisuseError('this reactor is already bound to a call; use a new reactor per call');
    const call = this.createCall(method as MethodDescriptor<unknown, unknown>, kind, options);
    const signal = options?.signal;
    this.open++;
    this.started++;
    let end = this.callEnd;
    let abort: (() => void) | undefined;
    if (signal) {
      const s = signal;
      const a = () => call.cancel(failure ? failure.aborted(s.reason) : abortStatus(s.reason));
      abort = a;
      end = { beforeDone: () => s.removeEventListener('abort', a), afterDone: this.callEnd.afterDone };
    }
    bindClientReactor(reactor, call, method, this.scheduler, request, streamed, end);
    if (signal && abort) {
      if (signal.aborted) call.cancel(failure ? failure.aborted(signal.reason, false) : abortStatus(signal.reason, false));
      else signal.addEventListener('abort', abort, { once: true });
    }
    if (this.closing || this.closed) call.cancel(status(Code.UNAVAILABLE, this.refusal));
  }
}
