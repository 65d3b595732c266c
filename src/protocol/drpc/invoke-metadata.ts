/**
 * InvokeMetadata payload (spec §8): a sequence of entries
 *
 *   entry := 0x0a uvarint(len(body)) body
 *   body  := 0x0a uvarint(len(key)) key 0x12 uvarint(len(value)) value
 *
 * The decoder is as strict as Go's: every entry starts with 0x0a, the key
 * field comes first, then the value field, and nothing else may follow inside
 * the entry; anything else is a DrpcProtocolError ("invalid metadata"), upon
 * which an upstream server drops the connection. Length varints may be
 * overlong (Go's varint reader accepts that). The encoder always writes both
 * fields, even for empty strings.
 *
 * API shape: decoding returns a Map<string, string> (a duplicate key keeps
 * its last value, as in Go, and entry order carries no meaning); encoding
 * accepts any iterable of [key, value] pairs, so a Map or an array works.
 * Keys and values are UTF-8; invalid UTF-8 in received data is decoded with
 * replacement characters rather than rejected (Go does not check it either).
 *
 * Limits: decoding counts wire entries (duplicates included) and key plus
 * value bytes, and stops with MetadataTooLargeError at the first entry over
 * a limit (default 1024 entries, 8 KiB, in the spirit of gRPC's header
 * limit), so a payload of a million tiny entries costs no more than the limit.
 */
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';
import { readVarint, varintSize, writeVarint } from './varint.js';

const ENTRY_TAG = 0x0a;
const KEY_TAG = 0x0a;
const VALUE_TAG = 0x12;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** DEFAULT_MAX_METADATA_ENTRIES is the default limit on the entries of one InvokeMetadata payload. */
export const DEFAULT_MAX_METADATA_ENTRIES = 1024;

/** DEFAULT_MAX_METADATA_BYTES is the default limit on the key plus value bytes of one InvokeMetadata payload (8 KiB). */
export const DEFAULT_MAX_METADATA_BYTES = 8192;

/** MetadataLimits bounds the metadata a decoder accepts; omitted fields take the defaults. */
export interface MetadataLimits {
  /** maxMetadataEntries is the largest number of entries, duplicates included (default DEFAULT_MAX_METADATA_ENTRIES). */
  maxMetadataEntries?: number;
  /** maxMetadataBytes is the largest total of key and value bytes (default DEFAULT_MAX_METADATA_BYTES). */
  maxMetadataBytes?: number;
}

/**
 * MetadataTooLargeError is the DrpcProtocolError (reason "metadata too
 * large") thrown when InvokeMetadata goes over a limit; `detail` reads
 * `request metadata exceeds 1024 entries` (or `… 8192 bytes`). Unlike other
 * protocol errors it concerns one stream: a server refuses that stream.
 */
export class MetadataTooLargeError extends DrpcProtocolError {
  /** limit names the limit that was exceeded. */
  readonly limit: 'entries' | 'bytes';
  /** max is the value of that limit. */
  readonly max: number;
  /** detail is the bare description, e.g. `request metadata exceeds 1024 entries`. */
  readonly detail: string;

  /** constructor builds the error for the exceeded limit. */
  constructor(limit: 'entries' | 'bytes', max: number) {
    const detail = `request metadata exceeds ${max} ${limit}`;
    super(ProtocolErrorReason.MetadataTooLarge, detail);
    this.name = 'MetadataTooLargeError';
    this.limit = limit;
    this.max = max;
    this.detail = detail;
  }
}

/**
 * encodeInvokeMetadata encodes key/value pairs as an InvokeMetadata payload.
 * An empty input gives an empty array; callers then send no packet at all.
 */
export function encodeInvokeMetadata(entries: Iterable<readonly [string, string]>): Uint8Array {
  const encoded: Array<[Uint8Array, Uint8Array, number]> = [];
  let total = 0;
  for (const [key, value] of entries) {
    const k = utf8Encoder.encode(key);
    const v = utf8Encoder.encode(value);
    const body = 1 + varintSize(k.length) + k.length + 1 + varintSize(v.length) + v.length;
    encoded.push([k, v, body]);
    total += 1 + varintSize(body) + body;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const [k, v, body] of encoded) {
    out[at++] = ENTRY_TAG;
    at = writeVarint(out, at, body);
    out[at++] = KEY_TAG;
    at = writeVarint(out, at, k.length);
    out.set(k, at);
    at += k.length;
    out[at++] = VALUE_TAG;
    at = writeVarint(out, at, v.length);
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/**
 * decodeInvokeMetadata decodes an InvokeMetadata payload into a map (last
 * duplicate wins). Throws DrpcProtocolError ("invalid metadata") for any
 * deviation from the entry shape, and MetadataTooLargeError as soon as an
 * entry goes over `limits` (entries before it are checked, none after it).
 */
export function decodeInvokeMetadata(data: Uint8Array, limits?: MetadataLimits): Map<string, string> {
  const out = new Map<string, string>();
  const maxEntries = limits?.maxMetadataEntries ?? DEFAULT_MAX_METADATA_ENTRIES;
  const maxBytes = limits?.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  let entries = 0;
  let bytes = 0;
  let at = 0;
  while (at < data.length) {
    if (entries++ >= maxEntries) throw new MetadataTooLargeError('entries', maxEntries);
    const body = readField(data, at, data.length, ENTRY_TAG, 'entry');
    const key = readField(data, body.start, body.end, KEY_TAG, 'key');
    const value = readField(data, key.end, body.end, VALUE_TAG, 'value');
    if (value.end !== body.end) invalid('extra bytes after the value');
    bytes += key.end - key.start + (value.end - value.start);
    if (bytes > maxBytes) throw new MetadataTooLargeError('bytes', maxBytes);
    out.set(utf8Decoder.decode(data.subarray(key.start, key.end)), utf8Decoder.decode(data.subarray(value.start, value.end)));
    at = body.end;
  }
  return out;
}

/** readField reads `tag uvarint(len) bytes` at `at` within `limit`; returns the field's byte range. */
function readField(data: Uint8Array, at: number, limit: number, tag: number, what: string): { start: number; end: number } {
  if (at >= limit) invalid(`missing ${what}`);
  if (data[at] !== tag) invalid(`unexpected tag 0x${data[at]!.toString(16).padStart(2, '0')} for ${what}`);
  if (at + 1 < limit && data[at + 1]! < 0x80) {
    // A one-byte length, by far the most common: no view of the data needed.
    const start = at + 2;
    const end = start + data[at + 1]!;
    if (end > limit) invalid(`truncated ${what}`);
    return { start, end };
  }
  let length;
  try {
    length = readVarint(data.subarray(0, limit), at + 1);
  } catch (err) {
    invalid(`${what} length: ${(err as Error).message}`);
  }
  if (!length) invalid(`truncated ${what} length`);
  const end = length.next + length.value;
  if (end > limit) invalid(`truncated ${what}`);
  return { start: length.next, end };
}

function invalid(detail: string): never {
  throw new DrpcProtocolError(ProtocolErrorReason.InvalidMetadata, detail);
}
