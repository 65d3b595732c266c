/**
 * Error packet payload (spec §9): an 8-byte big-endian unsigned code followed
 * by the UTF-8 message text, with no length prefix or terminator. Code 0
 * means "no code"; codes are application defined and may lie outside the
 * gRPC range.
 */
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

/** INVALID_ERROR_DATA_NOTE is what Go appends to the text of an Error payload shorter than 8 bytes. */
export const INVALID_ERROR_DATA_NOTE = ' (drpcwire note: invalid error data)';

const MAX_UINT64 = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** DecodedError is a decoded Error payload. */
export interface DecodedError {
  /** code is the error code as a number; exact up to 2^53 - 1 (see rawCode beyond). */
  code: number;
  /** rawCode is the exact uint64 code. */
  rawCode: bigint;
  /** message is the error text. */
  message: string;
}

/**
 * encodeErrorPayload builds an Error payload. `code` is a non-negative
 * integer: a number up to 2^53 - 1 or a bigint up to 2^64 - 1. Throws
 * DrpcProtocolError for anything else.
 */
export function encodeErrorPayload(code: number | bigint, message: string): Uint8Array {
  const big = toUint64(code);
  const text = utf8Encoder.encode(message);
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, big, false);
  out.set(text, 8);
  return out;
}

/**
 * decodeErrorPayload decodes an Error payload. Like Go, data shorter than 8
 * bytes yields code 0 and the raw data as text followed by
 * INVALID_ERROR_DATA_NOTE; it never throws.
 */
export function decodeErrorPayload(data: Uint8Array): DecodedError {
  if (data.length < 8) {
    return { code: 0, rawCode: 0n, message: utf8Decoder.decode(data) + INVALID_ERROR_DATA_NOTE };
  }
  const rawCode = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, false);
  return { code: Number(rawCode), rawCode, message: utf8Decoder.decode(data.subarray(8)) };
}

function toUint64(code: number | bigint): bigint {
  if (typeof code === 'bigint') {
    if (code >= 0n && code <= MAX_UINT64) return code;
  } else if (Number.isSafeInteger(code) && code >= 0) {
    return BigInt(code);
  }
  throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `error code ${String(code)}`);
}
