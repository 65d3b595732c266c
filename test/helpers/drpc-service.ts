// The drpc interop service at the call layer (MethodRegistry + call adapters),
// for tests that drive a CallServer directly. The shipped service, on the
// public Server, is src/cli/interop/drpc-service.ts; both follow the interop
// contract.
import { setTimeout as sleep } from 'node:timers/promises';
import { bidiHandler, clientStreamHandler, serverStreamHandler, unaryHandler } from './call-adapters.js';
import { DRPC_PEER_SERVICE, TICKER_INTERVAL_MS } from '../../src/cli/interop/drpc-service.js';
import type { MethodRegistry } from '../../src/server/method-registry.js';
import { Code } from '../../src/status/code.js';
import { RpcError } from '../../src/status/rpc-error.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** registerDrpcInterop registers the drpc interop service (raw bytes) on a MethodRegistry: Echo, Fail, MetaEcho, ServerStream, ClientStream, Bidi and Ticker. */
export function registerDrpcInterop(reg: MethodRegistry): void {
  const svc = DRPC_PEER_SERVICE;
  reg.register(svc, 'Echo', 'unary', unaryHandler(async (req) => req));
  reg.register(svc, 'Fail', 'unary', unaryHandler(async (req) => {
    const text = dec.decode(req);
    const m = /^(\d+):([\s\S]*)$/.exec(text);
    if (m) throw new RpcError(Number(m[1]), m[2]);
    throw new RpcError(42, `fail: ${text}`);
  }));
  reg.register(svc, 'MetaEcho', 'unary', unaryHandler(async (_req, { call }) => {
    const keys = call.metadata.keys().sort();
    return enc.encode(keys.map((k) => `${k}=${call.metadata.getAll(k).at(-1) ?? ''}\n`).join(''));
  }));
  reg.register(svc, 'ServerStream', 'server_stream', serverStreamHandler(async function* (req) {
    const r = dec.decode(req);
    for (let i = 1; i <= 3; i++) yield enc.encode(`${r}-${i}`);
  }));
  reg.register(svc, 'ClientStream', 'client_stream', clientStreamHandler(async (reqs) => {
    const parts: string[] = [];
    for await (const m of reqs) parts.push(dec.decode(m));
    return enc.encode(parts.join(','));
  }));
  reg.register(svc, 'Bidi', 'bidi', bidiHandler(async function* (reqs) {
    for await (const m of reqs) yield m;
  }));
  reg.register(svc, 'Ticker', 'server_stream', serverStreamHandler(async function* (req, { signal }) {
    const r = dec.decode(req);
    for (let i = 1; ; i++) {
      try {
        await sleep(TICKER_INTERVAL_MS, undefined, { signal });
      } catch {
        throw new RpcError(Code.CANCELLED, 'context canceled');
      }
      yield enc.encode(`${r}-${i}`);
    }
  }));
}
