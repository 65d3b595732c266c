/**
 * Raw baseline client process: `raw-process.ts <unix address | pipe>` dials
 * the raw echo server (or, with `pipe`, starts its own raw pipe server in
 * this process), prints `ready`, then runs one round per JSON line on stdin
 * (`{"inflight":256,"seconds":1,"trackLatency":false}`) and answers each with
 * the RoundResult as one JSON line on stdout. It exits when stdin closes.
 *
 * The raw side runs in its own process so that the two sides never share a
 * V8 heap or optimized code: measured in one process, running the raw client
 * halved the throughput of the reactor-rpc rounds that followed it.
 */
import { createInterface } from 'node:readline';
import { dial } from '../src/transport/dial.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { RawEchoClient, serveRawEcho } from './raw-framed.js';
import { benchPayload } from './stats.js';

async function main(): Promise<void> {
  const target = process.argv[2];
  if (target === undefined) {
    process.stderr.write('usage: raw-process.ts <unix address | pipe>\n');
    process.exit(2);
  }
  let listener: PipeListener | undefined;
  let conn;
  if (target === 'pipe') {
    listener = new PipeListener();
    listener.onConnection(serveRawEcho);
    conn = await listener.dial();
  } else conn = await dial(target);
  const client = new RawEchoClient(conn, benchPayload());
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) {
    const { inflight, seconds, trackLatency } = JSON.parse(line) as { inflight: number; seconds: number; trackLatency: boolean };
    const r = await client.run(inflight, seconds, trackLatency);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  client.close();
  await listener?.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`raw-process: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
