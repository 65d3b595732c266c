/**
 * The public-API side (`--ours api`, the default): what an application runs.
 * The server is `new Server()` with a sync-style async handler on a raw-bytes
 * unary method; the client is `Client.connect()` and `client.unary()`, each
 * of N lanes awaiting its call before making the next one. ttrpc by default;
 * the drpc scenarios pass the protocol options through.
 */
import { type ClientOptions, type ServerOptions, type Client as ClientType, Client, Server, defineService, rawMethod } from '../src/index.js';
import type { Listener } from '../src/transport/conn.js';
import type { PipeListener } from '../src/transport/pipe-listener.js';
import { type EchoDriver, type RoundResult, benchWriteBuffer } from './stats.js';

/** withWriteBuffer adds `--write-buffer` to Server or Client options. */
function withWriteBuffer<O extends ServerOptions | ClientOptions>(o: O): O {
  const writeBufferSize = benchWriteBuffer();
  return writeBufferSize === undefined ? o : { ...o, ttrpc: { ...o.ttrpc, writeBufferSize }, drpc: { ...o.drpc, writeBufferSize } };
}

/** ECHO_SERVICE is the benchmark's service: one raw-bytes unary echo method. */
export const ECHO_SERVICE = defineService('bench.Echo', { Echo: rawMethod('/bench.Echo/Echo', 'unary') });

const ECHO = ECHO_SERVICE.methods.Echo;

/** ApiEchoServer is a Server with a close() to match the other benchmark servers. */
export interface ApiEchoServer {
  /** close shuts the server down at once. */
  close(): Promise<void>;
}

/** startApiEchoServer serves bench.Echo/Echo through Server.addService with `async (req) => req` (ttrpc unless `options` say otherwise). */
export async function startApiEchoServer(target: string | Listener, options: ServerOptions = {}): Promise<{ server: ApiEchoServer; address: string }> {
  const server = new Server(withWriteBuffer(options)).addService(ECHO_SERVICE, { Echo: async (req: Uint8Array) => req });
  const address = await server.listen(target);
  return { server: { close: () => server.forceShutdown() }, address };
}

/** ApiEchoClient runs echo rounds with `inflight` concurrent client.unary() loops on one Client. */
export class ApiEchoClient implements EchoDriver {
  private constructor(
    private readonly client: ClientType,
    private readonly payload: Uint8Array,
  ) {}

  /** connect dials the server with Client.connect (ttrpc unless `options` say otherwise) and returns a driver that sends `payload` in every call. */
  static async connect(target: string | PipeListener, payload: Uint8Array, options: ClientOptions = {}): Promise<ApiEchoClient> {
    return new ApiEchoClient(await Client.connect(target, withWriteBuffer(options)), payload);
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
        const reply = await client.unary(ECHO, payload);
        if (reply.byteLength !== payload.byteLength) throw new Error(`api echo: got ${reply.byteLength} bytes, want ${payload.byteLength}`);
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
    void this.client.close();
  }
}
