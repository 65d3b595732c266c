/**
 * The reactor side (`--ours reactor`): the callback API on both ends. The
 * server's Echo is `callback((ctx, req) => { const r = ctx.defaultReactor();
 * r.finish(OK_STATUS, req); return r; })`; the client binds one
 * ClientUnaryReactor per call with `client.bindUnary()` and starts the next
 * call from onDone. Every reaction runs on the scheduler.
 */
import { Client, ClientUnaryReactor, OK_STATUS, Server, type ServerContext, type Status, callback } from '../src/index.js';
import type { Listener } from '../src/transport/conn.js';
import type { PipeListener } from '../src/transport/pipe-listener.js';
import { EchoLoop } from './echo-loop.js';
import { benchWriteBuffer } from './stats.js';
import { ECHO_SERVICE } from './ttrpc-api.js';

const ECHO = ECHO_SERVICE.methods.Echo;

/** startReactorEchoServer serves bench.Echo/Echo with a callback (reactor) handler. */
export async function startReactorEchoServer(target: string | Listener): Promise<{ server: { close(): Promise<void> }; address: string }> {
  const server = new Server({ ttrpc: { writeBufferSize: benchWriteBuffer() } }).addService(ECHO_SERVICE, {
    Echo: callback((ctx: ServerContext, req: Uint8Array) => {
      const r = ctx.defaultReactor<Uint8Array>();
      r.finish(OK_STATUS, req);
      return r;
    }),
  });
  const address = await server.listen(target);
  return { server: { close: () => server.forceShutdown() }, address };
}

/** EchoReactor is one unary call; its onDone reports to the driver. */
class EchoReactor extends ClientUnaryReactor<Uint8Array> {
  private readonly t0: number;
  constructor(private readonly owner: ReactorEchoClient) {
    super();
    this.t0 = owner.trackLatency ? performance.now() : 0;
  }
  override onDone(s: Status, response: Uint8Array | undefined): void {
    this.owner.done(s, response, this.t0);
  }
}

/** ReactorEchoClient keeps N unary calls in flight with one ClientUnaryReactor each. */
export class ReactorEchoClient extends EchoLoop {
  private constructor(
    private readonly client: Client,
    payload: Uint8Array,
  ) {
    super(payload, 'reactor echo');
  }

  /** connect dials the server. */
  static async connect(target: string | PipeListener, payload: Uint8Array): Promise<ReactorEchoClient> {
    return new ReactorEchoClient(await Client.connect(target, { ttrpc: { writeBufferSize: benchWriteBuffer() } }), payload);
  }

  /** close closes the connection. */
  close(): void {
    void this.client.close();
  }

  protected startCall(): void {
    const r = new EchoReactor(this);
    this.client.bindUnary(ECHO, this.payload, r);
    r.startCall();
  }
}
