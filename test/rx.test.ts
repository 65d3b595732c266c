// rxjs bridges (reactor-rpc/rx): Observables on both sides over the pipe,
// cancellation on unsubscribe, and bounded buffering for fast sources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable, firstValueFrom, from, interval, lastValueFrom, map, take, toArray, timer, concatMap } from 'rxjs';
import { Client, Code, PipeListener, RpcError, Server } from '../src/index.js';
import { observeBidi, observeClientStream, observeServerStream, observeUnary, rxBidi, rxClientStream, rxServerStream, rxUnary } from '../src/rx/index.js';
import { Greeter, type HelloReply, type HelloRequest } from '../examples/greeter.js';

let cancelled = 0;

async function setup(): Promise<{ server: Server; client: Client }> {
  const server = new Server().addService(Greeter, {
    SayHello: rxUnary((req: HelloRequest) => timer(5).pipe(map(() => ({ message: `hi ${req.name}` })))),
    LotsOfReplies: rxServerStream((req: HelloRequest, ctx) => {
      if (req.name === 'forever') {
        ctx.signal.addEventListener('abort', () => cancelled++);
        return interval(5).pipe(map((i) => ({ message: `tick ${i}` })));
      }
      if (req.name === 'burst') return from(Array.from({ length: 1000 }, (_, i) => ({ message: `b${i}` })));
      if (req.name === 'fail') return new Observable<HelloReply>((o) => o.error(new RpcError(Code.ABORTED, 'nope')));
      return from([1, 2, 3]).pipe(map((i) => ({ message: `${req.name}-${i}` })));
    }),
    LotsOfGreetings: rxClientStream((reqs) => reqs.pipe(map((r) => r.name), toArray(), map((names) => ({ message: names.join('+') })))),
    Chat: rxBidi((reqs) => reqs.pipe(map((r) => ({ message: `echo ${r.name}` })))),
  });
  const listener = new PipeListener();
  await server.listen(listener);
  return { server, client: await Client.connect(listener) };
}

test('unary, server stream, client stream and bidi through Observables', async () => {
  const { server, client } = await setup();
  assert.is((await firstValueFrom(observeUnary(client, Greeter.methods.SayHello, { name: 'rx' }))).message, 'hi rx');
  const replies = await lastValueFrom(observeServerStream(client, Greeter.methods.LotsOfReplies, { name: 's' }).pipe(toArray()));
  assert.equal(replies.map((r) => r.message), ['s-1', 's-2', 's-3']);
  const joined = await firstValueFrom(observeClientStream(client, Greeter.methods.LotsOfGreetings, from([{ name: 'a' }, { name: 'b' }, { name: 'c' }])));
  assert.is(joined.message, 'a+b+c');
  const chat = await lastValueFrom(observeBidi(client, Greeter.methods.Chat, from([{ name: '1' }, { name: '2' }])).pipe(toArray()));
  assert.equal(chat.map((r) => r.message), ['echo 1', 'echo 2']);
  await client.close();
  await server.shutdown(100);
});

test('an error from the server Observable arrives as RpcError', async () => {
  const { server, client } = await setup();
  const err = await lastValueFrom(observeServerStream(client, Greeter.methods.LotsOfReplies, { name: 'fail' })).catch((e: unknown) => e);
  assert.instance(err, RpcError);
  assert.is((err as RpcError).code, Code.ABORTED);
  await client.close();
  await server.shutdown(100);
});

test('unsubscribing cancels the call; the server unsubscribes its source once it learns (ttrpc: when the connection closes)', async () => {
  const { server, client } = await setup();
  const ticks = await lastValueFrom(observeServerStream(client, Greeter.methods.LotsOfReplies, { name: 'forever' }).pipe(take(3), toArray()));
  assert.is(ticks.length, 3);
  for (let i = 0; i < 50 && client.openCalls > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(client.openCalls, 0);
  // ttrpc has no cancel frame: the server's handler is cancelled when the connection goes away.
  await client.close();
  for (let i = 0; i < 50 && cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(cancelled, 1);
  await server.shutdown(100);
});

test('a source faster than the call fails with RESOURCE_EXHAUSTED instead of buffering without bound, never drops', async () => {
  const { server, client } = await setup();
  const err = await lastValueFrom(observeServerStream(client, Greeter.methods.LotsOfReplies, { name: 'burst' }).pipe(toArray())).catch((e: unknown) => e);
  assert.instance(err, RpcError);
  assert.is((err as RpcError).code, Code.RESOURCE_EXHAUSTED);
  // A slow consumer on the client reads one message at a time: every message arrives, in order.
  const slow = await lastValueFrom(observeServerStream(client, Greeter.methods.LotsOfReplies, { name: 'slow' }).pipe(concatMap((r) => timer(5).pipe(map(() => r.message))), toArray()));
  assert.equal(slow, ['slow-1', 'slow-2', 'slow-3']);
  await client.close();
  await server.shutdown(100);
});

test.run();
