/**
 * drpc wire codec, piece by piece: varints, flags, frame parsing, the
 * incremental decoder, packet assembly rules, splitting, invoke metadata and
 * error payloads. Table-driven; the Go captures are covered in drpc-codec.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DrpcProtocolError,
  FrameDecoder,
  PacketAssembler,
  PacketKind,
  ProtocolErrorReason,
  StreamAssemblers,
  decodeErrorPayload,
  decodeFlag,
  decodeInvokeMetadata,
  encodeErrorPayload,
  encodeFlag,
  encodeFrame,
  encodeFrames,
  encodeInvokeMetadata,
  encodeVarint,
  parseFrame,
  readVarint,
  splitPacket,
  type Frame,
  type Packet,
} from '../src/protocol/drpc/index.js';
import { fromHex, toHex } from './helpers/drpc-vectors.js';

/** throwsReason asserts that `fn` throws a DrpcProtocolError with `reason`. */
function throwsReason(fn: () => unknown, reason: string, what = reason): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, DrpcProtocolError);
    assert.is((err as DrpcProtocolError).reason, reason, what);
    return;
  }
  assert.unreachable(`${what}: expected "${reason}"`);
}

/** frame builds a frame with defaults. */
function frame(streamId: number, messageId: number, kind: number, data: string, done = true, control = false): Frame {
  return { kind, done, control, streamId, messageId, data: new TextEncoder().encode(data) };
}

test('varints: spec examples, overlong forms, limits and need-more-bytes', () => {
  const table: Array<[number, string]> = [[0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [200, 'c801'], [300, 'ac02'], [65536, '808004'], [2 ** 32, '8080808010'], [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f']];
  for (const [value, hex] of table) {
    assert.is(toHex(encodeVarint(value)), hex, `encode ${value}`);
    assert.equal(readVarint(fromHex(hex), 0), { value, next: hex.length / 2 }, `decode ${hex}`);
  }
  assert.equal(readVarint(fromHex('8100'), 0), { value: 1, next: 2 }, 'overlong 81 00 accepted');
  assert.equal(readVarint(fromHex('80808080808080808000'), 0), { value: 0, next: 10 }, '10-byte overlong zero accepted');
  assert.is(readVarint(fromHex(''), 0), undefined);
  assert.is(readVarint(fromHex('808080808080808080'), 0), undefined, '9 continuation bytes: need more');
  throwsReason(() => readVarint(fromHex('8080808080808080808000'), 0), ProtocolErrorReason.VarintTooLong);
  throwsReason(() => readVarint(fromHex('808080808080808010'), 0), ProtocolErrorReason.VarintExceeds53Bits);
  throwsReason(() => readVarint(fromHex('8080808080808010'), 0), ProtocolErrorReason.VarintExceeds53Bits); // exactly 2^53
  throwsReason(() => readVarint(fromHex('ffffffffffffffff'), 0), ProtocolErrorReason.VarintExceeds53Bits); // known before the end
  for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) throwsReason(() => encodeVarint(bad), ProtocolErrorReason.InvalidValue);
});

test('flag byte: encode/decode as spec §3', () => {
  const table: Array<[number, number, boolean, boolean]> = [
    [0x03, 1, true, false], [0x02, 1, false, false], [0x05, 2, true, false], [0x04, 2, false, false], [0x07, 3, true, false],
    [0x89, 4, true, true], [0x09, 4, true, false], [0x0b, 5, true, false], [0x0d, 6, true, false], [0x0f, 7, true, false], [0x91, 8, true, true],
  ];
  for (const [flag, kind, done, control] of table) {
    assert.is(encodeFlag(kind, done, control), flag);
    assert.equal(decodeFlag(flag), { kind, done, control });
  }
  assert.equal(decodeFlag(0x44), { kind: 34, done: false, control: false }, "'D' of the DRPC!!!1 prefix");
  throwsReason(() => encodeFlag(64, true, false), ProtocolErrorReason.InvalidValue);
});

test('parseFrame: need more bytes, limit checked from the header alone', () => {
  const full = fromHex('0501020a68656c6c6f2064727063');
  for (let n = 0; n < full.length; n++) assert.is(parseFrame(full.subarray(0, n)), undefined, `prefix ${n}`);
  const parsed = parseFrame(full)!;
  assert.equal([parsed.frame.kind, parsed.frame.streamId, parsed.frame.messageId, parsed.next], [2, 1, 2, full.length]);
  assert.is(parsed.frame.data.buffer, full.buffer, 'data is a view');
  throwsReason(() => parseFrame(fromHex('05010281808002')), ProtocolErrorReason.FrameTooLarge); // 4 MiB + 1, header only
  assert.is(parseFrame(fromHex('05010280808002')), undefined, 'exactly 4 MiB is allowed');
  throwsReason(() => parseFrame(fromHex('0501020b'), 0, 10), ProtocolErrorReason.FrameTooLarge);
  assert.is(toHex(encodeFrame(frame(300, 2, 2, 'zz'))), '05ac020202' + '7a7a');
});

test('FrameDecoder: views for whole frames, copies for spanning ones, sticky errors after good frames', () => {
  const bytes = encodeFrames([frame(1, 1, 1, '/a.B/C'), frame(1, 2, 2, 'hello'), frame(1, 3, 6, '')]);
  const decoder = new FrameDecoder();
  const all = [...decoder.decode(bytes)];
  assert.is(all.length, 3);
  assert.is(all[1]!.data.buffer, bytes.buffer, 'single-chunk frame is not copied');
  const split = new FrameDecoder();
  assert.equal([...split.decode(bytes.subarray(0, 12))].length, 1);
  assert.is(split.buffered, 2);
  const spanning = [...split.decode(bytes.subarray(12))];
  assert.is(new TextDecoder().decode(spanning[0]!.data), 'hello');
  assert.is(spanning.length, 2);

  const bad = new FrameDecoder();
  const seen: Frame[] = [];
  const input = new Uint8Array([...encodeFrame(frame(1, 1, 2, 'ok')), ...fromHex('05010281808002')]);
  throwsReason(() => {
    for (const f of bad.decode(input)) seen.push(f);
  }, ProtocolErrorReason.FrameTooLarge);
  assert.is(seen.length, 1, 'the good frame came first');
  throwsReason(() => bad.next(), ProtocolErrorReason.FrameTooLarge);
  throwsReason(() => bad.push(new Uint8Array(1)), ProtocolErrorReason.FrameTooLarge);
  throwsReason(() => [...new FrameDecoder({ maxFrameSize: 4 }).decode(encodeFrame(frame(1, 1, 2, 'hello')))], ProtocolErrorReason.FrameTooLarge);
});

test('PacketAssembler (connection-wide): rules 1-5 of spec §6.2', () => {
  const run = (frames: Frame[], max?: number) => {
    const a = new PacketAssembler(max === undefined ? {} : { maxPacketSize: max });
    return frames.map((f) => a.push(f)).filter((p): p is Packet => p !== undefined).map((p) => `s${p.streamId}m${p.messageId}:${p.kind}:${new TextDecoder().decode(p.data)}${p.control ? '!' : ''}`);
  };
  assert.equal(run([frame(1, 1, 1, 'ab', false), frame(1, 1, 1, 'cd', false), frame(1, 1, 1, 'e')]), ['s1m1:1:abcde']);
  assert.equal(run([frame(1, 2, 2, 'abc', false), frame(1, 3, 2, 'xyz')]), ['s1m3:2:xyz'], 'new id drops the unfinished packet');
  assert.equal(run([frame(1, 1, 2, 'a'), frame(1, 5, 2, 'b'), frame(3, 1, 2, 'c'), frame(3, 2, 2, 'd')]).length, 4, 'ids may jump');
  assert.equal(run([frame(1, 1, 9, '', false, false), frame(1, 1, 9, 'x', true, true)]), ['s1m1:9:x!'], 'control bit is ORed');
  assert.equal(run([frame(1, 1, 2, '123456', false), frame(1, 1, 2, '7890')], 10), ['s1m1:2:1234567890'], 'exactly the limit');
  throwsReason(() => run([frame(1, 1, 2, '123456', false), frame(1, 1, 2, '78901')], 10), ProtocolErrorReason.DataOverflow);
  throwsReason(() => run([frame(1, 1, 2, '12345678901')], 10), ProtocolErrorReason.DataOverflow);
  throwsReason(() => run([frame(1, 1, 2, 'a', false), frame(1, 1, 6, '')]), ProtocolErrorReason.KindChange);
  throwsReason(() => run([frame(0, 1, 1, 'x')]), ProtocolErrorReason.IdMonotonicity);
  throwsReason(() => run([frame(1, 0, 1, 'x')]), ProtocolErrorReason.IdMonotonicity);
  throwsReason(() => run([frame(1, 1, 2, 'a'), frame(1, 1, 2, 'a')]), ProtocolErrorReason.IdMonotonicity);
  throwsReason(() => run([frame(2, 1, 2, 'a', false), frame(1, 9, 2, 'b')]), ProtocolErrorReason.IdMonotonicity);
  assert.equal(run([frame(2, 0, 2, 'a')]), ['s2m0:2:a'], 'message 0 on a higher stream passes, as upstream');
  const a = new PacketAssembler();
  a.push(frame(4, 7, 2, 'x', false));
  assert.equal([a.inProgress, a.currentId], [true, { streamId: 4, messageId: 7 }]);
  a.push(frame(4, 7, 2, 'y'));
  assert.equal([a.inProgress, a.currentId], [false, { streamId: 4, messageId: 8 }]);
});

test('PacketAssembler (per stream) and StreamAssemblers: interleaved streams, spec §15.3', () => {
  throwsReason(() => new PacketAssembler({ streamId: 0 }), ProtocolErrorReason.InvalidStream);
  const one = new PacketAssembler({ streamId: 5 });
  throwsReason(() => one.push(frame(6, 1, 2, 'x')), ProtocolErrorReason.InvalidStream);
  throwsReason(() => new PacketAssembler({ streamId: 5 }).push(frame(5, 0, 2, 'x')), ProtocolErrorReason.IdMonotonicity);
  const streams = new StreamAssemblers();
  const got: string[] = [];
  const feed = (f: Frame) => {
    const p = streams.push(f);
    if (p) got.push(`s${p.streamId}m${p.messageId}:${new TextDecoder().decode(p.data)}`);
  };
  [frame(2, 1, 2, 'B', false), frame(1, 1, 2, 'A', false), frame(2, 1, 2, 'b'), frame(1, 1, 2, 'a')].forEach(feed);
  assert.equal(got, ['s2m1:Bb', 's1m1:Aa']);
  throwsReason(() => feed(frame(1, 1, 2, 'again')), ProtocolErrorReason.IdMonotonicity);
  streams.forget(1);
  assert.is(streams.has(1), false);
  feed(frame(1, 1, 2, 'fresh'));
  assert.is(got.at(-1), 's1m1:fresh');
  throwsReason(() => feed(frame(0, 1, 2, 'x')), ProtocolErrorReason.InvalidStream);
  feed(frame(2, 2, 2, 'x', false));
  throwsReason(() => feed(frame(2, 2, 6, '')), ProtocolErrorReason.KindChange);
});
test('splitPacket follows Go: zero length, exact multiples, single-frame kinds, disabled and default sizes', () => {
  const packet = (kind: number, n: number): Packet => ({ kind, streamId: 3, messageId: 2, control: false, data: new Uint8Array(n).fill(7) });
  const shape = (frames: Frame[]) => frames.map((f) => `${f.data.length}${f.done ? '!' : ''}`).join(',');
  assert.is(shape(splitPacket(packet(PacketKind.Message, 0), 8)), '0!');
  assert.is(shape(splitPacket(packet(PacketKind.Message, 16), 8)), '8,8!');
  assert.is(shape(splitPacket(packet(PacketKind.Invoke, 19), 8)), '8,8,3!');
  assert.is(shape(splitPacket(packet(PacketKind.InvokeMetadata, 9), 8)), '8,1!');
  for (const kind of [PacketKind.Error, PacketKind.Cancel, PacketKind.Close, PacketKind.CloseSend, 9]) {
    assert.is(shape(splitPacket(packet(kind, 20), 8)), '20!');
  }
  assert.is(shape(splitPacket(packet(PacketKind.Message, 200_000), -1)), '200000!');
  assert.is(shape(splitPacket(packet(PacketKind.Message, 131_073), 0)), '65536,65536,1!');
  assert.is(shape(splitPacket(packet(PacketKind.Message, 131_073))), '65536,65536,1!');
  const cancel = splitPacket({ ...packet(PacketKind.Cancel, 0), control: true });
  assert.is(toHex(encodeFrames(cancel)), '89030200');
  assert.throws(() => splitPacket(packet(PacketKind.Message, 1), 1.5), (e: unknown) => e instanceof DrpcProtocolError);
});

test('invoke metadata: spec bytes, both fields always, last duplicate wins', () => {
  const spec = fromHex('0a1d0a0d617574686f72697a6174696f6e120c4265617265722074306b336e0a110a07782d74726163651206616263313233');
  const map = new Map([['authorization', 'Bearer t0k3n'], ['x-trace', 'abc123']]);
  assert.equal(decodeInvokeMetadata(spec), map);
  assert.is(toHex(encodeInvokeMetadata(map)), toHex(spec));
  assert.is(toHex(encodeInvokeMetadata([['', '']])), '0a040a001200');
  assert.is(encodeInvokeMetadata(new Map()).length, 0);
  assert.equal(decodeInvokeMetadata(new Uint8Array(0)), new Map());
  assert.equal(decodeInvokeMetadata(encodeInvokeMetadata([['k', 'one'], ['x', 'y'], ['k', 'two']])), new Map([['k', 'two'], ['x', 'y']]));
  const unicode = new Map([['ключ', 'värde ✓ 🚀'], ['a'.repeat(300), 'b'.repeat(70_000)]]);
  assert.equal(decodeInvokeMetadata(encodeInvokeMetadata(unicode), { maxMetadataBytes: 1 << 20 }), unicode, 'over the default 8 KiB only with a higher limit');
  assert.equal(decodeInvokeMetadata(fromHex('0a84000a001200')), new Map([['', '']]), 'overlong length varint');
});

test('invoke metadata: strict decoder rejects everything but the exact shape', () => {
  const bad: Record<string, string> = {
    'key only (probe metadata_key_only)': '0a030a016b',
    'value first': '0a061201760a016b',
    'extra field after value': '0a080a016b1201761a00',
    'wrong entry tag': '12060a016b120176',
    'truncated entry': '0a060a016b12',
    'key longer than the entry': '0a030a056b1200',
    'entry length missing': '0a040a0012000a',
    'wire type 2 with another field number': '0a061a016b120176',
    'value with varint wire type': '0a050a016b1001',
    'incomplete length varint': '0aff',
    'length varint above 2^53': '0a' + 'ff'.repeat(10) + '01',
  };
  for (const [what, hex] of Object.entries(bad)) throwsReason(() => decodeInvokeMetadata(fromHex(hex)), ProtocolErrorReason.InvalidMetadata, what);
});

test('error payload: 8-byte big-endian code + text, Go note for short data', () => {
  const captured = fromHex('000000000000002a736f6d657468696e672077656e742077726f6e67');
  assert.equal(decodeErrorPayload(captured), { code: 42, rawCode: 42n, message: 'something went wrong' });
  assert.is(toHex(encodeErrorPayload(42, 'something went wrong')), toHex(captured));
  assert.equal(decodeErrorPayload(fromHex('616263')), { code: 0, rawCode: 0n, message: 'abc (drpcwire note: invalid error data)' });
  assert.equal(decodeErrorPayload(new Uint8Array(0)).message, ' (drpcwire note: invalid error data)');
  assert.equal(decodeErrorPayload(new Uint8Array(8)), { code: 0, rawCode: 0n, message: '' });
  assert.is(decodeErrorPayload(encodeErrorPayload(Number.MAX_SAFE_INTEGER, 'ü')).code, Number.MAX_SAFE_INTEGER);
  const max = decodeErrorPayload(encodeErrorPayload((1n << 64n) - 1n, ''));
  assert.is(max.rawCode, (1n << 64n) - 1n);
  assert.is(toHex(encodeErrorPayload(12, '')), '000000000000000c');
  for (const bad of [-1, 0.5, 2 ** 53, 1n << 64n, -1n]) throwsReason(() => encodeErrorPayload(bad, 'x'), ProtocolErrorReason.InvalidValue);
});

test('DrpcProtocolError: an Error with a stable reason and Go-style text', () => {
  const err = new DrpcProtocolError(ProtocolErrorReason.IdMonotonicity, '<1,1> after <2,1>');
  assert.instance(err, Error);
  assert.is(err.name, 'DrpcProtocolError');
  assert.is(err.reason, 'id monotonicity violation');
  assert.is(err.message, 'protocol error: id monotonicity violation: <1,1> after <2,1>');
});

test.run();
