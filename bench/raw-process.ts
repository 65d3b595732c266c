/**
 * Benchmark client process: `raw-process.ts <unix address | pipe> [--client
 * raw|api|reactor] [--payload <bytes>]` dials the echo server (or, with
 * `pipe`, starts its own raw pipe server in this process), prints `ready`,
 * then runs one round per JSON line on stdin
 * (`{"inflight":256,"seconds":1,"trackLatency":false}`) and answers each with
 * the RoundResult as one JSON line on stdout. It exits when stdin closes.
 * `--client` picks the driver: the raw framed echo (default), the public
 * promise API (`api`) or the callback API (`reactor`); `--payload` sets the
 * request size (default 64 bytes).
 *
 * The raw side runs in its own process so that the two sides never share a
 * V8 heap or optimized code: measured in one process, running the raw client
 * halved the throughput of the reactor-rpc rounds that followed it. The
 * `inflight` benchmark runs its reactor-rpc clients the same way.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { dial } from '../src/transport/dial.js';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { RawEchoClient, serveRawEcho } from './raw-framed.js';
import { type EchoDriver, BENCH_PAYLOAD_BYTES } from './stats.js';

/** connectDriver dials the target with the driver `--client` names. */
async function connectDriver(target: string, kind: string, payload: Uint8Array): Promise<{ driver: EchoDriver; listener?: PipeListener }> {
  if (kind === 'api') return { driver: await (await import('./ttrpc-api.js')).ApiEchoClient.connect(target, payload) };
  if (kind === 'reactor') return { driver: await (await import('./ttrpc-reactor.js')).ReactorEchoClient.connect(target, payload) };
  if (kind !== 'raw') throw new Error(`unknown --client ${kind}`);
  if (target !== 'pipe') return { driver: new RawEchoClient(await dial(target), payload) };
  const listener = new PipeListener();
  listener.onConnection(serveRawEcho);
  return { driver: new RawEchoClient(await listener.dial(), payload), listener };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { client: { type: 'string', default: 'raw' }, payload: { type: 'string', default: String(BENCH_PAYLOAD_BYTES) } },
  });
  const target = positionals[0];
  if (target === undefined) {
    process.stderr.write('usage: raw-process.ts <unix address | pipe> [--client raw|api|reactor] [--payload <bytes>]\n');
    process.exit(2);
  }
  const payload = new Uint8Array(Number(values.payload));
  for (let i = 0; i < payload.length; i++) payload[i] = i;
  const { driver, listener } = await connectDriver(target, values.client, payload);
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) {
    const { inflight, seconds, trackLatency } = JSON.parse(line) as { inflight: number; seconds: number; trackLatency: boolean };
    const r = await driver.run(inflight, seconds, trackLatency);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  driver.close();
  await listener?.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`raw-process: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
