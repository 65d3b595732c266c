// Connection hygiene under pressure: idle connections (server and client
// side), frames that start but never complete, a connection cap, TCP
// keepalive and the ttrpc stream cap; on real unix and TCP sockets over
// ttrpc, drpc and multiplexed drpc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Code, RpcError, Server } from '../src/index.js';
import { ConnGuard, type GuardedSession } from '../src/server/conn-guard.js';
import { frameBytes } from './helpers/raw-drpc.js';
import { RawPeer } from './helpers/raw-ttrpc.js';
import { M, PROTOS, Waiters, echo, hygieneServer, rejection, socketFile, text, until } from './helpers/hygiene-kit.js';

const WHERE = [
  { name: 'unix', target: () => `unix://${socketFile()}` },
  { name: 'tcp', target: () => 'tcp://127.0.0.1:0' },
];

/** closedFlag reports whether a client's connection closed. */
function closedFlag(c: Client): () => boolean {
  let closed = false;
  c.onClose(() => void (closed = true));
  return () => closed;
}

/** halfFrame is the first bytes of a valid frame of the protocol: a connection holding it waits for the rest. */
function halfFrame(proto: string): Uint8Array {
  if (proto === 'ttrpc') return Uint8Array.of(0, 0, 0, 100, 0, 0, 0, 1, 1, 0, 1, 2, 3); // header for 100 bytes of data, 3 sent
  const full = frameBytes(1, 1, 1, `/${'x'.repeat(40)}/Echo`); // drpc Invoke
  return full.subarray(0, full.length >> 1);
}

for (const where of WHERE) {
  for (const pr of PROTOS) {
    const name = `${where.name}/${pr.name}`;

    test(`${name}: idleTimeoutMs closes an idle server connection and keeps one whose call is running`, async () => {
      const server = hygieneServer({ ...pr.server, idleTimeoutMs: 200 });
      const address = await server.listen(where.target());
      const idle = await Client.connect(address, pr.client);
      const busy = await Client.connect(address, pr.client);
      const idleClosed = closedFlag(idle);
      const busyClosed = closedFlag(busy);
      try {
        assert.is(await echo(idle), 'srv:x');
        const long = busy.unary(M.methods.Sleep, text('900'), { timeoutMs: 5000 });
        await until(idleClosed, 2000, 'the idle connection to be closed');
        assert.not.ok(busyClosed(), 'the connection with a running call stays open');
        assert.is(new TextDecoder().decode(await long), '900');
        assert.is(await echo(busy), 'srv:x', 'the busy connection still works after its long call');
        assert.ok(server.connectionStats.closedIdle >= 1, JSON.stringify(server.connectionStats));
        const later = await rejection(idle.unary(M.methods.Echo, text('y')));
        assert.ok(later instanceof RpcError && later.code === Code.UNAVAILABLE, String(later));
      } finally {
        await idle.close().catch(() => undefined);
        await busy.close().catch(() => undefined);
        await server.shutdown(100);
      }
    });

    test(`${name}: a client's idleTimeoutMs closes its idle connection; later calls fail UNAVAILABLE naming the idle timeout`, async () => {
      const server = hygieneServer(pr.server);
      const address = await server.listen(where.target());
      const client = await Client.connect(address, { ...pr.client, idleTimeoutMs: 200 });
      const closed = closedFlag(client);
      try {
        assert.is(await echo(client), 'srv:x');
        await sleep(100);
        assert.is(await echo(client), 'srv:x', 'a call within the timeout keeps the connection');
        await until(closed, 2000, 'the idle client connection to be closed');
        await until(() => server.connectionStats.connections === 0, 2000, 'the server to see the connection gone');
        const err = await rejection(client.unary(M.methods.Echo, text('y')));
        assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
        assert.match((err as RpcError).message, /idleTimeoutMs/);
      } finally {
        await client.close().catch(() => undefined);
        await server.shutdown(100);
      }
    });

    test(`${name}: frameTimeoutMs disconnects a peer that sends half a frame and stops; a healthy connection stays`, async () => {
      const server = hygieneServer({ ...pr.server, frameTimeoutMs: 200 });
      const address = await server.listen(where.target());
      const healthy = await Client.connect(address, pr.client);
      const healthyClosed = closedFlag(healthy);
      const raw = await RawPeer.connect(address);
      try {
        assert.is(await echo(healthy), 'srv:x');
        raw.sendBytes(halfFrame(pr.name));
        const started = Date.now();
        await until(() => raw.closed, 2000, 'the stalled peer to be disconnected');
        assert.ok(Date.now() - started >= 150, `disconnected after ${Date.now() - started} ms, before frameTimeoutMs`);
        assert.is(server.connectionStats.closedFrameTimeout, 1);
        await sleep(300);
        assert.not.ok(healthyClosed(), 'the healthy (idle) connection is not touched');
        assert.is(await echo(healthy), 'srv:x');
      } finally {
        raw.close();
        await healthy.close().catch(() => undefined);
        await server.shutdown(100);
      }
    });

    test(`${name}: maxConnections 2 closes the third connection at once; the first two keep working`, async () => {
      const server = hygieneServer({ ...pr.server, maxConnections: 2 });
      const address = await server.listen(where.target());
      const c1 = await Client.connect(address, pr.client);
      const c2 = await Client.connect(address, pr.client);
      try {
        assert.is(await echo(c1, 'a'), 'srv:a');
        assert.is(await echo(c2, 'b'), 'srv:b');
        const c3 = await Client.connect(address, pr.client);
        const c3Closed = closedFlag(c3);
        await until(() => server.connectionStats.refused === 1, 2000, 'the third connection to be refused');
        await until(c3Closed, 2000, 'the third client to see its connection closed');
        const err = await rejection(c3.unary(M.methods.Echo, text('c')));
        assert.ok(err instanceof RpcError && err.code === Code.UNAVAILABLE, String(err));
        assert.is(await echo(c1, 'a2'), 'srv:a2');
        assert.is(await echo(c2, 'b2'), 'srv:b2');
        assert.is(server.connectionStats.connections, 2);
        // A slot freed is a slot usable again.
        await c2.close();
        await until(() => server.connectionStats.connections === 1, 2000, 'the server to see c2 gone');
        const c4 = await Client.connect(address, pr.client);
        assert.is(await echo(c4, 'd'), 'srv:d');
        await c4.close();
        await c3.close().catch(() => undefined);
      } finally {
        await c1.close().catch(() => undefined);
        await c2.close().catch(() => undefined);
        await server.shutdown(100);
      }
    });
  }

  test(`${where.name}/ttrpc: maxConcurrentStreams 4 answers a fifth concurrent call RESOURCE_EXHAUSTED and keeps the connection`, async () => {
    const waiters = new Waiters();
    const server = hygieneServer({ ttrpc: { maxConcurrentStreams: 4 } }, 'srv', waiters);
    const address = await server.listen(where.target());
    const client = await Client.connect(address);
    const closed = closedFlag(client);
    try {
      const calls = [1, 2, 3, 4, 5].map((i) => client.unary(M.methods.Wait, text(`w${i}`), { timeoutMs: 5000 }).then((r) => new TextDecoder().decode(r), (e: unknown) => e));
      const fifth = await calls[4];
      assert.ok(fifth instanceof RpcError && fifth.code === Code.RESOURCE_EXHAUSTED, String(fifth));
      assert.is((fifth as RpcError).rawMessage, 'ttrpc: too many concurrent streams (4)');
      assert.is(waiters.count, 4, 'four calls run');
      waiters.releaseAll();
      assert.equal(await Promise.all(calls.slice(0, 4)), ['w1', 'w2', 'w3', 'w4']);
      assert.not.ok(closed(), 'the connection is kept');
      assert.is(await echo(client), 'srv:x');
    } finally {
      waiters.releaseAll();
      await client.close().catch(() => undefined);
      await server.shutdown(100);
    }
  });
}

test('unix/ttrpc: a peer trickling one byte of a frame every 40 ms is still disconnected by frameTimeoutMs', async () => {
  const server = hygieneServer({ frameTimeoutMs: 200 });
  const address = await server.listen(`unix://${socketFile()}`);
  const raw = await RawPeer.connect(address);
  const frame = Uint8Array.of(0, 0, 0, 50, 0, 0, 0, 1, 1, 0, ...new Array<number>(50).fill(7));
  const started = Date.now();
  for (let i = 0; i < frame.length - 1 && !raw.closed; i++) {
    raw.sendBytes(frame.subarray(i, i + 1));
    await sleep(40);
  }
  assert.ok(raw.closed, 'disconnected before the frame completed');
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  assert.is(server.connectionStats.closedFrameTimeout, 1);
  await server.shutdown(100);
});

test("unix/auto: frameTimeoutMs disconnects a peer stuck inside drpcmigrate's DRPC!!!1 prefix", async () => {
  const server = hygieneServer({ protocol: 'auto', frameTimeoutMs: 200 });
  const address = await server.listen(`unix://${socketFile()}`);
  const raw = await RawPeer.connect(address);
  const healthy = await Client.connect(address);
  raw.sendBytes(text('DRPC'));
  await until(() => raw.closed, 2000, 'the stalled peer to be disconnected');
  assert.is(server.connectionStats.closedFrameTimeout, 1);
  assert.is(await echo(healthy), 'srv:x');
  await healthy.close();
  await server.shutdown(100);
});

test('unix/auto: idleTimeoutMs closes a connection that never sent a byte', async () => {
  const server = hygieneServer({ protocol: 'auto', idleTimeoutMs: 200 });
  const address = await server.listen(`unix://${socketFile()}`);
  const raw = await RawPeer.connect(address);
  await until(() => raw.closed, 2000, 'the silent connection to be closed');
  assert.is(server.connectionStats.closedIdle, 1);
  await server.shutdown(100);
});

test('unix/drpc pool: idleTimeoutMs becomes the pool idle timeout; the pool dials again for a later call', async () => {
  const server = hygieneServer({ protocol: 'drpc' });
  const address = await server.listen(`unix://${socketFile()}`);
  const client = await Client.connect(address, { protocol: 'drpc', idleTimeoutMs: 150 });
  try {
    assert.is(await echo(client), 'srv:x');
    await until(() => server.connectionStats.connections === 0, 2000, 'the idle pooled connection to be closed');
    assert.is(await echo(client, 'again'), 'srv:again', 'the pool dialled again');
  } finally {
    await client.close();
    await server.shutdown(100);
  }
});

test('ttrpc: a client process whose connection went idle exits by itself; without idleTimeoutMs it stays', async () => {
  const server = hygieneServer({});
  const address = await server.listen(`unix://${socketFile()}`);
  const child = (idle: number) => {
    const script = fileURLToPath(new URL('./helpers/idle-client-child.ts', import.meta.url));
    const root = fileURLToPath(new URL('../', import.meta.url));
    const p = spawn(process.execPath, ['--import', 'tsx', script, address, String(idle)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    return { p, exited, out: () => out };
  };
  const idle = child(200);
  const stays = child(0);
  try {
    const code = await Promise.race([idle.exited, sleep(15_000).then(() => 'still running')]);
    assert.is(code, 0, 'the idle client process exited by itself');
    assert.match(idle.out(), /called srv:x/);
    await until(() => stays.out().includes('called'), 15_000, 'the second child to make its call');
    await sleep(600);
    assert.is(stays.p.exitCode, null, 'a client without idleTimeoutMs keeps its connection and its process');
    assert.is(server.connectionStats.connections, 1, 'only the second child is still connected');
  } finally {
    idle.p.kill('SIGKILL');
    stays.p.kill('SIGKILL');
    await server.shutdown(100);
  }
});

test('keepAliveMs turns TCP keepalive on for accepted and dialled sockets, and is ignored on unix sockets', async () => {
  const calls: Array<[boolean | undefined, number | undefined]> = [];
  const original = Socket.prototype.setKeepAlive;
  Socket.prototype.setKeepAlive = function (this: Socket, enable?: boolean, delay?: number) {
    calls.push([enable, delay]);
    return original.call(this, enable, delay);
  };
  try {
    const server = hygieneServer({});
    const tcp = await server.listen('tcp://127.0.0.1:0', { keepAliveMs: 5000 });
    const client = await Client.connect(tcp, { keepAliveMs: 7000 });
    assert.is(await echo(client), 'srv:x');
    assert.ok(calls.some(([on, ms]) => on === true && ms === 5000), `server side: ${JSON.stringify(calls)}`);
    assert.ok(calls.some(([on, ms]) => on === true && ms === 7000), `client side: ${JSON.stringify(calls)}`);
    await client.close();
    calls.length = 0;
    const unix = await server.listen(`unix://${socketFile()}`, { keepAliveMs: 5000 });
    const uc = await Client.connect(unix, { keepAliveMs: 7000 });
    assert.is(await echo(uc), 'srv:x');
    assert.equal(calls, [], 'no keepalive on unix sockets');
    await uc.close();
    await server.shutdown(100);
    const err = await rejection(Client.connect(tcp, { keepAliveMs: 0 }));
    assert.ok(err instanceof RpcError, String(err));
  } finally {
    Socket.prototype.setKeepAlive = original;
  }
});

test('bad hygiene options are refused when the server or client is made', async () => {
  assert.throws(() => new Server({ idleTimeoutMs: -1 }), /idleTimeoutMs/);
  assert.throws(() => new Server({ frameTimeoutMs: Number.NaN }), /frameTimeoutMs/);
  assert.throws(() => new Server({ maxConnections: 0 }), /maxConnections/);
  assert.throws(() => new Server({ ttrpc: { maxConcurrentStreams: 0 } }), /maxConcurrentStreams/);
  const err = await rejection(Client.connect('unix:///nonexistent/x.sock', { idleTimeoutMs: -5 }));
  assert.ok(err instanceof RangeError, String(err));
});

/** FakeSession is a GuardedSession whose state a test sets directly. */
class FakeSession implements GuardedSession {
  activeCalls = 0;
  framesReceived = 0;
  partialFrame = false;
  closedBy: string | undefined;
  close(): void {
    this.closedBy = 'idle';
  }
  destroy(e: Error): void {
    this.closedBy = e.message;
  }
}

test('ConnGuard: a busy connection that always holds part of a frame, but completes frames, is never cut; one that stops completing is', async () => {
  const guard = new ConnGuard({ frameTimeoutMs: 80 });
  const busy = new FakeSession();
  const stuck = new FakeSession();
  busy.partialFrame = stuck.partialFrame = true;
  guard.watch({}, busy);
  guard.watch({}, stuck);
  const timer = setInterval(() => busy.framesReceived++, 10);
  await sleep(400);
  clearInterval(timer);
  guard.close();
  assert.is(busy.closedBy, undefined);
  assert.match(stuck.closedBy ?? '', /frameTimeoutMs/);
  assert.equal(guard.stats, { closedIdle: 0, closedFrameTimeout: 1 });
});

test('ConnGuard: a connection whose reading the session paused (no partial frame reported) is not cut; idle needs no call and no frame', async () => {
  const guard = new ConnGuard({ frameTimeoutMs: 60, idleTimeoutMs: 120 });
  const paused = new FakeSession();
  paused.activeCalls = 1; // a call whose reader is slow: the session pauses and reports no partial frame
  const idle = new FakeSession();
  guard.watch({}, paused);
  guard.watch({}, idle);
  await sleep(400);
  guard.close();
  assert.is(paused.closedBy, undefined);
  assert.is(idle.closedBy, 'idle');
  assert.equal(guard.stats, { closedIdle: 1, closedFrameTimeout: 0 });
});

test.run();
