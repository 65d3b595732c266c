// Promise-style unary calls on the call layer end to end, over the pipe and a unix socket with ttrpc and
// multiplexed drpc: the server's SyncUnaryCall (handler shapes, codec failures, ctx, deadline, shutdown, no
// scheduler use) and the client's UnaryClientCall (abort signals, unaryCallback on the scheduler, close(), load).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Code, OK_STATUS, RpcError, Scheduler, Server, callback, defineService, rawMethod } from '../src/index.js';
import type { ClientOptions, ServerContext, ServerOptions, Status, TypedMethod } from '../src/index.js';
import { TRANSPORTS, dialTarget, type TransportCase } from './helpers/transports.js';
import { until } from './helpers/rules-kit.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (x: string): Uint8Array => enc.encode(x);
const s = (u: Uint8Array | undefined): string => (u === undefined ? '<undefined>' : dec.decode(u));

/** codecMethod is a string method whose codec functions throw on a marker value. */
function codecMethod(path: string): TypedMethod<string, string, 'unary'> {
  const check = (v: string, marker: string, what: string): string => {
    if (v === marker) throw new Error(`${what} refused`);
    return v;
  };
  return {
    path,
    kind: 'unary',
    serializeRequest: (v) => enc.encode(check(v, 'bad-req-out', 'request encoder')),
    deserializeRequest: (x) => check(dec.decode(x), 'bad-req-in', 'request decoder'),
    serializeResponse: (v) => enc.encode(check(v, 'bad-res-out', 'response encoder')),
    deserializeResponse: (x) => check(dec.decode(x), 'bad-res-in', 'response decoder'),
  };
}

const SVC = 'test.v1.UnaryLayer';
const raw = (name: string) => rawMethod(`/${SVC}/${name}`, 'unary');
const names = ['Async', 'Plain', 'Thenable', 'Throw', 'Reject', 'Undef', 'Ctx', 'Hold', 'Jitter', 'Reactor'] as const;
const M = defineService(SVC, { ...(Object.fromEntries(names.map((n) => [n, raw(n)])) as Record<(typeof names)[number], ReturnType<typeof raw>>), Codec: codecMethod(`/${SVC}/Codec`) });

/** Hold is one pending Hold call on the server. */
type Hold = { ctx: ServerContext; release(): void; reason?: RpcError };

/** Fixture records what the server saw: handler entries, pending Hold calls, calls that reached the server at all. */
class Fixture {
  entered = new Map<string, number>();
  holds: Hold[] = [];
  arrived = 0;
  count = (name: string): number => this.entered.get(name) ?? 0;
  enter = (name: string): void => void this.entered.set(name, this.count(name) + 1);
}

function addService(server: Server, fx: Fixture): void {
  server.addService(M, {
    Async: async (req) => (fx.enter('Async'), b(`async:${s(req)}`)),
    Plain: (req) => (fx.enter('Plain'), b(`plain:${s(req)}`)),
    // A thenable that is not a Promise, settling on a later tick.
    Thenable: (req) => {
      fx.enter('Thenable');
      const fail = s(req) === 'fail';
      const thenable = { then: (ok: (v: Uint8Array) => void, no: (e: unknown) => void) => setTimeout(() => (fail ? no(new RpcError(Code.ABORTED, 'thenable refused')) : ok(b(`thenable:${s(req)}`))), 1) };
      return thenable as unknown as Uint8Array;
    },
    Throw: () => {
      fx.enter('Throw');
      throw new RpcError(Code.FAILED_PRECONDITION, 'not ready yet');
    },
    Reject: async () => {
      fx.enter('Reject');
      throw new Error('plain failure');
    },
    Undef: () => (fx.enter('Undef'), undefined as unknown as Uint8Array),
    Ctx: (_req, ctx) => b(JSON.stringify({ md: ctx.metadata.getAll('x-k'), deadline: ctx.deadline ?? null, method: ctx.method, peer: ctx.peer, kind: ctx.kind })),
    Hold: (req, ctx) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const h: Hold = { ctx, release: () => resolve(b(`held:${s(req)}`)) };
        fx.holds.push(h);
        ctx.signal.addEventListener('abort', () => ((h.reason = ctx.signal.reason as RpcError), reject(ctx.signal.reason)), { once: true });
      }),
    Jitter: async (req) => {
      const n = Number(s(req));
      if (n % 3 === 1) await sleep(n % 5);
      else if (n % 3 === 2) await null;
      return b(`jitter:${n}`);
    },
    Reactor: callback((ctx: ServerContext, req: Uint8Array) => {
      const r = ctx.defaultReactor<Uint8Array>();
      r.finish(OK_STATUS, b(`reactor:${s(req)}`));
      return r;
    }),
    Codec: (req) => (fx.enter('Codec'), req),
  });
}

type ProtoCase = { name: string; server: ServerOptions; client: ClientOptions };
const PROTOS: ProtoCase[] = [
  // 2000 calls in flight need more than the default 1024 concurrent streams of a ttrpc or multiplexing drpc server.
  { name: 'ttrpc', server: { ttrpc: { maxConcurrentStreams: 4096 } }, client: {} },
  { name: 'drpc-mux', server: { protocol: 'drpc', multiplex: true, drpc: { maxConcurrentStreams: 4096 } }, client: { protocol: 'drpc', multiplex: true } },
];

type Rig = { server: Server; client: Client; fx: Fixture };
type RigOptions = { server?: ServerOptions; client?: ClientOptions };

/** rigTest runs body against a fresh server and client, shut down afterwards. */
function rigTest(tc: TransportCase, pc: ProtoCase, title: string, body: (r: Rig) => Promise<void>, o: RigOptions = {}): void {
  test(`${tc.name}/${pc.name}: ${title}`, async () => {
    const fx = new Fixture();
    const server = new Server({ ...pc.server, ...o.server, interceptors: [(call, next) => (fx.arrived++, next(call))] });
    addService(server, fx);
    const target = tc.target();
    const client = await Client.connect(dialTarget(target, await server.listen(target)), { ...pc.client, ...o.client });
    // A call that never settles fails the test instead of letting the event loop drain.
    const limit = new AbortController();
    const timedOut = sleep(20_000, undefined, { signal: limit.signal }).then(() => assert.unreachable('test timed out'), () => undefined);
    try {
      await Promise.race([body({ server, client, fx }), timedOut]);
    } catch (e) {
      // An RpcError's `details` array breaks uvu's error report: rethrow it as a plain Error.
      throw e instanceof RpcError ? new Error(`unexpected ${e.message}`, { cause: e }) : e;
    } finally {
      limit.abort();
      await client.close().catch(() => undefined);
      await server.shutdown(200);
    }
  });
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const r = await p.then((v) => ({ v }), (e: unknown) => ({ e }));
  if (!('e' in r)) return assert.unreachable(`expected a failure, got ${String(r.v)}`) as never;
  assert.instance(r.e, RpcError);
  return r.e as RpcError;
}

/** quiet marks a promise awaited later as handled, so a failing assertion before that await is reported as such. */
const quiet = <T>(p: Promise<T>): Promise<T> => (p.catch(() => undefined), p);

async function failsWith(p: Promise<unknown>, code: Code, raw: string | RegExp): Promise<RpcError> {
  const e = await rejection(p);
  assert.is(e.code, code, `code of ${e.message}`);
  if (typeof raw === 'string') assert.is(e.rawMessage, raw);
  else assert.match(e.rawMessage, raw);
  return e;
}

for (const tc of TRANSPORTS.filter((t) => t.name !== 'tcp')) {
  for (const pc of PROTOS) {
    const ttrpc = pc.name === 'ttrpc';

    rigTest(tc, pc, 'handler shapes: async, plain value, thenable, throw, reject, undefined', async ({ client, fx }) => {
      assert.is(s(await client.unary(M.methods.Async, b('a'))), 'async:a');
      assert.is(s(await client.unary(M.methods.Plain, b('p'))), 'plain:p');
      assert.is(s(await client.unary(M.methods.Thenable, b('t'))), 'thenable:t');
      await failsWith(client.unary(M.methods.Thenable, b('fail')), Code.ABORTED, 'thenable refused');
      const thrown = await failsWith(client.unary(M.methods.Throw, b('')), Code.FAILED_PRECONDITION, 'not ready yet');
      assert.is(thrown.message, 'FAILED_PRECONDITION: not ready yet');
      await failsWith(client.unary(M.methods.Reject, b('')), Code.UNKNOWN, 'plain failure');
      // undefined: status OK and no response sent; both protocols still put one (empty) message
      // on the wire for a unary reply, so the client reads zero bytes (protobuf's empty message).
      const none = await client.unary(M.methods.Undef, b(''));
      assert.instance(none, Uint8Array);
      assert.is(none.byteLength, 0);
      assert.equal([...fx.entered.entries()].sort(), [['Async', 1], ['Plain', 1], ['Reject', 1], ['Thenable', 2], ['Throw', 1], ['Undef', 1]]);
      assert.is(client.openCalls, 0);
    });

    rigTest(tc, pc, 'codec failures on either side end with INTERNAL', async ({ client, fx }) => {
      const codec = (v: string): Promise<string> => client.unary(M.methods.Codec, v);
      assert.is(await codec('fine'), 'fine');
      await failsWith(codec('bad-req-in'), Code.INTERNAL, /^failed to parse request: request decoder refused/);
      assert.is(fx.count('Codec'), 1, 'the handler does not run for an undecodable request');
      await failsWith(codec('bad-res-out'), Code.INTERNAL, /^failed to serialize response: response encoder refused/);
      await failsWith(codec('bad-res-in'), Code.INTERNAL, /^failed to parse response: response decoder refused/);
      assert.is(fx.count('Codec'), 3);
      const arrived = fx.arrived;
      await failsWith(codec('bad-req-out'), Code.INTERNAL, /^failed to serialize request: request encoder refused/);
      await sleep(20);
      assert.is(fx.count('Codec'), 3, 'an unencodable request reaches no handler');
      assert.is(fx.arrived, arrived, 'an unencodable request does not reach the server at all');
      assert.is(await codec('still fine'), 'still fine');
      assert.is(client.openCalls, 0);
    });

    rigTest(tc, pc, 'ctx carries metadata, deadline, method, kind and peer', async ({ client }) => {
      type Seen = { md: string[]; deadline: number | null; method: string; peer: string; kind: string };
      const t0 = Date.now();
      const got = JSON.parse(s(await client.unary(M.methods.Ctx, b(''), { metadata: { 'x-k': 'v1' }, timeoutMs: 5000 }))) as Seen;
      const t1 = Date.now();
      assert.equal([got.md, got.method, got.kind], [['v1'], `/${SVC}/Ctx`, 'unary']);
      assert.ok(typeof got.peer === 'string' && got.peer.length > 0, `peer ${JSON.stringify(got.peer)}`);
      if (ttrpc) assert.ok(got.deadline !== null && got.deadline >= t0 + 4950 && got.deadline <= t1 + 5050, `deadline ${got.deadline} near ${t0 + 5000}`);
      else assert.is(got.deadline, null, 'drpc carries no deadline');
      const plain = JSON.parse(s(await client.unary(M.methods.Ctx, b('')))) as Seen;
      assert.equal([plain.md, plain.deadline], [[], null]);
    });

    rigTest(tc, pc, 'a passing deadline fails the call and aborts ctx.signal', async ({ server, client, fx }) => {
      const t0 = Date.now();
      await failsWith(client.unary(M.methods.Hold, b('late'), { timeoutMs: 80 }), Code.DEADLINE_EXCEEDED, /deadline exceeded/);
      assert.ok(Date.now() - t0 >= 70, 'not before the deadline');
      await until(() => fx.holds[0]?.reason !== undefined, 'the handler to see the abort');
      const h = fx.holds[0]!;
      assert.ok(h.ctx.signal.aborted && h.ctx.cancelled);
      // ttrpc tells the server the deadline; drpc has none on the wire, so the server sees the client's cancel.
      assert.is(h.reason!.code, ttrpc ? Code.DEADLINE_EXCEEDED : Code.CANCELLED);
      await until(() => server.activeCalls === 0, 'activeCalls back to 0');
      assert.is(client.openCalls, 0);
    });

    rigTest(tc, pc, 'client AbortSignal: cancels mid-call, pre-aborted never starts, listener removed at the end', async ({ server, client, fx }) => {
      const mid = new AbortController();
      const p = quiet(client.unary(M.methods.Hold, b('m'), { signal: mid.signal }));
      assert.is(getEventListeners(mid.signal, 'abort').length, 1);
      await until(() => fx.holds.length === 1, 'the handler to start');
      mid.abort();
      await failsWith(p, Code.CANCELLED, 'call cancelled');
      assert.is(getEventListeners(mid.signal, 'abort').length, 0);
      if (ttrpc) {
        // ttrpc has no cancel frame: the handler runs on and its late reply is dropped.
        await sleep(30);
        assert.is(fx.holds[0]!.reason, undefined);
        assert.is(server.activeCalls, 1);
        fx.holds[0]!.release();
      } else {
        await until(() => fx.holds[0]!.reason !== undefined, 'the server to see the cancel');
        assert.is(fx.holds[0]!.reason!.code, Code.CANCELLED);
      }
      await until(() => server.activeCalls === 0, 'activeCalls back to 0');

      const pre = AbortSignal.abort();
      const arrived = fx.arrived;
      await failsWith(client.unary(M.methods.Async, b('never'), { signal: pre }), Code.CANCELLED, 'cancelled before the call started');
      assert.is(getEventListeners(pre, 'abort').length, 0);
      await sleep(20);
      assert.is(fx.count('Async'), 0, 'a pre-aborted call runs no handler');
      assert.is(fx.arrived, arrived, 'a pre-aborted call does not reach the server');

      // After a success and after a failure the listener is gone; aborting later changes nothing.
      const later = new AbortController();
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown): number => unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      const ok = quiet(client.unary(M.methods.Async, b('ok'), { signal: later.signal }));
      const bad = quiet(client.unary(M.methods.Throw, b(''), { signal: later.signal }));
      assert.is(getEventListeners(later.signal, 'abort').length, 2);
      assert.is(s(await ok), 'async:ok');
      await failsWith(bad, Code.FAILED_PRECONDITION, 'not ready yet');
      assert.is(getEventListeners(later.signal, 'abort').length, 0);
      later.abort();
      await sleep(20);
      process.off('unhandledRejection', onUnhandled);
      assert.equal(unhandled, []);
      assert.is(client.openCalls, 0);
      assert.is(s(await client.unary(M.methods.Async, b('after'))), 'async:after');
    });

    const turns: Array<() => void> = [];
    const stepped = new Scheduler({ defer: (run) => void turns.push(run) });
    rigTest(tc, pc, "unaryCallback runs once, as one reaction of the client's scheduler; close() waits for it", async ({ client, fx }) => {
      const step = (): void => turns.shift()!();
      const got: Array<{ code: number; res: string; ran: number }> = [];
      const cb = (st: Status, r: Uint8Array | undefined): number => got.push({ code: st.code, res: s(r), ran: stepped.stats().reactionsRun });
      client.unaryCallback(M.methods.Async, b('cb'), undefined, cb);
      await until(() => turns.length > 0, 'the callback to be queued');
      await sleep(10);
      assert.is(got.length, 0, 'the callback waits for the scheduler');
      assert.is(client.openCalls, 1, 'the call is open until its callback ran');
      step();
      assert.equal(got, [{ code: Code.OK, res: 'async:cb', ran: 1 }]);
      assert.is(client.openCalls, 0);
      client.unaryCallback(M.methods.Throw, b(''), undefined, cb);
      await until(() => turns.length > 0, 'the failure callback to be queued');
      step();
      assert.equal(got[1], { code: Code.FAILED_PRECONDITION, res: '<undefined>', ran: 2 });
      // The promise form queues nothing.
      assert.is(s(await client.unary(M.methods.Plain, b('p'))), 'plain:p');
      await sleep(10);
      assert.is(turns.length, 0);
      client.unaryCallback(M.methods.Hold, b('h'), undefined, cb);
      await until(() => fx.holds.length === 1, 'the handler to start');
      let closed = false;
      const closing = client.close().then(() => (closed = true));
      await until(() => turns.length > 0, 'the closing callback to be queued');
      await sleep(10);
      assert.is(closed, false, 'close() waits for the callback');
      step();
      await closing;
      assert.equal([got.length, got[2]!.code], [3, Code.UNAVAILABLE]);
      await sleep(10);
      assert.is(got.length, 3, 'each callback ran exactly once');
      assert.is(stepped.stats().reactionsRun, 3);
    }, { client: { scheduler: stepped } });

    const clientSched = new Scheduler();
    rigTest(tc, pc, 'unaryCallback never calls back inside unaryCallback(), even on immediate failure', async ({ client, fx }) => {
      const got: Array<{ code: number; msg: string; res: string; sync: boolean }> = [];
      let inside = false;
      const cb = (st: Status, r: Uint8Array | undefined): number => got.push({ code: st.code, msg: st.message, res: s(r), sync: inside });
      inside = true;
      client.unaryCallback(M.methods.Async, b('x'), { signal: AbortSignal.abort() }, cb);
      inside = false;
      assert.is(got.length, 0);
      await until(() => got.length === 1, 'the pre-aborted callback');
      assert.equal(got[0], { code: Code.CANCELLED, msg: 'cancelled before the call started', res: '<undefined>', sync: false });
      await client.close();
      const before = clientSched.stats().reactionsRun;
      inside = true;
      client.unaryCallback(M.methods.Async, b('y'), undefined, cb);
      inside = false;
      assert.is(got.length, 1, 'not called synchronously on a closed client');
      await until(() => got.length === 2, 'the closed-client callback');
      assert.equal(got[1], { code: Code.UNAVAILABLE, msg: 'client is closed', res: '<undefined>', sync: false });
      assert.is(clientSched.stats().reactionsRun, before + 1);
      await failsWith(client.unary(M.methods.Async, b('z')), Code.UNAVAILABLE, 'client is closed');
      await sleep(20);
      assert.is(got.length, 2, 'exactly once each');
      assert.is(fx.count('Async'), 0);
      assert.is(client.openCalls, 0);
    }, { client: { scheduler: clientSched } });

    rigTest(tc, pc, 'close() resolves after every open unary call settled; openCalls counts them', async ({ client, fx }) => {
      const order: string[] = [];
      const calls = [0, 1, 2].map((i) => quiet(rejection(client.unary(M.methods.Hold, b(`c${i}`))).then((e) => (order.push('settled'), e))));
      let cbStatus: Status | undefined;
      client.unaryCallback(M.methods.Hold, b('c3'), undefined, (st) => ((cbStatus = st), order.push('callback')));
      assert.is(client.openCalls, 4);
      await until(() => fx.holds.length === 4, 'four handlers to start');
      await client.close().then(() => order.push('closed'));
      assert.is(order.length, 5, `order ${order.join(',')}`);
      assert.is(order[4], 'closed', `order ${order.join(',')}`);
      for (const e of await Promise.all(calls)) assert.is(e.code, Code.UNAVAILABLE);
      assert.is(cbStatus?.code, Code.UNAVAILABLE);
      assert.is(client.openCalls, 0);
      await until(() => fx.holds.every((h) => h.reason !== undefined), 'the handlers to see the lost connection');
    });

    const serverSched = new Scheduler();
    rigTest(tc, pc, "promise-style unary handlers run no reactions on the server's scheduler", async ({ client }) => {
      for (let i = 0; i < 50; i++) {
        const all = await Promise.all([M.methods.Async, M.methods.Plain, M.methods.Thenable].map((m) => client.unary(m, b(`${i}`))));
        assert.equal(all.map(s), [`async:${i}`, `plain:${i}`, `thenable:${i}`]);
      }
      await rejection(client.unary(M.methods.Throw, b('')));
      await rejection(client.unary(M.methods.Codec, 'bad-req-in'));
      await rejection(client.unary(M.methods.Hold, b('h'), { timeoutMs: 20 }));
      await sleep(30);
      assert.equal([serverSched.stats().reactionsRun, serverSched.stats().batches], [0, 0]);
      assert.is(s(await client.unary(M.methods.Reactor, b('r'))), 'reactor:r');
      assert.ok(serverSched.stats().reactionsRun > 0, 'a callback() handler runs reactions');
    }, { server: { scheduler: serverSched } });

    rigTest(tc, pc, 'shutdown refuses new unary calls, counts and waits for running ones', async ({ server, client, fx }) => {
      await rejection(client.unary(M.methods.Throw, b('')));
      await rejection(client.unary(M.methods.Codec, 'bad-req-in'));
      await until(() => server.activeCalls === 0, 'failed calls to be uncounted');
      const held = quiet(client.unary(M.methods.Hold, b('h1')));
      await until(() => fx.holds.length === 1, 'the handler to start');
      assert.is(server.activeCalls, 1);
      let down = false;
      const shutdown = server.shutdown(10_000).then(() => (down = true));
      await failsWith(client.unary(M.methods.Async, b('late')), Code.UNAVAILABLE, 'server is shutting down');
      assert.is(fx.count('Async'), 0);
      assert.is(server.activeCalls, 1, 'a refused call is not counted');
      await sleep(20);
      assert.is(down, false, 'shutdown waits for the running call');
      fx.holds[0]!.release();
      assert.is(s(await held), 'held:h1');
      await shutdown;
      assert.is(server.activeCalls, 0);
    });

    rigTest(tc, pc, 'shutdown past its grace cancels a pending handler', async ({ server, client, fx }) => {
      const held = quiet(rejection(client.unary(M.methods.Hold, b('h'))));
      await until(() => fx.holds.length === 1, 'the handler to start');
      await server.shutdown(30);
      const e = await held;
      assert.ok([Code.UNAVAILABLE, Code.CANCELLED].includes(e.code), `code of ${e.message}`);
      await until(() => fx.holds[0]!.reason !== undefined, 'the handler to see the abort');
      assert.is(server.activeCalls, 0);
    });

    rigTest(tc, pc, '2000 concurrent unary calls on one connection each get their own response', async ({ server, client }) => {
      const N = 2000;
      const calls: Array<Promise<string>> = [];
      for (let i = 0; i < N; i++) {
        const req = b(`${i}`);
        if (i % 4 !== 3) calls.push(client.unary(M.methods.Jitter, req).then(s, (e: RpcError) => `error ${e.message}`));
        else calls.push(new Promise((done) => client.unaryCallback(M.methods.Jitter, req, undefined, (st, r) => done(st.code === Code.OK ? s(r) : `error ${st.message}`))));
      }
      assert.is(client.openCalls, N);
      const got = await Promise.all(calls);
      const wrong = got.map((g, i) => [i, g]).filter(([i, g]) => g !== `jitter:${i}`);
      assert.equal(wrong.slice(0, 5), [], `${wrong.length} calls got another response`);
      assert.is(client.openCalls, 0);
      await until(() => server.activeCalls === 0, 'activeCalls back to 0');
    });
  }
}

test.run();
