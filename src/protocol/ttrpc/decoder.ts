import { Code } from '../../status/code.js';
import { type Frame, HEADER_LENGTH, MAX_MESSAGE_LENGTH, readHeaderLength, readHeaderStreamId } from './frame.js';
import { ProtocolError } from './protocol-error.js';

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

/**
 * MAX_PARTS bounds how many chunk views a partial body may span before it is
 * assembled in its final allocation; a peer trickling bytes in tiny reads
 * therefore cannot make the decoder hold an unbounded number of objects.
 */
const MAX_PARTS = 64;

const EMPTY: Uint8Array = new Uint8Array(0);

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
 *   chunk (so pushed chunks must not be modified afterwards); a frame spanning
 *   chunks is copied once into an allocation of exactly its length.
 * - Buffered bytes never exceed one maximum frame plus one header.
 *
 * Callbacks run synchronously inside `push`, after the decoder state has been
 * advanced past the frame; they must not call `push` re-entrantly. If a
 * callback throws, the exception propagates and the rest of that chunk is not
 * decoded — the connection should then be closed.
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
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private skipRemaining = 0;

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
    return this.headerFill + this.partsBytes + this.bodyFill;
  }

  /** atFrameBoundary tells whether the bytes pushed so far end exactly at a frame boundary (nothing partial pending). */
  get atFrameBoundary(): boolean {
    return this.state === READ_HEADER && this.headerFill === 0;
  }

  /**
   * push feeds the next chunk of the byte stream; complete frames are
   * delivered before it returns. Frame data are views of the chunk, taken as
   * plain Uint8Arrays: a Buffer's subarray() costs several times more.
   */
  push(input: Uint8Array): void {
    const chunk = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
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
          if (this.headerFill < HEADER_LENGTH) return;
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
    this.state = READ_BODY;
  }

  private readBody(chunk: Uint8Array, pos: number): number {
    const avail = chunk.length - pos;
    const length = this.length;
    if (this.body === null) {
      if (this.partsBytes === 0 && avail >= length) {
        this.state = READ_HEADER;
        this.emit(chunk.subarray(pos, pos + length));
        return pos + length;
      }
      if (this.partsBytes + avail < length && this.parts.length < MAX_PARTS) {
        this.parts.push(pos === 0 ? chunk : chunk.subarray(pos));
        this.partsBytes += avail;
        return chunk.length;
      }
      this.assemble();
    }
    const body = this.body as Uint8Array;
    const k = Math.min(length - this.bodyFill, avail);
    body.set(chunk.subarray(pos, pos + k), this.bodyFill);
    this.bodyFill += k;
    if (this.bodyFill === length) {
      this.body = null;
      this.bodyFill = 0;
      this.state = READ_HEADER;
      this.emit(body);
    }
    return pos + k;
  }

  /** assemble moves the queued partial chunks into the frame's final, exactly sized allocation. */
  private assemble(): void {
    const body = new Uint8Array(this.length);
    let fill = 0;
    for (const part of this.parts) {
      body.set(part, fill);
      fill += part.length;
    }
    this.parts = [];
    this.partsBytes = 0;
    this.body = body;
    this.bodyFill = fill;
  }

  private emit(data: Uint8Array): void {
    this.onFrame({ streamId: this.streamId, type: this.type, flags: this.flags, data });
  }
}
