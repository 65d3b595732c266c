// The options of a Client: per call (ClientCallOptions) and per client
// (ClientOptions, with ReconnectOptions for reconnects and many endpoints).
import type { ClientInterceptor } from '../call/interceptors.js';
import type { MessageInterceptor } from '../call/message-interceptors.js';
import type { Metadata, MetadataInit } from '../metadata/metadata.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import type { TlsOptions } from '../transport/tls-options.js';
import type { DrpcPoolOptions } from './drpc-pool.js';
import type { DrpcSessionOptions } from '../protocol/drpc/options.js';
import type { ReconnectOptions } from './client-dial.js';

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
  /** waitForReady waits for a ready connection up to the deadline instead of failing UNAVAILABLE at once (reconnecting clients; overrides the client's default). */
  waitForReady?: boolean;
}

/** ClientOptions configure a Client (ReconnectOptions: reconnects, many endpoints, waitForReady). */
export interface ClientOptions extends ReconnectOptions {
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
