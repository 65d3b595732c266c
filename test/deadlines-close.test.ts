// Deadlines and closing, over ttrpc, drpc (pooled and single connection) and multiplexed drpc, on unix sockets and
// the in-memory pipe: deadlines beyond one Node timer (LongTimer), calls already past their deadline write nothing,
// a closed client or server never keeps the process alive (child processes), drpc calls are active from startCall,
// and an unknown drpc rpc is answered with code 12 (UNIMPLEMENTED).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type Socket, connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, type ClientCallOptions } from '../src/client/client.js';
import { connectDrpc, connectTtrpc } from '../src/client/connect.js';
import { Server } from '../src/server/server.js';
import { callback } from '../src/services/handlers.js';
import { defineService } from '../src/services/definition.js';
import { rawMethod } from '../src/call/method.js';
import { CallIO } from './helpers/call-io.js';
import { LongTimer, MAX_TIMER_MS } from '../src/call/long-timer.js';
import type { ClientTransport, MethodKind } from '../src/call/call.js';
import { ClientBidiReactor } from '../reactors/client-reactors.js';
import { ServerBidiReactor } from '../reactors/server-reactors.js';
import { Code, codeName } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { OK_STATUS, type Status } from '../src/status/status.js';
import { encodeRequest, decodeResponse } from '../src/protocol/ttrpc/envelope.js';
import { MessageType } from '../src/protocol/ttrpc/frame.js';
import { PacketKind } from '../src/protocol/drpc/frame.js';
import { DrpcClientSession } from '../src/protocol/drpc/client-session.js';
import { DrpcMuxClientSession } from '../src/protocol/drpc/mux-client-session.js';
import { encodeErrorPayload } from '../src/protocol/drpc/error-payload.js';
import { errorPayloadToStatus } from '../src/protocol/drpc/status-map.js';
import { dial, listen } from '../src/transport/dial.js';
import type { ConnHandler, Listener } from '../src/transport/conn.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { RawPeer } from './helpers/raw-ttrpc.js';
import { RawDrpcPeer, decodeAll, describe, frameBytes } from './helpers/raw-drpc.js';
import { PROTOCOLS, type ProtocolCase } from './helpers/reactor-fixture.js';
import { dialTarget } from './helpers/transports.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const DAY = 86_400_000;
const THIRTY_DAYS = 30 * DAY;
const S = 'dl.Test';
const Unary = rawMethod(`/${S}/Unary`, 'unary');
const ServerStream = rawMethod(`/${S}/ServerStream`, 'server_stream');
const ClientStream = rawMethod(`/${S}/ClientStream`, 'client_stream');
const Bidi = rawMethod(`/${S}/Bidi`, 'bidi');
const Speak = rawMethod(`/${S}/Speak`, 'bidi');
const Nope = rawMethod(`/${S}/Nope`, 'unary');
const Service = defineService(S, { Unary, ServerStream, ClientStream, Bidi, Speak });
const UNKNOWN_RPC_TEXT = `protocol error: unknown rpc: "/${S}/Nope"`;

const unixAddress = (): string => `unix://${join(mkdtempSync(join(tmpdir(), 'rr-dl-')), 's.sock')}`;
const TARGETS = [
  { name: 'unix', target: (): string | Listener => unixAddress() },
  { name: 'pipe', target: (): string | Listener => new PipeListener() },
];
/** DRPC_SINGLE is upstream drpc on one connection without the pool. */
const DRPC_SINGLE: ProtocolCase = { name: 'drpc-single', server: { protocol: 'drpc' }, client: { protocol: 'drpc', pool: false } };

/** Seen is what the test server observed: handler invocations, their deadlines, bytes received, connections. */
interface Seen {
  invocations: number;
  deadlines: Array<number | undefined>;
  bytes: number;
  connections: number;
}

/** SpeakFirst writes three messages without reading, then finishes. */
class SpeakFirst extends ServerBidiReactor<Uint8Array, Uint8Array> {
  private n = 0;
  constructor() {
    super();
    this.next();
  }
  private next(): void {
    if (this.n < 3) this.startWrite(enc.encode(['one', 'two', 'three'][this.n++]!));
    else this.finish(OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.next();
    else this.finish(OK_STATUS);
  }
}

/** startServer serves the test service through a listener that counts received bytes, and connects a client. */
async function startServer(pc: ProtocolCase, target: string | Listener) {
  const seen: Seen = { invocations: 0, deadlines: [], bytes: 0, connections: 0 };
  const note = (deadline: number | undefined): void => {
    seen.invocations++;
    seen.deadlines.push(deadline);
  };
  const server = new Server(pc.server).addService(Service, {
    Unary: async (req, ctx) => {
      note(ctx.deadline);
      await sleep(30); // long enough for a deadline timer that overflowed to 1 ms to have fired
      return req;
    },
    ServerStream: async function* (req, ctx) {
      note(ctx.deadline);
      await sleep(30);
      yield req;
      yield req;
    },
    ClientStream: async (reqs, ctx) => {
      note(ctx.deadline);
      const parts: string[] = [];
      for await (const r of reqs) parts.push(dec.decode(r));
      return enc.encode(parts.join(','));
    },
    Bidi: async function* (reqs, ctx) {
      note(ctx.deadline);
      for await (const r of reqs) yield r;
    },
    Speak: callback((ctx) => {
      note(ctx.deadline);
      return new SpeakFirst();
    }),
  });
  const inner = await listen(target);
  const counting: Listener = {
    address: inner.address,
    onConnection: (cb) =>
      inner.onConnection((conn) => {
        seen.connections++;
        const start = conn.start.bind(conn);
        conn.start = (h: ConnHandler) => {
          const counted = Object.assign(Object.create(h) as ConnHandler, {
            onData: (c: Uint8Array) => {
              seen.bytes += c.byteLength;
              h.onData(c);
            },
          });
          start(counted);
        };
        cb(conn);
      }),
    close: () => inner.close(),
  };
  const bound = await server.listen(counting);
  const dialTo = dialTarget(target, bound);
  const client = await Client.connect(dialTo, pc.client);
  return {
    seen,
    server,
    client,
    dialTo,
    stop: async () => {
      await client.close();
      await server.forceShutdown();
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e.code;
    throw e;
  }
  return Code.OK;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(dec.decode(m));
  return out;
}

/** Reader is a bidi client reactor that reads every response; onDone settles `done`. */
class Reader extends ClientBidiReactor<Uint8Array, Uint8Array> {
  readonly got: string[] = [];
  readonly done: Promise<Status>;
  private settle!: (s: Status) => void;
  constructor(private readonly closeAfterWrite = false) {
    super();
    this.done = new Promise((r) => (this.settle = r));
  }
  override onReadDone(ok: boolean, m: Uint8Array | undefined): void {
    if (!ok) return;
    this.got.push(dec.decode(m));
    this.startRead();
  }
  override onWriteDone(ok: boolean): void {
    if (ok && this.closeAfterWrite) this.startWritesDone();
  }
  override onDone(s: Status): void {
    this.settle(s);
  }
}

/** warningsDuring collects the process warnings emitted while `body` runs (they are emitted on a later tick). */
async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error): void => void seen.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await body();
    await sleep(20);
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

/** it is uvu's test with an RpcError escaping the body turned into a plain Error (uvu's report cannot print an RpcError). */
function it(name: string, body: () => Promise<void> | void): void {
  test(name, async () => {
    try {
      await body();
    } catch (e) {
      throw e instanceof RpcError ? new Error(`${codeName(e.code)}: ${e.message}`) : e;
    }
  });
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

// ---- A. LongTimer ----

it('LongTimer: a delay longer than one step is waited in steps and fires once at the end', async () => {
  let fired = 0;
  const started = Date.now();
  const t = new LongTimer(() => fired++, 45, { maxStepMs: 10 });
  assert.ok(t.pending);
  await sleep(20);
  assert.is(fired, 0);
  assert.ok(t.steps >= 2 && t.steps <= 3, `steps so far ${t.steps}`);
  for (let i = 0; i < 100 && fired === 0; i++) await sleep(5);
  assert.is(fired, 1);
  assert.ok(Date.now() - started >= 40, `fired after ${Date.now() - started} ms`);
  assert.is(t.steps, 5, '45 ms in steps of at most 10 ms');
  assert.not.ok(t.pending);
  await sleep(30);
  assert.is(fired, 1);
});

it('LongTimer: cancel between steps stops it; Infinity never arms; NaN and negative delays fire at once', async () => {
  let fired = 0;
  const t = new LongTimer(() => fired++, 40, { maxStepMs: 10 });
  await sleep(15);
  t.cancel();
  assert.not.ok(t.pending);
  await sleep(50);
  assert.is(fired, 0);
  const never = new LongTimer(() => fired++, Infinity);
  assert.equal([never.pending, never.steps], [false, 0]);
  new LongTimer(() => fired++, Number.NaN);
  new LongTimer(() => fired++, -5);
  await sleep(10);
  assert.is(fired, 2);
});

it('LongTimer: 30 days is one step of at most 2^31-1 ms, no TimeoutOverflowWarning; unref leaves the process free', async () => {
  const warnings = await warningsDuring(async () => {
    const before = activeTimers();
    let fired = false;
    const t = new LongTimer(() => (fired = true), THIRTY_DAYS);
    assert.equal([t.pending, t.steps, activeTimers()], [true, 1, before + 1]);
    const u = new LongTimer(() => (fired = true), THIRTY_DAYS, { unref: true });
    assert.equal([u.pending, activeTimers()], [true, before + 1], 'an unref timer is not an active resource');
    await sleep(10);
    assert.not.ok(fired);
    t.cancel();
    u.cancel();
    assert.is(activeTimers(), before);
  });
  assert.equal(warnings, []);
  assert.is(MAX_TIMER_MS, 2 ** 31 - 1);
});

// ---- A. Long deadlines end to end ----

for (const tc of TARGETS) {
  for (const pc of [...PROTOCOLS, DRPC_SINGLE]) {
    it(`${tc.name}/${pc.name}: 30-day and 300-year deadlines: every shape succeeds, no TimeoutOverflowWarning`, async () => {
      const { seen, client, stop } = await startServer(pc, tc.target());
      const started = Date.now();
      const warnings = await warningsDuring(async () => {
        for (const timeoutMs of [THIRTY_DAYS, 300 * 365 * DAY]) {
          const o: ClientCallOptions = { timeoutMs };
          assert.is(dec.decode(await client.unary(Unary, enc.encode('u'), o)), 'u');
          assert.equal(await collect(client.serverStream(ServerStream, enc.encode('s'), o)), ['s', 's']);
          assert.is(dec.decode(await client.clientStream(ClientStream, [enc.encode('a'), enc.encode('b')], o)), 'a,b');
          assert.equal(await collect(client.bidi(Bidi, [enc.encode('x'), enc.encode('y')], o)), ['x', 'y']);
        }
      });
      assert.equal(warnings, []);
      assert.is(seen.invocations, 8);
      if (pc.name === 'ttrpc') {
        // timeout_nano carries the deadline; the 300-year one is read back as 2^53 ns (the codec's exact range, ~104 days).
        for (const d of seen.deadlines.slice(0, 4)) assert.ok(Math.abs(d! - (started + THIRTY_DAYS)) < 5000, `deadline ${d}`);
        for (const d of seen.deadlines.slice(4)) assert.ok(Math.abs(d! - (started + Number.MAX_SAFE_INTEGER / 1e6)) < 5000, `deadline ${d}`);
      } else {
        assert.equal(seen.deadlines, Array(8).fill(undefined), 'drpc carries no deadline');
      }
      await stop();
    });
  }

  it(`${tc.name}: a raw ttrpc request with timeout_nano = 30 days reaches the handler, which sees that deadline`, async () => {
    const { seen, dialTo, stop } = await startServer(PROTOCOLS[0]!, tc.target());
    const raw = await RawPeer.connect(dialTo);
    const warnings = await warningsDuring(async () => {
      const sent = Date.now();
      raw.send(1, MessageType.Request, 0, encodeRequest({ service: S, method: 'Unary', payload: enc.encode('late'), timeoutNano: THIRTY_DAYS * 1e6, metadata: [] }));
      const [f] = await raw.waitFrames(1);
      const res = decodeResponse(f!.data);
      assert.equal([res.status?.code ?? Code.OK, dec.decode(res.payload)], [Code.OK, 'late']);
      assert.is(seen.invocations, 1);
      assert.ok(Math.abs(seen.deadlines[0]! - (sent + THIRTY_DAYS)) < 5000, `deadline ${seen.deadlines[0]} vs ${sent + THIRTY_DAYS}`);
    });
    assert.equal(warnings, []);
    raw.close();
    await stop();
  });
}

// ---- B. A call already over writes nothing ----

/** reactorBidi binds a reactor bidi call and starts it with a write in the same turn; resolves with its status code. */
async function reactorBidi(client: Client, o: ClientCallOptions): Promise<number> {
  const r = new Reader(true);
  client.bindBidi(Bidi, r, o);
  r.startCall();
  r.startWrite(enc.encode('w'));
  r.startRead();
  return (await r.done).code;
}

for (const pc of [...PROTOCOLS, DRPC_SINGLE]) {
  it(`unix/${pc.name}: timeoutMs 0 or a past deadline fails with DEADLINE_EXCEEDED and sends nothing, in every shape`, async () => {
    const { seen, client, stop } = await startServer(pc, unixAddress());
    for (const o of [{ timeoutMs: 0 }, { deadline: Date.now() - 1000 }] as ClientCallOptions[]) {
      const codes = await Promise.all([
        codeOf(client.unary(Unary, enc.encode('u'), o)),
        codeOf(collect(client.serverStream(ServerStream, enc.encode('s'), o))),
        codeOf(client.clientStream(ClientStream, [enc.encode('a')], o)),
        codeOf(collect(client.bidi(Bidi, [enc.encode('x')], o))),
        reactorBidi(client, o),
      ]);
      assert.equal(codes, Array(5).fill(Code.DEADLINE_EXCEEDED), JSON.stringify(o));
    }
    await sleep(100);
    assert.equal([seen.bytes, seen.invocations], [0, 0], 'no byte reached the server, no handler ran');
    // The same client still works, and the counting sees it.
    assert.is(dec.decode(await client.unary(Unary, enc.encode('ok'), { timeoutMs: 5000 })), 'ok');
    assert.ok(seen.bytes > 0);
    assert.is(seen.invocations, 1);
    await stop();
  });
}

/** busy blocks the event loop for ms (so no timer can run). */
function busy(ms: number): void {
  for (const end = Date.now() + ms; Date.now() < end; );
}

const TRANSPORT_CASES: Array<{ name: string; connect: (to: string | PipeListener) => Promise<ClientTransport> }> = [
  { name: 'ttrpc', connect: (to) => connectTtrpc(to) },
  { name: 'drpc', connect: (to) => connectDrpc(to) },
  { name: 'drpc-single', connect: (to) => connectDrpc(to, { pool: false }) },
  { name: 'drpc-mux', connect: (to) => connectDrpc(to, { multiplex: true }) },
];

for (const tcase of TRANSPORT_CASES) {
  it(`unix/${tcase.name}: a deadline that passes while the event loop is busy, before the first frame, writes nothing`, async () => {
    const pc = PROTOCOLS.find((p) => p.name === tcase.name) ?? DRPC_SINGLE;
    const { seen, dialTo, stop } = await startServer(pc, unixAddress());
    const t = await tcase.connect(dialTo as string);
    // ttrpc writes a streaming call's Request in start(), so only its unary shape has a first frame after start.
    const kinds: Array<[string, MethodKind]> = tcase.name === 'ttrpc' ? [[Unary.path, 'unary']] : [[Unary.path, 'unary'], [Bidi.path, 'bidi'], [ClientStream.path, 'client_stream']];
    for (const [path, kind] of kinds) {
      const call = t.createCall(path, kind, { deadline: Date.now() + 20 });
      const io = new CallIO(call);
      busy(40);
      if (kind === 'unary') void io.write(enc.encode('u'), true);
      assert.is((await io.status).code, Code.DEADLINE_EXCEEDED, kind);
    }
    await sleep(100);
    assert.equal([seen.bytes, seen.invocations], [0, 0]);
    t.close();
    await stop();
  });
}

// ---- C. A closed client or server never keeps the process alive ----

const FIXTURE = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** ChildRun is how a child process ended: its exit code or signal, its output, and ms from its mark line to its exit. */
interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  afterMarkMs: number | undefined;
}

/**
 * runChild runs the fixture; once a stdout line starts with `mark` it has `limitMs` to exit on its own, else it is
 * killed (afterMarkMs stays undefined). `onLine` sees each stdout line (to drive the child).
 */
function runChild(args: string[], mark: string, limitMs: number, onLine?: (line: string, stdinEnd: () => void) => void): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let markAt: number | undefined;
    let killed = false;
    const startup = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      for (const line of d.toString().split('\n').filter(Boolean)) {
        onLine?.(line, () => child.stdin.end());
        if (markAt === undefined && line.startsWith(mark)) {
          markAt = Date.now();
          clearTimeout(startup);
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              killed = true;
              child.kill('SIGKILL');
            }
          }, limitMs);
        }
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(startup);
      resolve({ code, signal, out, afterMarkMs: markAt === undefined || killed ? undefined : Date.now() - markAt });
    });
  });
}

/** silentServer accepts unix connections and never reads, writes or closes them. */
async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const path = join(mkdtempSync(join(tmpdir(), 'rr-silent-')), 's.sock');
  const sockets: Socket[] = [];
  const srv = createServer({ pauseOnConnect: true }, (s) => {
    s.on('error', () => undefined);
    sockets.push(s);
  });
  await new Promise<void>((r) => srv.listen(path, r));
  return {
    address: `unix://${path}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

it('client.close() against a server that never reads or closes: the process exits on its own (default closeGraceMs 1 s), all protocols', async () => {
  const silent = await silentServer();
  try {
    const runs = await Promise.all(['ttrpc', 'drpc', 'drpc-mux'].map((p) => runChild(['client', p, silent.address], 'closed', 4000)));
    runs.forEach((r, i) => {
      const what = `${['ttrpc', 'drpc', 'drpc-mux'][i]}: ${r.out}`;
      assert.equal([r.code, r.signal], [0, null], what);
      assert.match(r.out, /closed .*(closed|UNAVAILABLE)/i, what);
      assert.ok(r.afterMarkMs !== undefined && r.afterMarkMs < 3000, `${what} exited ${r.afterMarkMs} ms after close`);
    });
  } finally {
    await silent.close();
  }
});

/** rawSilentClient connects to a unix address and never reads, writes or closes. */
function rawSilentClient(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(address.replace(/^unix:\/\//, ''));
    s.pause();
    s.on('error', () => undefined);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** runServerChild runs the fixture's server role; a silent raw client connects, then stdin's end triggers forceShutdown. */
async function runServerChild(protocol: string, grace?: string): Promise<ChildRun & { silent: Socket | undefined }> {
  const address = unixAddress();
  let silent: Socket | undefined;
  const run = await runChild(['server', protocol, address, ...(grace ? [grace] : [])], 'shutdown', grace === 'Infinity' ? 2000 : 4000, (line, stdinEnd) => {
    if (line !== 'listening') return;
    void rawSilentClient(address).then(async (s) => {
      silent = s;
      await sleep(100);
      stdinEnd();
    });
  });
  silent?.destroy();
  return { ...run, silent };
}

it('server.forceShutdown() with a client that never reads or closes: the process exits on its own, all protocols', async () => {
  const runs = await Promise.all(['ttrpc', 'drpc', 'drpc-mux'].map((p) => runServerChild(p)));
  runs.forEach((r, i) => {
    const what = `${['ttrpc', 'drpc', 'drpc-mux'][i]}: ${r.out}`;
    assert.ok(r.silent, `the silent client connected (${what})`);
    assert.equal([r.code, r.signal], [0, null], what);
    assert.ok(r.afterMarkMs !== undefined && r.afterMarkMs < 3000, `${what} exited ${r.afterMarkMs} ms after shutdown`);
  });
});

it('control: with closeGraceMs Infinity the half-closed connection keeps the client and the server process alive', async () => {
  const silent = await silentServer();
  try {
    const [client, server] = await Promise.all([runChild(['client', 'ttrpc', silent.address, 'Infinity'], 'closed', 2000), runServerChild('ttrpc', 'Infinity')]);
    assert.match(client.out, /closed/);
    assert.is(client.afterMarkMs, undefined, `the client process exited on its own: ${client.out}`);
    assert.match(server.out, /shutdown/);
    assert.is(server.afterMarkMs, undefined, `the server process exited on its own: ${server.out}`);
  } finally {
    await silent.close();
  }
});

it('closeGraceMs is checked: a negative or NaN value is a RangeError', async () => {
  const silent = await silentServer();
  try {
    for (const closeGraceMs of [-1, Number.NaN]) {
      await codeOf(Client.connect(silent.address, { closeGraceMs })).then(
        () => assert.unreachable('connect accepted a bad closeGraceMs'),
        (e: unknown) => assert.instance(e, RangeError),
      );
      assert.throws(() => new Server({ closeGraceMs }), RangeError);
    }
  } finally {
    await silent.close();
  }
});

// ---- D. drpc calls are active from startCall ----

for (const pc of [...PROTOCOLS, DRPC_SINGLE]) {
  it(`unix/${pc.name}: a bidi call that only reads reaches the server at startCall; the server speaks first`, async () => {
    const { seen, client, stop } = await startServer(pc, unixAddress());
    const r = new Reader();
    client.bindBidi(Speak, r);
    r.startCall();
    // No read and no write yet: the handler runs anyway (gRPC's StartCall).
    for (let i = 0; i < 200 && seen.invocations === 0; i++) await sleep(5);
    assert.is(seen.invocations, 1, 'the handler started without a client read or write');
    r.startRead();
    const s = await r.done;
    assert.equal([s.code, r.got], [Code.OK, ['one', 'two', 'three']]);
    await stop();
  });
}

/** recordingClient connects a drpc session (upstream or multiplexed) whose connection writes are recorded. */
async function recordingClient(address: string, multiplex: boolean) {
  const conn = await dial(address);
  const writes: Uint8Array[] = [];
  const write = conn.write.bind(conn);
  conn.write = (d: Uint8Array) => (writes.push(Uint8Array.from(d)), write(d));
  const writev = conn.writev.bind(conn);
  conn.writev = (cs: readonly Uint8Array[]) => (writes.push(Buffer.concat(cs)), writev(cs));
  const session = multiplex ? new DrpcMuxClientSession(conn) : new DrpcClientSession(conn);
  return { client: Client.fromTransport(session), writes, frames: (i: number) => decodeAll(writes[i]!).map(describe) };
}

for (const multiplex of [false, true]) {
  const mode = multiplex ? 'drpc-mux' : 'drpc-single';
  it(`unix/${mode}: startCall + startWrite in one turn is still one coalesced write, Invoke first; a later write follows the Invoke`, async () => {
    const pc = multiplex ? PROTOCOLS[2]! : DRPC_SINGLE;
    const { server, dialTo } = await startServer(pc, unixAddress());
    const { client, writes, frames } = await recordingClient(dialTo as string, multiplex);
    const run = async (between: () => Promise<void> | void) => {
      const r = new Reader(true);
      client.bindBidi(Bidi, r);
      r.startCall();
      await between();
      r.startWrite(enc.encode('hi'));
      r.startRead();
      const s = await r.done;
      assert.equal([s.code, r.got], [Code.OK, ['hi']]);
    };
    // Same synchronous run, then a later microtask of the same turn: Invoke and Message leave in one write.
    await run(() => undefined);
    assert.equal(frames(0), ['Invoke s1 m1 "/dl.Test/Bidi"', 'Message s1 m2 "hi"']);
    const n = writes.length;
    await run(() => Promise.resolve());
    assert.equal(frames(n), ['Invoke s2 m1 "/dl.Test/Bidi"', 'Message s2 m2 "hi"']);
    // A write in a later turn: the Invoke went out alone at the end of startCall's turn.
    const m = writes.length;
    await run(() => sleep(20));
    assert.equal(frames(m), ['Invoke s3 m1 "/dl.Test/Bidi"']);
    assert.equal(frames(m + 1)[0], 'Message s3 m2 "hi"');
    await client.close();
    await server.forceShutdown();
  });
}

// ---- E. drpc unknown rpc: code 12 (UNIMPLEMENTED), Go's text ----

for (const pc of PROTOCOLS.filter((p) => p.name !== 'ttrpc')) {
  it(`unix/${pc.name}: an unknown rpc is answered with an Error packet of code 12 and Go's text; the connection stays`, async () => {
    const { dialTo, stop } = await startServer(pc, unixAddress());
    const raw = await RawDrpcPeer.connect(dialTo);
    raw.send(frameBytes(PacketKind.Invoke, 1, 1, Nope.path), frameBytes(PacketKind.Message, 1, 2, 'x'), frameBytes(PacketKind.CloseSend, 1, 3));
    const f = await raw.waitFor((x) => x.kind === PacketKind.Error);
    assert.equal([f.streamId, f.messageId], [1, 1]);
    assert.equal(Buffer.from(f.data).toString('hex'), Buffer.from(encodeErrorPayload(12, UNKNOWN_RPC_TEXT)).toString('hex'));
    assert.equal([...f.data.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 12]);
    await sleep(20);
    assert.not.ok(raw.closed);
    raw.close();
    await stop();
  });
}

for (const tc of TARGETS) {
  for (const pc of [...PROTOCOLS, DRPC_SINGLE]) {
    it(`${tc.name}/${pc.name}: the client reports an unknown method as UNIMPLEMENTED`, async () => {
      const { client, stop } = await startServer(pc, tc.target());
      try {
        await client.unary(Nope, enc.encode('x'));
        assert.unreachable('the call succeeded');
      } catch (e) {
        assert.instance(e, RpcError);
        assert.is((e as RpcError).code, Code.UNIMPLEMENTED);
        if (pc.name !== 'ttrpc') assert.is((e as RpcError).rawMessage, UNKNOWN_RPC_TEXT);
      }
      assert.is(dec.decode(await client.unary(Unary, enc.encode('after'))), 'after');
      await stop();
    });
  }
}

it('drpc Error payloads: code 12 reads as UNIMPLEMENTED, Go’s code 0 as UNKNOWN (text kept)', () => {
  assert.equal(errorPayloadToStatus(encodeErrorPayload(12, UNKNOWN_RPC_TEXT)), { code: Code.UNIMPLEMENTED, message: UNKNOWN_RPC_TEXT, details: [] });
  assert.equal(errorPayloadToStatus(encodeErrorPayload(0, UNKNOWN_RPC_TEXT)), { code: Code.UNKNOWN, message: UNKNOWN_RPC_TEXT, details: [] });
});

test.run();
