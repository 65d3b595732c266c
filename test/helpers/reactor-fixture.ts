import { setTimeout as sleep } from 'node:timers/promises';
import { Server, type ServerOptions } from '../../src/server/server.js';
import { Client, type ClientOptions } from '../../src/client/client.js';
import { callback } from '../../src/services/handlers.js';
import { EchoService, StreamingService } from '../../src/cli/interop/ttrpc-definitions.js';
import { ServerBidiReactor, ServerWriteReactor } from '../../reactors/server-reactors.js';
import type { ServerContext } from '../../reactors/server-context.js';
import { Code } from '../../src/status/code.js';
import { RpcError } from '../../src/status/rpc-error.js';
import { OK_STATUS, status } from '../../src/status/status.js';
import type { Listener } from '../../src/transport/conn.js';
import type { ttrpc } from '../../generated/interop.js';
import { dialTarget } from './transports.js';

type Payload = ttrpc.interop.v1.IPayload;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** p builds a Payload from text. */
export const p = (s: string): Payload => ({ data: enc.encode(s) });
/** txt reads a Payload's text. */
export const txt = (x: Payload | undefined): string => dec.decode(x?.data ?? new Uint8Array(0));

class ServerStreamReactor extends ServerWriteReactor<Payload> {
  private i = 0;
  constructor(private readonly req: ttrpc.interop.v1.IStreamRequest) {
    super();
    this.next();
  }
  private next(): void {
    const count = this.req.count ?? 0;
    if (this.i < count) return this.startWrite(p(`${txt({ data: this.req.data })}-${++this.i}`));
    this.finish(this.req.failCode ? status(this.req.failCode, this.req.failMessage ?? '') : OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.next();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
}

class EchoBidiReactor extends ServerBidiReactor<Payload, Payload> {
  constructor() {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean, req: Payload | undefined): void {
    if (!ok) return this.finish(OK_STATUS);
    this.startWrite(p(txt(req)));
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.startRead();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
}

/** mixedServer serves the interop services with a mix of callback and sync-style methods. */
export function mixedServer(options: ServerOptions = {}): Server {
  const server = new Server(options);
  server.addService(EchoService, {
    Echo: async (req) => req,
    Fail: callback((ctx: ServerContext, req: ttrpc.interop.v1.IFailRequest) => {
      const r = ctx.defaultReactor<Payload>();
      r.finish(status(req.code ?? 0, req.message ?? ''));
      return r;
    }),
    Metadata: async (_req, ctx) => {
      const keys = ctx.metadata.keys().sort();
      return { entries: keys.flatMap((key) => ctx.metadata.getAll(key).map((value) => ({ key, value }))) };
    },
    Sleep: async (req, ctx) => {
      try {
        await sleep(Number(req.millis ?? 0), undefined, { signal: ctx.signal });
      } catch {
        throw ctx.signal.reason instanceof RpcError ? ctx.signal.reason : new RpcError(Code.CANCELLED, 'cancelled');
      }
      return p('slept');
    },
    Big: async (req) => {
      const n = Number(req.size ?? 0);
      if (n < 0 || n > 64 << 20) throw new RpcError(Code.INVALID_ARGUMENT, 'bad size');
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = i % 251;
      return { data: out };
    },
  });
  server.addService(StreamingService, {
    ServerStream: callback((_ctx: ServerContext, req: ttrpc.interop.v1.IStreamRequest) => new ServerStreamReactor(req)),
    ClientStream: async (reqs) => {
      const parts: string[] = [];
      for await (const r of reqs) parts.push(txt(r));
      return p(parts.join(','));
    },
    BidiEcho: callback(() => new EchoBidiReactor()),
  });
  return server;
}

/** startMixed starts the mixed server on a target and connects a client. */
export async function startMixed(target: string | Listener, proto: ProtocolCase = PROTOCOLS[0]!): Promise<{ server: Server; client: Client }> {
  const server = mixedServer(proto.server);
  const bound = await server.listen(target);
  const client = await Client.connect(dialTarget(target, bound), proto.client);
  return { server, client };
}

/** ProtocolCase names a protocol configuration for both ends. */
export interface ProtocolCase {
  name: string;
  server: ServerOptions;
  client: ClientOptions;
}

/** PROTOCOLS are the protocol configurations the shared matrix runs on. */
export const PROTOCOLS: ProtocolCase[] = [
  { name: 'ttrpc', server: {}, client: {} },
  { name: 'drpc', server: { protocol: 'drpc' }, client: { protocol: 'drpc' } },
  { name: 'drpc-mux', server: { protocol: 'drpc', multiplex: true }, client: { protocol: 'drpc', multiplex: true } },
];
