import { ttrpc } from '../../../generated/interop.js';
import type { ClientTransport } from '../../call/call.js';
import { bidiCall, clientStreamCall, serverStreamCall, unaryCall } from '../../call/call-adapters.js';
import { Metadata } from '../../metadata/metadata.js';
import { Code, codeName } from '../../status/code.js';
import { RpcError } from '../../status/rpc-error.js';
import { payload, payloadData } from './ttrpc-service.js';

const v1 = ttrpc.interop.v1;
const dec = new TextDecoder();
const ECHO = '/ttrpc.interop.v1.Echo';
const STREAMING = '/ttrpc.interop.v1.Streaming';

/** Scenario runs one interop check on a fresh connection; it throws to fail. */
export type Scenario = (t: ClientTransport) => Promise<void>;

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

const text = (b: Uint8Array) => dec.decode(payloadData(b));

async function* payloads(...items: string[]): AsyncGenerator<Uint8Array> {
  for (const i of items) yield payload(i);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(text(m));
  return out;
}

/** TTRPC_UNARY_SCENARIOS are the scenarios the Go v1.1.1 peer supports. */
export const TTRPC_UNARY_SCENARIOS: Record<string, Scenario> = {
  echo: async (t) => eq(text(await unaryCall(t, `${ECHO}/Echo`, payload('hello ttrpc'))), 'hello ttrpc', 'echo'),
  echo_empty: async (t) => eq((await unaryCall(t, `${ECHO}/Echo`, payload(''))).byteLength, 0, 'empty reply length'),
  echo_metadata: async (t) => {
    const metadata = new Metadata().append('x-interop-key', 'v1').append('x-interop-key', 'v2').append('another-key', 'a');
    const r = v1.MetadataResponse.decode(await unaryCall(t, `${ECHO}/Metadata`, payload('md'), { metadata }));
    eq(r.entries.map((e) => [e.key, e.value]), [['another-key', 'a'], ['x-interop-key', 'v1'], ['x-interop-key', 'v2']], 'metadata');
  },
  error_status: (t) => expectCode(unaryCall(t, `${ECHO}/Fail`, v1.FailRequest.encode({ code: 5, message: 'thing not found' }).finish()), Code.NOT_FOUND, 'thing not found'),
  timeout: (t) => expectCode(unaryCall(t, `${ECHO}/Sleep`, v1.SleepRequest.encode({ millis: 500 }).finish(), { deadline: Date.now() + 100 }), Code.DEADLINE_EXCEEDED),
  sleep_ok: async (t) => eq(text(await unaryCall(t, `${ECHO}/Sleep`, v1.SleepRequest.encode({ millis: 20 }).finish())), 'slept', 'sleep'),
  big_response: async (t) => {
    const data = payloadData(await unaryCall(t, `${ECHO}/Big`, v1.BigRequest.encode({ size: 1 << 20 }).finish()));
    eq(data.byteLength, 1 << 20, 'size');
    for (let i = 0; i < data.byteLength; i++) if (data[i] !== i % 251) throw new Error(`byte ${i} is ${data[i]}`);
  },
  unknown_service: (t) => expectCode(unaryCall(t, '/ttrpc.interop.v1.Nope/Echo', payload('x')), Code.UNIMPLEMENTED, 'service ttrpc.interop.v1.Nope'),
  unknown_method: (t) => expectCode(unaryCall(t, `${ECHO}/Nope`, payload('x')), Code.UNIMPLEMENTED, 'method Nope'),
  multi_call: async (t) => {
    for (let i = 0; i < 3; i++) eq(text(await unaryCall(t, `${ECHO}/Echo`, payload(`call-${i}`))), `call-${i}`, `call ${i}`);
  },
  concurrent: async (t) => {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => unaryCall(t, `${ECHO}/Echo`, payload(`c-${i}`))));
    replies.forEach((r, i) => eq(text(r), `c-${i}`, `call ${i}`));
  },
};

/** TTRPC_STREAM_SCENARIOS need a ttrpc >= 1.2 peer (streaming). */
export const TTRPC_STREAM_SCENARIOS: Record<string, Scenario> = {
  stream_server: async (t) => {
    const req = v1.StreamRequest.encode({ count: 3, data: new TextEncoder().encode('s') }).finish();
    eq(await collect(serverStreamCall(t, `${STREAMING}/ServerStream`, req)), ['s-1', 's-2', 's-3'], 'messages');
  },
  stream_server_error: async (t) => {
    const req = v1.StreamRequest.encode({ count: 2, data: new TextEncoder().encode('e'), failCode: 9, failMessage: 'stream failed' }).finish();
    const got: string[] = [];
    await expectCode((async () => {
      for await (const m of serverStreamCall(t, `${STREAMING}/ServerStream`, req)) got.push(text(m));
    })(), Code.FAILED_PRECONDITION, 'stream failed');
    eq(got, ['e-1', 'e-2'], 'messages before the error');
  },
  stream_client: async (t) => eq(text(await clientStreamCall(t, `${STREAMING}/ClientStream`, payloads('a', 'b', 'c'))), 'a,b,c', 'joined'),
  stream_client_empty: async (t) => eq(text(await clientStreamCall(t, `${STREAMING}/ClientStream`, payloads())), '', 'joined'),
  stream_bidi: async (t) => eq(await collect(bidiCall(t, `${STREAMING}/BidiEcho`, payloads('one', 'two'))), ['one', 'two'], 'echoes'),
  stream_unknown_method: (t) => expectCode(collect(bidiCall(t, `${STREAMING}/Nope`, payloads('x'))), Code.UNIMPLEMENTED, 'method Nope'),
};

/** TTRPC_SCENARIOS lists every ttrpc scenario in contract order. */
export const TTRPC_SCENARIOS: Record<string, Scenario> = { ...TTRPC_UNARY_SCENARIOS, ...TTRPC_STREAM_SCENARIOS };
