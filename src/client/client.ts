import type { ClientTransport, MethodKind } from '../call/call.js';
import type { MethodDescriptor } from '../call/method.js';
import { bindClientReactor } from '../../reactors/client-bind.js';
import type { ClientBidiReactor, ClientReadReactor, ClientUnaryReactor, ClientWriteReactor } from '../../reactors/client-reactors.js';
import { Metadata, type MetadataInit } from '../metadata/metadata.js';
import { defaultScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { status } from '../status/status.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { connectTtrpc } from './connect.js';
import { CallbackUnaryReactor, IterableBidiReactor, IterableReadReactor, PromiseWriteReactor, type UnaryCallback, toError } from './promise-reactors.js';

/** CallOptions are per-call client options. */
export interface ClientCallOptions {
  /** metadata is sent with the request. */
  metadata?: Metadata | MetadataInit;
  /** timeoutMs sets a deadline relative to now. */
  timeoutMs?: number;
  /** deadline sets an absolute deadline (ms since the epoch). */
  deadline?: number;
  /** signal cancels the call when aborted (an already aborted signal fails the call with CANCELLED before anything is sent). */
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
}

/**
 * Client makes calls on one connection: promises and async iterables, the
 * unary callback shortcut, and reactors for every call shape. close()
 * resolves once every open call has ended and the on-close callbacks ran.
 */
export class Client {
  private open = 0;
  private readonly idle: Array<() => void> = [];
  private readonly closeCallbacks: Array<() => void | Promise<void>> = [];
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly transport: ClientTransport,
    private readonly scheduler: Scheduler,
  ) {}

  /** connect dials a target (address string or PipeListener); rejects with RpcError UNAVAILABLE. */
  static async connect(target: string | PipeListener, options: ClientOptions = {}): Promise<Client> {
    const t = await connectTtrpc(target, { ttrpc: options.ttrpc, timeoutMs: options.dialTimeoutMs });
    return new Client(t, options.scheduler ?? defaultScheduler());
  }

  /** fromTransport wraps an already connected call-layer transport. */
  static fromTransport(transport: ClientTransport, options: ClientOptions = {}): Client {
    return new Client(transport, options.scheduler ?? defaultScheduler());
  }

  /** unary makes a unary call; rejects with RpcError. */
  unary<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): Promise<Res> {
    return new Promise((resolve, reject) => this.unaryCallback(method, request, options, (s, r) => (s.code === Code.OK ? resolve(r as Res) : reject(toError(s)))));
  }

  /** unaryCallback is the one-line unary shortcut (gRPC C++ `stub->async()->M(ctx, req, resp, callback)`). */
  unaryCallback<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options: ClientCallOptions | undefined, callback: UnaryCallback<Res>): void {
    const r = new CallbackUnaryReactor<Res>(callback);
    this.bindUnary(method, request, r, options);
    r.startCall();
  }

  /** serverStream yields the responses of a server-streaming call; throws RpcError at a failed end; breaking out cancels. */
  serverStream<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, options?: ClientCallOptions): AsyncIterable<Res> {
    const r = new IterableReadReactor<Res>();
    this.bindRead(method, request, r, options);
    r.startCall();
    return r.stream;
  }

  /** clientStream sends every request of an (async) iterable and resolves with the response. */
  clientStream<Req, Res>(method: MethodDescriptor<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: ClientCallOptions): Promise<Res> {
    const r = new PromiseWriteReactor<Req, Res>(requests);
    this.bindWrite(method, r, options);
    r.startCall();
    r.begin();
    return r.result;
  }

  /** bidi sends requests from an (async) iterable and yields responses; breaking out cancels. */
  bidi<Req, Res>(method: MethodDescriptor<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: ClientCallOptions): AsyncIterable<Res> {
    const r = new IterableBidiReactor<Req, Res>(requests);
    this.bindBidi(method, r, options);
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

  /** bindBidi binds a ClientBidiReactor to a new bidirectional call. */
  bindBidi<Req, Res>(method: MethodDescriptor<Req, Res>, reactor: ClientBidiReactor<Req, Res>, options?: ClientCallOptions): void {
    this.bind(method, 'bidi', reactor, options);
  }

  /** onClose registers a callback that close() runs (and awaits) after every call ended. */
  onClose(cb: () => void | Promise<void>): void {
    this.closeCallbacks.push(cb);
  }

  /** openCalls is the number of calls that have not reached onDone. */
  get openCalls(): number {
    return this.open;
  }

  /** close waits for open calls to end, closes the connection and runs the on-close callbacks; resolves after all of it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.open > 0) await new Promise<void>((r) => this.idle.push(r));
      this.transport.close();
      for (const cb of this.closeCallbacks.splice(0)) await cb();
    })();
    return this.closing;
  }

  private bind<Req, Res>(method: MethodDescriptor<Req, Res>, kind: MethodKind, reactor: ClientUnaryReactor<Res> | ClientReadReactor<Res> | ClientWriteReactor<Req, Res> | ClientBidiReactor<Req, Res>, options: ClientCallOptions = {}, request?: Req): void {
    if (method.kind !== kind) throw new RpcError(Code.INVALID_ARGUMENT, `${method.path} is a ${method.kind} method, not ${kind}`);
    const deadline = options.deadline ?? (options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined);
    const metadata = options.metadata === undefined ? undefined : options.metadata instanceof Metadata ? options.metadata : new Metadata(options.metadata);
    const call = this.transport.createCall(method.path, kind, { metadata, deadline });
    this.open++;
    const onDone = reactor.onDone.bind(reactor);
    reactor.onDone = (s, r) => {
      try {
        onDone(s, r);
      } finally {
        if (--this.open === 0) for (const w of this.idle.splice(0)) w();
      }
    };
    bindClientReactor(reactor, call, method, this.scheduler, request);
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) call.cancel(status(Code.CANCELLED, 'cancelled before the call started'));
      else signal.addEventListener('abort', () => call.cancel(status(Code.CANCELLED, 'call cancelled')), { once: true });
    }
    if (this.closing) call.cancel(status(Code.UNAVAILABLE, 'client is closing'));
  }
}
