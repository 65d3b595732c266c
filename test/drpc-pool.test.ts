// The upstream drpc client pool (one stream per connection): concurrency,
// reuse, the connection cap with its FIFO queue, idle timeouts, dial
// failures, cancels and close; and a CallServer that tells ttrpc from drpc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc, connectTtrpc } from '../src/client/connect.js';
import { DrpcPool } from '../src/client/drpc-pool.js';
import { serverStreamCall, unaryCall, unaryHandler } from './helpers/call-adapters.js';
import { registerDrpcInterop } from './helpers/drpc-service.js';
import { registerTtrpcInterop, payload, payloadData } from './helpers/ttrpc-service.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { dial } from '../src/transport/dial.js';
import { Client } from '../src/client/client.js';
import { rawMethod } from '../src/call/method.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';
import { RawDrpcPeer, concat, frameBytes } from './helpers/raw-drpc.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ECHO = '/drpcpeer.Peer/Echo';

/** slowServer serves the interop service plus `/test.Slow/Wait` (waits the requested ms, records start order). */
async function slowServer(target: string | PipeListener = new PipeListener()) {
  const reg = new MethodRegistry();
  registerDrpcInterop(reg);
  const started: string[] = [];
  reg.register('test.Slow', 'Wait', 'unary', unaryHandler(async (req) => {
    const [ms, tag] = dec.decode(req).split(':');
    started.push(tag ?? '');
    await sleep(Number(ms));
    return req;
  }));
  const server = new CallServer(reg, { protocol: 'drpc' });
  const bound = await server.listen(target);
  return { server, started, dialTo: dialTarget(target, bound) };
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

test('concurrent calls run on separate connections; sequential ones reuse one', async () => {
  const { server, dialTo } = await slowServer();
  const pool = (await connectDrpc(dialTo)) as DrpcPool;
  await Promise.all(Array.from({ length: 8 }, (_, i) => unaryCall(pool, '/test.Slow/Wait', enc.encode(`30:${i}`))));
  assert.is(pool.stats.open, 8);
  assert.is(server.connections, 8);
  for (let i = 0; i < 5; i++) await unaryCall(pool, ECHO, enc.encode('again'));
  assert.is(pool.stats.open, 8, 'no new connection for sequential calls');
  assert.is(pool.dials, 7, 'the first connection came from connectDrpc');
  pool.close();
  await server.close();
});

test('maxConnections caps the connections; calls beyond wait in FIFO order', async () => {
  const { server, started, dialTo } = await slowServer();
  const pool = new DrpcPool(() => dial(dialTo), { maxConnections: 2 });
  const calls = Array.from({ length: 6 }, (_, i) => unaryCall(pool, '/test.Slow/Wait', enc.encode(`20:${i}`)));
  assert.equal(pool.stats, { open: 0, idle: 0, dialing: 2, waiting: 6 });
  await sleep(5);
  assert.equal(pool.stats, { open: 2, idle: 0, dialing: 0, waiting: 4 });
  await Promise.all(calls);
  assert.is(pool.dials, 2);
  assert.equal(started, ['0', '1', '2', '3', '4', '5']);
  pool.close();
  await server.close();
});

test('idle connections close after idleTimeoutMs; the next call dials again', async () => {
  const { server, dialTo } = await slowServer();
  const pool = new DrpcPool(() => dial(dialTo), { idleTimeoutMs: 40 });
  await unaryCall(pool, ECHO, enc.encode('a'));
  assert.is(pool.stats.idle, 1);
  for (let i = 0; i < 50 && pool.stats.open > 0; i++) await sleep(10);
  assert.is(pool.stats.open, 0);
  assert.is(dec.decode(await unaryCall(pool, ECHO, enc.encode('b'))), 'b');
  assert.is(pool.dials, 2);
  pool.close();
  await server.close();
});

test('a failed dial fails the waiting call with UNAVAILABLE', async () => {
  const pool = new DrpcPool(() => dial('tcp://127.0.0.1:1', { timeoutMs: 2000 }));
  const e = await rpcError(unaryCall(pool, ECHO, enc.encode('x')));
  assert.is(e.code, Code.UNAVAILABLE);
  assert.ok(e.rawMessage.startsWith('drpc: dial failed: '), e.rawMessage);
  assert.equal(pool.stats, { open: 0, idle: 0, dialing: 0, waiting: 0 });
  pool.close();
  const unreachable = await connectDrpc('tcp://127.0.0.1:1').catch((x: unknown) => x as RpcError);
  assert.is((unreachable as RpcError).code, Code.UNAVAILABLE);
});

test('a soft-cancelled stream frees its connection for reuse; a hard cancel drops it', async () => {
  for (const cancel of ['soft', 'hard'] as const) {
    const { server, dialTo } = await slowServer();
    const pool = new DrpcPool(() => dial(dialTo), { session: { cancel } });
    const ac = new AbortController();
    const e = await rpcError((async () => {
      for await (const _ of serverStreamCall(pool, '/drpcpeer.Peer/Ticker', enc.encode('t'), { signal: ac.signal })) ac.abort();
    })());
    assert.is(e.code, Code.CANCELLED);
    assert.is(dec.decode(await unaryCall(pool, ECHO, enc.encode('next'))), 'next');
    assert.is(pool.dials, cancel === 'soft' ? 1 : 2, cancel);
    pool.close();
    await server.close();
  }
});

test('close() fails running and waiting calls with UNAVAILABLE', async () => {
  const { server, dialTo } = await slowServer();
  const pool = new DrpcPool(() => dial(dialTo), { maxConnections: 1 });
  const running = rpcError(unaryCall(pool, '/test.Slow/Wait', enc.encode('500:a')));
  const waiting = rpcError(unaryCall(pool, '/test.Slow/Wait', enc.encode('500:b')));
  await sleep(30);
  pool.close();
  assert.equal([(await running).code, (await waiting).code], [Code.UNAVAILABLE, Code.UNAVAILABLE]);
  assert.is((await rpcError(unaryCall(pool, ECHO, enc.encode('x')))).code, Code.UNAVAILABLE);
  await server.close();
});

test('a single upstream connection runs concurrent calls one at a time, stream ids in call order', async () => {
  const { server, started, dialTo } = await slowServer();
  const t = await connectDrpc(dialTo, { pool: false });
  await Promise.all(Array.from({ length: 4 }, (_, i) => unaryCall(t, '/test.Slow/Wait', enc.encode(`10:${i}`))));
  assert.equal(started, ['0', '1', '2', '3']);
  assert.is(server.connections, 1);
  t.close();
  await server.close();
});

for (const tc of TRANSPORTS) {
  test(`${tc.name}: protocol 'auto' serves ttrpc and drpc (also behind the DRPC!!!1 prefix) on one listener`, async () => {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    registerTtrpcInterop(reg);
    const server = new CallServer(reg, { protocol: 'auto' });
    const target = tc.target();
    const dialTo = dialTarget(target, await server.listen(target));
    const tt = await connectTtrpc(dialTo);
    const dr = await connectDrpc(dialTo, { pool: false });
    const [ttReply, drReply] = await Promise.all([
      unaryCall(tt, '/ttrpc.interop.v1.Echo/Echo', payload('via ttrpc')),
      unaryCall(dr, ECHO, enc.encode('via drpc')),
    ]);
    assert.is(dec.decode(payloadData(ttReply)), 'via ttrpc');
    assert.is(dec.decode(drReply), 'via drpc');
    const raw = await RawDrpcPeer.connect(dialTo);
    raw.send(concat(enc.encode('DRPC!!!1'), frameBytes(1, 1, 1, ECHO), frameBytes(2, 1, 2, 'migrated'), frameBytes(6, 1, 3)));
    const m = await raw.waitFor((f) => f.kind === 2);
    assert.is(dec.decode(m.data), 'migrated');
    tt.close();
    dr.close();
    raw.close();
    await server.close();
  });
}

for (const kind of ['pool', 'single', 'mux'] as const) {
  test(`the Client facade (reactors) works unchanged on drpc: ${kind}`, async () => {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    const server = new CallServer(reg, { protocol: 'drpc', multiplex: kind === 'mux' });
    const listener = new PipeListener();
    await server.listen(listener);
    const t = await connectDrpc(listener, { multiplex: kind === 'mux', pool: kind === 'pool' });
    const client = Client.fromTransport(t);
    const m = (name: string, k: 'unary' | 'server_stream' | 'client_stream' | 'bidi') => rawMethod(`/drpcpeer.Peer/${name}`, k);
    const texts = async (it: AsyncIterable<Uint8Array>) => {
      const out: string[] = [];
      for await (const x of it) out.push(dec.decode(x));
      return out;
    };
    assert.is(dec.decode(await client.unary(m('Echo', 'unary'), enc.encode('hi'))), 'hi');
    assert.equal(await texts(client.serverStream(m('ServerStream', 'server_stream'), enc.encode('s'))), ['s-1', 's-2', 's-3']);
    assert.is(dec.decode(await client.clientStream(m('ClientStream', 'client_stream'), ['a', 'b'].map((x) => enc.encode(x)))), 'a,b');
    assert.equal(await texts(client.bidi(m('Bidi', 'bidi'), ['x', 'y'].map((x) => enc.encode(x)))), ['x', 'y']);
    const failed = await rpcError(client.unary(m('Fail', 'unary'), enc.encode('9:nope')));
    assert.equal([failed.code, failed.rawMessage], [9, 'nope']);
    const ac = new AbortController();
    const cancelled = await rpcError((async () => {
      for await (const _ of client.serverStream(m('Ticker', 'server_stream'), enc.encode('t'), { signal: ac.signal })) ac.abort();
    })());
    assert.is(cancelled.code, Code.CANCELLED);
    assert.is(dec.decode(await client.unary(m('Echo', 'unary'), enc.encode('after'))), 'after');
    await client.close();
    await server.close();
  });
}

test.run();
