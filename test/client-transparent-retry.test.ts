// Transparent retry of a reconnecting client (gRPC's): a call none of whose
// bytes reached a connection that failed is opened again, once, on another
// endpoint; a call that was written is never retried. Real sockets: raw TCP
// servers that accept and hold connections (killed on demand) next to real
// Echo servers; ttrpc, multiplexed and upstream drpc.
import { test } from './helpers/uvu-rpc.js';
import * as assert from 'uvu/assert';
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientOptions } from '../src/client/client.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { ECHO, msg, startServer, type EndpointServer } from './helpers/endpoint-servers.js';
import { StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { Server } from '../src/server/server.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';
import type { MessageInterceptor } from '../src/call/message-interceptors.js';

type Proto = 'ttrpc' | 'drpc-mux' | 'drpc';
const PROTOCOLS: readonly Proto[] = ['ttrpc', 'drpc-mux', 'drpc'];
const FAST = { initialMs: 20, multiplier: 1.6, maxMs: 200, jitter: 0.2 };
const text = (p: { data?: Uint8Array | null }): string => new TextDecoder().decode(p.data ?? new Uint8Array());

function options(proto: Proto): ClientOptions {
  const base: ClientOptions = { loadBalancingPolicy: 'round_robin', backoff: FAST };
  if (proto === 'ttrpc') return base;
  // Upstream drpc runs one connection per endpoint here: a pool outlives its lost connections, so the endpoint would stay ready.
  return proto === 'drpc-mux' ? { ...base, protocol: 'drpc', multiplex: true } : { ...base, protocol: 'drpc', pool: false };
}

/** echoServer starts a counting Echo server of a protocol on a fresh TCP port. */
async function echoServer(proto: Proto): Promise<EndpointServer> {
  if (proto !== 'drpc') return startServer(proto, 'tcp://127.0.0.1:0');
  const box = { served: 0 };
  const counting: MessageInterceptor = (next) => async (req) => {
    box.served++;
    return next(req);
  };
  const server = new Server({ protocol: 'drpc', messageInterceptors: [counting] });
  addTtrpcInteropServices(server);
  const address = await server.listen('tcp://127.0.0.1:0');
  return { server, address, get served() { return box.served; }, set served(v: number) { box.served = v; }, stop: () => server.forceShutdown() };
}

/** RawServer accepts TCP connections and holds them, counting the bytes each received; kill() resets the open ones. */
interface RawServer {
  readonly address: string;
  readonly port: number;
  readonly sockets: net.Socket[];
  /** received holds the bytes received per accepted connection, in accept order. */
  readonly received: number[];
  kill(): void;
  stop(): Promise<void>;
}

async function rawServer(killOnData = false): Promise<RawServer> {
  const sockets: net.Socket[] = [];
  const received: number[] = [];
  const srv = net.createServer((s) => {
    const i = sockets.push(s) - 1;
    received.push(0);
    s.on('error', () => {});
    s.on('data', (d) => {
      received[i]! += d.byteLength;
      if (killOnData) s.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    address: `tcp://127.0.0.1:${port}`,
    port,
    sockets,
    received,
    kill: () => {
      for (const s of sockets) if (!s.destroyed) s.resetAndDestroy();
    },
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

// Every client socket of the process, with the server port it connected to; `onClientClose` runs (once) inside the
// 'close' event of the first client socket that closes — before the client's own connection learns of it.
const clientPorts = new Map<net.Socket, number>();
let onClientClose: ((port: number) => void) | undefined;
diagnostics.subscribe('net.client.socket', (m) => {
  const socket = (m as { socket: net.Socket }).socket;
  socket.once('connect', () => clientPorts.set(socket, socket.remotePort ?? 0));
  socket.once('close', () => {
    const hook = onClientClose;
    onClientClose = undefined;
    hook?.(clientPorts.get(socket) ?? 0);
  });
});

/** settled turns a call's promise into its outcome at once (a failure is never an unhandled rejection). */
function settled<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** connected waits until the client holds a connection to each port (and the subchannels had time to turn ready). */
async function connected(ports: number[]): Promise<void> {
  const has = (p: number): boolean => [...clientPorts].some(([s, q]) => q === p && !s.destroyed);
  await until('connections to every endpoint', () => ports.every(has));
  await sleep(30);
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

for (const proto of PROTOCOLS) {
  test(`${proto}: calls started as their connection dies, before the turn's write, are retried on the other endpoint`, async () => {
    const raw = await rawServer();
    const echo = await echoServer(proto);
    const client = await Client.connect([raw.address, echo.address], options(proto));
    try {
      await connected([raw.port, portOf(echo.address)]);
      // Two calls in the same turn: round_robin puts one on each endpoint, one of them on the dying connection.
      let calls: Array<Promise<PromiseSettledResult<{ data?: Uint8Array | null }>>> = [];
      onClientClose = () => {
        calls = [settled(client.unary(ECHO, msg('first'), { timeoutMs: 3000 })), settled(client.unary(ECHO, msg('second'), { timeoutMs: 3000 }))];
      };
      raw.kill();
      await until('the client socket to close', () => calls.length === 2);
      const replies = (await Promise.all(calls)).map((r) => (r.status === 'fulfilled' ? text(r.value) : String(r.reason)));
      assert.equal(replies, ['first', 'second']);
      await sleep(50);
      assert.is(echo.served, 2, 'the echo server saw each call exactly once');
      assert.is(raw.received[0], 0, 'nothing reached the killed connection');
      assert.ok(raw.received.every((n) => n === 0), 'nothing reached the raw endpoint');
    } finally {
      onClientClose = undefined;
      client.close();
      await raw.stop();
      await echo.stop();
    }
  });

  test(`${proto}: a call whose request reached the server before its connection was lost fails UNAVAILABLE and is not retried`, async () => {
    const raw = await rawServer(true);
    const echo = await echoServer(proto);
    const client = await Client.connect([raw.address, echo.address], options(proto));
    try {
      await connected([raw.port, portOf(echo.address)]);
      const results = await Promise.allSettled([client.unary(ECHO, msg('a'), { timeoutMs: 3000 }), client.unary(ECHO, msg('b'), { timeoutMs: 3000 })]);
      const failed = results.filter((r) => r.status === 'rejected');
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.is(failed.length, 1, 'the call written to the raw endpoint failed');
      assert.is(ok.length, 1);
      const e = (failed[0] as PromiseRejectedResult).reason as RpcError;
      assert.is(e.code, Code.UNAVAILABLE);
      assert.ok(raw.received[0]! > 0, 'the raw endpoint received the request');
      await sleep(100);
      assert.is(echo.served, 1, 'the echo server never saw the written call');
      assert.is(raw.received.filter((n) => n > 0).length, 1, 'the written call was sent once');
    } finally {
      client.close();
      await raw.stop();
      await echo.stop();
    }
  });

  test(`${proto}: a client stream whose opening frame reached the server (nothing acknowledged yet) is not retried`, async () => {
    const a = await rawServer(true);
    const b = await rawServer(true);
    const client = await Client.connect([a.address, b.address], options(proto));
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    async function* nothing(): AsyncIterable<{ data: Uint8Array }> {
      await held;
    }
    try {
      await connected([a.port, b.port]);
      const r = await settled(client.clientStream(StreamingService.methods.ClientStream, nothing(), { timeoutMs: 3000 }));
      assert.is(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as RpcError;
      assert.is(e.code, Code.UNAVAILABLE, e.message);
      await sleep(100);
      const reached = [...a.received, ...b.received].filter((n) => n > 0).length;
      assert.is(reached, 1, 'the opening frame reached one endpoint, once');
    } finally {
      release();
      client.close();
      await a.stop();
      await b.stop();
    }
  });

  test(`${proto}: at most one retry: a call unsent on both endpoints fails UNAVAILABLE`, async () => {
    const a = await rawServer();
    const b = await rawServer();
    const client = await Client.connect([a.address, b.address], options(proto));
    try {
      await connected([a.port, b.port]);
      // round_robin's first pick is the first endpoint (a): the call goes to the connection that closes first.
      let call: Promise<PromiseSettledResult<unknown>> | undefined;
      let dummy: Promise<unknown> | undefined;
      const abort = new AbortController();
      onClientClose = (port) => {
        if (port !== a.port) dummy = settled(client.unary(ECHO, msg('dummy'), { timeoutMs: 3000, signal: abort.signal }));
        call = settled(client.unary(ECHO, msg('twice'), { timeoutMs: 3000 }));
      };
      // Both connections are reset in the same turn: the retry lands on the other endpoint, which dies too.
      a.kill();
      b.kill();
      await until('the client socket to close', () => call !== undefined);
      const t0 = performance.now();
      const r = await call!;
      assert.is(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as RpcError;
      assert.is(e.code, Code.UNAVAILABLE, e.message);
      assert.ok(performance.now() - t0 < 1000, 'fails without waiting for the deadline');
      abort.abort();
      await dummy;
      await sleep(150);
      const sent = [...a.received, ...b.received].reduce((x, y) => x + y, 0);
      if (dummy === undefined) assert.is(sent, 0, 'no third attempt reached a reconnected endpoint');
    } finally {
      onClientClose = undefined;
      client.close();
      await a.stop();
      await b.stop();
    }
  });
}

test.run();
