import { connect, type Socket } from 'node:net';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Address, formatAddress } from './address.js';
import type { Conn } from './conn.js';
import { dialAborted } from './dial-errors.js';
import { SocketConn, tcpConnAddresses } from './socket-conn.js';
import { socketPath } from './socket-listener.js';

/** DialOptions bounds a dial attempt. */
export interface DialOptions {
  /** timeoutMs fails the dial with DEADLINE_EXCEEDED when connecting takes longer. */
  timeoutMs?: number;
  /** signal cancels the dial (RpcError CANCELLED, or DEADLINE_EXCEEDED for a TimeoutError reason). */
  signal?: AbortSignal;
  /** keepAliveMs turns TCP keepalive on, first probe after this many idle ms (default off; ignored on unix sockets and pipes). */
  keepAliveMs?: number;
}

/**
 * dialSocket connects to a tcp, unix or unix-abstract address. Rejects with
 * RpcError UNAVAILABLE carrying the system's error text when the connection
 * is refused, DEADLINE_EXCEEDED on timeout, CANCELLED when aborted.
 */
export function dialSocket(a: Address & { kind: 'tcp' | 'unix' | 'unix-abstract' }, options: DialOptions = {}): Promise<Conn> {
  const target = formatAddress(a);
  const { signal, timeoutMs, keepAliveMs } = options;
  if (signal?.aborted) return Promise.reject(dialAborted(target, signal.reason));
  if (keepAliveMs !== undefined && !(Number.isFinite(keepAliveMs) && keepAliveMs > 0)) {
    return Promise.reject(new RpcError(Code.INVALID_ARGUMENT, `dial ${target}: keepAliveMs must be a positive number of milliseconds, got ${String(keepAliveMs)}`));
  }
  return new Promise<Conn>((resolve, reject) => {
    const socket: Socket = a.kind === 'tcp' ? connect({ host: a.host, port: a.port }) : connect({ path: socketPath(a) });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const fail = (err: RpcError): void => {
      cleanup();
      socket.on('error', () => {});
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => {
      fail(new RpcError(Code.UNAVAILABLE, `dial ${target}: ${err.message}`, [], undefined, { cause: err }));
    };
    const onAbort = (): void => fail(dialAborted(target, signal!.reason));
    const onConnect = (): void => {
      cleanup();
      socket.pause();
      if (a.kind === 'tcp') {
        if (keepAliveMs !== undefined) socket.setKeepAlive(true, keepAliveMs);
        const [local, remote] = tcpConnAddresses(socket);
        resolve(new SocketConn(socket, 'tcp', local, remote));
      } else {
        resolve(new SocketConn(socket, 'unix', 'unix:', target));
      }
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => fail(new RpcError(Code.DEADLINE_EXCEEDED, `dial ${target}: timed out after ${timeoutMs} ms`)), timeoutMs);
    }
  });
}
