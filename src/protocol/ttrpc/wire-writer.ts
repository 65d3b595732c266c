/**
 * Minimal protobuf wire writer for the ttrpc envelopes: size functions and
 * writers that fill a preallocated buffer, so a message is encoded with one
 * exactly sized allocation and no intermediate copies.
 */
import { malformed } from './protocol-error.js';

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const encoder = new TextEncoder();

/** varintSize returns the encoded size of an unsigned 32-bit varint. */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** checkInt64 throws ProtocolError INVALID_ARGUMENT unless `v` is an integer in the int64 range. */
export function checkInt64(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -TWO_63 || v >= TWO_63) throw malformed(`${what} ${v} is not a 64-bit integer`);
}

/** int64Size returns the encoded size of a signed 64-bit varint (negative values take 10 bytes). */
export function int64Size(v: number): number {
  if (v < 0) return 10;
  if (v < TWO_32) return varintSize(v);
  let n = 5;
  for (let x = Math.floor(v / 34359738368); x > 0; x = Math.floor(x / 128)) n++; // 2^35
  return n;
}

/** writeVarint32 writes an unsigned 32-bit varint and returns the next offset. */
export function writeVarint32(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/** writeInt64 writes a signed 64-bit varint (two's complement for negatives) and returns the next offset. */
export function writeInt64(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 0 && v < TWO_32) return writeVarint32(buf, pos, v);
  const high = Math.floor(v / TWO_32);
  let lo = (v - high * TWO_32) >>> 0;
  let hi = high >>> 0;
  while (hi !== 0) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  return writeVarint32(buf, pos, lo);
}

/** utf8Length returns the UTF-8 size of a string, counting lone surrogates as U+FFFD (3 bytes) like TextEncoder. */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      len += 1;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else {
      len += 2;
    }
  }
  return len;
}

/** writeUtf8 writes a string as UTF-8 and returns the next offset. */
export function writeUtf8(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      return pos + encoder.encodeInto(i === 0 ? s : s.slice(i), buf.subarray(pos)).written;
    }
    buf[pos++] = c;
  }
  return pos;
}

/** stringFieldSize returns the size of a string field with a one-byte tag, 0 for the omitted empty string. */
export function stringFieldSize(s: string): number {
  if (s.length === 0) return 0;
  const len = utf8Length(s);
  return 1 + varintSize(len) + len;
}

/** bytesFieldSize returns the size of a bytes field with a one-byte tag, 0 for the omitted empty value. */
export function bytesFieldSize(b: Uint8Array): number {
  const len = b.length;
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

/** writeStringField writes a non-empty string field with a one-byte tag and returns the next offset. */
export function writeStringField(buf: Uint8Array, pos: number, tag: number, s: string): number {
  buf[pos++] = tag;
  if (s.length <= 42) {
    // At most 3 bytes per UTF-16 unit, so the length fits one varint byte: write, then backfill.
    const end = writeUtf8(buf, pos + 1, s);
    buf[pos] = end - pos - 1;
    return end;
  }
  pos = writeVarint32(buf, pos, utf8Length(s));
  return writeUtf8(buf, pos, s);
}

/** writeBytesField writes a non-empty bytes field with a one-byte tag and returns the next offset. */
export function writeBytesField(buf: Uint8Array, pos: number, tag: number, b: Uint8Array): number {
  buf[pos++] = tag;
  pos = writeVarint32(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}
