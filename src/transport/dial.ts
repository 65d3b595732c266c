import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { parseAddress } from './address.js';
import type { Conn, Listener } from './conn.js';
import { findPipeListener, PipeListener } from './pipe-listener.js';
import { type DialOptions, dialSocket } from './socket-dial.js';
import { type ListenOptions, checkListenOptions } from './listen-options.js';
import { listenSocket } from './socket-listener.js';

export type { DialOptions } from './socket-dial.js';
export type { ListenOptions } from './listen-options.js';
export type { TlsMaterial, TlsOptions } from './tls-options.js';

/**
 * dial connects to an address string (tcp://, tls://, unix://, unix-abstract:, or
 * pipe:<name> for a PipeListener of this process) or directly to a
 * PipeListener. Rejects with RpcError: INVALID_ARGUMENT for a bad address,
 * UNAVAILABLE when nothing listens (with the system's error text),
 * DEADLINE_EXCEEDED on timeout, CANCELLED when the signal aborts.
 */
export function dial(target: string | PipeListener, options: DialOptions = {}): Promise<Conn> {
  if (typeof target !== 'string') return target.dial(options);
  let a;
  try {
    a = parseAddress(target);
  } catch (err) {
    return Promise.reject(err);
  }
  if (a.kind !== 'pipe') return dialSocket(a, options);
  if (options.tls !== undefined) return Promise.reject(new RpcError(Code.INVALID_ARGUMENT, `dial ${target}: tls options apply to tls:// addresses only`));
  const l = findPipeListener(a.name);
  if (l === undefined) return Promise.reject(new RpcError(Code.UNAVAILABLE, `dial ${target}: no open pipe listener by that name (closed or never opened)`));
  return l.dial(options);
}

/**
 * listen opens a Listener on an address string (pipe:<name> creates and
 * registers a PipeListener); a Listener object is returned as is (it was
 * opened already: options are refused with INVALID_ARGUMENT). Rejects with RpcError INVALID_ARGUMENT for a bad
 * address or option, UNAVAILABLE when the address is in use or the system
 * refuses. See ListenOptions for socket-file mode, stale-socket replacement
 * and TCP keepalive.
 */
export async function listen(target: string | Listener, options: ListenOptions = {}): Promise<Listener> {
  if (typeof target !== 'string') {
    if (Object.values(options).some((v) => v !== undefined)) {
      throw new RpcError(Code.INVALID_ARGUMENT, `listen ${target.address}: listen options apply when an address is opened, not to a Listener object`);
    }
    return target;
  }
  const a = parseAddress(target);
  if (a.kind !== 'pipe') return listenSocket(a, options);
  checkListenOptions(a, options);
  return new PipeListener({ name: a.name });
}
