/**
 * The streaming benchmark's service (`npm run bench -- stream`), shared by the
 * server process (stream-server-process.ts) and the client (stream-bench.ts).
 *
 * Three raw-bytes methods:
 * - `Generate` (server streaming), sync style: an `async function*` that
 *   yields `count` messages as fast as the call takes them;
 * - `GenerateReactor` (server streaming), callback style: a ServerWriteReactor
 *   that issues the next startWrite from onWriteDone;
 * - `Echo` (bidi), sync style: `for await (const m of requests) yield m`.
 *
 * Every message starts with its sequence number and stream id (uint32 big
 * endian each), so the client can check that all of them arrived in order.
 */
import { Code, OK_STATUS, Server, ServerWriteReactor, type ServerOptions, type ClientOptions, type Status, callback, defineService, rawMethod, status } from '../src/index.js';

/** StreamProtocol names the wire protocol of a streaming row. */
export type StreamProtocol = 'ttrpc' | 'drpc' | 'drpc-mux';

/** STREAM_PROTOCOLS lists the protocols in report order. */
export const STREAM_PROTOCOLS: readonly StreamProtocol[] = ['ttrpc', 'drpc', 'drpc-mux'];

/** SERVER_OPTIONS are the Server options of each protocol. */
export const SERVER_OPTIONS: Record<StreamProtocol, ServerOptions> = {
  ttrpc: {},
  drpc: { protocol: 'drpc' },
  'drpc-mux': { protocol: 'drpc', multiplex: true },
};

/** CLIENT_OPTIONS are the Client.connect options of each protocol (upstream drpc: the default pool, one stream per connection). */
export const CLIENT_OPTIONS: Record<StreamProtocol, ClientOptions> = {
  ttrpc: {},
  drpc: { protocol: 'drpc' },
  'drpc-mux': { protocol: 'drpc', multiplex: true },
};

/** STREAM_SERVICE is the benchmark's streaming service. */
export const STREAM_SERVICE = defineService('bench.Stream', {
  Generate: rawMethod('/bench.Stream/Generate', 'server_stream'),
  GenerateReactor: rawMethod('/bench.Stream/GenerateReactor', 'server_stream'),
  Echo: rawMethod('/bench.Stream/Echo', 'bidi'),
});

/** HEADER_BYTES is the sequence number and stream id at the start of every message. */
export const HEADER_BYTES = 8;

/** GenerateRequest asks for `count` messages of `size` bytes. */
export interface GenerateRequest {
  count: number;
  size: number;
}

/** encodeGenerate encodes a GenerateRequest (two uint32, big endian). */
export function encodeGenerate(r: GenerateRequest): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, r.count);
  v.setUint32(4, r.size);
  return b;
}

/** decodeGenerate decodes a GenerateRequest; throws on a malformed one. */
export function decodeGenerate(b: Uint8Array): GenerateRequest {
  if (b.byteLength !== 8) throw new Error(`bad Generate request: ${b.byteLength} bytes`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { count: v.getUint32(0), size: Math.max(HEADER_BYTES, v.getUint32(4)) };
}

/** streamMessage builds message `seq` of stream `stream`: the header, then bytes (seq + i) & 255. */
export function streamMessage(seq: number, stream: number, size: number): Uint8Array {
  const b = new Uint8Array(Math.max(HEADER_BYTES, size));
  const v = new DataView(b.buffer);
  v.setUint32(0, seq);
  v.setUint32(4, stream);
  for (let i = HEADER_BYTES; i < b.length; i++) b[i] = (seq + i) & 255;
  return b;
}

/** checkMessage returns undefined when `m` is message `seq` of stream `stream` with `size` bytes, else what is wrong. */
export function checkMessage(m: Uint8Array, seq: number, stream: number, size: number): string | undefined {
  const want = Math.max(HEADER_BYTES, size);
  if (m.byteLength !== want) return `message ${seq}: ${m.byteLength} bytes, want ${want}`;
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  const gotSeq = v.getUint32(0);
  const gotStream = v.getUint32(4);
  if (gotSeq !== seq || gotStream !== stream) return `message ${seq} of stream ${stream}: got message ${gotSeq} of stream ${gotStream}`;
  if (m[want - 1] !== ((seq + want - 1) & 255)) return `message ${seq}: payload corrupted`;
  return undefined;
}

/** ServerCallCounts tallies how the server's handlers ended. */
export interface ServerCallCounts {
  /** started counts the handlers called. */
  started: number;
  /** ok counts handlers that wrote everything (or echoed every request) and ended normally. */
  ok: number;
  /** failed counts handlers that ended early (write failed, cancelled, input failed). */
  failed: number;
  /** failures holds up to a few distinct texts of early ends. */
  failures: string[];
}

/** GenerateReactor writes `count` messages, the next one from each onWriteDone. */
class GenerateReactor extends ServerWriteReactor<Uint8Array> {
  private next = 0;
  private ended = false;

  constructor(
    private readonly req: GenerateRequest,
    private readonly counts: ServerCallCounts,
  ) {
    super();
    counts.started++;
    this.onWriteDone(true);
  }

  override onWriteDone(ok: boolean): void {
    if (this.ended) return;
    if (!ok) this.end(status(Code.CANCELLED, `write of message ${this.next - 1} failed`));
    else if (this.next < this.req.count) this.startWrite(streamMessage(this.next++, 0, this.req.size));
    else this.end(OK_STATUS);
  }

  override onCancel(): void {
    this.end(status(Code.CANCELLED, `cancelled after ${this.next} writes`));
  }

  private end(s: Status): void {
    if (this.ended) return;
    this.ended = true;
    tally(this.counts, s.code === Code.OK ? undefined : `GenerateReactor: ${s.message}`);
    this.finish(s);
  }
}

function tally(counts: ServerCallCounts, failure: string | undefined): void {
  if (failure === undefined) {
    counts.ok++;
    return;
  }
  counts.failed++;
  if (counts.failures.length < 5 && !counts.failures.includes(failure)) counts.failures.push(failure);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** startStreamServer serves STREAM_SERVICE with the protocol's Server options; `counts` tallies the handlers' ends. */
export async function startStreamServer(target: string, protocol: StreamProtocol, counts: ServerCallCounts): Promise<{ server: Server; address: string }> {
  const server = new Server(SERVER_OPTIONS[protocol]).addService(STREAM_SERVICE, {
    Generate: async function* (request: Uint8Array) {
      counts.started++;
      const { count, size } = decodeGenerate(request);
      let i = 0;
      let failure: string | undefined = 'Generate: stopped early';
      try {
        for (; i < count; i++) yield streamMessage(i, 0, size);
        failure = undefined;
      } catch (e) {
        failure = `Generate: ${errorText(e)}`;
        throw e;
      } finally {
        // A generator that the call stops early (failed write, cancel) ends here through return().
        tally(counts, failure === undefined ? undefined : `${failure} after ${i} messages`);
      }
    },
    GenerateReactor: callback((_ctx, request: Uint8Array) => new GenerateReactor(decodeGenerate(request), counts)),
    Echo: async function* (requests: AsyncIterable<Uint8Array>) {
      counts.started++;
      let n = 0;
      let failure: string | undefined = 'Echo: stopped early';
      try {
        for await (const m of requests) {
          n++;
          yield m;
        }
        failure = undefined;
      } catch (e) {
        failure = `Echo: ${errorText(e)}`;
        throw e;
      } finally {
        tally(counts, failure === undefined ? undefined : `${failure} after ${n} messages`);
      }
    },
  });
  const address = await server.listen(target);
  return { server, address };
}
