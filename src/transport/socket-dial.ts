import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Address, formatAddress } from './address.js';
import type { Conn } from './conn.js';
import { dialAborted } from './dial-errors.js';
import { SocketConn, tcpConnAddresses } from './socket-conn.js';
import { SocketReads } from './socket-reads.js';
import { socketPath } from './socket-listener.js';
import { type TlsOptions, peerCertificateOf, tlsClientOptions, tlsFailure } from './tls-options.js';

/** DialOptions bounds a dial attempt. */
export interface DialOptions {
  /** timeoutMs fails the dial with DEADLINE_EXCEEDED when connecting takes longer. */
  timeoutMs?: number;
  /** signal cancels the dial (RpcError CANCELLED, or DEADLINE_EXCEEDED for a TimeoutError reason). */
  signal?: AbortSignal;
  /** keepAliveMs turns TCP keepalive on, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
  /** tls configures a tls:// dial (certificates for mutual TLS, trusted CAs, servername); only for tls:// addresses. */
  tls?: TlsOptions;
}

/**
 * dialSocket connects to a tcp, tls, unix or unix-abstract address. Rejects
 * with RpcError UNAVAILABLE carrying the system's error text when the
 * connection is refused or the TLS handshake fails (`TLS handshake failed:
 * <reason>`), DEADLINE_EXCEEDED on timeout, CANCELLED when aborted,
 * INVALID_ARGUMENT for a bad option or an unreadable certificate file.
 */
export function dialSocket(a: Address & { kind: 'tcp' | 'tls' | 'unix' | 'unix-abstract' }, options: DialOptions = {}): Promise<Conn> {
  const target = formatAddress(a);
  const { signal, timeoutMs, keepAliveMs } = options;
  if (signal?.aborted) return Promise.reject(dialAborted(target, signal.reason));
  if (keepAliveMs !== undefined && !(Number.isFinite(keepAliveMs) && keepAliveMs > 0)) {
    return Promise.reject(new RpcError(Code.INVALID_ARGUMENT, `dial ${target}: keepAliveMs must be a positive number of milliseconds, got ${String(keepAliveMs)}`));
  }
  if (options.tls !== undefined && a.kind !== 'tls') {
    return Promise.reject(new RpcError(Code.INVALID_ARGUMENT, `dial ${target}: tls options apply to tls:// addresses only`));
  }
  let socket: Socket;
  // Plain TCP and unix sockets read in place (onread); TLS sockets read as usual.
  const reads = a.kind === 'tls' ? undefined : new SocketReads();
  try {
    socket = open(a, target, options.tls, reads);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<Conn>((resolve, reject) => {
    let tcpUp = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off(a.kind === 'tls' ? 'secureConnect' : 'connect', onConnect);
      socket.off('connect', onTcp);
    };
    const fail = (err: RpcError): void => {
      cleanup();
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => {
      const why = a.kind === 'tls' && tcpUp ? `TLS handshake failed: ${tlsFailure(err)}` : err.message;
      fail(new RpcError(Code.UNAVAILABLE, `dial ${target}: ${why}`, [], undefined, { cause: err }));
    };
    const onTcp = (): void => {
      tcpUp = true;
    };
    const onAbort = (): void => fail(dialAborted(target, signal!.reason));
    const onConnect = (): void => {
      cleanup();
      socket.pause();
      if (a.kind === 'tcp' || a.kind === 'tls') {
        if (keepAliveMs !== undefined) socket.setKeepAlive(true, keepAliveMs);
        const [local, remote] = tcpConnAddresses(socket, a.kind);
        const peer = a.kind === 'tls' ? peerCertificateOf(socket as TLSSocket) : undefined;
        resolve(new SocketConn(socket, 'tcp', local, remote, peer, reads));
      } else {
        resolve(new SocketConn(socket, 'unix', 'unix:', target, undefined, reads));
      }
    };
    socket.once(a.kind === 'tls' ? 'secureConnect' : 'connect', onConnect);
    socket.once('connect', onTcp);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => fail(new RpcError(Code.DEADLINE_EXCEEDED, `dial ${target}: timed out after ${timeoutMs} ms`)), timeoutMs);
    }
  });
}

/** open starts connecting a socket; throws RpcError INVALID_ARGUMENT for unusable TLS material (unreadable file, bad PEM). */
function open(a: Address & { kind: 'tcp' | 'tls' | 'unix' | 'unix-abstract' }, target: string, tls: TlsOptions | undefined, reads: SocketReads | undefined): Socket {
  const onread = reads?.options;
  if (a.kind === 'tcp') return connect({ host: a.host, port: a.port, onread });
  if (a.kind !== 'tls') return connect({ path: socketPath(a), onread });
  const where = `dial ${target}`;
  const o = tlsClientOptions(where, tls ?? {}, a.host, a.port);
  try {
    return tlsConnect(o);
  } catch (err) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: bad tls options: ${(err as Error).message}`, [], undefined, { cause: err });
  }
}
