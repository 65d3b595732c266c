import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { type Address, formatAddress, parseAddress } from './address.js';
import type { Conn, Listener } from './conn.js';
import { type ListenOptions, checkListenOptions, reusePortSupported } from './listen-options.js';
import { SocketConn, tcpConnAddresses } from './socket-conn.js';
import { peerCertificateOf, tlsServerOptions } from './tls-options.js';
import { type FileIdentity, applyMode, closeSocketServer, fileIdentity, removeStaleSocket } from './unix-socket-file.js';

/** socketPath returns the node:net path of a unix or abstract address (abstract names start with NUL). */
export function socketPath(a: Address & { kind: 'unix' | 'unix-abstract' }): string {
  return a.kind === 'unix' ? a.path : `\0${a.name}`;
}

/** SocketFile is the socket file a unix listener bound: its path and identity. */
interface SocketFile {
  readonly path: string;
  readonly identity: FileIdentity | undefined;
}

/**
 * SocketListener is a Listener over a node:net server (TCP, unix socket file
 * or abstract unix socket). Accepted sockets stay paused until their Conn is
 * started. Closing stops accepting at once and leaves open connections
 * alone; a unix socket file is removed only while the path still is the file
 * this listener bound (a server bound there since keeps its file). A TLS
 * listener hands over connections once their handshake succeeded; a failed
 * handshake (garbage, an unverified client certificate) drops that socket only.
 */
class SocketListener implements Listener {
  readonly address: string;
  private readonly server: Server;
  private readonly kind: 'tcp' | 'tls' | 'unix';
  private readonly file: SocketFile | undefined;
  private readonly keepAliveMs: number | undefined;
  private callback: ((conn: Conn) => void) | undefined;
  private backlog: Conn[] = [];
  private isClosed = false;

  constructor(server: Server, address: string, kind: 'tcp' | 'tls' | 'unix', file: SocketFile | undefined, keepAliveMs: number | undefined) {
    this.server = server;
    this.address = address;
    this.kind = kind;
    this.file = file;
    this.keepAliveMs = keepAliveMs;
    if (kind === 'tls') {
      server.on('secureConnection', (s: TLSSocket) => this.accept(s));
      // A failed handshake is that client's problem: node:tls destroys its socket.
      server.on('tlsClientError', () => {});
    } else {
      server.on('connection', (s: Socket) => this.accept(s));
    }
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
    // server.close() closes the listening handle now; its callback would wait
    // for every open connection, which close() must not do.
    if (this.file === undefined) this.server.close();
    else closeSocketServer(this.server, this.file.path, this.file.identity);
    return new Promise((resolve) => setImmediate(resolve));
  }

  private accept(s: Socket): void {
    let conn: SocketConn;
    if (this.kind === 'tcp' || this.kind === 'tls') {
      if (this.keepAliveMs !== undefined) s.setKeepAlive(true, this.keepAliveMs);
      const [local, remote] = tcpConnAddresses(s, this.kind);
      if (this.kind === 'tls') s.pause();
      conn = new SocketConn(s, 'tcp', local, remote, this.kind === 'tls' ? peerCertificateOf(s as TLSSocket) : undefined);
    } else {
      conn = new SocketConn(s, 'unix', this.address, 'unix:');
    }
    if (this.callback !== undefined) this.callback(conn);
    else this.backlog.push(conn);
  }
}

/** STALE_ATTEMPTS bounds how often a stale socket file is replaced before listen gives up (another process keeps racing for the path). */
const STALE_ATTEMPTS = 3;

/**
 * listenSocket listens on a tcp, unix or unix-abstract address; rejects with
 * RpcError: INVALID_ARGUMENT for a bad option, UNAVAILABLE when the system
 * refuses (address in use, a live server or a non-socket file at a socket
 * path…). See ListenOptions for the socket-file options.
 */
export async function listenSocket(target: string | Address, options: ListenOptions = {}): Promise<Listener> {
  const a = typeof target === 'string' ? parseAddress(target) : target;
  if (a.kind === 'pipe') throw new RpcError(Code.INVALID_ARGUMENT, `listenSocket: ${formatAddress(a)} is not a socket address`);
  checkListenOptions(a, options);
  const where = `listen ${formatAddress(a)}`;
  if (a.kind === 'tcp' || a.kind === 'tls') {
    const server = await bind(a, where, false, a.kind === 'tls' ? tlsServer(where, options) : undefined, options.reusePort === true && reusePortSupported());
    const bound = server.address();
    const host = typeof bound === 'object' && bound !== null ? bound.address : a.host;
    const port = typeof bound === 'object' && bound !== null ? bound.port : a.port;
    return new SocketListener(server, formatAddress({ kind: a.kind, host, port }), a.kind, undefined, options.keepAliveMs);
  }
  if (a.kind === 'unix-abstract') return new SocketListener(await bind(a, where, false), formatAddress(a), 'unix', undefined, undefined);
  let server: Server | undefined;
  for (let attempt = 1; server === undefined; attempt++) {
    try {
      server = await bind(a, where, !options.replaceStaleSocket);
    } catch (err) {
      if (!options.replaceStaleSocket || !isAddressInUse(err) || attempt >= STALE_ATTEMPTS) throw err;
      await removeStaleSocket(a.path, where);
    }
  }
  const identity = fileIdentity(a.path);
  if (options.mode !== undefined) {
    try {
      if (identity === undefined) throw new Error(`${a.path} vanished after it was bound`);
      applyMode(a.path, identity, options.mode);
    } catch (err) {
      closeSocketServer(server, a.path, identity);
      throw new RpcError(Code.UNAVAILABLE, `${where}: cannot set mode 0o${options.mode.toString(8)}: ${(err as Error).message}`, [], undefined, { cause: err });
    }
  }
  return new SocketListener(server, formatAddress(a), 'unix', { path: a.path, identity }, undefined);
}

/** tlsServer creates a node:tls server from the listen options; throws RpcError INVALID_ARGUMENT without cert and key or for unusable material. */
function tlsServer(where: string, options: ListenOptions): Server {
  const o = tlsServerOptions(where, options.tls);
  try {
    return createTlsServer(o);
  } catch (err) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${where}: bad tls options: ${(err as Error).message}`, [], undefined, { cause: err });
  }
}

/** bind opens a paused-on-connect server (or the given one) on an address (reusePort: SO_REUSEPORT, TCP only); rejects with RpcError UNAVAILABLE carrying the system's error as cause (staleHint: an address in use suggests replaceStaleSocket). */
async function bind(a: Address & { kind: 'tcp' | 'tls' | 'unix' | 'unix-abstract' }, where: string, staleHint: boolean, given?: Server, reusePort = false): Promise<Server> {
  const server = given ?? createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const ready = (): void => {
        server.off('error', reject);
        resolve();
      };
      // reusePort: each process binds its own socket (exclusive: not a node:cluster shared handle).
      if (a.kind === 'tcp' || a.kind === 'tls') server.listen({ host: a.host, port: a.port, ...(reusePort ? { reusePort: true, exclusive: true } : {}) }, ready);
      else server.listen({ path: socketPath(a) }, ready);
    });
  } catch (err) {
    server.close();
    const hint = staleHint && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (a socket file left by a server that exited? listen with replaceStaleSocket to replace it when nothing answers)' : '';
    throw new RpcError(Code.UNAVAILABLE, `${where}: ${(err as Error).message}${hint}`, [], undefined, { cause: err });
  }
  return server;
}

function isAddressInUse(err: unknown): boolean {
  return err instanceof RpcError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}
