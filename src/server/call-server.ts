import type { CallRouter } from '../call/call.js';
import { TtrpcServerSession } from '../protocol/ttrpc/server-session.js';
import type { TtrpcSessionOptions } from '../protocol/ttrpc/options.js';
import type { Conn, Listener } from '../transport/conn.js';
import { listen } from '../transport/dial.js';

/** CallServerOptions configure a CallServer. */
export interface CallServerOptions {
  /** ttrpc holds the per-connection session options. */
  ttrpc?: TtrpcSessionOptions;
}

/**
 * CallServer serves a CallRouter on any number of listeners at the call
 * layer: one protocol session per accepted connection. The public Server
 * facade builds on it.
 */
export class CallServer {
  private readonly listeners: Listener[] = [];
  private readonly sessions = new Set<TtrpcServerSession>();

  /** constructor binds the router that receives calls. */
  constructor(
    private readonly router: CallRouter,
    private readonly options: CallServerOptions = {},
  ) {}

  /** listen starts accepting on an address string or a Listener; resolves to the bound address. */
  async listen(target: string | Listener): Promise<string> {
    const l = await listen(target);
    this.listeners.push(l);
    l.onConnection((conn) => this.accept(conn));
    return l.address;
  }

  /** accept serves one already-open connection and returns its session. */
  accept(conn: Conn): TtrpcServerSession {
    const session: TtrpcServerSession = new TtrpcServerSession(conn, this.router, this.options.ttrpc, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }

  /** connections is the number of open connections. */
  get connections(): number {
    return this.sessions.size;
  }

  /** close stops accepting and closes every connection (running calls are cancelled). */
  async close(): Promise<void> {
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    for (const s of [...this.sessions]) s.close();
  }
}
