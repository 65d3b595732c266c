/**
 * Workers benchmark (`npm run bench -- workers [--rounds 5] [--seconds 1]
 * [--warmup 1] [--connections 8] [--inflight 256] [--json]`): unary echo,
 * 256 calls in flight over a unix socket, against one service served three
 * ways, each server in its own process tree: `single` (a plain Server, no
 * cluster), `workers-1` and `workers-2` (serveWorkers with 1 and 2 worker
 * processes behind the primary's shared handle). The client runs in its own
 * process (workers-client.ts) with the calls spread over several
 * connections, since a connection is served by one worker. Rounds
 * interleave the servers; per round it records calls/s and the server CPU
 * per call: primary plus workers, from /proc (cpu-time.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMsOf } from './cpu-time.js';
import { median } from './stats.js';

const COMPILED = import.meta.url.endsWith('.js');
const LOADER = COMPILED ? [] : ['--import', 'tsx'];
const entry = (name: string): string => fileURLToPath(new URL(`./${name}.${COMPILED ? 'js' : 'ts'}`, import.meta.url));

/** Child is a benchmark process driven by lines on stdin/stdout. */
interface Child {
  proc: ChildProcess;
  next(): Promise<string>;
}

function start(file: string, args: string[]): Child {
  const proc = spawn(process.execPath, [...LOADER, entry(file), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: proc.stdout! });
  const waiting: Array<(l: string) => void> = [];
  const early: string[] = [];
  const exited = new Promise<string>((_, reject) => proc.once('exit', (code) => reject(new Error(`${file} exited with code ${code}`))));
  exited.catch(() => {});
  lines.on('line', (l) => (waiting.length > 0 ? waiting.shift()!(l) : early.push(l)));
  const line = (): Promise<string> => (early.length > 0 ? Promise.resolve(early.shift()!) : new Promise((resolve) => waiting.push(resolve)));
  return { proc, next: () => Promise.race([line(), exited]) };
}

const SERVERS = [
  ['single', 'single'],
  ['workers-1', '1'],
  ['workers-2', '2'],
] as const;

interface Row {
  name: string;
  callsPerSec: number[];
  serverCpuUs: number[];
  clientCpuUs: number[];
}

/** workersMain runs the workers benchmark; resolves to the exit code. */
export async function workersMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '8' },
      inflight: { type: 'string', default: '256' },
      json: { type: 'boolean', default: false },
    },
  });
  const [rounds, seconds, warmup, connections, inflight] = [values.rounds, values.seconds, values.warmup, values.connections, values.inflight].map(Number) as [number, number, number, number, number];
  const base = join(tmpdir(), `reactor-rpc-bench-workers-${process.pid}`);
  const servers: Array<{ name: string; child: Child; address: string; pids: number[] }> = [];
  const client = start('workers-client', []);
  try {
    for (const [name, mode] of SERVERS) {
      const child = start('workers-server', [`unix://${base}-${name}.sock`, mode]);
      const m = /^listening (\S+) (\S+)$/.exec(await child.next());
      if (m === null) throw new Error(`${name}: unexpected first line`);
      servers.push({ name, child, address: m[1]!, pids: m[2]!.split(',').map(Number) });
    }
    if ((await client.next()) !== 'ready') throw new Error('client: not ready');
    const run = async (address: string, secs: number): Promise<{ calls: number; seconds: number }> => {
      const answer = client.next();
      client.proc.stdin!.write(`${JSON.stringify({ target: address, connections, inflight, seconds: secs })}\n`);
      return JSON.parse(await answer) as { calls: number; seconds: number };
    };
    for (const s of servers) if (warmup > 0) await run(s.address, warmup);
    const rows: Row[] = servers.map((s) => ({ name: s.name, callsPerSec: [], serverCpuUs: [], clientCpuUs: [] }));
    for (let r = 0; r < rounds; r++) {
      for (const [i, s] of servers.entries()) {
        const [srv0, cli0] = [cpuMsOf(s.pids), cpuMsOf([client.proc.pid!])];
        const res = await run(s.address, seconds);
        const [srv1, cli1] = [cpuMsOf(s.pids), cpuMsOf([client.proc.pid!])];
        const row = rows[i]!;
        row.callsPerSec.push(res.calls / res.seconds);
        if (srv0 !== undefined && srv1 !== undefined) row.serverCpuUs.push(((srv1 - srv0) * 1000) / res.calls);
        if (cli0 !== undefined && cli1 !== undefined) row.clientCpuUs.push(((cli1 - cli0) * 1000) / res.calls);
        process.stderr.write(`${s.name} round ${r + 1}/${rounds}: ${Math.round(res.calls / res.seconds)} calls/s\n`);
      }
    }
    const summary = rows.map((row) => ({ name: row.name, callsPerSec: median(row.callsPerSec), serverCpuUsPerCall: median(row.serverCpuUs), clientCpuUsPerCall: median(row.clientCpuUs), rounds: row.callsPerSec.map(Math.round) }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ cores: availableParallelism(), node: process.version, connections, inflight, seconds, rounds, rows: summary }, null, 2)}\n`);
    } else {
      const lines = [`unix-c${inflight} over ${connections} connections, ${availableParallelism()} cores, medians of ${rounds} rounds`, '| server | calls/s | server CPU/call | client CPU/call |', '|---|---|---|---|'];
      for (const s of summary) lines.push(`| ${s.name} | ${Math.round(s.callsPerSec)} | ${s.serverCpuUsPerCall.toFixed(2)} us | ${s.clientCpuUsPerCall.toFixed(2)} us |`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } finally {
    client.proc.stdin!.end();
    for (const s of servers) s.child.proc.stdin!.end();
  }
}
