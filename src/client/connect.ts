import type { ClientTransport } from '../call/call.js';
import { TtrpcClientSession } from '../protocol/ttrpc/client-session.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import { DrpcClientSession } from '../protocol/drpc/client-session.js';
import { DrpcMuxClientSession } from '../protocol/drpc/mux-client-session.js';
import type { DrpcSessionOptions } from '../protocol/drpc/options.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { dial } from '../transport/dial.js';
import type { Conn } from '../transport/conn.js';
import type { TlsOptions } from '../transport/tls-options.js';
import { DEFAULT_CLOSE_GRACE_MS, checkCloseGrace, destroyAfterGrace } from '../transport/close-grace.js';
import { DrpcPool, type DrpcPoolOptions } from './drpc-pool.js';

/** ConnectOptions configure a client connection. */
export interface ConnectOptions {
  /** ttrpc holds the session options. */
  ttrpc?: TtrpcSessionOptions;
  /** timeoutMs bounds the dial (default: no bound beyond the OS's). */
  timeoutMs?: number;
  /** signal aborts the dial. */
  signal?: AbortSignal;
  /** closeGraceMs is how long close() lets the peer end its side before the connection is destroyed (default 1000; Infinity: wait for the peer). */
  closeGraceMs?: number;
  /** keepAliveMs turns TCP keepalive on, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
  /** tls configures a tls:// connection (see TlsOptions). */
  tls?: TlsOptions;
}

/** connectTtrpc dials an address or pipe listener and returns a ttrpc client transport; rejects with UNAVAILABLE. Throws RangeError for a bad closeGraceMs. */
export async function connectTtrpc(target: string | PipeListener, options: ConnectOptions = {}): Promise<ClientTransport & TtrpcClientSession> {
  const grace = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  checkCloseGrace(grace);
  const conn = await dial(target, { timeoutMs: options.timeoutMs, signal: options.signal, keepAliveMs: options.keepAliveMs, tls: options.tls });
  const session = new TtrpcClientSession(conn, options.ttrpc);
  endWithSession(session, conn, grace);
  return session;
}

/** endWithSession makes sure a connection whose session closed does not linger half-closed (see destroyAfterGrace). */
function endWithSession(session: { onClose(cb: () => void): void }, conn: Conn, graceMs: number): void {
  session.onClose(() => destroyAfterGrace(conn, graceMs));
}

/** DrpcConnectOptions configure connectDrpc. */
export interface DrpcConnectOptions {
  /** multiplex runs every call on one multiplexed connection; only for peers that multiplex (there is no negotiation). */
  multiplex?: boolean;
  /** pool (upstream only; default true) spreads concurrent calls over a pool of connections; false uses one connection, calls wait their turn. */
  pool?: boolean | DrpcPoolOptions;
  /** drpc holds the session options of each connection. */
  drpc?: DrpcSessionOptions;
  /** timeoutMs bounds each dial. */
  timeoutMs?: number;
  /** signal aborts the first dial. */
  signal?: AbortSignal;
  /** closeGraceMs is how long closing a connection lets the peer end its side before it is destroyed (default 1000; Infinity: wait for the peer); a pool's own closeGraceMs wins. */
  closeGraceMs?: number;
  /** keepAliveMs turns TCP keepalive on for each connection, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
  /** tls configures a tls:// connection (see TlsOptions). */
  tls?: TlsOptions;
}

/** DrpcTransport is what connectDrpc returns: a pool, one upstream connection, or one multiplexed connection. */
export type DrpcTransport = DrpcPool | DrpcClientSession | DrpcMuxClientSession;

/**
 * connectDrpc dials an address or pipe listener and returns a drpc client
 * transport: with `multiplex`, one multiplexed connection; otherwise a pool of
 * upstream connections (the first one is dialled now, to report an
 * unreachable address early), or with `pool: false` a single upstream
 * connection. Rejects with RpcError (UNAVAILABLE when nothing listens).
 */
export async function connectDrpc(target: string | PipeListener, options: DrpcConnectOptions = {}): Promise<ClientTransport & DrpcTransport> {
  const poolOptions = typeof options.pool === 'object' ? options.pool : {};
  const grace = (options.multiplex || options.pool === false ? undefined : poolOptions.closeGraceMs) ?? options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  checkCloseGrace(grace);
  const dialOnce = (signal?: AbortSignal) => dial(target, { timeoutMs: options.timeoutMs, signal, keepAliveMs: options.keepAliveMs, tls: options.tls });
  const conn = await dialOnce(options.signal);
  if (options.multiplex || options.pool === false) {
    const session = options.multiplex ? new DrpcMuxClientSession(conn, options.drpc) : new DrpcClientSession(conn, options.drpc);
    endWithSession(session, conn, grace);
    return session;
  }
  const pool = new DrpcPool(() => dialOnce(), { ...poolOptions, closeGraceMs: grace, session: { ...options.drpc, ...poolOptions.session } });
  pool.adopt(conn);
  return pool;
}
