import type { ServerContext } from '../../reactors/server-context.js';
import type { ServerBidiReactor, ServerReadReactor, ServerUnaryReactor, ServerWriteReactor } from '../../reactors/server-reactors.js';
import type { AnyMethod, KindOf, RequestOf, ResponseInitOf, ServiceDefinition, ServiceMethods } from './definition.js';

/** SyncUnary is a promise-style unary handler. */
export type SyncUnary<Req, Res> = (request: Req, ctx: ServerContext) => Promise<Res> | Res;
/** SyncServerStream is a server-streaming handler returning (async) iterable responses, e.g. an async generator. */
export type SyncServerStream<Req, Res> = (request: Req, ctx: ServerContext) => AsyncIterable<Res> | Iterable<Res>;
/** SyncClientStream is a client-streaming handler consuming an async iterable of requests. */
export type SyncClientStream<Req, Res> = (requests: AsyncIterable<Req>, ctx: ServerContext) => Promise<Res> | Res;
/** SyncBidi is a bidirectional handler from an async iterable of requests to (async) iterable responses. */
export type SyncBidi<Req, Res> = (requests: AsyncIterable<Req>, ctx: ServerContext) => AsyncIterable<Res> | Iterable<Res>;

/** CallbackUnary returns the reactor of a unary call (gRPC C++ CallbackService method). */
export type CallbackUnary<Req, Res> = (ctx: ServerContext, request: Req) => ServerUnaryReactor<Res>;
/** CallbackServerStream returns the reactor of a server-streaming call. */
export type CallbackServerStream<Req, Res> = (ctx: ServerContext, request: Req) => ServerWriteReactor<Res>;
/** CallbackClientStream returns the reactor of a client-streaming call. */
export type CallbackClientStream<Req, Res> = (ctx: ServerContext) => ServerReadReactor<Req, Res>;
/** CallbackBidi returns the reactor of a bidirectional call. */
export type CallbackBidi<Req, Res> = (ctx: ServerContext) => ServerBidiReactor<Req, Res>;

const CALLBACK: unique symbol = Symbol('reactor-rpc.callback');

/** CallbackMethod marks a handler as callback style inside a mixed implementation. */
export interface CallbackMethod<F> {
  /** marker tag. @internal */
  readonly [CALLBACK]: true;
  /** handler returns the reactor for each call. */
  readonly handler: F;
}

/** callback marks one method of a mixed implementation as callback style (gRPC C++ WithCallbackMethod_X). */
export function callback<F>(handler: F): CallbackMethod<F> {
  return { [CALLBACK]: true, handler };
}

/** isCallback tells whether an implementation entry is callback style. */
export function isCallback(x: unknown): x is CallbackMethod<unknown> {
  return typeof x === 'object' && x !== null && (x as { [CALLBACK]?: boolean })[CALLBACK] === true;
}

/** CallbackHandlerOf is the callback-style handler type of a method. */
export type CallbackHandlerOf<M extends AnyMethod> = KindOf<M> extends 'unary'
  ? CallbackUnary<RequestOf<M>, ResponseInitOf<M>>
  : KindOf<M> extends 'server_stream'
    ? CallbackServerStream<RequestOf<M>, ResponseInitOf<M>>
    : KindOf<M> extends 'client_stream'
      ? CallbackClientStream<RequestOf<M>, ResponseInitOf<M>>
      : CallbackBidi<RequestOf<M>, ResponseInitOf<M>>;

/** SyncHandlerOf is the sync-style handler type of a method. */
export type SyncHandlerOf<M extends AnyMethod> = KindOf<M> extends 'unary'
  ? SyncUnary<RequestOf<M>, ResponseInitOf<M>>
  : KindOf<M> extends 'server_stream'
    ? SyncServerStream<RequestOf<M>, ResponseInitOf<M>>
    : KindOf<M> extends 'client_stream'
      ? SyncClientStream<RequestOf<M>, ResponseInitOf<M>>
      : SyncBidi<RequestOf<M>, ResponseInitOf<M>>;

/** ServiceImplementation lets each method be sync style (a function) or callback style (wrapped in callback()). */
export type ServiceImplementation<D extends ServiceDefinition> = {
  [K in keyof D['methods']]: SyncHandlerOf<D['methods'][K]> | CallbackMethod<CallbackHandlerOf<D['methods'][K]>>;
};

/** CallbackServiceImplementation is the whole-service callback form (gRPC C++ CallbackService). */
export type CallbackServiceImplementation<D extends ServiceDefinition> = {
  [K in keyof D['methods']]: CallbackHandlerOf<D['methods'][K]>;
};

/** SyncServiceImplementation is the whole-service sync form. */
export type SyncServiceImplementation<D extends ServiceDefinition> = {
  [K in keyof D['methods']]: SyncHandlerOf<D['methods'][K]>;
};

/** ServiceMethodsOf names the methods type of a definition. */
export type ServiceMethodsOf<D> = D extends ServiceDefinition<infer M extends ServiceMethods> ? M : never;
