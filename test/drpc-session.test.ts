// drpc sessions end to end over the in-memory pipe, a unix socket and TCP,
// in upstream and multiplexed mode: every interop scenario, our server's
// bytes and our client's bytes against the Go captures, and the tolerance
// rules of the upstream Go server (edge probes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { connectDrpc } from '../src/client/connect.js';
import { bidiCall, clientStreamCall, serverStreamCall, unaryCall } from './helpers/call-adapters.js';
import { Metadata } from '../src/metadata/metadata.js';
import { registerDrpcInterop } from './helpers/drpc-service.js';
import { DRPC_MUX_SCENARIOS, DRPC_SCENARIOS, type DrpcConnection, largePayload } from '../src/cli/interop/drpc-scenarios.js';
import type { DrpcSessionOptions } from '../src/protocol/drpc/options.js';
import { decodeInvokeMetadata } from '../src/protocol/drpc/invoke-metadata.js';
import { type Frame, PacketKind } from '../src/protocol/drpc/frame.js';
import type { ClientTransport } from '../src/call/call.js';
import { Code } from '../src/status/code.js';
import { RpcError } from '../src/status/rpc-error.js';
import { TRANSPORTS, dialTarget } from './helpers/transports.js';
import { RawDrpcPeer, decodeAll, describe, encodeAll, frameBytes, splitFrameBytes } from './helpers/raw-drpc.js';
import { fromHex, loadEdgeProbes, loadScenarioVectors, toHex, type ScenarioVector } from './helpers/drpc-vectors.js';

const enc = new TextEncoder();
const PEER = '/drpcpeer.Peer';
const MODES = [
  { name: 'upstream', multiplex: false },
  { name: 'mux', multiplex: true },
] as const;
const VECTORS = new Map(loadScenarioVectors().map((v) => [v.scenario, v]));

function vector(name: string): ScenarioVector {
  const v = VECTORS.get(name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}

function registry(): MethodRegistry {
  const reg = new MethodRegistry();
  registerDrpcInterop(reg);
  return reg;
}

type Target = ReturnType<(typeof TRANSPORTS)[number]['target']>;

async function startServer(target: Target, multiplex: boolean, drpc: DrpcSessionOptions = {}) {
  const server = new CallServer(registry(), { protocol: 'drpc', multiplex, drpc });
  const bound = await server.listen(target);
  return { server, dialTo: dialTarget(target, bound) };
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

for (const tc of TRANSPORTS) {
  for (const mode of MODES) {
    const scenarios = mode.multiplex ? { ...DRPC_SCENARIOS, ...DRPC_MUX_SCENARIOS } : DRPC_SCENARIOS;
    for (const [name, scenario] of Object.entries(scenarios)) {
      test(`${tc.name} ${mode.name}: scenario ${name}`, async () => {
        const { server, dialTo } = await startServer(tc.target(), mode.multiplex);
        try {
          await scenario({
            multiplex: mode.multiplex,
            connect: async (drpc) => (await connectDrpc(dialTo, { multiplex: mode.multiplex, pool: false, drpc })) as DrpcConnection,
          });
        } finally {
          await server.close();
        }
      });
    }

    // The server's reply to the captured client bytes must equal the Go server's reply byte for byte, with one
    // deliberate exception: an unknown rpc's Error packet carries code 12 (UNIMPLEMENTED) where Go sends code 0,
    // so that Go clients can read it with drpcerr.Code (ourCapture applies that one change, everything else is checked).
    for (const name of ['unary_echo', 'unary_empty', 'unary_metadata', 'error_with_code', 'unknown_rpc', 'server_stream', 'client_stream', 'bidi', 'two_calls_same_conn', 'large_split', 'small_split']) {
      test(`${tc.name} ${mode.name}: server bytes match the capture ${name}`, async () => {
        const v = vector(name);
        const { server, dialTo } = await startServer(tc.target(), mode.multiplex);
        const raw = await RawDrpcPeer.connect(dialTo);
        const want = ourCapture(name, fromHex(v.server_to_client_hex));
        const replies = decodeAll(want);
        const input = decodeAll(fromHex(v.client_to_server_hex));
        // Stream by stream, as the Go client did: the request, then (after the reply) its trailing Close.
        for (const s of [...new Set(input.map((f) => f.streamId))]) {
          const bytes = encodeAll(input.filter((f) => f.streamId === s && f.kind !== PacketKind.Close));
          if (bytes.length < 200) for (const b of bytes) raw.send(Uint8Array.of(b)); // one byte at a time
          else raw.send(bytes);
          const upTo = encodeAll(replies.filter((f) => f.streamId <= s)).length;
          await raw.until(() => raw.bytes.length >= upTo, 5000, `${upTo} reply bytes`);
          const closes = input.filter((f) => f.streamId === s && f.kind === PacketKind.Close);
          if (closes.length) raw.send(encodeAll(closes));
        }
        await sleep(20);
        assert.is(toHex(raw.bytes), toHex(want));
        assert.not.ok(raw.closed);
        raw.close();
        await server.close();
      });
    }

    test(`${tc.name} ${mode.name}: concurrent calls on one connection all complete`, async () => {
      const { server, dialTo } = await startServer(tc.target(), mode.multiplex);
      const t = await connectDrpc(dialTo, { multiplex: mode.multiplex, pool: false });
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => unaryCall(t, `${PEER}/Echo`, enc.encode(`c-${i}`))));
      replies.forEach((r, i) => assert.is(new TextDecoder().decode(r), `c-${i}`));
      assert.is((t as DrpcConnection).lastStreamId, 50);
      t.close();
      await server.close();
    });

    test(`${tc.name} ${mode.name}: server going away fails open calls with UNAVAILABLE`, async () => {
      const { server, dialTo } = await startServer(tc.target(), mode.multiplex);
      const t = await connectDrpc(dialTo, { multiplex: mode.multiplex, pool: false });
      const pending = rpcError((async () => {
        for await (const _ of serverStreamCall(t, `${PEER}/Ticker`, enc.encode('t'))) void _;
      })());
      await sleep(50);
      await server.close();
      assert.is((await pending).code, Code.UNAVAILABLE);
      assert.is((await rpcError(unaryCall(t, `${PEER}/Echo`, enc.encode('x')))).code, Code.UNAVAILABLE);
    });

    test(`${tc.name} ${mode.name}: a deadline fails the call with DEADLINE_EXCEEDED and the connection is reused`, async () => {
      const { server, dialTo } = await startServer(tc.target(), mode.multiplex);
      const t = await connectDrpc(dialTo, { multiplex: mode.multiplex, pool: false });
      const e = await rpcError((async () => {
        for await (const _ of serverStreamCall(t, `${PEER}/Ticker`, enc.encode('t'), { deadline: Date.now() + 60 })) void _;
      })());
      assert.is(e.code, Code.DEADLINE_EXCEEDED);
      assert.is(new TextDecoder().decode(await unaryCall(t, `${PEER}/Echo`, enc.encode('next'))), 'next');
      const late = await rpcError(unaryCall(t, `${PEER}/Echo`, enc.encode('x'), { deadline: Date.now() - 1 }));
      assert.is(late.code, Code.DEADLINE_EXCEEDED);
      assert.is((t as DrpcConnection).lastStreamId, 2, 'a call past its deadline takes no stream');
      t.close();
      await server.close();
    });
  }
}

/**
 * ourCapture is the reply our server must send for a Go capture: the capture itself, except that in the
 * unknown_rpc scenario the Error packet's 8-byte big-endian code is 12 (UNIMPLEMENTED) instead of Go's 0.
 * The result differs from the capture in that one byte only.
 */
function ourCapture(name: string, go: Uint8Array): Uint8Array {
  if (name !== 'unknown_rpc') return go;
  const frames = decodeAll(go);
  assert.equal(frames.map((f) => [f.kind, toHex(f.data.subarray(0, 8))]), [[PacketKind.Error, '0000000000000000']], 'the Go capture answers with code 0');
  const data = frames[0]!.data.slice();
  data[7] = Code.UNIMPLEMENTED;
  const ours = encodeAll([{ ...frames[0]!, data }]);
  const differing = [...ours].flatMap((b, i) => (b !== go[i] ? [i] : []));
  assert.equal([ours.length, differing.length], [go.length, 1], 'only the code byte differs from the capture');
  return ours;
}

/** CLIENT_ACTIONS replay what the Go client did in each capture. */
const CLIENT_ACTIONS: Record<string, (t: ClientTransport) => Promise<unknown>> = {
  unary_echo: (t) => unaryCall(t, `${PEER}/Echo`, enc.encode('hello drpc')),
  unary_empty: (t) => unaryCall(t, `${PEER}/Echo`, new Uint8Array(0)),
  unary_metadata: (t) => unaryCall(t, `${PEER}/MetaEcho`, enc.encode('meta?'), { metadata: new Metadata({ 'x-trace': 'abc123', authorization: 'Bearer t0k3n' }) }),
  error_with_code: async (t) => {
    const e = await rpcError(unaryCall(t, `${PEER}/Fail`, enc.encode('42:something went wrong')));
    assert.equal([e.code, e.rawMessage], [42, 'something went wrong']);
  },
  unknown_rpc: async (t) => {
    const e = await rpcError(unaryCall(t, `${PEER}/DoesNotExist`, enc.encode('x')));
    assert.equal([e.code, e.rawMessage], [Code.UNKNOWN, 'protocol error: unknown rpc: "/drpcpeer.Peer/DoesNotExist"']);
  },
  server_stream: async (t) => {
    for await (const _ of serverStreamCall(t, `${PEER}/ServerStream`, enc.encode('tick'))) void _;
  },
  client_stream: (t) => clientStreamCall(t, `${PEER}/ClientStream`, ['alpha', '', 'gamma'].map((s) => enc.encode(s))),
  bidi: async (t) => {
    for await (const _ of bidiCall(t, `${PEER}/Bidi`, ['ping-1', 'ping-2', 'ping-3'].map((s) => enc.encode(s)))) void _;
  },
  two_calls_same_conn: async (t) => {
    await unaryCall(t, `${PEER}/Echo`, enc.encode('first'));
    await unaryCall(t, `${PEER}/Echo`, enc.encode('second'));
  },
  large_split: (t) => unaryCall(t, `${PEER}/Echo`, largePayload()),
  small_split: (t) => unaryCall(t, `${PEER}/Echo`, enc.encode('abcdefghijklmnopqrstuvwxyz')),
  cancel_soft_then_reuse: async (t) => {
    const ac = new AbortController();
    let n = 0;
    const e = await rpcError((async () => {
      for await (const _ of serverStreamCall(t, `${PEER}/Ticker`, enc.encode('t'), { signal: ac.signal })) if (++n === 2) ac.abort();
    })());
    assert.is(e.code, Code.CANCELLED);
    await unaryCall(t, `${PEER}/Echo`, enc.encode('after-cancel'));
  },
  cancel_hard: async (t) => {
    const ac = new AbortController();
    let n = 0;
    const e = await rpcError((async () => {
      for await (const _ of serverStreamCall(t, `${PEER}/Ticker`, enc.encode('t'), { signal: ac.signal })) if (++n === 2) ac.abort();
    })());
    assert.is(e.code, Code.CANCELLED);
    assert.ok(t.closed);
  },
};

/** sameFrames compares frames, InvokeMetadata by its decoded map (Go's entry order is random), everything else byte for byte. */
function sameFrames(got: Frame[], want: Frame[]): void {
  const md = (f: Frame) => (f.kind === PacketKind.InvokeMetadata ? { ...f, data: Object.fromEntries([...decodeInvokeMetadata(f.data)].sort()) } : f);
  assert.equal(got.map(md).map((f) => ({ ...f, data: f.data instanceof Uint8Array ? toHex(f.data) : f.data })), want.map(md).map((f) => ({ ...f, data: f.data instanceof Uint8Array ? toHex(f.data) : f.data })));
}

for (const tc of TRANSPORTS) {
  for (const mode of MODES) {
    for (const [name, action] of Object.entries(CLIENT_ACTIONS)) {
      if (mode.multiplex && name === 'cancel_hard') continue; // multiplexed connections always cancel softly
      test(`${tc.name} ${mode.name}: client bytes match the capture ${name} (trailing Close aside)`, async () => {
        const v = vector(name);
        const replies = decodeAll(fromHex(v.server_to_client_hex));
        let peer: RawDrpcPeer | undefined;
        const target = tc.target();
        const { listener, address } = await RawDrpcPeer.serve(target, (p) => (peer = p));
        // The raw server answers each stream with the captured server frames once the client's CloseSend arrived.
        const answered = new Set<number>();
        const timer = setInterval(() => {
          for (const f of peer?.frames ?? []) {
            if (f.kind !== PacketKind.CloseSend || answered.has(f.streamId)) continue;
            answered.add(f.streamId);
            peer!.send(encodeAll(replies.filter((r) => r.streamId === f.streamId)));
          }
        }, 5);
        try {
          const drpc = name === 'small_split' ? { splitSize: 8 } : name === 'cancel_hard' ? { cancel: 'hard' as const } : {};
          const t = await connectDrpc(dialTarget(target, address), { multiplex: mode.multiplex, pool: false, drpc });
          await action(t);
          await sleep(30);
          const want = decodeAll(fromHex(v.client_to_server_hex)).filter((f) => f.kind !== PacketKind.Close);
          sameFrames(peer!.frames, want);
          if (name !== 'unary_metadata') assert.is(toHex(peer!.bytes), toHex(encodeAll(want)));
          if (name === 'cancel_hard') await peer!.until(() => peer!.closed, 2000, 'the connection to close');
          t.close();
        } finally {
          clearInterval(timer);
          peer?.close();
          await listener.close();
        }
      });
    }
  }
}

test('mux client: interleaved bidi streams carry the captured packets of each stream', async () => {
  const v = vector('mux_interleaved_bidi');
  let peer: RawDrpcPeer | undefined;
  const { listener, address } = await RawDrpcPeer.serve('tcp://127.0.0.1:0', (p) => (peer = p));
  const sent = new Map<number, number>();
  let seen = 0;
  const timer = setInterval(() => {
    for (; peer && seen < peer.frames.length; seen++) {
      const f = peer.frames[seen]!;
      const m = (sent.get(f.streamId) ?? 0) + 1;
      if (f.kind === PacketKind.Message) peer.send(frameBytes(PacketKind.Message, f.streamId, m, f.data));
      else if (f.kind === PacketKind.CloseSend) peer.send(frameBytes(PacketKind.CloseSend, f.streamId, m));
      else continue;
      sent.set(f.streamId, m);
    }
  }, 5);
  try {
    const t = await connectDrpc(address, { multiplex: true });
    await DRPC_MUX_SCENARIOS.mux_interleaved_bidi!({ multiplex: true, connect: async () => t as DrpcConnection });
    const perStream = (frames: Frame[], s: number) => frames.filter((f) => f.streamId === s).map(describe);
    const want = decodeAll(fromHex(v.client_to_server_hex));
    for (const s of [1, 2]) assert.equal(perStream(peer!.frames, s), perStream(want, s));
  } finally {
    clearInterval(timer);
    peer?.close();
    await listener.close();
  }
});

// The upstream Go server's answer to each raw-byte probe (spec §19, edge_probes.json): the probe's frames
// are sent one by one with pauses, as the probe did. Where the Go server wedged (it never answers after a
// Message before Invoke, or after a second request Message), we keep serving: those replies are compared
// with the fork's, which does not wedge. Ticker probes depend on timing: only their tail is compared.
const WEDGED = new Set(['message_before_invoke', 'unary_two_messages']);
const TICKER = new Set(['client_close_mid_stream', 'client_cancel_without_control_bit', 'new_invoke_preempts_active']);
// Our multiplexed server forgets finished streams, so reusing a finished stream id starts a new stream (the fork closed the connection).
const MUX_DIFFERS = new Set(['stream_id_reuse']);

async function runProbe(hex: string, multiplex: boolean): Promise<RawDrpcPeer & { stop: () => Promise<void> }> {
  const { server, dialTo } = await startServer('tcp://127.0.0.1:0', multiplex);
  const raw = await RawDrpcPeer.connect(dialTo);
  for (const piece of splitFrameBytes(fromHex(hex))) {
    if (raw.closed) break;
    raw.send(piece);
    await sleep(50);
  }
  await sleep(250);
  return Object.assign(raw, { stop: async () => (raw.close(), await server.close()) });
}

for (const probe of loadEdgeProbes()) {
  test(`upstream server: edge probe ${probe.name} (${probe.upstream_server.connection_closed_by_server ? 'closed' : 'kept'})`, async () => {
    const raw = await runProbe(probe.client_to_server_hex, false);
    try {
      assert.is(raw.closed, probe.upstream_server.connection_closed_by_server, 'connection closed');
      assert.is(raw.decodeError, undefined);
      if (TICKER.has(probe.name)) {
        const want = probe.upstream_server.server_frames.slice(-2);
        const got = raw.frames.map(describe);
        assert.equal(got.slice(-2), want);
        assert.ok(got.slice(0, -2).every((f) => /^Message s1 m\d+ "t-\d+"$/.test(f)), got.join(', '));
      } else {
        const want = WEDGED.has(probe.name) ? probe.mux_fork_server : probe.upstream_server;
        assert.is(toHex(raw.bytes), want.server_to_client_hex);
      }
    } finally {
      await raw.stop();
    }
  });

  if (!MUX_DIFFERS.has(probe.name)) {
    test(`mux server: edge probe ${probe.name} (${probe.mux_fork_server.connection_closed_by_server ? 'closed' : 'kept'} as the fork)`, async () => {
      const raw = await runProbe(probe.client_to_server_hex, true);
      try {
        assert.is(raw.closed, probe.mux_fork_server.connection_closed_by_server, 'connection closed');
        if (!TICKER.has(probe.name)) assert.equal(raw.frames.map(describe), decodeAll(fromHex(probe.mux_fork_server.server_to_client_hex)).map(describe));
      } finally {
        await raw.stop();
      }
    });
  }
}

test.run();
