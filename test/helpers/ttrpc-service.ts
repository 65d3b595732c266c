import { setTimeout as sleep } from 'node:timers/promises';
import { ttrpc } from '../../generated/interop.js';
import { bidiHandler, clientStreamHandler, serverStreamHandler, unaryHandler } from './call-adapters.js';
import { MethodRegistry } from '../../src/server/method-registry.js';
import { Code } from '../../src/status/code.js';
import { RpcError } from '../../src/status/rpc-error.js';

const v1 = ttrpc.interop.v1;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_BIG = 64 * 1024 * 1024;

/** payload encodes an interop Payload message. */
export function payload(data: Uint8Array | string): Uint8Array {
  return v1.Payload.encode({ data: typeof data === 'string' ? enc.encode(data) : data }).finish();
}

/** payloadData decodes an interop Payload and returns its data. */
export function payloadData(bytes: Uint8Array): Uint8Array {
  return v1.Payload.decode(bytes).data ?? new Uint8Array(0);
}

/** registerTtrpcInterop registers ttrpc.interop.v1.Echo and ttrpc.interop.v1.Streaming (see the interop contract). */
export function registerTtrpcInterop(reg: MethodRegistry): void {
  const echo = 'ttrpc.interop.v1.Echo';
  reg.register(echo, 'Echo', 'unary', unaryHandler(async (req) => payload(payloadData(req))));
  reg.register(echo, 'Fail', 'unary', unaryHandler(async (req) => {
    const r = v1.FailRequest.decode(req);
    throw new RpcError(r.code ?? 0, r.message ?? '');
  }));
  reg.register(echo, 'Metadata', 'unary', unaryHandler(async (_req, { call }) => {
    const keys = call.metadata.keys().sort();
    const entries = keys.flatMap((key) => call.metadata.getAll(key).map((value) => ({ key, value })));
    return v1.MetadataResponse.encode({ entries }).finish();
  }));
  reg.register(echo, 'Sleep', 'unary', unaryHandler(async (req, { call, signal }) => {
    const millis = Number(v1.SleepRequest.decode(req).millis ?? 0);
    try {
      await sleep(millis, undefined, { signal });
    } catch {
      const late = call.deadline !== undefined && Date.now() >= call.deadline;
      throw new RpcError(late ? Code.DEADLINE_EXCEEDED : Code.CANCELLED, late ? 'context deadline exceeded' : 'context canceled');
    }
    return payload('slept');
  }));
  reg.register(echo, 'Big', 'unary', unaryHandler(async (req) => {
    const size = Number(v1.BigRequest.decode(req).size ?? 0);
    if (!(size >= 0 && size <= MAX_BIG)) throw new RpcError(Code.INVALID_ARGUMENT, `size ${size} out of range 0..${MAX_BIG}`);
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = i % 251;
    return payload(out);
  }));
  const st = 'ttrpc.interop.v1.Streaming';
  reg.register(st, 'ServerStream', 'server_stream', serverStreamHandler(async function* (req) {
    const r = v1.StreamRequest.decode(req);
    const data = dec.decode(r.data ?? new Uint8Array(0));
    for (let i = 1; i <= (r.count ?? 0); i++) yield payload(`${data}-${i}`);
    if (r.failCode) throw new RpcError(r.failCode, r.failMessage ?? '');
  }));
  reg.register(st, 'ClientStream', 'client_stream', clientStreamHandler(async (reqs) => {
    const parts: string[] = [];
    for await (const m of reqs) parts.push(dec.decode(payloadData(m)));
    return payload(parts.join(','));
  }));
  reg.register(st, 'BidiEcho', 'bidi', bidiHandler(async function* (reqs) {
    for await (const m of reqs) yield payload(payloadData(m));
  }));
}
