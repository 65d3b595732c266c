/**
 * PartialBody collects the data of one ttrpc frame that spans chunks, with
 * the memory it holds bounded by the bytes actually received, not by the
 * length the header declared.
 *
 * A piece whose chunk is at most twice its size stays a view of the chunk
 * (the first SMALL_VIEWS pieces whatever their length, then pieces of at
 * least VIEW_MIN bytes, up to MAX_PARTS views). Anything else is copied into
 * a growable buffer of min(bytes still expected, max(2 × its bytes,
 * VIEW_MIN)), grown by doubling; a buffer followed by a view is kept as a
 * part, shrunk to its bytes if mostly empty. Hence
 * `reserved <= 2 * received + PARTIAL_FRAME_SLACK`. The complete body is
 * delivered in an allocation of exactly its length: the growable buffer
 * itself when it holds the whole body (a trickled frame needs no final copy).
 */

/** PARTIAL_FRAME_SLACK is the constant of the bound `reserved <= 2 * received + PARTIAL_FRAME_SLACK`. */
export const PARTIAL_FRAME_SLACK = 4096;

/** MAX_PARTS bounds how many views a partial body keeps; further pieces are copied into the growable buffer. */
const MAX_PARTS = 64;

/** VIEW_MIN is the shortest piece kept as a view once SMALL_VIEWS views are kept, and the smallest buffer. */
const VIEW_MIN = 4096;

/** SMALL_VIEWS is how many pieces of any length may stay views (their chunk at most twice their size). */
const SMALL_VIEWS = 4;

/** uninitialized allocates `n` bytes without zero-filling them (every byte is written before the body is delivered), as a plain Uint8Array. */
function uninitialized(n: number): Uint8Array {
  if (n <= UNPOOLED_MIN) return new Uint8Array(n);
  const b = Buffer.allocUnsafe(n); // above Buffer.poolSize / 2: its own backing store, never a pool slice
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** inPlace tells whether `piece` already lies at `at` in `buffer` (it was read there). */
function inPlace(buffer: Uint8Array, at: number, piece: Uint8Array): boolean {
  return piece.buffer === buffer.buffer && piece.byteOffset === buffer.byteOffset + at;
}

/** UNPOOLED_MIN is the size up to which a body is allocated zero-filled (Buffer.allocUnsafe could hand out a slice of its shared pool). */
const UNPOOLED_MIN = 8192;

/** PartialBody accumulates the pieces of one frame body of a known length. */
export class PartialBody {
  private length = 0;
  // The body so far: parts (chunk views, or earlier buffers) followed by the growable buffer, if any.
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private partsReserved = 0;
  private buffer: Uint8Array | null = null;
  private fill = 0;

  /** received is the number of body bytes collected so far. */
  get received(): number {
    return this.partsBytes + this.fill;
  }

  /** reserved is the memory held: whole backing stores of the views, buffer capacity included. */
  get reserved(): number {
    return this.partsReserved + (this.buffer === null ? 0 : this.buffer.length);
  }

  /** holdsBuffer tells whether bytes of the body were taken (or a buffer for them made). */
  get holdsBuffer(): boolean {
    return this.buffer !== null || this.parts.length !== 0;
  }

  /**
   * direct moves the body into one buffer of its whole length (the bytes so
   * far copied in, once) and returns its unfilled rest, for the transport to
   * read into: pieces that arrive there are then taken without a copy. The
   * memory held becomes the frame's length, whatever was received.
   */
  direct(): Uint8Array {
    let buffer = this.buffer;
    if (buffer === null || buffer.length !== this.length || this.parts.length !== 0) {
      const out = uninitialized(this.length);
      let at = 0;
      for (const part of this.parts) {
        out.set(part, at);
        at += part.length;
      }
      if (buffer !== null) out.set(buffer.subarray(0, this.fill), at);
      this.fill = at + this.fill;
      this.parts = [];
      this.partsBytes = 0;
      this.partsReserved = 0;
      this.buffer = buffer = out;
    }
    return buffer.subarray(this.fill);
  }

  /** start begins a body of `length` bytes (the previous one must be complete). */
  start(length: number): void {
    this.length = length;
  }

  /**
   * add takes the next piece (at most the bytes still missing); returns the
   * complete body when the piece completes it, else undefined. The piece
   * must not be modified afterwards: it may be kept as a view.
   */
  add(piece: Uint8Array): Uint8Array | undefined {
    const k = piece.length;
    if (this.partsBytes + this.fill + k === this.length) return this.finish(piece);
    const buffer = this.buffer;
    const backing = piece.buffer.byteLength;
    const parts = this.parts.length;
    if (buffer !== null && buffer.length - this.fill >= k) {
      if (!inPlace(buffer, this.fill, piece)) buffer.set(piece, this.fill);
      this.fill += k;
    } else if (backing <= 2 * k && (k >= VIEW_MIN || parts < SMALL_VIEWS) && parts < MAX_PARTS) {
      this.seal();
      this.parts.push(piece);
      this.partsBytes += k;
      this.partsReserved += backing;
    } else {
      this.grow(piece);
    }
    return undefined;
  }

  /** finish returns the body completed by `piece` and resets for the next one. */
  private finish(piece: Uint8Array): Uint8Array {
    const buffer = this.buffer;
    let out: Uint8Array;
    if (this.parts.length === 0 && buffer !== null && buffer.length === this.length) {
      out = buffer;
      if (!inPlace(buffer, this.fill, piece)) out.set(piece, this.fill);
    } else {
      out = uninitialized(this.length);
      let at = 0;
      for (const part of this.parts) {
        out.set(part, at);
        at += part.length;
      }
      if (buffer !== null) out.set(buffer.subarray(0, this.fill), at);
      out.set(piece, at + this.fill);
      this.parts = [];
      this.partsBytes = 0;
      this.partsReserved = 0;
    }
    this.buffer = null;
    this.fill = 0;
    return out;
  }

  /** seal ends appending to the growable buffer, keeping its bytes as a part (copied out if it is mostly empty). */
  private seal(): void {
    const buffer = this.buffer;
    if (buffer === null) return;
    const fill = this.fill;
    const kept = buffer.length > 2 * fill ? buffer.slice(0, fill) : buffer.subarray(0, fill);
    this.parts.push(kept);
    this.partsBytes += fill;
    this.partsReserved += kept.buffer.byteLength;
    this.buffer = null;
    this.fill = 0;
  }

  /** grow appends `piece` to the growable buffer, first replacing a full buffer by one of min(bytes expected, max(2 × its bytes, VIEW_MIN)). */
  private grow(piece: Uint8Array): void {
    const fill = this.fill;
    const need = fill + piece.length;
    const buffer = new Uint8Array(Math.min(this.length - this.partsBytes, Math.max(2 * need, VIEW_MIN)));
    if (this.buffer !== null) buffer.set(this.buffer.subarray(0, fill));
    buffer.set(piece, fill);
    this.buffer = buffer;
    this.fill = need;
  }
}
