/**
 * PacketAssembler joins frames into packets with the receive rules of the Go
 * reader (spec §6.2), checked in this order for every frame:
 *
 *   1. id below the current id (stream first, then message) → protocol error
 *      "id monotonicity violation";
 *   2. id differs from the current id, or no packet is in progress → a new
 *      packet starts and any unfinished one is silently dropped;
 *   3. same id as the packet in progress but another kind → "packet kind change";
 *   4. the accumulated data would exceed the limit → "data overflow" (checked
 *      before anything is buffered);
 *   5. done → the packet is returned and the current id becomes message + 1.
 *
 * Design: one class serves both protocol variants, because the fork's
 * per-stream rules (spec §15.3) are the same rules with the stream id fixed.
 *   - Connection-wide (default, upstream): one instance per connection, the
 *     current id starts at (1, 1), so stream 0, message 0 on stream 1, older
 *     streams and reused ids are all violations.
 *   - Per stream (option `streamId`, multiplexed variant): one instance per
 *     stream, the current id starts at (streamId, 1), so only message ids are
 *     ordered; a frame of any other stream is an error. StreamAssemblers
 *     routes frames of a connection to such instances.
 *
 * Memory: a packet in one frame is returned as that frame's data (no copy).
 * Of an unfinished packet, frame data of at least 4 KiB whose backing store
 * is at most twice its size is kept as a view; any other frame data is
 * copied into a growable buffer of min(maxPacketSize, max(2 × received,
 * 4 KiB)) bytes. So the memory held for an unfinished packet,
 * `reservedBytes`, is at most 2 × `partialBytes` + PACKET_SLACK, however the
 * peer cuts it into frames.
 */
import { DEFAULT_MAX_PACKET_SIZE, type Frame, type Packet } from './frame.js';
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

/** PacketAssemblerOptions configures a PacketAssembler. */
export interface PacketAssemblerOptions {
  /** maxPacketSize is the largest accepted packet data length; default 4 MiB. */
  maxPacketSize?: number;
  /** streamId binds the assembler to one stream (per-stream ordering); omit for connection-wide (upstream) ordering. */
  streamId?: number;
}

/** PACKET_SLACK is the constant of the memory bound `reservedBytes <= 2 * partialBytes + PACKET_SLACK`. */
export const PACKET_SLACK = 4096;

/** VIEW_MIN is the shortest frame data kept as a view (shorter data is copied). */
const VIEW_MIN = 4096;

/** MAX_PARTS bounds the views an unfinished packet keeps before it copies them into one buffer. */
const MAX_PARTS = 1024;

interface PendingPacket {
  kind: number;
  streamId: number;
  messageId: number;
  control: boolean;
  /** parts are the views kept while `buffer` is null. */
  parts: Uint8Array[];
  /** partsReserved is the sum of the backing-store sizes of `parts`. */
  partsReserved: number;
  /** buffer holds every received byte once small data arrived; its first `size` bytes are used. */
  buffer: Uint8Array | null;
  /** size is the number of data bytes received. */
  size: number;
}

/** PacketAssembler reassembles packets from frames; it throws only DrpcProtocolError. */
export class PacketAssembler {
  private stream: number;
  private message = 1;
  private partial: PendingPacket | undefined;
  private readonly maxPacketSize: number;
  private readonly boundStream: number | undefined;

  /** constructor validates the options; throws DrpcProtocolError for a bad limit or stream id 0. */
  constructor(options: PacketAssemblerOptions = {}) {
    const max = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new DrpcProtocolError(ProtocolErrorReason.InvalidValue, `maxPacketSize ${max}`);
    }
    const bound = options.streamId;
    if (bound !== undefined && (!Number.isSafeInteger(bound) || bound < 1)) {
      throw new DrpcProtocolError(ProtocolErrorReason.InvalidStream, `stream id ${bound}`);
    }
    this.maxPacketSize = max;
    this.boundStream = bound;
    this.stream = bound ?? 1;
  }

  /** currentId is the lowest (stream, message) id the next frame may carry. */
  get currentId(): { streamId: number; messageId: number } {
    return { streamId: this.stream, messageId: this.message };
  }

  /** inProgress tells whether an unfinished packet is buffered. */
  get inProgress(): boolean {
    return this.partial !== undefined;
  }

  /** partialBytes is the number of data bytes received for the unfinished packet (0 when none). */
  get partialBytes(): number {
    return this.partial?.size ?? 0;
  }

  /** reservedBytes is the memory held for the unfinished packet: buffer capacity and whole backing stores of kept views (at most 2 × partialBytes + PACKET_SLACK). */
  get reservedBytes(): number {
    const p = this.partial;
    return p === undefined ? 0 : p.partsReserved + (p.buffer === null ? 0 : p.buffer.length);
  }

  /**
   * push applies one frame; returns the packet it completes, else undefined.
   * Throws DrpcProtocolError on an id violation, kind change or overflow.
   */
  push(frame: Frame): Packet | undefined {
    const { streamId, messageId } = frame;
    if (this.boundStream !== undefined && streamId !== this.boundStream) {
      throw new DrpcProtocolError(ProtocolErrorReason.InvalidStream, `frame for stream ${streamId} on stream ${this.boundStream}`);
    }
    if (streamId < this.stream || (streamId === this.stream && messageId < this.message)) {
      throw new DrpcProtocolError(
        ProtocolErrorReason.IdMonotonicity,
        `<${streamId},${messageId}> after <${this.stream},${this.message}>`,
      );
    }
    let partial = this.partial;
    const starts = !partial || streamId !== this.stream || messageId !== this.message;
    if (starts && frame.done) {
      // The common case, a packet in one frame: the same rules without the partial-packet state.
      if (frame.data.length > this.maxPacketSize) {
        throw new DrpcProtocolError(ProtocolErrorReason.DataOverflow, `more than ${this.maxPacketSize} bytes`);
      }
      this.partial = undefined;
      this.stream = streamId;
      this.message = messageId + 1;
      return { kind: frame.kind, streamId, messageId, control: frame.control, data: frame.data };
    }
    if (starts) {
      this.stream = streamId;
      this.message = messageId;
      partial = { kind: frame.kind, streamId, messageId, control: false, parts: [], partsReserved: 0, buffer: null, size: 0 };
      this.partial = partial;
    } else if (frame.kind !== partial!.kind) {
      throw new DrpcProtocolError(ProtocolErrorReason.KindChange, `kind ${frame.kind} continues kind ${partial!.kind}`);
    }
    partial = partial!;
    if (partial.size + frame.data.length > this.maxPacketSize) {
      throw new DrpcProtocolError(ProtocolErrorReason.DataOverflow, `more than ${this.maxPacketSize} bytes`);
    }
    partial.control ||= frame.control;
    if (frame.data.length > 0) append(partial, frame.data, frame.done ? partial.size + frame.data.length : this.maxPacketSize);
    if (!frame.done) return undefined;
    this.partial = undefined;
    this.message = messageId + 1;
    return { kind: partial.kind, streamId, messageId, control: partial.control, data: packetData(partial) };
  }
}

/** append adds frame data to an unfinished packet: a view when large and dense, else a copy (`limit` caps the buffer's growth). */
function append(p: PendingPacket, data: Uint8Array, limit: number): void {
  const k = data.length;
  const backing = data.buffer.byteLength;
  if (p.buffer === null && k >= VIEW_MIN && backing <= 2 * k && p.parts.length < MAX_PARTS) {
    p.parts.push(data);
    p.partsReserved += backing;
    p.size += k;
    return;
  }
  const need = p.size + k;
  let buffer = p.buffer;
  if (buffer === null || buffer.length < need) {
    const grown = new Uint8Array(Math.min(limit, Math.max(2 * need, VIEW_MIN)));
    if (buffer !== null) grown.set(buffer.subarray(0, p.size));
    else copyParts(p.parts, grown);
    p.parts = [];
    p.partsReserved = 0;
    p.buffer = buffer = grown;
  }
  buffer.set(data, p.size);
  p.size = need;
}

/** packetData returns the finished packet's data: a lone view as is, else one allocation of about its size. */
function packetData(p: PendingPacket): Uint8Array {
  const buffer = p.buffer;
  if (buffer !== null) return buffer.length - p.size <= VIEW_MIN ? buffer.subarray(0, p.size) : buffer.slice(0, p.size);
  if (p.parts.length === 1) return p.parts[0]!;
  const out = new Uint8Array(p.size);
  copyParts(p.parts, out);
  return out;
}

/** copyParts concatenates views into `out` from its start. */
function copyParts(parts: readonly Uint8Array[], out: Uint8Array): void {
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
}
