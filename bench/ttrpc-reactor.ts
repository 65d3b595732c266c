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
import { type EchoDriver, type RoundResult, benchWriteBuffer } from './stats.js';
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
export class ReactorEchoClient implements EchoDriver {
  /** trackLatency is set for sequential rounds. */
  trackLatency = false;
  private calls = 0;
  private outstanding = 0;
  private stopped = true;
  private latencies: number[] = [];
  private finish: ((err?: Error) => void) | undefined;

  private constructor(
    private readonly client: Client,
    private readonly payload: Uint8Array,
  ) {}

  /** connect dials the server. */
  static async connect(target: string | PipeListener, payload: Uint8Array): Promise<ReactorEchoClient> {
    return new ReactorEchoClient(await Client.connect(target, { ttrpc: { writeBufferSize: benchWriteBuffer() } }), payload);
  }

  /** run keeps `inflight` calls outstanding for `seconds`, then drains them. */
  run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult> {
    this.calls = 0;
    this.latencies = [];
    this.trackLatency = trackLatency;
    this.stopped = false;
    const start = performance.now();
    const timer = setTimeout(() => (this.stopped = true), seconds * 1000);
    return new Promise((resolve, reject) => {
      this.finish = (err) => {
        clearTimeout(timer);
        this.finish = undefined;
        if (err) reject(err);
        else resolve({ calls: this.calls, seconds: (performance.now() - start) / 1000, latenciesMs: this.latencies });
      };
      for (let i = 0; i < inflight; i++) this.next();
    });
  }

  /** done is called from a call's onDone. */
  done(s: Status, response: Uint8Array | undefined, t0: number): void {
    this.outstanding--;
    if (s.code !== 0 || response === undefined || response.byteLength !== this.payload.byteLength) {
      this.stopped = true;
      this.finish?.(new Error(`reactor echo: status ${s.code} ${s.message}`));
      return;
    }
    this.calls++;
    if (this.trackLatency) this.latencies.push(performance.now() - t0);
    if (!this.stopped) this.next();
    else if (this.outstanding === 0) this.finish?.();
  }

  /** close closes the connection. */
  close(): void {
    void this.client.close();
  }

  private next(): void {
    this.outstanding++;
    const r = new EchoReactor(this);
    this.client.bindUnary(ECHO, this.payload, r);
    r.startCall();
  }
}
