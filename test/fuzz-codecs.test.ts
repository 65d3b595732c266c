// Fuzz targets for the two wire codecs: random and mutated-valid byte streams
// (the generators of the codec property tests, then bit flips, inserts,
// deletes, truncations and duplications), cut into random chunks, decoded
// with random pauses or pull schedules. Asserted for every input: only the
// documented error types escape (ttrpc: ProtocolError; drpc:
// DrpcProtocolError), output does not depend on chunking or pausing, and the
// memory held stays within the documented bounds. FUZZ_RUNS (default 100000
// per target) and FUZZ_SEED change the run; fast-check prints the seed and
// the replay path of a failing input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Code } from '../src/status/code.js';
import {
  FrameDecoder as TtrpcDecoder, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MetadataTooLargeError, PARTIAL_FRAME_SLACK, ProtocolError,
  type Request, type Response, decodeRequest, decodeResponse, decodeStatus, encodeFrame as encodeTtrpcFrame, encodeRequestFrame,
  encodeResponseFrame,
} from '../src/protocol/ttrpc/index.js';
import {
  BUFFER_SLACK, DrpcProtocolError, FrameDecoder as DrpcDecoder, MetadataTooLargeError as DrpcMetadataTooLargeError, PACKET_SLACK,
  PacketAssembler, PacketKind, ProtocolErrorReason, StreamAssemblers, decodeErrorPayload, decodeInvokeMetadata, encodeErrorPayload,
  encodeFrames, encodeInvokeMetadata, splitPacket, type Frame as DrpcFrame,
} from '../src/protocol/drpc/index.js';
import { ttrpcReference } from './helpers/ttrpc-reference.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260614);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
console.log(`fuzz-codecs: seed ${SEED}, ${RUNS} inputs per target (set FUZZ_SEED / FUZZ_RUNS to change, FUZZ_PATH to replay)`);

/** fuzz runs a property RUNS times from SEED; a failure reports the seed, the replay path and a shortened input. */
function fuzz<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void): void {
  const path = process.env.FUZZ_PATH;
  const r = fc.check(fc.property(arb, predicate), { numRuns: RUNS, seed: SEED, ...(path ? { path } : {}) });
  if (!r.failed) return;
  const input = JSON.stringify(r.counterexample, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v)) ?? '';
  throw new Error(`${name} failed: FUZZ_SEED=${r.seed} FUZZ_PATH=${r.counterexamplePath}\n${String(r.errorInstance).slice(0, 1500)}\ninput (${input.length} chars): ${input.slice(0, 600)}`);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

// ---------------------------------------------------------------------------
// Mutations and chunking shared by both targets

/** Mutation is one edit of a byte string: flip a bit, set a byte, insert, delete, truncate or duplicate a range. */
interface Mutation { op: number; at: number; value: number; len: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.integer({ min: 0, max: 5 }), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 12 }),
});

/** mutate applies the edits in order (positions wrap around the current length). */
function mutate(input: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of edits) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.op) {
      case 0: if (b.length) b[at] ^= 1 << (m.value & 7); break;
      case 1: if (b.length) b[at] = m.value; break;
      case 2: b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.len, m.value), b.subarray(at)]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]); break;
      case 4: b = b.subarray(0, at); break;
      default: b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
    }
  }
  return new Uint8Array(b);
}

/**
 * chunks cuts bytes at the given points (wrapped, sorted). Every chunk is a
 * fresh copy, as a socket read is, or with `pinned` a view into a buffer
 * several times larger (as a transport handing out slices would).
 */
function chunks(bytes: Uint8Array, points: readonly number[], pinned = false): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    if (pinned) {
      const host = new Uint8Array(3 * (p - prev) + 5000);
      host.set(bytes.subarray(prev, p), 17);
      out.push(host.subarray(17, 17 + p - prev));
    } else {
      out.push(bytes.slice(prev, p));
    }
    prev = p;
  }
  return out;
}

const cutsArb = fc.array(fc.nat(), { maxLength: 10 });
/** bulk is large data (4.5-40 KB, made once), so that some inputs go past the memory bounds' constant. */
const bulk = fc.constantFrom(...[4500, 9000, 20_000, 40_000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)));

/** digest is a short fingerprint of bytes (length and FNV-1a), cheaper to compare than hex for large frames. */
function digest(b: Uint8Array): string {
  if (b.length <= 32) return hex(b);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return `${b.length}#${(h >>> 0).toString(16)}`;
}
const editsArb = fc.array(mutationArb, { maxLength: 4 });

// ---------------------------------------------------------------------------
// ttrpc: FrameDecoder (with pauses) + decodeRequest / decodeResponse / decodeStatus

// Generators of test/ttrpc-codec-property.test.ts.
const protoField: fc.Arbitrary<Uint8Array> = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 }), fc.boolean())
  .map(([field, wt, content, honest]) => Uint8Array.from([(field << 3) | wt, ...(wt === 2 && honest ? [content.length, ...content] : content)]));
const nested = fc.tuple(fc.constantFrom(0x0a, 0x1a, 0x2a), fc.array(protoField, { maxLength: 4 })).map(([tag, fs]) => {
  const inner = Buffer.concat(fs);
  return Uint8Array.from([tag, inner.length, ...inner]);
});
const protoish = fc.array(fc.oneof(protoField, nested), { maxLength: 8 }).map((fs) => new Uint8Array(Buffer.concat(fs)));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 40 }));
const requestArb: fc.Arbitrary<Request> = fc.record({
  service: text, method: text, payload: fc.uint8Array({ maxLength: 60 }),
  timeoutNano: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53)),
  metadata: fc.array(fc.record({ key: text, value: text }), { maxLength: 5 }),
});
const responseArb: fc.Arbitrary<Response> = fc.record({
  status: fc.option(fc.record({
    code: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), message: text,
    details: fc.array(fc.record({ typeUrl: text, value: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 2 }),
  }), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 60 }),
});
const ttrpcFrameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(), fc.nat(255), requestArb).map(([id, flags, r]) => encodeRequestFrame(id, flags, r)) },
  { weight: 4, arbitrary: fc.tuple(fc.nat(), responseArb).map(([id, r]) => encodeResponseFrame(id, r)) },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(), fc.nat(255), fc.nat(255), fc.oneof(protoish, fc.uint8Array({ maxLength: 80 }))).map(([id, type, flags, d]) => encodeTtrpcFrame(id, type, flags, d)),
  },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), bulk).map(([id, d]) => encodeTtrpcFrame(id, 3, 0, d)) },
  {
    // An oversize or huge declared length followed by a few bytes.
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(MAX_MESSAGE_LENGTH + 1, 0xffffffff, 70_000, 5000), fc.uint8Array({ maxLength: 30 })).map(([len, tail]) => {
      const h = new Uint8Array(HEADER_LENGTH + tail.length);
      new DataView(h.buffer).setUint32(0, len);
      h.set(tail, HEADER_LENGTH);
      return h;
    }),
  },
);
const ttrpcStream = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 4, arbitrary: fc.tuple(fc.array(ttrpcFrameArb, { maxLength: 5 }), editsArb).map(([fs, edits]) => mutate(Buffer.concat(fs), edits)) },
);


/** envelopes runs every envelope decoder on frame data; only ProtocolError may escape, and its code must be the documented one. */
function envelopes(data: Uint8Array, limits: { maxMetadataEntries: number; maxMetadataBytes: number }): void {
  for (const decode of [() => decodeRequest(data), () => decodeRequest(data, limits), () => decodeResponse(data), () => decodeStatus(data)]) {
    try {
      const out = decode();
      if ('metadata' in out && Array.isArray(out.metadata)) assert.ok(out.metadata.length <= 1024, 'default entry limit');
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      const want = e instanceof MetadataTooLargeError ? Code.RESOURCE_EXHAUSTED : Code.INVALID_ARGUMENT;
      assert.is(e.code, want, e.message);
    }
  }
}

test(`ttrpc codec fuzz: ${RUNS} random and mutated-valid streams`, () => {
  const limitsArb = fc.record({ maxMetadataEntries: fc.integer({ min: 0, max: 4 }), maxMetadataBytes: fc.integer({ min: 0, max: 40 }) });
  const arb = fc.tuple(ttrpcStream, cutsArb, fc.array(fc.nat(12), { maxLength: 3 }), fc.constantFrom(0, 16, 100, MAX_MESSAGE_LENGTH), limitsArb, fc.boolean());
  fuzz('ttrpc codec', arb, ([bytes, cuts, pauseAt, max, limits, pinned]) => {
    const out: string[] = [];
    let events = 0;
    const pauses = new Set(pauseAt);
    const d = new TtrpcDecoder({
      maxMessageLength: max,
      onFrame: (f) => {
        out.push(`frame ${f.streamId}/${f.type}/${f.flags} ${digest(f.data)}`);
        envelopes(f.data, limits);
        if (pauses.has(events++)) d.pause();
      },
      onOversize: (o) => {
        out.push(`oversize ${o.streamId}/${o.type}/${o.flags} ${o.length}`);
        if (pauses.has(events++)) d.pause();
      },
    });
    for (const chunk of chunks(bytes, cuts, pinned)) {
      d.push(chunk);
      assert.ok(d.bufferedBytes <= max + HEADER_LENGTH, `buffered ${d.bufferedBytes}`);
      assert.ok(d.reservedBytes <= 2 * d.bufferedBytes + PARTIAL_FRAME_SLACK, `reserved ${d.reservedBytes} for ${d.bufferedBytes}`);
      if (d.paused && events % 2 === 0) d.resume();
    }
    while (d.paused) d.resume();
    assert.is(d.pendingBytes, 0);
    assert.equal(out, ttrpcReference(bytes, max, digest));
  });
});

// ---------------------------------------------------------------------------
// drpc: FrameDecoder (with pull schedules) + PacketAssembler + StreamAssemblers + InvokeMetadata / Error payloads

const mdArb = fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ maxLength: 12 })), { maxLength: 6 }).map((p) => encodeInvokeMetadata(p));
const packetArb = fc.record({
  kind: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 7), fc.integer({ min: 0, max: 63 })),
  streamId: fc.integer({ min: 0, max: 5 }),
  messageId: fc.integer({ min: 0, max: 6 }),
  control: fc.boolean(),
  data: fc.oneof(
    { weight: 12, arbitrary: fc.oneof(fc.uint8Array({ maxLength: 40 }), mdArb, fc.string({ maxLength: 20 }).map((s) => encodeErrorPayload(3, s))) },
    { weight: 1, arbitrary: bulk },
  ),
});
const drpcStream = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.array(fc.tuple(packetArb, fc.integer({ min: -1, max: 16 })), { maxLength: 6 }), editsArb)
      // Bulk data is split into frames of at least 2500 bytes (tens of thousands of one-byte frames would only be slow).
      .map(([ps, edits]) => mutate(Buffer.concat(ps.map(([p, split]) => encodeFrames(splitPacket(p, p.data.length > 1000 && split > 0 ? split * 2500 : split)))), edits)),
  },
);

/** onlyDrpcErrors runs `f`, rethrowing anything but a DrpcProtocolError; returns the error's reason, if any. */
function onlyDrpcErrors(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!(e instanceof DrpcProtocolError)) throw e;
    return e.reason;
  }
}

/** transcript decodes chunks with a pull schedule, assembling packets both ways; returns what a session would see. */
function transcript(parts: readonly Uint8Array[], pulls: ReadonlySet<number>, max: number, mdLimit: number): string[] {
  const log: string[] = [];
  const d = new DrpcDecoder({ maxFrameSize: max });
  const upstream = new PacketAssembler({ maxPacketSize: max });
  const streams = new StreamAssemblers({ maxPacketSize: max });
  const seen = new Set<number>();
  let upstreamFailed = false;
  const take = (f: DrpcFrame): void => {
    log.push(`F${f.kind}/${f.streamId}/${f.messageId}/${f.done}/${f.control}/${digest(f.data)}`);
    if (!upstreamFailed) {
      const reason = onlyDrpcErrors(() => {
        const p = upstream.push(f);
        assert.ok(upstream.reservedBytes <= 2 * upstream.partialBytes + PACKET_SLACK, `upstream ${upstream.reservedBytes} for ${upstream.partialBytes}`);
        if (p?.kind === PacketKind.InvokeMetadata) {
          const r = onlyDrpcErrors(() => {
            const m = decodeInvokeMetadata(p.data, { maxMetadataEntries: mdLimit });
            assert.ok(m.size <= mdLimit);
          });
          if (r === ProtocolErrorReason.MetadataTooLarge) onlyDrpcErrors(() => assert.throws(() => decodeInvokeMetadata(p.data, { maxMetadataEntries: mdLimit }), (e: unknown) => e instanceof DrpcMetadataTooLargeError));
          log.push(`M${r ?? ''}`);
        }
        if (p?.kind === PacketKind.Error) log.push(`E${decodeErrorPayload(p.data).message}`);
      });
      if (reason) {
        upstreamFailed = true;
        log.push(`U!${reason}`);
      }
    }
    seen.add(f.streamId);
    const reason = onlyDrpcErrors(() => void streams.push(f));
    if (reason) {
      log.push(`S!${reason}`);
      streams.forget(f.streamId);
    }
    const largest = streams.largestPartial();
    assert.ok(!largest || largest.reservedBytes <= streams.reservedBytes);
  };
  const reason = onlyDrpcErrors(() => {
    parts.forEach((chunk, i) => {
      d.push(chunk);
      assert.ok(d.reservedBytes <= 2 * d.buffered + BUFFER_SLACK, `decoder ${d.reservedBytes} for ${d.buffered}`);
      if (!pulls.has(i) && i !== parts.length - 1) return;
      for (let f = d.next(); f; f = d.next()) take(f);
      assert.ok(d.reservedBytes <= 2 * d.buffered + BUFFER_SLACK, `decoder ${d.reservedBytes} for ${d.buffered} after pulling`);
    });
  });
  if (reason) log.push(`D!${reason}`);
  for (const id of seen) streams.forget(id);
  assert.is(streams.reservedBytes, 0, 'every stream forgotten: nothing reserved');
  return log;
}

test(`drpc codec fuzz: ${RUNS} random and mutated-valid streams`, () => {
  const arb = fc.tuple(drpcStream, cutsArb, fc.array(fc.nat(10), { maxLength: 4 }), fc.constantFrom(0, 8, 40, 1 << 22), fc.integer({ min: 0, max: 5 }), fc.boolean());
  fuzz('drpc codec', arb, ([bytes, cuts, pulls, max, mdLimit, pinned]) => {
    const whole = transcript([bytes], new Set(), max, mdLimit);
    assert.equal(transcript(chunks(bytes, cuts, pinned), new Set(pulls), max, mdLimit), whole);
  });
});

test.run();
