/**
 * Minimal protobuf wire reader for the ttrpc envelopes. Every read is bounds
 * checked; malformed input raises ProtocolError INVALID_ARGUMENT and nothing else.
 */
import { malformed } from './protocol-error.js';

/** WIRE_VARINT is the varint wire type. */
export const WIRE_VARINT = 0;
/** WIRE_FIXED64 is the 8-byte little-endian wire type. */
export const WIRE_FIXED64 = 1;
/** WIRE_LEN is the length-delimited wire type (strings, bytes, messages). */
export const WIRE_LEN = 2;
/** WIRE_FIXED32 is the 4-byte little-endian wire type. */
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const TWO_53_HI = 0x200000; // 2^53 / 2^32

const decoder = new TextDecoder('utf-8');

// Direct-mapped cache of short decoded strings: service and method names and
// metadata keys repeat on nearly every Request, and comparing a few bytes is
// much cheaper than a TextDecoder call.
const CACHE_SLOTS = 256;
const SHORT_ASCII = 8;
const CACHE_MAX_BYTES = 64;
const cacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(CACHE_SLOTS).fill(undefined);
const cacheText: string[] = new Array<string>(CACHE_SLOTS).fill('');

/** WireReader walks protobuf fields of one buffer between `pos` and `end`. */
export class WireReader {
  /** buf is the buffer being read. */
  readonly buf: Uint8Array;
  /** pos is the offset of the next unread byte. */
  pos: number;
  /** end is the offset just past the current message (narrowed for nested messages). */
  end: number;
  private lo = 0;
  private hi = 0;

  /** constructor starts reading `buf` from its first byte. */
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
  }

  /** tag reads a field tag and returns it as `field << 3 | wireType`; throws on an invalid tag. */
  tag(): number {
    const b = this.buf[this.pos];
    if (b < 0x80 && this.pos < this.end) {
      this.pos++;
      if (b < 8) throw malformed('invalid field number 0');
      return b;
    }
    this.varint();
    if (this.hi !== 0 || this.lo < 8) throw malformed('invalid field tag');
    return this.lo;
  }

  /** length reads the length prefix of a length-delimited field and checks it fits the message. */
  length(): number {
    let len: number;
    const b = this.buf[this.pos];
    if (b < 0x80 && this.pos < this.end) {
      this.pos++;
      len = b;
    } else {
      this.varint();
      if (this.hi !== 0) throw malformed('truncated message (length out of range)');
      len = this.lo;
    }
    if (len > this.end - this.pos) throw malformed('truncated message (length exceeds remaining bytes)');
    return len;
  }

  /** bytes reads a length-delimited field as a zero-copy view. */
  bytes(): Uint8Array {
    const len = this.length();
    const start = this.pos;
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  /** string reads a length-delimited field as UTF-8 text (invalid sequences become U+FFFD). */
  string(): string {
    return this.stringOf(this.length());
  }

  /** stringOf reads `len` bytes as UTF-8 text; `len` must come from length() just before. */
  stringOf(len: number): string {
    const start = this.pos;
    this.pos = start + len;
    if (len <= SHORT_ASCII) {
      // Very short ASCII text: a JS loop beats the fixed cost of a TextDecoder call.
      const buf = this.buf;
      let text = '';
      for (let i = start; i < start + len; i++) {
        const c = buf[i];
        if (c >= 0x80) return decoder.decode(buf.subarray(start, start + len));
        text += String.fromCharCode(c);
      }
      return text;
    }
    return decoder.decode(this.buf.subarray(start, start + len));
  }

  /** internedString reads a string field like `string`, serving repeated short values from a small cache. */
  internedString(): string {
    return this.internedStringOf(this.length());
  }

  /** internedStringOf reads `len` bytes like stringOf, through the cache; `len` must come from length() just before. */
  internedStringOf(len: number): string {
    const buf = this.buf;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    if (len === 0) return '';
    if (len > CACHE_MAX_BYTES) return decoder.decode(buf.subarray(start, end));
    let h = len;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
    const cached = cacheBytes[slot];
    if (cached !== undefined && cached.length === len) {
      let j = 0;
      while (j < len && cached[j] === buf[start + j]) j++;
      if (j === len) return cacheText[slot];
    }
    const text = decoder.decode(buf.subarray(start, end));
    cacheBytes[slot] = buf.slice(start, end);
    cacheText[slot] = text;
    return text;
  }

  /** int32 reads a varint and truncates it to a signed 32-bit value, as Go does for int32 fields. */
  int32(): number {
    const b = this.buf[this.pos];
    if (b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.varint();
    return this.lo | 0;
  }

  /**
   * int64 reads a varint as a signed 64-bit value. Values with magnitude up to
   * 2^53 are exact; larger ones are clamped to ±Number.MAX_SAFE_INTEGER.
   */
  int64(): number {
    const b = this.buf[this.pos];
    if (b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.varint();
    let lo = this.lo;
    let hi = this.hi;
    const negative = hi >= 0x80000000;
    if (negative) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    const magnitude = hi > TWO_53_HI || (hi === TWO_53_HI && lo !== 0) ? Number.MAX_SAFE_INTEGER : hi * TWO_32 + lo;
    return negative ? -magnitude : magnitude;
  }

  /** skip steps over one field value of the given wire type; groups and unknown wire types are errors. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN: {
        const len = this.length(); // read first: it advances pos past the prefix
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case 3:
      case 4:
        throw malformed('groups are not supported');
      default:
        throw malformed(`invalid wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw malformed('truncated message (fixed-size field)');
    this.pos += n;
  }

  /** varint reads one varint of up to 10 bytes into the unsigned halves lo/hi. */
  private varint(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw malformed('truncated varint');
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.done(pos, lo, 0);
    }
    if (pos >= end) throw malformed('truncated varint');
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) return this.done(pos, lo, hi);
    for (let shift = 3; shift < 31; shift += 7) {
      if (pos >= end) throw malformed('truncated varint');
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return this.done(pos, lo, hi);
    }
    if (pos >= end) throw malformed('truncated varint');
    b = buf[pos++];
    if (b > 1) throw malformed('varint overflows 64 bits');
    hi |= b << 31;
    return this.done(pos, lo, hi);
  }

  private done(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }
}
