// Limits that keep the codecs cheap against hostile peers: memory held for
// unfinished frames and packets is bounded by the bytes received (not by the
// declared length), the ttrpc decoder pauses and resumes without changing its
// output, and metadata over the entry/byte limits is refused early and cheaply
// by the codecs and by the servers (stream refused, connection kept).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_METADATA_ENTRIES, FrameDecoder as TtrpcDecoder, type Frame as TtrpcFrame,
  HEADER_LENGTH, MetadataTooLargeError, PARTIAL_FRAME_SLACK, ProtocolError, decodeRequest, encodeFrame as encodeTtrpcFrame,
  encodeRequest,
} from '../src/protocol/ttrpc/index.js';
import {
  BUFFER_SLACK, DrpcProtocolError, FrameDecoder as DrpcDecoder, MetadataTooLargeError as DrpcMetadataTooLargeError, PACKET_SLACK,
  PacketAssembler, PacketKind, ProtocolErrorReason, StreamAssemblers, decodeInvokeMetadata, encodeFrame as encodeDrpcFrame,
  encodeInvokeMetadata, type Frame as DrpcFrame,
} from '../src/protocol/drpc/index.js';
import { resolveTtrpcOptions } from '../src/protocol/ttrpc/options.js';
import { resolveDrpcOptions } from '../src/protocol/drpc/options.js';
import { Code } from '../src/status/code.js';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc, connectTtrpc } from '../src/client/connect.js';
import { unaryCall } from './helpers/call-adapters.js';
import { Metadata } from '../src/metadata/metadata.js';
import { RpcError } from '../src/status/rpc-error.js';
import { registerTtrpcInterop, payload, payloadData } from './helpers/ttrpc-service.js';
import { registerDrpcInterop } from './helpers/drpc-service.js';
import { decodeResponse, Flags, MessageType } from '../src/protocol/ttrpc/index.js';
import { decodeErrorPayload } from '../src/protocol/drpc/index.js';
import { TRANSPORTS } from './helpers/transports.js';
import { RawPeer } from './helpers/raw-ttrpc.js';
import { RawDrpcPeer, concat, frameBytes } from './helpers/raw-drpc.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { mulberry32 as rng } from './helpers/drpc-vectors.js';
import { ttrpcReference } from './helpers/ttrpc-reference.js';


const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fill = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

// ---------------------------------------------------------------------------
// ttrpc FrameDecoder: bounded partial buffering

function ttrpcBound(d: TtrpcDecoder, where: string): void {
  assert.ok(d.bufferedBytes <= d.reservedBytes, `${where}: buffered ${d.bufferedBytes} > reserved ${d.reservedBytes}`);
  assert.ok(d.reservedBytes <= 2 * d.bufferedBytes + PARTIAL_FRAME_SLACK, `${where}: reserved ${d.reservedBytes} for ${d.bufferedBytes} buffered`);
}

test('ttrpc decoder: a 4 MiB declared frame trickled one byte per read holds ~ the bytes received, and ends exactly sized', () => {
  const length = 1 << 20;
  const frame = encodeTtrpcFrame(7, 3, 0, fill(length, 1));
  const got: TtrpcFrame[] = [];
  const d = new TtrpcDecoder({ onFrame: (f) => got.push(f) });
  for (let i = 0; i < frame.length; i++) {
    d.push(Uint8Array.of(frame[i]!)); // a fresh one-byte buffer per read, as a socket would deliver
    if (i % 997 === 0 || i < 200) ttrpcBound(d, `byte ${i}`);
    if (i === 110) assert.ok(d.reservedBytes <= 2 * 101 + PARTIAL_FRAME_SLACK, `after 101 body bytes: ${d.reservedBytes}`);
  }
  assert.is(got.length, 1);
  assert.is(got[0]!.data.length, length);
  assert.is(got[0]!.data.buffer.byteLength, length, 'exactly sized');
  assert.is(hex(got[0]!.data.subarray(0, 64)), hex(fill(length, 1).subarray(0, 64)));
  assert.ok(got[0]!.data.every((x, i) => x === ((i * 31 + 1) & 0xff)));
  assert.is(d.reservedBytes, 0);

  // Declared 4 MiB, three tiny reads: nothing near 4 MiB is allocated.
  const big = new Uint8Array(HEADER_LENGTH + 30);
  new DataView(big.buffer).setUint32(0, 4 << 20);
  const e = new TtrpcDecoder({ onFrame: () => assert.unreachable('incomplete') });
  for (let i = 0; i < big.length; i += 10) e.push(big.slice(i, i + 10));
  assert.is(e.bufferedBytes, 30);
  assert.ok(e.reservedBytes <= 2 * 30 + PARTIAL_FRAME_SLACK, `${e.reservedBytes}`);
  assert.ok(e.hasPartialFrame);
  assert.not.ok(e.atFrameBoundary);
});

test('ttrpc decoder: large dense pieces stay views; pieces of a much larger buffer are copied', () => {
  const frame = encodeTtrpcFrame(1, 3, 0, fill(100_000, 2));
  const got: TtrpcFrame[] = [];
  const d = new TtrpcDecoder({ onFrame: (f) => got.push(f) });
  d.push(frame.slice(0, 30_000));
  assert.is(d.reservedBytes, 30_000, 'a view of the whole 30000-byte chunk');
  // A 200-byte view into a 1 MiB buffer must not pin the megabyte.
  const host = new Uint8Array(1 << 20);
  host.set(frame.subarray(30_000, 30_200), 5000);
  d.push(host.subarray(5000, 5200));
  ttrpcBound(d, 'after the small view');
  assert.ok(d.reservedBytes < 40_000, `${d.reservedBytes}`);
  d.push(frame.slice(30_200));
  assert.is(got.length, 1);
  assert.is(hex(got[0]!.data), hex(fill(100_000, 2)));
  const whole = encodeTtrpcFrame(3, 3, 0, fill(50, 3));
  d.push(whole);
  assert.is(got[1]!.data.buffer, whole.buffer, 'a frame inside one chunk is a zero-copy view');
});

test('ttrpc decoder: random frames in random chunkings (some pinned in big buffers) match the oracle; the bound holds after every push', () => {
  const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
  const rand = rng(seed);
  for (let round = 0; round < 60; round++) {
    const sizes = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => (rand() < 0.3 ? Math.floor(rand() * 300_000) : Math.floor(rand() * 3000)));
    const stream = Buffer.concat(sizes.map((n, i) => encodeTtrpcFrame(i, 3, 0, fill(n, i))));
    const want = ttrpcReference(stream, 1 << 22, hex);
    const got: string[] = [];
    const d = new TtrpcDecoder({ onFrame: (f) => got.push(`frame ${f.streamId}/${f.type}/${f.flags} ${hex(f.data)}`) });
    for (let at = 0; at < stream.length;) {
      const n = Math.min(stream.length - at, rand() < 0.3 ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * 70_000));
      let chunk: Uint8Array = stream.subarray(at, at + n);
      if (rand() < 0.3) {
        const host = new Uint8Array(n + Math.floor(rand() * 100_000));
        host.set(chunk, 7 % (host.length - n + 1));
        chunk = host.subarray(7 % (host.length - n + 1), 7 % (host.length - n + 1) + n);
      } else {
        chunk = Uint8Array.from(chunk);
      }
      d.push(chunk);
      ttrpcBound(d, `seed ${seed} round ${round} at ${at}`);
      at += n;
    }
    assert.equal(got, want, `seed ${seed} round ${round}`);
  }
});

// ---------------------------------------------------------------------------
// ttrpc FrameDecoder: pause / resume

test('ttrpc decoder: pause inside onFrame stops after that frame; pushes while paused are only queued; resume continues', () => {
  const frames = [1, 3, 5, 7].map((id) => encodeTtrpcFrame(id, 3, 0, fill(id * 3, id)));
  const chunk = Buffer.concat(frames.slice(0, 3));
  const seen: number[] = [];
  const d = new TtrpcDecoder({
    onFrame: (f) => {
      seen.push(f.streamId);
      if (f.streamId === 1 || f.streamId === 5) d.pause();
    },
  });
  d.push(chunk);
  assert.equal(seen, [1]);
  assert.ok(d.paused);
  assert.is(d.pendingBytes, chunk.length - frames[0]!.length);
  assert.not.ok(d.atFrameBoundary, 'pending bytes are not a boundary');
  assert.not.ok(d.hasPartialFrame);
  d.push(frames[3]!);
  assert.equal(seen, [1], 'no decoding while paused');
  assert.is(d.pendingBytes, chunk.length - frames[0]!.length + frames[3]!.length);
  d.resume();
  assert.equal(seen, [1, 3, 5], 'paused again after 5');
  assert.ok(d.paused);
  d.resume();
  assert.equal(seen, [1, 3, 5, 7]);
  assert.is(d.pendingBytes, 0);
  assert.ok(d.atFrameBoundary);
  d.resume();
  assert.not.ok(d.paused, 'resume is idempotent');
});

test('ttrpc decoder: resume inside a callback lifts the pause; a push from a callback is queued in order; the pending rest is a view', () => {
  const a = encodeTtrpcFrame(1, 3, 0, fill(4, 1));
  const b = encodeTtrpcFrame(3, 3, 0, fill(4, 2));
  const c = encodeTtrpcFrame(5, 3, 0, fill(4, 3));
  const seen: number[] = [];
  const d = new TtrpcDecoder({
    onFrame: (f) => {
      seen.push(f.streamId);
      if (f.streamId === 1) {
        d.pause();
        d.resume();
        d.push(c);
      }
    },
  });
  const ab = Buffer.concat([a, b]);
  d.push(ab);
  assert.equal(seen, [1, 3, 5]);
  const e = new TtrpcDecoder({ onFrame: () => e.pause() });
  const chunk = new Uint8Array(Buffer.concat([a, b]));
  e.push(chunk);
  assert.is(e.pendingBytes, b.length);
  assert.ok(e.paused);
});

test('ttrpc decoder: any interleaving of pause/resume and any chunking yields the same events (fast-check)', () => {
  const seed = Number(process.env.FUZZ_SEED ?? 0x7a05e);
  const frameArb = fc.record({
    len: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 4000, max: 9000 })),
    id: fc.integer({ min: 0, max: 0xffffffff }),
    type: fc.integer({ min: 0, max: 255 }),
  });
  const schedule = fc.array(fc.oneof(fc.constant('pause'), fc.constant('resume'), fc.integer({ min: 1, max: 9000 })), { maxLength: 30 });
  const arb = fc.tuple(fc.array(frameArb, { maxLength: 8 }), schedule, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(16, 5000, 1 << 22));
  fc.assert(fc.property(arb, ([frames, ops, pauseAt, max]) => {
    const stream = Buffer.concat(frames.map((f) => {
      const h = new DataView(new ArrayBuffer(HEADER_LENGTH));
      h.setUint32(0, f.len);
      h.setUint32(4, f.id);
      h.setUint8(8, f.type);
      return Buffer.concat([new Uint8Array(h.buffer), fill(f.len, f.id)]);
    }));
    const out: string[] = [];
    let events = 0;
    const pauses = new Set(pauseAt.map((n) => n % (frames.length + 1)));
    const d = new TtrpcDecoder({
      maxMessageLength: max,
      onFrame: (f) => {
        out.push(`frame ${f.streamId}/${f.type}/${f.flags} ${hex(f.data)}`);
        if (pauses.has(events++)) d.pause();
      },
      onOversize: (o) => {
        out.push(`oversize ${o.streamId}/${o.type}/${o.flags} ${o.length}`);
        if (pauses.has(events++)) d.pause();
      },
    });
    let at = 0;
    for (const op of ops) {
      if (op === 'pause') d.pause();
      else if (op === 'resume') d.resume();
      else if (at < stream.length) {
        const n = Math.min(op, stream.length - at);
        d.push(Uint8Array.from(stream.subarray(at, at + n)));
        at += n;
      }
      assert.ok(d.reservedBytes <= 2 * d.bufferedBytes + PARTIAL_FRAME_SLACK);
    }
    if (at < stream.length) d.push(stream.subarray(at));
    for (let i = 0; d.paused || d.pendingBytes > 0; i++) {
      assert.ok(i < 100, 'resume makes progress');
      d.resume();
    }
    assert.equal(out, ttrpcReference(stream, max, hex));
  }), { numRuns: Number(process.env.FUZZ_RUNS ?? 3000), seed });
});

// ---------------------------------------------------------------------------
// drpc FrameDecoder, PacketAssembler, StreamAssemblers: bounded memory

function drpcBound(d: DrpcDecoder, where: string): void {
  assert.ok(d.reservedBytes <= 2 * d.buffered + BUFFER_SLACK, `${where}: reserved ${d.reservedBytes} for ${d.buffered} buffered`);
}

const dframe = (streamId: number, messageId: number, data: Uint8Array, done = true, kind = PacketKind.Message): DrpcFrame =>
  ({ kind, done, control: false, streamId, messageId, data });

test('drpc decoder: a large frame trickled one byte per read (pulled after each) holds ~ the bytes received', () => {
  const length = 1 << 20;
  const bytes = encodeDrpcFrame(dframe(1, 1, fill(length, 5)));
  const d = new DrpcDecoder();
  let got: DrpcFrame | undefined;
  for (let i = 0; i < bytes.length; i++) {
    d.push(Uint8Array.of(bytes[i]!));
    const f = d.next();
    if (f) got = f;
    else if (i % 991 === 0 || i < 300) drpcBound(d, `byte ${i}`);
    assert.is(d.buffered, f ? 0 : i + 1);
  }
  assert.ok(got);
  assert.ok(got!.data.every((x, i) => x === ((i * 31 + 5) & 0xff)));
  assert.ok(got!.data.buffer.byteLength <= length + 31, `ends in a buffer of about its size (${got!.data.buffer.byteLength})`);
  assert.is(d.reservedBytes, 0);
});

test('drpc decoder: while the session does not pull (paused), the bound covers every byte held; next() then returns all frames', () => {
  const frames = Array.from({ length: 3000 }, (_, i) => dframe(1, i + 1, fill(i % 7, i)));
  const bytes = Buffer.concat(frames.map((f) => encodeDrpcFrame(f)));
  const d = new DrpcDecoder();
  for (let i = 0; i < bytes.length; i++) {
    d.push(Uint8Array.of(bytes[i]!));
    if (i % 101 === 0) drpcBound(d, `byte ${i}`);
  }
  assert.is(d.buffered, bytes.length);
  drpcBound(d, 'all pushed');
  let left = bytes.length;
  for (const f of frames) {
    const g = d.next();
    assert.ok(g);
    assert.equal([g!.messageId, hex(g!.data)], [f.messageId, hex(f.data)]);
    left -= encodeDrpcFrame(f).length;
    assert.is(d.buffered, left);
  }
  assert.is(d.next(), undefined);
  assert.is(d.reservedBytes, 0);
});

test('drpc decoder: trim() restores the bound when the session stops pulling with frames left', () => {
  const frames = Array.from({ length: 400 }, (_, i) => encodeDrpcFrame(dframe(1, i + 1, fill(150, i))));
  const chunk = new Uint8Array(Buffer.concat(frames));
  const d = new DrpcDecoder();
  d.push(chunk);
  for (let i = 0; i < 395; i++) assert.ok(d.next());
  assert.ok(d.reservedBytes > 2 * d.buffered + BUFFER_SLACK, 'the read is still held whole');
  d.trim();
  drpcBound(d, 'after trim');
  for (let i = 395; i < 400; i++) assert.is(d.next()!.messageId, i + 1);
  assert.is(d.next(), undefined);
  assert.is(d.buffered, 0);
});

test('drpc decoder: a big read whose last bytes start a frame does not pin the read once the frames before it are taken', () => {
  const head = Buffer.concat(Array.from({ length: 500 }, (_, i) => encodeDrpcFrame(dframe(1, i + 1, fill(120, i)))));
  const next = encodeDrpcFrame(dframe(1, 501, fill(100_000, 9)));
  const chunk = new Uint8Array(Buffer.concat([head, next.subarray(0, 10)]));
  const d = new DrpcDecoder();
  d.push(chunk);
  let n = 0;
  while (d.next()) n++;
  assert.is(n, 500);
  assert.is(d.buffered, 10);
  drpcBound(d, 'after the leftover');
  assert.ok(d.reservedBytes < 1000, `${d.reservedBytes}`);
  d.push(next.slice(10));
  assert.is(hex(d.next()!.data), hex(fill(100_000, 9)));
});

test('drpc decoder: random chunkings and random pull schedules (seeded) give the same frames; the bound holds when waiting', () => {
  const seed = Number(process.env.FUZZ_SEED ?? 0xd2c);
  const rand = rng(seed);
  for (let round = 0; round < 80; round++) {
    const frames = Array.from({ length: 1 + Math.floor(rand() * 20) }, (_, i) => dframe(1 + (i >> 2), 1 + i, fill(rand() < 0.2 ? Math.floor(rand() * 150_000) : Math.floor(rand() * 200), i), rand() < 0.8));
    const bytes = Buffer.concat(frames.map((f) => encodeDrpcFrame(f)));
    const d = new DrpcDecoder();
    const got: string[] = [];
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, rand() < 0.4 ? 1 + Math.floor(rand() * 5) : 1 + Math.floor(rand() * 70_000));
      const host = new Uint8Array(n + (rand() < 0.3 ? Math.floor(rand() * 50_000) : 0));
      host.set(bytes.subarray(at, at + n));
      d.push(host.subarray(0, n));
      drpcBound(d, `seed ${seed} round ${round} push at ${at}`);
      at += n;
      if (rand() < 0.7) {
        for (let f = d.next(); f; f = d.next()) got.push(`${f.messageId}:${hex(f.data)}`);
        drpcBound(d, `seed ${seed} round ${round} pulled at ${at}`);
      }
    }
    for (let f = d.next(); f; f = d.next()) got.push(`${f.messageId}:${hex(f.data)}`);
    assert.equal(got, frames.map((f) => `${f.messageId}:${hex(f.data)}`), `seed ${seed} round ${round}`);
    assert.is(d.buffered, 0);
  }
});

test('drpc PacketAssembler: a packet cut into one-byte frames holds ~ its bytes; large dense frames stay views', () => {
  const a = new PacketAssembler();
  const data = fill(300_000, 4);
  let packet;
  for (let i = 0; i < data.length; i++) {
    packet = a.push(dframe(1, 1, data.subarray(i, i + 1), i === data.length - 1));
    if (!packet && (i % 997 === 0 || i < 100)) {
      assert.is(a.partialBytes, i + 1);
      assert.ok(a.reservedBytes <= 2 * a.partialBytes + PACKET_SLACK, `${a.reservedBytes} for ${a.partialBytes}`);
    }
  }
  assert.is(hex(packet!.data), hex(data));
  assert.is(a.reservedBytes, 0);

  const b = new PacketAssembler();
  const parts = [fill(65536, 1), fill(65536, 2), fill(10, 3)];
  b.push(dframe(3, 1, parts[0]!, false));
  b.push(dframe(3, 1, parts[1]!, false));
  assert.is(b.reservedBytes, 2 * 65536, 'two views, no copy yet');
  const p = b.push(dframe(3, 1, parts[2]!, true));
  assert.is(hex(p!.data), hex(Buffer.concat(parts)));
  assert.is(p!.data.buffer.byteLength, p!.data.length, 'exactly sized');
});

test('drpc StreamAssemblers: reservedBytes sums the unfinished packets of all streams; largestPartial finds the biggest', () => {
  const s = new StreamAssemblers();
  assert.is(s.largestPartial(), undefined);
  s.push(dframe(1, 1, fill(100, 1), false));
  s.push(dframe(3, 1, fill(70_000, 2), false));
  s.push(dframe(5, 1, fill(7, 3), false));
  let sum = 0;
  for (const id of [1, 3, 5]) {
    const a = new PacketAssembler({ streamId: id });
    a.push(dframe(id, 1, fill(id === 1 ? 100 : id === 3 ? 70_000 : 7, 0), false));
    sum += a.reservedBytes;
  }
  assert.is(s.reservedBytes, sum);
  assert.equal(s.largestPartial()?.streamId, 3);
  s.forget(3);
  assert.equal(s.largestPartial()?.streamId, 1);
  assert.ok(s.push(dframe(1, 1, fill(1, 1), true)));
  assert.ok(s.push(dframe(5, 1, fill(1, 1), true)));
  assert.is(s.reservedBytes, 0);
  assert.throws(() => s.push(dframe(1, 1, fill(1, 1))), (e: unknown) => e instanceof DrpcProtocolError);
  assert.is(s.reservedBytes, 0);
});

// ---------------------------------------------------------------------------
// Metadata limits in the codecs

/** ttrpcBomb is a 4 MiB Request made of empty KeyValue entries only. */
function ttrpcBomb(): Uint8Array {
  const out = new Uint8Array(4 << 20);
  for (let i = 0; i < out.length; i += 2) out[i] = 0x2a;
  return out;
}

/** drpcBomb is an InvokeMetadata payload of ~4 MiB of entries with empty key and value. */
function drpcBomb(size = (4 << 20) - 64): Uint8Array {
  const entry = [0x0a, 0x04, 0x0a, 0x00, 0x12, 0x00];
  const out = new Uint8Array(size - (size % entry.length));
  for (let i = 0; i < out.length; i++) out[i] = entry[i % entry.length]!;
  return out;
}

const md = (n: number, len = 1): { key: string; value: string }[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`.padEnd(len, 'x').slice(0, len), value: '' }));
const req = (metadata: { key: string; value: string }[]) => encodeRequest({ service: 's', method: 'm', payload: new Uint8Array(0), timeoutNano: 0, metadata });

test('ttrpc decodeRequest: 2M empty KeyValues are refused after 1024 entries, without reading the rest', () => {
  assert.is(DEFAULT_MAX_METADATA_ENTRIES, 1024);
  assert.is(DEFAULT_MAX_METADATA_BYTES, 8192);
  const bomb = ttrpcBomb();
  // The last KeyValue claims bytes that are not there: a decoder that read the whole bomb would report the truncation.
  bomb[bomb.length - 1] = 0x05;
  assert.throws(() => decodeRequest(bomb, { maxMetadataEntries: 1e9, maxMetadataBytes: 1e9 }), (e: unknown) => e instanceof ProtocolError && !(e instanceof MetadataTooLargeError));
  let err: unknown;
  try {
    decodeRequest(bomb);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof MetadataTooLargeError && err instanceof ProtocolError);
  const e = err as MetadataTooLargeError;
  assert.equal([e.code, e.rawMessage, e.limit, e.max], [Code.RESOURCE_EXHAUSTED, 'ttrpc: request metadata exceeds 1024 entries', 'entries', 1024]);
});

test('ttrpc decodeRequest: the limits are inclusive, counted on key plus value bytes, and configurable', () => {
  assert.is(decodeRequest(req(md(1024))).metadata.length, 1024);
  assert.throws(() => decodeRequest(req(md(1025))), (e: unknown) => e instanceof MetadataTooLargeError && e.limit === 'entries');
  const exact = [{ key: 'k'.repeat(4000), value: 'v'.repeat(4192) }];
  assert.is(decodeRequest(req(exact)).metadata[0]!.value.length, 4192);
  const over = [{ key: 'k'.repeat(4000), value: 'v'.repeat(4193) }];
  assert.throws(() => decodeRequest(req(over)), (e: unknown) => e instanceof MetadataTooLargeError && e.rawMessage === 'ttrpc: request metadata exceeds 8192 bytes');
  const multi = [{ key: 'é', value: '€' }]; // 2 + 3 UTF-8 bytes
  assert.is(decodeRequest(req(multi), { maxMetadataBytes: 5 }).metadata.length, 1);
  assert.throws(() => decodeRequest(req(multi), { maxMetadataBytes: 4 }), (e: unknown) => e instanceof MetadataTooLargeError && e.max === 4);
  assert.throws(() => decodeRequest(req(md(3)), { maxMetadataEntries: 2 }), (e: unknown) => e instanceof MetadataTooLargeError && e.max === 2);
  assert.is(decodeRequest(req(md(5000)), { maxMetadataEntries: 5000, maxMetadataBytes: 1e9 }).metadata.length, 5000);
  assert.is(decodeRequest(req([]), { maxMetadataEntries: 0 }).metadata.length, 0);
  assert.throws(() => decodeRequest(req(md(1)), { maxMetadataEntries: 0 }), (e: unknown) => e instanceof MetadataTooLargeError);
});

test('drpc decodeInvokeMetadata: ~700k entries are refused after 1024 without reading the rest; limits inclusive and configurable', () => {
  const bomb = drpcBomb();
  // The last entry claims a body that is not there: a decoder that read the whole bomb would report the truncation.
  bomb[bomb.length - 5] = 0x7f;
  assert.throws(() => decodeInvokeMetadata(bomb, { maxMetadataEntries: 1e9, maxMetadataBytes: 1e9 }), (e: unknown) => e instanceof DrpcProtocolError && !(e instanceof DrpcMetadataTooLargeError));
  let err: unknown;
  try {
    decodeInvokeMetadata(bomb);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof DrpcMetadataTooLargeError && err instanceof DrpcProtocolError);
  const e = err as DrpcMetadataTooLargeError;
  assert.equal([e.reason, e.detail, e.limit, e.max], [ProtocolErrorReason.MetadataTooLarge, 'request metadata exceeds 1024 entries', 'entries', 1024]);
  const pairs = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`k${i}`, '']);
  assert.is(decodeInvokeMetadata(encodeInvokeMetadata(pairs(1024))).size, 1024);
  assert.throws(() => decodeInvokeMetadata(encodeInvokeMetadata(pairs(1025))), (x: unknown) => x instanceof DrpcMetadataTooLargeError);
  assert.throws(() => decodeInvokeMetadata(encodeInvokeMetadata([['a', 'b'], ['a', 'c']]), { maxMetadataEntries: 1 }), (x: unknown) => x instanceof DrpcMetadataTooLargeError, 'duplicates count');
  assert.is(decodeInvokeMetadata(encodeInvokeMetadata([['k'.repeat(8000), 'v'.repeat(192)]])).size, 1);
  assert.throws(() => decodeInvokeMetadata(encodeInvokeMetadata([['k'.repeat(8000), 'v'.repeat(193)]])), (x: unknown) => x instanceof DrpcMetadataTooLargeError && x.detail === 'request metadata exceeds 8192 bytes');
  assert.is(decodeInvokeMetadata(encodeInvokeMetadata(pairs(3000)), { maxMetadataEntries: 3000, maxMetadataBytes: 1e9 }).size, 3000);
});

test('session options: metadata limits default to the codec constants and are validated', () => {
  for (const resolve of [resolveTtrpcOptions, resolveDrpcOptions] as const) {
    const r = resolve({});
    assert.equal([r.maxMetadataEntries, r.maxMetadataBytes], [1024, 8192]);
    assert.equal([resolve({ maxMetadataEntries: 0, maxMetadataBytes: 1 << 20 }).maxMetadataEntries, resolve({ maxMetadataBytes: 1 << 20 }).maxMetadataBytes], [0, 1 << 20]);
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => resolve({ maxMetadataEntries: bad }), RangeError);
      assert.throws(() => resolve({ maxMetadataBytes: bad }), RangeError);
    }
  }
});

// ---------------------------------------------------------------------------
// Metadata limits in the servers: the stream is refused, the connection kept

const UNIX = TRANSPORTS.find((t) => t.name === 'unix')!;
const TT_ECHO = 'ttrpc.interop.v1.Echo';
const DRPC_ECHO = '/drpcpeer.Peer/Echo';
const enc = new TextEncoder();

test('ttrpc server (unix socket): a 4 MiB request of 2M empty KeyValues gets RESOURCE_EXHAUSTED; the connection and others go on', async () => {
  const reg = new MethodRegistry();
  registerTtrpcInterop(reg);
  const server = new CallServer(reg);
  const address = await server.listen(UNIX.target());
  const other = await connectTtrpc(address);
  const raw = await RawPeer.connect(address);
  try {
    raw.send(1, MessageType.Request, 0, ttrpcBomb());
    const otherCall = unaryCall(other, `/${TT_ECHO}/Echo`, payload('healthy'));
    const refused = await raw.waitFor((f) => f.streamId === 1, 10_000);
    const s = decodeResponse(refused.data).status;
    assert.equal([s?.code, s?.message], [Code.RESOURCE_EXHAUSTED, 'ttrpc: request metadata exceeds 1024 entries']);
    assert.is(new TextDecoder().decode(payloadData(await otherCall)), 'healthy');
    // The same connection serves a normal call afterwards.
    raw.send(3, MessageType.Request, 0, encodeRequest({ service: TT_ECHO, method: 'Echo', payload: payload('after'), timeoutNano: 0, metadata: [] }));
    const ok = await raw.waitFor((f) => f.streamId === 3);
    assert.is(new TextDecoder().decode(payloadData(decodeResponse(ok.data).payload)), 'after');
    // Over the byte limit: one entry of 9000 bytes; a streaming Request is refused the same way.
    raw.send(5, MessageType.Request, Flags.REMOTE_OPEN, req([{ key: 'k', value: 'v'.repeat(9000) }]));
    const bytes = await raw.waitFor((f) => f.streamId === 5);
    assert.equal(decodeResponse(bytes.data).status?.message, 'ttrpc: request metadata exceeds 8192 bytes');
    assert.not.ok(raw.closed);
  } finally {
    raw.close();
    other.close();
    await server.close();
  }
});

test('ttrpc server: maxMetadataEntries/maxMetadataBytes are honoured; a real client sees RESOURCE_EXHAUSTED', async () => {
  const reg = new MethodRegistry();
  registerTtrpcInterop(reg);
  const server = new CallServer(reg, { ttrpc: { maxMetadataEntries: 2 } });
  const address = await server.listen(UNIX.target());
  const client = await connectTtrpc(address);
  try {
    const metadata = new Metadata([['a', '1'], ['b', '2'], ['c', '3']]);
    const err = await unaryCall(client, `/${TT_ECHO}/Echo`, payload('x'), { metadata }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RpcError && err.code === Code.RESOURCE_EXHAUSTED, String(err));
    assert.match((err as RpcError).message, 'request metadata exceeds 2 entries');
    const small = new Metadata([['a', '1'], ['b', '2']]);
    assert.is(new TextDecoder().decode(payloadData(await unaryCall(client, `/${TT_ECHO}/Echo`, payload('ok'), { metadata: small }))), 'ok');
  } finally {
    client.close();
    await server.close();
  }
});

for (const multiplex of [false, true]) {
  const mode = multiplex ? 'mux' : 'upstream';
  test(`drpc ${mode} server (unix socket): an InvokeMetadata of ~700k entries is refused with Error code 8 on its stream; the connection and others go on`, async () => {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    const server = new CallServer(reg, { protocol: 'drpc', multiplex });
    const address = await server.listen(UNIX.target());
    const other = await connectDrpc(address, { multiplex, pool: false });
    const raw = await RawDrpcPeer.connect(address);
    try {
      raw.send(concat(
        frameBytes(PacketKind.InvokeMetadata, 1, 1, drpcBomb()),
        frameBytes(PacketKind.Invoke, 1, 2, DRPC_ECHO),
        frameBytes(PacketKind.Message, 1, 3, 'refused'),
        frameBytes(PacketKind.CloseSend, 1, 4),
      ));
      const otherCall = unaryCall(other, DRPC_ECHO, enc.encode('healthy'));
      const refused = await raw.waitFor((f) => f.streamId === 1, 10_000);
      assert.is(refused.kind, PacketKind.Error);
      const e = decodeErrorPayload(refused.data);
      assert.equal([e.code, e.message], [Code.RESOURCE_EXHAUSTED, 'drpc: request metadata exceeds 1024 entries']);
      assert.is(new TextDecoder().decode(await otherCall), 'healthy');
      raw.send(concat(frameBytes(PacketKind.Invoke, 3, 1, DRPC_ECHO), frameBytes(PacketKind.Message, 3, 2, 'after'), frameBytes(PacketKind.CloseSend, 3, 3)));
      const reply = await raw.waitFor((f) => f.streamId === 3 && f.kind === PacketKind.Message);
      assert.is(new TextDecoder().decode(reply.data), 'after');
      assert.equal(raw.frames.filter((f) => f.streamId === 1).length, 1, 'nothing but the Error on the refused stream');
      assert.not.ok(raw.closed);
    } finally {
      raw.close();
      other.close();
      await server.close();
    }
  });

  test(`drpc ${mode} server: 1100 streams in a row refused for their metadata leave nothing behind; the connection stays`, async () => {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    const server = new CallServer(reg, { protocol: 'drpc', multiplex, drpc: { maxMetadataEntries: 1 } });
    const listener = new PipeListener();
    await server.listen(listener);
    const raw = await RawDrpcPeer.connect(listener);
    try {
      const md = encodeInvokeMetadata([['a', '1'], ['b', '2']]);
      for (let id = 1; id <= 1100; id++) raw.send(frameBytes(PacketKind.InvokeMetadata, id, 1, md), frameBytes(PacketKind.Invoke, id, 2, DRPC_ECHO));
      await raw.until(() => raw.frames.length >= 1100 || raw.closed, 10_000, '1100 refusals');
      assert.not.ok(raw.closed);
      assert.ok(raw.frames.every((f) => f.kind === PacketKind.Error && decodeErrorPayload(f.data).code === Code.RESOURCE_EXHAUSTED));
      raw.send(frameBytes(PacketKind.Invoke, 1101, 1, DRPC_ECHO), frameBytes(PacketKind.Message, 1101, 2, 'after'), frameBytes(PacketKind.CloseSend, 1101, 3));
      const reply = await raw.waitFor((f) => f.streamId === 1101 && f.kind === PacketKind.Message);
      assert.is(new TextDecoder().decode(reply.data), 'after');
    } finally {
      raw.close();
      await server.close();
    }
  });

  test(`drpc ${mode} server: maxMetadataBytes is honoured; a real client sees RESOURCE_EXHAUSTED, then calls again`, async () => {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    const server = new CallServer(reg, { protocol: 'drpc', multiplex, drpc: { maxMetadataBytes: 16 } });
    const address = await server.listen(UNIX.target());
    const client = await connectDrpc(address, { multiplex, pool: false });
    try {
      const metadata = new Metadata([['key', 'a value longer than sixteen bytes']]);
      const err = await unaryCall(client, DRPC_ECHO, enc.encode('x'), { metadata }).then(() => undefined, (x: unknown) => x);
      assert.ok(err instanceof RpcError && err.code === Code.RESOURCE_EXHAUSTED, String(err));
      assert.match((err as RpcError).message, 'request metadata exceeds 16 bytes');
      const ok = await unaryCall(client, DRPC_ECHO, enc.encode('ok'), { metadata: new Metadata([['k', 'v']]) });
      assert.is(new TextDecoder().decode(ok), 'ok');
    } finally {
      client.close();
      await server.close();
    }
  });
}

test.run();
