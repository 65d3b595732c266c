/**
 * Streaming benchmark (`npm run bench -- stream [options]`): long server
 * streams and many pipelined bidi streams over a unix socket, the server in
 * its own Node process (stream-server-process.ts, a fresh one per row so its
 * peak RSS belongs to that row), the client in this one, for ttrpc, upstream
 * drpc (one stream per connection: the bidi row uses the client's pool) and
 * multiplexed drpc.
 *
 * Rows per protocol (sizes are the defaults):
 * - `<p>-stream-gen`: one server stream of 100,000 64-byte messages from an
 *   `async function*` handler, read with `for await (… of client.serverStream())`;
 * - `<p>-stream-reactor`: the same stream from a ServerWriteReactor that
 *   issues the next startWrite in onWriteDone;
 * - `<p>-bidi`: 64 bidi streams × 1,000 messages, the client writes each
 *   stream's messages without waiting for replies and reads the echoes
 *   concurrently; the server echoes each message (`async function*`);
 * - `<p>-stream-slow`: `-stream-gen` with a consumer that sleeps 1 ms after
 *   every 1,000 messages.
 *
 * Every message carries its sequence number and stream id; a row passes
 * when every stream ended with OK and delivered all its messages in order.
 * Each row has a deadline (`--timeout`, 120 s): past it the row reports
 * TIMEOUT and its server process is killed. The process exits with 1 when
 * any row failed, so the benchmark doubles as a check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from '../src/index.js';
import type { ServerStats } from './stream-server-process.js';
import { CLIENT_OPTIONS, STREAM_PROTOCOLS, STREAM_SERVICE, type StreamProtocol, checkMessage, encodeGenerate, streamMessage } from './stream-service.js';

// Run from TypeScript sources the child needs the tsx loader; run from compiled JavaScript it does not.
const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = fileURLToPath(new URL(COMPILED ? './stream-server-process.js' : './stream-server-process.ts', import.meta.url));
const LOADER = COMPILED ? [] : ['--import', 'tsx'];
const READY_TIMEOUT_MS = 30_000;
const STATS_TIMEOUT_MS = 3_000;
const STOP_TIMEOUT_MS = 3_000;
const RSS_SAMPLE_MS = 50;

/** StreamShape is what a row runs. */
export type StreamShape = 'stream-gen' | 'stream-reactor' | 'bidi' | 'stream-slow';

/** SHAPES lists the shapes in report order. */
export const SHAPES: readonly StreamShape[] = ['stream-gen', 'stream-reactor', 'bidi', 'stream-slow'];

/** StreamSizes are the sizes of a run. */
export interface StreamSizes {
  /** messages is the length of each server stream. */
  messages: number;
  /** payloadBytes is the size of every message (at least 8: sequence number and stream id). */
  payloadBytes: number;
  /** bidiStreams is the number of concurrent bidi streams. */
  bidiStreams: number;
  /** bidiMessages is the number of messages each bidi stream sends (and gets back). */
  bidiMessages: number;
  /** pauseEvery is how many messages the slow consumer reads between pauses. */
  pauseEvery: number;
  /** pauseMs is the slow consumer's pause. */
  pauseMs: number;
}

/** DEFAULT_SIZES are the benchmark's sizes. */
export const DEFAULT_SIZES: StreamSizes = { messages: 100_000, payloadBytes: 64, bidiStreams: 64, bidiMessages: 1_000, pauseEvery: 1_000, pauseMs: 1 };

/** StreamScenario is one row. */
export interface StreamScenario {
  /** name is `<protocol>-<shape>`. */
  name: string;
  protocol: StreamProtocol;
  shape: StreamShape;
  /** streams is the number of concurrent streams. */
  streams: number;
  /** messages is the number of messages each stream delivers to the client. */
  messages: number;
  payloadBytes: number;
  /** pause is the slow consumer's rhythm, if any. */
  pause?: { every: number; ms: number };
}

/** streamScenarios returns every row for the sizes, protocol by protocol. */
export function streamScenarios(sizes: StreamSizes = DEFAULT_SIZES, shapes: readonly StreamShape[] = SHAPES): StreamScenario[] {
  const out: StreamScenario[] = [];
  for (const protocol of STREAM_PROTOCOLS) {
    for (const shape of shapes) {
      const base = { name: `${protocol}-${shape}`, protocol, shape, payloadBytes: sizes.payloadBytes };
      if (shape === 'bidi') out.push({ ...base, streams: sizes.bidiStreams, messages: sizes.bidiMessages });
      else if (shape === 'stream-slow') out.push({ ...base, streams: 1, messages: sizes.messages, pause: { every: sizes.pauseEvery, ms: sizes.pauseMs } });
      else out.push({ ...base, streams: 1, messages: sizes.messages });
    }
  }
  return out;
}

/** StreamFailure groups the streams of a row that ended with the same text. */
export interface StreamFailure {
  /** text is the error (an RpcError's message, e.g. `RESOURCE_EXHAUSTED: ttrpc: receive queue full (64 unread messages)`), or TIMEOUT. */
  text: string;
  /** streams is how many streams ended with it. */
  streams: number;
  /** minReceived and maxReceived bound how many messages (in order) those streams had delivered. */
  minReceived: number;
  maxReceived: number;
}

/** StreamResult is one row's outcome. */
export interface StreamResult {
  name: string;
  protocol: StreamProtocol;
  shape: StreamShape;
  streams: number;
  messagesPerStream: number;
  payloadBytes: number;
  /** ok is true when every stream ended with OK and delivered all its messages in order. */
  ok: boolean;
  /** timedOut is true when the row hit its deadline. */
  timedOut: boolean;
  /** streamsOk counts the streams that passed. */
  streamsOk: number;
  /** received is the number of messages delivered in order, all streams. */
  received: number;
  /** expected is streams × messagesPerStream. */
  expected: number;
  /** seconds is the wall time from the first call to the end of the last stream (or the deadline). */
  seconds: number;
  /** messagesPerSec is received / seconds (for bidi: echoes received). */
  messagesPerSec: number;
  /** failures groups the failed streams by error text. */
  failures: StreamFailure[];
  /** setupError is why the row could not run (server or connection), if so. */
  setupError?: string;
  /** client RSS: at the start of the row, and the peak sampled every 50 ms during it. */
  clientStartRssBytes: number;
  clientPeakRssBytes: number;
  /** server: its RSS once listening, its peak (getrusage maxRSS), and how its handlers ended; absent when it did not answer. */
  server?: ServerStats;
}

/** RunOptions control one row. */
export interface RunOptions {
  /** timeoutMs is the row's deadline. */
  timeoutMs: number;
  /** nodeArgs are extra Node flags for the server process. */
  nodeArgs?: readonly string[];
  /** log receives progress lines. */
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------
// Server processes

const live = new Set<ChildProcess>();

/** killServers kills every server process still running (SIGKILL). */
export function killServers(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

// Whatever way this process ends, no server process outlives it.
process.once('exit', killServers);

/** StreamServerChild is a stream-server-process.ts child. */
interface StreamServerChild {
  address: string;
  pid: number;
  /** stats asks for the server's ServerStats; undefined when it does not answer in time. */
  stats(timeoutMs: number): Promise<ServerStats | undefined>;
  /** stop closes its stdin and waits for it to exit (SIGKILL after a while). */
  stop(): Promise<void>;
  /** kill ends it at once. */
  kill(): void;
}

/** spawnStreamServer starts a server process and resolves once it listens. */
function spawnStreamServer(protocol: StreamProtocol, address: string, nodeArgs: readonly string[]): Promise<StreamServerChild> {
  const child = spawn(process.execPath, [...nodeArgs, ...LOADER, ENTRY, protocol, address], { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  const lines = createInterface({ input: child.stdout! });
  const statsWaiters: Array<(s: ServerStats) => void> = [];
  const kill = (): void => void child.kill('SIGKILL');
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      kill();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`${protocol} server: not listening after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('error', fail);
    const early = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`${protocol} server exited (${signal ?? `code ${code}`}) before listening`));
    child.once('exit', early);
    lines.on('line', (line) => {
      if (line.startsWith('stats ')) {
        statsWaiters.shift()?.(JSON.parse(line.slice(6)) as ServerStats);
        return;
      }
      const m = /^listening (\S+)$/.exec(line);
      if (m === null) {
        process.stderr.write(`${line}\n`);
        return;
      }
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        address: m[1]!,
        pid: child.pid!,
        stats: async (timeoutMs) => {
          if (child.exitCode !== null || child.signalCode !== null || !child.stdin!.writable) return undefined;
          const answer = new Promise<ServerStats>((r) => statsWaiters.push(r));
          child.stdin!.write('stats\n');
          return Promise.race([answer, sleep(timeoutMs, undefined, { ref: false }), exited.then(() => undefined)]);
        },
        stop: async () => {
          child.stdin!.end();
          const t = setTimeout(kill, STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(t);
        },
        kill,
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Client side

/** RssSampler records this process's peak RSS, sampled every 50 ms. */
class RssSampler {
  readonly start = process.memoryUsage.rss();
  peak = this.start;
  private readonly timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  sample(): void {
    const r = process.memoryUsage.rss();
    if (r > this.peak) this.peak = r;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** Progress is one stream's state, updated as messages arrive. */
interface Progress {
  received: number;
  /** error is set when the stream failed; once `settled` nothing changes it. */
  error?: string;
  settled: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** consume reads one stream, checking every message's sequence number and stream id. */
async function consume(responses: AsyncIterable<Uint8Array>, p: Progress, stream: number, s: StreamScenario): Promise<void> {
  try {
    for await (const m of responses) {
      if (p.settled) break;
      if (p.received >= s.messages) {
        p.error = `more than ${s.messages} messages`;
        break;
      }
      const wrong = checkMessage(m, p.received, stream, s.payloadBytes);
      if (wrong !== undefined) {
        p.error = `out of order: ${wrong}`;
        break;
      }
      p.received++;
      if (s.pause !== undefined && p.received % s.pause.every === 0) await sleep(s.pause.ms);
    }
    if (!p.settled && p.error === undefined && p.received !== s.messages) p.error = `ended with OK after ${p.received} of ${s.messages} messages`;
  } catch (e) {
    if (!p.settled && p.error === undefined) p.error = errorText(e);
  }
  p.settled = true;
}

/** requests yields a bidi stream's messages lazily, as the call takes them. */
function* requests(stream: number, s: StreamScenario): Generator<Uint8Array> {
  for (let i = 0; i < s.messages; i++) yield streamMessage(i, stream, s.payloadBytes);
}

function startStream(client: Client, s: StreamScenario, stream: number, p: Progress): Promise<void> {
  switch (s.shape) {
    case 'bidi':
      return consume(client.bidi(STREAM_SERVICE.methods.Echo, requests(stream, s)), p, stream, s);
    case 'stream-reactor':
      return consume(client.serverStream(STREAM_SERVICE.methods.GenerateReactor, encodeGenerate({ count: s.messages, size: s.payloadBytes })), p, 0, s);
    default:
      return consume(client.serverStream(STREAM_SERVICE.methods.Generate, encodeGenerate({ count: s.messages, size: s.payloadBytes })), p, 0, s);
  }
}

function groupFailures(progress: readonly Progress[]): StreamFailure[] {
  const groups = new Map<string, StreamFailure>();
  for (const p of progress) {
    if (p.error === undefined) continue;
    const g = groups.get(p.error);
    if (g === undefined) groups.set(p.error, { text: p.error, streams: 1, minReceived: p.received, maxReceived: p.received });
    else {
      g.streams++;
      g.minReceived = Math.min(g.minReceived, p.received);
      g.maxReceived = Math.max(g.maxReceived, p.received);
    }
  }
  return [...groups.values()].sort((a, b) => b.streams - a.streams);
}

let socketSeq = 0;

/**
 * runStreamScenario runs one row: a fresh server process, a fresh Client,
 * every stream at once, and a deadline. It never throws for a failing row:
 * failures, timeouts and setup errors are in the result.
 */
export async function runStreamScenario(s: StreamScenario, o: RunOptions): Promise<StreamResult> {
  const log = o.log ?? (() => undefined);
  const rss = new RssSampler();
  const expected = s.streams * s.messages;
  const result: StreamResult = {
    name: s.name,
    protocol: s.protocol,
    shape: s.shape,
    streams: s.streams,
    messagesPerStream: s.messages,
    payloadBytes: s.payloadBytes,
    ok: false,
    timedOut: false,
    streamsOk: 0,
    received: 0,
    expected,
    seconds: 0,
    messagesPerSec: 0,
    failures: [],
    clientStartRssBytes: rss.start,
    clientPeakRssBytes: rss.start,
  };
  let server: StreamServerChild | undefined;
  let client: Client | undefined;
  // A killed server leaves its socket file behind.
  const socketPath = join(tmpdir(), `reactor-rpc-stream-${process.pid}-${++socketSeq}.sock`);
  const removeSocket = (): void => rmSync(socketPath, { force: true });
  try {
    server = await spawnStreamServer(s.protocol, `unix://${socketPath}`, o.nodeArgs ?? []);
    client = await Client.connect(server.address, CLIENT_OPTIONS[s.protocol]);
  } catch (e) {
    result.setupError = errorText(e);
    result.clientPeakRssBytes = rss.stop();
    if (server !== undefined) await server.stop();
    removeSocket();
    log(`${s.name}: setup failed: ${result.setupError}`);
    return result;
  }

  const progress: Progress[] = Array.from({ length: s.streams }, () => ({ received: 0, settled: false }));
  const t0 = performance.now();
  const all = Promise.all(progress.map((p, i) => startStream(client, s, i, p)));
  let deadline: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => (deadline = setTimeout(() => resolve('timeout'), o.timeoutMs)));
  const outcome = await Promise.race([all.then(() => 'done' as const), expired]);
  clearTimeout(deadline);
  result.seconds = (performance.now() - t0) / 1000;

  if (outcome === 'timeout') {
    result.timedOut = true;
    for (const p of progress) {
      if (p.settled) continue;
      p.error = `TIMEOUT: no end after ${o.timeoutMs / 1000} s`;
      p.settled = true;
    }
    result.server = await server.stats(STATS_TIMEOUT_MS);
    server.kill();
  } else result.server = await server.stats(STATS_TIMEOUT_MS);

  // Close both ends; a client that does not close in time is left to the process exit.
  await Promise.race([client.close().catch(() => undefined), sleep(STOP_TIMEOUT_MS, undefined, { ref: false })]);
  await server.stop();
  removeSocket();
  if (result.timedOut) await Promise.race([all, sleep(STOP_TIMEOUT_MS, undefined, { ref: false })]);

  result.clientPeakRssBytes = rss.stop();
  result.received = progress.reduce((n, p) => n + p.received, 0);
  result.streamsOk = progress.filter((p) => p.error === undefined && p.received === s.messages).length;
  result.failures = groupFailures(progress);
  result.ok = result.streamsOk === s.streams;
  result.messagesPerSec = result.seconds > 0 ? result.received / result.seconds : 0;
  log(`${s.name}: ${verdict(result)} ${result.received}/${expected} messages in ${result.seconds.toFixed(2)} s${result.ok ? `, ${Math.round(result.messagesPerSec)} msg/s` : ''}`);
  return result;
}

// ---------------------------------------------------------------------------
// Report

function verdict(r: StreamResult): string {
  if (r.setupError !== undefined) return 'ERROR';
  if (r.timedOut) return 'TIMEOUT';
  return r.ok ? 'OK' : 'FAIL';
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function rssCell(peak: number | undefined, start: number | undefined): string {
  if (peak === undefined || start === undefined) return '-';
  return `${mib(peak)} (+${((peak - start) / 1048576).toFixed(1)})`;
}

/** describeResult explains a row in a few lines: what failed, how far the streams got, how the server's handlers ended. */
export function describeResult(r: StreamResult): string {
  const lines = [`${r.name}: ${verdict(r)}, ${r.streamsOk} of ${r.streams} streams OK, ${r.received} of ${r.expected} messages in order`];
  if (r.setupError !== undefined) lines.push(`  setup: ${r.setupError}`);
  for (const f of r.failures) {
    const got = f.minReceived === f.maxReceived ? `${f.minReceived}` : `${f.minReceived}-${f.maxReceived}`;
    lines.push(`  ${f.streams} stream${f.streams === 1 ? '' : 's'}: ${f.text} (after ${got} of ${r.messagesPerStream} messages)`);
  }
  if (r.server !== undefined) {
    const c = r.server.calls;
    const why = c.failures.length > 0 ? `: ${c.failures.join('; ')}` : '';
    const running = c.started - c.ok - c.failed;
    lines.push(`  server handlers: ${c.started} started, ${c.ok} ended normally, ${c.failed} ended early, ${running} still running${why}`);
  } else if (r.setupError === undefined) lines.push('  server: no stats (did not answer)');
  return lines.join('\n');
}

/** renderStreamTable formats the rows as a plain-text table. */
export function renderStreamTable(results: readonly StreamResult[]): string {
  const head = ['scenario', 'streams x msgs', 'result', 'in order', 'time', 'msg/s', 'client peak RSS', 'server peak RSS'];
  const rows = results.map((r) => [
    r.name,
    `${r.streams} x ${r.messagesPerStream.toLocaleString('en-US')}`,
    verdict(r),
    `${r.received.toLocaleString('en-US')}/${r.expected.toLocaleString('en-US')}`,
    `${r.seconds.toFixed(2)} s`,
    r.ok ? Math.round(r.messagesPerSec).toLocaleString('en-US') : '-',
    rssCell(r.clientPeakRssBytes, r.clientStartRssBytes),
    rssCell(r.server?.maxRssBytes, r.server?.startRssBytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------
// Command line

function positiveInt(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

/**
 * streamMain runs `npm run bench -- stream [options] [<row>…]` and returns the
 * exit code (0 when every row passed, 1 otherwise). Options:
 * `--messages N` (100000), `--payload B` (64), `--bidi-streams N` (64),
 * `--bidi-messages N` (1000), `--pause-every N` (1000), `--pause-ms N` (1),
 * `--timeout S` per row (120), `--protocol ttrpc|drpc|all` (drpc: both drpc
 * variants), `--only <substring>`, `--no-slow` (skip the slow-consumer rows),
 * `--json`, `--server-node-arg <flag>` (repeatable). Row names as arguments
 * (e.g. `ttrpc-bidi`) pick exact rows.
 */
export async function streamMain(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      messages: { type: 'string', default: String(DEFAULT_SIZES.messages) },
      payload: { type: 'string', default: String(DEFAULT_SIZES.payloadBytes) },
      'bidi-streams': { type: 'string', default: String(DEFAULT_SIZES.bidiStreams) },
      'bidi-messages': { type: 'string', default: String(DEFAULT_SIZES.bidiMessages) },
      'pause-every': { type: 'string', default: String(DEFAULT_SIZES.pauseEvery) },
      'pause-ms': { type: 'string', default: String(DEFAULT_SIZES.pauseMs) },
      timeout: { type: 'string', default: '120' },
      protocol: { type: 'string', default: 'all' },
      only: { type: 'string' },
      'no-slow': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'server-node-arg': { type: 'string', multiple: true },
    },
  });
  const sizes: StreamSizes = {
    messages: positiveInt('messages', values.messages),
    payloadBytes: positiveInt('payload', values.payload, 8),
    bidiStreams: positiveInt('bidi-streams', values['bidi-streams']),
    bidiMessages: positiveInt('bidi-messages', values['bidi-messages']),
    pauseEvery: positiveInt('pause-every', values['pause-every']),
    pauseMs: positiveInt('pause-ms', values['pause-ms'], 0),
  };
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) throw new Error('--timeout must be positive (seconds)');
  const protocol = values.protocol!;
  if (!['ttrpc', 'drpc', 'all'].includes(protocol)) throw new Error('--protocol must be ttrpc, drpc or all');

  const every = streamScenarios(sizes);
  for (const n of positionals) if (!every.some((s) => s.name === n)) throw new Error(`unknown stream row ${n} (${every.map((s) => s.name).join(', ')})`);
  let list = positionals.length > 0 ? every.filter((s) => positionals.includes(s.name)) : every.filter((s) => protocol === 'all' || (protocol === 'ttrpc' ? s.protocol === 'ttrpc' : s.protocol !== 'ttrpc'));
  if (values['no-slow'] && positionals.length === 0) list = list.filter((s) => s.shape !== 'stream-slow');
  if (values.only !== undefined) list = list.filter((s) => s.name.includes(values.only!));
  if (list.length === 0) throw new Error(`no stream row matches the selection (${every.map((s) => s.name).join(', ')})`);

  const onSignal = (sig: NodeJS.Signals): void => {
    killServers();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const results: StreamResult[] = [];
  for (const s of list) results.push(await runStreamScenario(s, { timeoutMs: timeoutS * 1000, nodeArgs: values['server-node-arg'] ?? [], log }));

  const table = renderStreamTable(results);
  const failed = results.filter((r) => !r.ok);
  const details = failed.map(describeResult).join('\n');
  const summary = failed.length === 0 ? `all ${results.length} rows OK` : `${failed.length} of ${results.length} rows failed:\n${details}`;
  if (values.json) {
    log(`${table}\n\n${summary}`);
    const meta = { compiled: COMPILED, node: process.version, platform: `${process.platform}-${process.arch}`, sizes, timeoutSeconds: timeoutS };
    process.stdout.write(`${JSON.stringify({ ...meta, rows: results }, null, 2)}\n`);
  } else process.stdout.write(`${table}\n\n${summary}\n`);
  return failed.length === 0 ? 0 : 1;
}
