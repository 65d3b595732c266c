// Reconnecting clients: a server restarted on the same unix address is
// reconnected without user code (state ready → connecting/transient_failure →
// ready), waitForReady calls ride across the restart while plain calls fail
// fast, backoff delays grow, close() ends in 'shutdown'; ttrpc and multiplexed drpc.
import { test } from './helpers/uvu-rpc.js';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../src/client/client.js';
import type { ConnectivityState } from '../src/client/connectivity.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { ECHO, PROTOS, clientOptions, msg, startServer, unixAddress } from './helpers/endpoint-servers.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';

const FAST = { initialMs: 20, multiplier: 1.6, maxMs: 200, jitter: 0.2 };
const text = (p: { data?: Uint8Array | null }): string => new TextDecoder().decode(p.data ?? new Uint8Array());

async function rejects(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

for (const proto of PROTOS) {
  test(`${proto}: a server restarted on the same address is reconnected; waitForReady calls survive, others fail fast`, async () => {
    const address = unixAddress();
    let srv = await startServer(proto, address);
    const client = await Client.connect(address, { ...clientOptions(proto), reconnect: true, backoff: FAST });
    const states: ConnectivityState[] = [client.state];
    client.onStateChange((s) => states.push(s));
    try {
      assert.is(client.state, 'ready');
      assert.is(text(await client.unary(ECHO, msg('one'))), 'one');
      await srv.stop();
      await until('transient_failure', () => client.state === 'transient_failure');
      const t0 = performance.now();
      const e = await rejects(client.unary(ECHO, msg('down'), { timeoutMs: 5000 }));
      assert.is(e.code, Code.UNAVAILABLE);
      assert.match(e.message, address);
      assert.ok(performance.now() - t0 < 1000, 'fails fast');
      const waiting = client.unary(ECHO, msg('across'), { timeoutMs: 5000, waitForReady: true });
      await sleep(60);
      srv = await startServer(proto, address);
      assert.is(text(await waiting), 'across');
      assert.is(client.state, 'ready');
      assert.is(text(await client.unary(ECHO, msg('two'))), 'two');
      assert.is(states[0], 'ready');
      assert.is(states.at(-1), 'ready');
      assert.ok(states.includes('transient_failure') && states.includes('connecting'), states.join(' → '));
    } finally {
      await client.close();
      await srv.stop();
    }
  });

  test(`${proto}: a call in flight when the connection is lost fails and is not retried`, async () => {
    const address = unixAddress();
    let srv = await startServer(proto, address);
    const client = await Client.connect(address, { ...clientOptions(proto), waitForReady: true, backoff: FAST });
    try {
      const inFlight = rejects(client.unary(EchoService.methods.Sleep, { millis: 2000 }, { timeoutMs: 5000 }));
      await until('the call reached the server', () => srv.served === 1);
      await srv.stop();
      srv = await startServer(proto, address);
      const e = await inFlight;
      assert.ok([Code.UNAVAILABLE, Code.CANCELLED].includes(e.code), e.message);
      assert.is(text(await client.unary(ECHO, msg('after'), { timeoutMs: 3000 })), 'after');
      assert.is(srv.served, 1, 'only the new call reached the new server');
    } finally {
      await client.close();
      await srv.stop();
    }
  });
}

test('backoff: delays between attempts grow; close() stops the attempts and moves to shutdown', async () => {
  const address = unixAddress();
  const client = await Client.connect(address, { lazy: true, backoff: { initialMs: 25, multiplier: 2, jitter: 0.2, maxMs: 2000 } });
  const failedAt: number[] = [];
  const gaps: number[] = [];
  const states: ConnectivityState[] = [];
  client.onStateChange((s) => {
    states.push(s);
    if (s === 'transient_failure') failedAt.push(performance.now());
    else if (s === 'connecting' && failedAt.length > 0) gaps.push(performance.now() - failedAt.at(-1)!);
  });
  await until('four retries', () => gaps.length >= 4);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! > gaps[i - 1]!, `gaps grow: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  let callbackDone = false;
  client.onClose(async () => {
    await sleep(30);
    callbackDone = true;
  });
  await client.close();
  assert.ok(callbackDone, 'close() resolved after the onClose callback completed');
  assert.is(client.state, 'shutdown');
  assert.is(states.at(-1), 'shutdown');
  const e = await rejects(client.unary(ECHO, msg('late')));
  assert.is([e.code, e.rawMessage].join(' '), `${Code.UNAVAILABLE} client is closed`);
  const n = gaps.length;
  await sleep(300);
  assert.is(gaps.length, n, 'no attempt after close');
});

test('connect rejects when the first dial fails, unless waitForReady or lazy; a waiting call meets its deadline', async () => {
  const address = unixAddress();
  const e = await rejects(Client.connect(address, { reconnect: true, backoff: FAST }));
  assert.is(e.code, Code.UNAVAILABLE);
  assert.match(e.message, address);
  const client = await Client.connect(address, { waitForReady: true, backoff: FAST });
  try {
    const t0 = performance.now();
    const d = await rejects(client.unary(ECHO, msg('never'), { timeoutMs: 150 }));
    assert.is(d.code, Code.DEADLINE_EXCEEDED);
    assert.match(d.message, `waiting for a ready connection to ${address}`);
    assert.ok(performance.now() - t0 >= 140);
    const f = await rejects(client.unary(ECHO, msg('fast'), { waitForReady: false }));
    assert.is(f.code, Code.UNAVAILABLE);
  } finally {
    await client.close();
  }
});

test('a plain client keeps its one connection: ready, then shutdown once it is lost', async () => {
  const address = unixAddress();
  const srv = await startServer('ttrpc', address);
  const client = await Client.connect(address);
  const states: ConnectivityState[] = [];
  client.onStateChange((s) => states.push(s));
  assert.is(client.state, 'ready');
  await srv.stop();
  await until('shutdown', () => client.state === 'shutdown');
  assert.equal(states, ['shutdown']);
  const e = await rejects(client.unary(ECHO, msg('x')));
  assert.is(e.code, Code.UNAVAILABLE);
  await client.close();
});

test('maxPendingCalls bounds the calls waiting for a connection', async () => {
  const client = await Client.connect(unixAddress(), { waitForReady: true, maxPendingCalls: 2, backoff: FAST });
  try {
    const a = rejects(client.unary(ECHO, msg('a'), { timeoutMs: 100 }));
    const b = rejects(client.unary(ECHO, msg('b'), { timeoutMs: 100 }));
    const c = await rejects(client.unary(ECHO, msg('c'), { timeoutMs: 100 }));
    assert.is(c.code, Code.RESOURCE_EXHAUSTED);
    assert.match(c.message, 'maxPendingCalls');
    assert.equal([(await a).code, (await b).code], [Code.DEADLINE_EXCEEDED, Code.DEADLINE_EXCEEDED]);
  } finally {
    await client.close();
  }
});

test('idleTimeoutMs: a reconnecting client goes idle (connection closed) and the next call connects again', async () => {
  const address = unixAddress();
  const srv = await startServer('ttrpc', address);
  const client = await Client.connect(address, { reconnect: true, idleTimeoutMs: 40, backoff: FAST });
  try {
    assert.is(text(await client.unary(ECHO, msg('a'))), 'a');
    await until('idle', () => client.state === 'idle');
    await until('the server saw the connection close', () => srv.server.connectionStats.connections === 0);
    assert.is(text(await client.unary(ECHO, msg('b'))), 'b');
    assert.is(client.state, 'ready');
  } finally {
    await client.close();
    await srv.stop();
  }
});

test('streaming calls wait for the first connection of a lazy client and then run', async () => {
  const address = unixAddress();
  const client = await Client.connect(address, { lazy: true, backoff: FAST });
  assert.ok(['connecting', 'transient_failure'].includes(client.state), client.state);
  const srvP = startServer('ttrpc', address);
  try {
    const got: string[] = [];
    for await (const r of client.serverStream(StreamingService.methods.ServerStream, { data: new TextEncoder().encode('s'), count: 3 }, { waitForReady: true, timeoutMs: 3000 })) got.push(text(r));
    assert.equal(got, ['s-1', 's-2', 's-3']);
    const sum = await client.clientStream(StreamingService.methods.ClientStream, [msg('a'), msg('b')], { waitForReady: true, timeoutMs: 3000 });
    assert.ok(sum !== undefined);
  } finally {
    await client.close();
    await (await srvP).stop();
  }
});

test.run();
