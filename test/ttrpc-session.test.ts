// ttrpc sessions end to end over the in-memory pipe, a unix socket and TCP:
// every interop scenario, bad input as raw frames, disconnects, deadlines,
// bounded queues and write coalescing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { ttrpc } from '../generated/interop.js';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectTtrpc } from '../src/client/connect.js';
import { Client } from '../src/client/client.js';
import { unaryCall } from './helpers/call-adapters.js';
import { CallIO } from './helpers/call-io.js';
import { registerTtrpcInterop, payload, payloadData } from './helpers/ttrpc-service.js';
import { TTRPC_SCENARIOS } from '../src/cli/interop/ttrpc-scenarios.js';
import { encodeRequest, decodeResponse } from '../src/protocol/ttrpc/envelope.js';
import { Flags, MessageType } from '../src/protocol/ttrpc/frame.js';
import { TtrpcServerSession } from '../src/protocol/ttrpc/server-session.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { OK_STATUS } from '../src/status/status.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';
import { RawPeer } from './helpers/raw-ttrpc.js';

const v1 = ttrpc.interop.v1;
const ECHO = 'ttrpc.interop.v1.Echo';

function registry(): MethodRegistry {
  const reg = new MethodRegistry();
  registerTtrpcInterop(reg);
  // A bidi method whose handler never reads: its receive queue must stay bounded.
  reg.register('test.Sink', 'Hold', 'bidi', (call) => new CallIO(call));
  return reg;
}

async function startServer(target: ReturnType<(typeof TRANSPORTS)[number]['target']>, opts = {}) {
  const server = new CallServer(registry(), { ttrpc: opts });
  const bound = await server.listen(target);
  return { server, dialTo: dialTarget(target, bound) };
}

function req(service: string, method: string, body: Uint8Array, extra: { timeoutNano?: number } = {}): Uint8Array {
  return encodeRequest({ service, method, payload: body, timeoutNano: extra.timeoutNano ?? 0, metadata: [] });
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

for (const tc of TRANSPORTS) {
  for (const [name, scenario] of Object.entries(TTRPC_SCENARIOS)) {
    test(`${tc.name}: scenario ${name}`, async () => {
      const { server, dialTo } = await startServer(tc.target());
      const client = await connectTtrpc(dialTo);
      try {
        await scenario(Client.fromTransport(client));
      } finally {
        client.close();
        await server.close();
      }
    });
  }

  test(`${tc.name}: even, zero and reused stream ids are answered on the same id with INVALID_ARGUMENT`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const raw = await RawPeer.connect(dialTo);
    const echo = req(ECHO, 'Echo', payload('hi'));
    raw.send(2, MessageType.Request, 0, echo);
    raw.send(0, MessageType.Request, 0, echo);
    raw.send(5, MessageType.Request, 0, echo);
    raw.send(3, MessageType.Request, 0, echo);
    const frames = await raw.waitFrames(4);
    const byId = new Map(frames.map((f) => [f.streamId, decodeResponse(f.data)]));
    assert.equal(byId.get(2)?.status?.code, Code.INVALID_ARGUMENT);
    assert.equal(byId.get(2)?.status?.message, 'StreamID must be odd for client initiated streams');
    assert.equal(byId.get(0)?.status?.code, Code.INVALID_ARGUMENT);
    assert.equal(byId.get(5)?.status, undefined);
    assert.equal(byId.get(3)?.status?.message, 'StreamID cannot be re-used and must increment');
    raw.close();
    await server.close();
  });

  test(`${tc.name}: garbage request body, unknown frame type and Data on a unary stream never crash`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const raw = await RawPeer.connect(dialTo);
    raw.send(1, MessageType.Request, 0, new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    raw.send(3, 9, 0, new Uint8Array([1, 2, 3]));
    raw.send(5, MessageType.Request, 0, req(ECHO, 'Sleep', v1.SleepRequest.encode({ millis: 50 }).finish()));
    raw.send(5, MessageType.Data, 0, payload('not allowed on unary'));
    raw.send(7, MessageType.Data, 0, payload('never opened'));
    const r1 = decodeResponse((await raw.waitFor((f) => f.streamId === 1)).data);
    assert.equal(r1.status?.code, Code.INVALID_ARGUMENT);
    assert.ok(r1.status?.message.startsWith('unmarshal request error'));
    const r7 = decodeResponse((await raw.waitFor((f) => f.streamId === 7)).data);
    assert.equal(r7.status?.message, 'StreamID is no longer active');
    const r5 = await raw.waitFor((f) => f.streamId === 5);
    assert.equal(new TextDecoder().decode(payloadData(decodeResponse(r5.data).payload)), 'slept');
    assert.not.ok(raw.closed);
    raw.close();
    await server.close();
  });

  test(`${tc.name}: an oversize request gets RESOURCE_EXHAUSTED and the connection survives`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const raw = await RawPeer.connect(dialTo);
    const header = new Uint8Array([0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 1, 0]);
    raw.sendBytes(header);
    raw.sendBytes(new Uint8Array(4194305));
    raw.send(3, MessageType.Request, 0, req(ECHO, 'Echo', payload('after')));
    const big = decodeResponse((await raw.waitFor((f) => f.streamId === 1, 10_000)).data);
    assert.equal(big.status?.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(big.status?.message, 'message length 4194305 exceed maximum message size of 4194304');
    const after = decodeResponse((await raw.waitFor((f) => f.streamId === 3)).data);
    assert.equal(new TextDecoder().decode(payloadData(after.payload)), 'after');
    raw.close();
    await server.close();
  });

  test(`${tc.name}: a reply over the limit becomes RESOURCE_EXHAUSTED, the connection survives`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const client = await connectTtrpc(dialTo);
    const e = await rpcError(unaryCall(client, `/${ECHO}/Big`, v1.BigRequest.encode({ size: 5 << 20 }).finish()));
    assert.is(e.code, Code.RESOURCE_EXHAUSTED);
    const ok = await unaryCall(client, `/${ECHO}/Echo`, payload('still here'));
    assert.is(new TextDecoder().decode(payloadData(ok)), 'still here');
    const tooBig = await rpcError(unaryCall(client, `/${ECHO}/Echo`, new Uint8Array(5 << 20)));
    assert.is(tooBig.code, Code.RESOURCE_EXHAUSTED);
    client.close();
    await server.close();
  });

  test(`${tc.name}: the server enforces timeout_nano even when the handler ignores it`, async () => {
    const reg = new MethodRegistry();
    reg.register('test.Slow', 'Ignore', 'unary', (call) => {
      const io = new CallIO(call);
      void io.read().then(() => setTimeout(() => call.finish(OK_STATUS), 300));
    });
    const server = new CallServer(reg);
    const target = tc.target();
    const raw = await RawPeer.connect(dialTarget(target, await server.listen(target)));
    raw.send(1, MessageType.Request, 0, req('test.Slow', 'Ignore', new Uint8Array(0), { timeoutNano: 50e6 }));
    const [f] = await raw.waitFrames(1);
    assert.equal(decodeResponse(f!.data).status?.code, Code.DEADLINE_EXCEEDED);
    await sleep(350);
    assert.is(raw.frames.length, 1, 'the late handler reply is not sent');
    raw.close();
    await server.close();
  });

  test(`${tc.name}: an unread stream's full queue holds the connection until the stall timeout (RESOURCE_EXHAUSTED), then others go on`, async () => {
    const { server, dialTo } = await startServer(tc.target(), { maxQueuedMessages: 8, receiveStallTimeoutMs: 200 });
    const raw = await RawPeer.connect(dialTo);
    raw.send(1, MessageType.Request, Flags.REMOTE_OPEN, req('test.Sink', 'Hold', new Uint8Array(0)));
    for (let i = 0; i < 20; i++) raw.send(1, MessageType.Data, 0, payload(`m${i}`));
    raw.send(3, MessageType.Request, 0, req(ECHO, 'Echo', payload('other')));
    const first = await raw.waitFor((f) => f.streamId === 1);
    assert.equal(decodeResponse(first.data).status?.code, Code.RESOURCE_EXHAUSTED);
    const other = await raw.waitFor((f) => f.streamId === 3);
    assert.equal(new TextDecoder().decode(payloadData(decodeResponse(other.data).payload)), 'other');
    // Data that arrives after the stream failed is answered like the Go server does.
    const late = await raw.waitFor((f) => f.streamId === 1 && f !== first);
    assert.equal(decodeResponse(late.data).status?.message, 'StreamID is no longer active');
    raw.close();
    await server.close();
  });

  test(`${tc.name}: server going away fails open calls with UNAVAILABLE`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const client = await connectTtrpc(dialTo);
    const pending = Array.from({ length: 5 }, () => rpcError(unaryCall(client, `/${ECHO}/Sleep`, v1.SleepRequest.encode({ millis: 5000 }).finish())));
    await sleep(50);
    await server.close();
    for (const e of await Promise.all(pending)) assert.is(e.code, Code.UNAVAILABLE);
    const after = await rpcError(unaryCall(client, `/${ECHO}/Echo`, payload('x')));
    assert.is(after.code, Code.UNAVAILABLE);
  });

  test(`${tc.name}: a client that vanishes mid-frame cancels the server's calls`, async () => {
    let cancelled = 0;
    const reg = new MethodRegistry();
    reg.register('test.Wait', 'Forever', 'unary', (call) => {
      const io = new CallIO(call);
      void io.whenCancelled().then(() => {
        cancelled++;
        call.finish(OK_STATUS);
      });
    });
    const server = new CallServer(reg);
    const target = tc.target();
    const raw = await RawPeer.connect(dialTarget(target, await server.listen(target)));
    raw.send(1, MessageType.Request, 0, req('test.Wait', 'Forever', new Uint8Array(0)));
    raw.send(3, MessageType.Request, 0, req('test.Wait', 'Forever', new Uint8Array(0)));
    raw.sendBytes(new Uint8Array([0, 0, 0, 50, 0, 0, 0, 5, 1, 0, 1, 2, 3]));
    await sleep(50);
    raw.close();
    for (let i = 0; i < 100 && (cancelled < 2 || server.connections > 0); i++) await sleep(10);
    assert.is(cancelled, 2);
    assert.is(server.connections, 0);
    await server.close();
  });

  test(`${tc.name}: a cancelled call's late reply is dropped without harm`, async () => {
    const { server, dialTo } = await startServer(tc.target());
    const client = await connectTtrpc(dialTo);
    const ac = new AbortController();
    const p = rpcError(unaryCall(client, `/${ECHO}/Sleep`, v1.SleepRequest.encode({ millis: 60 }).finish(), { signal: ac.signal }));
    await sleep(10);
    ac.abort();
    assert.is((await p).code, Code.CANCELLED);
    await sleep(120);
    assert.is(client.droppedFrames, 1);
    assert.is(client.openStreams, 0);
    const ok = await unaryCall(client, `/${ECHO}/Echo`, payload('fine'));
    assert.is(new TextDecoder().decode(payloadData(ok)), 'fine');
    client.close();
    await server.close();
  });
}

test('client stream ids are odd and increase by 2 from 1', async () => {
  const listener = new PipeListener();
  const ids: number[] = [];
  listener.onConnection((conn) => {
    const reg = registry();
    new TtrpcServerSession(conn, { lookup: (s, m) => reg.lookup(s, m), handle: (call) => (ids.push(Number((call as unknown as { id: number }).id)), reg.handle(call)) });
  });
  const client = await connectTtrpc(listener);
  for (let i = 0; i < 4; i++) await unaryCall(client, `/${ECHO}/Echo`, payload(`${i}`));
  assert.equal(ids, [1, 3, 5, 7]);
  client.close();
  await listener.close();
});

test('frames produced in one turn go out in one connection write (256 concurrent calls)', async () => {
  const listener = new PipeListener();
  let session: TtrpcServerSession | undefined;
  const reg = registry();
  listener.onConnection((conn) => (session = new TtrpcServerSession(conn, reg)));
  const client = await connectTtrpc(listener);
  await Promise.all(Array.from({ length: 256 }, (_, i) => unaryCall(client, `/${ECHO}/Echo`, payload(`${i}`))));
  assert.is(client.writeStats.frames, 256);
  assert.ok(client.writeStats.writes <= 2, `client wrote ${client.writeStats.writes} times`);
  assert.is(session!.writeStats.frames, 256);
  assert.ok(session!.writeStats.writes <= 8, `server wrote ${session!.writeStats.writes} times`);
  client.close();
  await listener.close();
});

test.run();
