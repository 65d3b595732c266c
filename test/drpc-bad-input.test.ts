// Bad input to drpc sessions, both roles and both modes: every case ends in a
// clear status or a clean close of the connection, never a crash, and the
// server keeps serving new connections afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc } from '../src/client/connect.js';
import { serverStreamCall, unaryCall } from './helpers/call-adapters.js';
import { registerDrpcInterop } from './helpers/drpc-service.js';
import { PacketKind } from '../src/protocol/drpc/frame.js';
import { INVALID_ERROR_DATA_NOTE } from '../src/protocol/drpc/error-payload.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { RawDrpcPeer, concat, describe, frameBytes as f } from './helpers/raw-drpc.js';

const { Invoke, Message, Error: ErrorKind, CloseSend, InvokeMetadata } = PacketKind;
const enc = new TextEncoder();
const ECHO = '/drpcpeer.Peer/Echo';
const echoCall = (s: number, text: string) => concat(f(Invoke, s, 1, ECHO), f(Message, s, 2, text), f(CloseSend, s, 3));
const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** oversized builds a Message of more than 4 MiB from 64 KiB frames that are not done. */
function oversized(stream: number, message: number): Uint8Array {
  const chunk = new Uint8Array(65536);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 65; i++) parts.push(f(Message, stream, message, chunk, { done: false }));
  parts.push(f(Message, stream, message, 'end'));
  return concat(...parts);
}

/** SERVER_CASES: bytes sent to a server, and whether it must close the connection (else a following Echo on stream 9 must be answered). */
const SERVER_CASES: Array<{ name: string; bytes: Uint8Array; closes: boolean }> = [
  { name: 'varint with a 10th continuation byte', bytes: hex('03 ffffffffffffffffff ff 01 00'), closes: true },
  { name: 'varint above 2^53', bytes: hex('03 ffffffffffffffff7f 01 00'), closes: true },
  { name: 'kind 0 without the control bit', bytes: f(0, 1, 1), closes: true },
  { name: 'kind 0 with the control bit', bytes: f(0, 1, 1, '', { control: true }), closes: false },
  { name: 'unknown kind 20 without the control bit', bytes: f(20, 1, 1, 'x'), closes: true },
  { name: 'unknown kind 20 with the control bit', bytes: f(20, 1, 1, 'x', { control: true }), closes: false },
  { name: 'message ids going backwards', bytes: concat(f(Invoke, 1, 1, '/drpcpeer.Peer/Bidi'), f(Message, 1, 3, 'a'), f(Message, 1, 2, 'b')), closes: true },
  { name: 'Message before Invoke', bytes: f(Message, 1, 1, 'early'), closes: false },
  { name: 'metadata entry without a value', bytes: concat(f(InvokeMetadata, 1, 1, hex('0a03 0a016b')), f(Invoke, 1, 2, ECHO)), closes: true },
  { name: 'metadata with a truncated length', bytes: concat(f(InvokeMetadata, 1, 1, hex('0a08 0a016b')), f(Invoke, 1, 2, ECHO)), closes: true },
  { name: 'metadata with an extra field', bytes: concat(f(InvokeMetadata, 1, 1, hex('0a08 0a016b 120176 1a00')), f(Invoke, 1, 2, ECHO)), closes: true },
  { name: 'Error packet shorter than 8 bytes from the client', bytes: concat(f(Invoke, 1, 1, '/drpcpeer.Peer/Bidi'), f(ErrorKind, 1, 2, 'abc')), closes: false },
  { name: 'a packet over 4 MiB assembled from small frames', bytes: concat(f(Invoke, 1, 1, ECHO), oversized(1, 2)), closes: true },
  { name: 'Invoke on the running stream', bytes: concat(f(Invoke, 1, 1, '/drpcpeer.Peer/Bidi'), f(Invoke, 1, 2, ECHO)), closes: true },
  { name: 'stream id 0', bytes: f(Invoke, 0, 1, ECHO), closes: true },
];

for (const multiplex of [false, true]) {
  const mode = multiplex ? 'mux' : 'upstream';
  for (const c of SERVER_CASES) {
    test(`${mode} server: ${c.name} → ${c.closes ? 'connection closed' : 'connection kept'}`, async () => {
      const reg = new MethodRegistry();
      registerDrpcInterop(reg);
      const server = new CallServer(reg, { protocol: 'drpc', multiplex });
      const listener = new PipeListener();
      await server.listen(listener);
      const raw = await RawDrpcPeer.connect(listener);
      raw.send(c.bytes);
      if (c.closes) {
        await raw.until(() => raw.closed, 3000, 'the server to close');
      } else {
        await sleep(30);
        raw.send(echoCall(9, 'still here'));
        const reply = await raw.waitFor((x) => x.streamId === 9 && x.kind === CloseSend);
        assert.ok(reply);
        assert.ok(raw.frames.some((x) => describe(x) === 'Message s9 m1 "still here"'), raw.frames.map(describe).join(', '));
        assert.not.ok(raw.closed);
      }
      // The server survives and serves new connections.
      const t = await connectDrpc(listener, { multiplex, pool: false });
      assert.is(new TextDecoder().decode(await unaryCall(t, ECHO, enc.encode('alive'))), 'alive');
      t.close();
      raw.close();
      await server.close();
    });
  }
}

/** CLIENT_CASES: what a raw server answers to the client's Echo on stream 1, and the status the call must end with. */
const CLIENT_CASES: Array<{ name: string; reply: Uint8Array; code: Code | number; message?: string; closes: boolean }> = [
  { name: 'a bad varint', reply: hex('05 ffffffffffffffffffff01 01 00'), code: Code.INTERNAL, closes: true },
  { name: 'an Invoke from the server', reply: f(Invoke, 1, 1, ECHO), code: Code.INTERNAL, closes: true },
  { name: 'kind 0 without the control bit', reply: f(0, 1, 1), code: Code.INTERNAL, closes: true },
  { name: 'message ids going backwards', reply: concat(f(Message, 1, 2, 'a'), f(Message, 1, 1, 'b')), code: Code.INTERNAL, closes: true },
  { name: 'an Error packet shorter than 8 bytes', reply: f(ErrorKind, 1, 1, 'abc'), code: Code.UNKNOWN, message: `abc${INVALID_ERROR_DATA_NOTE}`, closes: false },
  { name: 'an Error with code 0', reply: f(ErrorKind, 1, 1, concat(new Uint8Array(8), enc.encode('plain'))), code: Code.UNKNOWN, message: 'plain', closes: false },
  { name: 'an Error with an application code', reply: f(ErrorKind, 1, 1, concat(hex('00000000000003e8'), enc.encode('k'))), code: 1000, message: 'k', closes: false },
  { name: 'two response messages to a unary call', reply: concat(f(Message, 1, 1, 'a'), f(Message, 1, 2, 'b')), code: Code.INTERNAL, closes: false },
  { name: 'CloseSend without a response', reply: f(CloseSend, 1, 1), code: Code.INTERNAL, closes: false },
  { name: 'a reply over 4 MiB assembled from small frames', reply: oversized(1, 1), code: Code.INTERNAL, closes: true },
  { name: 'unknown kind with the control bit, then the reply', reply: concat(f(20, 1, 1, 'x', { control: true }), f(Message, 1, 2, 'ok'), f(CloseSend, 1, 3)), code: Code.OK, closes: false },
];

for (const multiplex of [false, true]) {
  const mode = multiplex ? 'mux' : 'upstream';
  for (const c of CLIENT_CASES) {
    test(`${mode} client: ${c.name} → ${c.code === Code.OK ? 'OK' : `code ${c.code}`}${c.closes ? ', connection closed' : ''}`, async () => {
      const listener = new PipeListener();
      let peer: RawDrpcPeer | undefined;
      await RawDrpcPeer.serve(listener, (p) => (peer = p));
      const t = await connectDrpc(listener, { multiplex, pool: false });
      const call = unaryCall(t, ECHO, enc.encode('x')).then(() => undefined, (e: unknown) => e);
      await sleep(10);
      await peer!.until(() => peer!.frames.some((x) => x.kind === CloseSend), 2000, 'the request');
      peer!.send(c.reply);
      const e = await call;
      if (c.code === Code.OK) assert.is(e, undefined);
      else {
        assert.instance(e, RpcError);
        assert.is((e as RpcError).code, c.code, (e as RpcError).message);
        if (c.message !== undefined) assert.is((e as RpcError).rawMessage, c.message);
      }
      assert.is(t.closed, c.closes);
      if (c.closes) await peer!.until(() => peer!.closed, 2000, 'the client to close');
      t.close();
      await listener.close();
    });
  }
}

test('upstream client: a cancelled stream is abandoned with Cancel (0x89) and late replies are dropped', async () => {
  const listener = new PipeListener();
  let peer: RawDrpcPeer | undefined;
  await RawDrpcPeer.serve(listener, (p) => (peer = p));
  const t = await connectDrpc(listener, { pool: false });
  const ac = new AbortController();
  const p = (async () => {
    for await (const _ of serverStreamCall(t, '/drpcpeer.Peer/Ticker', enc.encode('t'), { signal: ac.signal })) void _;
  })().catch((e: unknown) => e);
  await sleep(10);
  await peer!.until(() => peer!.frames.length >= 3, 2000, 'the request');
  ac.abort();
  assert.is(((await p) as RpcError).code, Code.CANCELLED);
  await peer!.until(() => peer!.frames.length >= 4, 2000, 'the Cancel');
  assert.is(describe(peer!.frames[3]!), 'Cancel s1 m4');
  assert.ok(peer!.frames[3]!.control);
  // Late frames for stream 1 and the reply on stream 2.
  const second = unaryCall(t, ECHO, enc.encode('two'));
  await peer!.until(() => peer!.frames.some((x) => x.streamId === 2 && x.kind === CloseSend), 2000, 'the second request');
  peer!.send(concat(f(Message, 1, 1, 't-1'), f(Message, 2, 1, 'two'), f(CloseSend, 2, 2)));
  assert.is(new TextDecoder().decode(await second), 'two');
  assert.not.ok(t.closed);
  t.close();
  await listener.close();
});

test.run();
