// Backpressure: neither ttrpc nor drpc has flow control on the wire, so a
// connection stops reading while a call's unread messages are at its limit
// and reads again once the consumer catches up. A slow consumer therefore
// gets every message; only a consumer that stops reading altogether fails,
// after receiveStallTimeoutMs, with RESOURCE_EXHAUSTED.
// Run: node --import tsx examples/backpressure.ts
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, PipeListener, RpcError, Server, ServerWriteReactor, OK_STATUS, callback, type ServerContext } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';

/** Flood writes `count` replies as fast as the connection takes them (the next in onWriteDone). */
class Flood extends ServerWriteReactor<HelloReply> {
  private sent = 0;
  constructor(private readonly count: number) {
    super();
    this.onWriteDone(true);
  }
  override onWriteDone(ok: boolean): void {
    if (ok && this.sent < this.count) this.startWrite({ message: `reply #${++this.sent}` });
    else this.finish(OK_STATUS);
  }
}

const server = new Server();
server.addService(Greeter, {
  SayHello: async (req: HelloRequest) => ({ message: `hello, ${req.name}` }),
  LotsOfReplies: callback((_ctx: ServerContext, req: HelloRequest) => new Flood(Number(req.name))),
  LotsOfGreetings: async () => ({ message: '' }),
  Chat: async function* () {},
});
const listener = new PipeListener();
await server.listen(listener);
// Small limits make the effect visible: 64 unread messages per call, a stall after 300 ms.
const client = await Client.connect(listener, { ttrpc: { maxQueuedMessages: 64, receiveStallTimeoutMs: 300 } });

// A slow consumer: it pauses 20 ms every 2,000 messages, far slower than the server writes.
let got = 0;
for await (const reply of client.serverStream(Greeter.methods.LotsOfReplies, { name: '20000' })) {
  got++;
  if (got % 2000 === 0) await sleep(20);
  if (got === 20000) console.log(`slow consumer: ${got} replies, the last "${reply.message}"`);
}

// A consumer that stops reading: the call fails after the stall timeout; the connection serves on.
try {
  for await (const _ of client.serverStream(Greeter.methods.LotsOfReplies, { name: '20000' })) await sleep(1000);
} catch (e) {
  console.log(`stalled consumer: ${(e as RpcError).message}`);
}
console.log(`after the stall: ${(await client.unary(Greeter.methods.SayHello, { name: 'still here' })).message}`);
await client.close();
await server.shutdown();
