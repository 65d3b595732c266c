/**
 * The reactor-rpc side: a ttrpc unary echo through the whole call layer
 * (TtrpcClientSession, unaryCall, CallServer, MethodRegistry, unaryHandler).
 */
import { unaryCall, unaryHandler } from '../test/helpers/call-adapters.js';
import { connectTtrpc } from '../src/client/connect.js';
import type { TtrpcClientSession } from '../src/protocol/ttrpc/client-session.js';
import { CallServer } from '../src/server/call-server.js';
import { MethodRegistry } from '../src/server/method-registry.js';
import type { Listener } from '../src/transport/conn.js';
import type { PipeListener } from '../src/transport/pipe-listener.js';
import type { EchoDriver, RoundResult } from './stats.js';

/** ECHO_METHOD is the full name of the benchmark's echo method. */
export const ECHO_METHOD = '/bench.Echo/Echo';

/** startTtrpcEchoServer serves bench.Echo/Echo (the reply is the request bytes) on an address or listener. */
export async function startTtrpcEchoServer(target: string | Listener): Promise<{ server: CallServer; address: string }> {
  const reg = new MethodRegistry();
  reg.register('bench.Echo', 'Echo', 'unary', unaryHandler(async (req) => req));
  const server = new CallServer(reg);
  const address = await server.listen(target);
  return { server, address };
}

/** TtrpcEchoClient runs echo rounds with `inflight` concurrent unaryCall loops on one connection. */
export class TtrpcEchoClient implements EchoDriver {
  private constructor(
    private readonly client: TtrpcClientSession,
    private readonly payload: Uint8Array,
  ) {}

  /** connect dials the server and returns a client that sends `payload` in every call. */
  static async connect(target: string | PipeListener, payload: Uint8Array): Promise<TtrpcEchoClient> {
    return new TtrpcEchoClient(await connectTtrpc(target), payload);
  }

  /** run keeps `inflight` calls outstanding for `seconds`, then waits for the ones in flight. */
  async run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult> {
    const { client, payload } = this;
    const latencies: number[] = [];
    let calls = 0;
    let stopped = false;
    const timer = setTimeout(() => (stopped = true), seconds * 1000);
    const start = performance.now();
    const lane = async (): Promise<void> => {
      while (!stopped) {
        const t0 = trackLatency ? performance.now() : 0;
        const reply = await unaryCall(client, ECHO_METHOD, payload);
        if (reply.byteLength !== payload.byteLength) throw new Error(`ttrpc echo: got ${reply.byteLength} bytes, want ${payload.byteLength}`);
        if (trackLatency) latencies.push(performance.now() - t0);
        calls++;
      }
    };
    try {
      await Promise.all(Array.from({ length: inflight }, lane));
    } finally {
      stopped = true;
      clearTimeout(timer);
    }
    return { calls, seconds: (performance.now() - start) / 1000, latenciesMs: latencies };
  }

  /** close closes the connection. */
  close(): void {
    this.client.close();
  }
}
