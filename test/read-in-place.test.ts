// Reading large frames in place (issue 13): on a dialed TCP or unix socket the rest of a large ttrpc frame body
// is read straight into the buffer that is delivered, without chunks or a reassembly copy. The frames that come
// out are byte-identical to what a peer wrote, whatever the write boundaries, pauses and timing; a frame already
// delivered is never overwritten by later reads; and real calls carry large messages byte-exact this way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dial } from '../src/transport/dial.js';
import type { Conn } from '../src/transport/conn.js';
import type { SocketConn } from '../src/transport/socket-conn.js';
import { FrameDecoder } from '../src/protocol/ttrpc/decoder.js';
import type { Frame } from '../src/protocol/ttrpc/frame.js';
import { pauseReading, resumeReading } from '../src/protocol/ttrpc/session-reading.js';
import { Client, Server, defineService, rawMethod } from '../src/index.js';
import { mulberry32 } from './helpers/drpc-vectors.js';
import { TRANSPORTS } from './helpers/transports.js';

const rnd = mulberry32(0x5eed13);
const bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
};

/** frameBytes builds one ttrpc frame independently of the library. */
function frameBytes(id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  new DataView(out.buffer).setUint32(4, id);
  out[8] = 2;
  out[9] = 0;
  out.set(data, 10);
  return out;
}

/** Peer is a raw node:net server whose one connection writes what a test script tells it. */
async function peer(kind: 'unix' | 'tcp', script: (s: Socket) => Promise<void>): Promise<{ address: string; server: NetServer; done: Promise<void> }> {
  const server = createServer();
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
  server.on('connection', (s) => void script(s).then(finish, fail));
  const t = TRANSPORTS.find((x) => x.name === kind)!.target() as string;
  const address = await new Promise<string>((res) => {
    if (t.startsWith('unix://')) server.listen(t.slice('unix://'.length), () => res(t));
    else server.listen(0, '127.0.0.1', () => res(`tcp://127.0.0.1:${(server.address() as { port: number }).port}`));
  });
  return { address, server, done };
}

/** write writes a chunk and waits until the socket took it. */
const write = (s: Socket, b: Uint8Array): Promise<void> => new Promise((res, rej) => s.write(b, (e) => (e ? rej(e) : res())));

/** Reader decodes a dialed connection with in-place reads, keeping the delivered frames themselves (no copies). */
class Reader {
  readonly frames: Frame[] = [];
  readonly decoder: FrameDecoder;
  closed: Promise<void>;
  constructor(readonly conn: Conn, onFrame?: (f: Frame, r: Reader) => void) {
    this.decoder = new FrameDecoder({ maxMessageLength: 8 << 20, onFrame: (f) => (this.frames.push(f), onFrame?.(f, this)) });
    this.closed = new Promise((res) =>
      conn.start({ onData: (c) => this.decoder.push(c), onClose: () => res(), readTarget: () => this.decoder.readTarget() }),
    );
  }
}

function sameFrames(got: Frame[], want: Uint8Array[]): void {
  assert.is(got.length, want.length, 'frame count');
  got.forEach((f, i) => {
    assert.is(f.streamId, i + 1);
    assert.is(f.data.length, want[i]!.length, `frame ${i} length`);
    assert.ok(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length).equals(want[i]!), `frame ${i} bytes`);
  });
}

/** readAll dials the peer and reads every frame until it closes the connection. */
async function readAll(p: { address: string; server: NetServer; done: Promise<void> }): Promise<{ conn: Conn; r: Reader }> {
  const conn = await dial(p.address);
  const r = new Reader(conn);
  await p.done;
  await r.closed;
  p.server.close();
  return { conn, r };
}

for (const kind of ['unix', 'tcp'] as const) {
  test(`${kind}: random frames written at random boundaries arrive identical, large bodies read in place`, async () => {
    const sizes = [0, 1, 70_000, 5, 1 << 20, 33_000, 32 * 1024, 200_000, 10, 3 << 20, 65_536, 40_000, 100];
    const want = sizes.map((n) => bytes(n));
    const wire = Buffer.concat(want.map((d, i) => frameBytes(i + 1, d)));
    const p = await peer(kind, async (s) => {
      for (let at = 0; at < wire.length; ) {
        const n = Math.min(wire.length - at, 1 + Math.floor(rnd() * 300_000));
        await write(s, wire.subarray(at, at + n));
        at += n;
        if (rnd() < 0.3) await sleep(1);
      }
      s.end();
    });
    const { conn, r } = await readAll(p);
    // Every frame is checked only now, after all reads: none was overwritten by a later read.
    sameFrames(r.frames, want);
    const inPlace = (conn as SocketConn).readInPlaceBytes;
    assert.ok(inPlace > 3 << 20, `bytes read in place: ${inPlace}`);
    // A body read in place is delivered as its own allocation of exactly its length.
    const big = r.frames[9]!.data;
    assert.is(big.byteOffset, 0);
    assert.is(big.buffer.byteLength, 3 << 20);
  });
}

test('a body whose header ends a read arrives whole in the next read, and the following frames get their own buffers', async () => {
  // Bodies small enough to arrive in one read once their header was read alone, and of equal length.
  const a = bytes(40_000);
  const b = bytes(40_000);
  const c = bytes(3_000);
  const p = await peer('unix', async (s) => {
    for (const [id, d] of [[1, a], [2, b]] as const) {
      await write(s, frameBytes(id, d).subarray(0, 10));
      await sleep(20);
      await write(s, d);
      await sleep(20);
    }
    // A small frame in two pieces: its body is collected, never written over a delivered one.
    const f = frameBytes(3, c);
    await write(s, f.subarray(0, 1000));
    await sleep(20);
    await write(s, f.subarray(1000));
    s.end();
  });
  const { conn, r } = await readAll(p);
  sameFrames(r.frames, [a, b, c]);
  assert.ok(r.frames[0]!.data.buffer !== r.frames[1]!.data.buffer, 'each body has its own buffer');
  assert.ok((conn as SocketConn).readInPlaceBytes >= 80_000);
});

test('pausing the reader inside a frame and resuming later keeps every byte in order', async () => {
  const want = [bytes(900_000), bytes(12), bytes(400_000), bytes(2_000_000), bytes(64 * 1024)];
  const wire = Buffer.concat(want.map((d, i) => frameBytes(i + 1, d)));
  const p = await peer('unix', async (s) => {
    for (let at = 0; at < wire.length; at += 100_003) await write(s, wire.subarray(at, Math.min(wire.length, at + 100_003)));
    s.end();
  });
  const conn = await dial(p.address);
  let pauses = 0;
  const r = new Reader(conn, (_f, reader) => {
    pauses++;
    pauseReading(reader.decoder, conn);
    setTimeout(() => resumeReading(reader.decoder, conn), 15);
  });
  await p.done;
  await r.closed;
  p.server.close();
  assert.is(pauses, want.length);
  sameFrames(r.frames, want);
});

const BIG = defineService('inplace.Big', { Echo: rawMethod('/inplace.Big/Echo', 'unary') });

for (const kind of ['unix', 'tcp'] as const) {
  test(`${kind}: 1 MiB and 3 MiB echoes, eight at a time, all responses intact at the end`, async () => {
    const server = new Server({ ttrpc: { maxMessageLength: 8 << 20 } }).addService(BIG, { Echo: async (req: Uint8Array) => req });
    const t = TRANSPORTS.find((x) => x.name === kind)!.target() as string;
    const address = await server.listen(t);
    const client = await Client.connect(address, { ttrpc: { maxMessageLength: 8 << 20 } });
    try {
      const reqs = Array.from({ length: 24 }, (_, i) => bytes(i % 3 === 0 ? 3 << 20 : 1 << 20));
      const replies: Uint8Array[] = [];
      for (let i = 0; i < reqs.length; i += 8) replies.push(...(await Promise.all(reqs.slice(i, i + 8).map((q) => client.unary(BIG.methods.Echo, q)))));
      replies.forEach((res, i) => assert.ok(Buffer.from(res.buffer, res.byteOffset, res.length).equals(reqs[i]!), `reply ${i}`));
    } finally {
      client.close();
      await server.forceShutdown();
    }
  });
}

test.run();
