// Clients over many endpoints: round_robin spreads calls evenly over ready
// servers, pick_first sticks to the first and fails over when it dies, and a
// dns: target follows its resolver as it adds and removes endpoints. Real
// servers on unix sockets and 127.0.0.1 ports; ttrpc and multiplexed drpc.
import { test } from './helpers/uvu-rpc.js';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../src/client/client.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { ECHO, type EndpointServer, PROTOS, clientOptions, msg, startServer, unixAddress } from './helpers/endpoint-servers.js';

const FAST = { initialMs: 20, multiplier: 1.6, maxMs: 200 };

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** callUntilAll calls until every server served at least one call, then zeroes the counters. */
async function callUntilAll(client: Client, servers: readonly EndpointServer[]): Promise<void> {
  await until('every server serving', async () => {
    await client.unary(ECHO, msg('warm'), { waitForReady: true, timeoutMs: 3000 });
    return servers.every((s) => s.served > 0);
  });
  for (const s of servers) s.served = 0;
}

async function calls(client: Client, n: number, batch = 100): Promise<void> {
  for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => client.unary(ECHO, msg('x'), { timeoutMs: 5000 })));
}

for (const proto of PROTOS) {
  test(`${proto}: round_robin spreads 3,000 calls over 3 servers within ±10 % of even`, async () => {
    const servers = [await startServer(proto, unixAddress()), await startServer(proto, 'tcp://127.0.0.1:0'), await startServer(proto, unixAddress())];
    const client = await Client.connect(servers.map((s) => s.address), { ...clientOptions(proto), loadBalancingPolicy: 'round_robin', backoff: FAST });
    try {
      await callUntilAll(client, servers);
      await calls(client, 3000);
      const counts = servers.map((s) => s.served);
      assert.is(counts.reduce((a, b) => a + b), 3000);
      for (const c of counts) assert.ok(c >= 900 && c <= 1100, `uneven: ${counts.join(', ')}`);
    } finally {
      await client.close();
      for (const s of servers) await s.stop();
    }
  });

  test(`${proto}: pick_first sticks to the first endpoint and fails over when it dies`, async () => {
    const servers = [await startServer(proto, unixAddress()), await startServer(proto, unixAddress())];
    const client = await Client.connect(servers.map((s) => s.address), { ...clientOptions(proto), backoff: FAST });
    try {
      await calls(client, 300);
      assert.equal(servers.map((s) => s.served), [300, 0]);
      const noticed = new Promise<void>((resolve) => {
        const off = client.onStateChange((st) => {
          if (st !== 'ready') resolve(off());
        });
      });
      await servers[0]!.stop();
      await noticed;
      await calls(withWait(client), 200);
      assert.is(servers[1]!.served, 200);
      assert.is(client.state, 'ready');
    } finally {
      await client.close();
      await servers[1]!.stop();
    }
  });
}

/** withWait wraps a client so that its unary calls wait for a ready connection. */
function withWait(client: Client): Client {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'unary') return (m: typeof ECHO, r: ReturnType<typeof msg>, o: object) => target.unary(m, r, { ...o, waitForReady: true });
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('pick_first: a dead first endpoint is skipped at connect; a bad address in a list is INVALID_ARGUMENT', async () => {
  const live = await startServer('ttrpc', unixAddress());
  const client = await Client.connect([unixAddress('dead.sock'), live.address], { backoff: FAST });
  try {
    await calls(client, 10);
    assert.is(live.served, 10);
  } finally {
    await client.close();
    await live.stop();
  }
  const e = await Client.connect(['unix:///x.sock', 'nope'], {}).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof RpcError && e.code === Code.INVALID_ARGUMENT, String(e));
  const all = await Client.connect([unixAddress('a.sock'), unixAddress('b.sock')], { backoff: FAST }).then(() => undefined, (err: unknown) => err);
  assert.ok(all instanceof RpcError && all.code === Code.UNAVAILABLE, String(all));
  assert.match(all.message, 'no ready connection to unix://');
});

for (const proto of PROTOS) {
  test(`${proto}: dns: re-resolution adds and removes endpoints (injected resolver)`, async () => {
    const [a, b] = [await startServer(proto, unixAddress()), await startServer(proto, 'tcp://127.0.0.1:0')];
    let answer = [a.address];
    const asked: string[] = [];
    const resolver = async (host: string): Promise<string[]> => {
      asked.push(host);
      return answer;
    };
    const client = await Client.connect('dns:///echo.test:50051', { ...clientOptions(proto), resolver, resolveIntervalMs: 30, loadBalancingPolicy: 'round_robin', backoff: FAST });
    try {
      await calls(client, 20);
      assert.equal([a.served, b.served], [20, 0]);
      answer = [a.address, b.address];
      await callUntilAll(client, [a, b]);
      await calls(client, 200);
      assert.equal([a.served, b.served], [100, 100]);
      answer = [b.address];
      await until('a removed', async () => {
        a.served = 0;
        await calls(client, 20);
        return a.served === 0;
      });
      b.served = 0;
      await calls(client, 50);
      assert.equal([a.served, b.served], [0, 50]);
      assert.ok(asked.length >= 3 && asked.every((h) => h === 'echo.test'), asked.join());
    } finally {
      await client.close();
      await a.stop();
      await b.stop();
    }
    const n = asked.length;
    await sleep(100);
    assert.is(asked.length, n, 'no resolution after close');
  });
}

test('dns: an IP answer is dialled over TCP at the target port; a failing resolver fails connect with UNAVAILABLE', async () => {
  const srv = await startServer('ttrpc', 'tcp://127.0.0.1:0');
  const port = Number(srv.address.slice(srv.address.lastIndexOf(':') + 1));
  const client = await Client.connect(`dns:///svc.test:${port}`, { resolver: async () => ['127.0.0.1'] });
  try {
    await calls(client, 5);
    assert.is(srv.served, 5);
  } finally {
    await client.close();
    await srv.stop();
  }
  const e = await Client.connect('dns:///gone.test:1', { resolver: async () => Promise.reject(new Error('NXDOMAIN')), backoff: FAST }).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof RpcError && e.code === Code.UNAVAILABLE, String(e));
  assert.match(e.message, 'dns:///gone.test:1');
  assert.match(e.message, 'NXDOMAIN');
});

test.run();
