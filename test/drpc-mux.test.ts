// Multiplexed drpc: slow consumers on either side, a cancel storm, cancel
// ordering on the wire, stream- and connection-scoped failures, write
// coalescing and the server's stream cap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc } from '../src/client/connect.js';
import { serverStreamHandler, unaryCall } from './helpers/call-adapters.js';
import { CallIO } from './helpers/call-io.js';
import type { CallListener } from '../src/call/call.js';
import { registerDrpcInterop } from './helpers/drpc-service.js';
import { DrpcMuxClientSession } from '../src/protocol/drpc/mux-client-session.js';
import { DrpcMuxServerSession } from '../src/protocol/drpc/mux-server-session.js';
import { PacketKind } from '../src/protocol/drpc/frame.js';
import { Metadata } from '../src/metadata/metadata.js';
import { Code } from '../src/status/code.js';
import type { Status } from '../src/status/status.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import type { DrpcSessionOptions } from '../src/protocol/drpc/options.js';
import { RawDrpcPeer, concat, describe, frameBytes } from './helpers/raw-drpc.js';
import { mulberry32 } from './helpers/drpc-vectors.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ECHO = '/drpcpeer.Peer/Echo';

function registry(): MethodRegistry {
  const reg = new MethodRegistry();
  registerDrpcInterop(reg);
  // Flood sends `n` messages as fast as the connection takes them.
  reg.register('test.Mux', 'Flood', 'server_stream', serverStreamHandler(async function* (req) {
    const n = Number(dec.decode(req));
    for (let i = 1; i <= n; i++) yield enc.encode(`f-${i}`);
  }));
  // Hold never reads its requests and ends when cancelled.
  reg.register('test.Mux', 'Hold', 'bidi', (call) => {
    const io = new CallIO(call);
    void io.whenCancelled().then(() => call.finish({ code: Code.CANCELLED, message: 'cancelled', details: [] }));
  });
  return reg;
}

async function setup(drpc: DrpcSessionOptions = {}, clientOptions: DrpcSessionOptions = {}) {
  const listener = new PipeListener();
  const sessions: DrpcMuxServerSession[] = [];
  const reg = registry();
  listener.onConnection((conn) => sessions.push(new DrpcMuxServerSession(conn, reg, drpc)));
  const client = (await connectDrpc(listener, { multiplex: true, drpc: clientOptions })) as DrpcMuxClientSession;
  /** accepted waits until the server has sessions for `n` connections. */
  const accepted = async (n: number) => {
    for (let i = 0; i < 1000 && sessions.length < n; i++) await sleep(2);
    assert.is(sessions.length, n, 'connections accepted');
  };
  await accepted(1);
  return { listener, client, accepted, server: () => sessions[sessions.length - 1]!, stop: async () => (client.close(), await listener.close()) };
}

/** StatusCounter is a listener that counts onStatus calls and keeps the codes. */
class StatusCounter implements CallListener {
  statuses: Status[] = [];
  messages = 0;
  onMessage(m: Uint8Array | null): void {
    if (m) this.messages++;
  }
  onWritable(): void {}
  onStatus(s: Status): void {
    this.statuses.push(s);
  }
}

test('a stream the client never reads holds the connection only until the stall timeout; then it fails alone and the others complete', async () => {
  const { client, server, stop } = await setup({}, { receiveStallTimeoutMs: 300 });
  // 100 queued messages stay below the 256-message bound: the stream just waits, holding nothing up.
  const unread = client.createCall('/test.Mux/Flood', 'server_stream', {});
  const unreadL = new StatusCounter();
  unread.start(unreadL);
  unread.send(enc.encode('100'), { last: true });
  // 1000 messages fill the bound: the connection stops reading until the stall timeout fails that stream.
  const flood = client.createCall('/test.Mux/Flood', 'server_stream', {});
  const floodL = new StatusCounter();
  flood.start(floodL);
  flood.send(enc.encode('1000'), { last: true });
  const started = Date.now();
  const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => unaryCall(client, ECHO, enc.encode(`c-${i}`))));
  replies.forEach((r, i) => assert.is(dec.decode(r), `c-${i}`));
  for (let i = 0; i < 100 && floodL.statuses.length === 0; i++) await sleep(10);
  assert.equal(floodL.statuses.map((s) => s.code), [Code.RESOURCE_EXHAUSTED]);
  assert.match(floodL.statuses[0]!.message, /receive queue full \(256 unread messages, none read for 300 ms\)/);
  assert.ok(Date.now() - started >= 250, 'the flood held the connection until its stall timeout');
  assert.is(client.gate.stalls, 1);
  assert.is(unreadL.statuses.length, 0, 'the unread stream is still pending');
  unread.request(1000);
  for (let i = 0; i < 100 && unreadL.statuses.length === 0; i++) await sleep(10);
  assert.is(unreadL.messages, 100);
  assert.equal(unreadL.statuses.map((s) => s.code), [Code.OK]);
  assert.not.ok(client.closed);
  for (let i = 0; i < 100 && server().activeCalls > 0; i++) await sleep(10);
  assert.is(server().activeCalls, 0);
  await stop();
});

test('a stream the client reads slowly never fails: the connection pauses and resumes, every message arrives in order', async () => {
  const { client, stop } = await setup({}, { receiveStallTimeoutMs: 300, maxQueuedMessages: 16 });
  const flood = client.createCall('/test.Mux/Flood', 'server_stream', {});
  const got: string[] = [];
  let status: Status | undefined;
  flood.start({
    onMessage: (m) => {
      if (m === null) return;
      got.push(dec.decode(m));
      // One message every few ms: far below the sender's pace, always within the stall timeout.
      setTimeout(() => flood.request(1), got.length % 50 === 0 ? 40 : 0);
    },
    onWritable: () => undefined,
    onStatus: (s) => (status = s),
  });
  flood.request(1);
  flood.send(enc.encode('2000'), { last: true });
  for (let i = 0; i < 1000 && status === undefined; i++) await sleep(10);
  assert.is(status?.code, Code.OK, status?.message);
  assert.is(got.length, 2000);
  got.forEach((m, i) => assert.is(m, `f-${i + 1}`));
  assert.ok(client.gate.pauses > 10, `reading paused ${client.gate.pauses} times`);
  assert.is(client.gate.stalls, 0);
  await stop();
});

test('a handler that never reads holds the connection until the stall timeout; then it fails alone', async () => {
  const { client, server, stop } = await setup({ maxQueuedMessages: 16, receiveStallTimeoutMs: 300 });
  const held = client.createCall('/test.Mux/Hold', 'bidi', {});
  const heldL = new StatusCounter();
  held.start(heldL);
  for (let i = 0; i < 10; i++) held.send(enc.encode(`h-${i}`));
  const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => unaryCall(client, ECHO, enc.encode(`c-${i}`))));
  replies.forEach((r, i) => assert.is(dec.decode(r), `c-${i}`));
  assert.is(heldL.statuses.length, 0, '10 unread messages are under the bound');
  for (let i = 0; i < 20; i++) held.send(enc.encode(`more-${i}`));
  const late = unaryCall(client, ECHO, enc.encode('behind the full stream'));
  for (let i = 0; i < 100 && heldL.statuses.length === 0; i++) await sleep(10);
  assert.equal(heldL.statuses.map((s) => s.code), [Code.RESOURCE_EXHAUSTED]);
  assert.is(dec.decode(await late), 'behind the full stream');
  assert.is(dec.decode(await unaryCall(client, ECHO, enc.encode('after'))), 'after');
  assert.is(server().gate.stalls, 1);
  assert.is(server().activeCalls, 0);
  await stop();
});

test('unfinished packets over maxPendingBytes fail the stream holding the most; the connection keeps serving', async () => {
  const budget = 100 * 1024;
  const { listener, server, accepted, stop } = await setup({ maxPendingBytes: budget });
  const peer = await RawDrpcPeer.connect(listener);
  await accepted(2);
  const big = new Uint8Array(10 * 1024).fill(9);
  // Stream 1 runs Hold and starts a message it never finishes; stream 3 starts an Invoke it never finishes.
  peer.send(frameBytes(PacketKind.Invoke, 1, 1, '/test.Mux/Hold'));
  peer.send(frameBytes(PacketKind.Message, 1, 2, big, { done: false }), frameBytes(PacketKind.Message, 1, 2, big, { done: false }));
  peer.send(frameBytes(PacketKind.Invoke, 3, 1, big, { done: false }));
  for (let i = 0; i < 1000 && server().framesReceived < 4; i++) await sleep(2);
  assert.is(server().framesReceived, 4);
  await sleep(2);
  assert.is(server().activeCalls, 1, 'both streams are within the budget so far');
  assert.is(peer.frames.length, 0);
  /**
   * feed sends unfinished frames on a stream, one at a time, each once the server has taken the one before (so the
   * count is what the server held, however late its refusal reaches the peer), until the server refuses the stream;
   * returns the bytes the server took.
   */
  const feed = async (kind: PacketKind, id: number, messageId: number, sent: number): Promise<number> => {
    const refused = () => peer.frames.some((f) => f.kind === PacketKind.Error && f.streamId === id);
    for (let i = 0; i < 40 && !refused(); i++) {
      const before = server().framesReceived;
      const written = server().writeStats.packets;
      peer.send(frameBytes(kind, id, messageId, big, { done: false }));
      sent += big.length;
      for (let w = 0; w < 500 && server().framesReceived === before; w++) await sleep(2);
      assert.ok(server().framesReceived > before, 'the server took the frame');
      await sleep(2); // a refusal is written at the end of the turn that took the frame
      // The server writes nothing on these streams but their refusal: once it wrote, wait for it to reach the peer.
      if (server().writeStats.packets > written) break;
    }
    const err = await peer.waitFor((f) => f.kind === PacketKind.Error && f.streamId === id);
    assert.match(dec.decode(err.data), /unfinished messages on this connection exceed maxPendingBytes \(102400 bytes\)/);
    return sent;
  };
  const took1 = await feed(PacketKind.Message, 1, 2, 20 * 1024);
  assert.ok(took1 <= budget, `stream 1 was refused after ${took1} bytes: memory held stays within the budget`);
  const took3 = await feed(PacketKind.Invoke, 3, 1, 10 * 1024);
  assert.ok(took3 <= budget, `stream 3 was refused after ${took3} bytes`);
  // The refused invoke's last frame is dropped; a new stream is served on the same connection.
  peer.send(frameBytes(PacketKind.Invoke, 3, 1, 'x'), frameBytes(PacketKind.Invoke, 5, 1, ECHO), frameBytes(PacketKind.Message, 5, 2, 'still here'), frameBytes(PacketKind.CloseSend, 5, 3));
  const reply = await peer.waitFor((f) => f.kind === PacketKind.Message && f.streamId === 5);
  assert.is(dec.decode(reply.data), 'still here');
  assert.not.ok(peer.closed);
  for (let i = 0; i < 100 && server().activeCalls > 0; i++) await sleep(10);
  assert.is(server().activeCalls, 0);
  peer.close();
  await stop();
});

test('cancel storm: 1000 streams cancelled at random points each end exactly once, the connection survives', async () => {
  const { client, server, stop } = await setup();
  const random = mulberry32(20240611);
  const calls = Array.from({ length: 1000 }, (_, i) => {
    const ticker = i % 2 === 0;
    const call = client.createCall(ticker ? '/drpcpeer.Peer/Ticker' : ECHO, ticker ? 'server_stream' : 'unary', i % 7 === 0 ? { metadata: new Metadata({ k: `v${i}` }) } : {});
    const l = new StatusCounter();
    const when = random();
    if (when < 0.05) call.cancel(); // before start: no stream at all
    call.start(l);
    call.request(1 << 20);
    call.send(enc.encode(`r-${i}`), { last: true });
    if (when >= 0.05 && when < 0.2) call.cancel(); // same turn as the send: Invoke and Cancel in one write
    else if (when >= 0.2) setTimeout(() => call.cancel(), Math.floor(random() * 60));
    return { l, ticker };
  });
  for (let i = 0; i < 300 && calls.some((c) => c.l.statuses.length === 0); i++) await sleep(10);
  await sleep(50);
  for (const { l, ticker } of calls) {
    assert.is(l.statuses.length, 1, 'exactly one onStatus');
    const code = l.statuses[0]!.code;
    assert.ok(code === Code.CANCELLED || (!ticker && code === Code.OK), `unexpected ${code} ${l.statuses[0]!.message}`);
  }
  assert.ok(calls.filter((c) => c.l.statuses[0]!.code === Code.CANCELLED).length >= 500);
  assert.not.ok(client.closed);
  assert.is(dec.decode(await unaryCall(client, ECHO, enc.encode('alive'))), 'alive');
  for (let i = 0; i < 100 && (server().activeCalls > 0 || client.openStreams > 0); i++) await sleep(10);
  assert.is(server().activeCalls, 0, 'every server stream ended');
  assert.is(client.openStreams, 0, 'every client stream released');
  await stop();
});

test('cancel lands after the whole in-flight message; InvokeMetadata and Invoke stay adjacent', async () => {
  const listener = new PipeListener();
  let peer: RawDrpcPeer | undefined;
  await RawDrpcPeer.serve(listener, (p) => (peer = p));
  const client = (await connectDrpc(listener, { multiplex: true })) as DrpcMuxClientSession;
  const a = client.createCall('/x.Y/Big', 'bidi', { metadata: new Metadata({ k: 'v' }) });
  const b = client.createCall('/x.Y/Small', 'unary', { metadata: new Metadata({ k: 'w' }) });
  const la = new StatusCounter();
  const lb = new StatusCounter();
  a.start(la);
  b.start(lb);
  a.send(new Uint8Array(200_000));
  b.send(enc.encode('s'), { last: true });
  a.cancel();
  b.cancel();
  await sleep(20);
  await peer!.until(() => peer!.frames.length >= 12, 2000, 'frames');
  await sleep(20);
  const got = peer!.frames.map((f) => `${describe({ ...f, data: new Uint8Array(0) })}${f.done ? '' : ' +'}`);
  assert.equal(got, [
    'InvokeMetadata s1 m1', 'Invoke s1 m2', 'Message s1 m3 +', 'Message s1 m3 +', 'Message s1 m3 +', 'Message s1 m3',
    'InvokeMetadata s2 m1', 'Invoke s2 m2', 'Message s2 m3', 'CloseSend s2 m4',
    'Cancel s1 m4', 'Cancel s2 m5',
  ]);
  assert.equal([la.statuses[0]?.code, lb.statuses[0]?.code], [Code.CANCELLED, Code.CANCELLED]);
  assert.not.ok(client.closed);
  client.close();
  await listener.close();
});

test('a call cancelled before start or past its deadline fails without creating a stream', async () => {
  const { client, stop } = await setup();
  const c1 = client.createCall(ECHO, 'unary', {});
  c1.cancel();
  const io1 = new CallIO(c1);
  const c2 = client.createCall(ECHO, 'unary', { deadline: Date.now() - 5 });
  const io2 = new CallIO(c2);
  assert.equal([(await io1.status).code, (await io2.status).code], [Code.CANCELLED, Code.DEADLINE_EXCEEDED]);
  assert.is(client.lastStreamId, 0);
  assert.is(client.writeStats.packets, 0);
  await stop();
});

test('one stream failing does not disturb the others; a protocol violation ends them all with INTERNAL', async () => {
  const { client, stop } = await setup();
  const ticker = new CallIO(client.createCall('/drpcpeer.Peer/Ticker', 'server_stream', {}));
  void ticker.write(enc.encode('t'), true);
  assert.is(dec.decode((await ticker.read())!), 't-1');
  const e = await unaryCall(client, '/drpcpeer.Peer/Fail', enc.encode('7:nope')).catch((x: unknown) => x as { code: number });
  assert.is((e as { code: number }).code, 7);
  assert.is(dec.decode((await ticker.read())!), 't-2');
  await stop();

  const listener = new PipeListener();
  let peer: RawDrpcPeer | undefined;
  await RawDrpcPeer.serve(listener, (p) => (peer = p));
  const c = (await connectDrpc(listener, { multiplex: true })) as DrpcMuxClientSession;
  const ios = [1, 2, 3].map(() => new CallIO(c.createCall('/x.Y/Z', 'bidi', {})));
  for (const io of ios) void io.write(enc.encode('hi'));
  await sleep(10);
  await peer!.until(() => peer!.frames.length >= 6, 2000, 'three streams');
  peer!.send(concat(frameBytes(PacketKind.Message, 2, 3, 'a'), frameBytes(PacketKind.Message, 2, 1, 'b')));
  const codes = await Promise.all(ios.map(async (io) => (await io.status).code));
  assert.equal(codes, [Code.INTERNAL, Code.INTERNAL, Code.INTERNAL]);
  assert.ok(c.closed);
  await listener.close();
});

test('frames of one turn go out in one write (256 concurrent calls), both directions', async () => {
  const { client, server, stop } = await setup();
  await Promise.all(Array.from({ length: 256 }, (_, i) => unaryCall(client, ECHO, enc.encode(`${i}`))));
  assert.is(client.writeStats.packets, 256 * 3);
  assert.ok(client.writeStats.writes <= 2, `client wrote ${client.writeStats.writes} times`);
  assert.is(server().writeStats.packets, 256 * 2);
  assert.ok(server().writeStats.writes <= 8, `server wrote ${server().writeStats.writes} times`);
  await stop();
});

test('the server refuses streams over maxConcurrentStreams with RESOURCE_EXHAUSTED', async () => {
  const { client, stop } = await setup({ maxConcurrentStreams: 2 });
  const tickers = [1, 2].map(() => new CallIO(client.createCall('/drpcpeer.Peer/Ticker', 'server_stream', {})));
  for (const t of tickers) void t.write(enc.encode('t'), true);
  for (const t of tickers) await t.read();
  const e = (await unaryCall(client, ECHO, enc.encode('x')).catch((x: unknown) => x)) as { code: number; rawMessage: string };
  assert.equal([e.code, e.rawMessage], [Code.RESOURCE_EXHAUSTED, 'too many concurrent streams: refused: at most 2 concurrent streams']);
  await stop();
});

test.run();
