/**
 * SocketReads chooses the memory every read of a dialed TCP or unix socket
 * lands in (node:net's `onread`). When the connection's handler names a
 * target (`ConnHandler.readTarget`, e.g. the rest of a large frame's body)
 * the kernel copies the bytes straight there: no chunk is allocated and the
 * frame is not reassembled by a copy. Otherwise the read lands in a scratch
 * buffer: a short read is copied out into a chunk of its exact length, a long
 * one (at least a quarter of the scratch) is handed over as it is and a new
 * scratch is allocated, so a chunk never pins more than four times its bytes,
 * as with the socket's own reads.
 */
export class SocketReads {
  /** options is the `onread` option of net.connect. */
  readonly options: { buffer: () => Uint8Array; callback: (nread: number, buf: Uint8Array) => boolean };
  private scratch: Uint8Array = allocScratch();
  private sink: ((chunk: Uint8Array) => void) | undefined = undefined;
  private early: Uint8Array[] = [];
  private target: (() => Uint8Array | undefined) | undefined = undefined;
  /** directBytes counts the bytes read straight into handler-named targets. */
  directBytes = 0;

  /** constructor prepares the onread option (chunks read before bind() are kept for the sink). */
  constructor() {
    this.options = { buffer: () => this.next(), callback: (n, buf) => this.onRead(n, buf) };
  }

  /** bind sets where chunks go and who may name read targets; chunks read earlier are passed on first. */
  bind(sink: (chunk: Uint8Array) => void, target: (() => Uint8Array | undefined) | undefined): void {
    this.sink = sink;
    this.target = target;
    const early = this.early;
    this.early = [];
    for (const c of early) sink(c);
  }

  // next names the buffer for the following read: the handler's target when it wants one, else the scratch.
  private next(): Uint8Array {
    const t = this.target?.();
    return t !== undefined && t.length >= TARGET_MIN ? t : this.scratch;
  }

  private onRead(nread: number, buf: Uint8Array): boolean {
    let chunk: Uint8Array;
    if (buf !== this.scratch) {
      chunk = buf.subarray(0, nread);
      this.directBytes += nread;
    } else if (nread * 4 < buf.length) {
      chunk = buf.slice(0, nread);
    } else {
      chunk = buf.subarray(0, nread);
      this.scratch = allocScratch();
    }
    if (this.sink === undefined) this.early.push(chunk);
    else this.sink(chunk);
    return true;
  }
}

// SCRATCH is the size of a read that lands in the scratch buffer (the socket's own reads are 64 KiB too).
const SCRATCH = 64 * 1024;
// TARGET_MIN is the smallest handler-named target used; a shorter rest of a body is read into the scratch.
const TARGET_MIN = 16 * 1024;

function allocScratch(): Uint8Array {
  const b = Buffer.allocUnsafe(SCRATCH);
  return new Uint8Array(b.buffer, b.byteOffset, SCRATCH);
}
