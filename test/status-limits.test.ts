// A hostile ttrpc server cannot make a client's decoding allocate without
// limit: a received Status holds at most MAX_STATUS_DETAILS details (decoding
// stops there), repeated Status fields still merge, and the call fails alone
// with INTERNAL while its connection keeps serving.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_STATUS_DETAILS, decodeResponse, encodeResponse } from '../src/protocol/ttrpc/envelope.js';
import { FrameDecoder } from '../src/protocol/ttrpc/decoder.js';
import { MessageType, encodeFrame } from '../src/protocol/ttrpc/frame.js';
import { ProtocolError } from '../src/protocol/ttrpc/protocol-error.js';
import { connectTtrpc } from '../src/client/connect.js';
import { unaryCall } from './helpers/call-adapters.js';
import { RpcError } from '../src/status/rpc-error.js';
import { Code } from '../src/status/code.js';
import { status } from '../src/status/status.js';

const EMPTY = new Uint8Array(0);
const detail = { typeUrl: 't', value: new Uint8Array([1]) };

/** bomb is a Response whose Status holds ~2M empty details, its last one truncated. */
function bomb(): Uint8Array {
  const n = 2_000_000;
  const body = new Uint8Array(2 + 2 * n);
  body[0] = 0x08;
  body[1] = 0x0d; // code 13
  for (let i = 2; i < body.length; i += 2) body[i] = 0x1a; // details: empty Any
  body[body.length - 1] = 0x05; // the last one claims bytes that are not there
  const head = [0x0a, ...varint(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

test(`a Status with ${MAX_STATUS_DETAILS} details decodes; one more is refused`, () => {
  const ok = encodeResponse({ status: status(Code.INTERNAL, 'x', Array.from({ length: MAX_STATUS_DETAILS }, () => detail)), payload: EMPTY });
  assert.is(decodeResponse(ok).status?.details.length, MAX_STATUS_DETAILS);
  const over = encodeResponse({ status: status(Code.INTERNAL, 'x', Array.from({ length: MAX_STATUS_DETAILS + 1 }, () => detail)), payload: EMPTY });
  assert.throws(() => decodeResponse(over), (e: unknown) => e instanceof ProtocolError && /more than 1024 details/.test((e as Error).message));
});

test('decoding stops at the limit: a 4 MiB details bomb is refused without reaching its truncated tail', () => {
  assert.throws(() => decodeResponse(bomb()), (e: unknown) => e instanceof ProtocolError && /more than 1024 details/.test((e as Error).message));
});

test('repeated Status fields still merge (code and message of the last, details of all)', () => {
  const one = encodeResponse({ status: status(Code.NOT_FOUND, 'a', [detail]), payload: EMPTY });
  const two = encodeResponse({ status: status(Code.INTERNAL, 'b', [detail, detail]), payload: EMPTY });
  const both = new Uint8Array(one.length + two.length);
  both.set(one);
  both.set(two, one.length);
  const s = decodeResponse(both).status!;
  assert.equal([s.code, s.message, s.details.length], [Code.INTERNAL, 'b', 3]);
});

test('over a unix socket: the call fails with INTERNAL, the client connection serves the next call', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'rr-st-')), 's.sock');
  const server = createServer((sock) => {
    const dec = new FrameDecoder({
      onFrame: (f) => {
        if (f.type !== MessageType.Request) return;
        const reply = f.streamId === 1 ? bomb() : encodeResponse({ payload: new Uint8Array([0x0a, 0x02, 0x68, 0x69]) });
        sock.write(encodeFrame(f.streamId, MessageType.Response, 0, reply, 1 << 30));
      },
    });
    sock.on('data', (c: Buffer) => dec.push(c));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  const client = await connectTtrpc(`unix://${path}`, { ttrpc: { maxMessageLength: 8 << 20 } });
  try {
    const err = await unaryCall(client, '/x.Y/Bomb', EMPTY).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RpcError, String(err));
    assert.is((err as RpcError).code, Code.INTERNAL);
    assert.match((err as RpcError).message, /status has more than 1024 details/);
    const reply = await unaryCall(client, '/x.Y/Hi', EMPTY);
    assert.equal([...reply], [0x0a, 0x02, 0x68, 0x69]);
  } finally {
    client.close();
    server.close();
  }
});

test.run();
