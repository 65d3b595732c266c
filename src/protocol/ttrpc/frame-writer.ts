import { atTurnEnd } from '../../call/turn-end.js';
import type { Conn } from '../../transport/conn.js';
import { WrittenAcks } from '../written-acks.js';
import { HEADER_LENGTH, writeHeader } from './frame.js';
import { varintSize, writeVarint32 } from './wire-writer.js';

/** Defer runs a callback on a later turn of the event loop. @inline */
export type Defer = (run: () => void) => void;

/** defaultDefer flushes at the end of the running scheduler turn, else at the end of the current event-loop turn (check phase). */
export const defaultDefer: Defer = atTurnEnd;

/** FrameAck is told once a frame it was attached to has been handed to the connection (one call per frame). */
export interface FrameAck {
  /** frameWritten runs once per acknowledged frame, in push order. */
  frameWritten(): void;
  /** frameDropped runs instead of frameWritten when the connection closed before the frame could be written (default: frameWritten). */
  frameDropped?(): void;
}

/** WriteAck is a frame's completion: a callback or an object (calls acknowledge themselves without a closure per frame). */
export type WriteAck = (() => void) | FrameAck;

const NO_TAG = -1;

/** MAX_KEPT_BODIES bounds the frame lists a writer keeps between flushes (longer ones, from a burst, are dropped). */
const MAX_KEPT_BODIES = 1 << 14;
const EMPTY = new Uint8Array(0);

/** fieldFrameSize is the data length of a frame built by pushField: prefix, then `tag`, varint length and payload (omitted when the payload is empty, as proto3 does). */
export function fieldFrameSize(prefix: Uint8Array, payload: Uint8Array): number {
  const n = payload.byteLength;
  return prefix.byteLength + (n === 0 ? 0 : 1 + varintSize(n) + n);
}

/** DEFAULT_WRITE_BUFFER_SIZE is how many bytes a turn's frames may pile up before they are written without waiting for the turn to end. */
export const DEFAULT_WRITE_BUFFER_SIZE = 8192;

/** NOCOPY_MIN_BYTES is the smallest payload a socket writer hands to the connection as it is (its own chunk of a writev) instead of copying it into the write buffer. */
export const NOCOPY_MIN_BYTES = 32 * 1024;

/**
 * FrameWriter coalesces the frames a session produces during one turn into
 * socket writes: frames are queued, and one deferred flush copies them into
 * one buffer (headers and bodies back to back) and writes it once. A turn
 * that produces more than `writeBufferSize` bytes writes each full buffer as
 * soon as it is full, so the peer starts on the first frames while this side
 * still produces the rest (the two processes work in parallel instead of in
 * turn); write acknowledgements still run at the end of the turn, never
 * inside push().
 * A frame's data is either one array (push) or an encoded prefix followed by
 * one length-delimited field (pushField), which is how a ttrpc Request or
 * Response envelope whose last field is the payload gets written without
 * being encoded into an intermediate array first.
 *
 * No copy of large payloads: on a socket (kind tcp or unix), a frame's data
 * or field payload of at least NOCOPY_MIN_BYTES is not copied into the write
 * buffer: the buffer holds the headers, prefixes and small frames, and the
 * large payloads go out as their own chunks of one writev, in order. The
 * connection then owns them (the socket holds them until sent), so a caller
 * must not modify a payload after pushing it; its acknowledgement waits until
 * the socket has taken every byte (SocketConn.writev reports a partly
 * written large chunk as over the high-water mark). The in-memory pipe, which
 * hands chunks to the peer as they are, always gets copies.
 */
export class FrameWriter {
  // Per frame: stream id, type, flags, field tag (NO_TAG: `bodies` holds the whole data).
  // The first `headerCount` entries are queued; the lists are kept from flush to flush (entries
  // past the count are stale) so a turn's frames do not grow a new list every time.
  private headers: number[] = [];
  private headerCount = 0;
  // Per frame: the data, or the prefix then the payload (two entries) when the tag is set; `bodyCount` as above (written entries are reset to EMPTY so they keep no payload alive).
  private bodies: Uint8Array[] = [];
  private bodyCount = 0;
  private total = 0;
  // Bytes of `total` that are large payloads written as their own chunks (not copied).
  private nocopyTotal = 0;
  private readonly nocopyMin: number;
  private scheduled = false;
  private acks: WriteAck[] = [];
  private blockedAcks: WriteAck[] = [];
  // Acks of flushes written while over the high-water mark, released as the kernel takes their bytes (blockedAcks, released by a drain, only without Conn.whenWritten).
  private readonly written: WrittenAcks<WriteAck>;
  // Set when a write found the connection over its high-water mark; cleared by drained().
  private overHighWater = false;
  // Set while the connection holds more than maxPendingWriteBytes unwritten (reported through onBlocked).
  private blocked = false;
  private closed = false;
  /** onBlocked is told when the connection starts holding more than maxPendingWriteBytes that the peer has not read (true) and when that is back under half of it, or drained without Conn.whenBelow (false). */
  onBlocked: ((blocked: boolean) => void) | undefined = undefined;
  /** maxPendingWriteBytes is the unwritten output above which onBlocked(true) is reported. */
  maxPendingWriteBytes = Infinity;
  /** framesWritten counts frames handed to the connection. */
  framesWritten = 0;
  /** writes counts connection writes (coalesced flushes). */
  writes = 0;
  /** queuedFrames counts frames ever queued: the next frame pushed gets this sequence number. */
  queuedFrames = 0;
  /** handedFrames counts frames passed to conn.write (frames queued in order: sequence numbers below it reached the connection). */
  handedFrames = 0;
  /** nocopyPayloads counts payloads handed to the connection as their own chunks, without a copy. */
  nocopyPayloads = 0;
  /** copiedBytes counts the bytes copied into write buffers (headers, prefixes, small payloads). */
  copiedBytes = 0;

  /** constructor binds the writer to a connection; `nocopyMin` overrides NOCOPY_MIN_BYTES (Infinity: always copy; the pipe always copies). */
  constructor(
    private readonly conn: Conn,
    private readonly defer: Defer = defaultDefer,
    private readonly writeBufferSize: number = DEFAULT_WRITE_BUFFER_SIZE,
    nocopyMin: number = NOCOPY_MIN_BYTES,
  ) {
    this.nocopyMin = conn.kind === 'pipe' ? Infinity : Math.max(1, nocopyMin);
    this.written = new WrittenAcks<WriteAck>(conn, runAck);
  }

  /**
   * push queues one frame; the caller has checked its size limit. `ack` runs
   * once the frame was handed to the connection and the connection is not
   * over its high-water mark (this is how send completions carry backpressure).
   */
  push(streamId: number, type: number, flags: number, data: Uint8Array, ack?: WriteAck): void {
    if (!this.queueHeader(streamId, type, flags, NO_TAG, ack)) return;
    this.bodies[this.bodyCount++] = data;
    this.total += HEADER_LENGTH + data.byteLength;
    if (data.byteLength >= this.nocopyMin) this.nocopyTotal += data.byteLength;
    this.schedule();
  }

  /** queueHeader queues a frame's header fields and its ack; false (the ack dropped later) when the connection is closed. */
  private queueHeader(streamId: number, type: number, flags: number, tag: number, ack: WriteAck | undefined): boolean {
    if (this.conn.closed || this.closed) {
      this.dropLater(ack);
      return false;
    }
    if (ack) this.acks.push(ack);
    this.queuedFrames++;
    const h = this.headers;
    const k = this.headerCount;
    h[k] = streamId;
    h[k + 1] = type;
    h[k + 2] = flags;
    h[k + 3] = tag;
    this.headerCount = k + 4;
    return true;
  }

  /**
   * pushField queues one frame whose data is `prefix` followed by the
   * protobuf field `tag` carrying `payload` (left out when the payload is
   * empty); its data length is fieldFrameSize(prefix, payload), which the
   * caller has checked against its limit. `ack` as for push.
   */
  pushField(streamId: number, type: number, flags: number, prefix: Uint8Array, tag: number, payload: Uint8Array, ack?: WriteAck): void {
    if (!this.queueHeader(streamId, type, flags, payload.byteLength === 0 ? NO_TAG : tag, ack)) return;
    this.bodies[this.bodyCount++] = prefix;
    if (payload.byteLength !== 0) this.bodies[this.bodyCount++] = payload;
    this.total += HEADER_LENGTH + fieldFrameSize(prefix, payload);
    if (payload.byteLength >= this.nocopyMin) this.nocopyTotal += payload.byteLength;
    this.schedule();
  }

  /** pending is the number of bytes waiting for the next flush. */
  get pending(): number {
    return this.total;
  }

  private schedule(): void {
    if (this.total >= this.writeBufferSize) this.writeOut();
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
  }

  /** flushNow writes everything queued as one buffer and runs the acknowledgements of the turn. */
  readonly flushNow = (): void => {
    this.scheduled = false;
    this.writeOut();
    const acks = this.acks;
    if (acks.length === 0) return;
    this.acks = [];
    if (this.conn.closed || this.closed) {
      for (const a of acks) dropAck(a);
      return;
    }
    if (!this.overHighWater && this.blockedAcks.length === 0 && this.written.empty) for (const a of acks) runAck(a);
    else if (!this.written.hold(acks)) for (const a of acks) this.blockedAcks.push(a);
  };


  /**
   * connectionClosed releases every acknowledgement still waiting (queued in
   * this turn or held back by backpressure) as dropped, so each call that
   * wrote a frame learns its fate exactly once; later pushes are dropped too.
   */
  connectionClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.headers = [];
    this.headerCount = 0;
    this.bodies = [];
    this.bodyCount = 0;
    this.total = 0;
    this.nocopyTotal = 0;
    const acks = this.written.takeAll().concat(this.blockedAcks, this.acks);
    this.blockedAcks = [];
    this.acks = [];
    for (const a of acks) dropAck(a);
  }

  // dropLater reports a frame pushed after the connection closed as dropped, on a later turn (never inside push).
  private dropLater(ack: WriteAck | undefined): void {
    if (!ack) return;
    this.acks.push(ack);
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
  }

  /** writeOut writes the queued frames: one buffer, or a writev of buffer pieces and large payloads (acknowledgements wait for flushNow). */
  private writeOut(): void {
    const headers = this.headers;
    const n = this.headerCount >> 2;
    if (n === 0) return;
    const bodies = this.bodies;
    const min = this.nocopyMin;
    const size = this.total - this.nocopyTotal;
    const out = Buffer.allocUnsafe(size);
    // Chunks for a writev, when a large payload was left out of `out`; `from` is where the current piece of `out` starts.
    let chunks: Uint8Array[] | null = null;
    let from = 0;
    let off = 0;
    for (let i = 0, b = 0; i < n; i++) {
      const h = i << 2;
      const tag = headers[h + 3]!;
      const first = bodies[b++]!;
      let payload: Uint8Array;
      if (tag === NO_TAG) {
        writeHeader(out, off, first.byteLength, headers[h]!, headers[h + 1]!, headers[h + 2]!, 0xffffffff);
        off += HEADER_LENGTH;
        payload = first;
      } else {
        payload = bodies[b++]!;
        writeHeader(out, off, fieldFrameSize(first, payload), headers[h]!, headers[h + 1]!, headers[h + 2]!, 0xffffffff);
        off += HEADER_LENGTH;
        if (first.byteLength !== 0) {
          out.set(first, off);
          off += first.byteLength;
        }
        out[off++] = tag;
        off = writeVarint32(out, off, payload.byteLength);
      }
      if (payload.byteLength < min) {
        out.set(payload, off);
        off += payload.byteLength;
        continue;
      }
      chunks ??= [];
      if (off > from) chunks.push(out.subarray(from, off));
      chunks.push(payload);
      from = off;
      this.nocopyPayloads++;
    }
    this.copiedBytes += size;
    this.nocopyTotal = 0;
    this.headerCount = 0;
    const nb = this.bodyCount;
    this.bodyCount = 0;
    if (nb > MAX_KEPT_BODIES) {
      // A burst: let its lists go rather than keep them for good.
      this.headers = [];
      this.bodies = [];
    } else bodies.fill(EMPTY, 0, nb);
    this.total = 0;
    this.framesWritten += n;
    this.writes++;
    if (this.conn.closed) return;
    this.handedFrames = this.queuedFrames;
    if (chunks !== null && off > from) chunks.push(out.subarray(from, off));
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
    for (const a of acks) runAck(a);
  }
}


function runAck(a: WriteAck): void {
  if (typeof a === 'function') a();
  else a.frameWritten();
}

function dropAck(a: WriteAck): void {
  if (typeof a === 'function') a();
  else if (a.frameDropped) a.frameDropped();
  else a.frameWritten();
}

/** EMPTY_PREFIX is the prefix of an envelope whose only field is the payload. */
export const EMPTY_PREFIX: Uint8Array = EMPTY;
