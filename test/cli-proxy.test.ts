// `reactor-rpc proxy`, run as the real binary: ttrpc (and drpc) clients →
// proxy → drpc server and the reverse direction, every call shape, status
// and metadata passthrough, --log lines, cancellation and deadlines reaching
// the upstream handler, and an upstream that dies mid-stream.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '../src/server/server.js';
import { Client } from '../src/client/client.js';
import { EchoService, StreamingService } from '../src/cli/interop/ttrpc-definitions.js';
import { addTtrpcInteropServices } from '../src/cli/interop/ttrpc-reactor-service.js';
import { ServerUnaryReactor } from '../reactors/server-reactors.js';
import type { ServerContext } from '../reactors/server-context.js';
import { callback } from '../src/services/handlers.js';
import { defineService } from '../src/services/definition.js';
import { rawMethod } from '../src/call/method.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { type Status, status } from '../src/status/status.js';
import type { MethodDescriptor } from '../src/call/method.js';
import { rawCall } from '../src/cli/raw-call.js';
import { Progress } from '../src/cli/progress.js';
import { formatCallLog } from '../src/cli/proxy-command.js';
import { type Daemon, INTEROP_PROTO as P, run, sockAddress, start } from './helpers/cli-process.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const p = (s: string) => ({ data: enc.encode(s) });
const txt = (x: { data?: Uint8Array | null } | undefined) => dec.decode(x?.data ?? new Uint8Array(0));

/** Probe.Hang never answers: it reports its cancellation (the reason) and then finishes. */
const Probe = defineService('test.Probe', { Hang: rawMethod('/test.Probe/Hang', 'unary') });
const hangs: Array<Promise<string>> = [];

function probeServer(protocol: 'ttrpc' | 'drpc'): Server {
  const s = new Server({ protocol });
  addTtrpcInteropServices(s);
  s.addService(Probe, {
    Hang: callback((ctx: ServerContext) => {
      hangs.push(new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve((ctx.signal.reason as Error).message), { once: true })));
      return new (class extends ServerUnaryReactor<Uint8Array> {
        override onCancel(): void {
          this.finish(status(Code.CANCELLED, 'hang cancelled'));
        }
      })();
    }),
  });
  return s;
}

let drpcUp: Server;
let ttrpcUp: Server;
let toDrpc: Daemon;
let toTtrpc: Daemon;

test.before(async () => {
  drpcUp = probeServer('drpc');
  ttrpcUp = probeServer('ttrpc');
  const drpcAddr = await drpcUp.listen(sockAddress('drpc-up'));
  const ttrpcAddr = await ttrpcUp.listen(sockAddress('ttrpc-up'));
  toDrpc = await start(['proxy', '--listen', sockAddress('p1'), '--listen-protocol', 'auto', '--to', drpcAddr, '--to-protocol', 'drpc', '--log']);
  toTtrpc = await start(['proxy', '--listen', sockAddress('p2'), '--listen-protocol', 'drpc', '--to', ttrpcAddr, '--proto', P]);
});

test.after(async () => {
  await Promise.all([toDrpc?.stop(), toTtrpc?.stop()]);
  await Promise.all([drpcUp?.shutdown(200), ttrpcUp?.shutdown(200)]);
});

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

async function rejects(pr: Promise<unknown>): Promise<RpcError> {
  try {
    await pr;
  } catch (e) {
    assert.instance(e, RpcError);
    return e as RpcError;
  }
  throw new Error('expected the call to fail');
}

async function shapes(client: Client): Promise<void> {
  assert.is(txt(await client.unary(EchoService.methods.Echo, p('hi'))), 'hi');
  const md = await client.unary(EchoService.methods.Metadata, p(''), { metadata: { 'x-via': 'proxy' } });
  assert.ok(md.entries?.some((e) => e.key === 'x-via' && e.value === 'proxy'), JSON.stringify(md.entries));
  const ss = await readAll(client, StreamingService.methods.ServerStream, [{ count: 2, data: enc.encode('s') }]);
  assert.equal(ss.responses.map(txt), ['s-1', 's-2']);
  assert.is(ss.status.code, Code.OK);
  assert.is(txt(await client.clientStream(StreamingService.methods.ClientStream, [p('a'), p('b')])), 'a,b');
  const echoed = await readAll(client, StreamingService.methods.BidiEcho, [p('x'), p('y')]);
  assert.equal(echoed.responses.map(txt), ['x', 'y']);
  const e = await rejects(client.unary(EchoService.methods.Fail, { code: Code.NOT_FOUND, message: 'not here' }));
  assert.is(e.code, Code.NOT_FOUND);
  assert.is(e.rawMessage, 'not here');
  const s = await readAll(client, StreamingService.methods.ServerStream, [{ count: 1, failCode: Code.ABORTED, failMessage: 'stop' }]);
  assert.is(s.responses.length, 1);
  assert.is(s.status.code, Code.ABORTED);
  assert.is(s.status.message, 'stop');
}

test('ttrpc client → proxy → drpc server: every shape, metadata, status passthrough, --log lines', async () => {
  const client = await Client.connect(toDrpc.address);
  try {
    await shapes(client);
  } finally {
    await client.close();
  }
  // The proxy logs a call once it ended on its side: wait for the last one.
  for (let i = 0; i < 500 && !/Streaming\/ServerStream ABORTED/.test(toDrpc.output()); i++) await sleep(10);
  assert.match(toDrpc.output(), /^\/ttrpc\.interop\.v1\.Echo\/Echo OK \d+ms in=4B out=4B$/m);
  assert.match(toDrpc.output(), /^\/ttrpc\.interop\.v1\.Echo\/Fail NOT_FOUND \d+ms in=\d+B out=0B "not here"$/m);
  assert.match(toDrpc.output(), /^\/ttrpc\.interop\.v1\.Streaming\/BidiEcho OK \d+ms in=6B out=6B$/m);
});

test('drpc client → proxy (--proto for shapes) → ttrpc server: every shape, metadata, status passthrough', async () => {
  const client = await Client.connect(toTtrpc.address, { protocol: 'drpc' });
  try {
    await shapes(client);
  } finally {
    await client.close();
  }
});

test('call through the proxy prints the upstream failure', async () => {
  const r = await run(['call', toDrpc.address, 'Echo/Fail', '--proto', P, '--data', '{"code":9,"message":"not now"}']);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'ERROR FAILED_PRECONDITION: not now\n');
});

test('cancellation reaches the upstream handler: ttrpc client closing, drpc client cancelling, a deadline', async () => {
  const cases: Array<['ttrpc' | 'drpc', 'close' | 'abort' | 'deadline']> = [['ttrpc', 'close'], ['drpc', 'abort'], ['ttrpc', 'deadline']];
  for (const [protocol, how] of cases) {
    const before = hangs.length;
    const client = await Client.connect(toDrpc.address, { protocol });
    const ac = new AbortController();
    const call = client.unary(Probe.methods.Hang, new Uint8Array(0), { signal: ac.signal, timeoutMs: how === 'deadline' ? 300 : 20_000 }).catch((e: unknown) => e);
    for (let i = 0; hangs.length === before && i < 300; i++) await sleep(10);
    assert.is(hangs.length, before + 1, `${how}: the call did not reach the upstream`);
    if (how === 'close') await client.close();
    if (how === 'abort') ac.abort();
    const reason = await Promise.race([hangs[before]!, sleep(5000).then(() => 'TIMED OUT')]);
    assert.match(reason, /cancel|deadline/i, `${protocol}/${how}: ${reason}`);
    assert.instance(await call, RpcError);
    await client.close();
  }
});

test('an upstream that dies mid-stream: the client gets UNAVAILABLE/CANCELLED promptly, the proxy stays up and reconnects', async () => {
  const upAddr = sockAddress('peer');
  let peer = await start(['interop', 'serve', '--protocol', 'drpc', '--listen', upAddr]);
  const proxy = await start(['proxy', '--listen', sockAddress('p3'), '--to', upAddr, '--to-protocol', 'drpc']);
  const client = await Client.connect(proxy.address);
  try {
    const ticks: string[] = [];
    const ended = (async () => {
      for await (const m of client.serverStream(rawMethod('/drpcpeer.Peer/Ticker', 'server_stream'), enc.encode('t'))) {
        ticks.push(dec.decode(m));
        if (ticks.length === 2) void peer.stop('SIGKILL');
      }
    })();
    const started = Date.now();
    const e = await Promise.race([rejects(ended), sleep(10_000).then(() => undefined)]);
    assert.ok(e, 'the stream did not end after the upstream died');
    assert.ok([Code.UNAVAILABLE, Code.CANCELLED].includes(e.code), `got ${e.message}`);
    assert.ok(Date.now() - started < 8000);
    assert.ok(ticks.length >= 2);
    // The proxy is still up: with the upstream down a call fails fast with UNAVAILABLE ...
    const down = await rejects(client.unary(rawMethod('/drpcpeer.Peer/Echo', 'unary'), enc.encode('x'), { timeoutMs: 8000 }));
    assert.is(down.code, Code.UNAVAILABLE);
    // ... and once the upstream is back, calls go through again.
    rmSync(new URL(upAddr.replace('unix://', 'file://')), { force: true });
    peer = await start(['interop', 'serve', '--protocol', 'drpc', '--listen', upAddr]);
    const back = await client.unary(rawMethod('/drpcpeer.Peer/Echo', 'unary'), enc.encode('back'), { timeoutMs: 8000 });
    assert.is(dec.decode(back), 'back');
  } finally {
    await client.close();
    assert.is(await proxy.stop('SIGTERM'), 0);
    await peer.stop('SIGKILL');
  }
});

test('proxy usage errors and --help', async () => {
  const h = await run(['proxy', '--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, /^usage: reactor-rpc proxy/);
  const r = await run(['proxy', '--listen', sockAddress('x')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^reactor-rpc proxy: --to is required/);
  const bad = await run(['proxy', '--listen', 'nowhere', '--to', 'tcp://127.0.0.1:1']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--listen: .*scheme/);
});

test('progress: silent when piped, a redrawn status line on a terminal; log line format', async () => {
  const writes = (tty: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY: tty, write: (t: string) => out.push(t) > 0 } };
  };
  const piped = writes(false);
  const quiet = new Progress(piped.stream, 'proxy', 5).start();
  quiet.record(true);
  await sleep(30);
  quiet.stop();
  assert.equal(piped.out, []);
  const tty = writes(true);
  const term = writes(true);
  const live = new Progress(tty.stream, 'proxy', 5).start();
  live.record(true);
  live.record(false);
  await sleep(30);
  assert.match(tty.out.at(-1)!, /^\r\x1b\[Kproxy [\d,]+ calls\/s · 2 calls · 1 error$/);
  live.print('a log line', term.stream);
  assert.equal(term.out, ['a log line\n']);
  assert.ok(tty.out.includes('\r\x1b[K'), 'the status line is cleared before a log line');
  live.stop();
  assert.is(tty.out.at(-1), '\r\x1b[K');
  assert.equal(live.totals(), { calls: 2, errors: 1 });
  const line = formatCallLog({ method: '/a.B/C', kind: 'unary', durationMs: 3, status: status(Code.NOT_FOUND, 'gone'), bytesIn: 5, bytesOut: 0, peer: 'unix:' });
  assert.is(line, '/a.B/C NOT_FOUND 3ms in=5B out=0B "gone"');
});

test.run();
