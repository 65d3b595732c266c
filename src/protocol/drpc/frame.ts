/**
 * drpc frames: the unit written to the wire (spec §3).
 *
 *   flag(1) | stream id (uvarint) | message id (uvarint) | length (uvarint) | data
 *
 * Flag byte: bit 0 done, bits 1–6 kind, bit 7 control. Parsing is pure: given
 * a buffer it returns a frame and the next offset, or undefined for "need more
 * bytes"; a length above the limit is rejected from the header alone.
 */
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';
import { type VarintCursor, checkVarintValue, readVarintAt, varintSize, writeVarint } from './varint.js';

/** PacketKind is the packet kind carried in bits 1–6 of the flag byte (spec §5). */
export enum PacketKind {
  Invoke = 1,
  Message = 2,
  Error = 3,
  Cancel = 4,
  Close = 5,
  CloseSend = 6,
  InvokeMetadata = 7,
}

/** DEFAULT_MAX_PACKET_SIZE is the default limit on packet (and frame) data: 4 MiB, as Go's reader. */
export const DEFAULT_MAX_PACKET_SIZE = 4 << 20;

/** MIN_FRAME_SIZE is the smallest frame (flag + three one-byte varints); Go parses nothing shorter. */
export const MIN_FRAME_SIZE = 4;

/** MAX_FRAME_HEADER_SIZE is the longest possible header: flag + three 10-byte varints. */
export const MAX_FRAME_HEADER_SIZE = 31;

/** CONTROL_BIT is the flag bit marking packets an older peer may ignore (spec §5.1). */
export const CONTROL_BIT = 0x80;

/** Frame is one decoded frame; `data` may alias the buffer it was parsed from. */
export interface Frame {
  /** kind is the packet kind (0–63; unknown kinds are passed through). */
  kind: number;
  /** done marks the last frame of its packet. */
  done: boolean;
  /** control is the forward-compatibility bit. */
  control: boolean;
  /** streamId identifies the RPC. */
  streamId: number;
  /** messageId identifies the packet within the stream and direction. */
  messageId: number;
  /** data is the frame's payload. */
  data: Uint8Array;
}

/** Packet is one reassembled packet: the data of all its frames. */
export interface Packet {
  /** kind is the packet kind (0–63). */
  kind: number;
  /** streamId identifies the RPC. */
  streamId: number;
  /** messageId identifies the packet within the stream and direction. */
  messageId: number;
  /** control is true when any of its frames had the control bit (Go ORs it). */
  control: boolean;
  /** data is the packet payload. */
  data: Uint8Array;
}

/** FrameFlags is the decoded flag byte. */
export interface FrameFlags {
  /** kind is `(flag & 0x7e) >> 1`. */
  kind: number;
  /** done is `flag & 1`. */
  done: boolean;
  /** control is `flag & 0x80`. */
  control: boolean;
}

/** FrameHeader is a parsed header: the flags, ids, data length and header size. */
export interface FrameHeader extends FrameFlags {
  /** streamId identifies the RPC. */
  streamId: number;
  /** messageId identifies the packet. */
  messageId: number;
  /** length is the number of data bytes following the header. */
  length: number;
  /** headerSize is the number of header bytes (4–31). */
  headerSize: number;
}

/** kindName returns the Go name of a kind (`Invoke`, …) or `Kind(n)` for unknown ones. */
export function kindName(kind: number): string {
  return PacketKind[kind] ?? `Kind(${kind})`;
}

/** encodeFlag builds the flag byte; throws DrpcProtocolError for a kind outside 0–63. */
export function encodeFlag(kind: number, done: boolean, control: boolean): number {
  if (!Number.isInteger(kind) || kind < 0 || kind > 63) {
    throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `kind ${kind} is not in 0..63`);
  }
  return (kind << 1) | (done ? 1 : 0) | (control ? CONTROL_BIT : 0);
}

/** decodeFlag splits a flag byte into kind, done and control. */
export function decodeFlag(flag: number): FrameFlags {
  return { kind: (flag & 0x7e) >> 1, done: (flag & 1) !== 0, control: (flag & CONTROL_BIT) !== 0 };
}

/** cursor is the varint end offset shared by the synchronous header parsers. */
const cursor: VarintCursor = { next: 0 };

/** newFrameHeader returns a zeroed FrameHeader, e.g. as a reusable target of parseFrameHeaderInto. */
export function newFrameHeader(): FrameHeader {
  return { kind: 0, done: false, control: false, streamId: 0, messageId: 0, length: 0, headerSize: 0 };
}

/**
 * parseFrameHeaderInto parses the header at `offset` into `out` without
 * allocating; returns false (with `out` unspecified) when more bytes are
 * needed. Throws DrpcProtocolError as parseFrameHeader does.
 */
export function parseFrameHeaderInto(buf: Uint8Array, offset: number, maxDataSize: number, out: FrameHeader): boolean {
  if (buf.length - offset < MIN_FRAME_SIZE) return false;
  const streamId = readVarintAt(buf, offset + 1, cursor);
  if (streamId < 0) return false;
  const messageId = readVarintAt(buf, cursor.next, cursor);
  if (messageId < 0) return false;
  const length = readVarintAt(buf, cursor.next, cursor);
  if (length < 0) return false;
  if (length > maxDataSize) {
    throw new DrpcProtocolError(ProtocolErrorReason.FrameTooLarge, `${length} bytes > ${maxDataSize}`);
  }
  const flag = buf[offset]!;
  out.kind = (flag & 0x7e) >> 1;
  out.done = (flag & 1) !== 0;
  out.control = (flag & CONTROL_BIT) !== 0;
  out.streamId = streamId;
  out.messageId = messageId;
  out.length = length;
  out.headerSize = cursor.next - offset;
  return true;
}

/**
 * parseFrameHeader parses the header at `offset`; undefined means more bytes
 * are needed (fewer than 4 bytes, or a varint cut short). Throws
 * DrpcProtocolError for a bad varint or a length above `maxDataSize`.
 */
export function parseFrameHeader(buf: Uint8Array, offset = 0, maxDataSize = DEFAULT_MAX_PACKET_SIZE): FrameHeader | undefined {
  const header = newFrameHeader();
  return parseFrameHeaderInto(buf, offset, maxDataSize, header) ? header : undefined;
}

/**
 * parseFrame parses one frame at `offset`: `{ frame, next }`, or undefined
 * when more bytes are needed. `frame.data` is a view into `buf` (no copy).
 * Throws DrpcProtocolError as parseFrameHeader does.
 */
export function parseFrame(buf: Uint8Array, offset = 0, maxDataSize = DEFAULT_MAX_PACKET_SIZE): { frame: Frame; next: number } | undefined {
  const header = parseFrameHeader(buf, offset, maxDataSize);
  if (!header) return undefined;
  const start = offset + header.headerSize;
  const end = start + header.length;
  if (end > buf.length) return undefined;
  return { frame: frameFromHeader(header, buf.subarray(start, end)), next: end };
}

/** frameFromHeader combines a parsed header with its data. */
export function frameFromHeader(header: FrameHeader, data: Uint8Array): Frame {
  return {
    kind: header.kind,
    done: header.done,
    control: header.control,
    streamId: header.streamId,
    messageId: header.messageId,
    data,
  };
}

/** frameHeaderSize is the encoded header size of `frame`; throws DrpcProtocolError for invalid ids. */
export function frameHeaderSize(frame: Frame): number {
  checkVarintValue(frame.streamId, 'stream id');
  checkVarintValue(frame.messageId, 'message id');
  return 1 + varintSize(frame.streamId) + varintSize(frame.messageId) + varintSize(frame.data.length);
}

/** encodedFrameSize is the total encoded size of `frame` (header + data). */
export function encodedFrameSize(frame: Frame): number {
  return frameHeaderSize(frame) + frame.data.length;
}

/**
 * writeFrame writes `frame` at `offset` of `target` (which must have
 * encodedFrameSize bytes of room) and returns the offset after it. Throws
 * DrpcProtocolError for an invalid kind or id, or a target that is too small.
 */
export function writeFrame(target: Uint8Array, offset: number, frame: Frame): number {
  const size = encodedFrameSize(frame);
  if (offset < 0 || offset + size > target.length) {
    throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `frame of ${size} bytes does not fit at ${offset}`);
  }
  const at = putHeader(target, offset, frame);
  target.set(frame.data, at);
  return at + frame.data.length;
}

/**
 * writeFrameHeader writes only the header of `frame` (what writeFrame writes
 * before the data) at `offset` of `target` and returns the offset where the
 * data would start. Throws DrpcProtocolError as writeFrame does (the room
 * checked is the header's).
 */
export function writeFrameHeader(target: Uint8Array, offset: number, frame: Frame): number {
  const size = frameHeaderSize(frame);
  if (offset < 0 || offset + size > target.length) {
    throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `frame header of ${size} bytes does not fit at ${offset}`);
  }
  return putHeader(target, offset, frame);
}

// putHeader writes the header of `frame` at `offset` (room and values already checked) and returns where its data starts.
function putHeader(target: Uint8Array, offset: number, frame: Frame): number {
  target[offset] = encodeFlag(frame.kind, frame.done, frame.control);
  let at = writeVarint(target, offset + 1, frame.streamId);
  at = writeVarint(target, at, frame.messageId);
  return writeVarint(target, at, frame.data.length);
}

/**
 * appendFrame pushes the encoded header of `frame` and then its data (not
 * copied) onto `chunks`, ready for a vectored write; returns the bytes added.
 */
export function appendFrame(chunks: Uint8Array[], frame: Frame): number {
  const header = new Uint8Array(frameHeaderSize(frame));
  putHeader(header, 0, frame);
  chunks.push(header);
  if (frame.data.length > 0) chunks.push(frame.data);
  return header.length + frame.data.length;
}

/** encodeFrame returns `frame` encoded into a new array. */
export function encodeFrame(frame: Frame): Uint8Array {
  const out = new Uint8Array(encodedFrameSize(frame));
  writeFrame(out, 0, frame);
  return out;
}
