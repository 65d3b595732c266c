import { connectDrpc, connectTtrpc } from '../../client/connect.js';
import { Client } from '../../client/client.js';
import { type ParsedArgs, UsageError, flag } from '../args.js';
import { type Command, checkAddress, runCommand } from '../command-kit.js';
import { addTtrpcInteropServices } from './ttrpc-reactor-service.js';
import { Server } from '../../server/server.js';
import { TTRPC_SCENARIOS } from './ttrpc-scenarios.js';
import { addDrpcInteropService } from './drpc-service.js';
import { DRPC_MUX_SCENARIOS, DRPC_SCENARIOS, type DrpcConnection, type DrpcScenarioEnv } from './drpc-scenarios.js';

/** INTEROP_HELP is the usage text of `reactor-rpc interop`. */
export const INTEROP_HELP = `usage:
  reactor-rpc interop serve  --protocol ttrpc|drpc [--drpc-mux] --listen ADDR
  reactor-rpc interop client --protocol ttrpc|drpc [--drpc-mux] --addr ADDR [--scenario NAME[,NAME]|all]

serve prints "listening <addr>" first and runs until SIGINT/SIGTERM.
client prints "PASS name" or "FAIL name: reason" per scenario; exit 1 if any failed.
ADDR: host:port, tcp://host:port, unix:///path, unix-abstract:name (port 0 picks one).
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

/** INTEROP is the command's name, help and option table. */
const INTEROP: Command = {
  name: 'interop',
  help: INTEROP_HELP,
  options: { protocol: { type: 'string' }, 'drpc-mux': { type: 'boolean' }, listen: { type: 'string' }, addr: { type: 'string' }, scenario: { type: 'string' } },
};

/** runInterop runs `interop serve|client` with the words after `interop`; resolves to the exit code. */
export async function runInterop(argv: readonly string[]): Promise<number> {
  return runCommand(INTEROP, argv, async (args) => {
    const [sub, extra] = args.positional;
    if (sub === undefined) throw new UsageError('serve or client is required');
    if (sub !== 'serve' && sub !== 'client') throw new UsageError(`unknown interop command "${sub}" (want serve or client)`);
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    const protocol = protocolOf(args);
    if (sub === 'serve') return serve(args, protocol);
    return protocol === 'drpc' ? drpcClient(args) : client(args);
  });
}

/** unknownScenario is the usage error for a scenario name that is not in the list. */
function unknownScenario(name: string, known: readonly string[]): UsageError {
  return new UsageError(`unknown scenario "${name}" (scenarios: ${known.join(', ')})`);
}

async function serve(args: ParsedArgs, protocol: 'ttrpc' | 'drpc'): Promise<number> {
  const listen = checkAddress('--listen', flag(args, 'listen'));
  // Both interop services run on the public Server: reactors and sync-style handlers.
  const server = protocol === 'drpc' ? new Server({ protocol, multiplex: args.flags.has('drpc-mux') }) : new Server();
  if (protocol === 'drpc') addDrpcInteropService(server);
  else addTtrpcInteropServices(server);
  const address = await server.listen(listen);
  // A drpc peer closes its connections at once on a signal (open Ticker streams never end on their own); ttrpc lets calls finish.
  const stop = () => (protocol === 'drpc' ? server.forceShutdown() : server.shutdown(2000));
  process.stdout.write(`listening ${address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
  return 0;
}

async function client(args: ParsedArgs): Promise<number> {
  const addr = checkAddress('--addr', flag(args, 'addr'));
  const wanted = flag(args, 'scenario', 'all')!;
  const names = wanted === 'all' ? Object.keys(TTRPC_SCENARIOS) : wanted.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!Object.hasOwn(TTRPC_SCENARIOS, n)) throw unknownScenario(n, Object.keys(TTRPC_SCENARIOS));
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
  const addr = checkAddress('--addr', flag(args, 'addr'));
  const multiplex = args.flags.has('drpc-mux');
  const scenarios = multiplex ? { ...DRPC_SCENARIOS, ...DRPC_MUX_SCENARIOS } : DRPC_SCENARIOS;
  const wanted = flag(args, 'scenario', 'all')!;
  const names = wanted === 'all' ? Object.keys(scenarios) : wanted.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (Object.hasOwn(scenarios, n)) continue;
    if (Object.hasOwn(DRPC_MUX_SCENARIOS, n)) throw new UsageError(`scenario "${n}" needs --drpc-mux`);
    throw unknownScenario(n, Object.keys(scenarios));
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
