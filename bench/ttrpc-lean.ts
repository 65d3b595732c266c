/**
 * The lean reactor-rpc side (`--ours lean`): the same ttrpc sessions, but the
 * echo is driven through the CallListener interface directly on both ends,
 * without the promise adapters (CallIO, unaryCall, unaryHandler and its
 * AbortController). Comparing it with the default side separates the cost of
 * the sessions from the cost of the adapters.
 */
import type { CallListener, ClientCall, ServerCall } from '../src/call/call.js';
import { connectTtrpc } from '../src/client/connect.js';
import type { TtrpcClientSession } from '../src/protocol/ttrpc/client-session.js';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import { Code } from '../src/status/code.js';
import { OK_STATUS, type Status } from '../src/status/status.js';
import type { Listener } from '../src/transport/conn.js';
import type { PipeListener } from '../src/transport/pipe-listener.js';
import { type EchoDriver, type RoundResult, benchWriteBuffer } from './stats.js';
import { ECHO_METHOD } from './ttrpc-echo.js';

function leanEcho(call: ServerCall): void {
  call.start({
    onMessage(m) {
      if (m === null) return;
      call.send(m);
      call.finish(OK_STATUS);
    },
    onWritable() {},
    onStatus() {},
  });
  call.request(1);
}

/** startLeanEchoServer serves bench.Echo/Echo with a listener-level handler. */
export async function startLeanEchoServer(target: string | Listener): Promise<{ server: CallServer; address: string }> {
  const reg = new MethodRegistry();
  reg.register('bench.Echo', 'Echo', 'unary', leanEcho);
  const server = new CallServer(reg, { ttrpc: { writeBufferSize: benchWriteBuffer() } });
  return { server, address: await server.listen(target) };
}

/** LeanCall is one unary echo call driven by its listener; it reports to the client when it ends. */
class LeanCall implements CallListener {
  private reply: Uint8Array | null = null;
  private readonly t0: number;

  constructor(
    private readonly owner: LeanEchoClient,
    private readonly call: ClientCall,
  ) {
    this.t0 = owner.trackLatency ? performance.now() : 0;
    call.start(this);
    call.send(owner.payload, { last: true });
    call.request(1);
  }

  onMessage(m: Uint8Array | null): void {
    if (m !== null) this.reply = m;
  }

  onWritable(): void {}

  onStatus(s: Status): void {
    this.owner.done(this.call, s, this.reply, this.t0);
  }
}

/** LeanEchoClient keeps N unary calls in flight through ClientCall listeners, without promises. */
export class LeanEchoClient implements EchoDriver {
  /** trackLatency is set for sequential rounds. */
  trackLatency = false;
  private calls = 0;
  private outstanding = 0;
  private stopped = true;
  private latencies: number[] = [];
  private finish: ((err?: Error) => void) | undefined;

  private constructor(
    private readonly client: TtrpcClientSession,
    /** payload is the request body of every call. */
    readonly payload: Uint8Array,
  ) {}

  /** connect dials the server. */
  static async connect(target: string | PipeListener, payload: Uint8Array): Promise<LeanEchoClient> {
    return new LeanEchoClient(await connectTtrpc(target, { ttrpc: { writeBufferSize: benchWriteBuffer() } }), payload);
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

  /** done is called by a finished call. */
  done(_call: ClientCall, s: Status, reply: Uint8Array | null, t0: number): void {
    this.outstanding--;
    if (s.code !== Code.OK || reply === null || reply.byteLength !== this.payload.byteLength) {
      this.stopped = true;
      this.finish?.(new Error(`lean echo: status ${s.code} ${s.message}, reply ${reply?.byteLength ?? 'none'}`));
      return;
    }
    this.calls++;
    if (this.trackLatency) this.latencies.push(performance.now() - t0);
    if (!this.stopped) this.next();
    else if (this.outstanding === 0) this.finish?.();
  }

  /** close closes the connection. */
  close(): void {
    this.client.close();
  }

  private next(): void {
    this.outstanding++;
    new LeanCall(this, this.client.createCall(ECHO_METHOD, 'unary', {}));
  }
}
