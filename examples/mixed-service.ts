// A mixed service: SayHello and LotsOfGreetings are sync style (async
// function / async iterable), LotsOfReplies and Chat are callback style
// (they return reactors). Run: node --import tsx examples/mixed-service.ts
import { OK_STATUS, PipeListener, Server, type ServerOptions, ServerBidiReactor, ServerWriteReactor, Client, callback, status, Code, type ServerContext } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';

/** RepliesReactor writes three replies, one per onWriteDone, then finishes. */
class RepliesReactor extends ServerWriteReactor<HelloReply> {
  private sent = 0;
  constructor(private readonly name: string) {
    super();
    this.onWriteDone(true);
  }
  override onWriteDone(ok: boolean): void {
    if (!ok) return this.finish(status(Code.CANCELLED, 'client went away'));
    if (this.sent === 3) return this.finish(OK_STATUS);
    this.startWrite({ message: `hello #${++this.sent}, ${this.name}` });
  }
}

/** ChatReactor answers every message until the client half-closes. */
class ChatReactor extends ServerBidiReactor<HelloRequest, HelloReply> {
  constructor() {
    super();
    this.startRead();
  }
  override onReadDone(ok: boolean, req: HelloRequest | undefined): void {
    if (!ok) return this.finish(OK_STATUS);
    this.startWrite({ message: `you said ${req!.name}` });
  }
  override onWriteDone(ok: boolean): void {
    if (ok) this.startRead();
    else this.finish(status(Code.CANCELLED, 'write failed'));
  }
}

/** createGreeterServer builds the mixed server. */
export function createGreeterServer(options: ServerOptions = {}): Server {
  return new Server(options).addService(Greeter, {
    SayHello: async (req) => ({ message: `hello, ${req.name}` }),
    LotsOfReplies: callback((_ctx: ServerContext, req: HelloRequest) => new RepliesReactor(req.name)),
    LotsOfGreetings: async (reqs) => {
      const names: string[] = [];
      for await (const r of reqs) names.push(r.name);
      return { message: `hello, ${names.join(' and ')}` };
    },
    Chat: callback(() => new ChatReactor()),
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const listener = new PipeListener();
  const server = createGreeterServer();
  await server.listen(listener);
  const client = await Client.connect(listener);
  console.log((await client.unary(Greeter.methods.SayHello, { name: 'mixed' })).message);
  for await (const r of client.serverStream(Greeter.methods.LotsOfReplies, { name: 'stream' })) console.log(r.message);
  console.log((await client.clientStream(Greeter.methods.LotsOfGreetings, [{ name: 'a' }, { name: 'b' }])).message);
  for await (const r of client.bidi(Greeter.methods.Chat, [{ name: 'x' }, { name: 'y' }])) console.log(r.message);
  await client.close();
  await server.shutdown();
}
