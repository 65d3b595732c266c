/**
 * Benchmark server process: `server-process.ts <raw|ttrpc-api|ttrpc-reactor|ttrpc|ttrpc-lean|drpc-api|drpc-mux-api> <address>` listens,
 * prints `listening <address>` on stdout and serves until its stdin closes
 * (so it never outlives the benchmark), then exits normally (which also lets
 * `--cpu-prof` write its profile). Each `gc` line on stdin is answered with
 * `gc {"gcMs":…,"cpuMs":…}` on stdout: the garbage-collection pause time
 * (perf_hooks 'gc' entries, observed from the first `gc` line on) and this
 * process's CPU time (process.cpuUsage, all threads), both cumulative.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { listen } from '../src/transport/dial.js';
import { serveRawEcho } from './raw-framed.js';
import { startTtrpcEchoServer } from './ttrpc-echo.js';
import { startLeanEchoServer } from './ttrpc-lean.js';
import { startApiEchoServer } from './ttrpc-api.js';
import { startReactorEchoServer } from './ttrpc-reactor.js';
import { DRPC_SERVERS } from './scenarios.js';

const STARTERS = {
  'ttrpc-api': (a: string) => startApiEchoServer(a),
  'ttrpc-reactor': startReactorEchoServer,
  ttrpc: startTtrpcEchoServer,
  'ttrpc-lean': startLeanEchoServer,
  'drpc-api': (a: string) => startApiEchoServer(a, DRPC_SERVERS.drpc),
  'drpc-mux-api': (a: string) => startApiEchoServer(a, DRPC_SERVERS['drpc-mux']),
} as const;

let gcMs = 0;
let observer: PerformanceObserver | undefined;

/** gcProbe starts observing 'gc' entries on its first call and returns the GC pause time and CPU time so far (ms). */
function gcProbe(): { gcMs: number; cpuMs: number } {
  if (observer === undefined) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  const u = process.cpuUsage();
  return { gcMs, cpuMs: (u.user + u.system) / 1000 };
}

async function main(): Promise<void> {
  const [mode, address] = process.argv.slice(2);
  if ((mode !== 'raw' && !(mode !== undefined && mode in STARTERS)) || address === undefined) {
    process.stderr.write('usage: server-process.ts <raw|ttrpc-api|ttrpc-reactor|ttrpc|ttrpc-lean|drpc-api|drpc-mux-api> <address>\n');
    process.exit(2);
  }
  let bound: string;
  let stop: () => Promise<void>;
  if (mode === 'raw') {
    const l = await listen(address);
    l.onConnection(serveRawEcho);
    bound = l.address;
    stop = () => l.close();
  } else {
    const { server, address: a } = await STARTERS[mode as keyof typeof STARTERS](address);
    bound = a;
    stop = () => server.close();
  }
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'gc') process.stdout.write(`gc ${JSON.stringify(gcProbe())}\n`);
  });
  lines.on('close', () => void stop().finally(() => process.exit(0)));
  process.stdout.write(`listening ${bound}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`server-process: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
