import { Code } from '../../status/code.js';
import { type Frame, HEADER_LENGTH, MAX_MESSAGE_LENGTH, readHeaderLength, readHeaderStreamId } from './frame.js';
import { PartialBody } from './frame-body.js';
import { ProtocolError } from './protocol-error.js';

/** PARTIAL_FRAME_SLACK is the constant of the bound `reservedBytes <= 2 * bufferedBytes + PARTIAL_FRAME_SLACK`. */
export { PARTIAL_FRAME_SLACK } from './frame-body.js';

/** OversizeInfo describes a frame whose length exceeded the limit; its data was skipped. */
export interface OversizeInfo {
  /** streamId is the stream the oversize frame belongs to. */
  streamId: number;
  /** type is the raw message type byte of the frame. */
  type: number;
  /** flags is the raw flag byte of the frame. */
  flags: number;
  /** length is the data length the header claimed. */
  length: number;
}

/** FrameDecoderOptions configures a FrameDecoder. */
export interface FrameDecoderOptions {
  /** onFrame receives every complete frame within the limit, in wire order. */
  onFrame: (frame: Frame) => void;
  /** onOversize is told about each frame longer than the limit (its data is skipped). */
  onOversize?: (info: OversizeInfo) => void;
  /** maxMessageLength is the largest accepted data length; default MAX_MESSAGE_LENGTH (4 MiB). */
  maxMessageLength?: number;
}

const READ_HEADER = 0;
const READ_BODY = 1;
const SKIP_BODY = 2;

const EMPTY: Uint8Array = new Uint8Array(0);

/** READ_TARGET_MIN is the smallest rest of a body readTarget offers for reading in place. */
const READ_TARGET_MIN = 32 * 1024;

/**
 * FrameDecoder reassembles ttrpc frames from arbitrary chunks of a byte stream.
 *
 * States: READ_HEADER → (length ≤ max) READ_BODY → READ_HEADER, or
 * READ_HEADER → (length > max) SKIP_BODY → READ_HEADER.
 *
 * - The length is checked on the header before anything is allocated; an
 *   oversize frame is reported through `onOversize` and exactly `length` bytes
 *   are then dropped as they arrive, so the stream stays in sync.
 * - A frame lying inside one chunk is delivered as a zero-copy view of that
 *   chunk (so pushed chunks must not be modified afterwards).
 * - A frame spanning chunks is delivered in an allocation of exactly its
 *   length, collected by a PartialBody (frame-body.ts): large pieces stay
 *   views, small ones are copied into a buffer grown by doubling, so the
 *   memory held for a partial frame (`reservedBytes`) never exceeds
 *   2 × `bufferedBytes` + PARTIAL_FRAME_SLACK, whatever length its header
 *   declared.
 * - `pause()` stops decoding right after the current frame; the undecoded
 *   rest of the chunk and every chunk pushed meanwhile are kept as they are
 *   (`pendingBytes`) until `resume()` decodes them. Pausing never changes
 *   which frames come out, or their order.
 *
 * Callbacks run synchronously inside `push`/`resume`, after the decoder state
 * has been advanced past the frame. A `push` from inside a callback is
 * queued behind the bytes not yet decoded. If a callback throws, the
 * exception propagates and the rest of that chunk is not decoded — the
 * connection should then be closed.
 */
export class FrameDecoder {
  /** maxMessageLength is the data length above which a frame counts as oversize. */
  readonly maxMessageLength: number;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onOversize: ((info: OversizeInfo) => void) | undefined;
  private state = READ_HEADER;
  private readonly header = new Uint8Array(HEADER_LENGTH);
  private headerFill = 0;
  private streamId = 0;
  private type = 0;
  private flags = 0;
  private length = 0;
  private readonly body = new PartialBody();
  private skipRemaining = 0;
  // Pause state: chunks (or the rest of one) pushed but not decoded yet, oldest first from pendingHead.
  private isPaused = false;
  private decoding = false;
  private pending: Uint8Array[] = [];
  private pendingHead = 0;
  private pendingTotal = 0;

  /** constructor validates the options; throws ProtocolError INVALID_ARGUMENT for a bad limit. */
  constructor(options: FrameDecoderOptions) {
    const max = options.maxMessageLength ?? MAX_MESSAGE_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new ProtocolError(Code.INVALID_ARGUMENT, `ttrpc: bad maxMessageLength ${max}`);
    }
    this.maxMessageLength = max;
    this.onFrame = options.onFrame;
    this.onOversize = options.onOversize;
  }

  /** bufferedBytes is the number of received bytes held for a frame not yet complete. */
  get bufferedBytes(): number {
    return this.headerFill + this.body.received;
  }

  /** reservedBytes is the memory held for the partial frame, buffer capacity and whole chunks behind views included (at most 2 × bufferedBytes + PARTIAL_FRAME_SLACK). */
  get reservedBytes(): number {
    return this.headerFill + this.body.reserved;
  }

  /** hasPartialFrame tells whether the decoder is inside a frame: part of a header, a body or a skipped oversize body was received. */
  get hasPartialFrame(): boolean {
    return this.state !== READ_HEADER || this.headerFill !== 0;
  }

  /** atFrameBoundary tells whether the bytes pushed so far end exactly at a frame boundary (nothing partial, nothing pending). */
  get atFrameBoundary(): boolean {
    return this.state === READ_HEADER && this.headerFill === 0 && this.pendingTotal === 0;
  }

  /** paused tells whether decoding is paused (see pause()). */
  get paused(): boolean {
    return this.isPaused;
  }

  /** pendingBytes is the number of bytes pushed but not decoded yet (held while paused). */
  get pendingBytes(): number {
    return this.pendingTotal;
  }

  /**
   * readTarget names where the next bytes of the stream should land when the
   * transport can read in place: the unfilled rest of the body being
   * received, if it is at least READ_TARGET_MIN bytes and nothing waits to
   * be decoded. The body then takes its whole length at once (the bound on
   * reservedBytes no longer holds for it). Undefined otherwise.
   */
  readTarget(): Uint8Array | undefined {
    if (this.state !== READ_BODY || this.isPaused || this.decoding || this.pendingTotal !== 0) return undefined;
    if (this.length - this.body.received < READ_TARGET_MIN) return undefined;
    return this.body.direct();
  }

  /** pause stops decoding after the frame being delivered (callable from a callback or at any time); idempotent. */
  pause(): void {
    this.isPaused = true;
  }

  /**
   * resume decodes the pending bytes synchronously (delivering their frames)
   * until they are used up or pause() is called again; idempotent. Called
   * from inside a callback it only lifts the pause: the running decode goes on.
   */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.drain();
  }

  /**
   * push feeds the next chunk of the byte stream; complete frames are
   * delivered before it returns, unless decoding is paused (the chunk is then
   * kept as is). Frame data are views of the chunk, taken as plain
   * Uint8Arrays: a Buffer's subarray() costs several times more.
   */
  push(input: Uint8Array): void {
    if (input.length === 0) return;
    const chunk = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (this.isPaused || this.decoding || this.pendingTotal !== 0) {
      this.pending.push(chunk);
      this.pendingTotal += chunk.length;
      if (!this.isPaused) this.drain(); // bytes left by a callback that threw: decode them in order
      return;
    }
    this.decoding = true;
    let stop: number;
    try {
      stop = this.decode(chunk);
    } finally {
      this.decoding = false;
    }
    if (stop < chunk.length) this.unshiftPending(chunk.subarray(stop));
    else if (this.pendingTotal !== 0 && !this.isPaused) this.drain();
  }

  /** drain decodes pending chunks in order until none is left or decoding is paused. */
  private drain(): void {
    if (this.decoding) return;
    this.decoding = true;
    try {
      while (!this.isPaused && this.pendingHead < this.pending.length) {
        const chunk = this.pending[this.pendingHead]!;
        this.pending[this.pendingHead++] = EMPTY;
        this.pendingTotal -= chunk.length;
        const stop = this.decode(chunk);
        if (stop < chunk.length) this.unshiftPending(chunk.subarray(stop));
      }
    } finally {
      this.decoding = false;
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
      }
    }
  }

  /** unshiftPending puts the undecoded rest of a chunk in front of the pending chunks. */
  private unshiftPending(rest: Uint8Array): void {
    if (this.pendingHead > 0) this.pending[--this.pendingHead] = rest;
    else this.pending.unshift(rest);
    this.pendingTotal += rest.length;
  }

  /** decode runs the state machine over `chunk` and returns where it stopped: the chunk's length, or earlier when paused. */
  private decode(chunk: Uint8Array): number {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.isPaused) return pos;
      if (this.state === READ_HEADER) {
        let src = chunk;
        let at = pos;
        if (this.headerFill === 0 && n - pos >= HEADER_LENGTH) {
          pos += HEADER_LENGTH;
        } else {
          const k = Math.min(HEADER_LENGTH - this.headerFill, n - pos);
          this.header.set(chunk.subarray(pos, pos + k), this.headerFill);
          this.headerFill += k;
          pos += k;
          if (this.headerFill < HEADER_LENGTH) return pos;
          this.headerFill = 0;
          src = this.header;
          at = 0;
        }
        this.startFrame(src, at);
      } else if (this.state === READ_BODY) {
        pos = this.readBody(chunk, pos);
      } else {
        const k = Math.min(this.skipRemaining, n - pos);
        pos += k;
        this.skipRemaining -= k;
        if (this.skipRemaining === 0) this.state = READ_HEADER;
      }
    }
    return pos;
  }

  private startFrame(src: Uint8Array, at: number): void {
    const length = readHeaderLength(src, at);
    const streamId = readHeaderStreamId(src, at);
    const type = src[at + 8];
    const flags = src[at + 9];
    if (length > this.maxMessageLength) {
      this.state = SKIP_BODY;
      this.skipRemaining = length;
      this.onOversize?.({ streamId, type, flags, length });
      return;
    }
    if (length === 0) {
      this.onFrame({ streamId, type, flags, data: EMPTY });
      return;
    }
    this.streamId = streamId;
    this.type = type;
    this.flags = flags;
    this.length = length;
    this.body.start(length);
    this.state = READ_BODY;
  }

  private readBody(chunk: Uint8Array, pos: number): number {
    const avail = chunk.length - pos;
    const length = this.length;
    const have = this.body.received;
    if (have === 0 && avail >= length && !this.body.holdsBuffer) {
      this.state = READ_HEADER;
      this.emit(chunk.subarray(pos, pos + length));
      return pos + length;
    }
    const k = Math.min(length - have, avail);
    const done = this.body.add(pos === 0 && k === chunk.length ? chunk : chunk.subarray(pos, pos + k));
    if (done !== undefined) {
      this.state = READ_HEADER;
      this.emit(done);
    }
    return pos + k;
  }

  private emit(data: Uint8Array): void {
    this.onFrame({ streamId: this.streamId, type: this.type, flags: this.flags, data });
  }
}
