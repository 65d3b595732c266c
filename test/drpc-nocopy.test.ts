// Large drpc frames without copies: on a socket the drpc writer hands each frame's data of at least
// DRPC_NOCOPY_MIN_BYTES to the connection as a view of the packet's own data (a writev chunk of its own), with the
// frame header in the write buffer; the bytes on the wire are exactly those of encodePackets for every split size,
// the pipe still copies, and large calls over drpc (single stream and multiplexed) arrive byte-exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Server, defineService, rawMethod } from '../src/index.js';
import { DRPC_NOCOPY_MIN_BYTES, DrpcFrameWriter } from '../src/protocol/drpc/frame-writer.js';
import { type Packet, PacketKind } from '../src/protocol/drpc/frame.js';
import { encodePackets } from '../src/protocol/drpc/packet-writer.js';
import { PipeConn } from '../src/transport/pipe.js';
import { mulberry32 } from './helpers/drpc-vectors.js';
import { TapConn, unixPair } from './helpers/tap-conn.js';
import { TRANSPORTS } from './helpers/transports.js';

const rnd = mulberry32(0xd59c);
const bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
};
const KiB = 1024;
const MiB = 1 << 20;
const SIZES = [0, 1, 32 * KiB - 1, 32 * KiB, 64 * KiB, 64 * KiB + 1, 200 * KiB, MiB];
const KINDS = [PacketKind.Invoke, PacketKind.Message, PacketKind.InvokeMetadata, PacketKind.Error, PacketKind.Close];

/** CopyTap records copies of the bytes of every write, and the chunks themselves. */
class CopyTap extends TapConn {
  readonly copies: Uint8Array[] = [];
  readonly handed: Uint8Array[] = [];
  protected onWrite(cs: readonly Uint8Array[]): void {
    for (const c of cs) {
      this.copies.push(Uint8Array.from(c));
      this.handed.push(c);
    }
  }
}

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(1)) if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
}

const concat = (cs: readonly Uint8Array[]): Buffer => Buffer.concat(cs.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

/** randomPackets draws `n` packets of random kinds, ids and sizes (data sometimes a view into a larger buffer). */
function randomPackets(n: number): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < n; i++) {
    const size = SIZES[(rnd() * SIZES.length) | 0]!;
    const pad = rnd() < 0.3 ? 7 : 0;
    const data = bytes(size + 2 * pad).subarray(pad, pad + size);
    out.push({ kind: KINDS[(rnd() * KINDS.length) | 0]!, streamId: 1 + ((rnd() * 300) | 0), messageId: 1 + ((rnd() * 200) | 0), control: rnd() < 0.2, data });
  }
  return out;
}

test('unix: the bytes handed to the socket equal encodePackets for random packets and split sizes, and the peer gets them', async () => {
  for (const splitSize of [0, 1000, -1]) {
    for (let round = 0; round < 4; round++) {
      const packets = randomPackets(1 + ((rnd() * 6) | 0));
      const want = Buffer.from(encodePackets(packets, splitSize));
      const p = await unixPair();
      try {
        const tap = new CopyTap(p.client);
        const w = new DrpcFrameWriter(tap, splitSize);
        tap.start({ onData: () => undefined, onClose: () => undefined, onDrain: () => w.drained() });
        const got: Buffer[] = [];
        let n = 0;
        p.server.start({ onData: (c) => (got.push(Buffer.from(c)), (n += c.length)), onClose: () => undefined });
        // Push in groups (some over writeBufferSize, written early), then flush the rest.
        for (let i = 0; i < packets.length; i += 2) w.push(packets.slice(i, i + 2));
        w.flushNow();
        const handed = concat(tap.copies);
        assert.is(handed.length, want.length, `split ${splitSize}: length`);
        assert.ok(handed.equals(want), `split ${splitSize} round ${round}: handed bytes equal encodePackets`);
        await until(() => n === want.length, 'all bytes at the peer');
        assert.ok(Buffer.concat(got).equals(want), `split ${splitSize} round ${round}: peer bytes`);
        const big = packets.some((pk) => pk.data.length >= DRPC_NOCOPY_MIN_BYTES && (splitSize !== 1000 || pk.kind === PacketKind.Error || pk.kind === PacketKind.Close));
        if (big) assert.ok(w.nocopyPayloads > 0, 'some frame went out without a copy');
        assert.is(w.copiedBytes + handedNocopy(tap.handed, packets), want.length, 'copied + not copied = all bytes');
      } finally {
        await p.close();
      }
    }
  }
});

/** handedNocopy sums the chunks that are views of some packet's data buffer. */
function handedNocopy(handed: readonly Uint8Array[], packets: readonly Packet[]): number {
  const buffers = new Set(packets.map((p) => p.data.buffer));
  return handed.filter((c) => buffers.has(c.buffer)).reduce((t, c) => t + c.byteLength, 0);
}

test('unix: large frame data are views of the packet data (no copy); counters; the pipe copies everything', async () => {
  const big = bytes(MiB);
  const edge = bytes(DRPC_NOCOPY_MIN_BYTES);
  const under = bytes(DRPC_NOCOPY_MIN_BYTES - 1);
  const small = bytes(100);
  const packets: Packet[] = [
    { kind: PacketKind.Message, streamId: 1, messageId: 1, control: false, data: big },
    { kind: PacketKind.Message, streamId: 1, messageId: 2, control: false, data: small },
    { kind: PacketKind.Error, streamId: 3, messageId: 1, control: false, data: edge },
    { kind: PacketKind.Invoke, streamId: 5, messageId: 1, control: false, data: under },
  ];
  const want = Buffer.from(encodePackets(packets, 0));
  const p = await unixPair();
  try {
    const tap = new CopyTap(p.client);
    const w = new DrpcFrameWriter(tap, 0);
    tap.start({ onData: () => undefined, onClose: () => undefined, onDrain: () => w.drained() });
    let n = 0;
    p.server.start({ onData: (c) => void (n += c.length), onClose: () => undefined });
    let acked = 0;
    w.push(packets, (ok) => (assert.ok(ok), acked++));
    w.flushNow();
    // 1 MiB at the default split (64 KiB) is 16 frames, each a view of `big`; the Error packet is one frame of `edge`.
    const views = tap.handed.filter((c) => c.buffer === big.buffer);
    assert.is(views.length, 16, 'every 64 KiB frame of the 1 MiB packet is its own chunk');
    assert.is(views.reduce((t, c) => t + c.byteLength, 0), MiB);
    assert.ok(tap.handed.some((c) => c.buffer === edge.buffer && c.byteLength === edge.byteLength), 'the frame of DRPC_NOCOPY_MIN_BYTES is its own chunk');
    assert.not.ok(tap.handed.some((c) => c.buffer === under.buffer || c.buffer === small.buffer), 'smaller frames are copied');
    assert.is(w.nocopyPayloads, 17);
    assert.is(w.copiedBytes, want.length - MiB - edge.byteLength, 'copiedBytes excludes the frames handed as they are');
    assert.ok(concat(tap.copies).equals(want), 'byte-identical');
    await until(() => n === want.length && acked === 1, 'all bytes and the ack');
  } finally {
    await p.close();
  }

  const [a, b] = PipeConn.pair('drpc-nocopy');
  try {
    const tap = new CopyTap(a);
    const w = new DrpcFrameWriter(tap, 0);
    tap.start({ onData: () => undefined, onClose: () => undefined, onDrain: () => w.drained() });
    const got: Buffer[] = [];
    let n = 0;
    b.start({ onData: (c) => (got.push(Buffer.from(c)), (n += c.length)), onClose: () => undefined });
    w.push(packets);
    w.flushNow();
    assert.is(w.nocopyPayloads, 0, 'the pipe never gets payload views');
    assert.is(w.copiedBytes, want.length);
    assert.not.ok(tap.handed.some((c) => c.buffer === big.buffer || c.buffer === edge.buffer));
    await until(() => n === want.length, 'pipe bytes');
    assert.ok(Buffer.concat(got).equals(want), 'pipe bytes equal encodePackets');
  } finally {
    a.destroy();
    b.destroy();
  }
});

const S = 'nocopy.Test';
const Echo = rawMethod(`/${S}/Echo`, 'unary');
const Digest = rawMethod(`/${S}/Digest`, 'client_stream');
const Service = defineService(S, { Echo, Digest });
const unixTarget = (): string => TRANSPORTS.find((t) => t.name === 'unix')!.target() as string;
const sha = (cs: readonly Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const c of cs) h.update(c);
  return h.digest();
};

for (const multiplex of [false, true]) {
  test(`drpc${multiplex ? ' multiplexed' : ''} over unix: 1 MiB and ~3 MiB echoes and a 20 × 100 KiB client stream arrive byte-exact`, async () => {
    const server = new Server({ protocol: 'drpc', multiplex }).addService(Service, {
      Echo: async (req) => req,
      Digest: async (reqs) => {
        const got: Uint8Array[] = [];
        for await (const r of reqs) got.push(Uint8Array.from(r));
        const n = new Uint8Array(4);
        new DataView(n.buffer).setUint32(0, got.length);
        return Buffer.concat([n, sha(got)]);
      },
    });
    const bound = await server.listen(unixTarget());
    const client = await Client.connect(bound, { protocol: 'drpc', multiplex });
    try {
      for (const size of [MiB, 3 * MiB - 17]) {
        const req = bytes(size);
        const keep = Buffer.from(req);
        const res = await client.unary(Echo, req);
        assert.is(res.byteLength, size);
        assert.ok(Buffer.from(res.buffer, res.byteOffset, res.byteLength).equals(keep), `echo of ${size} bytes`);
      }
      const pieces = Array.from({ length: 20 }, () => bytes(100 * KiB));
      const want = sha(pieces);
      const res = Buffer.from(await client.clientStream(Digest, pieces));
      assert.is(res.readUInt32BE(0), 20, 'all 20 messages');
      assert.ok(res.subarray(4).equals(want), 'client stream content byte-exact');
    } finally {
      await client.close();
      await server.shutdown(100);
    }
  });
}

test.run();
