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
 * rounds interleave (every in-flight count's sides ABCD…, then the next
 * round), medians over the rounds. Per row:
 * calls/s, the ratio to Go and to raw, CPU per call (client + server process,
 * from /proc), and for reactor-rpc servers the garbage-collection share of
 * the server's busy time over the measured rounds: perf_hooks 'gc' pause
 * time over process.cpuUsage time, both read in the server process. Below
 * the small table, ratios taken round by round (callback/promise at each
 * count; each side at the largest count against the one before), medians
 * and ranges: on a noisy machine a ratio of two rounds seconds apart holds
 * far better than a ratio of two medians minutes apart.
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

/** Cell is one side at one in-flight count: its rounds and server GC shares. */
interface Cell {
  side: Side;
  inflight: number;
  rounds: RoundResult[];
  gc: number[];
}

/**
 * measureTable runs warm-up, then interleaved rounds of every in-flight count
 * and every side: round i runs each count's sides in turn, so two counts (or
 * two sides) of one round are measured seconds apart and their ratio is
 * side by side, whatever the machine's speed does over the minutes of a run.
 */
async function measureTable(table: SideResult['table'], sides: readonly Side[], levels: readonly number[], bytes: number, o: Options): Promise<{ rows: SideResult[]; cells: Cell[] }> {
  const cells: Cell[] = [];
  for (const inflight of levels) {
    for (const side of sides) {
      await side.driver.run(inflight, o.warmup, inflight === 1);
      cells.push({ side, inflight, rounds: [], gc: [] });
    }
  }
  for (let i = 0; i < o.rounds; i++) {
    for (const c of cells) {
      const s = c.side;
      const pids = [s.driver.pid, s.serverPid];
      const g0 = await s.server?.gc();
      const cpu0 = cpuMsOf(pids);
      const r = await s.driver.run(c.inflight, o.seconds, c.inflight === 1);
      const cpu1 = cpuMsOf(pids);
      const g1 = await s.server?.gc();
      if (cpu0 !== undefined && cpu1 !== undefined) r.cpuMs = cpu1 - cpu0;
      if (g0 !== undefined && g1 !== undefined && g1.cpuMs > g0.cpuMs) c.gc.push((g1.gcMs - g0.gcMs) / (g1.cpuMs - g0.cpuMs));
      c.rounds.push(r);
      o.log(`${table} c${c.inflight} round ${i + 1}/${o.rounds} ${s.name}: ${Math.round(r.calls / r.seconds)} calls/s`);
    }
  }
  const rows = cells.map((c): SideResult => {
    const res: SideResult = { table, inflight: c.inflight, side: c.side.name, bytes, summary: summarize(c.rounds, c.inflight === 1) };
    if (c.gc.length > 0) res.gcShare = median(c.gc);
    return res;
  });
  for (const r of rows) {
    const rate = (name: Side['name']): number | undefined => rows.find((x) => x.inflight === r.inflight && x.side === name)?.summary.callsPerSec;
    const go = rate('go');
    const raw = rate('raw');
    if (go !== undefined) r.vsGo = r.summary.callsPerSec / go;
    if (raw !== undefined) r.vsRaw = r.summary.callsPerSec / raw;
  }
  return { rows, cells };
}

/** RoundRatio is the median over the rounds of one cell's rate divided by another's in the same round, with the range. */
export interface RoundRatio {
  /** label names the ratio, e.g. "callback/promise at 256" or "api 1024/256". */
  label: string;
  /** median is the median of the per-round ratios. */
  median: number;
  /** min is the smallest per-round ratio. */
  min: number;
  /** max is the largest per-round ratio. */
  max: number;
}

/** roundRatio divides a's rate by b's round by round. */
function roundRatio(label: string, a: Cell, b: Cell): RoundRatio {
  const per = a.rounds.map((r, i) => r.calls / r.seconds / (b.rounds[i]!.calls / b.rounds[i]!.seconds));
  return { label, median: median(per), min: Math.min(...per), max: Math.max(...per) };
}

/** cellOf finds one side's cell at one in-flight count. */
function cellOf(cells: readonly Cell[], name: Side['name'], n: number): Cell | undefined {
  return cells.find((c) => c.side.name === name && c.inflight === n);
}

/** sideRatios divides side a by side b round by round at every count where both ran ("<label> at <n>"). */
function sideRatios(cells: readonly Cell[], levels: readonly number[], a: Side['name'], b: Side['name'], label: string): RoundRatio[] {
  const out: RoundRatio[] = [];
  for (const n of levels) {
    const x = cellOf(cells, a, n);
    const y = cellOf(cells, b, n);
    if (x && y) out.push(roundRatio(`${label} at ${n}`, x, y));
  }
  return out;
}

/** smallRatios are the per-round ratios the targets name: callback/promise at each count, and each side at its largest count against the one before. */
function smallRatios(cells: readonly Cell[], levels: readonly number[]): RoundRatio[] {
  const out = sideRatios(cells, levels, 'reactor', 'api', 'callback/promise');
  if (levels.length >= 2) {
    const hi = levels[levels.length - 1]!;
    const lo = levels[levels.length - 2]!;
    for (const name of ['api', 'reactor', 'go', 'raw'] as const) {
      const a = cellOf(cells, name, hi);
      const b = cellOf(cells, name, lo);
      if (a && b) out.push(roundRatio(`${name} ${hi}/${lo}`, a, b));
    }
  }
  return out;
}

/** bigRatios are the promise API's per-round ratios to raw at each count (the 1 MiB target). */
function bigRatios(cells: readonly Cell[], levels: readonly number[]): RoundRatio[] {
  return sideRatios(cells, levels, 'api', 'raw', 'api/raw');
}

/** renderRatios prints per-round ratios, one per line. */
function renderRatios(ratios: readonly RoundRatio[]): string {
  return ['per-round ratios (median, range):', ...ratios.map((r) => `  ${r.label}: ${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)})`)].join('\n');
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
  const ratios: RoundRatio[] = [];
  const bigRatioList: RoundRatio[] = [];
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
      const levels = list(values.inflight);
      const t = await measureTable('small', sides, levels, 64, o);
      results.push(...t.rows);
      ratios.push(...smallRatios(t.cells, levels));
    }
    if (tables.includes('big')) {
      const sides = await sidesFor(bigBytes, ['api', 'go', 'raw']);
      const levels = list(values['big-inflight']);
      const t = await measureTable('big', sides, levels, bigBytes, o);
      results.push(...t.rows);
      bigRatioList.push(...bigRatios(t.cells, levels));
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
  const text = [
    ...(tables.includes('small') ? ['unary echo, 64 B, unix socket, one connection', renderRows(results.filter((r) => r.table === 'small'), false), renderRatios(ratios), ''] : []),
    ...(tables.includes('big') ? [`unary echo, ${bigBytes.toLocaleString('en-US')} B, unix socket, one connection`, renderRows(results.filter((r) => r.table === 'big'), true), renderRatios(bigRatioList), ''] : []),
    ...notes,
  ].join('\n');
  if (values.json) {
    o.log(text);
    const meta = { node: process.version, platform: `${process.platform}-${process.arch}`, seconds: o.seconds, rounds: o.rounds, warmup: o.warmup, notes };
    process.stdout.write(`${JSON.stringify({ ...meta, rows: results, ratios: [...ratios, ...bigRatioList] }, null, 2)}\n`);
  } else process.stdout.write(`${text}\n`);
  return 0;
}
