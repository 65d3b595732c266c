import type { CallRouter, PeerCertificate, ServerCall } from '../call/call.js';
import { TtrpcServerSession } from '../protocol/ttrpc/server-session.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import { DrpcServerSession } from '../protocol/drpc/server-session.js';
import { DrpcMuxServerSession } from '../protocol/drpc/mux-server-session.js';
import type { DrpcServerSessionBase } from '../protocol/drpc/server-session-base.js';
import type { DrpcSessionOptions } from '../protocol/drpc/options.js';
import type { Conn, ConnHandler, Listener } from '../transport/conn.js';
import { type ListenOptions, listen } from '../transport/dial.js';
import { DEFAULT_CLOSE_GRACE_MS, checkCloseGrace, destroyAfterGrace } from '../transport/close-grace.js';
import { ConnGuard, type WatchedSession, guardedSession } from './conn-guard.js';

/** ServerProtocol selects what a CallServer speaks: one protocol, or 'auto' to tell ttrpc from drpc per connection. */
export type ServerProtocol = 'ttrpc' | 'drpc' | 'auto';

/** CallServerOptions configure a CallServer. */
export interface CallServerOptions {
  /** protocol is what connections speak (default 'ttrpc'); see sniffProtocol for 'auto'. */
  protocol?: ServerProtocol;
  /** multiplex serves drpc connections multiplexed (many concurrent streams; the client must multiplex too). */
  multiplex?: boolean;
  /** ttrpc holds the per-connection session options. */
  ttrpc?: TtrpcSessionOptions;
  /** drpc holds the per-connection drpc session options. */
  drpc?: DrpcSessionOptions;
  /** closeGraceMs is how long a closed connection lets the client end its side before it is destroyed (default 1000; Infinity: wait for the client). */
  closeGraceMs?: number;
  /** idleTimeoutMs closes a connection with no call in progress and nothing received for this long (default 0: off); see ConnGuard. */
  idleTimeoutMs?: number;
  /** frameTimeoutMs destroys a connection that holds a partly received frame for this long (default 30 s; 0: off); see ConnGuard. */
  frameTimeoutMs?: number;
  /** maxConnections caps the open connections (default: no cap); one accepted over it is closed at once and counted in stats.refused. */
  maxConnections?: number;
}

/** CallServerStats counts a CallServer's connections. */
export interface CallServerStats {
  /** connections is the number of open connections. */
  connections: number;
  /** refused counts connections closed on arrival because maxConnections were open. */
  refused: number;
  /** closedIdle counts connections closed by idleTimeoutMs. */
  closedIdle: number;
  /** closedFrameTimeout counts connections destroyed by frameTimeoutMs. */
  closedFrameTimeout: number;
}

/** ServerSession is a protocol session serving one connection. */
export type ServerSession = TtrpcServerSession | DrpcServerSessionBase;

/** DRPC_MIGRATE_HEADER is the prefix drpcmigrate clients may send before drpc traffic (`DRPC!!!1`). */
const DRPC_MIGRATE_HEADER = new TextEncoder().encode('DRPC!!!1');

/**
 * sniffProtocol tells ttrpc from drpc by a connection's first bytes; it needs
 * at most 8. A ttrpc frame starts with a 4-byte big-endian length of at most
 * 4 MiB, so its first byte is always 0; a drpc frame starts with a flag byte,
 * and flag 0 (kind 0) is never valid drpc (Invoke is 0x03, InvokeMetadata
 * 0x0f, and other first bytes are drpc errors the drpc session reports). So
 * 0x00 means ttrpc and anything else drpc, decided on one byte. The one
 * exception is the 8-byte `DRPC!!!1` prefix of drpcmigrate clients: while the
 * bytes match it, more are awaited; a full match is drpc with `skip: 8`
 * (the prefix is stripped). Returns undefined when more bytes are needed.
 */
export function sniffProtocol(head: Uint8Array): { protocol: 'ttrpc' | 'drpc'; skip: number } | undefined {
  if (head.length === 0) return undefined;
  if (head[0] === 0) return { protocol: 'ttrpc', skip: 0 };
  const n = Math.min(head.length, DRPC_MIGRATE_HEADER.length);
  for (let i = 0; i < n; i++) if (head[i] !== DRPC_MIGRATE_HEADER[i]) return { protocol: 'drpc', skip: 0 };
  return n === DRPC_MIGRATE_HEADER.length ? { protocol: 'drpc', skip: n } : undefined;
}

/**
 * CallServer serves a CallRouter on any number of listeners at the call
 * layer: one protocol session per accepted connection. The public Server
 * facade builds on it.
 */
export class CallServer {
  private readonly listeners: Listener[] = [];
  private readonly sessions = new Set<ServerSession>();
  private readonly sniffing = new Set<Conn>();
  private readonly guard: ConnGuard;
  private refused = 0;

  /** constructor binds the router that receives calls; throws RangeError for a bad option. */
  constructor(
    private readonly router: CallRouter,
    private readonly options: CallServerOptions = {},
  ) {
    checkCloseGrace(options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
    const max = options.maxConnections;
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 1)) throw new RangeError('maxConnections must be a positive integer');
    this.guard = new ConnGuard({ idleTimeoutMs: options.idleTimeoutMs, frameTimeoutMs: options.frameTimeoutMs });
  }

  /** listen starts accepting on an address string or a Listener; resolves to the bound address. */
  async listen(target: string | Listener, options?: ListenOptions): Promise<string> {
    const l = await listen(target, options);
    this.listeners.push(l);
    l.onConnection((conn) => this.accept(conn));
    return l.address;
  }

  /** accept serves one already-open connection; returns its session, or undefined while 'auto' waits for the first bytes. */
  accept(conn: Conn): ServerSession | undefined {
    if (this.options.maxConnections !== undefined && this.connections >= this.options.maxConnections) {
      this.refused++;
      conn.destroy();
      return undefined;
    }
    const protocol = this.options.protocol ?? 'ttrpc';
    if (protocol !== 'auto') return this.serve(conn, protocol, conn);
    this.sniffing.add(conn);
    const waiting = sniff(conn, (protocol, replay) => {
      this.sniffing.delete(conn);
      if (protocol) this.serve(replay, protocol, conn);
      else this.guard.forget(conn);
    });
    if (this.sniffing.has(conn)) {
      const undecided: WatchedSession = {
        activeCalls: 0,
        framesReceived: 0,
        get partialFrame() {
          return waiting();
        },
        close: () => this.closeSniffing(conn),
      };
      this.guard.watch(conn, guardedSession(undecided, conn));
    }
    return undefined;
  }

  /** stats counts open connections and those the server closed on its own (refused, idle, stuck frame). */
  get stats(): CallServerStats {
    return { connections: this.connections, refused: this.refused, ...this.guard.stats };
  }

  /** connections is the number of open connections. */
  get connections(): number {
    return this.sessions.size + this.sniffing.size;
  }

  /** close stops accepting and closes every connection (running calls are cancelled). */
  async close(): Promise<void> {
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    this.guard.close();
    for (const s of [...this.sessions]) s.close();
    for (const c of [...this.sniffing]) this.closeSniffing(c);
  }

  private closeSniffing(conn: Conn): void {
    conn.close();
    destroyAfterGrace(conn, this.options.closeGraceMs);
  }

  /** serve runs a protocol session on a connection; `key` is the accepted connection (conn may be its replay after sniffing). */
  private serve(conn: Conn, protocol: 'ttrpc' | 'drpc', key: Conn): ServerSession {
    const done = () => {
      this.sessions.delete(session);
      this.guard.forget(key);
      // A client that never ends its side must not keep the connection (and the process) alive.
      destroyAfterGrace(conn, this.options.closeGraceMs);
    };
    const router = key.peerCertificate === undefined ? this.router : withPeerCertificate(this.router, key.peerCertificate);
    let session: TtrpcServerSession | DrpcServerSession | DrpcMuxServerSession;
    if (protocol === 'ttrpc') session = new TtrpcServerSession(conn, router, this.options.ttrpc, done);
    else if (this.options.multiplex) session = new DrpcMuxServerSession(conn, router, this.options.drpc, done);
    else session = new DrpcServerSession(conn, router, this.options.drpc, done);
    if (!conn.closed) {
      this.sessions.add(session);
      this.guard.watch(key, guardedSession(session, conn));
    }
    return session;
  }
}

/** withPeerCertificate routes a TLS connection's calls, each carrying the client's certificate identity (ServerCall.peerCertificate). */
function withPeerCertificate(router: CallRouter, cert: PeerCertificate): CallRouter {
  return {
    lookup: (service, method, hint) => router.lookup(service, method, hint),
    handle(call: ServerCall) {
      (call as { peerCertificate?: PeerCertificate }).peerCertificate = cert;
      router.handle(call);
    },
  };
}

/**
 * sniff reads a connection's first bytes and hands it over (with those bytes
 * replayed) once sniffProtocol decides; undefined protocol: closed first.
 * Returns a probe telling whether some bytes arrived and more are awaited.
 */
function sniff(conn: Conn, decided: (protocol: 'ttrpc' | 'drpc' | undefined, replay: Conn) => void): () => boolean {
  let head = new Uint8Array(0);
  let target: ConnHandler | undefined;
  const replay: Conn = {
    kind: conn.kind,
    localAddress: conn.localAddress,
    remoteAddress: conn.remoteAddress,
    get closed() {
      return conn.closed;
    },
    start(handler) {
      target = handler;
      if (head.length > 0) handler.onData(head);
    },
    write: (data) => conn.write(data),
    writev: (chunks) => conn.writev(chunks),
    get bufferedWriteBytes() {
      return conn.bufferedWriteBytes;
    },
    pause: () => conn.pause(),
    resume: () => conn.resume(),
    close: () => conn.close(),
    destroy: (error) => conn.destroy(error),
  };
  conn.start({
    onData(chunk) {
      if (target) return target.onData(chunk);
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      const verdict = sniffProtocol(joined);
      head = verdict ? joined.subarray(verdict.skip) : joined;
      if (verdict) decided(verdict.protocol, replay);
    },
    onClose(error) {
      if (target) target.onClose(error);
      else decided(undefined, replay);
    },
    onDrain() {
      target?.onDrain?.();
    },
  });
  return () => target === undefined && head.length > 0;
}
