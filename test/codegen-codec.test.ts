// Correctness of the codecs `reactor-rpc gen` writes, checked against
// protobufjs's reflection (the reference) on the kitchen fixture: round trips,
// byte-for-byte agreement both ways, packed and unpacked repeated scalars,
// unknown fields of every wire type, truncated input, the `long` modes, and the
// `--js` / `--cjs` output running under plain Node and type-checking strictly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { generate, writeGenerated } from '../src/codegen/generate.js';
import { loadProtos } from '../src/codegen/load.js';
import { Writer, long, type Reader } from '../src/protobuf/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const KITCHEN = join(root, 'test', 'fixtures', 'codegen', 'kitchen');
const INPUTS = [join(KITCHEN, 'kitchen.proto'), join(KITCHEN, 'legacy.proto')];
const TMP = mkdtempSync(join(tmpdir(), 'reactor-rpc-codegen-codec-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

/** Msg is a decoded (or init) message as the tests see it. */
type Msg = Record<string, unknown>;

/** GenCodec is the shape of a generated codec object, loosely typed for table-driven tests. */
interface GenCodec {
  readonly typeName: string;
  create(init?: Msg): Msg;
  encode(m: Msg, w?: Writer): Writer;
  decode(input: Reader | Uint8Array, length?: number): Msg;
  toBinary(m: Msg): Uint8Array;
  fromBinary(bytes: Uint8Array): Msg;
}
type Module = Record<string, GenCodec>;

/** genInto generates the kitchen fixture into a directory below TMP. */
function genInto(name: string, options: Omit<Parameters<typeof generate>[0], 'files' | 'protoPaths'>): string {
  const dir = join(TMP, name);
  writeGenerated(dir, generate({ files: INPUTS, protoPaths: [KITCHEN], ...options }));
  return dir;
}

/** importTs loads a generated TypeScript module (through tsx, which this process runs under). */
async function importTs(dir: string, file: string): Promise<Module> {
  return (await import(pathToFileURL(join(dir, file)).href)) as Module;
}

const SRC_IMPORTS = { importPath: join(root, 'src', 'index.js'), protobufImport: join(root, 'src', 'protobuf', 'index.js') } as const;
const tsDir = genInto('ts', { ...SRC_IMPORTS, mode: 'ts' });
const K = await importTs(tsDir, 'kitchen.ts');
const L = await importTs(tsDir, 'legacy.ts');
const ANY = await importTs(tsDir, 'google/protobuf/any.ts');

const ref = loadProtos(INPUTS, [KITCHEN]).root;

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const camel = (n: string): string => n.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isProto3Optional = (f: protobuf.Field): boolean => f.options?.['proto3_optional'] === true;
const realOneofOf = (f: protobuf.Field): protobuf.OneOf | null => (f.partOf && !isProto3Optional(f) ? f.partOf : null);
const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED = new Set(['uint64', 'fixed64']);

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;
const U64_MAX = 18446744073709551615n;

// ---------------------------------------------------------------------------
// Canonical form: one plain, comparable shape for our messages and for
// protobufjs's toObject. Keys are protobufjs field names; 64-bit integers are
// decimal strings; bytes are base64; floats are strings so -0 and NaN are
// compared exactly; a oneof is `{ case, value }` under the oneof's name; an
// unset field with presence is undefined.

/** canonScalar canonicalizes one scalar value of a field type (our side or protobufjs's toObject side). */
function canonScalar(type: string, v: unknown): unknown {
  if (LONGS.has(type)) {
    if (typeof v === 'object' && v !== null) return (protobuf.util.Long as unknown as { fromValue(v: unknown): { toString(): string } }).fromValue(v).toString();
    return String(v);
  }
  if (type === 'double' || type === 'float') return Object.is(v, -0) ? '-0' : String(v);
  if (type === 'bytes') return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('base64');
  return v;
}

/** canonValue canonicalizes one element of a field (scalar, enum or message). */
function canonValue(field: protobuf.Field, v: unknown, side: 'ours' | 'ref'): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return canon(t, v as Msg, side);
  if (t instanceof protobuf.Enum) return v;
  return canonScalar(field.type, v);
}

/** canonKey canonicalizes a map key (protobufjs keeps 64-bit keys as 8-character hashes). */
function canonKey(field: protobuf.MapField, k: string): string {
  if (LONGS.has(field.keyType)) {
    const l = protobuf.util.longFromKey(k, UNSIGNED.has(field.keyType));
    return typeof l === 'string' ? BigInt(l).toString() : String(l.toString());
  }
  return k;
}

/**
 * canon turns a message into the canonical form. side 'ours' reads our
 * representation (camelCase members, oneof unions); side 'ref' reads a
 * protobufjs message (toObject with longs String, enums Number, bytes String,
 * defaults, oneofs), taking presence from the message's own properties.
 */
function canon(type: protobuf.Type, msg: Msg | undefined | null, side: 'ours' | 'ref', refMsg?: protobuf.Message): Msg | undefined {
  if (msg == null) return undefined;
  let obj: Msg = msg;
  if (side === 'ref' && msg instanceof protobuf.Message) {
    refMsg = msg;
    obj = type.toObject(msg, { longs: String, enums: Number, bytes: String, defaults: true, arrays: true, objects: true, oneofs: true }) as Msg;
  }
  const out: Msg = {};
  for (const field of type.fieldsArray) {
    if (field.declaringField) continue;
    const key = side === 'ours' ? camel(field.name) : field.name;
    const o = realOneofOf(field);
    if (o) {
      const on = side === 'ours' ? camel(o.name) : o.name;
      if (side === 'ours') {
        const u = obj[on] as { case: string; value: unknown } | undefined;
        if (u?.case === camel(field.name)) out[o.name] = { case: field.name, value: canonValue(field, u.value, side) };
      } else if (obj[on] === field.name) out[o.name] = { case: field.name, value: canonValue(field, obj[field.name], side) };
      continue;
    }
    const v = obj[key];
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries((v ?? {}) as Msg).map(([k, x]): [string, unknown] => [side === 'ref' ? canonKey(field, k) : k, canonValue(field, x, side)]);
      out[field.name] = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    } else if (field.repeated) {
      out[field.name] = ((v ?? []) as unknown[]).map((x) => canonValue(field, x, side));
    } else {
      const present = field.resolvedType instanceof protobuf.Type || (field.hasPresence && !field.required);
      if (side === 'ref' && present && refMsg && !Object.prototype.hasOwnProperty.call(refMsg, field.name)) out[field.name] = undefined;
      else out[field.name] = v == null ? undefined : canonValue(field, v, side);
    }
  }
  return out;
}

/** refInput turns a canonical form into what protobufjs's fromObject takes. */
function refInput(type: protobuf.Type, c: Msg): Msg {
  const out: Msg = {};
  const value = (field: protobuf.Field, v: unknown): unknown => {
    if (field.resolvedType instanceof protobuf.Type) return refInput(field.resolvedType, v as Msg);
    if (field.type === 'double' || field.type === 'float') return Number(v);
    return v;
  };
  for (const field of type.fieldsArray) {
    if (field.declaringField) continue;
    const o = realOneofOf(field);
    if (o) {
      const u = c[o.name] as { case: string; value: unknown } | undefined;
      if (u?.case === field.name) out[field.name] = value(field, u.value);
      continue;
    }
    const v = c[field.name];
    if (v === undefined) continue;
    if (field instanceof protobuf.MapField) out[field.name] = Object.fromEntries(Object.entries(v as Msg).map(([k, x]) => [k, value(field, x)]));
    else if (field.repeated) out[field.name] = (v as unknown[]).map((x) => value(field, x));
    else out[field.name] = value(field, v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Cases: per message type, values covering the edge cases.

const Point = (x: number, y: number): Msg => ({ x, y });

/** CASES lists, per message, named inits (our representation). */
const CASES: { readonly codec: () => GenCodec; readonly type: string; readonly values: Record<string, Msg> }[] = [
  {
    codec: () => K['Scalars']!,
    type: 'kitchen.v1.Scalars',
    values: {
      empty: {},
      max: {
        fDouble: Number.MAX_VALUE, fFloat: Math.fround(3.4e38), fInt32: 2147483647, fInt64: I64_MAX, fUint32: 4294967295, fUint64: U64_MAX,
        fSint32: 2147483647, fSint64: I64_MAX, fFixed32: 4294967295, fFixed64: U64_MAX, fSfixed32: 2147483647, fSfixed64: I64_MAX,
        fBool: true, fString: 'héllo, wörld — 日本語 🌍\u0000end', fBytes: u8(0, 1, 127, 128, 255), fEnum: 2,
      },
      min: {
        fDouble: -Number.MAX_VALUE, fFloat: -Math.fround(3.4e38), fInt32: -2147483648, fInt64: I64_MIN, fSint32: -2147483648, fSint64: I64_MIN,
        fSfixed32: -2147483648, fSfixed64: I64_MIN, fEnum: 99,
      },
      minusOne: { fInt32: -1, fInt64: -1n, fSint32: -1, fSint64: -1n, fSfixed32: -1, fSfixed64: -1n, fUint32: 1, fUint64: 1n, fFixed64: 1n },
      nan: { fDouble: NaN, fFloat: NaN },
      negativeZero: { fDouble: -0, fFloat: -0 },
      infinity: { fDouble: Infinity, fFloat: -Infinity },
      tiny: { fDouble: 5e-324, fFloat: Math.fround(1.4e-45) },
      bigStrings: { fString: 'x'.repeat(70_000), fBytes: new Uint8Array(70_000).fill(7) },
    },
  },
  {
    codec: () => K['Repeated']!,
    type: 'kitchen.v1.Repeated',
    values: {
      empty: {},
      one: { ints: [1], longs: [1n], names: [''], blobs: [u8()], points: [{}], colors: [0], doubles: [0], fixeds: [0n] },
      full: {
        ints: [0, -1, 2147483647, -2147483648, 300],
        longs: [I64_MIN, -1n, 0n, 1n, I64_MAX],
        names: ['', 'a', '日本', '🌍'],
        blobs: [u8(), u8(1, 2, 3), new Uint8Array(300).fill(255)],
        points: [{}, Point(-1, 2), Point(2147483647, -2147483648)],
        colors: [0, 1, 2, 7],
        doubles: [0, -0, NaN, 1.5, -Infinity, Number.MIN_VALUE],
        fixeds: [0n, 1n, U64_MAX],
      },
    },
  },
  {
    codec: () => K['Maps']!,
    type: 'kitchen.v1.Maps',
    values: {
      empty: {},
      full: {
        labels: { '': '', a: 'b', ключ: 'значение', '42': 'numeric-looking key' },
        byId: { [-5]: Point(1, 0), 0: {}, 7: Point(-1, -2), 2147483647: Point(0, 1), [-2147483648]: {} },
        flags: { [String(I64_MIN)]: true, '0': false, [String(I64_MAX)]: true, '-1': false },
        colors: { true: 1, false: 0 },
        blobs: { '0': u8(), [String(U64_MAX)]: u8(9, 9), '4294967296': u8(1) },
      },
    },
  },
  {
    codec: () => K['Outer']!,
    type: 'kitchen.v1.Outer',
    values: {
      empty: {},
      textEmpty: { choice: { case: 'text', value: '' } },
      text: { choice: { case: 'text', value: 'ünïcode ✓' } },
      numberZero: { choice: { case: 'number', value: 0n } },
      numberMin: { choice: { case: 'number', value: I64_MIN } },
      numberMax: { choice: { case: 'number', value: I64_MAX } },
      nestedEmpty: { choice: { case: 'nested', value: {} } },
      nested: { choice: { case: 'nested', value: { text: 'in a oneof', mode: 1 } } },
      colorZero: { choice: { case: 'color', value: 0 } },
      color: { choice: { case: 'color', value: 2 } },
      optionalDefaults: { maybe: 0, maybeText: '' },
      optionalSet: { maybe: -7, maybeText: 'set' },
      messages: { inner: {}, inners: [{}, { text: 'a', mode: 1 }, { mode: 5 }], ownEmpty: {}, wktEmpty: {} },
      everything: {
        inner: { text: 'inner', mode: 1 },
        inners: [{ text: 'x' }],
        choice: { case: 'nested', value: { text: 'n' } },
        maybe: 2147483647,
        maybeText: '🙂',
        ownEmpty: {},
        wktEmpty: {},
      },
    },
  },
  {
    codec: () => K['WellKnown']!,
    type: 'kitchen.v1.WellKnown',
    values: {
      empty: {},
      zeros: { when: {}, took: {}, detail: {}, meta: {}, value: {}, count: {}, label: {}, mask: {} },
      full: {
        when: { seconds: -62135596800n, nanos: 999_999_999 },
        took: { seconds: -1n, nanos: -500 },
        detail: { typeUrl: 'type.googleapis.com/kitchen.v1.Outer', value: u8(0x1a, 0x01, 0x78) },
        meta: {
          fields: {
            nul: { kind: { case: 'nullValue', value: 0 } },
            num: { kind: { case: 'numberValue', value: -0 } },
            str: { kind: { case: 'stringValue', value: 'ß' } },
            boo: { kind: { case: 'boolValue', value: false } },
            obj: { kind: { case: 'structValue', value: { fields: { inner: { kind: { case: 'numberValue', value: 1.5 } } } } } },
            lst: { kind: { case: 'listValue', value: { values: [{ kind: { case: 'stringValue', value: '' } }, {}] } } },
            none: {},
          },
        },
        value: { kind: { case: 'listValue', value: { values: [] } } },
        count: { value: I64_MIN },
        label: { value: '' },
        mask: { paths: ['a.b', 'c_d', ''] },
      },
    },
  },
  {
    codec: () => L['Legacy']!,
    type: 'kitchen.legacy.Legacy',
    values: {
      minimal: {},
      defaults: { id: '', count: 0, data: u8() },
      declaredDefault: { id: 'x', count: 7 },
      full: { id: 'legacy ✓', count: -1, packedInts: [1, -1, 0, 2147483647], plainInts: [3, -3, 0], data: u8(0, 255) },
    },
  },
];

const typeOf = (name: string): protobuf.Type => ref.lookupType(name);

/** plain copies a value with every Uint8Array (a Buffer included: decoding a Buffer yields Buffers) as a plain Uint8Array, for deep equality. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

for (const c of CASES) {
  for (const [name, init] of Object.entries(c.values)) {
    const label = `${c.type} ${name}`;

    test(`${label}: fromBinary(toBinary(v)) equals create(v)`, () => {
      const codec = c.codec();
      const want = codec.create(init);
      const bytes = codec.toBinary(init);
      assert.equal(plain(codec.fromBinary(bytes)), plain(want));
      // -0 and NaN are not told apart by deep equality: compare canonical forms too.
      assert.equal(canon(typeOf(c.type), codec.fromBinary(bytes), 'ours'), canon(typeOf(c.type), want, 'ours'));
      // encoding the complete message gives the same bytes as encoding the init.
      assert.is(hex(codec.toBinary(want)), hex(bytes));
    });

    test(`${label}: protobufjs decodes our bytes, re-encodes them identically, and agrees on the value`, () => {
      const codec = c.codec();
      const T = typeOf(c.type);
      const bytes = codec.toBinary(init);
      const decoded = T.decode(bytes);
      assert.is(hex(T.encode(decoded).finish()), hex(bytes));
      assert.equal(canon(T, decoded as unknown as Msg, 'ref'), canon(T, codec.create(init), 'ours'));
    });

    test(`${label}: we decode what protobufjs encodes from the same data`, () => {
      const codec = c.codec();
      const T = typeOf(c.type);
      const expected = canon(T, codec.create(init), 'ours')!;
      const refMsg = T.fromObject(refInput(T, expected));
      const bytes = T.encode(refMsg).finish();
      const ours = codec.fromBinary(bytes);
      assert.equal(canon(T, ours, 'ours'), expected);
      assert.equal(plain(ours), plain(codec.create(init)));
    });
  }
}

test('float fields round to float32 on both sides', () => {
  const S = K['Scalars']!;
  const T = typeOf('kitchen.v1.Scalars');
  for (const f of [0.1, 1 / 3, 16777217, 3.4028235e38, 1e-46, -123.456]) {
    const back = S.fromBinary(S.toBinary({ fFloat: f }));
    assert.ok(Object.is(back['fFloat'], Math.fround(f)), `${f} -> ${String(back['fFloat'])}`);
    const refBack = T.decode(S.toBinary({ fFloat: f })) as unknown as Msg;
    assert.ok(Object.is(refBack['fFloat'] ?? 0, back['fFloat']), `protobufjs read ${String(refBack['fFloat'])}`);
  }
});

test('proto3 optional set to its default and a empty oneof case are written; implicit defaults are not', () => {
  const O = K['Outer']!;
  assert.is(hex(O.toBinary({ maybe: 0 })), '3800');
  assert.is(hex(O.toBinary({ maybeText: '' })), '4200');
  assert.is(hex(O.toBinary({ choice: { case: 'text', value: '' } })), '1a00');
  assert.is(hex(O.toBinary({ choice: { case: 'number', value: 0n } })), '2000');
  assert.is(hex(O.toBinary({ inner: {} })), '0a00');
  assert.is(hex(O.toBinary({})), '');
  assert.is(hex(K['Scalars']!.toBinary(K['Scalars']!.create())), '');
  assert.equal(O.fromBinary(u8(0x38, 0x00))['maybe'], 0);
  assert.equal(O.fromBinary(u8())['maybe'], undefined);
});

// ---------------------------------------------------------------------------
// (d) packed and unpacked repeated, unknown fields, truncation.

test('repeated scalars decode from packed and unpacked encodings, mixed', () => {
  const R = K['Repeated']!;
  const w = Writer.create();
  w.uint32(8).int32(1); // ints unpacked
  w.uint32(10).fork().int32(2).int32(-3).ldelim(); // ints packed
  w.uint32(8).int32(4);
  w.uint32(16).sint64(long('-5')); // longs unpacked
  w.uint32(18).fork().sint64(long(String(I64_MIN))).ldelim();
  w.uint32(48).int32(2); // colors unpacked
  w.uint32(50).fork().int32(1).int32(0).ldelim();
  w.uint32(58).fork().double(1.5).double(-0).ldelim(); // doubles ([packed=false]) sent packed
  w.uint32(57).double(NaN);
  w.uint32(65).fixed64(long(String(U64_MAX))); // fixeds unpacked
  w.uint32(66).fork().fixed64(7).ldelim();
  w.uint32(10).fork().ldelim(); // an empty packed run
  const bytes = w.finish();
  const m = R.fromBinary(bytes);
  assert.equal(m['ints'], [1, 2, -3, 4]);
  assert.equal(m['longs'], [-5n, I64_MIN]);
  assert.equal(m['colors'], [2, 1, 0]);
  assert.equal(canon(typeOf('kitchen.v1.Repeated'), m, 'ours')!['doubles'], ['1.5', '-0', 'NaN']);
  assert.equal(m['fixeds'], [U64_MAX, 7n]);
  assert.equal(canon(typeOf('kitchen.v1.Repeated'), m, 'ours'), canon(typeOf('kitchen.v1.Repeated'), typeOf('kitchen.v1.Repeated').decode(bytes) as unknown as Msg, 'ref'));

  const Lg = L['Legacy']!;
  const lw = Writer.create();
  lw.uint32(10).string('id');
  lw.uint32(24).int32(1); // packedInts sent unpacked
  lw.uint32(26).fork().int32(2).ldelim();
  lw.uint32(34).fork().int32(-1).int32(5).ldelim(); // plainInts sent packed
  lw.uint32(32).int32(6);
  const lm = Lg.fromBinary(lw.finish());
  assert.equal(lm['packedInts'], [1, 2]);
  assert.equal(lm['plainInts'], [-1, 5, 6]);
  // our encoder packs what is declared packed and leaves the rest unpacked
  assert.is(hex(Lg.toBinary({ id: '', packedInts: [1, 2], plainInts: [1, 2] })), '0a00' + '1a020102' + '2001' + '2002');
  assert.is(hex(R.toBinary({ doubles: [1] })), '39' + '000000000000f03f');
});

/** unknownFields writes one unknown field of every wire type (numbers far from the declared ones). */
function unknownFields(w: Writer): Writer {
  w.uint32((1000 << 3) | 0).uint64(long(String(U64_MAX))); // 10-byte varint
  w.uint32((1001 << 3) | 1).fixed64(1);
  w.uint32((1002 << 3) | 2).bytes(u8(1, 2, 3, 4));
  w.uint32((1003 << 3) | 3); // group: a varint and a nested group inside
  w.uint32((1 << 3) | 0).int32(5);
  w.uint32((2 << 3) | 3).uint32((3 << 3) | 5).fixed32(9).uint32((2 << 3) | 4);
  w.uint32((1003 << 3) | 4);
  w.uint32((1004 << 3) | 5).fixed32(7);
  w.uint32((3 << 3) | 5).fixed32(8); // a known field number (ints) with the wrong wire type
  return w;
}

test('unknown fields of every wire type are skipped, at top level, in nested messages and in map entries', () => {
  for (const c of CASES) {
    const codec = c.codec();
    for (const [name, init] of Object.entries(c.values)) {
      const bytes = codec.toBinary(init);
      const before = unknownFields(Writer.create()).finish();
      const after = unknownFields(Writer.create()).finish();
      const all = Buffer.concat([before, bytes, after]);
      assert.equal(canon(typeOf(c.type), codec.fromBinary(all), 'ours'), canon(typeOf(c.type), codec.create(init), 'ours'), `${c.type} ${name}`);
    }
  }
  // inside a nested message (Outer.inner) and a map entry (Maps.byId)
  const w = Writer.create();
  const inner = unknownFields(Writer.create().uint32(10).string('t')).uint32(16).int32(1).finish();
  w.uint32(10).bytes(inner);
  const m = K['Outer']!.fromBinary(w.finish());
  assert.equal(m['inner'], { text: 't', mode: 1 });
  const entry = unknownFields(Writer.create().uint32(8).int32(-3)).uint32(18).bytes(Writer.create().uint32(8).int32(4).finish()).finish();
  const maps = K['Maps']!.fromBinary(Writer.create().uint32(18).bytes(entry).finish());
  assert.equal(maps['byId'], { [-3]: { x: 4, y: 0 } });
});

test('map entries with the key or value left out take the defaults; a repeated key keeps the last value', () => {
  const M = K['Maps']!;
  const w = Writer.create();
  w.uint32(10).fork().uint32(18).string('only value').ldelim(); // labels: no key
  w.uint32(10).fork().uint32(10).string('k').ldelim(); // labels: no value
  w.uint32(18).fork().uint32(8).int32(3).ldelim(); // byId: no message value
  w.uint32(10).fork().uint32(10).string('k').uint32(18).string('again').ldelim();
  const m = M.fromBinary(w.finish());
  assert.equal(m['labels'], { '': 'only value', k: 'again' });
  assert.equal(m['byId'], { 3: { x: 0, y: 0 } });
});

test('truncated input throws wherever protobufjs throws, and decodes the same where it does not', () => {
  let throwsSeen = 0;
  for (const c of CASES) {
    const codec = c.codec();
    const T = typeOf(c.type);
    for (const [name, init] of Object.entries(c.values)) {
      const bytes = codec.toBinary(init);
      if (bytes.length > 2000) continue;
      for (let n = 0; n < bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        let refValue: Msg | undefined;
        let refThrew = false;
        try {
          refValue = canon(T, T.decode(cut) as unknown as Msg, 'ref');
        } catch {
          refThrew = true;
        }
        let oursValue: Msg | undefined;
        let oursError: unknown;
        try {
          oursValue = canon(T, codec.fromBinary(cut), 'ours');
        } catch (e) {
          oursError = e;
        }
        const where = `${c.type} ${name}: first ${n} of ${bytes.length} bytes (${hex(cut)})`;
        if (refThrew && !/missing required/.test(String(refValue))) {
          // protobufjs throws for a missing proto2 required field too: only a cut inside a field must throw here.
          const requiredOnly = (() => {
            try {
              T.decode(cut);
              return false;
            } catch (e) {
              return /missing required/.test(String(e));
            }
          })();
          if (!requiredOnly) {
            assert.ok(oursError instanceof Error, `${where}: decoded ${JSON.stringify(oursValue)} instead of throwing`);
            throwsSeen++;
            continue;
          }
        }
        assert.is(oursError, undefined, `${where}: threw ${String(oursError)}`);
        if (!refThrew) assert.equal(oursValue, refValue, where);
      }
    }
  }
  assert.ok(throwsSeen > 100, `only ${throwsSeen} truncations threw`);
});

test('hostile input: a length past the end, a bad wire type, and a huge packed run throw promptly', () => {
  const O = K['Outer']!;
  const R = K['Repeated']!;
  assert.throws(() => O.fromBinary(u8(0x0a, 0x05, 0x0a)), 'nested message longer than the input');
  assert.throws(() => O.fromBinary(u8(0x1a, 0x7f, 0x61)), 'string longer than the input');
  assert.throws(() => O.fromBinary(u8(0xfe, 0x01, 0x00)), 'wire type 6');
  assert.throws(() => O.fromBinary(u8(0xff, 0x01, 0x00)), 'wire type 7');
  assert.throws(() => R.fromBinary(u8(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01)), 'packed run of 4 GiB');
  assert.throws(() => R.fromBinary(u8(0x08, 0xff, 0xff, 0xff)), 'unterminated varint');
  assert.throws(() => R.fromBinary(u8(0x39, 0, 0, 0)), 'fixed64 cut short');
});

test('decode reads `length` bytes of a reader and leaves it after them (how nesting works)', () => {
  const O = K['Outer']!;
  const a = O.toBinary({ choice: { case: 'text', value: 'a' } });
  const b = O.toBinary({ maybe: 3 });
  const r = protobuf.Reader.create(Buffer.concat([a, b]));
  assert.equal(O.decode(r, a.length)['choice'], { case: 'text', value: 'a' });
  assert.is(r.pos, a.length);
  assert.is(O.decode(r, b.length)['maybe'], 3);
  assert.is(r.pos, r.len);
  // encode into a caller's writer, after other data
  const w = Writer.create().uint32(1);
  O.encode({ maybe: 3 }, w);
  assert.is(hex(w.finish()), '01' + hex(b));
});

test('Any packs and unpacks a generated message', async () => {
  const { packAny, unpackAny } = await import('../src/protobuf/index.js');
  const O = K['Outer']!;
  const any = packAny(O as never, { maybe: 1 } as never);
  assert.is(any.typeUrl, 'type.googleapis.com/kitchen.v1.Outer');
  const back = ANY['Any']!.fromBinary(ANY['Any']!.toBinary(any as unknown as Msg));
  assert.equal(plain(unpackAny(back as never, O as never)), plain(O.create({ maybe: 1 })));
  assert.is(unpackAny(back as never, K['Scalars'] as never), undefined);
});

// ---------------------------------------------------------------------------
// (e) --long string and --long number.

test('--long string types every 64-bit field as a decimal string', async () => {
  const dir = genInto('long-string', { ...SRC_IMPORTS, mode: 'ts', long: 'string' });
  const text = readFileSync(join(dir, 'kitchen.ts'), 'utf8');
  for (const f of ['fInt64', 'fUint64', 'fSint64', 'fFixed64', 'fSfixed64']) assert.match(text, `  ${f}: string;\n`);
  assert.match(text, 'longs: string[];');
  assert.match(text, "{ case: 'number'; value: string }");
  assert.match(readFileSync(join(dir, 'google/protobuf/timestamp.ts'), 'utf8'), 'seconds: string;');
  const m = await importTs(dir, 'kitchen.ts');
  const S = m['Scalars']!;
  assert.is(S.create()['fUint64'], '0');
  const init = { fInt64: String(I64_MIN), fUint64: String(U64_MAX), fSint64: '-1', fFixed64: String(U64_MAX), fSfixed64: String(I64_MAX) };
  const bytes = S.toBinary(init);
  const back = S.fromBinary(bytes);
  for (const [k, v] of Object.entries(init)) assert.is(back[k], v, k);
  // the same bytes as the bigint build, both ways
  assert.is(hex(bytes), hex(K['Scalars']!.toBinary(Object.fromEntries(Object.entries(init).map(([k, v]) => [k, BigInt(v)])))));
  const R = m['Repeated']!;
  assert.equal(R.fromBinary(R.toBinary({ longs: ['-2', '3'], fixeds: [String(U64_MAX)] })), R.create({ longs: ['-2', '3'], fixeds: [String(U64_MAX)] }));
  const O = m['Outer']!;
  assert.equal(O.fromBinary(O.toBinary({ choice: { case: 'number', value: String(I64_MIN) } }))['choice'], { case: 'number', value: String(I64_MIN) });
  const M = m['Maps']!;
  assert.equal(M.fromBinary(M.toBinary({ flags: { '-1': true } }))['flags'], { '-1': true });
  // a bigint in an init still converts
  assert.is(S.create({ fInt64: 5n } as Msg)['fInt64'], '5');
  assert.throws(() => S.toBinary({ fInt64: 'not a number' }), /invalid 64-bit integer/);
});

test('--long number types every 64-bit field as a number', async () => {
  const dir = genInto('long-number', { ...SRC_IMPORTS, mode: 'ts', long: 'number' });
  const text = readFileSync(join(dir, 'kitchen.ts'), 'utf8');
  for (const f of ['fInt64', 'fUint64', 'fSint64', 'fFixed64', 'fSfixed64']) assert.match(text, `  ${f}: number;\n`);
  assert.match(text, 'fixeds: number[];');
  assert.match(text, "{ case: 'number'; value: number }");
  const m = await importTs(dir, 'kitchen.ts');
  const S = m['Scalars']!;
  assert.is(S.create()['fInt64'], 0);
  const init = { fInt64: -Number.MAX_SAFE_INTEGER, fUint64: Number.MAX_SAFE_INTEGER, fSint64: -1, fFixed64: 2 ** 53, fSfixed64: -(2 ** 40) };
  const bytes = S.toBinary(init);
  const back = S.fromBinary(bytes);
  for (const [k, v] of Object.entries(init)) assert.is(back[k], v, k);
  assert.is(hex(bytes), hex(K['Scalars']!.toBinary(Object.fromEntries(Object.entries(init).map(([k, v]) => [k, BigInt(v)])))));
  // values beyond 2^53 lose precision, as documented, but do not throw
  assert.is(S.fromBinary(K['Scalars']!.toBinary({ fUint64: U64_MAX }))['fUint64'], 2 ** 64);
  assert.throws(() => S.toBinary({ fInt64: 1.5 }), /invalid 64-bit integer/);
});

// ---------------------------------------------------------------------------
// --js and --cjs output under plain Node, and strict type checks.

/** ensureDist builds dist/ when it is missing (the test runner builds it before the suite). */
function ensureDist(): void {
  if (existsSync(join(root, 'dist', 'index.js')) && existsSync(join(root, 'dist', 'protobuf.cjs'))) return;
  const r = spawnSync(process.execPath, [join(root, 'node_modules/rollup/dist/bin/rollup'), '-c'], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
}

/** runNode runs a script with plain node (no loader) and returns its stdout. */
function runNode(script: string, cwd: string): string {
  const r = spawnSync(process.execPath, [script], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `${script}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** CHILD_BODY encodes, decodes and makes a unary call over the in-memory pipe; the same text in ESM and CJS. */
const CHILD_BODY = `
  const bytes = Outer.toBinary({ choice: { case: 'number', value: -5n }, maybe: 0, inners: [{ text: 'é', mode: Outer_Inner_Mode.MODE_B }] });
  const back = Outer.fromBinary(bytes);
  const maps = Maps.fromBinary(Maps.toBinary({ byId: { [-1]: { x: 2 } }, colors: { true: Color.GREEN } }));
  const legacy = Legacy.fromBinary(Legacy.toBinary({ id: 'l', count: 0 }));
  const server = new Server().addService(KitchenService, {
    Echo: async (req) => ({ ...req, maybeText: 'echoed' }),
    Scalars: async () => ({}),
    Lists: async function* () {},
    Mapped: async function* () {},
    Known: async (req) => req,
  });
  const listener = new PipeListener();
  await server.listen(listener);
  const client = await Client.connect(listener);
  const kitchen = new KitchenClient(client);
  const reply = await kitchen.echo({ choice: { case: 'nested', value: { text: 'hi' } }, maybe: 0 });
  await client.close();
  await server.shutdown();
  const j = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() + 'n' : x));
  console.log(j({ hex: Buffer.from(bytes).toString('hex'), back, maps, legacy, reply }));
`;

const CHILD_EXPECTED = {
  hex: '1206' + '0a02c3a9' + '1001' + '20' + 'fbffffffffffffffff01' + '3800',
  back: { inners: [{ text: 'é', mode: 1 }], choice: { case: 'number', value: '-5n' }, maybe: 0 },
  maps: { labels: {}, byId: { '-1': { x: 2, y: 0 } }, flags: {}, colors: { true: 2 }, blobs: {} },
  legacy: { id: 'l', count: 0, packedInts: [], plainInts: [] },
  reply: { inners: [], choice: { case: 'nested', value: { text: 'hi', mode: 0 } }, maybe: 0, maybeText: 'echoed' },
};

/** CONSUMER is user code that must compile under the strictest options against the declarations. */
const CONSUMER = (from: (m: string) => string, lib: string): string => `
import { Outer, Maps, Scalars, KitchenClient, KitchenService, type Outer_Inner } from '${from('kitchen')}';
import { Color } from '${from('common/types')}';
import { Legacy } from '${from('legacy')}';
import { Client } from '${lib}';

const o: Outer = Outer.create({ choice: { case: 'number', value: 5n }, maybe: 0 });
const n: bigint | undefined = o.choice?.case === 'number' ? o.choice.value : undefined;
const inner: Outer_Inner | undefined = o.choice?.case === 'nested' ? o.choice.value : o.inner;
const bytes: Uint8Array = Outer.toBinary({ inners: [{ text: 'x' }] });
const back: Outer = Outer.fromBinary(bytes);
const maps = Maps.create({ byId: { [-1]: { x: 1 } }, colors: { true: Color.RED } });
const p = maps.byId[-1];
const x: number = p?.x ?? 0;
const s: Scalars = Scalars.create({ fUint64: 18446744073709551615n });
const u: bigint = s.fUint64;
const l: Legacy = Legacy.create({ id: 'a' });
const count: number | undefined = l.count;
// @ts-expect-error an int64 is a bigint, not a string
const bad: Scalars = { ...s, fInt64: '1' };
// @ts-expect-error a proto3 string is never undefined in a decoded message
const bad2: Scalars = { ...s, fString: undefined };
async function call(c: Client): Promise<string | undefined> {
  const k = new KitchenClient(c);
  const r: Outer = await k.echo({ maybeText: 'hi' });
  return r.maybeText;
}
export { n, inner, back, x, u, count, bad, bad2, call, KitchenService };
`;

/** typecheck runs the repo's tsc on a directory's files with the strict options. */
function typecheck(dir: string, files: string[]): void {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--noEmit', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), ...files];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, `tsc in ${dir}:\n${r.stdout}${r.stderr}`);
}

test('--js (ESM .js + .d.ts) runs under plain node and type-checks strictly', () => {
  ensureDist();
  const dir = genInto('esm', { importPath: join(root, 'dist', 'index.js'), protobufImport: join(root, 'dist', 'protobuf.js'), mode: 'esm' });
  assert.ok(existsSync(join(dir, 'kitchen.js')) && existsSync(join(dir, 'kitchen.d.ts')) && existsSync(join(dir, 'google/protobuf/struct.d.ts')));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const lib = join(root, 'dist', 'index.js');
  writeFileSync(
    join(dir, 'child.mjs'),
    `import { Server, Client, PipeListener } from '${lib}';\nimport { Outer, Outer_Inner_Mode, Maps, KitchenService, KitchenClient } from './kitchen.js';\nimport { Color } from './common/types.js';\nimport { Legacy } from './legacy.js';\n${CHILD_BODY}`,
  );
  assert.equal(JSON.parse(runNode('child.mjs', dir)), CHILD_EXPECTED);
  writeFileSync(join(dir, 'consumer.ts'), CONSUMER((m) => `./${m}.js`, lib));
  typecheck(dir, ['consumer.ts']);
});

test('--cjs (.cjs + .d.cts) runs under plain node and type-checks strictly', () => {
  ensureDist();
  const dir = genInto('cjs', { importPath: join(root, 'dist', 'index.cjs'), protobufImport: join(root, 'dist', 'protobuf.cjs'), mode: 'cjs' });
  assert.ok(existsSync(join(dir, 'kitchen.cjs')) && existsSync(join(dir, 'kitchen.d.cts')) && existsSync(join(dir, 'legacy.d.cts')));
  const lib = join(root, 'dist', 'index.cjs');
  writeFileSync(
    join(dir, 'child.cjs'),
    `const { Server, Client, PipeListener } = require('${lib}');\nconst { Outer, Outer_Inner_Mode, Maps, KitchenService, KitchenClient } = require('./kitchen.cjs');\nconst { Color } = require('./common/types.cjs');\nconst { Legacy } = require('./legacy.cjs');\n(async () => {${CHILD_BODY}})().catch((e) => { console.error(e); process.exit(1); });\n`,
  );
  assert.equal(JSON.parse(runNode('child.cjs', dir)), CHILD_EXPECTED);
  writeFileSync(join(dir, 'consumer.cts'), CONSUMER((m) => `./${m}.cjs`, lib));
  typecheck(dir, ['consumer.cts']);
});

test.run();
