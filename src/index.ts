/**
 * reactor-rpc: reactors (the gRPC C++ callback API), servers, clients, services,
 * the scheduler and the transports, over ttrpc and drpc.
 *
 * @module reactor-rpc
 */
// reactor-rpc public entry: everything a user may import, and nothing else.
export { Code, codeName } from './status/code.js';
export { type Status, type StatusDetail, OK_STATUS, status, isOk, formatStatus } from './status/status.js';
export { RpcError, type RpcErrorOptions } from './status/rpc-error.js';
export { Metadata, type MetadataInit } from './metadata/metadata.js';

// Reactors (gRPC C++ callback API) and their context.
export {
  ClientUnaryReactor,
  ClientReadReactor,
  ClientWriteReactor,
  ClientBidiReactor,
  ServerUnaryReactor,
  ServerReadReactor,
  ServerWriteReactor,
  ServerBidiReactor,
  ServerContext,
  ReactorMisuseError,
  type WriteOptions,
} from '../reactors/index.js';

// Services, servers and clients.
export { type MethodDescriptor, type Serialize, type Deserialize, rawMethod } from './call/method.js';
export type { MethodKind } from './call/call.js';
export {
  defineService,
  type ServiceDefinition,
  type TypedMethod,
  type AnyMethod,
  type RequestOf,
  type ResponseOf,
  type RequestInitOf,
  type ResponseInitOf,
  type ServiceMethods,
  type KindOf,
} from './services/definition.js';
export { protoMethod, type MessageCodec, type MessageInit, type InitValue } from './services/proto-message.js';
export {
  callback,
  type CallbackMethod,
  type ServiceImplementation,
  type CallbackServiceImplementation,
  type SyncServiceImplementation,
  type SyncUnary,
  type SyncServerStream,
  type SyncClientStream,
  type SyncBidi,
  type CallbackUnary,
  type CallbackServerStream,
  type CallbackClientStream,
  type CallbackBidi,
  type CallbackHandlerOf,
  type SyncHandlerOf,
} from './services/handlers.js';
export { Server, type ServerOptions, type GenericHandler } from './server/server.js';
/** serveWorkers runs one service on N node:cluster worker processes behind one address (restarts, graceful shutdown). */
export { serveWorkers, type ServeWorkersOptions, type Workers, type WorkerInfo, type CreateWorkerServer } from './server/workers.js';
export { Client, type ClientOptions, type ClientCallOptions, type CloseCallback } from './client/client.js';
export type { UnaryCallback } from './client/promise-reactors.js';
export type { ReconnectOptions, ClientTarget } from './client/client-dial.js';
export { BACKOFF_DEFAULTS, type BackoffOptions, type ResolvedBackoff } from './client/backoff.js';
export type { ConnectivityState, StateListener } from './client/connectivity.js';
export type { LoadBalancingPolicy } from './client/channel.js';
export type { Resolver } from './client/resolver.js';

// The scheduler that runs every reaction.
export { Scheduler, defaultScheduler } from './scheduler/scheduler.js';
export type { SchedulerOptions } from './scheduler/options.js';
export type { SchedulerStats } from './scheduler/stats.js';
export type { SchedulerLogger, ReactionInfo, SlowReactionInfo } from './scheduler/logger.js';
export type { Clock, Defer } from './scheduler/clock.js';
export type { CallQueue, CallErrorHandler } from './scheduler/call-queue.js';

// Transports.
export { PipeListener, type PipeListenerOptions } from './transport/pipe-listener.js';
export { dial, listen, type DialOptions, type ListenOptions } from './transport/dial.js';
export { parseAddress, formatAddress, type Address } from './transport/address.js';
export type { Conn, ConnHandler, ConnKind, Listener, PeerCertificate } from './transport/conn.js';
export type { TlsOptions, TlsMaterial } from './transport/tls-options.js';
export type { TtrpcSessionOptions } from './protocol/ttrpc/options.js';
export { type ReceiveOptions, type ResolvedReceiveOptions, RECEIVE_DEFAULTS } from './call/receive-options.js';
export type { DrpcSessionOptions, CancelMode } from './protocol/drpc/options.js';
export type { DrpcPoolOptions } from './client/drpc-pool.js';
export type { ServerProtocol, CallServerStats } from './server/call-server.js';
export type { ClientInterceptor, ServerInterceptor, ClientCallInfo } from './call/interceptors.js';
export { ForwardingClientCall, wrapListener, type ListenerHooks, type SendHooks } from './call/interceptors.js';
export { composeMessageInterceptors, type MessageInterceptor, type MessageHandler, type MessageCall, type MessageRequest, type MessageResponse, type UnaryRequest, type StreamRequest, type UnaryResponse, type StreamResponse } from './call/message-interceptors.js';
export type { CallOptions, CallListener, ClientCall, ServerCall, SendOptions, ClientTransport } from './call/call.js';

// Generic proxy (any method, all four shapes) built on the generic service.
export { createProxy, ReconnectingUpstream, type ProxyOptions, type ProxyCallLog, type UpstreamSource } from './proxy/index.js';
