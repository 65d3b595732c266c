/**
 * The cost of message-level interceptors: sequential and concurrent unary
 * calls over the in-memory pipe (client and server in this process), without
 * interceptors and with one pass-through message interceptor on each side,
 * rounds interleaved (ABAB…), medians reported.
 *
 *   npm run bench -- interceptors [--rounds N] [--calls N] [--inflight N]
 */
import { parseArgs } from 'node:util';
import { Client, PipeListener, Server, type MessageInterceptor } from '../src/index.js';
import { Greeter, type HelloReply, type HelloRequest } from '../examples/greeter.js';
import { median } from './stats.js';

/** PASS is an interceptor that only calls next: what any interceptor costs at least. */
const PASS: MessageInterceptor = (next) => (req) => next(req);

/** round serves Greeter and makes `calls` unary calls with `inflight` at once; returns µs per call. */
async function round(intercepted: boolean, calls: number, inflight: number): Promise<number> {
  const messageInterceptors = intercepted ? [PASS] : [];
  const server = new Server({ messageInterceptors }).addService(Greeter, {
    SayHello: async (req: HelloRequest): Promise<HelloReply> => ({ message: `hello, ${req.name}` }),
    LotsOfReplies: async function* () {},
    LotsOfGreetings: async () => ({ message: '' }),
    Chat: async function* () {},
  });
  const listener = new PipeListener();
  await server.listen(listener);
  const client = await Client.connect(listener, { messageInterceptors });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next++ < calls) await client.unary(Greeter.methods.SayHello, { name: 'bench' });
    }),
  );
  const us = ((performance.now() - started) * 1000) / calls;
  await client.close();
  await server.shutdown();
  return us;
}

/** interceptorsMain runs the benchmark and prints its table; returns the exit code. */
export async function interceptorsMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '7' }, calls: { type: 'string', default: '5000' }, inflight: { type: 'string', default: '1,64' } } });
  const rounds = Number(values.rounds);
  const calls = Number(values.calls);
  console.log(`message interceptors: unary over the pipe, median of ${rounds} rounds of ${calls} calls, ${process.version}`);
  console.log('in flight  none µs/call  one per side µs/call  ratio');
  for (const inflight of values.inflight.split(',').map(Number)) {
    await round(false, calls, inflight); // warm-up
    await round(true, calls, inflight);
    const none: number[] = [];
    const with1: number[] = [];
    for (let r = 0; r < rounds; r++) {
      none.push(await round(false, calls, inflight));
      with1.push(await round(true, calls, inflight));
    }
    const a = median(none);
    const b = median(with1);
    console.log(`${String(inflight).padStart(9)}  ${a.toFixed(1).padStart(13)}  ${b.toFixed(1).padStart(20)}  ${(b / a).toFixed(2).padStart(5)}`);
  }
  return 0;
}
