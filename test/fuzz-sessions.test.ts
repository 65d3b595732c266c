// Fuzz targets for the three server sessions (ttrpc, upstream drpc,
// multiplexed drpc): random and mutated-valid byte streams are written over
// in-memory pipes (src/transport/pipe.ts) to connections a CallServer
// serves, many connections at a time, each input in one to three writes.
// Asserted: no uncaught exception or unhandled rejection, no session ends a
// connection with an unexpected error (a drpc session may only close for a
// protocol violation), the memory held for unfinished frames and packets
// stays within the documented bounds, every fuzzed connection is released,
// and a healthy client on another connection still completes a call at the
// end. FUZZ_RUNS (default 100000 inputs per target) and FUZZ_SEED change the
// run, FUZZ_TARGET (ttrpc, drpc, drpc-mux) runs one target; a failure prints the seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallServer, type ServerSession } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc, connectTtrpc } from '../src/client/connect.js';
import { bidiHandler, clientStreamHandler, serverStreamHandler, unaryCall, unaryHandler } from './helpers/call-adapters.js';
import { CallIO } from './helpers/call-io.js';
import { PipeConn } from '../src/transport/pipe.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { encodeFrame as ttrpcFrame, encodeRequest, Flags, MessageType, PARTIAL_FRAME_SLACK } from '../src/protocol/ttrpc/index.js';
import { BUFFER_SLACK, PACKET_SLACK, PacketKind, encodeErrorPayload, encodeFrames, encodeInvokeMetadata, splitPacket } from '../src/protocol/drpc/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260615);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
console.log(`fuzz-sessions: seed ${SEED}, ${RUNS} inputs per target (set FUZZ_SEED / FUZZ_RUNS to change)`);

/** Rand is a seeded PRNG (mulberry32) with a few helpers. */
class Rand {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** mutate applies 1-3 random edits: bit flips, byte sets, inserts, deletes, truncation. */
function mutate(r: Rand, input: Uint8Array): Uint8Array {
  let b = Buffer.from(input);
  for (let k = 1 + r.int(3); k > 0; k--) {
    const at = b.length === 0 ? 0 : r.int(b.length);
    switch (r.int(5)) {
      case 0: if (b.length) b[at] ^= 1 << r.int(8); break;
      case 1: if (b.length) b[at] = r.int(256); break;
      case 2: b = Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(8))]); break;
      default: b = b.subarray(0, at);
    }
  }
  return new Uint8Array(b);
}

const enc = new TextEncoder();
const SERVICE = 'fuzz.Svc';
/** TTRPC_MD_BOMB and DRPC_MD_BOMB are metadata one entry over the default limit (made once). */
const TTRPC_MD_BOMB = Array.from({ length: 1025 }, () => ({ key: '', value: '' }));
const DRPC_MD_BOMB = encodeInvokeMetadata(Array.from({ length: 1025 }, (_, i) => [String(i), ''] as [string, string]));
const DRPC_MD = encodeInvokeMetadata([['k', 'v'], ['trace', 'x']]);
const METHODS = ['Echo', 'Stream', 'Collect', 'Bidi', 'Hold'];

/** registry serves cheap methods of every shape, plus one that never reads. */
function registry(): MethodRegistry {
  const reg = new MethodRegistry();
  reg.register(SERVICE, 'Echo', 'unary', unaryHandler(async (req) => req));
  reg.register(SERVICE, 'Stream', 'server_stream', serverStreamHandler(async function* (req) {
    for (let i = 0; i < 3; i++) yield req;
  }));
  reg.register(SERVICE, 'Collect', 'client_stream', clientStreamHandler(async (reqs) => {
    let n = 0;
    for await (const m of reqs) n += m.length;
    return enc.encode(String(n));
  }));
  reg.register(SERVICE, 'Bidi', 'bidi', bidiHandler(async function* (reqs) {
    for await (const m of reqs) yield m;
  }));
  reg.register(SERVICE, 'Hold', 'bidi', (call) => void new CallIO(call));
  return reg;
}

// ---------------------------------------------------------------------------
// Input generators

/** ConnState is what a generator remembers per connection: the streams it opened. */
interface ConnState {
  nextId: number;
  ids: number[];
}

/** ttrpcInput builds 1-4 frames (requests, data, odd types, oversize headers), maybe mutated, or raw bytes. */
function ttrpcInput(r: Rand, s: ConnState): Uint8Array {
  if (r.chance(0.08)) return r.bytes(r.int(64));
  const parts: Uint8Array[] = [];
  for (let n = 1 + r.int(4); n > 0; n--) {
    const roll = r.next();
    if (roll < 0.4) {
      const id = r.chance(0.85) ? (s.nextId += 2) : r.pick([0, 2, s.nextId, r.int(2 ** 32)]);
      s.ids.push(id);
      const metadata = r.chance(0.05)
        ? TTRPC_MD_BOMB
        : r.chance(0.03) ? [{ key: 'big', value: 'v'.repeat(9000) }] : Array.from({ length: r.int(3) }, (_, i) => ({ key: `k${i}`, value: 'v' }));
      const req = encodeRequest({
        service: r.chance(0.9) ? SERVICE : 'no.Such', method: r.chance(0.9) ? r.pick(METHODS) : 'Nope',
        payload: r.bytes(r.int(40)), timeoutNano: r.pick([0, 0, 0, 2e6, 5e7, -1]), metadata,
      });
      parts.push(ttrpcFrame(id, MessageType.Request, r.pick([0, Flags.REMOTE_OPEN, Flags.REMOTE_CLOSED, Flags.REMOTE_OPEN | Flags.REMOTE_CLOSED, r.int(256)]), req, 1 << 22));
    } else if (roll < 0.8) {
      const id = s.ids.length && r.chance(0.9) ? r.pick(s.ids) : r.int(64);
      parts.push(ttrpcFrame(id, MessageType.Data, r.pick([0, 0, Flags.REMOTE_CLOSED, Flags.NO_DATA, r.int(256)]), r.bytes(r.int(50))));
    } else if (roll < 0.92) {
      parts.push(ttrpcFrame(r.int(64), r.pick([0, MessageType.Response, 4, 255]), r.int(256), r.bytes(r.int(30))));
    } else {
      const h = new Uint8Array(10 + r.int(40));
      new DataView(h.buffer).setUint32(0, r.pick([70_000, 1 << 22, 0xffffffff]));
      new DataView(h.buffer).setUint32(4, r.int(64));
      h[8] = r.pick([1, 3]);
      parts.push(h);
    }
  }
  const bytes = Buffer.concat(parts);
  return r.chance(0.25) ? mutate(r, bytes) : bytes;
}

/** drpcInput builds packets of 1-2 streams (metadata, invoke, messages, ends, odd kinds), split into frames, maybe mutated, or raw bytes. */
function drpcInput(r: Rand, s: ConnState, mux: boolean): Uint8Array {
  if (r.chance(0.08)) return r.bytes(r.int(48));
  const packets: { kind: number; streamId: number; messageId: number; control: boolean; data: Uint8Array }[] = [];
  for (let streams = mux ? 1 + r.int(2) : 1; streams > 0; streams--) {
    const id = r.chance(0.9) ? ++s.nextId : r.pick([0, Math.max(1, s.nextId - 1), r.int(1000)]);
    s.ids.push(id);
    let msg = 1;
    const add = (kind: number, data: Uint8Array = new Uint8Array(0), control = false): void => {
      packets.push({ kind, streamId: id, messageId: r.chance(0.95) ? msg++ : r.int(msg + 1), control, data });
    };
    if (r.chance(0.3)) {
      const md = r.chance(0.05) ? DRPC_MD_BOMB : r.chance(0.05) ? r.bytes(6) : DRPC_MD;
      add(PacketKind.InvokeMetadata, md);
    }
    add(PacketKind.Invoke, enc.encode(r.chance(0.9) ? `/${SERVICE}/${r.pick(METHODS)}` : r.pick(['/no.Such/Nope', 'bad', ''])));
    for (let m = r.int(3); m > 0; m--) add(PacketKind.Message, r.bytes(r.int(60)));
    const end = r.next();
    if (end < 0.6) add(PacketKind.CloseSend);
    else if (end < 0.7) add(PacketKind.Cancel, new Uint8Array(0), true);
    else if (end < 0.8) add(PacketKind.Close);
    else if (end < 0.85) add(PacketKind.Error, encodeErrorPayload(r.int(20), 'client error'));
    else if (end < 0.9) add(r.pick([0, 20, 63]), r.bytes(4), r.chance(0.5));
  }
  if (mux && r.chance(0.5)) packets.sort(() => r.next() - 0.5); // interleave the streams
  // Large data is split into frames of at least 500 bytes (thousands of one-byte frames would only be slow).
  const bytes = Buffer.concat(packets.map((p) => encodeFrames(splitPacket(p, r.pick([-1, 0, 1, 7, 32]) * (p.data.length > 1000 ? 500 : 1)))));
  return r.chance(0.25) ? mutate(r, bytes) : bytes;
}

// ---------------------------------------------------------------------------
// The runner

/** Inner is the session state the memory checks read (private fields, read for the bound only). */
interface Inner {
  decoder: { reservedBytes: number; bufferedBytes?: number; buffered?: number };
  assembler?: { reservedBytes: number; partialBytes: number };
  assemblers?: { reservedBytes: number; size: number };
  protocolError?: string;
  closed?: boolean;
  gate?: { paused: boolean };
}

/** ALLOWED_CLOSE lists the reasons a drpc session may give for closing a connection: protocol violations only. */
const ALLOWED_CLOSE = /^(protocol error: |unknown packet kind |(Invoke|InvokeMetadata) on existing stream |too many streams being invoked at once)/;

interface Target {
  name: string;
  perConn: number;
  server: () => CallServer;
  input: (r: Rand, s: ConnState) => Uint8Array;
  healthy: (server: CallServer, listener: PipeListener) => Promise<void>;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** checkMemory asserts the documented bounds on one live session; `written` is what the connection was sent. */
function checkMemory(target: string, session: ServerSession, written: number): void {
  const inner = session as unknown as Inner;
  if (inner.closed) return; // a closed connection's decoder is dropped with it
  const d = inner.decoder;
  assert.ok(d, `${target}: session has a decoder`);
  const buffered = d.bufferedBytes ?? d.buffered ?? 0;
  const slack = target === 'ttrpc' ? PARTIAL_FRAME_SLACK : BUFFER_SLACK;
  assert.ok(d.reservedBytes <= 2 * buffered + slack, `${target} seed ${SEED}: decoder holds ${d.reservedBytes} for ${buffered} buffered`);
  if (inner.assembler) {
    const a = inner.assembler;
    assert.ok(a.reservedBytes <= 2 * a.partialBytes + PACKET_SLACK, `${target} seed ${SEED}: assembler holds ${a.reservedBytes} for ${a.partialBytes}`);
  }
  if (inner.assemblers) {
    const a = inner.assemblers;
    assert.ok(a.reservedBytes <= 2 * written + PACKET_SLACK * Math.max(1, a.size), `${target} seed ${SEED}: assemblers hold ${a.reservedBytes} after ${written} bytes`);
  }
}

async function runTarget(t: Target): Promise<void> {
  const started = performance.now();
  const r = new Rand(SEED ^ t.name.length * 0x9e3779b9);
  const server = t.server();
  const listener = new PipeListener();
  await server.listen(listener);
  const badCloses: string[] = [];
  let inputs = 0;
  let protocolCloses = 0;
  const BATCH = 500;
  while (inputs < RUNS) {
    const conns: { client: PipeConn; session: ServerSession | undefined; state: ConnState; writes: Uint8Array[][]; written: number }[] = [];
    for (let i = 0; i < BATCH && inputs + i * t.perConn < RUNS; i++) {
      const [client, end] = PipeConn.pair('pipe:fuzz');
      client.start({ onData: () => {}, onClose: () => {} });
      // The server end reports a destroy with an error: a session only does that for an unexpected exception.
      const destroy = end.destroy.bind(end);
      end.destroy = (e?: Error): void => {
        if (e) badCloses.push(`${t.name}: connection destroyed with ${e.stack ?? e.message}`);
        destroy(e);
      };
      const state: ConnState = { nextId: t.name === 'ttrpc' ? 1 : 0, ids: [] };
      // Each input is cut in three pieces, written on three turns.
      const writes: Uint8Array[][] = [];
      for (let k = 0; k < t.perConn; k++) {
        const bytes = t.input(r, state);
        const cut1 = r.int(bytes.length + 1);
        const cut2 = cut1 + r.int(bytes.length - cut1 + 1);
        writes.push([bytes.subarray(0, cut1), bytes.subarray(cut1, cut2), bytes.subarray(cut2)]);
      }
      conns.push({ client, session: server.accept(end), state, writes, written: 0 });
    }
    // The inputs of a connection go one after the other, each piece on its own turn; an input counts
    // once its first piece is written to a connection still open (a drpc session closes on a violation).
    for (let k = 0; k < t.perConn; k++) {
      for (let w = 0; w < 3; w++) {
        for (const c of conns) {
          if (c.client.closed) continue;
          if (w === 0) inputs++;
          const part = c.writes[k]![w]!;
          if (part.length === 0) continue;
          c.client.write(part.slice());
          c.written += part.length;
        }
        await tick();
        for (const c of conns) if (c.session) checkMemory(t.name, c.session, c.written);
      }
    }
    await tick();
    for (const c of conns) {
      if (c.session) checkMemory(t.name, c.session, c.written);
      const reason = (c.session as unknown as Inner | undefined)?.protocolError;
      if (reason !== undefined) {
        protocolCloses++;
        if (!ALLOWED_CLOSE.test(reason)) badCloses.push(`${t.name}: unexpected close reason ${reason}`);
      }
      c.client.destroy();
    }
    await tick();
    assert.equal(badCloses.slice(0, 5), [], `seed ${SEED}`);
  }
  for (let i = 0; i < 20 && server.stats.connections > 0; i++) await tick();
  assert.is(server.stats.connections, 0, `${t.name}: every fuzzed connection is released`);
  await t.healthy(server, listener);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`  ${t.name}: ${inputs} inputs in ${secs} s, ${protocolCloses} connections closed for protocol violations`);
  await server.close();
}

// ---------------------------------------------------------------------------

const uncaught: unknown[] = [];
process.on('uncaughtException', (e) => uncaught.push(e));
process.on('unhandledRejection', (e) => uncaught.push(e));

const TARGETS: Target[] = [
  {
    name: 'ttrpc',
    perConn: 8,
    server: () => new CallServer(registry(), { ttrpc: { maxMessageLength: 64 * 1024, maxConcurrentStreams: 16 } }),
    input: ttrpcInput,
    healthy: async (_server, listener) => {
      const client = await connectTtrpc(listener);
      const reply = await unaryCall(client, `/${SERVICE}/Echo`, enc.encode('healthy'));
      assert.is(new TextDecoder().decode(reply), 'healthy');
      client.close();
    },
  },
  ...[false, true].map((multiplex): Target => ({
    name: multiplex ? 'drpc-mux' : 'drpc',
    perConn: 4,
    server: () => new CallServer(registry(), { protocol: 'drpc', multiplex, drpc: { maxPacketSize: 64 * 1024, maxConcurrentStreams: 16 } }),
    input: (r, s) => drpcInput(r, s, multiplex),
    healthy: async (_server, listener) => {
      const client = await connectDrpc(listener, { multiplex, pool: false });
      const reply = await unaryCall(client, `/${SERVICE}/Echo`, enc.encode('healthy'));
      assert.is(new TextDecoder().decode(reply), 'healthy');
      client.close();
    },
  })),
];

for (const t of TARGETS.filter((x) => !process.env.FUZZ_TARGET || x.name === process.env.FUZZ_TARGET)) {
  test(`${t.name} server session fuzz: ${RUNS} random and mutated-valid inputs`, async () => {
    await runTarget(t);
    assert.equal(uncaught.map(String).slice(0, 3), [], `seed ${SEED}: no uncaught exception`);
  });
}

test.run();
