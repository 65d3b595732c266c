import type { ttrpc } from '../../../generated/interop.js';
import type { Client } from '../../client/client.js';
import { Metadata } from '../../metadata/metadata.js';
import { rawMethod } from '../../call/method.js';
import { Code, codeName } from '../../status/code.js';
import { RpcError } from '../../status/rpc-error.js';
import { EchoService, StreamingService } from './ttrpc-definitions.js';

type Payload = ttrpc.interop.v1.IPayload;
const enc = new TextEncoder();
const dec = new TextDecoder();
const E = EchoService.methods;
const S = StreamingService.methods;

/** Scenario runs one interop check through a Client on a fresh connection; it throws to fail. */
export type Scenario = (c: Client) => Promise<void>;

function eq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, want ${e}`);
}

async function expectCode(p: Promise<unknown>, code: Code, message?: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    if (e.code !== code) throw new Error(`got ${codeName(e.code)} (${e.rawMessage}), want ${codeName(code)}`);
    if (message !== undefined && e.rawMessage !== message) throw new Error(`message ${JSON.stringify(e.rawMessage)}, want ${JSON.stringify(message)}`);
    return;
  }
  throw new Error(`call succeeded, want ${codeName(code)}`);
}

const p = (s: string): Payload => ({ data: enc.encode(s) });
const text = (x: Payload | undefined): string => dec.decode(x?.data ?? new Uint8Array(0));

async function collect(it: AsyncIterable<Payload>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(text(m));
  return out;
}

/** TTRPC_UNARY_SCENARIOS are the scenarios the Go v1.1.1 peer supports. */
export const TTRPC_UNARY_SCENARIOS: Record<string, Scenario> = {
  echo: async (c) => eq(text(await c.unary(E.Echo, p('hello ttrpc'))), 'hello ttrpc', 'echo'),
  echo_empty: async (c) => eq(text(await c.unary(E.Echo, p(''))), '', 'empty reply'),
  echo_metadata: async (c) => {
    const metadata = new Metadata().append('x-interop-key', 'v1').append('x-interop-key', 'v2').append('another-key', 'a');
    const r = await c.unary(E.Metadata, p('md'), { metadata });
    eq((r.entries ?? []).map((e) => [e.key, e.value]), [['another-key', 'a'], ['x-interop-key', 'v1'], ['x-interop-key', 'v2']], 'metadata');
  },
  error_status: (c) => expectCode(c.unary(E.Fail, { code: 5, message: 'thing not found' }), Code.NOT_FOUND, 'thing not found'),
  timeout: (c) => expectCode(c.unary(E.Sleep, { millis: 500 }, { timeoutMs: 100 }), Code.DEADLINE_EXCEEDED),
  sleep_ok: async (c) => eq(text(await c.unary(E.Sleep, { millis: 20 })), 'slept', 'sleep'),
  big_response: async (c) => {
    const data = (await c.unary(E.Big, { size: 1 << 20 })).data ?? new Uint8Array(0);
    eq(data.byteLength, 1 << 20, 'size');
    for (let i = 0; i < data.byteLength; i++) if (data[i] !== i % 251) throw new Error(`byte ${i} is ${data[i]}`);
  },
  unknown_service: (c) => expectCode(c.unary(rawMethod('/ttrpc.interop.v1.Nope/Echo', 'unary'), E.Echo.serializeRequest(p('x'))), Code.UNIMPLEMENTED, 'service ttrpc.interop.v1.Nope'),
  unknown_method: (c) => expectCode(c.unary(rawMethod('/ttrpc.interop.v1.Echo/Nope', 'unary'), E.Echo.serializeRequest(p('x'))), Code.UNIMPLEMENTED, 'method Nope'),
  multi_call: async (c) => {
    for (let i = 0; i < 3; i++) eq(text(await c.unary(E.Echo, p(`call-${i}`))), `call-${i}`, `call ${i}`);
  },
  concurrent: async (c) => {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => c.unary(E.Echo, p(`c-${i}`))));
    replies.forEach((r, i) => eq(text(r), `c-${i}`, `call ${i}`));
  },
};

/** TTRPC_STREAM_SCENARIOS need a ttrpc >= 1.2 peer (streaming). */
export const TTRPC_STREAM_SCENARIOS: Record<string, Scenario> = {
  stream_server: async (c) => eq(await collect(c.serverStream(S.ServerStream, { count: 3, data: enc.encode('s') })), ['s-1', 's-2', 's-3'], 'messages'),
  stream_server_error: async (c) => {
    const got: string[] = [];
    await expectCode(
      (async () => {
        for await (const m of c.serverStream(S.ServerStream, { count: 2, data: enc.encode('e'), failCode: 9, failMessage: 'stream failed' })) got.push(text(m));
      })(),
      Code.FAILED_PRECONDITION,
      'stream failed',
    );
    eq(got, ['e-1', 'e-2'], 'messages before the error');
  },
  stream_client: async (c) => eq(text(await c.clientStream(S.ClientStream, [p('a'), p('b'), p('c')])), 'a,b,c', 'joined'),
  stream_client_empty: async (c) => eq(text(await c.clientStream(S.ClientStream, [])), '', 'joined'),
  stream_bidi: async (c) => eq(await collect(c.bidi(S.BidiEcho, [p('one'), p('two')])), ['one', 'two'], 'echoes'),
  stream_unknown_method: (c) =>
    expectCode(
      (async () => {
        for await (const m of c.bidi(rawMethod('/ttrpc.interop.v1.Streaming/Nope', 'bidi'), [E.Echo.serializeRequest(p('x'))])) void m;
      })(),
      Code.UNIMPLEMENTED,
      'method Nope',
    ),
};

/** TTRPC_SCENARIOS lists every ttrpc scenario in contract order. */
export const TTRPC_SCENARIOS: Record<string, Scenario> = { ...TTRPC_UNARY_SCENARIOS, ...TTRPC_STREAM_SCENARIOS };
