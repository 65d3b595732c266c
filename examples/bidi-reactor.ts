// Bidirectional streaming with a ClientBidiReactor: reads and writes run
// independently; addHold keeps onDone away while outside work may still start
// operations. Run: node --import tsx examples/bidi-reactor.ts
import { Client, ClientBidiReactor, PipeListener, formatStatus, type Status } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';
import { createGreeterServer } from './mixed-service.js';

class Chat extends ClientBidiReactor<HelloRequest, HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  private readonly outbox = ['one', 'two', 'three'];
  start(): void {
    this.addHold(); // released once the last write was acknowledged
    this.startRead();
    this.startWrite({ name: this.outbox.shift()! });
    this.startCall();
  }
  override onWriteDone(ok: boolean): void {
    const next = this.outbox.shift();
    if (ok && next) return this.startWrite({ name: next });
    this.startWritesDone();
    this.removeHold();
  }
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
const chat = new Chat();
client.bindBidi(Greeter.methods.Chat, chat);
chat.start();
await chat.done;
await client.close();
await server.shutdown();
