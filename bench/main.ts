/**
 * ttrpc and drpc unary echo benchmark: reactor-rpc against a raw framed-socket
 * echo over the same transport, interleaving their rounds (ABAB…).
 *
 *   npm run bench -- [--seconds N] [--rounds N] [--warmup N] [--only <substring>]
 *                    [--protocol ttrpc|drpc|all] [<scenario>…]
 *                    [--side both|raw|ours] [--ours api|adapters|lean] [--json]
 *                    [--pin same|split] [--cpu-prof-dir <dir>] [--heap-prof-dir <dir>]
 *                    [--alloc-prof-dir <dir>]
 *
 *   npm run bench -- stream [options]   (the streaming benchmark: stream-bench.ts)
 *   npm run bench -- workers [options]  (one service on 1 or 2 worker processes: workers-bench.ts)
 *   npm run bench -- interceptors [options]  (the cost of message interceptors: interceptors-bench.ts)
 *   npm run bench -- inflight [options]  (promise API, callback API, Go ttrpc and raw at 1 to 1,024 in flight; 1 MiB echo: inflight-bench.ts)
 *
 * (run.ts compiles the benchmark to JavaScript and runs this file compiled.)
 * Scenarios (scenarios.ts): unix socket with the server in another process,
 * and the in-memory pipe in one process, each with 1 and 256 calls in flight;
 * the drpc rows use the public API over upstream, pooled and multiplexed drpc.
 * `--protocol` (default all) or scenario names select rows.
 * `--ours api` (default) is the public API: Server.addService with an async
 * handler and Client.unary. `--ours adapters` uses the call-layer promise
 * adapters, `--ours lean` drives the ttrpc sessions through CallListener
 * directly. `--alloc-prof-dir` samples this process's allocations during the
 * measured rounds (collected objects included) into <dir>/<scenario>-<side>.heapprofile.
 * `--write-buffer <bytes>` sets the sessions' writeBufferSize on both ends.
 * `--server-node-arg <flag>` (repeatable) passes a Node flag such as
 * `--trace-gc` to the server process. `--cpu-prof-dir` (and `--heap-prof-dir`, live heap only) profile the ttrpc
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
import { RemoteRawDriver } from './raw-remote.js';
import { DRPC_SERVERS, type Scenario, type ServerKind, SCENARIOS, selectScenarios } from './scenarios.js';
import { type ServerChild, type ServerMode, spawnServer } from './server-child.js';
import { type EchoDriver, type RoundResult, type ScenarioResult, WRITE_BUFFER_ENV, BENCH_PAYLOAD_BYTES, benchPayload, renderTable, summarize } from './stats.js';
import { TtrpcEchoClient, startTtrpcEchoServer } from './ttrpc-echo.js';
import { LeanEchoClient, startLeanEchoServer } from './ttrpc-lean.js';
import { ApiEchoClient, startApiEchoServer } from './ttrpc-api.js';
import { ReactorEchoClient, startReactorEchoServer } from './ttrpc-reactor.js';
import { AllocSampler } from './alloc-sampler.js';
import { cpuMsOf } from './cpu-time.js';


/** Servers opens connections to the raw server and the reactor-rpc servers of one transport. */
interface Servers {
  /** raw starts the raw client process (connected to the raw server, or with its own for the pipe). */
  raw(): Promise<RemoteRawDriver>;
  ours(s: Scenario): Promise<EchoDriver>;
  close(): Promise<void>;
  /** pids lists the processes whose CPU time a side of a scenario costs besides its client (the server process, if any; this process for ours). */
  pids(side: 'raw' | 'ours', s: Scenario): number[];
}

const payload = benchPayload;

type Variant = 'api' | 'adapters' | 'lean' | 'reactor';

const OURS = {
  api: { mode: 'ttrpc-api', start: startApiEchoServer, connect: ApiEchoClient.connect },
  adapters: { mode: 'ttrpc', start: startTtrpcEchoServer, connect: TtrpcEchoClient.connect },
  lean: { mode: 'ttrpc-lean', start: startLeanEchoServer, connect: LeanEchoClient.connect },
  reactor: { mode: 'ttrpc-reactor', start: startReactorEchoServer, connect: ReactorEchoClient.connect },
} as const;

function oursMode(kind: ServerKind, variant: Variant): ServerMode {
  return kind === 'ttrpc' ? OURS[variant].mode : kind === 'drpc' ? 'drpc-api' : 'drpc-mux-api';
}

function connectOurs(s: Scenario, variant: Variant, target: string | PipeListener): Promise<EchoDriver> {
  return s.protocol === 'ttrpc' ? OURS[variant].connect(target, payload()) : ApiEchoClient.connect(target, payload(), s.client);
}

/** pinThread pins one thread (a process id names its main thread) to a CPU list. */
function pinThread(tid: number, cpus: string): void {
  execFileSync('taskset', ['-p', '-c', cpus, String(tid)], { stdio: 'ignore' });
}

/** startRawClient starts the raw client process and, when pinning, pins its main thread like this one's. */
async function startRawClient(target: string, cpus: string | undefined): Promise<RemoteRawDriver> {
  const d = await RemoteRawDriver.start(target);
  if (cpus !== undefined) {
    execFileSync('taskset', ['-a', '-p', '-c', `0-${cpuList().length - 1}`, String(d.pid)], { stdio: 'ignore' });
    pinThread(d.pid, cpus);
  }
  return d;
}

/** unixServers starts one server process for the raw side and one per reactor-rpc server kind the scenarios use. */
async function unixServers(list: readonly Scenario[], sides: Side, variant: Variant, nodeArgs: string[], cpus: string | undefined): Promise<Servers> {
  const base = join(tmpdir(), `reactor-rpc-bench-${process.pid}`);
  const children = new Map<ServerMode, ServerChild>();
  const close = async (): Promise<void> => void (await Promise.all([...children.values()].map((c) => c.stop())));
  const start = async (mode: ServerMode): Promise<void> => {
    const c = await spawnServer(mode, `unix://${base}-${mode}.sock`, mode === 'raw' ? [] : nodeArgs);
    children.set(mode, c);
    if (cpus !== undefined) {
      // The child inherited this pinned thread's affinity: free all its threads, then pin its main thread.
      execFileSync('taskset', ['-a', '-p', '-c', `0-${cpuList().length - 1}`, String(c.pid)], { stdio: 'ignore' });
      pinThread(c.pid, cpus);
    }
  };
  try {
    if (sides !== 'ours') await start('raw');
    if (sides !== 'raw') for (const kind of new Set(list.map((s) => s.server))) await start(oursMode(kind, variant));
  } catch (err) {
    await close();
    throw err;
  }
  const child = (side: 'raw' | 'ours', s: Scenario): ServerChild | undefined => children.get(side === 'raw' ? 'raw' : oursMode(s.server, variant));
  return {
    pids: (side, s) => {
      const c = child(side, s);
      const own = side === 'ours' ? [process.pid] : [];
      return c === undefined ? own : [...own, c.pid];
    },
    raw: () => startRawClient(children.get('raw')!.address, cpus === undefined ? undefined : '0'),
    ours: (s) => connectOurs(s, variant, child('ours', s)!.address),
    close,
  };
}

/** pipeServers starts the raw server and one reactor-rpc server per kind the scenarios use, all in this process. */
async function pipeServers(list: readonly Scenario[], variant: Variant, pinCpus: string | undefined): Promise<Servers> {
  const listeners = new Map<ServerKind, PipeListener>();
  const servers: Array<{ close(): Promise<void> }> = [];
  for (const kind of new Set(list.map((s) => s.server))) {
    const l = new PipeListener();
    const { server } = kind === 'ttrpc' ? await OURS[variant].start(l) : await startApiEchoServer(l, DRPC_SERVERS[kind]);
    listeners.set(kind, l);
    servers.push(server);
  }
  return {
    pids: (side) => (side === 'ours' ? [process.pid] : []),
    raw: () => startRawClient('pipe', pinCpus),
    ours: (s) => connectOurs(s, variant, listeners.get(s.server)!),
    close: async () => {
      for (const server of servers) await server.close();
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
  if (o.side !== 'raw') drivers.push(['ours', await servers.ours(s)]);
  const rawDriver = drivers.find(([side]) => side === 'raw')?.[1] as RemoteRawDriver | undefined;
  const pids = { raw: rawDriver === undefined ? [] : [rawDriver.pid, ...servers.pids('raw', s)], ours: servers.pids('ours', s) };
  const seq = s.inflight === 1;
  const rounds: Record<'raw' | 'ours', RoundResult[]> = { raw: [], ours: [] };
  try {
    for (const [, d] of drivers) await d.run(s.inflight, o.warmup, seq);
    const sampler = o.allocDir === undefined ? undefined : new AllocSampler();
    await sampler?.start();
    for (let i = 0; i < o.rounds; i++) {
      for (const [side, d] of drivers) {
        const cpu0 = cpuMsOf(pids[side]);
        const r = await d.run(s.inflight, o.seconds, seq);
        const cpu1 = cpuMsOf(pids[side]);
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
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      only: { type: 'string' },
      protocol: { type: 'string', default: 'all' },
      side: { type: 'string', default: 'both' },
      ours: { type: 'string', default: 'api' },
      json: { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      'heap-prof-dir': { type: 'string' },
      'alloc-prof-dir': { type: 'string' },
      pin: { type: 'string' },
      'server-node-arg': { type: 'string', multiple: true },
      'write-buffer': { type: 'string' },
    },
  });
  const side = values.side as Side;
  if (!['both', 'raw', 'ours'].includes(side)) throw new Error('--side must be both, raw or ours');
  if (values['write-buffer'] !== undefined) process.env[WRITE_BUFFER_ENV] = values['write-buffer'];
  const variant = values.ours as Variant;
  if (!(variant in OURS)) throw new Error('--ours must be api, reactor, adapters or lean');
  const o: Settings = {
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    warmup: Number(values.warmup),
    side,
    allocDir: values['alloc-prof-dir'],
    log: (line) => process.stderr.write(`${line}\n`),
  };
  if (!(o.seconds > 0 && o.rounds >= 1 && o.warmup >= 0)) throw new Error('--seconds and --rounds must be positive, --warmup not negative');
  const selected = selectScenarios({ protocol: values.protocol, only: values.only, names: positionals, drpcAvailable: variant === 'api' });
  const pin = values.pin;
  if (pin !== undefined && pin !== 'same' && pin !== 'split') throw new Error('--pin must be same or split');
  if (pin !== undefined) pinThread(process.pid, '0');
  const serverCpus = pin === undefined ? undefined : pin === 'same' ? '0' : '1';
  const profArgs = [
    ...(values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof-dir']] : []),
    ...(values['heap-prof-dir'] ? ['--heap-prof', '--heap-prof-dir', values['heap-prof-dir']] : []),
    ...(values['server-node-arg'] ?? []),
  ];

  const results: ScenarioResult[] = [];
  for (const transport of ['unix', 'pipe'] as const) {
    const list = selected.filter((s) => s.transport === transport);
    if (list.length === 0) continue;
    const servers = transport === 'unix' ? await unixServers(list, side, variant, profArgs, serverCpus) : await pipeServers(list, variant, pin === undefined ? undefined : '0');
    try {
      for (const s of list) results.push(await measure(s, servers, o));
    } finally {
      await servers.close();
    }
  }

  results.sort((a, b) => SCENARIOS.findIndex((s) => s.name === a.name) - SCENARIOS.findIndex((s) => s.name === b.name));
  const table = renderTable(results, variant === 'api' ? 'reactor-rpc' : `reactor-rpc (${variant})`);
  if (values.json) {
    o.log(table);
    const meta = { ours: variant, compiled: import.meta.url.endsWith('.js'), protocol: values.protocol, pin: pin ?? 'none', node: process.version, platform: `${process.platform}-${process.arch}`, payloadBytes: BENCH_PAYLOAD_BYTES, seconds: o.seconds, rounds: o.rounds, warmup: o.warmup };
    process.stdout.write(`${JSON.stringify({ ...meta, scenarios: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`${table}\n`);
  }
}

/** stream runs the streaming benchmark (stream-bench.ts) and exits with its code, even if a stalled call left a handle open. */
async function stream(): Promise<void> {
  const code = await (await import('./stream-bench.js')).streamMain(process.argv.slice(3));
  process.stdout.write('', () => process.exit(code));
}

/** codec runs the codec benchmark (codec-bench.ts) and exits with its code. */
async function codec(): Promise<void> {
  const code = await (await import('./codec-bench.js')).codecMain(process.argv.slice(3));
  process.stdout.write('', () => process.exit(code));
}

/** workers runs the workers benchmark (workers-bench.ts: one service on 1 or 2 worker processes) and exits with its code. */
async function workers(): Promise<void> {
  const code = await (await import('./workers-bench.js')).workersMain(process.argv.slice(3));
  process.stdout.write('', () => process.exit(code));
}

/** interceptors runs the message-interceptor benchmark (interceptors-bench.ts) and exits with its code. */
async function interceptors(): Promise<void> {
  const code = await (await import('./interceptors-bench.js')).interceptorsMain(process.argv.slice(3));
  process.stdout.write('', () => process.exit(code));
}

/** inflight runs the in-flight benchmark (inflight-bench.ts: both APIs, Go ttrpc and raw; 1 MiB echo) and exits with its code. */
async function inflight(): Promise<void> {
  const code = await (await import('./inflight-bench.js')).inflightMain(process.argv.slice(3));
  process.stdout.write('', () => process.exit(code));
}

/** SUBCOMMANDS are the benchmarks selected by the first argument, each with its own options; anything else is the unary table. */
const SUBCOMMANDS: Record<string, () => Promise<void>> = { stream, codec, workers, interceptors, inflight };
const run = SUBCOMMANDS[process.argv[2] ?? ''] ?? main;

run().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
