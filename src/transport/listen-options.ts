import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Address, formatAddress } from './address.js';
import type { TlsOptions } from './tls-options.js';

/**
 * ListenOptions configure one listen() call. The socket-file options (`mode`,
 * `replaceStaleSocket`) apply to unix:// addresses only: other addresses (tcp,
 * unix-abstract, pipe) have no file and are rejected with INVALID_ARGUMENT
 * when one is set. `keepAliveMs` applies to TCP and is ignored elsewhere.
 * `tls` is required on (and only allowed for) tls:// addresses.
 */
export interface ListenOptions {
  /** mode is applied to the socket file with chmod after it is bound and before listen() resolves (e.g. 0o660); default: as created (umask). */
  mode?: number;
  /**
   * replaceStaleSocket (default false): when the socket path is taken, connect
   * to it; only if nothing answers (ECONNREFUSED: a file left by a crashed
   * server) is the file removed and the path bound again. A live server
   * there, or a file that is not a socket, makes listen() fail and is left alone.
   */
  replaceStaleSocket?: boolean;
  /** keepAliveMs turns TCP keepalive on for accepted connections, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
  /** reusePort binds a TCP or TLS port with SO_REUSEPORT (and outside any node:cluster shared handle), so several processes listen on it and the kernel spreads connections; needs a Node whose net offers it (22.12+, 23.1+; Linux and some BSDs), ignored on other addresses and where Node lacks it (reusePortSupported). */
  reusePort?: boolean;
  /** tls (tls:// addresses, where cert and key are required) holds the server certificate and, for mutual TLS, requestCert and the clients' ca. */
  tls?: TlsOptions;
}

/** checkListenOptions throws RpcError INVALID_ARGUMENT for a bad value or a socket-file option on an address without a socket file. */
export function checkListenOptions(a: Address, o: ListenOptions): void {
  const where = `listen ${formatAddress(a)}`;
  if (o.mode !== undefined && !(Number.isInteger(o.mode) && o.mode >= 0 && o.mode <= 0o7777)) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: mode must be an integer from 0 to 0o7777, got ${String(o.mode)}`);
  }
  if (o.keepAliveMs !== undefined && !(Number.isFinite(o.keepAliveMs) && o.keepAliveMs > 0)) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: keepAliveMs must be a positive number of milliseconds, got ${String(o.keepAliveMs)}`);
  }
  if (o.tls !== undefined && a.kind !== 'tls') throw new RpcError(Code.INVALID_ARGUMENT, `${where}: tls options apply to tls:// addresses only`);
  if (a.kind === 'unix') return;
  const fileOptions = [o.mode !== undefined && 'mode', o.replaceStaleSocket && 'replaceStaleSocket'].filter(Boolean);
  if (fileOptions.length > 0) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: ${fileOptions.join(' and ')} apply to unix socket files (unix://); a ${a.kind} address has no socket file`);
  }
}

/** reusePortSupported tells whether this Node's net.Server.listen() offers reusePort (22.12+ or 23.1+, on Linux and the BSDs). */
export function reusePortSupported(): boolean {
  if (!['linux', 'freebsd', 'openbsd', 'netbsd'].includes(process.platform)) return false;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
