/**
 * Status ↔ drpc error mapping. drpc carries only a uint64 code and a text
 * (spec §9), so the mapping is deliberately thin and symmetric:
 *
 *   - sending: a non-OK Status with code N becomes an Error packet with drpc
 *     code N and the status message as the text, verbatim (no code-name
 *     prefix). gRPC codes 1..16 pass through as numbers, and application
 *     codes outside 0..16 survive unchanged. A code that is not a
 *     non-negative safe integer is sent as UNKNOWN (2).
 *   - receiving: drpc code N ≠ 0 becomes Status code N with the text; code 0
 *     ("no code", e.g. Go's `protocol error: unknown rpc: …`) becomes
 *     UNKNOWN with the text; a code above 2^53 - 1 also becomes UNKNOWN.
 *     (Our server answers an unknown rpc with code 12, read as UNIMPLEMENTED.)
 *
 * Status details and metadata have no place on the drpc wire and are
 * dropped. drpc has no deadline on the wire either: deadlines are enforced
 * on the client only.
 */
import { Code } from '../../status/code.js';
import { type Status, status } from '../../status/status.js';
import { type DecodedError, decodeErrorPayload, encodeErrorPayload } from './error-payload.js';

/** statusToErrorPayload encodes a non-OK status as an Error packet payload. */
export function statusToErrorPayload(s: Status): Uint8Array {
  const code = Number.isSafeInteger(s.code) && s.code >= 0 ? s.code : Code.UNKNOWN;
  return encodeErrorPayload(code, s.message);
}

/** errorToStatus maps a decoded Error payload to a Status. */
export function errorToStatus(e: DecodedError): Status {
  if (e.rawCode === 0n || e.rawCode > BigInt(Number.MAX_SAFE_INTEGER)) return status(Code.UNKNOWN, e.message);
  return status(e.code, e.message);
}

/** errorPayloadToStatus decodes an Error packet payload (never throws) and maps it to a Status. */
export function errorPayloadToStatus(data: Uint8Array): Status {
  return errorToStatus(decodeErrorPayload(data));
}
