/**
 * drpc wire codec against the Go captures: every scenario file in both
 * directions (frames, re-encoding, chunkings, packets, metadata, errors), the
 * edge probes, and table tests of the individual pieces.
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
  decodeInvokeMetadata,
  encodeFrame,
  encodeFrames,
  encodePacketInto,
  encodedPacketSize,
  isSplittable,
  kindName,
  parseFrame,
  type Frame,
  type Packet,
} from '../src/protocol/drpc/index.js';
import {
  type EdgeProbe,
  type VectorDirection,
  type VectorFrame,
  type VectorPacket,
  chunkBySizes,
  chunkRandomly,
  fromHex,
  loadEdgeProbes,
  loadScenarioVectors,
  mulberry32,
  sha256Hex,
  toHex,
} from './helpers/drpc-vectors.js';

const DIRECTIONS = ['client_to_server', 'server_to_client'] as const;
const utf8 = new TextDecoder();

/** Captures of the multiplexing fork that the upstream reader rejects (spec §15.2), by direction. */
const UPSTREAM_REJECTS: Record<string, readonly string[]> = {
  'interop_mux_client_upstream_server.json': ['client_to_server'],
  'mux_interleaved_bidi.json': ['client_to_server', 'server_to_client'],
  'mux_unary_during_stream.json': ['client_to_server', 'server_to_client'],
};

type Assembled = Packet & { frames: number };

/** decodeChunks runs a FrameDecoder over chunks and requires that nothing is left over. */
function decodeChunks(chunks: readonly Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const chunk of chunks) for (const frame of decoder.decode(chunk)) frames.push(frame);
  assert.is(decoder.buffered, 0, 'no bytes left over');
  return frames;
}

/** assemble feeds frames to an assembler, counting frames per packet; returns packets and any protocol error. */
function assemble(frames: readonly Frame[], push: (f: Frame) => Packet | undefined): { packets: Assembled[]; error?: DrpcProtocolError } {
  const packets: Assembled[] = [];
  const counts = new Map<string, number>();
  try {
    for (const frame of frames) {
      const key = `${frame.streamId}/${frame.messageId}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const packet = push(frame);
      if (packet) packets.push({ ...packet, frames: counts.get(key)! });
      if (packet) counts.delete(key);
    }
  } catch (err) {
    if (!(err instanceof DrpcProtocolError)) throw err;
    return { packets, error: err };
  }
  return { packets };
}

function checkData(data: Uint8Array, hex: string | undefined, sha: string | undefined, where: string): void {
  if (sha !== undefined) {
    assert.is(sha256Hex(data), sha, `${where}: sha256`);
    assert.ok(toHex(data).startsWith((hex ?? '').replace(/\.\.\.$/, '')), `${where}: data prefix`);
  } else {
    assert.is(toHex(data), hex ?? '', `${where}: data`);
  }
}

function checkFrame(frame: Frame, raw: Uint8Array, v: VectorFrame, where: string): void {
  assert.is(frame.kind, v.kind, `${where}: kind`);
  assert.is(kindName(frame.kind), v.kind_name, `${where}: kind name`);
  assert.is(frame.done, v.done, `${where}: done`);
  assert.is(frame.control, v.control, `${where}: control`);
  assert.is(frame.streamId, v.stream_id, `${where}: stream`);
  assert.is(frame.messageId, v.message_id, `${where}: message`);
  assert.is(frame.data.length, v.length, `${where}: length`);
  assert.is(raw[0], Number(v.flag_byte), `${where}: flag byte`);
  assert.is(toHex(raw.subarray(0, raw.length - v.length)), v.header_hex, `${where}: header`);
  checkData(frame.data, v.data_hex, v.data_hex_truncated ? v.data_sha256 : undefined, where);
}

function checkPacket(p: Assembled, v: VectorPacket, where: string): void {
  assert.is(kindName(p.kind), v.kind, `${where}: kind`);
  assert.is(p.streamId, v.stream_id, `${where}: stream`);
  assert.is(p.messageId, v.message_id, `${where}: message`);
  assert.is(p.frames, v.frames, `${where}: frames`);
  assert.is(p.data.length, v.length, `${where}: length`);
  assert.is(p.control, v.control ?? false, `${where}: control`);
  checkData(p.data, v.hex, v.sha256, where);
  if (v.rpc !== undefined) assert.is(utf8.decode(p.data), v.rpc, `${where}: rpc`);
  if (v.text !== undefined) assert.is(utf8.decode(p.data), v.text, `${where}: text`);
  if (v.metadata !== undefined) {
    const expected = new Map(v.metadata.map((e) => [e.key, e.value] as [string, string]));
    assert.equal(decodeInvokeMetadata(p.data), expected, `${where}: metadata`);
  }
  if (v.error_code !== undefined) {
    const decoded = decodeErrorPayload(p.data);
    assert.is(decoded.code, v.error_code, `${where}: error code`);
    assert.is(decoded.message, v.error_message, `${where}: error message`);
  }
}

/** splitSizeOf infers the sender's split size from its packets (multi-frame packets, or unsplit large ones). */
function splitSizeOf(dir: VectorDirection, packets: readonly Assembled[]): number {
  for (const p of packets) if (p.frames > 1) return dir.frames.find((f) => f.stream_id === p.streamId && f.message_id === p.messageId)!.length;
  if (packets.some((p) => isSplittable(p.kind) && p.data.length > 65536)) return -1;
  return 65536;
}

for (const vector of loadScenarioVectors()) {
  for (const dirName of DIRECTIONS) {
    const name = `${vector.file} ${dirName}`;
    const bytes = fromHex(vector[`${dirName}_hex`]);
    const dir = vector.decoded[dirName];

    test(`${name}: parseFrame matches every captured frame and re-encodes byte-identically`, () => {
      assert.is(bytes.length, dir.total_bytes);
      const frames: Frame[] = [];
      let at = 0;
      for (const v of dir.frames) {
        assert.is(at, v.offset, 'frame offset');
        const parsed = parseFrame(bytes, at);
        assert.ok(parsed, `frame at ${at} complete`);
        const raw = bytes.subarray(at, parsed.next);
        checkFrame(parsed.frame, raw, v, `frame@${at}`);
        assert.is(toHex(encodeFrame(parsed.frame)), toHex(raw), `re-encode frame@${at}`);
        frames.push(parsed.frame);
        at = parsed.next;
      }
      assert.is(at, bytes.length, 'all bytes consumed');
      assert.is(parseFrame(bytes, at), undefined);
      assert.ok(toHex(encodeFrames(frames)) === toHex(bytes), 'whole direction re-encodes identically');
    });

    test(`${name}: FrameDecoder gives the same frames for any chunking`, () => {
      const expected = decodeChunks([bytes]);
      assert.is(expected.length, dir.frames.length);
      const chunkings: Uint8Array[][] = [chunkBySizes(bytes, dir.read_chunk_sizes)];
      const random = mulberry32(bytes.length + dir.frames.length);
      for (let i = 0; i < 4; i++) chunkings.push(chunkRandomly(bytes, random, 1 + Math.floor(random() * 70_000)));
      chunkings.push(chunkRandomly(bytes, () => 0, 1)); // one byte at a time
      for (const chunks of chunkings) {
        const frames = decodeChunks(chunks);
        assert.is(frames.length, expected.length);
        frames.forEach((f, i) => assert.equal({ ...f, data: toHex(f.data) }, { ...expected[i]!, data: toHex(expected[i]!.data) }));
      }
    });

    test(`${name}: packets assemble as captured and re-split to the same bytes`, () => {
      const frames = decodeChunks(chunkRandomly(bytes, mulberry32(7), 300));
      const streams = new StreamAssemblers();
      const { packets, error } = assemble(frames, (f) => streams.push(f));
      assert.is(error, undefined);
      assert.is(packets.length, dir.packets.length);
      packets.forEach((p, i) => checkPacket(p, dir.packets[i]!, `packet ${i}`));

      const upstreamAssembler = new PacketAssembler();
      const again = assemble(frames, (f) => upstreamAssembler.push(f));
      if (UPSTREAM_REJECTS[vector.file]?.includes(dirName)) {
        assert.is(again.error?.reason, ProtocolErrorReason.IdMonotonicity, 'upstream reader rejects interleaving');
      } else {
        assert.is(again.error, undefined);
        assert.equal(again.packets.map((p) => toHex(p.data)), packets.map((p) => toHex(p.data)));
      }

      const split = splitSizeOf(dir, packets);
      const out = new Uint8Array(packets.reduce((n, p) => n + encodedPacketSize(p, split), 0));
      let at = 0;
      for (const p of packets) at = encodePacketInto(out, at, p, split);
      assert.is(at, out.length);
      assert.ok(toHex(out) === toHex(bytes), 're-split packets equal the capture');
    });
  }
}

/** Probes an upstream-style codec must reject (the Go servers closed the connection), with the reason. */
const CODEC_FATAL_UPSTREAM: Record<string, string> = {
  stream_id_zero: ProtocolErrorReason.IdMonotonicity,
  message_id_zero: ProtocolErrorReason.IdMonotonicity,
  stream_id_reuse: ProtocolErrorReason.IdMonotonicity,
  stream_id_decrease: ProtocolErrorReason.IdMonotonicity,
  kind_change_mid_packet: ProtocolErrorReason.KindChange,
  metadata_key_only: ProtocolErrorReason.InvalidMetadata,
  oversize_message: ProtocolErrorReason.FrameTooLarge,
};
/**
 * Probes the Go server closed for reasons of stream state, not codec rules:
 * an unknown kind without control bit is rejected by the active stream's
 * state machine, and an Invoke for the already-active stream id by the
 * manager. The codec passes both through; the session must reject them.
 */
const STATE_FATAL = new Set(['unknown_kind_active_stream', 'invoke_on_existing_stream']);
/** Same for the fork's per-stream rules: stream ids may decrease, stream 0 is refused outright. */
const CODEC_FATAL_FORK: Record<string, string> = {
  ...Object.fromEntries(Object.entries(CODEC_FATAL_UPSTREAM).filter(([k]) => k !== 'stream_id_decrease')),
  stream_id_zero: ProtocolErrorReason.InvalidStream,
};

/** runProbe feeds probe bytes through FrameDecoder + assembler, decoding every InvokeMetadata packet. */
function runProbe(probe: EdgeProbe, push: (f: Frame) => Packet | undefined, chunks: Uint8Array[]): { packets: Packet[]; error?: DrpcProtocolError } {
  const decoder = new FrameDecoder();
  const packets: Packet[] = [];
  try {
    for (const chunk of chunks) {
      for (const frame of decoder.decode(chunk)) {
        const packet = push(frame);
        if (!packet) continue;
        if (packet.kind === PacketKind.InvokeMetadata) decodeInvokeMetadata(packet.data);
        packets.push(packet);
      }
    }
  } catch (err) {
    if (!(err instanceof DrpcProtocolError)) throw err;
    return { packets, error: err };
  }
  assert.is(decoder.buffered, 0, `${probe.name}: no partial frame left`);
  return { packets };
}

test('edge probes: codec errors exactly where the Go servers closed for codec reasons', () => {
  const probes = loadEdgeProbes();
  assert.is(probes.length, 26);
  for (const probe of probes) {
    const bytes = fromHex(probe.client_to_server_hex);
    const upstreamFatal = probe.name in CODEC_FATAL_UPSTREAM;
    assert.is(probe.upstream_server.connection_closed_by_server, upstreamFatal || STATE_FATAL.has(probe.name), `${probe.name}: classification`);
    assert.is(probe.mux_fork_server.connection_closed_by_server, probe.name in CODEC_FATAL_FORK || STATE_FATAL.has(probe.name), `${probe.name}: fork classification`);
    const chunkings = [[bytes], chunkRandomly(bytes, mulberry32(probe.name.length), 9)];
    if (bytes.length < 1000) chunkings.push(chunkRandomly(bytes, () => 0, 1));
    for (const chunks of chunkings) {
      const upstream = new PacketAssembler();
      const up = runProbe(probe, (f) => upstream.push(f), chunks);
      assert.is(up.error?.reason, CODEC_FATAL_UPSTREAM[probe.name], `${probe.name}: upstream outcome`);
      const streams = new StreamAssemblers();
      const fork = runProbe(probe, (f) => streams.push(f), chunks);
      assert.is(fork.error?.reason, CODEC_FATAL_FORK[probe.name], `${probe.name}: per-stream outcome`);
    }
  }
});

test('edge probes: accepted probes decode to the intended packets', () => {
  const byName = new Map(loadEdgeProbes().map((p) => [p.name, p]));
  const packetsOf = (name: string) => {
    const assembler = new PacketAssembler();
    return runProbe(byName.get(name)!, (f) => assembler.push(f), [fromHex(byName.get(name)!.client_to_server_hex)]).packets;
  };
  const summary = (ps: Packet[]) => ps.map((p) => `${kindName(p.kind)} s${p.streamId} m${p.messageId} ${utf8.decode(p.data)}`);
  assert.equal(summary(packetsOf('abandoned_partial_packet')).slice(1), ['Message s1 m3 xyz', 'CloseSend s1 m4 ']);
  assert.equal(summary(packetsOf('non_minimal_varint')).map((s) => s.split(' ')[1]), ['s1', 's1', 's1']);
  assert.equal(summary(packetsOf('multibyte_varints'))[1], `Message s300 m2 ${'z'.repeat(200)}`);
  assert.equal(summary(packetsOf('message_ids_skip')).map((s) => s.split(' ')[2]), ['m1', 'm5', 'm9']);
  assert.equal(decodeInvokeMetadata(packetsOf('metadata_split_frames')[0]!.data), new Map([['key', 'value']]));
  assert.equal(decodeInvokeMetadata(packetsOf('metadata_empty_value')[0]!.data), new Map([['', '']]));
  const control = packetsOf('unknown_kind_control_bit')[2]!;
  assert.equal([control.kind, control.control], [9, true]);
  assert.equal(summary(packetsOf('close_send_with_payload'))[2], 'CloseSend s1 m3 xyz');
});

test.run();
