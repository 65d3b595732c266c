// The reactor-rpc demo (`npm start`): a server and a client on the in-memory
// pipe, the four call shapes through reactors, the promise API and the unary
// shortcut on ttrpc and drpc, once more through a proxy hop, then the
// scheduler's statistics. Needs no network and no Go.
import { Client, ClientBidiReactor, ClientReadReactor, ClientWriteReactor, PipeListener, Server, createProxy, defaultScheduler, formatStatus, type Status } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from './greeter.js';
import { createGreeterServer } from './mixed-service.js';

const log = (what: string, text: string) => console.log(`  ${what.padEnd(26)} ${text}`);

class Reader extends ClientReadReactor<HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  override onReadDone(ok: boolean, reply: HelloReply | undefined): void {
    if (!ok) return;
    log('read reactor onReadDone', reply!.message);
    this.startRead();
  }
  override onDone(s: Status): void {
    log('read reactor onDone', formatStatus(s));
    this.finished();
  }
}

class Writer extends ClientWriteReactor<HelloRequest, HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  private readonly names = ['ada', 'grace'];
  override onWriteDone(ok: boolean): void {
    const name = this.names.shift();
    if (ok && name) this.startWrite({ name });
    else this.startWritesDone();
  }
  override onDone(s: Status, reply: HelloReply | undefined): void {
    log('write reactor onDone', `${formatStatus(s)} ${reply?.message}`);
    this.finished();
  }
}

class Chat extends ClientBidiReactor<HelloRequest, HelloReply> {
  private finished: () => void = () => undefined;
  readonly done = new Promise<void>((r) => (this.finished = r));
  private readonly outbox = ['ping', 'pong'];
  override onWriteDone(ok: boolean): void {
    const next = this.outbox.shift();
    if (ok && next) this.startWrite({ name: next });
    else this.startWritesDone();
  }
  override onReadDone(ok: boolean, reply: HelloReply | undefined): void {
    if (!ok) return;
    log('bidi reactor onReadDone', reply!.message);
    this.startRead();
  }
  override onDone(s: Status): void {
    log('bidi reactor onDone', formatStatus(s));
    this.finished();
  }
}

async function runShapes(client: Client): Promise<void> {
  log('unary promise', (await client.unary(Greeter.methods.SayHello, { name: 'promise' })).message);
  await new Promise<void>((resolve) =>
    client.unaryCallback(Greeter.methods.SayHello, { name: 'shortcut' }, undefined, (s, reply) => {
      log('unary shortcut', `${formatStatus(s)} ${reply?.message}`);
      resolve();
    }),
  );
  const reader = new Reader();
  client.bindRead(Greeter.methods.LotsOfReplies, { name: 'reader' }, reader);
  reader.startRead();
  reader.startCall();
  await reader.done;
  const writer = new Writer();
  client.bindWrite(Greeter.methods.LotsOfGreetings, writer);
  writer.startWrite({ name: 'alan' });
  writer.startCall();
  await writer.done;
  const chat = new Chat();
  client.bindBidi(Greeter.methods.Chat, chat);
  chat.startRead();
  chat.startWrite({ name: 'hello' });
  chat.startCall();
  await chat.done;
  const names: string[] = [];
  for await (const r of client.bidi(Greeter.methods.Chat, [{ name: 'a' }, { name: 'b' }])) names.push(r.message);
  log('bidi async iterable', names.join(' | '));
}

const started = performance.now();
for (const protocol of ['ttrpc', 'drpc'] as const) {
  console.log(`reactor-rpc demo: ${protocol} on the in-memory pipe`);
  const listener = new PipeListener();
  const server = createGreeterServer({ protocol, multiplex: protocol === 'drpc' });
  await server.listen(listener);
  const client = await Client.connect(listener, { protocol, multiplex: protocol === 'drpc' });
  await runShapes(client);
  await client.close();
  await server.shutdown();
}

console.log('reactor-rpc demo: ttrpc client -> generic proxy -> multiplexed drpc server');
{
  const backendListener = new PipeListener();
  const backend = createGreeterServer({ protocol: 'drpc', multiplex: true });
  await backend.listen(backendListener);
  const upstream = await Client.connect(backendListener, { protocol: 'drpc', multiplex: true });
  const proxyListener = new PipeListener();
  const proxy = new Server().addGenericService(createProxy(upstream));
  await proxy.listen(proxyListener);
  const client = await Client.connect(proxyListener);
  await runShapes(client);
  await client.close();
  await proxy.shutdown();
  await upstream.close();
  await backend.shutdown();
}

const s = defaultScheduler().stats();
console.log('scheduler');
log('reactions run', String(s.reactionsRun));
log('batches', `${s.batches} (largest ${s.maxBatch})`);
log('queued now', String(s.queued));
log('slow reactions / errors', `${s.slowReactions} / ${s.errors}`);
console.log(`done in ${(performance.now() - started).toFixed(0)} ms`);
