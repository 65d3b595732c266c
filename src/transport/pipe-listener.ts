import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { Conn, Listener } from './conn.js';
import { dialAborted } from './dial-errors.js';
import { DEFAULT_PIPE_HIGH_WATER_MARK, PipeConn } from './pipe.js';

/** PipeListenerOptions configures an in-memory listener. */
export interface PipeListenerOptions {
  /** name is the pipe name (address `pipe:<name>`); a unique one is generated when absent. */
  name?: string;
  /** highWaterMark is the bytes each end may queue before write() returns false (default 256 KiB). */
  highWaterMark?: number;
}

const registry = new Map<string, PipeListener>();
let anonymous = 0;

/**
 * PipeListener is an in-memory Listener: dial() returns the client end of a
 * fresh pipe and hands the server end to the onConnection callback. Every
 * PipeListener is registered under its name until closed, so `pipe:<name>`
 * can be dialled by string (see findPipeListener).
 */
export class PipeListener implements Listener {
  /** address is `pipe:<name>`. */
  readonly address: string;
  /** name is the registered pipe name. */
  readonly name: string;
  private readonly hwm: number;
  private callback: ((conn: Conn) => void) | undefined;
  private backlog: Conn[] = [];
  private isClosed = false;

  /** constructor registers the listener; throws RpcError UNAVAILABLE when the name is taken. */
  constructor(options: PipeListenerOptions = {}) {
    let name = options.name;
    if (name === undefined) {
      do name = `anonymous-${++anonymous}`;
      while (registry.has(name));
    } else if (name === '') {
      throw new RpcError(Code.INVALID_ARGUMENT, 'empty pipe name');
    } else if (registry.has(name)) {
      throw new RpcError(Code.UNAVAILABLE, `listen pipe:${name}: address already in use`);
    }
    this.name = name;
    this.address = `pipe:${name}`;
    this.hwm = options.highWaterMark ?? DEFAULT_PIPE_HIGH_WATER_MARK;
    registry.set(name, this);
  }

  /** closed is true once close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** onConnection sets the callback for accepted connections; connections dialled before it are handed over now. */
  onConnection(cb: (conn: Conn) => void): void {
    this.callback = cb;
    const waiting = this.backlog;
    this.backlog = [];
    for (const c of waiting) cb(c);
  }

  /** dial connects a new pipe; rejects with RpcError UNAVAILABLE once the listener is closed. */
  dial(options: { signal?: AbortSignal } = {}): Promise<Conn> {
    if (this.isClosed) return Promise.reject(new RpcError(Code.UNAVAILABLE, `dial ${this.address}: listener is closed`));
    if (options.signal?.aborted) return Promise.reject(dialAborted(this.address, options.signal.reason));
    const [client, server] = PipeConn.pair(this.address, this.hwm);
    // The server end is handed over on a later turn, as a socket accept would be.
    setImmediate(() => this.accept(server));
    return Promise.resolve(client);
  }

  /** close stops accepting and unregisters the name; open connections are left alone. */
  close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      if (registry.get(this.name) === this) registry.delete(this.name);
      // Connections nobody accepted are reset, as a socket backlog would be.
      for (const c of this.backlog) c.destroy();
      this.backlog = [];
    }
    return Promise.resolve();
  }

  private accept(server: PipeConn): void {
    if (this.callback !== undefined) this.callback(server);
    else if (this.isClosed) server.destroy();
    else this.backlog.push(server);
  }
}

/** findPipeListener returns the open PipeListener registered under a name, if any. */
export function findPipeListener(name: string): PipeListener | undefined {
  return registry.get(name);
}
