// Server streaming with a ClientReadReactor: startRead in onReadDone until ok=false.
// Run: node --import tsx examples/read-reactor.ts
import { Client, ClientReadReactor, PipeListener, formatStatus, type Status } from '../src/index.js';
import { Greeter, type HelloReply } from './greeter.js';
import { createGreeterServer } from './mixed-service.js';

class Reader extends ClientReadReactor<HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  override onReadDone(ok: boolean, reply: HelloReply | undefined): void {
    if (!ok) return;
    console.log(`read: ${reply!.message}`);
    this.startRead();
  }
  override onDone(s: Status): void {
    console.log(`done: ${formatStatus(s)}`);
    this.finished();
  }
}

const listener = new PipeListener();
const server = createGreeterServer();
await server.listen(listener);
const client = await Client.connect(listener);
const reader = new Reader();
client.bindRead(Greeter.methods.LotsOfReplies, { name: 'reader' }, reader);
reader.startRead(); // held until startCall
reader.startCall();
await reader.done;
await client.close();
await server.shutdown();
