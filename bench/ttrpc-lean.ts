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
import { OK_STATUS, type Status } from '../src/status/status.js';
import type { Listener } from '../src/transport/conn.js';
import type { PipeListener } from '../src/transport/pipe-listener.js';
import { EchoLoop } from './echo-loop.js';
import { benchWriteBuffer } from './stats.js';
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
    call: ClientCall,
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
    this.owner.done(s, this.reply, this.t0);
  }
}

/** LeanEchoClient keeps N unary calls in flight through ClientCall listeners, without promises. */
export class LeanEchoClient extends EchoLoop {
  private constructor(
    private readonly client: TtrpcClientSession,
    payload: Uint8Array,
  ) {
    super(payload, 'lean echo');
  }

  /** connect dials the server. */
  static async connect(target: string | PipeListener, payload: Uint8Array): Promise<LeanEchoClient> {
    return new LeanEchoClient(await connectTtrpc(target, { ttrpc: { writeBufferSize: benchWriteBuffer() } }), payload);
  }

  /** close closes the connection. */
  close(): void {
    this.client.close();
  }

  protected startCall(): void {
    new LeanCall(this, this.client.createCall(ECHO_METHOD, 'unary', {}));
  }
}
