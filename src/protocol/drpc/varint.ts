/**
 * Unsigned LEB128 varints as drpc uses them for stream ids, message ids and
 * lengths (7 bits per byte, least significant group first).
 *
 * The wire type is uint64, but this codec works with JavaScript numbers: a
 * decoded value above Number.MAX_SAFE_INTEGER (2^53 - 1) is rejected with a
 * DrpcProtocolError ("varint exceeds 2^53") instead of being rounded. Ids that
 * large never occur in practice (Go counts up from 1) and lengths are bounded
 * by the 4 MiB packet limit, so numbers avoid bigint on every frame.
 *
 * Like Go's reader, overlong forms (`81 00` for 1) are accepted; at most 10
 * bytes are read and a 10th byte with its continuation bit is an error
 * ("varint too long"). The encoder always emits the minimal form.
 */
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

/** MAX_VARINT_BYTES is the longest varint a reader accepts (uint64). */
export const MAX_VARINT_BYTES = 10;

/** VarintRead is a decoded value and the offset just after its last byte. */
export interface VarintRead {
  /** value is the decoded number (≤ Number.MAX_SAFE_INTEGER). */
  value: number;
  /** next is the offset of the first byte after the varint. */
  next: number;
}

/** VarintCursor carries the end offset of the last varint read by readVarintAt. */
export interface VarintCursor {
  /** next is the offset of the first byte after the varint just read. */
  next: number;
}

/**
 * readVarintAt decodes the varint at `offset` without allocating: returns the
 * value and sets `cursor.next`, or returns -1 (cursor untouched) when the
 * input ends before the varint does. Throws DrpcProtocolError as readVarint.
 */
export function readVarintAt(buf: Uint8Array, offset: number, cursor: VarintCursor): number {
  const end = buf.length;
  if (offset >= end) return -1;
  let byte = buf[offset]!;
  if (byte < 0x80) {
    cursor.next = offset + 1;
    return byte;
  }
  let value = byte & 0x7f;
  let scale = 128;
  for (let at = offset + 1; at < offset + MAX_VARINT_BYTES; at++) {
    if (at >= end) return -1;
    byte = buf[at]!;
    value += (byte & 0x7f) * scale;
    // Before this byte value < scale; adding a multiple of scale keeps
    // rounding monotone, so this comparison is exact for the 2^53 boundary.
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new DrpcProtocolError(ProtocolErrorReason.VarintExceeds53Bits);
    }
    if (byte < 0x80) {
      cursor.next = at + 1;
      return value;
    }
    scale *= 128;
  }
  throw new DrpcProtocolError(ProtocolErrorReason.VarintTooLong);
}

/**
 * readVarint decodes the varint at `offset`; returns undefined when the input
 * ends before the varint does (need more bytes). Throws DrpcProtocolError for
 * a varint longer than 10 bytes or a value above 2^53 - 1; the latter is
 * reported as soon as the bytes seen so far prove it.
 */
export function readVarint(buf: Uint8Array, offset: number): VarintRead | undefined {
  const cursor = { next: 0 };
  const value = readVarintAt(buf, offset, cursor);
  return value < 0 ? undefined : { value, next: cursor.next };
}

/** checkVarintValue throws DrpcProtocolError unless `value` is a safe non-negative integer. */
export function checkVarintValue(value: number, what = 'varint'): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `${what} ${value} is not an integer in [0, 2^53)`);
  }
}

/** varintSize is the number of bytes of the minimal encoding of `value`. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/**
 * writeVarint writes the minimal encoding of `value` at `offset` and returns
 * the offset after it. The caller provides the room (see varintSize). Throws
 * DrpcProtocolError for a negative, fractional or unsafe value.
 */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  checkVarintValue(value);
  while (value >= 128) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/** encodeVarint returns the minimal encoding of `value` as a new array. */
export function encodeVarint(value: number): Uint8Array {
  checkVarintValue(value);
  const out = new Uint8Array(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}
