import type { MethodKind, ServerCall } from '../call/call.js';
import { rawMethod, splitPath } from '../call/method.js';
import { dispatchServerCall, type ReactorHandler } from '../../reactors/server-dispatch.js';
import type { ServerBidiReactor } from '../../reactors/server-reactors.js';
import type { ServerContext } from '../../reactors/server-context.js';
import { defaultScheduler } from '../scheduler/scheduler.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { type AnyMethod, type ServiceDefinition, asDescriptor } from '../services/definition.js';
import { type CallbackServiceImplementation, type ServiceImplementation, type SyncServiceImplementation, type SyncUnary, isCallback } from '../services/handlers.js';
import { SyncUnaryCall } from '../services/sync-unary.js';
import { bidiFromSync, clientStreamFromSync, serverStreamFromSync } from '../services/sync-adapters.js';
import { type TtrpcSessionOptions, resolveTtrpcOptions } from '../protocol/ttrpc/options.js';
import type { Listener } from '../transport/conn.js';
import { type ListenOptions, listen } from '../transport/dial.js';
import { Code } from '../status/code.js';
import { status } from '../status/status.js';
import { type ServerInterceptor, chainServer } from '../call/interceptors.js';
import type { MessageInterceptor } from '../call/message-interceptors.js';
import type { MethodDescriptor } from '../call/method.js';
import { InterceptedServerCall } from './intercepted-call.js';
import { CallServer, type CallServerStats, type ServerProtocol } from './call-server.js';
import { type DrpcSessionOptions, resolveDrpcOptions } from '../protocol/drpc/options.js';
import { MethodRegistry } from './method-registry.js';
import { LongTimer } from '../call/long-timer.js';

/** ServerOptions configure a Server. */
export interface ServerOptions {
  /** scheduler runs every reaction (default: the process-wide scheduler). */
  scheduler?: Scheduler;
  /** ttrpc holds the per-connection ttrpc session options. */
  ttrpc?: TtrpcSessionOptions;
  /** protocol is what connections speak: 'ttrpc' (default), 'drpc', or 'auto' (told apart by a connection's first bytes). */
  protocol?: ServerProtocol;
  /** multiplex serves drpc multiplexed (many concurrent streams per connection); clients must multiplex too. */
  multiplex?: boolean;
  /** drpc holds the per-connection drpc session options. */
  drpc?: DrpcSessionOptions;
  /** interceptors wrap every call at the byte level before its handler runs, first one outermost (see ServerInterceptor). */
  interceptors?: readonly ServerInterceptor[];
  /** messageInterceptors wrap every call at the message level, Connect style, first one outermost and inside the byte-level ones (see MessageInterceptor). */
  messageInterceptors?: readonly MessageInterceptor[];
  /** closeGraceMs is how long a connection closed at shutdown lets the client end its side before it is destroyed (default 1000; Infinity: wait for the client). */
  closeGraceMs?: number;
  /**
   * idleTimeoutMs closes a connection that had no call in progress and
   * received nothing for this long (default 0: off, as ttrpc and drpc clients
   * commonly keep a connection open between calls and need not dial again).
   * The connection is ended cleanly; its client sees it close.
   */
  idleTimeoutMs?: number;
  /** frameTimeoutMs destroys a connection that holds a partly received frame for this long, a peer that starts a frame and stalls (default 30 s; 0: off); raise it when large messages cross slow links, as a whole frame must arrive within it. */
  frameTimeoutMs?: number;
  /** maxConnections caps the open connections (default: no cap); a connection over it is closed on arrival (connectionStats.refused), open ones are unaffected. */
  maxConnections?: number;
}

/** GenericHandler serves any unregistered method as a raw-bytes bidi reactor; ctx.method names the method and ctx.kind its wire shape. */
export type GenericHandler = (ctx: ServerContext) => ServerBidiReactor<Uint8Array, Uint8Array>;

type Sync = (...args: never[]) => unknown;

/**
 * Server hosts services on any number of addresses and listeners. Each
 * method is served by a reactor: callback-style handlers return one,
 * streaming sync-style handlers (async iterables) are adapted onto one, and
 * promise-style unary handlers run straight on the call layer (they have no
 * reactions to order). shutdown() stops accepting, lets running calls finish until a
 * deadline, then cancels them; forceShutdown() cancels at once. `await using`
 * shuts it down (Symbol.asyncDispose is shutdown() with its default grace).
 */
export class Server implements AsyncDisposable {
  private readonly registry = new MethodRegistry();
  private readonly core: CallServer;
  private readonly scheduler: Scheduler;
  private readonly interceptors: readonly ServerInterceptor[];
  private readonly messageInterceptors: readonly MessageInterceptor[];
  private readonly listeners: Listener[] = [];
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  /** constructor creates a server with no services; throws RangeError for an invalid session option (checked here, not when a client connects). */
  constructor(options: ServerOptions = {}) {
    resolveTtrpcOptions(options.ttrpc);
    resolveDrpcOptions(options.drpc);
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.interceptors = options.interceptors ?? [];
    this.messageInterceptors = options.messageInterceptors ?? [];
    this.core = new CallServer(this.registry, {
      ttrpc: options.ttrpc,
      drpc: options.drpc,
      protocol: options.protocol,
      multiplex: options.multiplex,
      closeGraceMs: options.closeGraceMs,
      idleTimeoutMs: options.idleTimeoutMs,
      frameTimeoutMs: options.frameTimeoutMs,
      maxConnections: options.maxConnections,
    });
  }

  /** addService registers a service whose methods are sync style or wrapped in callback(). Throws Error when a method is missing. */
  addService<D extends ServiceDefinition>(definition: D, implementation: ServiceImplementation<D>): this {
    for (const [name, m] of Object.entries(definition.methods)) {
      const impl = (implementation as Record<string, unknown>)[name];
      if (impl === undefined) throw new Error(`service ${definition.name}: no implementation for method ${name}`);
      if (isCallback(impl)) this.register(m, impl.handler as ReactorHandler<unknown, unknown>);
      else if (m.kind === 'unary') this.registerSyncUnary(m, impl as SyncUnary<unknown, unknown>);
      else this.register(m, adaptSync(m.kind, impl as Sync));
    }
    return this;
  }

  /** addCallbackService registers a service whose every method returns a reactor (gRPC C++ CallbackService). */
  addCallbackService<D extends ServiceDefinition>(definition: D, implementation: CallbackServiceImplementation<D>): this {
    for (const [name, m] of Object.entries(definition.methods)) {
      const impl = (implementation as Record<string, unknown>)[name];
      if (typeof impl !== 'function') throw new Error(`service ${definition.name}: no implementation for method ${name}`);
      this.register(m, impl as ReactorHandler<unknown, unknown>);
    }
    return this;
  }

  /** addSyncService registers a service whose every method is sync style. */
  addSyncService<D extends ServiceDefinition>(definition: D, implementation: SyncServiceImplementation<D>): this {
    return this.addService(definition, implementation as ServiceImplementation<D>);
  }

  /** addGenericService routes every unregistered method to one raw-bytes bidi handler (for proxies). */
  addGenericService(handler: GenericHandler): this {
    const serve = (c: ServerCall): void => {
      const raw = rawMethod(c.method, 'bidi');
      this.serve(c, raw as MethodDescriptor<unknown, unknown>, (call, ended) => dispatchServerCall(call, raw, (ctx) => handler(ctx), this.scheduler, ended));
    };
    this.registry.setFallback('bidi', (call) => this.intercept(call, serve));
    return this;
  }

  /**
   * listen accepts connections on an address (unix://, unix-abstract:, tcp://,
   * pipe:) or a Listener; resolves to the bound address. `options` set a unix
   * socket file's mode, replace a stale socket file, or turn TCP keepalive
   * on (see ListenOptions); rejects with RpcError INVALID_ARGUMENT for a bad
   * address or option, UNAVAILABLE when the address cannot be bound.
   */
  async listen(target: string | Listener, options?: ListenOptions): Promise<string> {
    if (this.stopped) throw new Error('server is shut down');
    const l = await listen(target, options);
    this.listeners.push(l);
    l.onConnection((conn) => (this.stopped ? conn.destroy() : void this.core.accept(conn)));
    return l.address;
  }

  /** activeCalls is the number of calls whose handler has not finished. */
  get activeCalls(): number {
    return this.active;
  }

  /** connectionStats counts open connections and those the server closed on its own: refused (maxConnections), idle (idleTimeoutMs), stuck frame (frameTimeoutMs). */
  get connectionStats(): CallServerStats {
    return this.core.stats;
  }

  /** shutdown stops accepting, waits up to graceMs for running calls, then cancels the rest and closes every connection. */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    if (this.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = new LongTimer(resolve, graceMs);
        this.idleWaiters.push(() => {
          timer.cancel();
          resolve();
        });
      });
    }
    await this.core.close();
  }

  /** forceShutdown stops accepting and cancels every running call at once. */
  async forceShutdown(): Promise<void> {
    return this.shutdown(0);
  }

  /** [Symbol.asyncDispose] is shutdown() with its default grace, for `await using server = new Server()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  private register(m: AnyMethod, handler: ReactorHandler<unknown, unknown>): void {
    const { service, method } = splitPath(m.path);
    const desc = asDescriptor(m);
    const start = (c: ServerCall, ended: (() => void) | undefined): void => dispatchServerCall(c, desc, handler, this.scheduler, ended);
    const serve = (c: ServerCall): void => this.serve(c, desc, start);
    this.registry.register(service, method, m.kind, (call) => this.intercept(call, serve));
  }

  /** registerSyncUnary serves a promise-style unary method straight on the call layer (SyncUnaryCall): no reactor, no scheduler queue. */
  private registerSyncUnary(m: AnyMethod, fn: SyncUnary<unknown, unknown>): void {
    const { service, method } = splitPath(m.path);
    const desc = asDescriptor(m);
    const start = (c: ServerCall, ended: (() => void) | undefined): void => void new SyncUnaryCall(c, desc, fn, ended);
    const serve = (c: ServerCall): void => this.serve(c, desc, start);
    this.registry.register(service, method, 'unary', (call) => this.intercept(call, serve));
  }

  /** serve counts a call and starts its handler, through the message interceptors when there are any (their bridge then reports the call's end). */
  private serve(c: ServerCall, desc: MethodDescriptor<unknown, unknown>, start: (c: ServerCall, ended: (() => void) | undefined) => void): void {
    if (this.refuse(c)) return;
    this.active++;
    if (this.messageInterceptors.length === 0) start(c, this.onCallEnd);
    else new InterceptedServerCall(c, desc, this.messageInterceptors, (h) => start(h, undefined), this.onCallEnd);
  }

  private intercept(call: ServerCall, handle: (c: ServerCall) => void): void {
    if (this.interceptors.length === 0) handle(call);
    else chainServer(this.interceptors, call, handle);
  }

  private readonly onCallEnd = (): void => {
    this.active--;
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  };

  /** refuse answers a call that arrives during shutdown with UNAVAILABLE (gRPC does the same for calls on connections still open); true when it did. */
  private refuse(call: ServerCall): boolean {
    if (!this.stopped) return false;
    call.start({ onMessage: () => undefined, onWritable: () => undefined, onStatus: () => undefined });
    call.finish(status(Code.UNAVAILABLE, 'server is shutting down'));
    return true;
  }
}

/** adaptSync adapts a streaming sync-style handler onto a reactor (unary ones run on the call layer: SyncUnaryCall). */
function adaptSync(kind: Exclude<MethodKind, 'unary'>, fn: Sync): ReactorHandler<unknown, unknown> {
  const f = fn as never;
  switch (kind) {
    case 'server_stream':
      return serverStreamFromSync(f) as ReactorHandler<unknown, unknown>;
    case 'client_stream':
      return clientStreamFromSync(f) as ReactorHandler<unknown, unknown>;
    default:
      return bidiFromSync(f) as ReactorHandler<unknown, unknown>;
  }
}
