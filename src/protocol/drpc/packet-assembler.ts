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

interface PendingPacket {
  kind: number;
  streamId: number;
  messageId: number;
  control: boolean;
  parts: Uint8Array[];
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
      partial = { kind: frame.kind, streamId, messageId, control: false, parts: [], size: 0 };
      this.partial = partial;
    } else if (frame.kind !== partial!.kind) {
      throw new DrpcProtocolError(ProtocolErrorReason.KindChange, `kind ${frame.kind} continues kind ${partial!.kind}`);
    }
    partial = partial!;
    if (partial.size + frame.data.length > this.maxPacketSize) {
      throw new DrpcProtocolError(ProtocolErrorReason.DataOverflow, `more than ${this.maxPacketSize} bytes`);
    }
    if (frame.data.length > 0) partial.parts.push(frame.data);
    partial.size += frame.data.length;
    partial.control ||= frame.control;
    if (!frame.done) return undefined;
    this.partial = undefined;
    this.message = messageId + 1;
    return {
      kind: partial.kind,
      streamId,
      messageId,
      control: partial.control,
      data: joinParts(partial.parts, partial.size),
    };
  }
}

/** joinParts concatenates frame data; a single part is returned as is. */
function joinParts(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
