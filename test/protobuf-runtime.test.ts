// The 64-bit conversions of reactor-rpc/protobuf (what generated code calls
// for int64/uint64/sint64/fixed64/sfixed64) at the edges of their fast paths:
// safe integers travel as numbers, everything else as two 32-bit halves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reader, Writer, int64, int64Number, int64String, long, uint64, uint64Number, uint64String } from '../src/protobuf/index.js';

const P53 = 2n ** 53n;
const EDGES: bigint[] = [
  0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), P53 - 1n, -(P53 - 1n), P53, -P53, P53 + 1n, -(P53 + 1n),
  2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 0x1234_5678_9abc_def0n,
];
const KINDS = ['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64'] as const;

function roundTrip(kind: (typeof KINDS)[number], value: bigint | number | string): unknown {
  const bytes = new Writer()[kind](long(value)).finish();
  return new Reader(bytes)[kind]();
}

test('every 64-bit kind round-trips the edge values given as bigint, number and string', () => {
  for (const kind of KINDS) {
    const signed = !kind.includes('uint') && kind !== 'fixed64';
    for (const v of EDGES) {
      const want = signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
      const inputs: Array<bigint | number | string> = [v, v.toString()];
      if (v >= -(P53 - 1n) && v <= P53 - 1n) inputs.push(Number(v));
      for (const input of inputs) {
        const l = roundTrip(kind, input) as Parameters<typeof int64>[0];
        const where = `${kind} ${typeof input} ${v}`;
        assert.is(signed ? int64(l) : uint64(l), want, where);
        assert.is(signed ? int64String(l) : uint64String(l), want.toString(), where);
        assert.is(signed ? int64Number(l) : uint64Number(l), Number(want), where);
      }
    }
  }
});

test('long passes safe integers as numbers and splits the rest into halves', () => {
  assert.is(long(42n), 42);
  assert.is(long(-7), -7);
  assert.is(long(Number(P53 - 1n)), Number(P53 - 1n));
  assert.equal(long(P53), { low: 0, high: 0x200000 });
  assert.equal(long(-1n << 63n), { low: 0, high: 0x80000000 });
  assert.equal(long('18446744073709551615'), { low: 0xffffffff, high: 0xffffffff });
});

test('long refuses what is not an integer', () => {
  for (const bad of [1.5, Number.NaN, Infinity, '12x', '1e3']) {
    assert.throws(() => long(bad), /invalid 64-bit integer/, String(bad));
  }
});

test.run();
