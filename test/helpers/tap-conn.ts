import type { Conn, ConnHandler } from '../../src/transport/conn.js';
import { dial, listen } from '../../src/transport/dial.js';
import { TRANSPORTS } from './transports.js';

/** TapConn passes everything to a real connection and shows onWrite the chunks of every write (as they are: keep copies if their bytes matter later). */
export abstract class TapConn implements Conn {
  /** whenWritten and whenBelow are the real connection's, when it has them. */
  readonly whenWritten?: (cb: () => void) => void;
  readonly whenBelow?: (bytes: number, cb: () => void) => void;
  constructor(private readonly inner: Conn) {
    if (inner.whenWritten) this.whenWritten = (cb) => inner.whenWritten!(cb);
    if (inner.whenBelow) this.whenBelow = (bytes, cb) => inner.whenBelow!(bytes, cb);
  }
  /** onWrite sees the chunks of one write or writev before the real connection takes them. */
  protected abstract onWrite(chunks: readonly Uint8Array[]): void;
  get kind() { return this.inner.kind; }
  get localAddress() { return this.inner.localAddress; }
  get remoteAddress() { return this.inner.remoteAddress; }
  get closed() { return this.inner.closed; }
  start(h: ConnHandler): void { this.inner.start(h); }
  write(d: Uint8Array): boolean { this.onWrite([d]); return this.inner.write(d); }
  writev(cs: readonly Uint8Array[]): boolean { this.onWrite(cs); return this.inner.writev(cs); }
  get bufferedWriteBytes() { return this.inner.bufferedWriteBytes; }
  pause(): void { this.inner.pause(); }
  resume(): void { this.inner.resume(); }
  close(): void { this.inner.close(); }
  destroy(e?: Error): void { this.inner.destroy(e); }
}

/** unixPair connects two Conns over a real unix socket; close() destroys both and closes the listener. */
export async function unixPair(): Promise<{ client: Conn; server: Conn; close(): Promise<void> }> {
  const l = await listen(TRANSPORTS.find((t) => t.name === 'unix')!.target() as string);
  const accepted = new Promise<Conn>((r) => l.onConnection(r));
  const client = await dial(l.address);
  const server = await accepted;
  return { client, server, close: async () => (client.destroy(), server.destroy(), await l.close()) };
}
