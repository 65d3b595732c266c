/**
 * ttrpc frame layout (big-endian):
 *
 *   0               4               8       9       10
 *   +---------------+---------------+-------+-------+------------------+
 *   | length (u32)  | stream id u32 | type  | flags | data (length B)  |
 *   +---------------+---------------+-------+-------+------------------+
 *
 * `length` counts the data only. The first length byte is documented as
 * reserved (always 0 because lengths never reach 16 MiB); like the Go
 * implementation we do not check it separately — a non-zero value simply makes
 * the frame oversize.
 */
import { Code } from '../../status/code.js';
import { ProtocolError, messageTooLarge } from './protocol-error.js';
import { allocate } from './slab.js';

/** HEADER_LENGTH is the size of a ttrpc frame header in bytes. */
export const HEADER_LENGTH = 10;

/** MAX_MESSAGE_LENGTH is the largest data length of one frame (4 MiB); longer frames are oversize. */
export const MAX_MESSAGE_LENGTH = 4 * 1024 * 1024;

/** MessageType lists the ttrpc frame types; other values may appear on the wire and are ignored by peers. */
export const MessageType = {
  /** Request opens a stream; its data is a `ttrpc.Request`. */
  Request: 1,
  /** Response ends a stream; its data is a `ttrpc.Response`. */
  Response: 2,
  /** Data carries one raw application message (ttrpc 1.2+). */
  Data: 3,
} as const;

/** MessageType is the union of the known frame type numbers. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Flags lists the ttrpc flag bits, named from the receiver's point of view. */
export const Flags = {
  /** REMOTE_CLOSED: the sender will send no more Data frames on this stream. */
  REMOTE_CLOSED: 0x01,
  /** REMOTE_OPEN: the sender will follow its Request with Data frames. */
  REMOTE_OPEN: 0x02,
  /** NO_DATA: the Data frame carries no message; its bytes are ignored. */
  NO_DATA: 0x04,
} as const;

/** Frame is one decoded ttrpc frame; `type` and `flags` are raw (unknown values pass through). */
export interface Frame {
  /** streamId is the unsigned 32-bit stream identifier. */
  streamId: number;
  /** type is the raw message type byte (see MessageType). */
  type: number;
  /** flags is the raw flag byte (see Flags). */
  flags: number;
  /** data is the frame body; it may be a view into a larger buffer. */
  data: Uint8Array;
}

/**
 * writeHeader writes a 10-byte frame header at `offset` of `target`, so a writer
 * can lay out many frames in one preallocated buffer. Throws ProtocolError
 * RESOURCE_EXHAUSTED when `length` exceeds `max`, INVALID_ARGUMENT when a field
 * is out of range or the header does not fit in `target`.
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  length: number,
  streamId: number,
  type: number,
  flags: number,
  max: number = MAX_MESSAGE_LENGTH,
): void {
  if (length > max) throw messageTooLarge(length, max);
  if (!(length >= 0) || length !== (length >>> 0)) throw invalid(`bad frame length ${length}`);
  if (streamId !== streamId >>> 0) throw invalid(`stream id ${streamId} is not an unsigned 32-bit integer`);
  if ((type & 0xff) !== type) throw invalid(`message type ${type} is not a byte`);
  if ((flags & 0xff) !== flags) throw invalid(`flags ${flags} is not a byte`);
  if (!(offset >= 0) || offset + HEADER_LENGTH > target.length) throw invalid('frame header does not fit in the target buffer');
  target[offset] = length >>> 24;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
  target[offset + 4] = streamId >>> 24;
  target[offset + 5] = (streamId >>> 16) & 0xff;
  target[offset + 6] = (streamId >>> 8) & 0xff;
  target[offset + 7] = streamId & 0xff;
  target[offset + 8] = type;
  target[offset + 9] = flags;
}

/**
 * encodeFrame returns header + data as one array of exactly
 * `HEADER_LENGTH + data.length` bytes (small ones are views into a pooled slab). Throws ProtocolError RESOURCE_EXHAUSTED
 * (nothing is encoded) when data is longer than `max`, INVALID_ARGUMENT for
 * out-of-range header fields.
 */
export function encodeFrame(streamId: number, type: number, flags: number, data: Uint8Array, max: number = MAX_MESSAGE_LENGTH): Uint8Array {
  if (data.length > max) throw messageTooLarge(data.length, max);
  const out = allocate(HEADER_LENGTH + data.length);
  writeHeader(out, 0, data.length, streamId, type, flags, max);
  out.set(data, HEADER_LENGTH);
  return out;
}

/** readHeaderLength returns the data length stored in a header starting at `offset` (no bounds check). */
export function readHeaderLength(src: Uint8Array, offset: number): number {
  return ((src[offset] << 24) | (src[offset + 1] << 16) | (src[offset + 2] << 8) | src[offset + 3]) >>> 0;
}

/** readHeaderStreamId returns the stream id stored in a header starting at `offset` (no bounds check). */
export function readHeaderStreamId(src: Uint8Array, offset: number): number {
  return ((src[offset + 4] << 24) | (src[offset + 5] << 16) | (src[offset + 6] << 8) | src[offset + 7]) >>> 0;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError(Code.INVALID_ARGUMENT, `ttrpc: ${message}`);
}
