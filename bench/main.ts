/**
 * ttrpc unary echo benchmark: reactor-rpc against a raw framed-socket echo
 * over the same transport, interleaving their rounds (ABAB…).
 *
 *   npm run bench -- [--seconds N] [--rounds N] [--warmup N] [--only <substring>]
 *                    [--side both|raw|ours] [--ours api|adapters|lean] [--json]
 *                    [--pin same|split] [--cpu-prof-dir <dir>] [--heap-prof-dir <dir>]
 *                    [--alloc-prof-dir <dir>]
 *
 * (run.ts compiles the benchmark to JavaScript and runs this file compiled.)
 * Scenarios: unix socket with the server in another process, and the
 * in-memory pipe in one process, each with 1 and 256 calls in flight.
 * `--ours api` (default) is the public API: Server.addService with an async
 * handler and Client.unary. `--ours adapters` uses the call-layer promise
 * adapters, `--ours lean` drives the ttrpc sessions through CallListener
 * directly. `--alloc-prof-dir` samples this process's allocations during the
 * measured rounds (collected objects included) into <dir>/<scenario>-<side>.heapprofile.
 * `--cpu-prof-dir` (and `--heap-prof-dir`, live heap only) profile the ttrpc
 * server process (profile the client with `node --cpu-prof`). `--pin` (Linux,
 * needs taskset) pins the main thread of this process to CPU 0 and those of
 * the server processes to the same CPU or to CPU 1 (helper threads such as
 * the garbage collector's stay free): on virtual machines cross-CPU wake-ups
 * can dominate a sequential round trip and flip between fast and slow modes
 * when unpinned.
 */
import { execFileSync } from 'node:child_process';
import { cpus as cpuList, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PipeListener } from '../src/transport/pipe-listener.js';
import { dial } from '../src/transport/dial.js';
import { RawEchoClient, serveRawEcho } from './raw-framed.js';
import { type ServerChild, type ServerMode, spawnServer } from './server-child.js';
import { type EchoDriver, type RoundResult, type ScenarioResult, renderTable, summarize } from './stats.js';
import { TtrpcEchoClient, startTtrpcEchoServer } from './ttrpc-echo.js';
import { LeanEchoClient, startLeanEchoServer } from './ttrpc-lean.js';
import { ApiEchoClient, startApiEchoServer } from './ttrpc-api.js';
import { AllocSampler } from './alloc-sampler.js';
import { cpuMsOf } from './cpu-time.js';

const PAYLOAD_BYTES = 64;

interface Scenario {
  name: string;
  transport: 'unix' | 'pipe';
  inflight: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'unix-seq', transport: 'unix', inflight: 1 },
  { name: 'unix-c256', transport: 'unix', inflight: 256 },
  { name: 'pipe-seq', transport: 'pipe', inflight: 1 },
  { name: 'pipe-c256', transport: 'pipe', inflight: 256 },
];

/** Servers opens connections to the raw and ttrpc servers of one transport. */
interface Servers {
  raw(): Promise<EchoDriver>;
  ours(): Promise<EchoDriver>;
  close(): Promise<void>;
  /** pids lists the processes whose CPU time a side costs (this one, plus its server process). */
  pids: Record<'raw' | 'ours', number[]>;
}

function payload(): Uint8Array {
  const p = new Uint8Array(PAYLOAD_BYTES);
  for (let i = 0; i < p.length; i++) p[i] = i;
  return p;
}

type Variant = 'api' | 'adapters' | 'lean';

const OURS = {
  api: { mode: 'ttrpc-api', start: startApiEchoServer, connect: ApiEchoClient.connect },
  adapters: { mode: 'ttrpc', start: startTtrpcEchoServer, connect: TtrpcEchoClient.connect },
  lean: { mode: 'ttrpc-lean', start: startLeanEchoServer, connect: LeanEchoClient.connect },
} as const;

/** pinThread pins one thread (a process id names its main thread) to a CPU list. */
function pinThread(tid: number, cpus: string): void {
  execFileSync('taskset', ['-p', '-c', cpus, String(tid)], { stdio: 'ignore' });
}

async function unixServers(sides: Side, variant: Variant, nodeArgs: string[], cpus: string | undefined): Promise<Servers> {
  const base = join(tmpdir(), `reactor-rpc-bench-${process.pid}`);
  const children: ServerChild[] = [];
  const pids: Servers['pids'] = { raw: [process.pid], ours: [process.pid] };
  const start = async (mode: ServerMode): Promise<string> => {
    const c = await spawnServer(mode, `unix://${base}-${mode}.sock`, mode === 'raw' ? [] : nodeArgs);
    children.push(c);
    pids[mode === 'raw' ? 'raw' : 'ours'].push(c.pid);
    if (cpus !== undefined) {
      // The child inherited this pinned thread's affinity: free all its threads, then pin its main thread.
      execFileSync('taskset', ['-a', '-p', '-c', `0-${cpuList().length - 1}`, String(c.pid)], { stdio: 'ignore' });
      pinThread(c.pid, cpus);
    }
    return c.address;
  };
  const rawAddr = sides !== 'ours' ? await start('raw') : '';
  const oursAddr = sides !== 'raw' ? await start(OURS[variant].mode) : '';
  return {
    pids,
    raw: async () => new RawEchoClient(await dial(rawAddr), payload()),
    ours: () => OURS[variant].connect(oursAddr, payload()),
    close: async () => void (await Promise.all(children.map((c) => c.stop()))),
  };
}

async function pipeServers(variant: Variant): Promise<Servers> {
  const rawL = new PipeListener();
  rawL.onConnection(serveRawEcho);
  const oursL = new PipeListener();
  const { server } = await OURS[variant].start(oursL);
  return {
    pids: { raw: [process.pid], ours: [process.pid] },
    raw: async () => new RawEchoClient(await rawL.dial(), payload()),
    ours: () => OURS[variant].connect(oursL, payload()),
    close: async () => {
      await rawL.close();
      await server.close();
    },
  };
}

type Side = 'both' | 'raw' | 'ours';

interface Settings {
  seconds: number;
  rounds: number;
  warmup: number;
  side: Side;
  allocDir: string | undefined;
  log: (line: string) => void;
}

async function measure(s: Scenario, servers: Servers, o: Settings): Promise<ScenarioResult> {
  const drivers: Array<['raw' | 'ours', EchoDriver]> = [];
  if (o.side !== 'ours') drivers.push(['raw', await servers.raw()]);
  if (o.side !== 'raw') drivers.push(['ours', await servers.ours()]);
  const seq = s.inflight === 1;
  const rounds: Record<'raw' | 'ours', RoundResult[]> = { raw: [], ours: [] };
  try {
    for (const [, d] of drivers) await d.run(s.inflight, o.warmup, seq);
    const sampler = o.allocDir === undefined ? undefined : new AllocSampler();
    await sampler?.start();
    for (let i = 0; i < o.rounds; i++) {
      for (const [side, d] of drivers) {
        const cpu0 = cpuMsOf(servers.pids[side]);
        const r = await d.run(s.inflight, o.seconds, seq);
        const cpu1 = cpuMsOf(servers.pids[side]);
        if (cpu0 !== undefined && cpu1 !== undefined) r.cpuMs = cpu1 - cpu0;
        rounds[side].push(r);
        const cpu = r.cpuMs === undefined ? '' : `, ${((r.cpuMs * 1000) / r.calls).toFixed(2)} us CPU/call`;
        o.log(`${s.name} round ${i + 1}/${o.rounds} ${side}: ${Math.round(r.calls / r.seconds)} calls/s${cpu}`);
      }
    }
    if (sampler) await sampler.stop(join(o.allocDir!, `${s.name}-${o.side}.heapprofile`));
  } finally {
    for (const [, d] of drivers) d.close();
  }
  const out: ScenarioResult = { name: s.name, inflight: s.inflight };
  if (rounds.raw.length > 0) out.raw = summarize(rounds.raw, seq);
  if (rounds.ours.length > 0) out.ours = summarize(rounds.ours, seq);
  if (out.raw && out.ours) out.ratio = out.ours.callsPerSec / out.raw.callsPerSec;
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      only: { type: 'string' },
      side: { type: 'string', default: 'both' },
      ours: { type: 'string', default: 'api' },
      json: { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      'heap-prof-dir': { type: 'string' },
      'alloc-prof-dir': { type: 'string' },
      pin: { type: 'string' },
    },
  });
  const side = values.side as Side;
  if (!['both', 'raw', 'ours'].includes(side)) throw new Error('--side must be both, raw or ours');
  const variant = values.ours as Variant;
  if (!(variant in OURS)) throw new Error('--ours must be api, adapters or lean');
  const o: Settings = {
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    warmup: Number(values.warmup),
    side,
    allocDir: values['alloc-prof-dir'],
    log: (line) => process.stderr.write(`${line}\n`),
  };
  if (!(o.seconds > 0 && o.rounds >= 1 && o.warmup >= 0)) throw new Error('--seconds and --rounds must be positive, --warmup not negative');
  const selected = SCENARIOS.filter((s) => values.only === undefined || s.name.includes(values.only));
  if (selected.length === 0) throw new Error(`--only ${values.only}: no scenario matches (${SCENARIOS.map((s) => s.name).join(', ')})`);
  const pin = values.pin;
  if (pin !== undefined && pin !== 'same' && pin !== 'split') throw new Error('--pin must be same or split');
  if (pin !== undefined) pinThread(process.pid, '0');
  const serverCpus = pin === undefined ? undefined : pin === 'same' ? '0' : '1';
  const profArgs = [
    ...(values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof-dir']] : []),
    ...(values['heap-prof-dir'] ? ['--heap-prof', '--heap-prof-dir', values['heap-prof-dir']] : []),
  ];

  const results: ScenarioResult[] = [];
  for (const transport of ['unix', 'pipe'] as const) {
    const list = selected.filter((s) => s.transport === transport);
    if (list.length === 0) continue;
    const servers = transport === 'unix' ? await unixServers(side, variant, profArgs, serverCpus) : await pipeServers(variant);
    try {
      for (const s of list) results.push(await measure(s, servers, o));
    } finally {
      await servers.close();
    }
  }

  const table = renderTable(results, variant === 'api' ? 'reactor-rpc' : `reactor-rpc (${variant})`);
  if (values.json) {
    o.log(table);
    const meta = { ours: variant, compiled: import.meta.url.endsWith('.js'), pin: pin ?? 'none', node: process.version, platform: `${process.platform}-${process.arch}`, payloadBytes: PAYLOAD_BYTES, seconds: o.seconds, rounds: o.rounds, warmup: o.warmup };
    process.stdout.write(`${JSON.stringify({ ...meta, scenarios: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${table}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
