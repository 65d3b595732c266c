// Client streaming with a ClientWriteReactor: one startWrite per onWriteDone,
// then startWritesDone; the reply arrives with onDone.
// Run: node --import tsx examples/write-reactor.ts
import { Client, ClientWriteReactor, PipeListener, formatStatus, type Status } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';
import { createGreeterServer } from './mixed-service.js';

class Writer extends ClientWriteReactor<HelloRequest, HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  constructor(private readonly names: string[]) {
    super();
  }
  begin(): void {
    this.onWriteDone(true);
    this.startCall();
  }
  override onWriteDone(ok: boolean): void {
    const name = this.names.shift();
    if (ok && name) this.startWrite({ name });
    else this.startWritesDone();
  }
  override onDone(s: Status, reply: HelloReply | undefined): void {
    console.log(`done: ${formatStatus(s)} ${reply?.message}`);
    this.finished();
  }
}

const listener = new PipeListener();
const server = createGreeterServer();
await server.listen(listener);
const client = await Client.connect(listener);
const writer = new Writer(['ada', 'grace', 'barbara']);
client.bindWrite(Greeter.methods.LotsOfGreetings, writer);
writer.begin();
await writer.done;
await client.close();
await server.shutdown();
