/**
 * Whole-frame encoders for the envelopes: header and envelope are written into
 * one exactly sized array (small ones are views into a pooled slab, see
 * slab.ts), and the size limit is checked before anything is allocated.
 */
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, writeHeader } from './frame.js';
import { type Request, type Response, requestSize, responseSize, writeRequest, writeResponse } from './envelope.js';
import { messageTooLarge } from './protocol-error.js';
import { allocate } from './slab.js';

/**
 * encodeRequestFrame returns a complete Request frame (header + envelope).
 * Throws ProtocolError RESOURCE_EXHAUSTED when the envelope exceeds `max`
 * (nothing is encoded), INVALID_ARGUMENT for unencodable values.
 */
export function encodeRequestFrame(streamId: number, flags: number, req: Request, max: number = MAX_MESSAGE_LENGTH): Uint8Array {
  const size = requestSize(req);
  if (size > max) throw messageTooLarge(size, max);
  const out = allocate(HEADER_LENGTH + size);
  writeHeader(out, 0, size, streamId, MessageType.Request, flags, max);
  writeRequest(out, HEADER_LENGTH, req);
  return out;
}

/**
 * encodeResponseFrame returns a complete Response frame (flags 0). Throws
 * ProtocolError RESOURCE_EXHAUSTED when the envelope exceeds `max` (nothing is
 * encoded), INVALID_ARGUMENT for unencodable values.
 */
export function encodeResponseFrame(streamId: number, res: Response, max: number = MAX_MESSAGE_LENGTH): Uint8Array {
  const size = responseSize(res);
  if (size > max) throw messageTooLarge(size, max);
  const out = allocate(HEADER_LENGTH + size);
  writeHeader(out, 0, size, streamId, MessageType.Response, 0, max);
  writeResponse(out, HEADER_LENGTH, res);
  return out;
}
