/**
 * The raw baseline: a framed echo over a Conn with the same 10-byte header as
 * ttrpc (length u32, stream id u32, type, flags) and nothing else: no
 * protobuf envelope, no sessions, no per-call objects. Like the ttrpc session,
 * both ends coalesce the frames produced in one event-loop turn into a single
 * write, flushed with setImmediate.
 */
import type { Conn } from '../src/transport/conn.js';
import type { EchoDriver, RoundResult } from './stats.js';

const HEADER = 10;
const TYPE_REQUEST = 1;
const TYPE_RESPONSE = 2;

function frameLength(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/**
 * FrameSplitter finds complete frames in a byte stream. Frames inside one
 * chunk are handled in place; a frame split across chunks is copied once,
 * when its last chunk arrives (so a 1 MiB frame costs one copy, not one per
 * chunk).
 */
class FrameSplitter {
  private parts: Uint8Array[] = [];
  private pending = 0;
  private need = 0;

  /** push calls onFrame(buf, offset, length) per complete frame and returns the view holding them all (null if none). */
  push(chunk: Uint8Array, onFrame: (buf: Uint8Array, off: number, len: number) => void): Uint8Array | null {
    let buf = chunk;
    if (this.pending > 0) {
      this.parts.push(chunk);
      this.pending += chunk.length;
      if (this.pending < this.need) return null;
      buf = Buffer.concat(this.parts, this.pending);
      this.parts = [];
      this.pending = 0;
    }
    const n = buf.length;
    let pos = 0;
    while (n - pos >= HEADER) {
      const len = frameLength(buf, pos);
      if (n - pos - HEADER < len) break;
      onFrame(buf, pos, len);
      pos += HEADER + len;
    }
    if (pos < n) {
      this.parts = [buf.subarray(pos)];
      this.pending = n - pos;
      this.need = n - pos >= HEADER ? HEADER + frameLength(buf, pos) : HEADER;
    }
    return pos === 0 ? null : pos === n ? buf : buf.subarray(0, pos);
  }
}

function markResponse(buf: Uint8Array, off: number): void {
  buf[off + 8] = TYPE_RESPONSE;
}

/**
 * serveRawEcho echoes every frame of a connection back with its type set to
 * Response. Received chunks are owned by the handler, so the frames are
 * rewritten in place and written back without a copy; the runs collected in
 * one turn go out in one write.
 */
export function serveRawEcho(conn: Conn): void {
  const splitter = new FrameSplitter();
  let out: Uint8Array[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const runs = out;
    out = [];
    if (runs.length === 1) conn.write(runs[0]!);
    else conn.writev(runs);
  };
  conn.start({
    onData(chunk) {
      const run = splitter.push(chunk, markResponse);
      if (run === null) return;
      out.push(run);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    onClose() {},
  });
}

/**
 * RawEchoClient keeps N request frames in flight on a connection: each
 * response is counted and immediately replaced by a new request. Requests
 * made in one turn are written straight into one batch buffer (a single
 * allocation per turn) that is written once at the end of the turn.
 */
export class RawEchoClient implements EchoDriver {
  private readonly splitter = new FrameSplitter();
  private readonly frameSize: number;
  private batch: Buffer | null = null;
  private used = 0;
  private capacity = 0;
  private scheduled = false;
  private nextId = 1;
  private outstanding = 0;
  private calls = 0;
  private stopped = true;
  private trackLatency = false;
  private sentAt = 0;
  private latencies: number[] = [];
  private finish: (() => void) | undefined;
  private readonly onFrame = (buf: Uint8Array, off: number, len: number): void => this.onResponse(buf, off, len);
  private readonly flush = (): void => this.flushBatch();

  /** constructor starts reading the connection; `payload` is the request body of every call. */
  constructor(
    private readonly conn: Conn,
    private readonly payload: Uint8Array,
  ) {
    this.frameSize = HEADER + payload.length;
    conn.start({
      onData: (chunk) => void this.splitter.push(chunk, this.onFrame),
      onClose: () => {
        this.stopped = true;
        this.finish?.();
      },
    });
  }

  /** run keeps `inflight` requests outstanding for `seconds`, then drains them. */
  run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult> {
    this.calls = 0;
    this.latencies = [];
    this.trackLatency = trackLatency;
    // One batch holds a turn's requests, up to 256 KiB (at least one frame).
    this.capacity = Math.min(inflight * this.frameSize, Math.max(this.frameSize, 256 * 1024));
    this.stopped = false;
    const start = performance.now();
    const timer = setTimeout(() => (this.stopped = true), seconds * 1000);
    return new Promise((resolve, reject) => {
      this.finish = () => {
        clearTimeout(timer);
        this.finish = undefined;
        if (this.outstanding !== 0) return reject(new Error('raw echo: connection closed'));
        resolve({ calls: this.calls, seconds: (performance.now() - start) / 1000, latenciesMs: this.latencies });
      };
      for (let i = 0; i < inflight; i++) this.send();
    });
  }

  /** close closes the connection. */
  close(): void {
    this.conn.close();
  }

  private send(): void {
    if (this.batch !== null && this.used + this.frameSize > this.batch.length) this.flushBatch();
    if (this.batch === null) {
      this.batch = Buffer.allocUnsafe(this.capacity);
      this.used = 0;
    }
    const b = this.batch;
    let o = this.used;
    const len = this.payload.length;
    const id = this.nextId;
    this.nextId = (id + 2) >>> 0;
    b[o] = len >>> 24;
    b[o + 1] = len >>> 16;
    b[o + 2] = len >>> 8;
    b[o + 3] = len;
    b[o + 4] = id >>> 24;
    b[o + 5] = id >>> 16;
    b[o + 6] = id >>> 8;
    b[o + 7] = id;
    b[o + 8] = TYPE_REQUEST;
    b[o + 9] = 0;
    b.set(this.payload, o + HEADER);
    o += this.frameSize;
    this.used = o;
    this.outstanding++;
    if (this.trackLatency) this.sentAt = performance.now();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private flushBatch(): void {
    this.scheduled = false;
    const b = this.batch;
    if (b === null) return;
    this.batch = null;
    this.conn.write(this.used === b.length ? b : b.subarray(0, this.used));
  }

  private onResponse(buf: Uint8Array, off: number, len: number): void {
    if (buf[off + 8] !== TYPE_RESPONSE || len !== this.payload.length) throw new Error('raw echo: unexpected frame');
    this.outstanding--;
    this.calls++;
    // Latency is tracked only with one call in flight, so one timestamp suffices.
    if (this.trackLatency) this.latencies.push(performance.now() - this.sentAt);
    if (!this.stopped) this.send();
    else if (this.outstanding === 0) this.finish?.();
  }
}
