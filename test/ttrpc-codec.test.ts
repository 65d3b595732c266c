import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { vectorDir, vectorFiles } from './helpers/vectors.js';
import { Code } from '../src/status/code.js';
import {
  FrameDecoder, type Frame, type OversizeInfo, type Request, type Response, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType,
  ProtocolError, decodeRequest, decodeResponse, encodeFrame, encodeRequest, encodeRequestFrame, encodeResponse,
  encodeResponseFrame, writeHeader,
} from '../src/protocol/ttrpc/index.js';

const DIR = pathToFileURL(vectorDir('ttrpc'));
const TRUNCATED = /^([0-9a-f]*)\.\.\.\((\d+) bytes\)$/;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

interface HexPayload { hex: string; len: number; truncated?: boolean }
interface DecodedFrame {
  stream_id: number; type: number; flags: number; length: number; header_hex: string;
  request?: { service: string; method: string; timeout_nano: number; payload: HexPayload; metadata?: { key: string; value: string }[] };
  response?: { status: { code: number; message: string } | null; payload: HexPayload };
  data?: HexPayload;
}
interface Scenario {
  scenario: string;
  client_to_server_hex: string[];
  server_to_client_hex: string[];
  decoded: { client_to_server: DecodedFrame[]; server_to_client: DecodedFrame[] };
}
interface Probe { probe: string; sent_hex: string[] | null; received_hex: string[] | null }

const files = vectorFiles('ttrpc');
const scenarios: Scenario[] = files
  .filter((f) => f !== 'edge_probes.json')
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as Scenario);

/** mulberry32 is a tiny seeded PRNG so random tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** feed pushes `bytes` in pieces chosen by `size` and returns the frames (data copied) plus oversize reports. */
function feed(bytes: Uint8Array, size: (left: number) => number, max?: number): { frames: Frame[]; oversize: OversizeInfo[]; peak: number } {
  const frames: Frame[] = [];
  const oversize: OversizeInfo[] = [];
  let peak = 0;
  const d = new FrameDecoder({ onFrame: (f) => frames.push({ ...f, data: f.data.slice() }), onOversize: (o) => oversize.push(o), maxMessageLength: max });
  for (let off = 0; off < bytes.length;) {
    const n = Math.max(1, Math.min(size(bytes.length - off), bytes.length - off));
    d.push(bytes.subarray(off, off + n));
    off += n;
    peak = Math.max(peak, d.bufferedBytes);
  }
  assert.ok(d.atFrameBoundary, 'stream ends on a frame boundary');
  assert.is(d.bufferedBytes, 0);
  return { frames, oversize, peak };
}

function decodeOne(frameHex: string): Frame {
  const out: Frame[] = [];
  new FrameDecoder({ onFrame: (f) => out.push(f) }).push(unhex(frameHex));
  assert.is(out.length, 1, 'exactly one frame');
  return out[0];
}

function checkPayload(actual: Uint8Array, expected: HexPayload, where: string): void {
  assert.is(actual.length, expected.len, `${where} payload length`);
  if (expected.truncated) assert.ok(hex(actual).startsWith(expected.hex), `${where} payload prefix`);
  else assert.is(hex(actual), expected.hex, `${where} payload`);
}

test('every vector file is present (iterated, not hard-coded)', () => {
  assert.is(files.length, 18);
  assert.ok(files.includes('edge_probes.json'));
});

test('vectors: headers and envelopes decode to the captured fields and re-encode byte-for-byte', () => {
  let checked = 0;
  for (const sc of scenarios) {
    for (const dir of ['client_to_server', 'server_to_client'] as const) {
      const frames = sc[`${dir}_hex`];
      const decoded = sc.decoded[dir];
      assert.is(frames.length, decoded.length, `${sc.scenario} ${dir} count`);
      frames.forEach((frameHex, i) => {
        const where = `${sc.scenario} ${dir} #${i}`;
        const want = decoded[i];
        const f = decodeOne(frameHex);
        assert.equal([f.streamId, f.type, f.flags, f.data.length], [want.stream_id, want.type, want.flags, want.length], where);
        assert.is(frameHex.slice(0, 2 * HEADER_LENGTH), want.header_hex, where);
        if (f.type === MessageType.Request && dir === 'client_to_server') {
          const req = decodeRequest(f.data);
          const w = want.request!;
          assert.equal([req.service, req.method, req.timeoutNano], [w.service, w.method, w.timeout_nano], where);
          checkPayload(req.payload, w.payload, where);
          assert.equal(req.metadata.map((kv) => ({ ...kv })), w.metadata ?? [], `${where} metadata`);
          assert.is(hex(encodeRequest(req)), hex(f.data), `${where} envelope re-encode`);
          assert.is(hex(encodeRequestFrame(f.streamId, f.flags, req)), frameHex, `${where} frame re-encode`);
        } else if (f.type === MessageType.Response) {
          const res = decodeResponse(f.data);
          const w = want.response!;
          if (w.status === null) assert.is(res.status, undefined, where);
          else assert.equal([res.status?.code, res.status?.message], [w.status.code, w.status.message], where);
          checkPayload(res.payload, w.payload, where);
          assert.is(hex(encodeResponseFrame(f.streamId, res)), frameHex, `${where} frame re-encode`);
        } else {
          assert.is(f.type, MessageType.Data, where);
          checkPayload(f.data, want.data!, where);
          assert.is(hex(encodeFrame(f.streamId, f.type, f.flags, f.data)), frameHex, `${where} frame re-encode`);
        }
        checked++;
      });
    }
  }
  assert.ok(checked >= 40, `checked ${checked} frames`);
});

test('vectors: one byte at a time and random chunk sizes yield the same frames', () => {
  const rand = rng(7);
  for (const sc of scenarios) {
    for (const dir of ['client_to_server', 'server_to_client'] as const) {
      const want = sc[`${dir}_hex`];
      const stream = concat(want.map(unhex));
      const sizes: ((left: number) => number)[] = [
        () => 1,
        () => 1 + Math.floor(rand() * 16),
        () => 1 + Math.floor(rand() * 70000),
        (left) => left,
      ];
      for (const size of sizes) {
        const { frames, oversize } = feed(stream, size);
        assert.is(oversize.length, 0);
        assert.equal(frames.map((f) => hex(encodeFrame(f.streamId, f.type, f.flags, f.data))), want, `${sc.scenario} ${dir}`);
      }
    }
  }
});

test('decoder: a frame inside one chunk is a zero-copy view; a spanning frame is one exact allocation', () => {
  const a = encodeFrame(1, 3, 0, unhex('0a0161'));
  const b = encodeFrame(3, 3, 0, new Uint8Array(1000).fill(7));
  const chunk = concat([a, b.subarray(0, 500)]);
  const got: Frame[] = [];
  const d = new FrameDecoder({ onFrame: (f) => got.push(f) });
  d.push(chunk);
  assert.is(got.length, 1);
  assert.is(got[0].data.buffer, chunk.buffer, 'zero-copy');
  assert.is(d.bufferedBytes, 500 - HEADER_LENGTH);
  d.push(b.subarray(500));
  assert.is(got.length, 2);
  assert.is(got[1].data.byteLength, 1000);
  assert.is(got[1].data.buffer.byteLength, 1000, 'exact allocation');
  assert.ok(got[1].data.every((x) => x === 7));
});

/** randomRequest builds a Request from the PRNG, covering empty fields, unicode and negative timeouts. */
function randomRequest(rand: () => number): Request {
  const words = ['', 'a', 'ttrpc.interop.v1.Echo', 'Echo', 'x'.repeat(45), 'é€😀', 'ключ', 'k'.repeat(300)];
  const pick = (): string => words[Math.floor(rand() * words.length)];
  const timeouts = [0, 1, -1, 99890887, 2 ** 31, -(2 ** 31), 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  const timeoutNano = rand() < 0.5 ? timeouts[Math.floor(rand() * timeouts.length)] : Math.floor((rand() - 0.5) * 2 ** 54);
  const payload = new Uint8Array(Math.floor(rand() * 3) === 0 ? 0 : Math.floor(rand() * 300)).map(() => Math.floor(rand() * 256));
  const metadata = Array.from({ length: Math.floor(rand() * 4) }, () => ({ key: pick(), value: pick() }));
  return { service: pick(), method: pick(), payload, timeoutNano, metadata };
}

function randomResponse(rand: () => number): Response {
  const payload = new Uint8Array(Math.floor(rand() * 200)).map(() => Math.floor(rand() * 256));
  if (rand() < 0.4) return { payload };
  const codes = [0, 1, 5, 12, 16, 99, -1, 2 ** 31 - 1, -(2 ** 31)];
  const details = Array.from({ length: Math.floor(rand() * 3) }, (_, i) => ({
    typeUrl: i % 2 ? '' : 'type.googleapis.com/google.rpc.ErrorInfo',
    value: new Uint8Array(Math.floor(rand() * 20)).fill(i + 1),
  }));
  return { status: { code: codes[Math.floor(rand() * codes.length)], message: rand() < 0.3 ? '' : 'thing not found ✓', details }, payload };
}

test('random round trips of envelopes and frames (seeded)', () => {
  const rand = rng(42);
  const frames: Uint8Array[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const req = randomRequest(rand);
    const bytes = encodeRequest(req);
    const back = decodeRequest(bytes);
    assert.equal({ ...back, payload: hex(back.payload) }, { ...req, payload: hex(req.payload) });
    assert.is(hex(encodeRequest(back)), hex(bytes));
    const res = randomResponse(rand);
    const rb = encodeResponse(res);
    const rback = decodeResponse(rb);
    assert.is(hex(encodeResponse(rback)), hex(rb));
    assert.is(hex(rback.payload), hex(res.payload));
    assert.equal(rback.status && { ...rback.status, details: rback.status.details.map((d) => [d.typeUrl, hex(d.value)]) },
      res.status && { ...res.status, details: res.status.details.map((d) => [d.typeUrl, hex(d.value)]) });
    const id = Math.floor(rand() * 2 ** 32);
    const f1 = encodeRequestFrame(id, Math.floor(rand() * 256), req);
    const f2 = encodeResponseFrame(id, res);
    frames.push(f1, f2);
    expected.push(hex(f1), hex(f2));
  }
  const { frames: out } = feed(concat(frames), () => 1 + Math.floor(rand() * 2000));
  assert.equal(out.map((f) => hex(encodeFrame(f.streamId, f.type, f.flags, f.data))), expected);
});

test('oversize: 4194305-byte frame is reported once and skipped without buffering, then the next frame arrives', () => {
  const header = new Uint8Array(HEADER_LENGTH);
  writeHeader(header, 0, MAX_MESSAGE_LENGTH + 1, 0x7fff0001, 1, 0, 0xffffffff);
  const next = encodeRequestFrame(3, 0, { service: 's', method: 'm', payload: unhex('0a026869'), timeoutNano: 0, metadata: [] });
  const stream = concat([header, new Uint8Array(MAX_MESSAGE_LENGTH + 1), next]);
  const { frames, oversize, peak } = feed(stream, () => 64 * 1024);
  assert.equal(oversize, [{ streamId: 0x7fff0001, type: 1, flags: 0, length: MAX_MESSAGE_LENGTH + 1 }]);
  assert.is(frames.length, 1);
  assert.is(hex(encodeFrame(frames[0].streamId, frames[0].type, frames[0].flags, frames[0].data)), hex(next));
  assert.ok(peak <= 64 * 1024, `peak buffered ${peak}`);
  assert.ok(peak < HEADER_LENGTH, 'nothing of the skipped body is buffered');
});

test('oversize: exactly 4 MiB is accepted; a non-zero first header byte counts as oversize', () => {
  const body = new Uint8Array(MAX_MESSAGE_LENGTH).fill(1);
  const { frames, peak } = feed(encodeFrame(1, 3, 0, body), () => 64 * 1024);
  assert.is(frames.length, 1);
  assert.is(frames[0].data.length, MAX_MESSAGE_LENGTH);
  assert.ok(peak <= MAX_MESSAGE_LENGTH + HEADER_LENGTH);
  const huge = unhex('ff00000000000005030000');
  const d = new FrameDecoder({ onFrame: () => assert.unreachable('no frame'), onOversize: (o) => assert.is(o.length, 0xff000000) });
  d.push(huge);
  assert.not.ok(d.atFrameBoundary);
  assert.is(d.bufferedBytes, 0);
});

test('oversize: encoders refuse instead of encoding', () => {
  const big = new Uint8Array(MAX_MESSAGE_LENGTH + 1);
  for (const f of [
    () => encodeFrame(1, 3, 0, big),
    () => encodeRequestFrame(1, 0, { service: 's', method: 'm', payload: new Uint8Array(MAX_MESSAGE_LENGTH), timeoutNano: 0, metadata: [] }),
    () => encodeResponseFrame(1, { payload: big }),
    () => writeHeader(new Uint8Array(10), 0, MAX_MESSAGE_LENGTH + 1, 1, 1, 0),
  ]) {
    try { f(); assert.unreachable('should throw'); } catch (e) {
      assert.instance(e, ProtocolError);
      assert.is((e as ProtocolError).code, Code.RESOURCE_EXHAUSTED);
    }
  }
  const ok = encodeFrame(1, 3, 0, new Uint8Array(MAX_MESSAGE_LENGTH));
  assert.is(ok.length, MAX_MESSAGE_LENGTH + HEADER_LENGTH);
});

test('envelope: Go-compatible encodings of defaults and edge values', () => {
  assert.is(hex(encodeResponse({ payload: new Uint8Array(0) })), '', 'success with empty result is zero bytes');
  assert.is(hex(encodeResponse({ status: { code: 0, message: '', details: [] }, payload: new Uint8Array(0) })), '0a00');
  const req = (timeoutNano: number): string => hex(encodeRequest({ service: '', method: '', payload: new Uint8Array(0), timeoutNano, metadata: [] }));
  assert.is(req(0), '');
  assert.is(req(-1), '20ffffffffffffffffff01');
  assert.is(req(2 ** 53), '208080808080808010');
  assert.is(decodeRequest(unhex('20ffffffffffffffffff01')).timeoutNano, -1);
  assert.is(decodeRequest(unhex('20ffffffffffffffff7f')).timeoutNano, Number.MAX_SAFE_INTEGER, 'int64 max clamps');
  assert.is(decodeRequest(unhex('2080808080808080808001')).timeoutNano, -Number.MAX_SAFE_INTEGER, 'int64 min clamps, keeps sign');
  assert.is(decodeRequest(unhex('208080808080808010')).timeoutNano, 2 ** 53, '2^53 exact');
  assert.is(decodeResponse(unhex('0a0b08ffffffffffffffffff01')).status?.code, -1, 'negative int32 code');
  assert.is(hex(encodeResponse({ status: { code: -1, message: '', details: [] }, payload: new Uint8Array(0) })), '0a0b08ffffffffffffffffff01');
  // unknown fields of every wire type are skipped; a field with an unexpected wire type is unknown too
  const withUnknown = unhex('0a01733099010d01020304112122232425262728ba0603616263180512016d');
  assert.equal({ ...decodeRequest(withUnknown), payload: [] }, { service: 's', method: 'm', payload: [], timeoutNano: 0, metadata: [] });
  // repeated status fields merge (last scalar wins, details append)
  const merged = decodeResponse(unhex('0a0508051201610a03120162'));
  assert.equal(merged.status && [merged.status.code, merged.status.message], [5, 'b']);
});

test('envelope: malformed input throws ProtocolError INVALID_ARGUMENT only', () => {
  const both = ['ff', 'ffffff', '0a05616263', '0a', '20', '20ffffffffffffffffffff01', '1b00', '1c', '0f', '07', '00',
    '09010203', '0d0102', '2a020a', 'f8ffffffff0f00', '8080808080808080808001'];
  const cases: [string, (b: Uint8Array) => unknown][] = [
    ...both.flatMap((h) => [[h, decodeRequest], [h, decodeResponse]] as [string, (b: Uint8Array) => unknown][]),
    ['2a030a0561', decodeRequest], ['2a050a01611202', decodeRequest],
    ['0a03080580', decodeResponse], ['0a041a020a05', decodeResponse], ['0a020880', decodeResponse],
  ];
  for (const [h, decode] of cases) {
    {
      try { decode(unhex(h)); assert.unreachable(`${h} should fail`); } catch (e) {
        assert.instance(e, ProtocolError, h);
        assert.is((e as ProtocolError).code, Code.INVALID_ARGUMENT, h);
      }
    }
  }
  for (const t of [0.5, Number.NaN, Infinity, 2 ** 63]) {
    assert.throws(() => encodeRequest({ service: '', method: '', payload: new Uint8Array(0), timeoutNano: t, metadata: [] }), (e: unknown) => e instanceof ProtocolError);
  }
});

test('edge probes: complete frames decode; truncated captures are recognised and checked against their header', () => {
  const doc = JSON.parse(readFileSync(new URL('edge_probes.json', DIR), 'utf8')) as { results: Record<string, Probe[]> };
  const expectCode: Record<string, number> = { even_stream_id: 3, stream_id_zero: 3, oversize_request: 8, garbage_request_body: 3 };
  let complete = 0;
  let truncated = 0;
  for (const [server, probes] of Object.entries(doc.results)) {
    for (const p of probes) {
      for (const [side, list] of [['sent', p.sent_hex ?? []], ['received', p.received_hex ?? []]] as const) {
        for (const h of list) {
          const where = `${server} ${p.probe} ${side}`;
          const m = TRUNCATED.exec(h);
          if (m) {
            const total = Number(m[2]);
            const head = unhex(m[1].slice(0, 2 * HEADER_LENGTH));
            assert.is(((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0, total - HEADER_LENGTH, where);
            truncated++;
            continue;
          }
          const f = decodeOne(h);
          if (p.probe === 'garbage_request_body' && side === 'sent') {
            assert.throws(() => decodeRequest(f.data), (e: unknown) => e instanceof ProtocolError, where);
          } else if (f.type === MessageType.Request) {
            assert.is(hex(encodeRequestFrame(f.streamId, f.flags, decodeRequest(f.data))), h, where);
          } else if (f.type === MessageType.Response) {
            const res = decodeResponse(f.data);
            if (side === 'received' && p.probe in expectCode && res.status) assert.is(res.status.code, expectCode[p.probe], where);
            assert.is(hex(encodeResponseFrame(f.streamId, res)), h, where);
          } else {
            assert.is(hex(encodeFrame(f.streamId, f.type, f.flags, f.data)), h, where);
          }
          complete++;
        }
      }
    }
  }
  assert.ok(complete > 60, `complete ${complete}`);
  assert.is(truncated, 7);
});

test.run();
