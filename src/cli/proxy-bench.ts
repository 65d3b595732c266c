// `reactor-rpc bench proxy`: the cost of one proxy hop. Unary echo calls per
// second straight to a ttrpc server and through createProxy (ttrpc in, ttrpc
// out), all in one process, over the in-memory pipe or unix sockets, rounds
// interleaved (direct, proxied, direct, …) so drift hits both alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawMethod } from '../call/method.js';
import { Client } from '../client/client.js';
import { createProxy } from '../proxy/index.js';
import { Server } from '../server/server.js';
import { defineService } from '../services/definition.js';
import { PipeListener } from '../transport/pipe-listener.js';
import { type ParsedArgs, UsageError, flag } from './args.js';
import { nonNegativeInt, oneOf } from './command-kit.js';
import { Progress } from './progress.js';

/** PROXY_BENCH_HELP is the usage text of `reactor-rpc bench proxy`. */
export const PROXY_BENCH_HELP = `usage: reactor-rpc bench proxy [--transport pipe|unix|both] [--concurrency 1,64] [--seconds 2] [--rounds 3] [--json]

Measures unary echo calls/s (64-byte payload) direct to a ttrpc server and
through a ttrpc→ttrpc proxy built with createProxy, in one process, and
prints both rates (median over the rounds) and their ratio.
`;

const Bench = defineService('bench.Echo', { Echo: rawMethod('/bench.Echo/Echo', 'unary') });

/** ProxyBenchRow is one scenario's result. */
export interface ProxyBenchRow {
  /** scenario names transport and concurrency. */
  scenario: string;
  /** direct is the median calls/s straight to the server. */
  direct: number;
  /** proxied is the median calls/s through the proxy. */
  proxied: number;
  /** ratio is proxied / direct. */
  ratio: number;
}

async function drive(client: Client, concurrency: number, ms: number, progress: Progress): Promise<number> {
  const payload = new Uint8Array(64).map((_, i) => i);
  const end = Date.now() + ms;
  let calls = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await client.unary(Bench.methods.Echo, payload);
      calls++;
      progress.record(true);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (calls * 1000) / (Date.now() - started);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function scenario(transport: 'pipe' | 'unix', concurrency: number, seconds: number, rounds: number, progress: Progress): Promise<ProxyBenchRow> {
  const dir = transport === 'unix' ? mkdtempSync(join(tmpdir(), 'rr-bench-')) : '';
  const target = (name: string) => (transport === 'unix' ? `unix://${join(dir, `${name}.sock`)}` : new PipeListener());
  const upstream = new Server().addService(Bench, { Echo: async (req: Uint8Array) => req });
  const upT = target('up');
  const upAddr = await upstream.listen(upT);
  const dialUp = typeof upT === 'string' ? upAddr : upT;
  const upClient = await Client.connect(dialUp);
  const proxy = new Server().addGenericService(createProxy(upClient));
  const pxT = target('proxy');
  const pxAddr = await proxy.listen(pxT);
  const direct = await Client.connect(dialUp);
  const proxied = await Client.connect(typeof pxT === 'string' ? pxAddr : pxT);
  try {
    await drive(direct, concurrency, 300, progress); // warm-up
    await drive(proxied, concurrency, 300, progress);
    const d: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < rounds; i++) {
      d.push(await drive(direct, concurrency, seconds * 1000, progress));
      p.push(await drive(proxied, concurrency, seconds * 1000, progress));
    }
    const row = { scenario: `${transport} c=${concurrency}`, direct: median(d), proxied: median(p), ratio: 0 };
    row.ratio = row.proxied / row.direct;
    return row;
  } finally {
    await Promise.all([direct.close(), proxied.close()]);
    await proxy.shutdown(500);
    await upClient.close();
    await upstream.shutdown(500);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** runProxyBench runs `reactor-rpc bench proxy` with its parsed options and resolves to the exit code. */
export async function runProxyBench(args: ParsedArgs): Promise<number> {
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
  const which = oneOf(args, 'transport', ['pipe', 'unix', 'both'] as const, 'both');
  const transports = which === 'both' ? (['pipe', 'unix'] as const) : ([which] as const);
  const conc = (flag(args, 'concurrency', '1,64') ?? '').split(',').map(Number);
  if (conc.some((c) => !Number.isInteger(c) || c < 1 || c > 10_000)) throw new UsageError('--concurrency wants whole numbers from 1 to 10000, e.g. 1,64');
  const seconds = Math.max(1, nonNegativeInt(args, 'seconds', 2));
  const rounds = Math.max(1, nonNegativeInt(args, 'rounds', 3));
  const progress = new Progress(process.stderr, 'bench proxy').start();
  const rows: ProxyBenchRow[] = [];
  try {
    for (const t of transports) for (const c of conc) rows.push(await scenario(t, c, seconds, rounds, progress));
  } finally {
    progress.stop();
  }
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [['scenario', 'direct calls/s', 'proxied calls/s', 'proxied/direct'], ...rows.map((r) => [r.scenario, n(r.direct), n(r.proxied), r.ratio.toFixed(2)])];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) process.stdout.write(`${l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
  return 0;
}
