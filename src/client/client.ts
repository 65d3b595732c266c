import type { CallOptions, ClientCall, ClientTransport, MethodKind } from '../call/call.js';
import { type ClientInterceptor, chainClient } from '../call/interceptors.js';
import type { MessageInterceptor } from '../call/message-interceptors.js';
import { InterceptedClientCall } from './intercepted-call.js';
import type { MethodDescriptor } from '../call/method.js';
import { bindClientReactor, isBound } from '../../reactors/client-bind.js';
import type { ClientCallEnd } from '../../reactors/client-binding.js';
import { ReactorMisuseError } from '../../reactors/misuse.js';
import type { ClientBidiReactor, ClientReadReactor, ClientUnaryReactor, ClientWriteReactor } from '../../reactors/client-reactors.js';
import { Metadata } from '../metadata/metadata.js';
import type { ClientCallOptions, ClientOptions, CloseCallback } from './client-options.js';
import { defaultScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Status, status } from '../status/status.js';
import { abortStatus } from '../status/abort-status.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { type ClientTarget, dialTransport, firstConnection, openChannel, targetName, wantsChannel } from './client-dial.js';
import type { Channel, ChannelCallOptions } from './channel.js';
import { type ConnectivityState, type StateListener, StateWatchers } from './connectivity.js';
import { UnaryCallbackCall, type UnaryClientCall, UnaryPromiseCall } from './unary-call.js';
import { type IdleProbe, IdleTimer } from './idle-timer.js';
import { IterableBidiReactor, IterableReadReactor, PromiseWriteReactor, type UnaryCallback } from './promise-reactors.js';
import { CallFailure } from './call-failure.js';

// Shared by calls without deadline and metadata (call layers only read their options).
const NO_CALL_OPTIONS: CallOptions = Object.freeze({});

export type { ClientCallOptions, ClientOptions, CloseCallback } from './client-options.js';

/**
 * Client makes calls on one connection (or, reconnecting, on the endpoints
 * of a list or dns: target: see ReconnectOptions): promises and async iterables, the
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
  private watchers: StateWatchers | undefined;

  private constructor(
    private readonly transport: ClientTransport,
    private readonly scheduler: Scheduler,
    private readonly interceptors: readonly ClientInterceptor[] = [],
    idleTimeoutMs = 0,
    private readonly peer: string | undefined = undefined,
    private readonly messageInterceptors: readonly MessageInterceptor[] = [],
    private readonly channel: Channel | undefined = undefined,
  ) {
    if (idleTimeoutMs !== 0 && idleTimeoutMs !== Infinity) {
      if (channel) this.idleTimer = this.channelIdleTimer(channel, idleTimeoutMs);
      else {
        this.idleTimer = new IdleTimer(idleTimeoutMs, this.idleProbe(), () => {
          this.refusal = `client connection was closed after ${idleTimeoutMs} ms without calls (idleTimeoutMs); connect a new Client`;
          transport.close();
        });
      }
    }
    transport.onClose((error) => {
      this.closeError = error;
      this.idleTimer?.stop();
      this.watchers?.set('shutdown');
      void this.connectionClosed().catch(() => undefined);
    });
  }

  /** channelIdleTimer lets a reconnecting client's connections go idle; the next call connects again. */
  private channelIdleTimer(channel: Channel, ms: number): IdleTimer {
    return new IdleTimer(ms, this.idleProbe(), () => {
      channel.goIdle();
      if (!channel.closed) this.idleTimer = this.channelIdleTimer(channel, ms);
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

  /**
   * connect dials a target: an address, a list of addresses or
   * `dns:///host:port` (a list or dns: target, or any ReconnectOptions, make a
   * reconnecting client), or a PipeListener. Rejects with RpcError UNAVAILABLE
   * when the first connection fails (unless `waitForReady` or `lazy` is set:
   * then it resolves at once and keeps connecting), INVALID_ARGUMENT for a bad
   * address, or RangeError for a bad option.
   */
  static async connect(target: ClientTarget, options: ClientOptions = {}): Promise<Client> {
    const { idleTimeoutMs = 0 } = options;
    if (!(idleTimeoutMs >= 0)) throw new RangeError('idleTimeoutMs must be >= 0 (0 or Infinity: off)');
    const scheduler = options.scheduler ?? defaultScheduler();
    const pooled = options.protocol === 'drpc' && !options.multiplex && options.pool !== false;
    if (wantsChannel(target, options)) {
      const channel = openChannel(target, options);
      if (!options.lazy && !options.waitForReady) await firstConnection(channel, typeof target === 'string' && !target.startsWith('dns:'));
      return new Client(channel, scheduler, options.interceptors, pooled ? 0 : idleTimeoutMs, targetName(target), options.messageInterceptors, channel);
    }
    const single = target as string | PipeListener;
    const t = await dialTransport(single, options);
    return new Client(t, scheduler, options.interceptors, pooled ? 0 : idleTimeoutMs, targetName(single), options.messageInterceptors);
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

  /** state is the connectivity state: a reconnecting client's (see ReconnectOptions), else 'ready' until its one connection closed, then 'shutdown'. */
  get state(): ConnectivityState {
    if (this.channel) return this.channel.state;
    return this.closing || this.closed || this.transport.closed ? 'shutdown' : 'ready';
  }

  /** onStateChange registers a listener of state changes (it runs synchronously with each change) and returns its unsubscribe function. */
  onStateChange(listener: StateListener): () => void {
    if (this.channel) return this.channel.watchers.add(listener);
    this.watchers ??= new StateWatchers(this.state);
    return this.watchers.add(listener);
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
    let wfr: boolean | undefined;
    if (options !== undefined) {
      wfr = options.waitForReady;
      deadline = options.deadline ?? (options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined);
      metadata = options.metadata === undefined ? undefined : options.metadata instanceof Metadata ? options.metadata : new Metadata(options.metadata);
    }
    if (this.messageInterceptors.length) {
      const info = { metadata: metadata ?? new Metadata(), deadline, peer: this.peer };
      return new InterceptedClientCall(method, kind, this.messageInterceptors, info, (o) => this.transportCall(path, kind, o, wfr));
    }
    return this.transportCall(path, kind, metadata === undefined && deadline === undefined ? NO_CALL_OPTIONS : { metadata, deadline }, wfr);
  }

  /** transportCall opens a call on the transport, through the byte-level interceptors. */
  private transportCall(path: string, kind: MethodKind, options: CallOptions, wfr: boolean | undefined): ClientCall {
    if (this.interceptors.length) return chainClient(this.interceptors, { method: path, kind }, { metadata: options.metadata, deadline: options.deadline }, (o: CallOptions) => this.transport.createCall(path, kind, withWaitForReady(o, wfr)));
    return this.transport.createCall(path, kind, wfr === undefined ? options : withWaitForReady(options, wfr));
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

/** withWaitForReady adds a call's waitForReady choice to its call-layer options (read by a reconnecting client's Channel). */
function withWaitForReady(options: CallOptions, waitForReady: boolean | undefined): CallOptions {
  if (waitForReady === undefined) return options;
  const o: ChannelCallOptions = { metadata: options.metadata, deadline: options.deadline, waitForReady };
  return o;
}
