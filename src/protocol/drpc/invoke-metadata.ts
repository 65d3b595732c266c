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
 */
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';
import { readVarint, varintSize, writeVarint } from './varint.js';

const ENTRY_TAG = 0x0a;
const KEY_TAG = 0x0a;
const VALUE_TAG = 0x12;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

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
 * deviation from the entry shape.
 */
export function decodeInvokeMetadata(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const body = readField(data, at, data.length, ENTRY_TAG, 'entry');
    const key = readField(data, body.start, body.end, KEY_TAG, 'key');
    const value = readField(data, key.end, body.end, VALUE_TAG, 'value');
    if (value.end !== body.end) invalid('extra bytes after the value');
    out.set(utf8Decoder.decode(data.subarray(key.start, key.end)), utf8Decoder.decode(data.subarray(value.start, value.end)));
    at = body.end;
  }
  return out;
}

/** readField reads `tag uvarint(len) bytes` at `at` within `limit`; returns the field's byte range. */
function readField(data: Uint8Array, at: number, limit: number, tag: number, what: string): { start: number; end: number } {
  if (at >= limit) invalid(`missing ${what}`);
  if (data[at] !== tag) invalid(`unexpected tag 0x${data[at]!.toString(16).padStart(2, '0')} for ${what}`);
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
