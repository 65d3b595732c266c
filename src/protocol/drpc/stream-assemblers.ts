/**
 * StreamAssemblers is packet assembly for the multiplexed variant (spec
 * §15.3): frames of one connection are routed by stream id to a per-stream
 * PacketAssembler, so frames of different streams may interleave and stream
 * ids need not increase. Which stream ids are acceptable at all (unknown,
 * finished, over a cap) is session state: the session decides before calling
 * push and calls forget() when a stream ends.
 *
 * `reservedBytes` sums the memory held by the unfinished packets of all
 * streams (each at most 2 × its received bytes + PACKET_SLACK), so a session
 * can budget unfinished messages per connection and, over budget, find the
 * stream holding the most with largestPartial().
 */
import type { Frame, Packet } from './frame.js';
import { PacketAssembler } from './packet-assembler.js';
import { DrpcProtocolError, ProtocolErrorReason } from './protocol-error.js';

/** StreamAssemblersOptions configures StreamAssemblers. */
export interface StreamAssemblersOptions {
  /** maxPacketSize is the per-packet data limit of every stream; default 4 MiB. */
  maxPacketSize?: number;
}

/** StreamAssemblers keeps one PacketAssembler per stream id; throws only DrpcProtocolError. */
export class StreamAssemblers {
  private readonly streams = new Map<number, PacketAssembler>();
  private readonly maxPacketSize: number | undefined;
  private reserved = 0;

  /** constructor stores the options (validated when the first stream is created). */
  constructor(options: StreamAssemblersOptions = {}) {
    this.maxPacketSize = options.maxPacketSize;
  }

  /** size is the number of streams with assembly state. */
  get size(): number {
    return this.streams.size;
  }

  /** reservedBytes is the memory held by the unfinished packets of all streams. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** largestPartial finds the stream whose unfinished packet holds the most memory; undefined when none holds any. */
  largestPartial(): { streamId: number; reservedBytes: number } | undefined {
    let best: { streamId: number; reservedBytes: number } | undefined;
    for (const [streamId, assembler] of this.streams) {
      const reservedBytes = assembler.reservedBytes;
      if (reservedBytes > (best?.reservedBytes ?? 0)) best = { streamId, reservedBytes };
    }
    return best;
  }

  /** has tells whether `streamId` has assembly state. */
  has(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /**
   * push routes a frame to its stream's assembler (created on first use) and
   * returns the packet it completes. Throws DrpcProtocolError for stream id 0
   * (rejected outright, like the fork's reader) and for the per-stream rules.
   */
  push(frame: Frame): Packet | undefined {
    let assembler = this.streams.get(frame.streamId);
    if (!assembler) {
      if (frame.streamId === 0) throw new DrpcProtocolError(ProtocolErrorReason.InvalidStream, 'stream id 0');
      assembler = new PacketAssembler({ maxPacketSize: this.maxPacketSize, streamId: frame.streamId });
      this.streams.set(frame.streamId, assembler);
    }
    const before = assembler.reservedBytes;
    try {
      return assembler.push(frame);
    } finally {
      this.reserved += assembler.reservedBytes - before;
    }
  }

  /** forget drops the state of a finished stream (and any partial packet of it). */
  forget(streamId: number): void {
    const assembler = this.streams.get(streamId);
    if (!assembler) return;
    this.reserved -= assembler.reservedBytes;
    this.streams.delete(streamId);
  }
}
