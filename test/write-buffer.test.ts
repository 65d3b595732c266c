// writeBufferSize of the ttrpc and drpc frame writers over pipes and unix sockets: early writes, same bytes as one
// write per turn, acks only at the end of the turn and held under backpressure until drained, validation, end to end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, PipeListener, Server, defineService, listen, rawMethod } from '../src/index.js';
import type { Conn, Listener, ServerOptions } from '../src/index.js';
import { FrameWriter } from '../src/protocol/ttrpc/frame-writer.js';
import { FrameDecoder } from '../src/protocol/ttrpc/decoder.js';
import type { Frame } from '../src/protocol/ttrpc/frame.js';
import { resolveTtrpcOptions } from '../src/protocol/ttrpc/options.js';
import { DrpcFrameWriter } from '../src/protocol/drpc/frame-writer.js';
import { FrameDecoder as DrpcFrameDecoder } from '../src/protocol/drpc/frame-decoder.js';
import { PacketAssembler } from '../src/protocol/drpc/packet-assembler.js';
import { type Frame as DrpcFrame, type Packet, PacketKind } from '../src/protocol/drpc/frame.js';
import { resolveDrpcOptions } from '../src/protocol/drpc/options.js';
import { encodedPacketSize } from '../src/protocol/drpc/packet-writer.js';
import { PipeConn } from '../src/transport/pipe.js';
import { connectDrpc, connectTtrpc } from '../src/client/connect.js';
import { mulberry32 } from './helpers/drpc-vectors.js';
import { TRANSPORTS } from './helpers/transports.js';
import { TapConn, unixPair } from './helpers/tap-conn.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const rnd = mulberry32(0x5eed);
const bytes = (n: number): Uint8Array => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0; return b; };
const unixTarget = (): string => TRANSPORTS.find((t) => t.name === 'unix')!.target() as string;
/** RecordingConn passes everything to a real connection and keeps a copy of each chunk written through it. */
class RecordingConn extends TapConn {
  readonly writes: Uint8Array[] = [];
  protected onWrite(cs: readonly Uint8Array[]): void {
    for (const c of cs) this.writes.push(Uint8Array.from(c));
  }
}
/** Sink is the reading peer: it keeps every chunk and logs its size. */
class Sink {
  chunks: Uint8Array[] = [];
  received = 0;
  constructor(conn: Conn, log?: string[]) {
    conn.start({ onData: (c) => { this.chunks.push(Uint8Array.from(c)); this.received += c.byteLength; log?.push(`data:${c.byteLength}`); }, onClose: () => undefined });
  }
  all(): Buffer { return Buffer.concat(this.chunks); }
}
/** drainTo starts the writing end with the sessions' wiring: onDrain calls the writer's drained(). */
function drainTo(conn: Conn, writer: () => { drained(): void }, log?: string[]): void {
  conn.start({ onData: () => undefined, onClose: () => undefined, onDrain: () => { log?.push('drain'); writer().drained(); } });
}
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(1)) if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}`);
}
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** within rejects when `p` has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const ac = new AbortController();
  const timeout = sleep(ms, undefined, { signal: ac.signal }).then(() => Promise.reject(new Error(`timed out waiting for ${what}`)));
  try { return await Promise.race([p, timeout]); } finally { ac.abort(); timeout.catch(() => undefined); }
}

// ---- ttrpc frames: specs, independent encoding, decoding ----
type Spec = { id: number; type: number; flags: number; data: Uint8Array; field?: { prefix: Uint8Array; tag: number; payload: Uint8Array } };
const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
function specData(s: Spec): Uint8Array {
  if (!s.field) return s.data;
  const { prefix, tag, payload } = s.field;
  return payload.byteLength === 0 ? prefix : Uint8Array.from([...prefix, tag, ...varint(payload.byteLength), ...payload]);
}
function wireFrame(s: Spec): Buffer {
  const d = specData(s);
  const h = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, s.type, s.flags]);
  return (h.writeUInt32BE(d.byteLength, 0), h.writeUInt32BE(s.id, 4), Buffer.concat([h, d]));
}
function push(w: FrameWriter, s: Spec, ack?: () => void): void {
  if (s.field) w.pushField(s.id, s.type, s.flags, s.field.prefix, s.field.tag, s.field.payload, ack);
  else w.push(s.id, s.type, s.flags, s.data, ack);
}
function decodeTtrpc(b: Uint8Array): Frame[] {
  const out: Frame[] = [];
  const d = new FrameDecoder({ onFrame: (f) => out.push({ ...f, data: Uint8Array.from(f.data) }) });
  d.push(b);
  assert.ok(d.atFrameBoundary, 'bytes end on a frame boundary');
  return out;
}
const fixed = (n: number, size: number): Spec[] => Array.from({ length: n }, (_, i) => ({ id: 2 * i + 1, type: 1, flags: 0, data: bytes(size) }));
const mixed = (n: number): Spec[] =>
  Array.from({ length: n }, (_, i) => {
    const base = { id: 2 * i + 1, type: 1 + (i % 3), flags: i % 8, data: bytes(Math.floor(rnd() * 120)) };
    return i % 3 !== 2 ? base : { ...base, field: { prefix: bytes(Math.floor(rnd() * 20)), tag: 0x12, payload: bytes(i % 6 === 2 ? 0 : Math.floor(rnd() * 220)) } };
  });
/** checkWrites: every write is whole frames; one that reached `wbs` went out as soon as its last frame made it reach it; a smaller one is the final flush. */
function checkWrites(writes: Uint8Array[], wbs: number, frameSizes: (w: Uint8Array) => number[]): void {
  writes.forEach((w, i) => {
    const sizes = frameSizes(w);
    if (w.byteLength >= wbs) assert.ok(w.byteLength - sizes[sizes.length - 1]! < wbs, `write ${i} (${w.byteLength} B) should have gone out one frame earlier`);
    else assert.is(i, writes.length - 1, `write ${i} of ${w.byteLength} B < ${wbs} must be the end-of-turn flush`);
  });
}
/** sendTtrpc pushes specs in one turn through a FrameWriter on `conn`, waits until the peer has all bytes; returns writes and bytes. */
async function sendTtrpc(conn: Conn, peer: Conn, specs: Spec[], wbs: number) {
  const rec = new RecordingConn(conn);
  const w = new FrameWriter(rec, undefined, wbs);
  drainTo(rec, () => w);
  const sink = new Sink(peer);
  const total = specs.reduce((n, s) => n + 10 + specData(s).byteLength, 0);
  for (const s of specs) push(w, s);
  await until(() => sink.received === total, `${total} bytes at the peer`);
  return { writer: w, writes: rec.writes, got: sink.all() };
}

test('ttrpc: 1000 bytes in one turn with writeBufferSize 100 go out as 10 writes, byte-identical to one write per turn', async () => {
  const specs = fixed(20, 40);
  const [a, b] = PipeConn.pair('pipe:wb-fixed');
  const early = await sendTtrpc(a, b, specs, 100);
  const [c, d] = PipeConn.pair('pipe:wb-fixed-inf');
  const once = await sendTtrpc(c, d, specs, Infinity);
  assert.is(early.writer.writes, 10);
  assert.equal(early.writes.map((x) => x.byteLength), Array(10).fill(100));
  assert.equal([early.writer.framesWritten, once.writer.writes, once.writes.length], [20, 1, 1]);
  assert.ok(early.got.equals(once.got), 'same bytes either way');
  assert.ok(early.got.equals(Buffer.concat(specs.map(wireFrame))), 'bytes are the frames in push order');
  assert.equal(decodeTtrpc(early.got).map((f) => f.streamId), specs.map((s) => s.id));
});

for (const where of ['pipe', 'unix'] as const) {
  test(`ttrpc ${where}: mixed push/pushField frames split at frame boundaries, in order, same bytes as Infinity`, async () => {
    const specs = mixed(60);
    const pair = where === 'pipe' ? (([x, y]) => ({ client: x as Conn, server: y as Conn, close: async () => undefined }))(PipeConn.pair('pipe:wb-mixed')) : await unixPair();
    const early = await sendTtrpc(pair.client, pair.server, specs, 100);
    const [c, d] = PipeConn.pair('pipe:wb-mixed-inf');
    const once = await sendTtrpc(c, d, specs, Infinity);
    assert.ok(early.writer.writes > 10, `only ${early.writer.writes} writes`);
    assert.is(early.writes.length, early.writer.writes);
    checkWrites(early.writes, 100, (w) => decodeTtrpc(w).map((f) => 10 + f.data.byteLength));
    assert.ok(early.got.equals(once.got), 'same bytes as one write per turn');
    const frames = decodeTtrpc(early.got);
    assert.equal(frames.map((f) => [f.streamId, f.type, f.flags]), specs.map((s) => [s.id, s.type, s.flags]));
    frames.forEach((f, i) => assert.ok(Buffer.from(f.data).equals(specData(specs[i]!)), `frame ${i} data`));
    await pair.close();
  });
}

test('ttrpc: acks never run inside push()/pushField(); they run after the turn, in push order, once each', async () => {
  const [a, b] = PipeConn.pair('pipe:wb-acks');
  const w = new FrameWriter(a, undefined, 100);
  drainTo(a, () => w);
  new Sink(b);
  const acks: number[] = [];
  let inPush = false;
  let inside = 0;
  const ack = (i: number) => () => (inside += inPush ? 1 : 0, acks.push(i));
  const specs = mixed(30);
  inPush = true;
  specs.forEach((s, i) => push(w, s, ack(i)));
  inPush = false;
  assert.ok(w.writes >= 5, `early writes happened in the turn (${w.writes})`);
  assert.equal(acks, []);
  await turn();
  assert.equal(acks, specs.map((_, i) => i));
  // The object form of an ack, and a second turn: only that turn's acks run, at its end.
  const objAcks: number[] = [];
  inPush = true;
  for (let i = 0; i < 3; i++) w.push(101 + 2 * i, 1, 0, bytes(60), { frameWritten: () => (inside += inPush ? 1 : 0, objAcks.push(i)) });
  inPush = false;
  assert.equal(objAcks, []);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal([acks.length, objAcks, inside], [30, [0, 1, 2], 0]);
});

// 40-byte frames through writeBufferSize 100 onto a pipe of high-water mark 64, the end-of-turn flush run by hand:
// three frames (120 B) are written at once, over the mark; the rest waits for the flush.
const BP_CASES = [
  { title: 'the drain comes before the flush; the flush then runs the acks (no hang)', n: 4, drainFirst: true, ackAtFlush: true, log: ['data:120', 'drain'], tail: ['data:40'] },
  { title: 'the flush comes before the drain; acks wait until the peer consumed and drained() ran', n: 4, drainFirst: false, ackAtFlush: false, log: ['data:160', 'drain'], tail: [] },
  { title: 'drain before the flush, but the flush write (80 B) is over the mark again: acks wait for the second drain', n: 5, drainFirst: true, ackAtFlush: false, log: ['data:120', 'drain', 'data:80', 'drain'], tail: [] },
];
for (const c of BP_CASES) {
  test(`ttrpc backpressure: ${c.title}`, async () => {
    const log: string[] = [];
    const deferred: Array<() => void> = [];
    const [a, b] = PipeConn.pair(`pipe:wb-bp-${c.n}-${c.drainFirst}`, 64);
    const w = new FrameWriter(a, (run) => deferred.push(run), 100);
    drainTo(a, () => w, log);
    const sink = new Sink(b, log);
    const specs = fixed(c.n, 30);
    specs.forEach((s, i) => push(w, s, () => log.push(`ack${i}`)));
    assert.equal([w.writes, w.pending, deferred.length, log], [1, 40 * (c.n - 3), 1, []]);
    if (c.drainFirst) await until(() => log.includes('drain'), 'the drain of the early write');
    deferred.shift()!();
    const acks = specs.map((_, i) => `ack${i}`);
    assert.equal(log.filter((e) => e.startsWith('ack')), c.ackAtFlush ? acks : []);
    await until(() => log.length === c.log.length + c.n + c.tail.length && sink.received === 40 * c.n, 'acks and bytes');
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(log, [...c.log, ...acks, ...c.tail], 'acks after the drain, each once');
    assert.ok(sink.all().equals(Buffer.concat(specs.map(wireFrame))));
  });
}

test('ttrpc backpressure: a peer that has not started reading holds the acks (real end-of-turn flush)', async () => {
  const [a, b] = PipeConn.pair('pipe:wb-bp4', 64);
  const w = new FrameWriter(a, undefined, 100);
  drainTo(a, () => w);
  const acks: number[] = [];
  fixed(6, 30).forEach((s, i) => push(w, s, () => acks.push(i)));
  await sleep(20);
  assert.equal([w.writes, w.pending, acks], [2, 0, []]);
  const sink = new Sink(b);
  await until(() => acks.length === 6, 'acks once the peer read');
  assert.equal([acks, sink.received], [[0, 1, 2, 3, 4, 5], 240]);
});

test('ttrpc unix: 8 MiB in one turn with 64 KiB writes; acks wait for the reader, then run once each in order', async () => {
  const u = await unixPair();
  const deferred: Array<() => void> = [];
  let drains = 0;
  const w = new FrameWriter(u.client, (run) => deferred.push(run), 65536);
  u.client.start({ onData: () => undefined, onClose: () => undefined, onDrain: () => (drains++, w.drained()) });
  const specs = [...fixed(256, 32768), ...fixed(1, 100)];
  const acks: number[] = [];
  specs.forEach((s, i) => push(w, s, () => acks.push(i)));
  assert.equal([w.writes, w.pending], [128, 110]);
  await sleep(50);
  assert.equal([drains, acks.length], [0, 0], 'nobody reads: no drain, no acks');
  const sink = new Sink(u.server);
  await until(() => drains > 0 && sink.received === 256 * 32778, 'the early writes read and drained', 10_000);
  deferred.shift()!(); // the end-of-turn flush comes after the drain
  await until(() => acks.length === specs.length, 'acks');
  assert.equal(acks, specs.map((_, i) => i));
  await until(() => sink.received === 256 * 32778 + 110, 'the rest');
  assert.ok(sink.all().equals(Buffer.concat(specs.map(wireFrame))), 'the frames in push order');
  await u.close();
});

// ---- drpc ----
const pk = (kind: PacketKind, streamId: number, messageId: number, data: Uint8Array, control = false): Packet => ({ kind, streamId, messageId, control, data });
/** drpcPushes: per stream one [InvokeMetadata, Invoke, Message] push, then a Message push, then a Cancel push. */
function drpcPushes(streams: number): Packet[][] {
  const out: Packet[][] = [];
  for (let s = 1; s <= streams; s++) {
    out.push([pk(PacketKind.InvokeMetadata, s, 1, bytes(Math.floor(rnd() * 40))), pk(PacketKind.Invoke, s, 2, enc.encode('/svc.S/M')), pk(PacketKind.Message, s, 3, bytes(s === 1 ? 300 : Math.floor(rnd() * 150)))]);
    out.push([pk(PacketKind.Message, s, 4, bytes(Math.floor(rnd() * 150)))]);
    out.push([pk(PacketKind.Cancel, s, 5, new Uint8Array(0), true)]);
  }
  return out;
}
function decodeDrpc(b: Uint8Array): DrpcFrame[] {
  const d = new DrpcFrameDecoder();
  const frames = [...d.decode(b)].map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
  assert.is(d.buffered, 0, 'bytes end on a frame boundary');
  return frames;
}
const SPLIT = 32;
async function sendDrpc(name: string, pushes: Packet[][], wbs: number) {
  const [a, b] = PipeConn.pair(`pipe:${name}`);
  const rec = new RecordingConn(a);
  const w = new DrpcFrameWriter(rec, SPLIT, undefined, wbs);
  drainTo(rec, () => w);
  const sink = new Sink(b);
  const acks: number[] = [];
  let inside = 0;
  let inPush = true;
  pushes.forEach((ps, i) => w.push(ps, () => (inside += inPush ? 1 : 0, acks.push(i))));
  inPush = false;
  const early = w.writes;
  assert.equal(acks, []);
  await turn();
  assert.equal([acks, inside], [pushes.map((_, i) => i), 0]);
  await until(() => sink.received === rec.writes.reduce((n, x) => n + x.byteLength, 0), 'all bytes');
  return { w, early, writes: rec.writes, got: sink.all() };
}

test('drpc: writeBufferSize 100 writes whole push() groups early, same bytes as Infinity; Cancel stays after its Message; acks after the turn', async () => {
  const pushes = drpcPushes(12);
  const early = await sendDrpc('wb-drpc', pushes, 100);
  const once = await sendDrpc('wb-drpc-inf', pushes, Infinity);
  assert.ok(early.early > 5 && early.w.writes >= early.early, `early writes: ${early.early}`);
  assert.equal([once.w.writes, once.early], [1, 0]);
  assert.is(early.w.packetsWritten, pushes.flat().length);
  assert.ok(early.got.equals(once.got), 'same bytes as one write per turn');
  // Each write holds whole push groups: every push lies in exactly one write, pushes in order.
  const owner = new Map(pushes.flatMap((ps, i) => ps.map((p) => [`${p.streamId}:${p.messageId}`, i] as const)));
  const groupsOf = (wr: Uint8Array): number[] => [...new Set(decodeDrpc(wr).map((f) => owner.get(`${f.streamId}:${f.messageId}`)!))];
  assert.equal(early.writes.flatMap(groupsOf), pushes.map((_, i) => i));
  assert.ok(early.writes.find((x) => groupsOf(x).includes(0))!.byteLength > 300, 'a push larger than the buffer goes out whole');
  checkWrites(early.writes, 100, (wr) => groupsOf(wr).map((i) => pushes[i]!.reduce((n, p) => n + encodedPacketSize(p, SPLIT), 0)));
  // The wire decodes to exactly the pushed packets, in order (Cancel after its Message).
  const asm = new PacketAssembler();
  const packets = decodeDrpc(early.got).map((f) => asm.push(f)).filter((p): p is Packet => p !== undefined);
  assert.equal(packets.map((p) => [p.kind, p.streamId, p.messageId, p.control, Buffer.from(p.data).toString('hex')]), pushes.flat().map((p) => [p.kind, p.streamId, p.messageId, p.control, Buffer.from(p.data).toString('hex')]));
});

test('drpc backpressure: acks held until drained(), also when the drain comes before the end-of-turn flush', async () => {
  for (const drainFirst of [true, false]) {
    const log: string[] = [];
    const deferred: Array<() => void> = [];
    const [a, b] = PipeConn.pair(`pipe:wb-drpc-bp-${drainFirst}`, 64);
    const w = new DrpcFrameWriter(a, SPLIT, (run) => deferred.push(run), 100);
    drainTo(a, () => w, log);
    const sink = new Sink(b, log);
    const pushes = [1, 2, 3, 4, 5].map((s) => [pk(PacketKind.Message, s, 1, bytes(28))]);
    pushes.forEach((ps, i) => w.push(ps, () => log.push(`ack${i}`)));
    assert.equal([w.writes, w.pending, deferred.length, log], [1, 32, 1, []]); // 4 x 32 B out at once, over the mark
    if (drainFirst) await until(() => log.includes('drain'), 'drain');
    deferred.shift()!();
    const acks = ['ack0', 'ack1', 'ack2', 'ack3', 'ack4'];
    assert.equal(log, drainFirst ? ['data:128', 'drain', ...acks] : []);
    await until(() => sink.received === 160 && log.length >= 7, 'acks and bytes');
    assert.equal(log, drainFirst ? ['data:128', 'drain', ...acks, 'data:32'] : ['data:160', 'drain', ...acks]);
    assert.equal(decodeDrpc(sink.all()).map((f) => f.streamId), [1, 2, 3, 4, 5]);
  }
});

test('writeBufferSize validation: 0, 0.5, negative and NaN throw RangeError; Infinity and 1 are accepted; default 8192', () => {
  for (const resolve of [(v?: number) => resolveTtrpcOptions({ writeBufferSize: v }), (v?: number) => resolveDrpcOptions({ writeBufferSize: v })]) {
    for (const bad of [0, -1, -Infinity, NaN, 0.5]) assert.throws(() => resolve(bad), (e: unknown) => e instanceof RangeError && /writeBufferSize/.test(e.message), `${bad}`);
    assert.equal([resolve(Infinity).writeBufferSize, resolve(1).writeBufferSize, resolve(undefined).writeBufferSize], [Infinity, 1, 8192]);
  }
});

test('an invalid session option fails at construction / connect, not when a peer connects', async () => {
  for (const o of [{ ttrpc: { writeBufferSize: 0 } }, { drpc: { writeBufferSize: -1 } }, { ttrpc: { maxQueuedMessages: 0 } }] as ServerOptions[]) {
    assert.throws(() => new Server(o), (e: unknown) => e instanceof RangeError, JSON.stringify(o));
  }
  const l = new PipeListener();
  const server = new Server();
  await server.listen(l);
  let err: unknown;
  await Client.connect(l, { ttrpc: { writeBufferSize: 0 } }).catch((e: unknown) => (err = e));
  assert.ok(err instanceof RangeError, `connect rejected with ${String(err)}`);
  await server.forceShutdown();
});

// ---- end to end ----
const SVC = 'test.v1.WriteBuffer';
const M = defineService(SVC, { Echo: rawMethod(`/${SVC}/Echo`, 'unary'), Collect: rawMethod(`/${SVC}/Collect`, 'client_stream') });
/** countingListener hands the server recording connections so its writes can be counted. */
function countingListener(inner: Listener, conns: RecordingConn[]): Listener {
  return { address: inner.address, onConnection: (cb) => inner.onConnection((c) => { const r = new RecordingConn(c); conns.push(r); cb(r); }), close: () => inner.close() };
}
type Proto = { name: string; server: ServerOptions; connect(t: string | PipeListener, wbs: number): Promise<{ client: Client; stats(): { units: number; writes: number } }> };
const PROTOS: Proto[] = [
  { name: 'ttrpc', server: { ttrpc: { writeBufferSize: 256 } }, connect: async (t, wbs) => {
    const s = await connectTtrpc(t, { ttrpc: { writeBufferSize: wbs } });
    return { client: Client.fromTransport(s), stats: () => ({ units: s.writeStats.frames, writes: s.writeStats.writes }) };
  } },
  { name: 'drpc-mux', server: { protocol: 'drpc', multiplex: true, drpc: { writeBufferSize: 256, maxConcurrentStreams: 2048 } }, connect: async (t, wbs) => {
    const s = await connectDrpc(t, { multiplex: true, drpc: { writeBufferSize: wbs } });
    if (!('writeStats' in s)) throw new Error('expected a multiplexed session');
    return { client: Client.fromTransport(s), stats: () => ({ units: s.writeStats.packets, writes: s.writeStats.writes }) };
  } },
];

for (const where of ['pipe', 'unix'] as const) {
  for (const pr of PROTOS) {
    test(`${where}/${pr.name}: writeBufferSize 256 on both sides, 1000 concurrent unary calls plus client streams under a tight high-water mark`, async () => {
      const server = new Server(pr.server);
      server.addService(M, {
        Echo: (req) => enc.encode(`echo:${dec.decode(req)}`),
        Collect: async (reqs) => { let n = 0, size = 0; for await (const r of reqs) (n++, size += r.byteLength); return enc.encode(`${n}/${size}`); },
      });
      const pipe = where === 'pipe' ? new PipeListener({ highWaterMark: 512 }) : undefined;
      const inner = pipe ?? (await listen(unixTarget()));
      const serverConns: RecordingConn[] = [];
      await server.listen(countingListener(inner, serverConns));
      const { client, stats } = await pr.connect(pipe ?? inner.address, 256);
      try {
        const calls = Array.from({ length: 1000 }, (_, i) => client.unary(M.methods.Echo, enc.encode(`r${i}`)));
        const streams = Array.from({ length: 8 }, () => client.clientStream(M.methods.Collect, Array.from({ length: 60 }, () => bytes(300))));
        const [replies, sums] = await within(Promise.all([Promise.all(calls), Promise.all(streams)]), 20_000, 'the calls (acks held forever?)');
        replies.forEach((r, i) => assert.is(dec.decode(r), `echo:r${i}`));
        assert.equal(sums.map((x) => dec.decode(x)), Array(8).fill('60/18000'));
        const st = stats();
        assert.ok(st.writes > 20, `client wrote only ${st.writes} times for ${st.units} units`);
        assert.ok(serverConns.length === 1 && serverConns[0]!.writes.length > 20, `server wrote ${serverConns[0]?.writes.length} times`);
        assert.ok(serverConns[0]!.writes.slice(0, -1).some((x) => x.byteLength >= 256), 'the server wrote full buffers');
      } finally {
        await client.close().catch(() => undefined);
        await server.shutdown(200);
      }
    });
  }
}

test('pipe/ttrpc control: with writeBufferSize Infinity the same 1000 calls take at most 2 client writes', async () => {
  const server = new Server({ ttrpc: { writeBufferSize: Infinity } });
  server.addService(M, { Echo: (req) => req, Collect: async () => new Uint8Array(0) });
  const pipe = new PipeListener();
  await server.listen(pipe);
  const { client, stats } = await PROTOS[0]!.connect(pipe, Infinity);
  const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.unary(M.methods.Echo, enc.encode(`r${i}`))));
  assert.is(dec.decode(replies[999]!), 'r999');
  assert.equal(stats().units, 1000);
  assert.ok(stats().writes <= 2, `client wrote ${stats().writes} times`);
  await client.close();
  await server.shutdown(200);
});

test.run();
