import type { Conn, Listener } from '../../src/transport/conn.js';
import { dial, listen } from '../../src/transport/dial.js';
import type { PipeListener } from '../../src/transport/pipe-listener.js';
import { FrameDecoder } from '../../src/protocol/drpc/frame-decoder.js';
import { type Frame, encodeFrame, parseFrameHeader } from '../../src/protocol/drpc/frame.js';

const utf8 = new TextEncoder();

/** frameBytes encodes one frame (done unless told otherwise). */
export function frameBytes(kind: number, streamId: number, messageId: number, data: Uint8Array | string = new Uint8Array(0), o: { done?: boolean; control?: boolean } = {}): Uint8Array {
  const d = typeof data === 'string' ? utf8.encode(data) : data;
  return encodeFrame({ kind, streamId, messageId, done: o.done ?? true, control: o.control ?? false, data: d });
}

/** concat joins byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** describe renders a frame like the capture summaries: `Message s1 m2 "text"`. */
export function describe(f: Frame): string {
  const names = ['Kind0', 'Invoke', 'Message', 'Error', 'Cancel', 'Close', 'CloseSend', 'InvokeMetadata'];
  const data = f.data.length > 64 ? ` len=${f.data.length}` : f.data.length ? ` ${JSON.stringify(new TextDecoder().decode(f.data))}` : '';
  return `${names[f.kind] ?? `Kind${f.kind}`} s${f.streamId} m${f.messageId}${data}`;
}

/**
 * RawDrpcPeer speaks raw drpc bytes over a real connection, in either role:
 * it records every byte and every frame received (unassembled), and whether
 * the other side closed the connection.
 */
export class RawDrpcPeer {
  /** frames are the frames received so far (data copied). */
  readonly frames: Frame[] = [];
  /** received holds every received chunk. */
  private chunks: Uint8Array[] = [];
  /** closed is true once the connection is gone. */
  closed = false;
  /** decodeError is set when the received bytes did not decode. */
  decodeError: Error | undefined;
  private waiters: Array<() => void> = [];

  /** constructor starts reading a connection. */
  constructor(readonly conn: Conn) {
    const dec = new FrameDecoder({ maxFrameSize: 64 << 20 });
    conn.start({
      onData: (c) => {
        this.chunks.push(c.slice());
        try {
          for (const f of dec.decode(c)) this.frames.push({ ...f, data: f.data.slice() });
        } catch (e) {
          this.decodeError = e as Error;
        }
        this.wake();
      },
      onClose: () => {
        this.closed = true;
        this.wake();
      },
    });
  }

  /** connect dials a target. */
  static async connect(target: string | PipeListener): Promise<RawDrpcPeer> {
    return new RawDrpcPeer(await dial(target));
  }

  /** serve listens on a target and hands every accepted connection to `onPeer`; resolves with the listener and its dial target. */
  static async serve(target: string | Listener, onPeer: (p: RawDrpcPeer) => void): Promise<{ listener: Listener; address: string }> {
    const listener = await listen(target);
    listener.onConnection((conn) => onPeer(new RawDrpcPeer(conn)));
    return { listener, address: listener.address };
  }

  /** bytes is everything received so far. */
  get bytes(): Uint8Array {
    return concat(...this.chunks);
  }

  /** send writes raw bytes. */
  send(...parts: Uint8Array[]): void {
    this.conn.write(concat(...parts));
  }

  /** until resolves once `pred` holds (checked on every event); rejects after ms. */
  async until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (frames: ${this.frames.map(describe).join(', ')}; closed ${this.closed})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  /** waitFor resolves with the first received frame matching `pred`. */
  async waitFor(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    await this.until(() => this.frames.some(pred), ms, 'a frame');
    return this.frames.find(pred)!;
  }

  /** close destroys the connection. */
  close(): void {
    this.conn.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** decodeAll decodes a whole byte string into frames (throws on malformed bytes). */
export function decodeAll(bytes: Uint8Array): Frame[] {
  const dec = new FrameDecoder({ maxFrameSize: 64 << 20 });
  return [...dec.decode(bytes)].map((f) => ({ ...f, data: f.data.slice() }));
}

/** encodeAll encodes frames back to back (Go writes minimal varints, so captures re-encode byte for byte). */
export function encodeAll(frames: readonly Frame[]): Uint8Array {
  return concat(...frames.map((f) => encodeFrame(f)));
}

/** splitFrameBytes cuts raw bytes at frame boundaries without re-encoding (overlong varints stay as sent); a torn tail is one last piece. */
export function splitFrameBytes(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const h = parseFrameHeader(bytes, at, Number.MAX_SAFE_INTEGER);
    const end = h ? Math.min(bytes.length, at + h.headerSize + h.length) : bytes.length;
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}
