// The proto3 JSON mapping of `reactor-rpc call` against `reactor-rpc serve
// --echo`, both the real binary in their own processes over a unix socket:
// every well-known type (Timestamp, Duration, Any, FieldMask, Struct, Value,
// ListValue, NullValue, every wrapper, Empty) goes in as JSON, through the
// server and comes back printed in its canonical form; bad forms are one
// precise line with exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Daemon, type RunResult, run, sockAddress, start } from './helpers/cli-process.js';

const P = 'test/fixtures/protos/wkt/wkt.proto';
let echo: Daemon;
let stub: Daemon;

/** call runs `reactor-rpc call` on the echo server with one JSON request. */
function call(server: Daemon, method: string, data?: unknown): Promise<RunResult> {
  return run(['call', server.address, method, '--proto', P, ...(data === undefined ? [] : ['--data', JSON.stringify(data)])]);
}

/** roundTrip checks that `input` comes back printed as `want` (default: as it went in). */
async function roundTrip(method: string, input: unknown, want: unknown = input): Promise<void> {
  const r = await call(echo, method, input);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${JSON.stringify(want)}\n`);
}

/** limited maps with at most 3 processes at a time (many at once starve a small machine). */
async function limited<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 3) out.push(...(await Promise.all(items.slice(i, i + 3).map(f))));
  return out;
}

test.before(async () => {
  [echo, stub] = await Promise.all([start(['serve', P, '--listen', sockAddress('wkt-echo'), '--echo']), start(['serve', P, '--listen', sockAddress('wkt-stub')])]);
});

test.after(async () => {
  assert.is(await echo.stop('SIGTERM'), 0);
  assert.is(await stub.stop('SIGTERM'), 0);
});

test('every well-known type round-trips in its canonical JSON form', async () => {
  const canonical = {
    when: '1972-01-01T10:00:20.021Z',
    took: '1.500s',
    any: { '@type': 'type.googleapis.com/wkt.v1.Note', noteText: 'hi', size: '7' },
    mask: 'user.displayName,photo',
    struct: { n: 1.5, list: [true, null, 'x'], inner: { deep: {} } },
    value: [1, 'two', { three: 3 }],
    list: [null, false, { k: 'v' }],
    d: 1.25,
    f: 0.1,
    i64: '-123',
    u64: '18446744073709551615',
    i32: -5,
    u32: 7,
    b: false,
    s: '',
    by: 'aGk=',
    empty: {},
    bigCount: '9007199254740993',
    kind: 'KIND_BIG',
    label: 'json_name wins',
    times: ['1970-01-01T00:00:00Z', '2024-02-29T23:59:59.000001Z'],
    durations: { neg: '-0.500s', zero: '0s' },
  };
  await roundTrip('Wkt/Echo', canonical);
});

test('accepted input forms print canonically: offsets, short fractions, snake_case names, enum numbers, URL-safe base64', async () => {
  await roundTrip(
    'Wkt/Echo',
    { when: '1972-01-01T12:00:20.5+02:00', took: '-1.000000001s', big_count: 42, kind: 1, display_name: 'proto name', by: '-_8=', times: ['2000-01-01T00:00:00.123456Z'] },
    { when: '1972-01-01T10:00:20.500Z', took: '-1.000000001s', by: '+/8=', bigCount: '42', kind: 'KIND_BIG', label: 'proto name', times: ['2000-01-01T00:00:00.123456Z'] },
  );
  await roundTrip('Wkt/Echo', { nothing: null, value: null, i64: 0, s: null }, { value: null, i64: '0' });
});

test('a well-known type inside Any is {"@type", "value"}; a top-level one is its bare form', async () => {
  const url = (t: string) => `type.googleapis.com/google.protobuf.${t}`;
  const inside: Array<[string, unknown]> = [
    ['Timestamp', '2001-02-03T04:05:06Z'],
    ['Duration', '3s'],
    ['FieldMask', 'a.bC'],
    ['Struct', { k: [1] }],
    ['Value', 'text'],
    ['ListValue', [1, null]],
    ['Int64Value', '-9'],
    ['UInt32Value', 9],
    ['StringValue', 'w'],
    ['BytesValue', 'AAE='],
    ['BoolValue', true],
    ['DoubleValue', 'NaN'],
    ['Empty', {}],
  ];
  await limited(inside, ([t, value]) => roundTrip('Wkt/EchoAny', { '@type': url(t), value }));
  await roundTrip('Wkt/EchoAny', { '@type': url('Any'), value: { '@type': 'type.googleapis.com/wkt.v1.Note', noteText: 'nested' } });
  await roundTrip('Wkt/EchoTime', '2038-01-19T03:14:08Z');
});

test('defaults: a Timestamp answer prints 1970-01-01T00:00:00Z, a present empty Timestamp field too', async () => {
  const now = await call(stub, 'Wkt/Now');
  assert.is(now.stdout, '"1970-01-01T00:00:00Z"\n', now.stderr);
  await roundTrip('Wkt/Echo', { when: '1970-01-01T00:00:00Z', took: '0s', i64: '0', s: '' });
  const empty = await call(stub, 'Wkt/Echo', { when: '2000-01-01T00:00:00Z' });
  assert.is(empty.stdout, '{}\n', empty.stderr);
});

test('bad well-known type forms: one precise line, exit 2', async () => {
  const cases: Array<[string, unknown, string]> = [
    ['Wkt/Echo', { when: 'yesterday' }, '--data.when: invalid Timestamp "yesterday" (want RFC 3339 like 1972-01-01T10:00:20.021Z)'],
    ['Wkt/Echo', { when: '2023-02-29T00:00:00Z' }, '--data.when: invalid Timestamp "2023-02-29T00:00:00Z" (want RFC 3339 like 1972-01-01T10:00:20.021Z)'],
    ['Wkt/Echo', { took: 90 }, '--data.took: invalid Duration 90 (want seconds like "1.5s" or "-0.001s")'],
    ['Wkt/Echo', { mask: ['a'] }, '--data.mask: invalid FieldMask ["a"] (want camelCase paths separated by commas, like "user.displayName,photo")'],
    ['Wkt/Echo', { any: { noteText: 'x' } }, '--data.any: invalid Any {"noteText":"x"} (want an object with "@type")'],
    ['Wkt/Echo', { any: { '@type': 'type.googleapis.com/no.Such' } }, '--data.any: unknown type "no.Such" in "@type" "type.googleapis.com/no.Such" (not in the loaded .proto files)'],
    ['Wkt/EchoAny', { '@type': 'type.googleapis.com/google.protobuf.Duration', seconds: 1 }, '--data: invalid Any {"@type":"type.googleapis.com/google.protobuf.Duration","seconds":1} (want "value" holding the google.protobuf.Duration)'],
    ['Wkt/Echo', { i64: 'many' }, '--data.i64: want an integer, got "many"'],
    ['Wkt/Echo', { b: 'yes' }, '--data.b: want true or false, got "yes"'],
    ['Wkt/Echo', { struct: [1] }, '--data.struct: want a JSON object for google.protobuf.Struct, got [1]'],
    ['Wkt/Echo', { empty: { x: 1 } }, '--data.empty: invalid Empty {"x":1} (want {})'],
    ['Wkt/Echo', { kind: 'KIND_HUGE' }, '--data.kind: want one of KIND_UNSPECIFIED, KIND_BIG, got "KIND_HUGE"'],
    ['Wkt/Echo', { whenever: 1 }, '--data: unknown field "whenever" in wkt.v1.All'],
  ];
  const results = await limited(cases, ([m, data]) => call(echo, m, data));
  results.forEach((r, i) => {
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`reactor-rpc call: ${cases[i]![2]}`), `${r.stderr} does not start with ${cases[i]![2]}`);
  });
});

test.run();
