/**
 * FrameDecoder turns socket chunks of any size into frames.
 *
 * Chunks are queued as they arrive, never concatenated: a frame that lies in
 * one chunk is returned as a view into it (no copy); only a frame that spans
 * chunks is copied, once, when all its bytes are present. The header is
 * checked against the size limit before anything is allocated.
 *
 * Frames alias the pushed chunks, so callers must not reuse a chunk's memory
 * after pushing it (Node's socket buffers are fresh per read).
 */
import {
  DEFAULT_MAX_PACKET_SIZE,
  MAX_FRAME_HEADER_SIZE,
  MIN_FRAME_SIZE,
  type Frame,
  type FrameHeader,
  frameFromHeader,
  newFrameHeader,
  parseFrameHeaderInto,
} from './frame.js';
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

const EMPTY = new Uint8Array(0);

/** FrameDecoderOptions configures a FrameDecoder. */
export interface FrameDecoderOptions {
  /** maxFrameSize is the largest accepted frame data length; default 4 MiB (a frame never exceeds the packet limit). */
  maxFrameSize?: number;
}

/**
 * FrameDecoder is an incremental frame parser. After it has thrown a
 * DrpcProtocolError it stays failed and rethrows that error on every call.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private offset = 0;
  private available = 0;
  private failure: DrpcProtocolError | undefined;
  /** header is the reused parse target; while `spanning`, it holds the header of an incomplete frame that spans chunks. */
  private readonly header: FrameHeader = newFrameHeader();
  private spanning = false;
  private readonly maxFrameSize: number;
  private readonly scratch = new Uint8Array(MAX_FRAME_HEADER_SIZE);

  /** constructor validates the options; throws DrpcProtocolError for a bad limit. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_PACKET_SIZE;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `maxFrameSize ${max}`);
    }
    this.maxFrameSize = max;
  }

  /** buffered is the number of received bytes not yet returned as frames. */
  get buffered(): number {
    return this.available;
  }

  /** push queues a chunk; frames are then taken with next() (or use decode()). */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /**
   * next returns the next complete frame, or undefined when more bytes are
   * needed. Throws DrpcProtocolError for a malformed or oversized header.
   */
  next(): Frame | undefined {
    if (this.failure) throw this.failure;
    try {
      return this.readFrame();
    } catch (err) {
      if (err instanceof DrpcProtocolError) this.failure = err;
      throw err;
    }
  }

  /**
   * decode pushes `chunk` and yields every frame that is now complete, one at
   * a time, so frames before a malformed one are delivered before the error
   * is thrown (as Go handles frames read before the bad one).
   */
  *decode(chunk: Uint8Array): Generator<Frame, void, undefined> {
    this.push(chunk);
    for (let frame = this.next(); frame; frame = this.next()) yield frame;
  }

  private readFrame(): Frame | undefined {
    const header = this.header;
    if (!this.spanning) {
      if (this.available < MIN_FRAME_SIZE) return undefined;
      const chunk = this.chunks[this.head]!;
      const offset = this.offset;
      if (parseFrameHeaderInto(chunk, offset, this.maxFrameSize, header)) {
        const start = offset + header.headerSize;
        const end = start + header.length;
        if (end <= chunk.length) {
          this.skip(end - offset);
          return frameFromHeader(header, chunk.subarray(start, end));
        }
      } else {
        if (chunk.length - offset === this.available) return undefined;
        if (!this.peekHeader()) return undefined;
      }
      // The header is in `header` (parsed in place or across chunks); the
      // data is still incomplete or spans chunks.
      this.spanning = true;
    }
    if (this.available < header.headerSize + header.length) return undefined;
    this.spanning = false;
    this.skip(header.headerSize);
    return frameFromHeader(header, this.take(header.length));
  }

  /** peekHeader parses into `header` a header that may span chunks, copying at most 31 bytes. */
  private peekHeader(): boolean {
    const want = Math.min(MAX_FRAME_HEADER_SIZE, this.available);
    let filled = 0;
    for (let i = this.head, off = this.offset; filled < want; i++, off = 0) {
      const chunk = this.chunks[i]!;
      const n = Math.min(chunk.length - off, want - filled);
      this.scratch.set(chunk.subarray(off, off + n), filled);
      filled += n;
    }
    return parseFrameHeaderInto(this.scratch.subarray(0, filled), 0, this.maxFrameSize, this.header);
  }

  /** take removes `n` buffered bytes: a view when they lie in one chunk, else a copy. */
  private take(n: number): Uint8Array {
    const chunk = this.chunks[this.head];
    if (n === 0 || !chunk) return EMPTY;
    if (chunk.length - this.offset >= n) {
      const view = chunk.subarray(this.offset, this.offset + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const current = this.chunks[this.head]!;
      const m = Math.min(current.length - this.offset, n - filled);
      out.set(current.subarray(this.offset, this.offset + m), filled);
      filled += m;
      this.skip(m);
    }
    return out;
  }

  /** skip drops `n` buffered bytes, releasing finished chunks. */
  private skip(n: number): void {
    this.available -= n;
    this.offset += n;
    while (this.head < this.chunks.length && this.offset >= this.chunks[this.head]!.length) {
      this.offset -= this.chunks[this.head]!.length;
      this.chunks[this.head++] = EMPTY;
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
