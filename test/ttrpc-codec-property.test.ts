import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  FrameDecoder, type Request, type Response, HEADER_LENGTH, MAX_MESSAGE_LENGTH, ProtocolError, decodeRequest,
  decodeResponse, decodeStatus, encodeFrame, encodeRequest, encodeRequestFrame, encodeResponse, encodeResponseFrame,
  requestSize, responseSize,
} from '../src/protocol/ttrpc/index.js';

const SEED = 20240611;
let totalRuns = 0;

/** check runs a property with a fixed seed and counts its runs toward the printed total. */
function check<T>(arb: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => void): void {
  fc.assert(fc.property(arb, predicate), { numRuns, seed: SEED });
  totalRuns += numRuns;
}

/** onlyProtocolErrors runs `f` and rethrows anything that is not a ProtocolError (ProtocolErrors are fine). */
function onlyProtocolErrors(f: () => unknown): void {
  try { f(); } catch (e) { if (!(e instanceof ProtocolError)) throw e; }
}

type Event = string;

/** reference parses a whole byte string non-incrementally: the oracle for the chunked decoder. */
function reference(bytes: Uint8Array, max: number): Event[] {
  const out: Event[] = [];
  let pos = 0;
  while (bytes.length - pos >= HEADER_LENGTH) {
    const v = new DataView(bytes.buffer, bytes.byteOffset + pos, HEADER_LENGTH);
    const len = v.getUint32(0);
    const head = `${v.getUint32(4)}/${v.getUint8(8)}/${v.getUint8(9)}`;
    if (len > max) {
      out.push(`oversize ${head} ${len}`);
    } else {
      if (bytes.length - pos - HEADER_LENGTH < len) break;
      out.push(`frame ${head} ${Buffer.from(bytes.subarray(pos + HEADER_LENGTH, pos + HEADER_LENGTH + len)).toString('hex')}`);
    }
    pos += HEADER_LENGTH + len;
  }
  return out;
}

/** runDecoder feeds `bytes` cut at `cuts`, decoding every frame's data with all envelope decoders. */
function runDecoder(bytes: Uint8Array, cuts: number[], max: number): Event[] {
  const out: Event[] = [];
  const d = new FrameDecoder({
    maxMessageLength: max,
    onFrame: (f) => {
      out.push(`frame ${f.streamId}/${f.type}/${f.flags} ${Buffer.from(f.data).toString('hex')}`);
      onlyProtocolErrors(() => decodeRequest(f.data));
      onlyProtocolErrors(() => decodeResponse(f.data));
      onlyProtocolErrors(() => decodeStatus(f.data));
    },
    onOversize: (o) => out.push(`oversize ${o.streamId}/${o.type}/${o.flags} ${o.length}`),
  });
  let off = 0;
  for (const c of [...cuts, bytes.length]) {
    const end = Math.min(Math.max(off, c), bytes.length);
    d.push(bytes.subarray(off, end));
    off = end;
    if (d.bufferedBytes > max + HEADER_LENGTH) throw new Error(`buffered ${d.bufferedBytes} > ${max + HEADER_LENGTH}`);
  }
  return out;
}

const maxArb = fc.constantFrom(0, 16, 64, 1000, MAX_MESSAGE_LENGTH);

/** protoish builds byte strings shaped like protobuf: random tags/wire types with plausible or broken contents. */
const protoField: fc.Arbitrary<Uint8Array> = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 }), fc.boolean())
  .map(([field, wt, content, honest]) => {
    const tag = (field << 3) | wt;
    const body = wt === 2 && honest ? [content.length, ...content] : [...content];
    return Uint8Array.from([tag, ...body]);
  });
const nested = fc.tuple(fc.constantFrom(0x0a, 0x1a, 0x2a), fc.array(protoField, { maxLength: 4 })).map(([tag, fs]) => {
  const inner = Buffer.concat(fs);
  return Uint8Array.from([tag, inner.length, ...inner]);
});
const protoish = fc.array(fc.oneof(protoField, nested), { maxLength: 8 }).map((fs) => new Uint8Array(Buffer.concat(fs)));

/** frameStream builds a stream of frames with small lengths (valid, oversize, and a ragged tail). */
const frameStream = fc.tuple(
  fc.array(fc.record({
    len: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.constant(-1)),
    id: fc.integer({ min: 0, max: 0xffffffff }),
    type: fc.integer({ min: 0, max: 255 }),
    flags: fc.integer({ min: 0, max: 255 }),
    body: fc.oneof(protoish, fc.uint8Array({ maxLength: 80 })),
  }), { maxLength: 8 }),
  fc.uint8Array({ maxLength: 12 }),
).map(([frames, tail]) => {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const body = f.len < 0 ? f.body : f.body.subarray(0, f.len);
    const h = new DataView(new ArrayBuffer(HEADER_LENGTH));
    h.setUint32(0, f.len < 0 ? body.length : f.len);
    h.setUint32(4, f.id);
    h.setUint8(8, f.type);
    h.setUint8(9, f.flags);
    parts.push(new Uint8Array(h.buffer), body, new Uint8Array(Math.max(0, f.len - body.length)));
  }
  parts.push(tail);
  return new Uint8Array(Buffer.concat(parts));
});

const cutsArb = fc.array(fc.integer({ min: 0, max: 800 }), { maxLength: 12 }).map((a) => a.sort((x, y) => x - y));

test('(a)+(c) arbitrary bytes and chunkings: only ProtocolError escapes, output matches the whole-buffer oracle, buffer stays bounded', () => {
  check(fc.tuple(fc.oneof(fc.uint8Array({ maxLength: 300 }), frameStream), cutsArb, maxArb), 40_000, ([bytes, cuts, max]) => {
    assert.equal(runDecoder(bytes, cuts, max), reference(bytes, max));
  });
});

test('(a) arbitrary and protobuf-shaped bytes into every envelope decoder: only ProtocolError escapes', () => {
  check(fc.oneof(fc.uint8Array({ maxLength: 64 }), protoish), 25_000, (bytes) => {
    onlyProtocolErrors(() => decodeRequest(bytes));
    onlyProtocolErrors(() => decodeResponse(bytes));
    onlyProtocolErrors(() => decodeStatus(bytes));
  });
});

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', minLength: 40, maxLength: 300 }));
const timeout = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53)));
const requestArb: fc.Arbitrary<Request> = fc.record({
  service: text,
  method: text,
  payload: fc.uint8Array({ maxLength: 200 }),
  timeoutNano: timeout,
  metadata: fc.array(fc.record({ key: text, value: text }), { maxLength: 4 }),
});
const responseArb: fc.Arbitrary<Response> = fc.record({
  status: fc.option(fc.record({
    code: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    message: text,
    details: fc.array(fc.record({ typeUrl: text, value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 3 }),
  }), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 200 }),
});

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x)));

test('(b) encode→decode round trip of arbitrary Requests (envelope and frame through the decoder)', () => {
  check(fc.tuple(requestArb, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 64 })), 15_000, ([req, id, chunk]) => {
    const bytes = encodeRequest(req);
    assert.is(bytes.length, requestSize(req));
    assert.equal(plain(decodeRequest(bytes)), plain(req));
    const frame = encodeRequestFrame(id, 2, req);
    const got: Request[] = [];
    const d = new FrameDecoder({ onFrame: (f) => { assert.is(f.streamId, id); got.push(decodeRequest(f.data)); } });
    for (let i = 0; i < frame.length; i += chunk) d.push(frame.subarray(i, i + chunk));
    assert.equal(plain(got), [plain(req)]);
  });
});

test('(b) encode→decode round trip of arbitrary Responses', () => {
  check(responseArb, 10_000, (res) => {
    const bytes = encodeResponse(res);
    assert.is(bytes.length, responseSize(res));
    assert.equal(plain(decodeResponse(bytes)), plain(res));
    assert.equal(encodeResponseFrame(1, res).subarray(HEADER_LENGTH), bytes);
  });
});

/** varint64 encodes a bigint as a protobuf int64 varint: the independent oracle for the number codec. */
function varint64(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u > 0x7fn) { out.push(Number(u & 0x7fn) | 0x80); u >>= 7n; }
  out.push(Number(u));
  return out;
}

test('(b) int64 timeouts: exact up to 2^53, clamped with the sign kept beyond', () => {
  const limit = 2n ** 53n;
  check(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -limit - 2n, max: limit + 2n })), 10_000, (v) => {
    const want = v > limit ? Number.MAX_SAFE_INTEGER : v < -limit ? -Number.MAX_SAFE_INTEGER : Number(v);
    const bytes = Uint8Array.from([0x20, ...varint64(v)]);
    assert.is(decodeRequest(bytes).timeoutNano, want);
    if (v !== 0n && v >= -limit && v <= limit) {
      assert.equal([...encodeRequest({ service: '', method: '', payload: new Uint8Array(0), timeoutNano: Number(v), metadata: [] })], [...bytes]);
    }
  });
});

test('(b) strings with lone surrogates: sizes match TextEncoder, text decodes as TextDecoder would', () => {
  const unit = fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff })).map((c) => String.fromCharCode(c));
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  check(fc.string({ unit, maxLength: 60 }), 10_000, (s) => {
    const req: Request = { service: s, method: '', payload: new Uint8Array(0), timeoutNano: 0, metadata: [{ key: s, value: s }] };
    const bytes = encodeRequest(req);
    assert.is(bytes.length, requestSize(req));
    const back = decodeRequest(bytes);
    const norm = dec.decode(enc.encode(s));
    assert.equal([back.service, back.metadata[0]?.key, back.metadata[0]?.value], [norm, norm, norm]);
  });
});

test('(c) larger frames around the limit: buffered bytes never exceed max + header', () => {
  const max = 1000;
  const arb = fc.tuple(fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 700 }));
  check(arb, 5_000, ([lens, chunk]) => {
    const bytes = Buffer.concat(lens.map((n, i) => {
      if (n <= max) return encodeFrame(i, 3, 0, new Uint8Array(n).fill(i));
      const h = new DataView(new ArrayBuffer(HEADER_LENGTH));
      h.setUint32(0, n);
      h.setUint32(4, i);
      return Buffer.concat([new Uint8Array(h.buffer), new Uint8Array(n)]);
    }));
    const cuts: number[] = [];
    for (let i = chunk; i < bytes.length; i += chunk) cuts.push(i);
    assert.equal(runDecoder(new Uint8Array(bytes), cuts, max), reference(new Uint8Array(bytes), max));
  });
});

test('property run count', () => {
  console.log(`\n  ttrpc codec properties: ${totalRuns} runs`);
  assert.ok(totalRuns >= 100_000, `${totalRuns} runs`);
});

test.run();
