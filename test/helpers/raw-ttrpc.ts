import type { Conn } from '../../src/transport/conn.js';
import { dial } from '../../src/transport/dial.js';
import type { PipeListener } from '../../src/transport/pipe-listener.js';
import { FrameDecoder } from '../../src/protocol/ttrpc/decoder.js';
import { type Frame, encodeFrame } from '../../src/protocol/ttrpc/frame.js';

/** RawPeer speaks raw ttrpc frames over a real connection, for bad-input tests. */
export class RawPeer {
  readonly frames: Frame[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private constructor(readonly conn: Conn) {
    const dec = new FrameDecoder({ onFrame: (f) => this.push({ ...f, data: f.data.slice() }), maxMessageLength: 64 << 20 });
    conn.start({
      onData: (c) => dec.push(c),
      onClose: () => {
        this.closed = true;
        this.wake();
      },
    });
  }

  /** connect dials a target. */
  static async connect(target: string | PipeListener): Promise<RawPeer> {
    return new RawPeer(await dial(target));
  }

  /** send writes one frame. */
  send(streamId: number, type: number, flags: number, data: Uint8Array = new Uint8Array(0)): void {
    this.conn.write(encodeFrame(streamId, type, flags, data, 64 << 20));
  }

  /** sendBytes writes raw bytes. */
  sendBytes(b: Uint8Array): void {
    this.conn.write(b);
  }

  /** waitFrames resolves once n frames arrived (rejects after ms). */
  async waitFrames(count: number, ms = 3000): Promise<Frame[]> {
    const until = Date.now() + ms;
    while (this.frames.length < count) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${count} frames (got ${this.frames.length})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
    return this.frames.slice(0, count);
  }

  /** waitFor resolves with the first frame matching a predicate (rejects after ms). */
  async waitFor(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const until = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() > until) throw new Error(`timed out waiting for a frame (got ${this.frames.length})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  /** close closes the connection. */
  close(): void {
    this.conn.destroy();
  }

  private push(f: Frame): void {
    this.frames.push(f);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
