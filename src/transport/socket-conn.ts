import type { Socket } from 'node:net';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import { formatAddress } from './address.js';
import type { Conn, ConnHandler, PeerCertificate } from './conn.js';
import type { SocketReads } from './socket-reads.js';

// writev either copies the chunks into one buffer and writes that, or writes
// them corked so that they reach the socket as one writev system call. Measured
// on a unix socket (64 MiB through writev of n chunks): corking wins from about
// 200-byte chunks up (4 x 1 KiB: +40-80%, 16 x 16 KiB: +25-60%), while copying
// wins for many tiny chunks (32 x 20 B: +20-45%, 64 x 100 B: +25%), where the
// per-chunk cost of a stream write dominates. So: copy when the average chunk
// is at most WRITEV_SMALL_AVG bytes and the total at most WRITEV_CONCAT_MAX.
const WRITEV_SMALL_AVG = 128;
const WRITEV_CONCAT_MAX = 64 * 1024;
// WRITEV_HOLD_MIN is the chunk size from which writev reports bytes still held by the socket (see writev).
const WRITEV_HOLD_MIN = 16 * 1024;
// COMPACT_MIN is how many spent whenWritten watches may stay at the head of their lists before they are dropped.
const COMPACT_MIN = 256;
// WRITE_SLICE is the largest single write a large writev chunk is cut into (views of it, not copies).
const WRITE_SLICE = 256 * 1024;

/**
 * SocketConn is a Conn over a connected node:net socket (TCP or unix). Data is
 * read only after start(), so bytes that arrive earlier wait in the socket.
 * Socket errors (ECONNRESET, EPIPE…) never escape as uncaught exceptions: the
 * first one is reported through onClose(error), which runs exactly once. A
 * handler that throws from onData or onDrain destroys the connection with
 * that error. Written chunks are held by the socket until sent: the writer
 * hands over ownership and must not modify them afterwards.
 */
export class SocketConn implements Conn {
  /** kind is 'tcp' or 'unix'. */
  readonly kind: 'tcp' | 'unix';
  /** localAddress is this end's address (an unnamed unix end is `unix:`). */
  readonly localAddress: string;
  /** remoteAddress is the peer's address (an unnamed unix peer is `unix:`). */
  readonly remoteAddress: string;
  /** peerCertificate is a TLS peer's certificate identity (undefined without TLS). */
  readonly peerCertificate: PeerCertificate | undefined;
  private readonly socket: Socket;
  private handler: ConnHandler | undefined;
  private error: Error | undefined;
  private destroyed = false;
  private destroyError: Error | undefined;
  private ending = false;
  private socketClosed = false;
  private notified = false;
  private readPaused = false;
  // Set when writev returned false only because the socket still holds part of its chunks (not over the high-water mark): onDrain is owed once it has taken them.
  private drainOwed = false;
  // A whenBelow() watch: its threshold and callback (checked as writes complete).
  private below = 0;
  private belowCb: (() => void) | undefined = undefined;
  // Bytes ever passed to socket.write (what the kernel took is this minus writableLength).
  private handedBytes = 0;
  // whenWritten() watches, oldest first from `watchHead`: the handed byte count each waits for, and its callback.
  private watchMarks: number[] = [];
  private watchCbs: Array<(() => void) | undefined> = [];
  private watchHead = 0;
  // afterWrite runs as every write completes (Node calls a write's callback on a later tick even when it finished at once).
  private readonly afterWrite = (err?: Error | null): void => {
    const held = this.socket.writableLength;
    if (this.watchHead < this.watchMarks.length) this.runWatches(err ? -1 : this.handedBytes - held);
    if (this.belowCb !== undefined && held < this.below) {
      const cb = this.belowCb;
      this.belowCb = undefined;
      if (!this.destroyed) cb();
    }
    if (!this.drainOwed || held !== 0) return;
    this.drainOwed = false;
    this.emitDrain();
  };

  /** constructor wraps a connected socket; the socket must not be read by anyone else. `reads` is the socket's onread state when it was created with one. */
  constructor(
    socket: Socket,
    kind: 'tcp' | 'unix',
    localAddress: string,
    remoteAddress: string,
    peerCertificate?: PeerCertificate,
    private readonly reads?: SocketReads,
  ) {
    this.socket = socket;
    this.peerCertificate = peerCertificate;
    this.kind = kind;
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
    if (kind === 'tcp') socket.setNoDelay(true);
    socket.on('error', (err: Error) => {
      this.error ??= err;
    });
    socket.once('close', () => {
      this.socketClosed = true;
      this.notifyClose();
    });
  }

  /** readInPlaceBytes counts the bytes read straight into buffers the handler named (ConnHandler.readTarget). */
  get readInPlaceBytes(): number {
    return this.reads?.directBytes ?? 0;
  }

  /** closed is true once the connection is gone (or destroy() was called). */
  get closed(): boolean {
    return this.socketClosed || this.destroyed;
  }

  /** start sets the handler and begins reading; throws FAILED_PRECONDITION when called twice. */
  start(handler: ConnHandler): void {
    if (this.handler !== undefined) throw new RpcError(Code.FAILED_PRECONDITION, 'connection already started');
    this.handler = handler;
    const s = this.socket;
    if (this.socketClosed) {
      setImmediate(() => this.notifyClose());
      return;
    }
    const onData = (chunk: Uint8Array): void => {
      try {
        handler.onData(chunk);
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    };
    if (this.reads !== undefined) this.reads.bind(onData, handler.readTarget === undefined ? undefined : () => (this.destroyed ? undefined : handler.readTarget!()));
    else s.on('data', onData);
    s.on('drain', () => {
      this.drainOwed = false;
      this.emitDrain();
    });
    if (!this.readPaused) s.resume();
  }

  private emitDrain(): void {
    const handler = this.handler;
    if (this.destroyed || handler?.onDrain === undefined) return;
    try {
      handler.onDrain();
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** write queues a chunk (ownership passes to the socket); false means wait for onDrain. */
  write(data: Uint8Array): boolean {
    if (this.ending || this.destroyed || this.socketClosed) return false;
    this.handedBytes += data.byteLength;
    return this.socket.write(data, this.afterWrite) && !this.drainOwed;
  }

  /** whenWritten runs `cb` once, on a later tick, when the kernel has taken every byte written before the call (not at all once destroyed); watches run in the order they were set. */
  whenWritten(cb: () => void): void {
    if (this.destroyed || this.socketClosed) return;
    this.watchMarks.push(this.handedBytes);
    this.watchCbs.push(cb);
    if (this.socket.writableLength === 0) process.nextTick(this.afterWrite);
  }

  // runWatches calls the watches whose bytes are all taken (`taken` bytes so far), in order.
  private runWatches(taken: number): void {
    const marks = this.watchMarks;
    const cbs = this.watchCbs;
    while (this.watchHead < marks.length && marks[this.watchHead]! <= taken) {
      const cb = cbs[this.watchHead]!;
      cbs[this.watchHead++] = undefined;
      if (this.destroyed) break;
      cb();
    }
    // A failed write or a destroyed socket: the watches never run (the connection's close reports the loss).
    if (this.watchHead === marks.length || this.destroyed || taken < 0) {
      this.watchMarks = [];
      this.watchCbs = [];
      this.watchHead = 0;
    } else if (this.watchHead >= COMPACT_MIN && this.watchHead * 2 >= marks.length) {
      // A connection that always has a watch pending never empties its lists: drop the spent head now and then.
      marks.splice(0, this.watchHead);
      cbs.splice(0, this.watchHead);
      this.watchHead = 0;
    }
  }

  /** whenBelow runs `cb` once, on a later tick, when the socket holds fewer than `bytes` written bytes (not at all once destroyed). */
  whenBelow(bytes: number, cb: () => void): void {
    this.below = bytes;
    this.belowCb = cb;
    if (this.socket.writableLength < bytes) process.nextTick(this.afterWrite);
  }

  /**
   * writev queues several chunks as one write; false means wait for onDrain.
   * Chunks of at least WRITEV_HOLD_MIN bytes are taken as they are (no copy)
   * and are the writer's to reuse only once the socket has sent them: when
   * such a writev leaves bytes in the socket it returns false even under the
   * high-water mark, and onDrain follows once the socket holds nothing.
   */
  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.ending || this.destroyed || this.socketClosed) return false;
    const n = chunks.length;
    if (n === 1) return this.write(chunks[0]!);
    let total = 0;
    for (let i = 0; i < n; i++) total += chunks[i]!.byteLength;
    if (total === 0) return !this.socket.writableNeedDrain;
    if (total <= WRITEV_CONCAT_MAX && total <= n * WRITEV_SMALL_AVG) {
      const buf = Buffer.allocUnsafe(total);
      for (let i = 0, off = 0; i < n; i++) {
        buf.set(chunks[i]!, off);
        off += chunks[i]!.byteLength;
      }
      return this.write(buf);
    }
    const s = this.socket;
    const after = this.afterWrite;
    let large = false;
    let ok = true;
    this.handedBytes += total;
    s.cork();
    for (let i = 0; i < n; i++) {
      const c = chunks[i]!;
      if (c.byteLength < WRITEV_HOLD_MIN) {
        ok = s.write(c, after);
        continue;
      }
      // A large chunk: its first slice joins the corked writev, the rest go as slice-sized writes (views, no
      // copy) that complete one by one, so bufferedWriteBytes and whenBelow follow the peer's progress.
      large = true;
      const len = c.byteLength;
      ok = s.write(len <= WRITE_SLICE ? c : c.subarray(0, WRITE_SLICE), after);
      if (len <= WRITE_SLICE) continue;
      s.uncork();
      for (let at = WRITE_SLICE; at < len; at += WRITE_SLICE) ok = s.write(c.subarray(at, Math.min(len, at + WRITE_SLICE)), after);
      s.cork();
    }
    s.uncork();
    if (ok && (large || this.drainOwed) && s.writableLength !== 0) {
      this.drainOwed = true;
      return false;
    }
    return ok;
  }

  /** bufferedWriteBytes is what the socket holds that the kernel has not taken yet. */
  get bufferedWriteBytes(): number {
    return this.socket.writableLength;
  }

  /** pause stops reading the socket: the kernel's receive buffer fills and the peer's writes block. */
  pause(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    if (this.handler !== undefined) this.socket.pause();
  }

  /** resume reads the socket again after pause(). */
  resume(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    if (this.handler !== undefined && !this.socketClosed) this.socket.resume();
  }

  /** close flushes queued writes, then ends; the connection closes once the peer ends too. */
  close(): void {
    if (this.ending || this.destroyed || this.socketClosed) return;
    this.ending = true;
    this.socket.end();
  }

  /** destroy closes at once, dropping queued writes; onClose later receives `error`. */
  destroy(error?: Error): void {
    if (this.destroyed || this.socketClosed) return;
    this.destroyed = true;
    this.destroyError = error;
    this.socket.destroy();
  }

  private notifyClose(): void {
    if (this.notified || this.handler === undefined || !this.socketClosed) return;
    this.notified = true;
    this.handler.onClose(this.destroyed ? this.destroyError : this.error);
  }
}

/** tcpConnAddresses returns [local, remote] addresses of a connected TCP socket (tls://… for a TLS one). */
export function tcpConnAddresses(s: Socket, kind: 'tcp' | 'tls' = 'tcp'): [string, string] {
  return [
    formatAddress({ kind, host: s.localAddress ?? 'unknown', port: s.localPort ?? 0 }),
    formatAddress({ kind, host: s.remoteAddress ?? 'unknown', port: s.remotePort ?? 0 }),
  ];
}
