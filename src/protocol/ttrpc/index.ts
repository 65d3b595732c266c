/** ttrpc wire codec: frames, the incremental frame decoder and the protobuf envelopes (pure, no I/O). */
export { ProtocolError, malformed, messageTooLarge } from './protocol-error.js';
export {
  HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, Flags, type Frame,
  writeHeader, encodeFrame, readHeaderLength, readHeaderStreamId,
} from './frame.js';
export { FrameDecoder, PARTIAL_FRAME_SLACK, type FrameDecoderOptions, type OversizeInfo } from './decoder.js';
export {
  DEFAULT_MAX_METADATA_ENTRIES, DEFAULT_MAX_METADATA_BYTES, type MetadataLimits, MetadataTooLargeError,
} from './request-metadata.js';
export {
  type KeyValue, type Request, type Response,
  requestSize, writeRequest, encodeRequest, decodeRequest,
  responseSize, writeResponse, encodeResponse, decodeResponse,
  statusSize, writeStatus, decodeStatus, MAX_STATUS_DETAILS,
} from './envelope.js';
export { encodeRequestFrame, encodeResponseFrame } from './envelope-frame.js';
export { allocate } from './slab.js';
