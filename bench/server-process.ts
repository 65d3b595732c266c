/**
 * Benchmark server process: `server-process.ts <raw|ttrpc-api|ttrpc-reactor|ttrpc|ttrpc-lean|drpc-api|drpc-mux-api> <address>` listens,
 * prints `listening <address>` on stdout and serves until its stdin closes
 * (so it never outlives the benchmark), then exits normally (which also lets
 * `--cpu-prof` write its profile).
 */
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
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => void stop().finally(() => process.exit(0)));
  process.stdout.write(`listening ${bound}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`server-process: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
