/**
 * In-flight benchmark (`npm run bench -- inflight [--rounds 5] [--seconds 1]
 * [--warmup 1] [--inflight 1,16,256,1024] [--big-inflight 1,8]
 * [--big-bytes 1048576] [--tables small,big] [--no-go] [--json]`).
 *
 * small: unary echo of 64 bytes over a unix socket with 1, 16, 256 and 1,024
 * calls in flight on one connection, four sides: reactor-rpc's promise API
 * (`api`, the server of `--ours api`), its callback API on both ends
 * (`reactor`, as `--ours reactor`), Go ttrpc v1.1.1 (Go client → Go server,
 * bench/go) and the raw framed Node echo. big: a 1 MiB echo with 1 and 8 in
 * flight, the promise API against raw (and Go, for context).
 *
 * Every side's client runs in its own process (raw-process.ts, or the Go
 * client) and every server in its own process, so no two sides share a heap;
 * rounds of the sides interleave (ABCD…), medians over the rounds. Per row:
 * calls/s, the ratio to Go and to raw, CPU per call (client + server process,
 * from /proc), and for reactor-rpc servers the garbage-collection share of
 * the server's busy time over the measured rounds: perf_hooks 'gc' pause
 * time over process.cpuUsage time, both read in the server process.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMsOf } from './cpu-time.js';
import { buildGoBench, goBenchMissing, startGoBenchServer } from './go-ttrpc.js';
import { RemoteRawDriver } from './raw-remote.js';
import { type ServerChild, spawnServer } from './server-child.js';
import { type RoundResult, type SideSummary, median, summarize } from './stats.js';

/** Side is one column of a table: a client process and the server it loads. */
interface Side {
  name: 'api' | 'reactor' | 'go' | 'raw';
  driver: RemoteRawDriver;
  /** serverPid is the server process whose CPU the side's calls also cost. */
  serverPid: number;
  /** server is set for reactor-rpc servers (they answer GC probes). */
  server?: ServerChild;
}

/** SideResult is one row of a table. */
interface SideResult {
  table: 'small' | 'big';
  inflight: number;
  side: Side['name'];
  bytes: number;
  summary: SideSummary;
  /** gcShare is the median over the rounds of GC pause time / server CPU time (reactor-rpc servers only). */
  gcShare?: number;
  vsGo?: number;
  vsRaw?: number;
}

interface Options {
  seconds: number;
  rounds: number;
  warmup: number;
  log: (line: string) => void;
}

/** measureRow runs warm-up and interleaved rounds of every side at one in-flight count. */
async function measureRow(table: SideResult['table'], sides: readonly Side[], inflight: number, bytes: number, o: Options): Promise<SideResult[]> {
  const seq = inflight === 1;
  for (const s of sides) await s.driver.run(inflight, o.warmup, seq);
  const rounds = new Map<Side, RoundResult[]>(sides.map((s) => [s, []]));
  const gc = new Map<Side, number[]>(sides.map((s) => [s, []]));
  for (let i = 0; i < o.rounds; i++) {
    for (const s of sides) {
      const pids = [s.driver.pid, s.serverPid];
      const g0 = await s.server?.gc();
      const cpu0 = cpuMsOf(pids);
      const r = await s.driver.run(inflight, o.seconds, seq);
      const cpu1 = cpuMsOf(pids);
      const g1 = await s.server?.gc();
      if (cpu0 !== undefined && cpu1 !== undefined) r.cpuMs = cpu1 - cpu0;
      if (g0 !== undefined && g1 !== undefined && g1.cpuMs > g0.cpuMs) gc.get(s)!.push((g1.gcMs - g0.gcMs) / (g1.cpuMs - g0.cpuMs));
      rounds.get(s)!.push(r);
      o.log(`${table} c${inflight} round ${i + 1}/${o.rounds} ${s.name}: ${Math.round(r.calls / r.seconds)} calls/s`);
    }
  }
  const out = sides.map((s): SideResult => {
    const res: SideResult = { table, inflight, side: s.name, bytes, summary: summarize(rounds.get(s)!, seq) };
    if (gc.get(s)!.length > 0) res.gcShare = median(gc.get(s)!);
    return res;
  });
  const rate = (name: Side['name']): number | undefined => out.find((r) => r.side === name)?.summary.callsPerSec;
  for (const r of out) {
    const go = rate('go');
    const raw = rate('raw');
    if (go !== undefined) r.vsGo = r.summary.callsPerSec / go;
    if (raw !== undefined) r.vsRaw = r.summary.callsPerSec / raw;
  }
  return out;
}

const fmt = (v: number | undefined, digits: number, suffix = ''): string => (v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(digits)}${suffix}`);

/** renderRows formats one table's rows (MiB/s for the big table, p50 for one in flight). */
function renderRows(rows: readonly SideResult[], big: boolean): string {
  const head = ['in flight', 'side', 'calls/s', ...(big ? ['MiB/s'] : []), 'vs Go', 'vs raw', 'p50', 'CPU/call', 'server gc %'];
  const cells = rows.map((r) => [
    String(r.inflight),
    r.side,
    Math.round(r.summary.callsPerSec).toLocaleString('en-US'),
    ...(big ? [fmt((r.summary.callsPerSec * r.bytes) / 2 ** 20, 0)] : []),
    fmt(r.vsGo, 2, 'x'),
    fmt(r.vsRaw, 2, 'x'),
    r.summary.p50Ms === undefined ? '-' : big ? fmt(r.summary.p50Ms, 2, ' ms') : fmt(r.summary.p50Ms * 1000, 1, ' us'),
    big ? fmt(r.summary.cpuUsPerCall === undefined ? undefined : r.summary.cpuUsPerCall / 1000, 2, ' ms') : fmt(r.summary.cpuUsPerCall, 2, ' us'),
    fmt(r.gcShare === undefined ? undefined : r.gcShare * 100, 1, '%'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i < 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const list = (s: string): number[] => s.split(',').map(Number);

/** inflightMain runs the in-flight benchmark; resolves to the exit code. */
export async function inflightMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      inflight: { type: 'string', default: '1,16,256,1024' },
      'big-inflight': { type: 'string', default: '1,8' },
      'big-bytes': { type: 'string', default: String(1 << 20) },
      tables: { type: 'string', default: 'small,big' },
      'no-go': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const o: Options = { seconds: Number(values.seconds), rounds: Number(values.rounds), warmup: Number(values.warmup), log: (l) => process.stderr.write(`${l}\n`) };
  if (!(o.seconds > 0 && o.rounds >= 1 && o.warmup >= 0)) throw new Error('--seconds and --rounds must be positive, --warmup not negative');
  const tables = values.tables.split(',');
  const bigBytes = Number(values['big-bytes']);
  const missing = values['no-go'] ? '--no-go' : goBenchMissing();
  const notes: string[] = missing === undefined ? [] : [`Go column skipped: ${missing}.`];
  const base = join(tmpdir(), `reactor-rpc-inflight-${process.pid}`);
  const stops: Array<() => Promise<void> | void> = [];
  const results: SideResult[] = [];
  try {
    const api = await spawnServer('ttrpc-api', `unix://${base}-api.sock`);
    stops.push(() => api.stop());
    const reactor = await spawnServer('ttrpc-reactor', `unix://${base}-reactor.sock`);
    stops.push(() => reactor.stop());
    const raw = await spawnServer('raw', `unix://${base}-raw.sock`);
    stops.push(() => raw.stop());
    const bin = missing === undefined ? await buildGoBench() : undefined;
    const go = bin === undefined ? undefined : await startGoBenchServer(bin, `${base}-go.sock`);
    if (go !== undefined) stops.push(() => go.stop());
    /** sidesFor starts one client process per side for a payload size. */
    const sidesFor = async (bytes: number, names: ReadonlyArray<Side['name']>): Promise<Side[]> => {
      const out: Side[] = [];
      const payload = ['--payload', String(bytes)];
      for (const name of names) {
        let side: Side;
        if (name === 'go') {
          if (bin === undefined || go === undefined) continue;
          const d = await RemoteRawDriver.startCommand(bin.client, ['--socket', `${base}-go.sock`, ...payload], 'Go client');
          side = { name, driver: d, serverPid: go.child.pid! };
        } else {
          const server = name === 'api' ? api : name === 'reactor' ? reactor : raw;
          const d = await RemoteRawDriver.start(server.address, ['--client', name, ...payload]);
          side = name === 'raw' ? { name, driver: d, serverPid: server.pid } : { name, driver: d, serverPid: server.pid, server };
        }
        stops.push(() => side.driver.close());
        out.push(side);
      }
      return out;
    };
    if (tables.includes('small')) {
      const sides = await sidesFor(64, ['api', 'reactor', 'go', 'raw']);
      for (const n of list(values.inflight)) results.push(...(await measureRow('small', sides, n, 64, o)));
    }
    if (tables.includes('big')) {
      const sides = await sidesFor(bigBytes, ['api', 'go', 'raw']);
      for (const n of list(values['big-inflight'])) results.push(...(await measureRow('big', sides, n, bigBytes, o)));
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
  const text = [
    ...(tables.includes('small') ? ['unary echo, 64 B, unix socket, one connection', renderRows(results.filter((r) => r.table === 'small'), false), ''] : []),
    ...(tables.includes('big') ? [`unary echo, ${bigBytes.toLocaleString('en-US')} B, unix socket, one connection`, renderRows(results.filter((r) => r.table === 'big'), true), ''] : []),
    ...notes,
  ].join('\n');
  if (values.json) {
    o.log(text);
    const meta = { node: process.version, platform: `${process.platform}-${process.arch}`, seconds: o.seconds, rounds: o.rounds, warmup: o.warmup, notes };
    process.stdout.write(`${JSON.stringify({ ...meta, rows: results }, null, 2)}\n`);
  } else process.stdout.write(`${text}\n`);
  return 0;
}
