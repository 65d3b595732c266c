import type { ClientTransport } from '../call/call.js';
import { TtrpcClientSession } from '../protocol/ttrpc/client-session.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import type { PipeListener } from '../transport/pipe-listener.js';
import { dial } from '../transport/dial.js';

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
