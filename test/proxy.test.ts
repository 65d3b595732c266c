// createProxy in-process over the pipe: a client → proxy server → upstream
// server chain for ttrpc→ttrpc, ttrpc→drpc and drpc→ttrpc (and drpc→drpc for
// cancellation), every call shape, status and metadata passthrough, deadline
// and cancellation propagation, the log hook and upstream reconnection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '../src/server/server.js';
import { Client } from '../src/client/client.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';
import { ServerUnaryReactor } from '../reactors/server-reactors.js';
import type { ServerContext } from '../reactors/server-context.js';
import { callback } from '../src/services/handlers.js';
import { defineService } from '../src/services/definition.js';
import { rawMethod } from '../src/call/method.js';
import type { MethodKind } from '../src/call/call.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { type Status, status } from '../src/status/status.js';
import type { MethodDescriptor } from '../src/call/method.js';
import { rawCall } from '../src/cli/raw-call.js';
import { type ProxyCallLog, ReconnectingUpstream, createProxy } from '../src/proxy/index.js';

type Protocol = 'ttrpc' | 'drpc';
const enc = new TextEncoder();
const dec = new TextDecoder();
const p = (s: string) => ({ data: enc.encode(s) });
const txt = (x: { data?: Uint8Array | null } | undefined) => dec.decode(x?.data ?? new Uint8Array(0));

/** Probe.Hang never answers on its own: it records its cancellation and then finishes. */
const Probe = defineService('test.Probe', { Hang: rawMethod('/test.Probe/Hang', 'unary') });

/** KINDS tells the proxy every interop method's shape (drpc carries none on the wire). */
const KINDS = new Map<string, MethodKind>(
  [...Object.values(EchoService.methods), ...Object.values(StreamingService.methods), ...Object.values(Probe.methods)].map((m) => [m.path, m.kind]),
);

interface Chain {
  client: Client;
  logs: ProxyCallLog[];
  hangs: Array<{ cancelled: Promise<string> }>;
  stop(): Promise<void>;
}

async function chain(down: Protocol, up: Protocol): Promise<Chain> {
  const hangs: Array<{ cancelled: Promise<string> }> = [];
  const upstream = new Server({ protocol: up });
  addTtrpcInteropServices(upstream);
  upstream.addService(Probe, {
    Hang: callback((ctx: ServerContext) => {
      const r = new (class extends ServerUnaryReactor<Uint8Array> {
        override onCancel(): void {
          this.finish(status(Code.CANCELLED, 'hang cancelled'));
        }
      })();
      hangs.push({ cancelled: new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve((ctx.signal.reason as RpcError).message), { once: true })) });
      return r;
    }),
  });
  const upL = new PipeListener();
  await upstream.listen(upL);
  const upClient = await Client.connect(upL, { protocol: up });
  const logs: ProxyCallLog[] = [];
  const proxy = new Server({ protocol: down }).addGenericService(createProxy(upClient, { kindOf: (m) => KINDS.get(m), log: (e) => logs.push(e) }));
  const downL = new PipeListener();
  await proxy.listen(downL);
  const client = await Client.connect(downL, { protocol: down });
  return {
    client,
    logs,
    hangs,
    async stop() {
      await client.close();
      await proxy.shutdown(200);
      await upClient.close();
      await upstream.shutdown(200);
    },
  };
}

/**
 * readAll runs a call of any shape and collects every response: its reactor
 * holds onDone until the responses were all read (the iterable client helpers
 * can still drop responses that arrive together with the status).
 */
async function readAll<Req, Res>(client: Client, m: MethodDescriptor<Req, Res>, requests: Req[]): Promise<{ status: Status; responses: Res[] }> {
  const responses: Res[] = [];
  const s = await rawCall(client, m.path, m.kind, requests.map((r) => m.serializeRequest(r)), {}, (b) => {
    responses.push(m.deserializeResponse(b));
    return true;
  });
  return { status: s, responses };
}

async function rejects(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, RpcError);
    return e as RpcError;
  }
  throw new Error('expected the call to fail');
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const PAIRS: Array<[Protocol, Protocol]> = [
  ['ttrpc', 'ttrpc'],
  ['ttrpc', 'drpc'],
  ['drpc', 'ttrpc'],
];

for (const [down, up] of PAIRS) {
  const name = `${down}→${up}`;

  test(`${name}: unary, metadata and status passthrough`, async () => {
    const c = await chain(down, up);
    try {
      assert.is(txt(await c.client.unary(EchoService.methods.Echo, p('hello'))), 'hello');
      // drpc metadata is a map (one value per key); ttrpc's is a list.
      const multi = down === 'ttrpc' && up === 'ttrpc';
      const md = await c.client.unary(EchoService.methods.Metadata, p(''), { metadata: { 'x-trace': 'abc', 'x-multi': multi ? ['1', '2'] : '1' } });
      const entries = (md.entries ?? []).map((e) => `${e.key}=${e.value}`);
      assert.ok(entries.includes('x-trace=abc'), entries.join());
      assert.ok(entries.includes('x-multi=1') && entries.includes('x-multi=2') === multi, entries.join());
      const e = await rejects(c.client.unary(EchoService.methods.Fail, { code: Code.NOT_FOUND, message: 'no such thing' }));
      assert.is(e.code, Code.NOT_FOUND);
      assert.is(e.rawMessage, 'no such thing');
      const big = await c.client.unary(EchoService.methods.Big, { size: 200_000 });
      assert.is(big.data?.byteLength, 200_000);
      assert.is(big.data?.[1000], 1000 % 251);
    } finally {
      await c.stop();
    }
  });

  test(`${name}: server, client and bidi streams`, async () => {
    const c = await chain(down, up);
    try {
      const ok = await readAll(c.client, StreamingService.methods.ServerStream, [{ count: 4, data: enc.encode('s') }]);
      assert.is(ok.status.code, Code.OK);
      assert.equal(ok.responses.map(txt), ['s-1', 's-2', 's-3', 's-4']);
      const failed = await readAll(c.client, StreamingService.methods.ServerStream, [{ count: 2, data: enc.encode('f'), failCode: Code.ABORTED, failMessage: 'stop' }]);
      assert.equal(failed.responses.map(txt), ['f-1', 'f-2']);
      assert.is(failed.status.code, Code.ABORTED);
      assert.is(failed.status.message, 'stop');
      const joined = await c.client.clientStream(StreamingService.methods.ClientStream, [p('a'), p('b'), p('c')]);
      assert.is(txt(joined), 'a,b,c');
      const echoed = await readAll(c.client, StreamingService.methods.BidiEcho, ['x', 'y', 'z'].map(p));
      assert.is(echoed.status.code, Code.OK);
      assert.equal(echoed.responses.map(txt), ['x', 'y', 'z']);
    } finally {
      await c.stop();
    }
  });

  test(`${name}: the log hook sees every call with status and bytes`, async () => {
    const c = await chain(down, up);
    try {
      await c.client.unary(EchoService.methods.Echo, p('12345'));
      await rejects(c.client.unary(EchoService.methods.Fail, { code: Code.PERMISSION_DENIED, message: 'no' }));
      await until(() => c.logs.length === 2);
      const [ok, bad] = c.logs;
      assert.is(ok!.method, '/ttrpc.interop.v1.Echo/Echo');
      assert.is(ok!.status.code, Code.OK);
      assert.is(ok!.bytesIn, 7); // Payload{data:"12345"}: tag, length, 5 bytes
      assert.is(ok!.bytesOut, 7);
      assert.ok(ok!.durationMs >= 0);
      assert.is(bad!.status.code, Code.PERMISSION_DENIED);
      assert.is(bad!.bytesOut, 0);
    } finally {
      await c.stop();
    }
  });

  test(`${name}: the deadline reaches the upstream handler`, async () => {
    const c = await chain(down, up);
    try {
      const e = await rejects(c.client.unary(EchoService.methods.Sleep, { millis: 10_000 }, { timeoutMs: 150 }));
      assert.is(e.code, Code.DEADLINE_EXCEEDED);
      const e2 = await rejects(c.client.unary(Probe.methods.Hang, new Uint8Array(0), { timeoutMs: 150 }));
      assert.is(e2.code, Code.DEADLINE_EXCEEDED);
      await until(() => c.hangs.length === 1);
      // A ttrpc request carries its deadline, so the proxy forwards it and the upstream handler ends by it
      // (ttrpc upstream) or by the cancellation the proxy sends when the downstream call expired (drpc upstream).
      // drpc carries no deadline and ttrpc no cancellation, so drpc→ttrpc cannot tell the upstream handler.
      if (down === 'ttrpc') {
        const reason = await Promise.race([c.hangs[0]!.cancelled, sleep(3000).then(() => 'TIMED OUT')]);
        assert.match(reason, up === 'ttrpc' ? /deadline/i : /cancel|deadline/i);
      }
    } finally {
      await c.stop();
    }
  });
}

test('ttrpc→drpc and drpc→drpc: a downstream cancellation cancels the upstream handler', async () => {
  for (const down of ['ttrpc', 'drpc'] as const) {
    const c = await chain(down, 'drpc');
    try {
      const ac = new AbortController();
      const call = c.client.unary(Probe.methods.Hang, new Uint8Array(0), { signal: ac.signal }).catch((e: unknown) => e);
      await until(() => c.hangs.length === 1);
      // ttrpc has no cancel frame: its client cancels by closing the connection.
      if (down === 'ttrpc') await c.client.close();
      else ac.abort();
      const e = await call;
      assert.instance(e, RpcError);
      const reason = await Promise.race([c.hangs[0]!.cancelled, sleep(3000).then(() => 'TIMED OUT')]);
      assert.match(reason, /cancel/i, `${down}: ${reason}`);
      await until(() => c.logs.length === 1);
      assert.is(c.logs[0]!.status.code, Code.CANCELLED);
    } finally {
      await c.stop();
    }
  }
});

test('ReconnectingUpstream: calls fail with UNAVAILABLE while the upstream is down and work again once it is back', async () => {
  const upL = `unix://${join(mkdtempSync(join(tmpdir(), 'rr-proxy-')), 'up.sock')}`;
  let upstream = new Server();
  addTtrpcInteropServices(upstream);
  await upstream.listen(upL);
  const source = new ReconnectingUpstream(upL, { dialTimeoutMs: 1000 });
  const proxy = new Server().addGenericService(createProxy(source.get));
  const downL = new PipeListener();
  await proxy.listen(downL);
  const client = await Client.connect(downL);
  try {
    assert.is(txt(await client.unary(EchoService.methods.Echo, p('one'))), 'one');
    await upstream.forceShutdown();
    const e = await rejects(client.unary(EchoService.methods.Echo, p('two'), { timeoutMs: 3000 }));
    assert.is(e.code, Code.UNAVAILABLE);
    upstream = new Server();
    addTtrpcInteropServices(upstream);
    await upstream.listen(upL);
    let reply = '';
    for (let i = 0; i < 50 && reply === ''; i++) {
      reply = await client.unary(EchoService.methods.Echo, p('three'), { timeoutMs: 3000 }).then(txt, () => '');
      if (reply === '') await sleep(20);
    }
    assert.is(reply, 'three');
  } finally {
    await client.close();
    await proxy.shutdown(200);
    await source.close();
    await upstream.shutdown(200);
  }
});

test.run();
