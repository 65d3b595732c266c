// One service on every core: serveWorkers runs the Greeter on 2 worker
// processes (node:cluster) behind one unix socket. This same file runs as the
// primary and as each worker: in a worker serveWorkers builds the server and
// listens; in the primary it forks the workers and returns once they listen.
// The primary then makes calls over a few connections (each connection is
// served by one worker), prints how many worker pids answered, and shuts down.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Server, serveWorkers } from '../src/index.js';
import { Greeter } from './greeter.js';

/** greeterServer builds one worker's server; every reply names the worker's pid. */
function greeterServer(): Server {
  return new Server().addService(Greeter, {
    SayHello: async (req) => ({ message: `hello, ${req.name}, from pid ${process.pid}` }),
    LotsOfReplies: async function* (req) {
      yield { message: `hello, ${req.name}, from pid ${process.pid}` };
    },
    LotsOfGreetings: async () => ({ message: `from pid ${process.pid}` }),
    Chat: async function* (requests) {
      for await (const r of requests) yield { message: `you said ${r.name}` };
    },
  });
}

const workers = await serveWorkers(
  greeterServer,
  // In a worker the address comes from the primary (this one names the primary's pid).
  { workers: 2, address: `unix://${join(tmpdir(), `reactor-rpc-workers-${process.pid}.sock`)}` },
);

if (workers.isPrimary) {
  console.log(`listening ${workers.address}, workers ${workers.pids().join(', ')}`);
  const pids = new Set<string>();
  let calls = 0;
  for (let c = 0; c < 4; c++) {
    const client = await Client.connect(workers.address);
    for (let i = 0; i < 5; i++) {
      const { message } = await client.unary(Greeter.methods.SayHello, { name: `call ${c}.${i}` });
      pids.add(/pid (\d+)/.exec(message)![1]!);
      calls++;
    }
    await client.close();
  }
  console.log(`${calls} calls answered by ${pids.size} distinct worker pids`);
  await workers.close();
  console.log('all workers exited');
}
