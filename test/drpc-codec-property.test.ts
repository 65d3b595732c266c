/**
 * Property tests of the drpc wire codec (fast-check): arbitrary bytes in any
 * chunking only ever raise DrpcProtocolError and decode the same way whatever
 * the chunking; encodings round-trip; split → frames → bytes → frames →
 * packet returns the packet for any payload and split size.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  DrpcProtocolError,
  FrameDecoder,
  PacketAssembler,
  PacketKind,
  StreamAssemblers,
  decodeErrorPayload,
  decodeInvokeMetadata,
  encodeErrorPayload,
  encodeFrames,
  encodeInvokeMetadata,
  encodeVarint,
  readVarint,
  splitPacket,
  type Frame,
  type Packet,
} from '../src/protocol/drpc/index.js';
import { toHex } from './helpers/drpc-vectors.js';

const SEED = 20260501;
let totalRuns = 0;

/** check runs a property with a fixed seed and counts its runs. */
function check<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns: number): void {
  fc.assert(fc.property(arb, predicate), { numRuns, seed: SEED });
  totalRuns += numRuns;
}

/** cut splits bytes at the given (sorted, deduplicated) cut points. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

/** runAll decodes chunks with FrameDecoder + both assemblers + payload decoders; returns a transcript. */
function runAll(chunks: Uint8Array[], maxSize: number): string[] {
  const log: string[] = [];
  const decoder = new FrameDecoder({ maxFrameSize: maxSize });
  const upstream = new PacketAssembler({ maxPacketSize: maxSize });
  const perStream = new StreamAssemblers({ maxPacketSize: maxSize });
  let upstreamFailed = false;
  try {
    for (const chunk of chunks) {
      for (const f of decoder.decode(chunk)) {
        log.push(`F${f.kind}/${f.streamId}/${f.messageId}/${f.done}/${f.control}/${toHex(f.data)}`);
        try {
          if (!upstreamFailed) {
            const p = upstream.push(f);
            if (p?.kind === PacketKind.InvokeMetadata) log.push(`M${[...decodeInvokeMetadata(p.data)].join()}`);
            if (p?.kind === PacketKind.Error) log.push(`E${decodeErrorPayload(p.data).message}`);
          }
        } catch (err) {
          if (!(err instanceof DrpcProtocolError)) throw err;
          upstreamFailed = true;
          log.push(`U!${err.reason}`);
        }
        try {
          perStream.push(f);
        } catch (err) {
          if (!(err instanceof DrpcProtocolError)) throw err;
          log.push(`S!${err.reason}`);
          perStream.forget(f.streamId);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof DrpcProtocolError)) throw err;
    log.push(`D!${err.reason}`);
  }
  return log;
}

/** frameLike biases random bytes towards valid-looking frames so that assembly rules are reached. */
const frameLike = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.record({
        kind: fc.integer({ min: 0, max: 9 }),
        done: fc.boolean(),
        control: fc.boolean(),
        streamId: fc.integer({ min: 0, max: 4 }),
        messageId: fc.integer({ min: 0, max: 5 }),
        data: fc.uint8Array({ maxLength: 24 }),
      }).map((f) => encodeFrames([f])),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

test('arbitrary bytes, arbitrary chunking: only DrpcProtocolError escapes and chunking does not matter', () => {
  const input = fc.tuple(fc.oneof(fc.uint8Array({ maxLength: 80 }), frameLike), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 0, max: 40 }));
  check(input, ([bytes, points, max]) => {
    const whole = runAll([bytes], max);
    assert.equal(runAll(cut(bytes, points), max), whole);
  }, 30_000);
});

test('arbitrary bytes as InvokeMetadata or Error payload: only DrpcProtocolError escapes', () => {
  check(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    try {
      decodeInvokeMetadata(bytes);
    } catch (err) {
      if (!(err instanceof DrpcProtocolError)) throw err;
    }
    decodeErrorPayload(bytes);
  }, 20_000);
});

test('varints round-trip for every safe integer', () => {
  const value = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 21 }));
  check(value, (v) => {
    const bytes = encodeVarint(v);
    assert.equal(readVarint(bytes, 0), { value: v, next: bytes.length });
    assert.is(readVarint(bytes.subarray(0, bytes.length - 1), 0), undefined);
  }, 15_000);
});

test('split -> encode -> chunked decode -> assemble returns the packet', () => {
  const packet = fc.record({
    kind: fc.integer({ min: 0, max: 63 }),
    streamId: fc.integer({ min: 1, max: 2 ** 40 }),
    messageId: fc.integer({ min: 1, max: 2 ** 40 }),
    control: fc.boolean(),
    data: fc.uint8Array({ maxLength: 300 }),
  });
  const input = fc.tuple(packet, fc.integer({ min: -2, max: 64 }), fc.array(fc.nat(), { maxLength: 6 }));
  check(input, ([p, splitSize, points]) => {
    const frames = splitPacket(p, splitSize);
    frames.forEach((f, i) => assert.is(f.done, i === frames.length - 1));
    const bytes = encodeFrames(frames);
    const decoder = new FrameDecoder();
    const assembler = new PacketAssembler();
    const out: Packet[] = [];
    const seen: Frame[] = [];
    for (const chunk of cut(bytes, points)) {
      for (const f of decoder.decode(chunk)) {
        seen.push(f);
        const done = assembler.push(f);
        if (done) out.push(done);
      }
    }
    assert.is(seen.length, frames.length);
    assert.is(out.length, 1);
    assert.equal({ ...out[0]!, data: toHex(out[0]!.data) }, { ...p, data: toHex(p.data) });
  }, 20_000);
});

test('invoke metadata and error payloads round-trip', () => {
  const entries = fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 6 });
  check(entries, (pairs) => {
    assert.equal(decodeInvokeMetadata(encodeInvokeMetadata(pairs)), new Map(pairs));
  }, 10_000);
  check(fc.tuple(fc.maxSafeNat(), fc.string({ unit: 'binary', maxLength: 20 })), ([code, message]) => {
    assert.equal(decodeErrorPayload(encodeErrorPayload(code, message)), { code, rawCode: BigInt(code), message });
  }, 10_000);
});

test('at least 100,000 property runs in total', () => {
  assert.ok(totalRuns >= 100_000, `${totalRuns} runs`);
});

test.run();
