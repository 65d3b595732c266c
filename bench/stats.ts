/** RoundResult is what one fixed-duration measurement round of one side produced. */
export interface RoundResult {
  /** calls is the number of completed echo calls. */
  calls: number;
  /** seconds is the wall time from the first call to the last completion. */
  seconds: number;
  /** latenciesMs holds per-call latencies (recorded for sequential rounds only). */
  latenciesMs: number[];
  /** cpuMs is the CPU time the side's processes (client and server) used during the round, when known. */
  cpuMs?: number;
}

/** EchoDriver runs echo rounds over one open connection. */
export interface EchoDriver {
  /** run keeps `inflight` calls going for `seconds`, then waits for the ones in flight. */
  run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult>;
  /** close closes the connection. */
  close(): void;
}

/** SideSummary condenses the rounds of one side of a scenario. */
export interface SideSummary {
  /** callsPerSec is the median rate over the rounds. */
  callsPerSec: number;
  /** rounds lists every round's rate. */
  rounds: number[];
  /** p50Ms is the median over the rounds of each round's median latency (sequential only). */
  p50Ms?: number;
  /** p99Ms is the median over the rounds of each round's 99th-percentile latency (sequential only). */
  p99Ms?: number;
  /** cpuUsPerCall is the median over the rounds of the CPU time per call, client and server together (unix: both processes). */
  cpuUsPerCall?: number;
}

/** median returns the middle value (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** percentile returns the q-quantile (0..1) with linear interpolation; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}

/** summarize turns a side's rounds into its summary. */
export function summarize(rounds: readonly RoundResult[], withLatency: boolean): SideSummary {
  const rates = rounds.map((r) => r.calls / r.seconds);
  const out: SideSummary = { callsPerSec: median(rates), rounds: rates };
  const cpu = rounds.filter((r) => r.cpuMs !== undefined && r.calls > 0).map((r) => (r.cpuMs! * 1000) / r.calls);
  if (cpu.length > 0) out.cpuUsPerCall = median(cpu);
  if (withLatency) {
    out.p50Ms = median(rounds.map((r) => percentile(r.latenciesMs, 0.5)));
    out.p99Ms = median(rounds.map((r) => percentile(r.latenciesMs, 0.99)));
  }
  return out;
}

/** ScenarioResult is one row of the report. */
export interface ScenarioResult {
  /** name identifies the scenario (transport and calls in flight). */
  name: string;
  /** inflight is the number of calls kept in flight on the connection. */
  inflight: number;
  /** raw is the raw framed-socket baseline, absent when not measured. */
  raw?: SideSummary;
  /** ours is reactor-rpc ttrpc, absent when not measured. */
  ours?: SideSummary;
  /** ratio is ours/raw of the median rates. */
  ratio?: number;
}

function fmtRate(s: SideSummary | undefined): string {
  return s ? Math.round(s.callsPerSec).toLocaleString('en-US') : '-';
}

function fmtMs(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '-' : `${(v * 1000).toFixed(1)} us`;
}

function fmtUs(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(2)} us`;
}

/** renderTable formats the results as a plain-text table. */
export function renderTable(results: readonly ScenarioResult[], oursLabel = 'reactor-rpc'): string {
  const head = ['scenario', 'raw calls/s', `${oursLabel} calls/s`, 'ours/raw', 'raw p50', 'ours p50', 'raw CPU/call', 'ours CPU/call'];
  const rows = results.map((r) => [
    r.name,
    fmtRate(r.raw),
    fmtRate(r.ours),
    r.ratio === undefined ? '-' : `${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}x`,
    fmtMs(r.raw?.p50Ms),
    fmtMs(r.ours?.p50Ms),
    fmtUs(r.raw?.cpuUsPerCall),
    fmtUs(r.ours?.cpuUsPerCall),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** WRITE_BUFFER_ENV carries `--write-buffer` to both ends (the server processes inherit it). */
export const WRITE_BUFFER_ENV = 'REACTOR_RPC_BENCH_WRITE_BUFFER';

/** benchWriteBuffer is the writeBufferSize `--write-buffer` asked for, or undefined (library default). */
export function benchWriteBuffer(): number | undefined {
  const v = process.env[WRITE_BUFFER_ENV];
  return v === undefined || v === '' ? undefined : Number(v);
}

/** BENCH_PAYLOAD_BYTES is the size of every echo request. */
export const BENCH_PAYLOAD_BYTES = 64;

/** benchPayload returns the echo request body (bytes 0, 1, 2, ...). */
export function benchPayload(): Uint8Array {
  const p = new Uint8Array(BENCH_PAYLOAD_BYTES);
  for (let i = 0; i < p.length; i++) p[i] = i;
  return p;
}
