import type { Conn } from '../../transport/conn.js';
import { HEADER_LENGTH, writeHeader } from './frame.js';

/** Defer runs a callback on a later turn of the event loop. */
export type Defer = (run: () => void) => void;

/** defaultDefer flushes at the end of the current event-loop turn (check phase). */
export const defaultDefer: Defer = (run) => {
  setImmediate(run);
};

/**
 * FrameWriter coalesces the frames a session produces during one turn into a
 * single socket write: frames are queued, and one deferred flush copies them
 * into one buffer (headers and bodies back to back) and writes it once.
 */
export class FrameWriter {
  private headers: number[] = [];
  private bodies: Uint8Array[] = [];
  private total = 0;
  private scheduled = false;
  private acks: Array<() => void> = [];
  private blockedAcks: Array<() => void> = [];
  /** framesWritten counts frames handed to the connection. */
  framesWritten = 0;
  /** writes counts connection writes (coalesced flushes). */
  writes = 0;

  /** constructor binds the writer to a connection. */
  constructor(
    private readonly conn: Conn,
    private readonly defer: Defer = defaultDefer,
  ) {}

  /**
   * push queues one frame; the caller has checked its size limit. `ack` runs
   * once the frame was handed to the connection and the connection is not
   * over its high-water mark (this is how send completions carry backpressure).
   */
  push(streamId: number, type: number, flags: number, data: Uint8Array, ack?: () => void): void {
    if (this.conn.closed) return;
    if (ack) this.acks.push(ack);
    this.headers.push(streamId, type, flags);
    this.bodies.push(data);
    this.total += HEADER_LENGTH + data.byteLength;
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.flushNow);
    }
  }

  /** pending is the number of bytes waiting for the next flush. */
  get pending(): number {
    return this.total;
  }

  /** flushNow writes everything queued as one buffer. */
  readonly flushNow = (): void => {
    this.scheduled = false;
    const n = this.bodies.length;
    if (n === 0) return;
    const out = Buffer.allocUnsafe(this.total);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const body = this.bodies[i]!;
      writeHeader(out, off, body.byteLength, this.headers[i * 3]!, this.headers[i * 3 + 1]!, this.headers[i * 3 + 2]!, 0xffffffff);
      off += HEADER_LENGTH;
      out.set(body, off);
      off += body.byteLength;
    }
    this.headers = [];
    this.bodies = [];
    this.total = 0;
    this.framesWritten += n;
    this.writes++;
    const acks = this.acks;
    this.acks = [];
    if (this.conn.closed) return;
    const open = this.conn.write(out);
    if (acks.length === 0) return;
    if (open && this.blockedAcks.length === 0) for (const a of acks) a();
    else for (const a of acks) this.blockedAcks.push(a);
  };

  /** drained releases the acks held back while the connection was over its high-water mark. */
  drained(): void {
    const acks = this.blockedAcks;
    this.blockedAcks = [];
    for (const a of acks) a();
  }
}
