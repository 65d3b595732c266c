import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { Conn, ConnHandler } from './conn.js';

/** DEFAULT_PIPE_HIGH_WATER_MARK is the bytes a pipe end may queue before write() returns false. */
export const DEFAULT_PIPE_HIGH_WATER_MARK = 256 * 1024;

// Delivery merges runs of chunks smaller than COALESCE_CHUNK into one chunk of
// at most about COALESCE_MAX bytes, as a socket read would; larger chunks pass
// through untouched (no copy). Measured with a length-prefixed frame decoder
// reading frames written as header + payload: merging delivers 30-50% more
// frames per second than handing each small chunk over on its own.
const COALESCE_CHUNK = 16 * 1024;
const COALESCE_MAX = 64 * 1024;

/**
 * PipeConn is one end of an in-memory pipe. It behaves like a socket for
 * everything above it:
 *
 * - Delivery is asynchronous. A write appends the chunk to the peer's inbound
 *   queue and schedules one delivery on a later event-loop turn
 *   (setImmediate), so a write never re-enters the writer, and all chunks
 *   written in one turn reach the peer in one delivery. setImmediate rather
 *   than a microtask: a microtask round trip is faster (about 0.5 us against
 *   2 us) but two ends echoing to each other through microtasks never yield
 *   to the event loop and starve sockets and timers; setImmediate batches a
 *   whole turn's writes and keeps the loop fair.
 * - Ownership: write() and writev() take ownership of the chunks, exactly as a
 *   Node socket holds on to written buffers. The writer must not modify a
 *   chunk after writing it: nothing is copied on write (copying measured 10x
 *   slower for 16 KiB bulk chunks and 20-40% slower for 40-byte messages).
 *   Small chunks are merged into a fresh buffer on delivery; the reader owns
 *   what it receives.
 * - Backpressure: write() returns false once the bytes queued for the peer
 *   reach the high-water mark; onDrain fires when the peer has consumed them.
 *   A peer that has not called start() consumes nothing.
 * - close() flushes, then ends; the peer ends in turn when it sees the end,
 *   and both sides get onClose(). destroy(err) drops queued bytes in both
 *   directions: the peer gets onClose(), this side onClose(err).
 * - A handler that throws from onData or onDrain destroys the connection with
 *   that error, as SocketConn does.
 */
export class PipeConn implements Conn {
  /** kind is always 'pipe'. */
  readonly kind = 'pipe' as const;
  /** localAddress is the pipe's listener address. */
  readonly localAddress: string;
  /** remoteAddress is the pipe's listener address. */
  readonly remoteAddress: string;
  private peer!: PipeConn;
  private readonly hwm: number;
  private handler: ConnHandler | undefined;
  private inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private peerEnded = false;
  private peerDestroyed = false;
  private ending = false;
  private isClosed = false;
  private notified = false;
  private closeError: Error | undefined;
  private scheduled = false;
  private needDrain = false;
  private readPaused = false;
  private readonly flushCb = (): void => this.flush();

  private constructor(address: string, highWaterMark: number) {
    this.localAddress = address;
    this.remoteAddress = address;
    this.hwm = highWaterMark;
  }

  /** pair creates two connected ends (client, server) named by a pipe address. */
  static pair(address: string, highWaterMark = DEFAULT_PIPE_HIGH_WATER_MARK): [PipeConn, PipeConn] {
    const a = new PipeConn(address, highWaterMark);
    const b = new PipeConn(address, highWaterMark);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** closed is true once the connection is gone. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** start sets the handler and begins delivery on a later turn; throws FAILED_PRECONDITION when called twice. */
  start(handler: ConnHandler): void {
    if (this.handler !== undefined) throw new RpcError(Code.FAILED_PRECONDITION, 'connection already started');
    this.handler = handler;
    this.schedule();
  }

  /** write queues a chunk for the peer (ownership passes to the pipe); false means wait for onDrain. */
  write(data: Uint8Array): boolean {
    if (this.ending || this.isClosed || this.peerDestroyed) return false;
    const p = this.peer;
    if (data.byteLength > 0) {
      p.inbound.push(data);
      p.inboundBytes += data.byteLength;
      p.schedule();
    }
    if (p.inboundBytes < this.hwm) return true;
    this.needDrain = true;
    return false;
  }

  /** writev queues several chunks (ownership passes to the pipe); false means wait for onDrain. */
  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.ending || this.isClosed || this.peerDestroyed) return false;
    const p = this.peer;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.byteLength === 0) continue;
      p.inbound.push(c);
      p.inboundBytes += c.byteLength;
    }
    p.schedule();
    if (p.inboundBytes < this.hwm) return true;
    this.needDrain = true;
    return false;
  }

  /** bufferedWriteBytes is what the peer has not consumed yet of this end's writes. */
  get bufferedWriteBytes(): number {
    return this.peer.inboundBytes;
  }

  /** pause stops delivery: written bytes wait in the pipe and the writer meets its high-water mark. */
  pause(): void {
    this.readPaused = true;
  }

  /** resume delivers again after pause(). */
  resume(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    this.schedule();
  }

  /** close ends this direction after queued bytes; the connection closes once the peer ends too. */
  close(): void {
    if (this.ending || this.isClosed || this.peerDestroyed) return;
    this.sendEnd();
  }

  /** destroy closes both directions at once, dropping queued bytes. */
  destroy(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeError = error;
    this.inbound = [];
    this.inboundBytes = 0;
    const p = this.peer;
    if (!p.isClosed) {
      p.peerDestroyed = true;
      p.inbound = [];
      p.inboundBytes = 0;
      p.schedule();
    }
    this.schedule();
  }

  private sendEnd(): void {
    this.ending = true;
    this.peer.peerEnded = true;
    this.peer.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.handler === undefined || this.notified) return;
    this.scheduled = true;
    setImmediate(this.flushCb);
  }

  private flush(): void {
    this.scheduled = false;
    const h = this.handler!;
    if (this.isClosed) return this.notifyClose();
    if (this.peerDestroyed) {
      this.isClosed = true;
      return this.notifyClose();
    }
    this.drainIfEmpty();
    if (this.readPaused) return;
    if (this.inbound.length > 0) {
      const batch = this.inbound;
      this.inbound = [];
      this.inboundBytes = 0;
      if (!this.deliver(h, batch)) return;
      this.peer.drainIfEmpty();
    }
    if (this.peerEnded && this.inbound.length === 0 && !this.isClosed && !this.peerDestroyed) {
      if (!this.ending) this.sendEnd();
      this.isClosed = true;
      this.notifyClose();
    }
  }

  // deliver hands a batch to the handler; false when the connection was torn down or paused meanwhile.
  private deliver(h: ConnHandler, batch: Uint8Array[]): boolean {
    const n = batch.length;
    let i = 0;
    while (i < n) {
      let chunk = batch[i]!;
      if (chunk.byteLength < COALESCE_CHUNK && i + 1 < n && batch[i + 1]!.byteLength < COALESCE_CHUNK) {
        let j = i;
        let total = 0;
        while (j < n && total < COALESCE_MAX && batch[j]!.byteLength < COALESCE_CHUNK) total += batch[j++]!.byteLength;
        chunk = Buffer.allocUnsafe(total);
        for (let off = 0; i < j; i++) {
          chunk.set(batch[i]!, off);
          off += batch[i]!.byteLength;
        }
      } else {
        i++;
      }
      try {
        h.onData(chunk);
      } catch (err) {
        this.destroy(asError(err));
      }
      if (this.isClosed || this.peerDestroyed) return false;
      if (this.readPaused && i < n) {
        // Paused by the handler: the rest of the batch waits, in order, ahead of anything written since.
        const rest = batch.slice(i);
        let bytes = 0;
        for (const c of rest) bytes += c.byteLength;
        this.inbound = rest.concat(this.inbound);
        this.inboundBytes += bytes;
        return false;
      }
    }
    return true;
  }

  private drainIfEmpty(): void {
    if (!this.needDrain || this.isClosed || this.handler === undefined || this.peer.inboundBytes > 0) return;
    this.needDrain = false;
    try {
      this.handler.onDrain?.();
    } catch (err) {
      this.destroy(asError(err));
    }
  }

  private notifyClose(): void {
    if (this.notified || this.handler === undefined) return;
    this.notified = true;
    this.inbound = [];
    this.handler.onClose(this.closeError);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
