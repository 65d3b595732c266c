import { setTimeout as sleep } from 'node:timers/promises';
import type { ttrpc } from '../../../generated/interop.js';
import { ServerBidiReactor, ServerWriteReactor } from '../../../reactors/server-reactors.js';
import type { ServerContext } from '../../../reactors/server-context.js';
import type { Server } from '../../server/server.js';
import { callback } from '../../services/handlers.js';
import { Code } from '../../status/code.js';
import { RpcError } from '../../status/rpc-error.js';
import { OK_STATUS, status } from '../../status/status.js';
import { EchoService, StreamingService } from './ttrpc-definitions.js';

type Payload = ttrpc.interop.v1.IPayload;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_BIG = 64 * 1024 * 1024;
const text = (b: Uint8Array | null | undefined) => dec.decode(b ?? new Uint8Array(0));

/** CountdownReactor serves ServerStream: `count` writes of data-i, then the requested failure or OK. */
class CountdownReactor extends ServerWriteReactor<Payload> {
  private i = 0;
  constructor(private readonly req: ttrpc.interop.v1.IStreamRequest) {
    super();
    this.onWriteDone(true);
  }
  override onWriteDone(ok: boolean): void {
    if (!ok) return this.finish(status(Code.CANCELLED, 'write failed'));
    if (this.i < (this.req.count ?? 0)) return this.startWrite({ data: enc.encode(`${text(this.req.data)}-${++this.i}`) });
    this.finish(this.req.failCode ? status(this.req.failCode, this.req.failMessage ?? '') : OK_STATUS);
  }
}

/** EchoReactor serves BidiEcho: every message back until the client half-closes. */
class EchoReactor extends ServerBidiReactor<Payload, Payload> {
  constructor() {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean, req: Payload | undefined): void {
    if (ok) this.startWrite({ data: req!.data });
    else this.finish(OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.startRead();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
}

/**
 * addTtrpcInteropServices serves the ttrpc interop services on reactors,
 * mixing callback style (Fail, ServerStream, BidiEcho) and sync style (the rest).
 */
export function addTtrpcInteropServices(server: Server): void {
  server.addService(EchoService, {
    Echo: async (req) => ({ data: req.data }),
    Fail: callback((ctx: ServerContext, req: ttrpc.interop.v1.IFailRequest) => {
      const r = ctx.defaultReactor<Payload>();
      r.finish(status(req.code ?? 0, req.message ?? ''));
      return r;
    }),
    Metadata: async (_req, ctx) => ({
      entries: ctx.metadata
        .keys()
        .sort()
        .flatMap((key) => ctx.metadata.getAll(key).map((value) => ({ key, value }))),
    }),
    Sleep: async (req, ctx) => {
      try {
        await sleep(Number(req.millis ?? 0), undefined, { signal: ctx.signal });
      } catch {
        const late = ctx.deadline !== undefined && Date.now() >= ctx.deadline;
        throw new RpcError(late ? Code.DEADLINE_EXCEEDED : Code.CANCELLED, late ? 'context deadline exceeded' : 'context canceled');
      }
      return { data: enc.encode('slept') };
    },
    Big: async (req) => {
      const size = Number(req.size ?? 0);
      if (!(size >= 0 && size <= MAX_BIG)) throw new RpcError(Code.INVALID_ARGUMENT, `size ${size} out of range 0..${MAX_BIG}`);
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = i % 251;
      return { data: out };
    },
  });
  server.addService(StreamingService, {
    ServerStream: callback((_ctx: ServerContext, req: ttrpc.interop.v1.IStreamRequest) => new CountdownReactor(req)),
    ClientStream: async (reqs) => {
      const parts: string[] = [];
      for await (const r of reqs) parts.push(text(r.data));
      return { data: enc.encode(parts.join(',')) };
    },
    BidiEcho: callback(() => new EchoReactor()),
  });
}
