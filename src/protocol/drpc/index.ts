/**
 * The pure drpc wire codec: varints, frames, incremental frame decoding,
 * packet assembly (upstream and per-stream), packet splitting, invoke
 * metadata and error payloads. No I/O; the only error it throws is
 * DrpcProtocolError.
 */
export { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';
export {
  MAX_VARINT_BYTES,
  type VarintRead,
  readVarint,
  writeVarint,
  encodeVarint,
  varintSize,
  checkVarintValue,
} from './varint.js';
export {
  PacketKind,
  DEFAULT_MAX_PACKET_SIZE,
  MIN_FRAME_SIZE,
  MAX_FRAME_HEADER_SIZE,
  CONTROL_BIT,
  type Frame,
  type Packet,
  type FrameFlags,
  type FrameHeader,
  kindName,
  encodeFlag,
  decodeFlag,
  parseFrameHeader,
  parseFrame,
  frameFromHeader,
  frameHeaderSize,
  encodedFrameSize,
  writeFrame,
  appendFrame,
  encodeFrame,
} from './frame.js';
export { BUFFER_SLACK, FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';
export { PACKET_SLACK, PacketAssembler, type PacketAssemblerOptions } from './packet-assembler.js';
export { StreamAssemblers, type StreamAssemblersOptions } from './stream-assemblers.js';
export {
  DEFAULT_SPLIT_SIZE,
  isSplittable,
  splitPacket,
  encodedFramesSize,
  encodeFrames,
  encodedPacketSize,
  encodePacketInto,
  encodePackets,
} from './packet-writer.js';
export {
  DEFAULT_MAX_METADATA_ENTRIES,
  DEFAULT_MAX_METADATA_BYTES,
  type MetadataLimits,
  MetadataTooLargeError,
  encodeInvokeMetadata,
  decodeInvokeMetadata,
} from './invoke-metadata.js';
export { INVALID_ERROR_DATA_NOTE, type DecodedError, encodeErrorPayload, decodeErrorPayload } from './error-payload.js';
