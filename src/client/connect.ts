import type { ClientTransport } from '../call/call.js';
import { TtrpcClientSession } from '../protocol/ttrpc/client-session.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import { DrpcClientSession } from '../protocol/drpc/client-session.js';
import { DrpcMuxClientSession } from '../protocol/drpc/mux-client-session.js';
import type { DrpcSessionOptions } from '../protocol/drpc/options.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { dial } from '../transport/dial.js';
import { DrpcPool, type DrpcPoolOptions } from './drpc-pool.js';

/** ConnectOptions configure a client connection. */
export interface ConnectOptions {
  /** ttrpc holds the session options. */
  ttrpc?: TtrpcSessionOptions;
  /** timeoutMs bounds the dial (default: no bound beyond the OS's). */
  timeoutMs?: number;
  /** signal aborts the dial. */
  signal?: AbortSignal;
}

/** connectTtrpc dials an address or pipe listener and returns a ttrpc client transport; rejects with UNAVAILABLE. */
export async function connectTtrpc(target: string | PipeListener, options: ConnectOptions = {}): Promise<ClientTransport & TtrpcClientSession> {
  const conn = await dial(target, { timeoutMs: options.timeoutMs, signal: options.signal });
  return new TtrpcClientSession(conn, options.ttrpc);
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
  const dialOnce = (signal?: AbortSignal) => dial(target, { timeoutMs: options.timeoutMs, signal });
  const conn = await dialOnce(options.signal);
  if (options.multiplex) return new DrpcMuxClientSession(conn, options.drpc);
  if (options.pool === false) return new DrpcClientSession(conn, options.drpc);
  const poolOptions = typeof options.pool === 'object' ? options.pool : {};
  const pool = new DrpcPool(() => dialOnce(), { ...poolOptions, session: { ...options.drpc, ...poolOptions.session } });
  pool.adopt(conn);
  return pool;
}
