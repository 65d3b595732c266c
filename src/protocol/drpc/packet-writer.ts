/**
 * Packet → frames, as Go's stream writer does it (spec §6.1): the data of
 * Invoke, InvokeMetadata and Message packets is split into frames of at most
 * `splitSize` bytes, each repeating kind, ids and control bit, only the last
 * one done; an empty payload is one done frame. Every other kind (Error,
 * Cancel, Close, CloseSend, unknown) is always exactly one frame.
 *
 * splitSize follows Go's `SplitSize`: 0 means the default 64 KiB, a negative
 * value disables splitting (every packet one frame, like the fork's mux writer).
 */
import { encodedFrameSize, type Frame, type Packet, PacketKind, writeFrame } from './frame.js';
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

/** DEFAULT_SPLIT_SIZE is Go's default frame data size for split packets: 64 KiB. */
export const DEFAULT_SPLIT_SIZE = 65536;

/** isSplittable tells whether packets of `kind` are split into several frames. */
export function isSplittable(kind: number): boolean {
  return kind === PacketKind.Invoke || kind === PacketKind.Message || kind === PacketKind.InvokeMetadata;
}

/**
 * splitPacket returns the frames carrying `packet`; frame data are views into
 * `packet.data`. Throws DrpcProtocolError for a non-integer split size.
 */
export function splitPacket(packet: Packet, splitSize = DEFAULT_SPLIT_SIZE): Frame[] {
  if (!Number.isSafeInteger(splitSize)) {
    throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `split size ${splitSize}`);
  }
  const size = splitSize === 0 ? DEFAULT_SPLIT_SIZE : splitSize;
  const { kind, streamId, messageId, control, data } = packet;
  if (size < 0 || !isSplittable(kind) || data.length <= size) {
    return [{ kind, done: true, control, streamId, messageId, data }];
  }
  const frames: Frame[] = [];
  for (let at = 0; at < data.length; at += size) {
    const end = Math.min(at + size, data.length);
    frames.push({ kind, done: end === data.length, control, streamId, messageId, data: data.subarray(at, end) });
  }
  return frames;
}

/** encodedFramesSize is the total encoded size of `frames`. */
export function encodedFramesSize(frames: readonly Frame[]): number {
  let total = 0;
  for (const frame of frames) total += encodedFrameSize(frame);
  return total;
}

/** encodeFrames writes all `frames` into one new array (one socket write). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const out = new Uint8Array(encodedFramesSize(frames));
  let at = 0;
  for (const frame of frames) at = writeFrame(out, at, frame);
  return out;
}

/** encodedPacketSize is the number of bytes encodePacketInto writes for `packet`. */
export function encodedPacketSize(packet: Packet, splitSize = DEFAULT_SPLIT_SIZE): number {
  return encodedFramesSize(splitPacket(packet, splitSize));
}

/**
 * encodePacketInto writes the frames of `packet` at `offset` of `target`
 * (which needs encodedPacketSize bytes of room) and returns the offset after
 * them. Throws DrpcProtocolError for invalid values or too little room.
 */
export function encodePacketInto(target: Uint8Array, offset: number, packet: Packet, splitSize = DEFAULT_SPLIT_SIZE): number {
  let at = offset;
  for (const frame of splitPacket(packet, splitSize)) at = writeFrame(target, at, frame);
  return at;
}

/** nocopyFrameBytes is the data of `packet`'s frames that have at least `min` data bytes (what a writer may hand over without copying). */
export function nocopyFrameBytes(packet: Packet, splitSize: number, min: number): number {
  if (packet.data.length < min) return 0;
  let n = 0;
  for (const frame of splitPacket(packet, splitSize)) if (frame.data.length >= min) n += frame.data.length;
  return n;
}

/** encodePackets encodes several packets back to back into one new array (write coalescing). */
export function encodePackets(packets: readonly Packet[], splitSize = DEFAULT_SPLIT_SIZE): Uint8Array {
  const frames: Frame[] = [];
  for (const packet of packets) {
    for (const frame of splitPacket(packet, splitSize)) frames.push(frame);
  }
  return encodeFrames(frames);
}
