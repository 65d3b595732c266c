import { MethodRegistry } from '../../server/method-registry.js';
import { CallServer } from '../../server/call-server.js';
import { connectDrpc, connectTtrpc } from '../../client/connect.js';
import { Client } from '../../client/client.js';
import { type ParsedArgs, UsageError, flag } from '../args.js';
import { addTtrpcInteropServices } from './ttrpc-reactor-service.js';
import { Server } from '../../server/server.js';
import { TTRPC_SCENARIOS } from './ttrpc-scenarios.js';
import { registerDrpcInterop } from './drpc-service.js';
import { DRPC_MUX_SCENARIOS, DRPC_SCENARIOS, type DrpcConnection, type DrpcScenarioEnv } from './drpc-scenarios.js';

/** INTEROP_HELP is the usage text of `reactor-rpc interop`. */
export const INTEROP_HELP = `usage:
  reactor-rpc interop serve  --protocol ttrpc|drpc [--drpc-mux] --listen ADDR
  reactor-rpc interop client --protocol ttrpc|drpc [--drpc-mux] --addr ADDR [--scenario NAME[,NAME]|all]

serve prints "listening <addr>" first and runs until SIGINT/SIGTERM.
client prints "PASS name" or "FAIL name: reason" per scenario; exit 1 if any failed.
ADDR: unix:///path, unix-abstract:name, tcp://host:port (port 0 picks one).
--drpc-mux: both sides multiplex drpc streams (the CockroachDB fork's mode).
ttrpc scenarios: ${Object.keys(TTRPC_SCENARIOS).join(', ')}
drpc scenarios: ${Object.keys(DRPC_SCENARIOS).join(', ')}
drpc scenarios with --drpc-mux: also ${Object.keys(DRPC_MUX_SCENARIOS).join(', ')}
`;

function protocolOf(args: ParsedArgs): 'ttrpc' | 'drpc' {
  const p = flag(args, 'protocol', 'ttrpc');
  if (p !== 'ttrpc' && p !== 'drpc') throw new UsageError(`unknown protocol "${p}" (want ttrpc or drpc)`);
  if (p === 'ttrpc' && args.flags.has('drpc-mux')) throw new UsageError('--drpc-mux needs --protocol drpc');
  return p;
}

/** runInterop runs `interop serve|client`; resolves to the exit code. */
export async function runInterop(args: ParsedArgs): Promise<number> {
  const sub = args.positional[1];
  if (args.flags.has('help') || sub === undefined) {
    process.stdout.write(INTEROP_HELP);
    return sub === undefined && !args.flags.has('help') ? 2 : 0;
  }
  const protocol = protocolOf(args);
  if (sub === 'serve') return serve(args, protocol);
  if (sub === 'client') return protocol === 'drpc' ? drpcClient(args) : client(args);
  throw new UsageError(`unknown interop command "${sub}" (want serve or client)`);
}

async function serve(args: ParsedArgs, protocol: 'ttrpc' | 'drpc'): Promise<number> {
  const listen = flag(args, 'listen');
  if (!listen) throw new UsageError('interop serve needs --listen ADDR');
  let address: string;
  let stop: () => Promise<void>;
  if (protocol === 'drpc') {
    const reg = new MethodRegistry();
    registerDrpcInterop(reg);
    const server = new CallServer(reg, { protocol, multiplex: args.flags.has('drpc-mux') });
    address = await server.listen(listen);
    stop = () => server.close();
  } else {
    // The ttrpc interop service runs on the public Server: reactors and sync-style handlers.
    const server = new Server();
    addTtrpcInteropServices(server);
    address = await server.listen(listen);
    stop = () => server.shutdown(2000);
  }
  process.stdout.write(`listening ${address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
  return 0;
}

async function client(args: ParsedArgs): Promise<number> {
  const addr = flag(args, 'addr');
  if (!addr) throw new UsageError('interop client needs --addr ADDR');
  const wanted = flag(args, 'scenario', 'all')!;
  const names = wanted === 'all' ? Object.keys(TTRPC_SCENARIOS) : wanted.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!TTRPC_SCENARIOS[n]) throw new UsageError(`unknown scenario "${n}"`);
  let failed = 0;
  for (const name of names) {
    let t;
    try {
      t = await connectTtrpc(addr, { timeoutMs: 5000 });
      await withTimeout(TTRPC_SCENARIOS[name]!(Client.fromTransport(t)), 30_000);
      process.stdout.write(`PASS ${name}\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`FAIL ${name}: ${(e as Error).message}\n`);
    } finally {
      t?.close();
    }
  }
  return failed ? 1 : 0;
}

async function drpcClient(args: ParsedArgs): Promise<number> {
  const addr = flag(args, 'addr');
  if (!addr) throw new UsageError('interop client needs --addr ADDR');
  const multiplex = args.flags.has('drpc-mux');
  const scenarios = multiplex ? { ...DRPC_SCENARIOS, ...DRPC_MUX_SCENARIOS } : DRPC_SCENARIOS;
  const wanted = flag(args, 'scenario', 'all')!;
  const names = wanted === 'all' ? Object.keys(scenarios) : wanted.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (scenarios[n]) continue;
    if (DRPC_MUX_SCENARIOS[n]) throw new UsageError(`scenario "${n}" needs --drpc-mux`);
    throw new UsageError(`unknown scenario "${n}"`);
  }
  const env: DrpcScenarioEnv = {
    multiplex,
    connect: async (drpc) => (await connectDrpc(addr, { multiplex, pool: false, drpc, timeoutMs: 5000 })) as DrpcConnection,
  };
  let failed = 0;
  for (const name of names) {
    try {
      await withTimeout(scenarios[name]!(env), 30_000);
      process.stdout.write(`PASS ${name}\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`FAIL ${name}: ${(e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
