// A ttrpc client call makes its ReceiveQueue lazily (only when a message has
// to wait, or when the connection's gate asks for it). These tests pin the
// receive behaviour the laziness must keep: messages that arrive before they
// are read wait and come out in order, request() inside onMessage does not
// deliver recursively, null is delivered exactly once, unread/queuedBytes and
// the gate's byte count follow the waiting messages, and unary replies.
// The server is a scripted peer writing raw frames over the in-memory pipe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CallListener, MethodKind } from '../src/call/call.js';
import { connectTtrpc } from '../src/client/connect.js';
import type { TtrpcClientCall } from '../src/protocol/ttrpc/client-call.js';
import type { TtrpcClientSession } from '../src/protocol/ttrpc/client-session.js';
import { FrameDecoder } from '../src/protocol/ttrpc/decoder.js';
import { encodeResponse } from '../src/protocol/ttrpc/envelope.js';
import { type Frame, Flags, MessageType, encodeFrame } from '../src/protocol/ttrpc/frame.js';
import type { Conn } from '../src/transport/conn.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { Code } from '../src/status/code.js';
import type { Status } from '../src/status/status.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (m: Uint8Array) => new TextDecoder().decode(m);
/** OVERHEAD is ReceiveQueue's per-message charge to the connection's gate. */
const OVERHEAD = 64;

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Peer is the scripted server side of one connection. */
interface Peer {
  client: TtrpcClientSession;
  frames: Frame[];
  /** write sends frames in one connection write. */
  write(...frames: Uint8Array[]): void;
  close(): Promise<void>;
}

async function peer(): Promise<Peer> {
  const listener = new PipeListener();
  const frames: Frame[] = [];
  let conn: Conn | undefined;
  listener.onConnection((c) => {
    conn = c;
    const d = new FrameDecoder({ onFrame: (f) => frames.push({ ...f, data: f.data.slice() }), maxMessageLength: 1 << 20 });
    c.start({ onData: (chunk) => d.push(chunk), onClose: () => {} });
  });
  const client = await connectTtrpc(listener);
  await until(() => conn !== undefined, 'the connection');
  return {
    client,
    frames,
    write: (...fs) => {
      const all = new Uint8Array(fs.reduce((n, f) => n + f.byteLength, 0));
      let at = 0;
      for (const f of fs) {
        all.set(f, at);
        at += f.byteLength;
      }
      conn!.write(all);
    },
    close: async () => {
      client.close();
      conn!.destroy();
      await listener.close();
    },
  };
}

const data = (id: number, s: string) => encodeFrame(id, MessageType.Data, 0, enc(s));
const closeData = (id: number) => encodeFrame(id, MessageType.Data, Flags.REMOTE_CLOSED | Flags.NO_DATA, new Uint8Array(0));
const response = (id: number, s: string) => encodeFrame(id, MessageType.Response, 0, encodeResponse({ payload: enc(s) }));

/** Recorder is a call listener writing what it sees as strings; `onMsg` runs inside onMessage. */
class Recorder implements CallListener {
  events: string[] = [];
  status: Status | undefined;
  onMsg: ((m: Uint8Array | null) => void) | undefined;
  onMessage(m: Uint8Array | null): void {
    this.events.push(m === null ? 'null' : dec(m));
    this.onMsg?.(m);
  }
  onWritable(): void {}
  onStatus(s: Status): void {
    this.status = s;
    this.events.push(`status:${s.code}`);
  }
}

/** open starts a call, sends its request and waits until the peer has the Request frame. */
async function open(p: Peer, kind: MethodKind, rec: Recorder, credits = 0): Promise<TtrpcClientCall> {
  const call = p.client.createCall('/test.Svc/M', kind) as TtrpcClientCall;
  call.start(rec);
  if (credits > 0) call.request(credits);
  call.send(enc('req'));
  await until(() => p.frames.some((f) => f.streamId === call.id && f.type === MessageType.Request), 'the Request frame');
  return call;
}

test('server stream: messages that arrive unread wait (unread, queuedBytes, gate) and come out in order on request', async () => {
  const p = await peer();
  const rec = new Recorder();
  const call = await open(p, 'server_stream', rec);
  assert.is(call.unread, 0);
  assert.is(call.queuedBytes, 0);
  p.write(data(call.id, 'a'), data(call.id, 'bb'), data(call.id, 'ccc'));
  await until(() => call.unread === 3, 'three queued messages');
  assert.equal(rec.events, []);
  assert.is(call.queuedBytes, 6);
  assert.is(p.client.gate.queuedBytes, 6 + 3 * OVERHEAD);
  call.request(2);
  assert.equal(rec.events, ['a', 'bb']);
  assert.is(call.unread, 1);
  assert.is(call.queuedBytes, 3);
  assert.is(p.client.gate.queuedBytes, 3 + OVERHEAD);
  call.request(1);
  assert.equal(rec.events, ['a', 'bb', 'ccc']);
  assert.is(call.unread, 0);
  assert.is(call.queuedBytes, 0);
  assert.is(p.client.gate.queuedBytes, 0);
  // A credit granted now takes the next message as soon as it arrives.
  call.request(1);
  p.write(data(call.id, 'd'), closeData(call.id));
  await until(() => rec.status !== undefined, 'the status');
  assert.equal(rec.events, ['a', 'bb', 'ccc', 'd', 'status:0']);
  call.request(1);
  call.request(1);
  assert.equal(rec.events, ['a', 'bb', 'ccc', 'd', 'status:0', 'null']);
  await p.close();
});

test('request() inside onMessage delivers the next message after the current one returns, in order', async () => {
  const p = await peer();
  const rec = new Recorder();
  let depth = 0;
  rec.onMsg = (m) => {
    depth++;
    rec.events.push(`depth:${depth}`);
    if (m !== null) call.request(1);
    rec.events.push(`after:${m === null ? 'null' : dec(m)}`);
    depth--;
  };
  const call = await open(p, 'server_stream', rec);
  p.write(data(call.id, 'x'), data(call.id, 'y'), data(call.id, 'z'), closeData(call.id));
  await until(() => rec.status !== undefined, 'the status');
  assert.is(call.unread, 3);
  assert.is(p.client.gate.queuedBytes, 0, 'the ended stream left the gate');
  call.request(1);
  assert.equal(rec.events, [
    'status:0',
    'x', 'depth:1', 'after:x',
    'y', 'depth:1', 'after:y',
    'z', 'depth:1', 'after:z',
    'null', 'depth:1', 'after:null',
  ]);
  assert.is(call.unread, 0);
  await p.close();
});

test('request() inside onMessage on a call that never queued: one message each, no recursion', async () => {
  const p = await peer();
  const rec = new Recorder();
  let depth = 0;
  let maxDepth = 0;
  rec.onMsg = (m) => {
    maxDepth = Math.max(maxDepth, ++depth);
    if (m !== null) call.request(1);
    depth--;
  };
  // The credit is there before the messages: each goes straight to the listener.
  const call = await open(p, 'server_stream', rec, 1);
  p.write(data(call.id, '1'), data(call.id, '2'));
  await until(() => rec.events.length === 2, 'two messages');
  assert.equal(rec.events, ['1', '2']);
  assert.is(call.unread, 0);
  assert.is(call.queuedBytes, 0);
  assert.is(p.client.gate.queuedBytes, 0);
  // The credit left by the last onMessage takes the end as it arrives.
  p.write(closeData(call.id));
  await until(() => rec.status !== undefined, 'the status');
  assert.equal(rec.events, ['1', '2', 'null', 'status:0']);
  assert.is(maxDepth, 1);
  await p.close();
});

test('end of stream: null is delivered once, when a credit comes after the end', async () => {
  const p = await peer();
  // A stream that ends with nothing queued.
  const rec = new Recorder();
  rec.onMsg = (m) => {
    if (m === null) call.request(1);
  };
  const call = await open(p, 'server_stream', rec);
  p.write(closeData(call.id));
  await until(() => rec.status !== undefined, 'the status');
  assert.equal(rec.events, ['status:0']);
  assert.is(call.unread, 0);
  call.request(1);
  assert.equal(rec.events, ['status:0', 'null']);
  call.request(5);
  assert.equal(rec.events, ['status:0', 'null']);

  // A stream that ends with a message waiting.
  const rec2 = new Recorder();
  rec2.onMsg = (m) => {
    if (m === null) call2.request(1);
  };
  const call2 = await open(p, 'server_stream', rec2);
  p.write(data(call2.id, 'last'), closeData(call2.id));
  await until(() => rec2.status !== undefined, 'the second status');
  assert.is(call2.unread, 1);
  assert.is(call2.queuedBytes, 4);
  call2.request(1);
  assert.equal(rec2.events, ['status:0', 'last']);
  call2.request(3);
  call2.request(1);
  assert.equal(rec2.events, ['status:0', 'last', 'null']);
  await p.close();
});

test('unary: the reply goes to a waiting credit; an early reply waits and is read after the status', async () => {
  const p = await peer();
  const rec = new Recorder();
  const call = await open(p, 'unary', rec, 1);
  p.write(response(call.id, 'pong'));
  await until(() => rec.status !== undefined, 'the status');
  assert.equal(rec.events, ['pong', 'status:0']);
  assert.is(call.unread, 0);
  assert.is(call.queuedBytes, 0);
  call.request(1);
  call.request(1);
  assert.equal(rec.events, ['pong', 'status:0', 'null']);

  // No credit yet: the reply waits (accounted to the gate only while the stream is open).
  const rec2 = new Recorder();
  const call2 = await open(p, 'unary', rec2);
  p.write(response(call2.id, 'late'));
  await until(() => rec2.status !== undefined, 'the second status');
  assert.equal(rec2.events, ['status:0']);
  assert.is(call2.unread, 1);
  assert.is(call2.queuedBytes, 4);
  assert.is(p.client.gate.queuedBytes, 0);
  call2.request(2);
  assert.equal(rec2.events, ['status:0', 'late', 'null']);
  assert.is(call2.unread, 0);
  await p.close();
});

test('receiveQueue made on demand keeps the credits and state of the call', async () => {
  const p = await peer();
  const rec = new Recorder();
  const call = await open(p, 'server_stream', rec, 1);
  const q = call.receiveQueue;
  assert.is(q.length, 0);
  assert.is(call.receiveQueue, q, 'the same queue every time');
  p.write(data(call.id, 'one'), data(call.id, 'two'));
  await until(() => rec.events.length === 1 && call.unread === 1, 'one message delivered, one queued');
  assert.equal(rec.events, ['one']);
  assert.is(q.length, 1);
  assert.is(p.client.gate.queuedBytes, 3 + OVERHEAD);
  call.request(1);
  assert.equal(rec.events, ['one', 'two']);
  assert.is(p.client.gate.queuedBytes, 0);
  // An open call's queue reports to the connection's gate.
  assert.is(q.stallTimeoutMs, 5000);

  // Made after the end was delivered: no second null, and no gate (the stream left the connection).
  const rec2 = new Recorder();
  const call2 = await open(p, 'server_stream', rec2);
  p.write(closeData(call2.id));
  await until(() => rec2.status !== undefined, 'the status');
  call2.request(1);
  assert.equal(rec2.events, ['status:0', 'null']);
  const q2 = call2.receiveQueue;
  assert.is(q2.stallTimeoutMs, 0);
  assert.ok(q2.isEnded);
  call2.request(1);
  assert.equal(rec2.events, ['status:0', 'null']);

  // Made after the end arrived with no credit: the end waits for one.
  const rec3 = new Recorder();
  const call3 = await open(p, 'server_stream', rec3);
  p.write(closeData(call3.id));
  await until(() => rec3.status !== undefined, 'the status');
  assert.is(call3.receiveQueue.stallTimeoutMs, 0);
  call3.request(2);
  call3.request(1);
  assert.equal(rec3.events, ['status:0', 'null']);

  // Made after skipUnread: detached from the gate, later messages are dropped.
  const rec4 = new Recorder();
  const call4 = await open(p, 'server_stream', rec4, 1);
  call4.skipUnread();
  assert.is(call4.receiveQueue.stallTimeoutMs, 0);
  p.write(data(call4.id, 'gone'), closeData(call4.id));
  await until(() => rec4.status !== undefined, 'the status');
  assert.equal(rec4.events, ['null', 'status:0']);
  assert.is(call4.unread, 0);
  await p.close();
});

test('skipUnread and cancel: waiting messages are dropped (gate too); a pending credit gets null on cancel', async () => {
  const p = await peer();
  const rec = new Recorder();
  const call = await open(p, 'server_stream', rec);
  p.write(data(call.id, 'a'), data(call.id, 'b'));
  await until(() => call.unread === 2, 'two queued messages');
  assert.is(p.client.gate.queuedBytes, 2 + 2 * OVERHEAD);
  call.skipUnread();
  assert.is(call.unread, 0);
  assert.is(call.queuedBytes, 0);
  assert.is(p.client.gate.queuedBytes, 0);
  call.request(1);
  assert.equal(rec.events, []);

  // A call that never queued: cancel with a credit out delivers null, then the status.
  const rec2 = new Recorder();
  const call2 = await open(p, 'server_stream', rec2, 1);
  call2.cancel();
  assert.equal(rec2.events, ['null', `status:${Code.CANCELLED}`]);
  call2.request(1);
  assert.equal(rec2.events, ['null', `status:${Code.CANCELLED}`]);
  // A late frame for it is dropped.
  p.write(data(call2.id, 'late'));
  await until(() => p.client.droppedFrames === 1, 'the dropped frame');
  assert.equal(rec2.events, ['null', `status:${Code.CANCELLED}`]);
  await p.close();
});

test.run();
