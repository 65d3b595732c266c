/**
 * FrameDecoder turns socket chunks of any size into frames.
 *
 * Chunks are queued as they arrive: a frame that lies in one queued chunk is
 * returned as a view into it (no copy); a frame that spans chunks is copied,
 * once, when all its bytes are present. The header is checked against the
 * size limit before anything is allocated.
 *
 * Memory: a chunk is queued as is when fewer than four chunks are queued
 * (the common case: it is decoded right away, perhaps after the rest of a
 * frame from the previous read) or when it is large (≥ 4 KiB) and at most
 * half of its backing store is foreign. Other chunks — a peer trickling
 * bytes — are copied into one growable buffer at the end of the queue.
 * Whenever the decoder may be left waiting (after every push(), and when
 * next() returns undefined) it checks that the memory it holds,
 * `reservedBytes`, is at most 2 × `buffered` + BUFFER_SLACK, and otherwise
 * copies the unread bytes into one fresh buffer; the copying stays linear in
 * the bytes received. A session pauses by not calling next(); if it stops
 * while complete frames are left, trim() restores the bound over what it
 * has not taken (next() works as before afterwards).
 *
 * Frames alias the pushed chunks (or the decoder's own buffers), so callers
 * must not reuse a chunk's memory after pushing it (Node's socket buffers are
 * fresh per read).
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

const EMPTY: Uint8Array = new Uint8Array(0);

/** BUFFER_SLACK is the constant of the memory bound `reservedBytes <= 2 * buffered + BUFFER_SLACK`. */
export const BUFFER_SLACK = 4096;

/** VIEW_MIN is the shortest chunk queued as is behind SMALL_VIEWS or more chunks (shorter ones are copied). */
const VIEW_MIN = 4096;

/** SMALL_VIEWS is how many chunks of any size may be queued as is. */
const SMALL_VIEWS = 4;

/** TAIL_MIN is the smallest capacity of the growable buffer. */
const TAIL_MIN = 256;

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
  /** reserved is the sum of the backing-store sizes of the queued chunks. */
  private reserved = 0;
  /** tail is the decoder's growable buffer behind the last queued chunk (its first tailFill bytes), if that chunk is one. */
  private tail: Uint8Array | null = null;
  private tailFill = 0;
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

  /** reservedBytes is the memory held for the buffered bytes (whole backing stores of queued chunks, buffer capacity included). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** push queues a chunk; frames are then taken with next() (or use decode()). */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    const n = chunk.length;
    if (n === 0) return;
    const tail = this.tail;
    if (tail !== null && tail.length - this.tailFill >= n) {
      tail.set(chunk, this.tailFill);
      this.tailFill += n;
      this.chunks[this.chunks.length - 1] = tail.subarray(0, this.tailFill);
      this.available += n;
      return;
    }
    this.available += n;
    if (this.chunks.length - this.head < SMALL_VIEWS || (n >= VIEW_MIN && chunk.buffer.byteLength <= 2 * n)) {
      this.seal();
      this.chunks.push(chunk);
      this.reserved += chunk.buffer.byteLength;
    } else {
      this.appendToTail(chunk);
    }
    this.bound();
  }

  /**
   * next returns the next complete frame, or undefined when more bytes are
   * needed. Throws DrpcProtocolError for a malformed or oversized header.
   */
  next(): Frame | undefined {
    if (this.failure) throw this.failure;
    try {
      const frame = this.readFrame();
      if (frame === undefined && this.available !== 0) this.bound();
      return frame;
    } catch (err) {
      if (err instanceof DrpcProtocolError) this.failure = err;
      throw err;
    }
  }

  /** trim restores `reservedBytes <= 2 * buffered + BUFFER_SLACK` after frames were taken without next() returning undefined (call it when pausing). */
  trim(): void {
    if (this.available !== 0) this.bound();
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
      const done = this.chunks[this.head]!;
      this.offset -= done.length;
      this.reserved -= done.buffer.byteLength;
      this.chunks[this.head++] = EMPTY;
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      this.tail = null;
      this.reserved = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** unreadOfLast returns the unread bytes of the last queued chunk. */
  private unreadOfLast(): Uint8Array {
    const last = this.chunks.length - 1;
    const chunk = this.chunks[last]!;
    return last === this.head && this.offset !== 0 ? chunk.subarray(this.offset) : chunk;
  }

  /** appendToTail copies `chunk` to the end of the growable buffer, moving the buffer's unread bytes into a larger one when it is full. */
  private appendToTail(chunk: Uint8Array): void {
    let keep = EMPTY;
    if (this.tail !== null) {
      keep = this.unreadOfLast();
      if (this.chunks.length - 1 === this.head) this.offset = 0;
      this.chunks.pop();
      this.reserved -= this.tail.length;
    }
    const need = keep.length + chunk.length;
    const buf = new Uint8Array(this.capacityFor(need));
    buf.set(keep);
    buf.set(chunk, keep.length);
    this.tail = buf;
    this.tailFill = need;
    this.chunks.push(buf.subarray(0, need));
    this.reserved += buf.length;
  }

  /** seal ends appending to the growable buffer (a view is queued after it), shrinking it to its unread bytes if it is mostly empty. */
  private seal(): void {
    const tail = this.tail;
    if (tail === null) return;
    this.tail = null;
    const unread = this.unreadOfLast();
    if (tail.length <= 2 * unread.length) return;
    const last = this.chunks.length - 1;
    if (last === this.head) this.offset = 0;
    this.chunks[last] = unread.slice();
    this.reserved += unread.length - tail.length;
  }

  /** bound copies the unread bytes into one fresh buffer when the memory held exceeds 2 × buffered + BUFFER_SLACK. */
  private bound(): void {
    if (this.reserved <= 2 * this.available + BUFFER_SLACK) return;
    const need = this.available;
    const buf = new Uint8Array(this.capacityFor(need));
    let at = 0;
    for (let i = this.head, off = this.offset; i < this.chunks.length; i++, off = 0) {
      const chunk = this.chunks[i]!;
      buf.set(off === 0 ? chunk : chunk.subarray(off), at);
      at += chunk.length - off;
    }
    this.chunks = [buf.subarray(0, need)];
    this.head = 0;
    this.offset = 0;
    this.tail = buf;
    this.tailFill = need;
    this.reserved = buf.length;
  }

  /**
   * capacityFor sizes a growable buffer for `need` bytes: half as much again
   * (at least TAIL_MIN in all), but no more than the incomplete frame at the
   * head still lacks, so a trickled frame ends in an exactly sized buffer.
   */
  private capacityFor(need: number): number {
    let extra = Math.max(need >> 1, TAIL_MIN - need);
    if (this.spanning) extra = Math.min(extra, Math.max(0, this.header.headerSize + this.header.length - this.available));
    return need + extra;
  }
}
