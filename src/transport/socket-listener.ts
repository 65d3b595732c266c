import { createServer, type Server, type Socket } from 'node:net';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Address, formatAddress, parseAddress } from './address.js';
import type { Conn, Listener } from './conn.js';
import { SocketConn, tcpConnAddresses } from './socket-conn.js';

/** socketPath returns the node:net path of a unix or abstract address (abstract names start with NUL). */
export function socketPath(a: Address & { kind: 'unix' | 'unix-abstract' }): string {
  return a.kind === 'unix' ? a.path : `\0${a.name}`;
}

/**
 * SocketListener is a Listener over a node:net server (TCP, unix socket file
 * or abstract unix socket). Accepted sockets stay paused until their Conn is
 * started. Closing stops accepting at once (a unix socket file is removed)
 * and leaves open connections alone.
 */
class SocketListener implements Listener {
  readonly address: string;
  private readonly server: Server;
  private readonly kind: 'tcp' | 'unix';
  private callback: ((conn: Conn) => void) | undefined;
  private backlog: Conn[] = [];
  private isClosed = false;

  constructor(server: Server, address: string, kind: 'tcp' | 'unix') {
    this.server = server;
    this.address = address;
    this.kind = kind;
    server.on('connection', (s: Socket) => this.accept(s));
    // Accept errors (EMFILE…) are transient for a listening server: ignore them.
    server.on('error', () => {});
  }

  /** onConnection sets the callback for accepted connections; earlier ones are handed over now. */
  onConnection(cb: (conn: Conn) => void): void {
    this.callback = cb;
    const waiting = this.backlog;
    this.backlog = [];
    for (const c of waiting) cb(c);
  }

  /** close stops accepting; open connections are left alone, unaccepted ones are reset. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    for (const c of this.backlog) c.destroy();
    this.backlog = [];
    // server.close() closes the listening handle now (libuv also unlinks a
    // unix socket file); its callback would wait for every open connection,
    // which close() must not do.
    this.server.close();
    return new Promise((resolve) => setImmediate(resolve));
  }

  private accept(s: Socket): void {
    let conn: SocketConn;
    if (this.kind === 'tcp') {
      const [local, remote] = tcpConnAddresses(s);
      conn = new SocketConn(s, 'tcp', local, remote);
    } else {
      conn = new SocketConn(s, 'unix', this.address, 'unix:');
    }
    if (this.callback !== undefined) this.callback(conn);
    else this.backlog.push(conn);
  }
}

/** listenSocket listens on a tcp, unix or unix-abstract address; rejects with RpcError (UNAVAILABLE when the system refuses). */
export async function listenSocket(target: string | Address): Promise<Listener> {
  const a = typeof target === 'string' ? parseAddress(target) : target;
  if (a.kind === 'pipe') throw new RpcError(Code.INVALID_ARGUMENT, `listenSocket: ${formatAddress(a)} is not a socket address`);
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (a.kind === 'tcp') server.listen({ host: a.host, port: a.port }, ready);
    else server.listen({ path: socketPath(a) }, ready);
  }).catch((err: unknown) => {
    server.close();
    throw new RpcError(Code.UNAVAILABLE, `listen ${formatAddress(a)}: ${(err as Error).message}`, [], undefined, { cause: err });
  });
  if (a.kind !== 'tcp') return new SocketListener(server, formatAddress(a), 'unix');
  const bound = server.address();
  const host = typeof bound === 'object' && bound !== null ? bound.address : a.host;
  const port = typeof bound === 'object' && bound !== null ? bound.port : a.port;
  return new SocketListener(server, formatAddress({ kind: 'tcp', host, port }), 'tcp');
}
