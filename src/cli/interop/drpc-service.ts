import { ServerBidiReactor, ServerWriteReactor } from '../../../reactors/server-reactors.js';
import type { ServerContext } from '../../../reactors/server-context.js';
import { rawMethod } from '../../call/method.js';
import type { Server } from '../../server/server.js';
import { defineService } from '../../services/definition.js';
import { callback } from '../../services/handlers.js';
import { Code } from '../../status/code.js';
import { RpcError } from '../../status/rpc-error.js';
import { OK_STATUS, status } from '../../status/status.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** DRPC_PEER_SERVICE is the service name of the drpc interop peer (`/drpcpeer.Peer/<Method>`). */
export const DRPC_PEER_SERVICE = 'drpcpeer.Peer';

/** TICKER_INTERVAL_MS is the Ticker method's period. */
export const TICKER_INTERVAL_MS = 20;

const P = `/${DRPC_PEER_SERVICE}`;

/** DrpcPeerService is the drpc interop service; its messages are raw bytes (the message on the wire is the payload). */
export const DrpcPeerService = defineService(DRPC_PEER_SERVICE, {
  Echo: rawMethod(`${P}/Echo`, 'unary'),
  Fail: rawMethod(`${P}/Fail`, 'unary'),
  MetaEcho: rawMethod(`${P}/MetaEcho`, 'unary'),
  ServerStream: rawMethod(`${P}/ServerStream`, 'server_stream'),
  ClientStream: rawMethod(`${P}/ClientStream`, 'client_stream'),
  Bidi: rawMethod(`${P}/Bidi`, 'bidi'),
  Ticker: rawMethod(`${P}/Ticker`, 'server_stream'),
});

/** TickerReactor serves Ticker: `<request>-<i>` every TICKER_INTERVAL_MS after the previous write, until cancelled. */
class TickerReactor extends ServerWriteReactor<Uint8Array> {
  private i = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  constructor(private readonly prefix: string) {
    super();
    this.arm();
  }
  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.ended) this.startWrite(enc.encode(`${this.prefix}-${++this.i}`));
    }, TICKER_INTERVAL_MS);
  }
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.finish(status(Code.CANCELLED, 'context canceled'));
  }
  override onWriteDone(ok: boolean): void {
    if (ok && !this.ended) this.arm();
    else this.end();
  }
  override onCancel(): void {
    this.end();
  }
}

/** EchoReactor serves Bidi: every message back until the client half-closes. */
class EchoReactor extends ServerBidiReactor<Uint8Array, Uint8Array> {
  constructor() {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean, req: Uint8Array | undefined): void {
    if (ok) this.startWrite(req!);
    else this.finish(OK_STATUS);
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.startRead();
    else this.finish(OK_STATUS);
  }
}

/**
 * addDrpcInteropService serves the drpc interop service as the interop
 * contract defines it: Echo, Fail, MetaEcho, ServerStream, ClientStream,
 * Bidi and Ticker; Bidi and Ticker on reactors, the rest sync style.
 */
export function addDrpcInteropService(server: Server): void {
  server.addService(DrpcPeerService, {
    Echo: async (req) => req,
    Fail: async (req) => {
      const text = dec.decode(req);
      const m = /^(\d+):([\s\S]*)$/.exec(text);
      if (m) throw new RpcError(Number(m[1]), m[2]);
      throw new RpcError(42, `fail: ${text}`);
    },
    MetaEcho: async (_req, ctx) => {
      const keys = ctx.metadata.keys().sort();
      return enc.encode(keys.map((k) => `${k}=${ctx.metadata.getAll(k).at(-1) ?? ''}\n`).join(''));
    },
    ServerStream: async function* (req) {
      const r = dec.decode(req);
      for (let i = 1; i <= 3; i++) yield enc.encode(`${r}-${i}`);
    },
    ClientStream: async (reqs) => {
      const parts: string[] = [];
      for await (const m of reqs) parts.push(dec.decode(m));
      return enc.encode(parts.join(','));
    },
    Bidi: callback(() => new EchoReactor()),
    Ticker: callback((_ctx: ServerContext, req: Uint8Array) => new TickerReactor(dec.decode(req))),
  });
}
