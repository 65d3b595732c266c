import { atTurnEnd } from '../../call/turn-end.js';
import type { Conn } from '../../transport/conn.js';
import { WrittenAcks } from '../written-acks.js';
import { type Packet, writeFrame, writeFrameHeader } from './frame.js';
import { encodePacketInto, encodedPacketSize, nocopyFrameBytes, splitPacket } from './packet-writer.js';

/** Defer runs a callback on a later turn of the event loop. @inline */
export type Defer = (run: () => void) => void;

/** defaultDefer flushes at the end of the running scheduler turn, else at the end of the current event-loop turn (check phase). */
export const defaultDefer: Defer = atTurnEnd;

/** PacketAck is told once whether the packets it was pushed with were handed to the connection (false: the connection closed first). */
export type PacketAck = (written: boolean) => void;

/** DEFAULT_WRITE_BUFFER_SIZE is how many bytes a turn's packets may pile up before they are written without waiting for the turn to end. */
export const DEFAULT_WRITE_BUFFER_SIZE = 8192;

/** DRPC_NOCOPY_MIN_BYTES is the smallest frame data a socket writer hands to the connection as it is (its own chunk of a writev) instead of copying it into the write buffer. */
export const DRPC_NOCOPY_MIN_BYTES = 32 * 1024;

/**
 * DrpcFrameWriter is the one writer queue of a connection. Packets of every
 * stream are queued in order and one deferred flush per turn encodes them
 * (split into frames of at most `splitSize` bytes) into a single buffer and
 * writes it once; a turn that queues more than `writeBufferSize` bytes writes
 * each full buffer at once (whole push() groups only), so the peer starts on
 * them while this side produces the rest. Acknowledgements run at the end
 * of the turn, never inside push(). Ordering guarantees that the sessions rely on:
 *
 *   - the packets of one push() are contiguous on the wire (InvokeMetadata and
 *     Invoke are pushed together, so nothing can land between them);
 *   - the frames of one packet are never interleaved with other frames, so a
 *     reader that assembles packets connection-wide (upstream, fork-A) reads
 *     them correctly;
 *   - a Cancel pushed after a stream's message is written after all of that
 *     message's frames (FIFO).
 *
 * No copy of large frames: on a socket (kind tcp or unix), a frame whose data
 * is at least `nocopyMin` bytes is not copied into the write buffer: its
 * header goes into the buffer and its data (a view of the packet's data) is
 * its own chunk of one writev, in order. The connection then owns it, so a
 * caller must not modify a packet's data after pushing it; its ack waits
 * until the socket has taken every byte. The in-memory pipe always copies.
 */
export class DrpcFrameWriter {
  private queue: Packet[] = [];
  private total = 0;
  // Bytes of `total` that are large frame data written as their own chunks (not copied).
  private nocopyTotal = 0;
  private readonly nocopyMin: number;
  private scheduled = false;
  private acks: PacketAck[] = [];
  private blockedAcks: PacketAck[] = [];
  // Acks of flushes written while over the high-water mark, released as the kernel takes their bytes (blockedAcks, released by a drain, only without Conn.whenWritten).
  private readonly written: WrittenAcks<PacketAck>;
  // Set when a write found the connection over its high-water mark; cleared by drained().
  private overHighWater = false;
  // Set while the connection holds more than maxPendingWriteBytes unwritten (reported through onBlocked).
  private blocked = false;
  private closed = false;
  /** onBlocked is told when the connection starts holding more than maxPendingWriteBytes that the peer has not read (true) and when that is back under half of it, or drained without Conn.whenBelow (false). */
  onBlocked: ((blocked: boolean) => void) | undefined = undefined;
  /** maxPendingWriteBytes is the unwritten output above which onBlocked(true) is reported. */
  maxPendingWriteBytes = Infinity;
  /** packetsWritten counts packets handed to the connection. */
  packetsWritten = 0;
  /** writes counts connection writes (coalesced flushes). */
  writes = 0;
  /** queuedPackets counts packets ever queued: the next packet pushed gets this sequence number. */
  queuedPackets = 0;
  /** handedPackets counts packets passed to conn.write (packets queued in order: sequence numbers below it reached the connection). */
  handedPackets = 0;
  /** nocopyPayloads counts frame data handed to the connection as their own chunks, without a copy. */
  nocopyPayloads = 0;
  /** copiedBytes counts the bytes copied into write buffers (frame headers and small frame data). */
  copiedBytes = 0;

  /** constructor binds the writer to a connection; `nocopyMin` overrides DRPC_NOCOPY_MIN_BYTES (Infinity: always copy; the pipe always copies). */
  constructor(
    private readonly conn: Conn,
    private readonly splitSize: number,
    private readonly defer: Defer = defaultDefer,
    private readonly writeBufferSize: number = DEFAULT_WRITE_BUFFER_SIZE,
    nocopyMin: number = DRPC_NOCOPY_MIN_BYTES,
  ) {
    this.nocopyMin = conn.kind === 'pipe' ? Infinity : Math.max(1, nocopyMin);
    this.written = new WrittenAcks<PacketAck>(conn, (a) => a(true));
  }

  /**
   * push queues packets to be written contiguously. `ack` runs once they were
   * handed to the connection and the connection is below its high-water mark
   * (send completions carry backpressure this way). Throws DrpcProtocolError
   * for an unencodable packet (ids out of range) before queuing anything.
   */
  push(packets: readonly Packet[], ack?: PacketAck): void {
    if (this.conn.closed || this.closed) return this.dropLater(ack);
    let size = 0;
    let nocopy = 0;
    for (const p of packets) size += encodedPacketSize(p, this.splitSize);
    for (const p of packets) nocopy += nocopyFrameBytes(p, this.splitSize, this.nocopyMin);
    for (const p of packets) this.queue.push(p);
    this.queuedPackets += packets.length;
    this.total += size;
    this.nocopyTotal += nocopy;
    if (ack) this.acks.push(ack);
    if (this.total >= this.writeBufferSize) this.writeOut();
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
  }

  /** pending is the number of bytes waiting for the next flush. */
  get pending(): number {
    return this.total;
  }

  /** flushNow writes everything queued as one buffer and runs the acknowledgements of the turn. */
  readonly flushNow = (): void => {
    this.scheduled = false;
    this.writeOut();
    const acks = this.acks;
    if (acks.length === 0) return;
    this.acks = [];
    if (this.conn.closed || this.closed) {
      for (const a of acks) a(false);
      return;
    }
    if (!this.overHighWater && this.blockedAcks.length === 0 && this.written.empty) for (const a of acks) a(true);
    else if (!this.written.hold(acks)) for (const a of acks) this.blockedAcks.push(a);
  };

  /**
   * connectionClosed releases every acknowledgement still waiting (queued in
   * this turn or held back by backpressure) with written=false, so each call
   * that wrote learns its fate exactly once; later pushes are dropped too.
   */
  connectionClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.total = 0;
    this.nocopyTotal = 0;
    const acks = this.written.takeAll().concat(this.blockedAcks, this.acks);
    this.blockedAcks = [];
    this.acks = [];
    for (const a of acks) a(false);
  }

  // dropLater reports packets pushed after the connection closed as not written, on a later turn (never inside push).
  private dropLater(ack: PacketAck | undefined): void {
    if (!ack) return;
    this.acks.push(ack);
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
  }

  /** writeOut writes the queued packets: one buffer, or a writev of buffer pieces and large frame data (acknowledgements wait for flushNow). */
  private writeOut(): void {
    const packets = this.queue;
    if (packets.length === 0) return;
    const min = this.nocopyMin;
    const size = this.total - this.nocopyTotal;
    const out = Buffer.allocUnsafe(size);
    // Chunks for a writev, when large frame data was left out of `out`; `from` is where the current piece of `out` starts.
    let chunks: Uint8Array[] | null = null;
    let from = 0;
    let at = 0;
    for (const p of packets) {
      if (p.data.length < min) {
        at = encodePacketInto(out, at, p, this.splitSize);
        continue;
      }
      for (const f of splitPacket(p, this.splitSize)) {
        if (f.data.length < min) {
          at = writeFrame(out, at, f);
          continue;
        }
        at = writeFrameHeader(out, at, f);
        chunks ??= [];
        if (at > from) chunks.push(out.subarray(from, at));
        chunks.push(f.data);
        from = at;
        this.nocopyPayloads++;
      }
    }
    this.copiedBytes += size;
    this.queue = [];
    this.total = 0;
    this.nocopyTotal = 0;
    this.packetsWritten += packets.length;
    this.writes++;
    if (this.conn.closed) return;
    this.handedPackets = this.queuedPackets;
    if (chunks !== null && at > from) chunks.push(out.subarray(from, at));
    const ok = chunks === null ? this.conn.write(out) : chunks.length === 1 ? this.conn.write(chunks[0]!) : this.conn.writev(chunks);
    if (!ok) {
      this.overHighWater = true;
      if (!this.blocked && this.onBlocked !== undefined && this.conn.bufferedWriteBytes >= this.maxPendingWriteBytes) {
        this.blocked = true;
        this.onBlocked(true);
        // Unblock once the peer has taken half of it (or, without whenBelow, once the output drained).
        this.conn.whenBelow?.(this.maxPendingWriteBytes / 2, this.unblock);
      }
    }
  }

  // unblock reports that the output went back under the limit (from whenBelow or drained).
  private readonly unblock = (): void => {
    if (!this.blocked) return;
    this.blocked = false;
    this.onBlocked?.(false);
  };

  /** drained releases the acks held back while the connection was over its high-water mark. */
  drained(): void {
    this.overHighWater = false;
    this.unblock();
    const acks = this.blockedAcks;
    this.blockedAcks = [];
    for (const a of acks) a(true);
  }
}
