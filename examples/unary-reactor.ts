// Unary with reactors on both sides: a ServerUnaryReactor from
// ctx.defaultReactor(), a ClientUnaryReactor, and the one-line shortcut.
// Run: node --import tsx examples/unary-reactor.ts
import { Client, ClientUnaryReactor, OK_STATUS, PipeListener, Server, formatStatus, type ServerContext, type Status } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';

const server = new Server().addCallbackService(Greeter, {
  SayHello: (ctx: ServerContext, req: HelloRequest) => {
    const reactor = ctx.defaultReactor<HelloReply>();
    reactor.finish(OK_STATUS, { message: `hello, ${req.name}` });
    return reactor;
  },
  LotsOfReplies: () => {
    throw new Error('not used');
  },
  LotsOfGreetings: () => {
    throw new Error('not used');
  },
  Chat: () => {
    throw new Error('not used');
  },
});
const listener = new PipeListener();
await server.listen(listener);
const client = await Client.connect(listener);

class Hello extends ClientUnaryReactor<HelloReply> {
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor() {
    super();
    this.done = new Promise((r) => (this.resolve = r));
  }
  override onDone(s: Status, reply: HelloReply | undefined): void {
    console.log(`reactor: ${formatStatus(s)} ${reply?.message}`);
    this.resolve();
  }
}
const reactor = new Hello();
client.bindUnary(Greeter.methods.SayHello, { name: 'reactor' }, reactor);
reactor.startCall();
await reactor.done;

await new Promise<void>((resolve) =>
  client.unaryCallback(Greeter.methods.SayHello, { name: 'shortcut' }, undefined, (s, reply) => {
    console.log(`shortcut: ${formatStatus(s)} ${reply?.message}`);
    resolve();
  }),
);
await client.close();
await server.shutdown();
