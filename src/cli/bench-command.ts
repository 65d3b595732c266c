// `reactor-rpc bench`: runs the repository's benchmarks (bench/, a source
// checkout) and prints their table; `bench proxy` measures the proxy hop.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type OptionTable, type ParsedArgs, UsageError, flag } from './args.js';
import { benchScenarioNames } from './bench-scenarios.js';
import { type Command, oneOf, runCommand } from './command-kit.js';
import { InputError } from './input-error.js';
import { packageRoot } from './package-info.js';
import { PROXY_BENCH_HELP, runProxyBench } from './proxy-bench.js';

/** BENCH_HELP is the usage text of `reactor-rpc bench`. */
export const BENCH_HELP = `usage: reactor-rpc bench [options] [<scenario>...]
       reactor-rpc bench stream [options] [<row>...]
       reactor-rpc bench proxy [options]

bench runs the ttrpc and drpc unary echo benchmark of the source checkout
(bench/), reactor-rpc against a raw framed-socket echo, and prints its table.
Scenario names pick rows. Options are passed on:
  --seconds N  --rounds N  --warmup N  --only <substring>  --json
  --protocol ttrpc|drpc|all  --side both|raw|ours  --ours api|reactor|adapters|lean
  --pin same|split  --write-buffer N  --server-node-arg=FLAG (repeatable)
  --cpu-prof-dir DIR  --heap-prof-dir DIR  --alloc-prof-dir DIR
  --from-source (run the TypeScript directly instead of compiling it first)

bench stream runs the streaming benchmark (options: --messages N --payload B
--bidi-streams N --bidi-messages N --pause-every N --pause-ms N --timeout S
--protocol P --only S --no-slow --json --server-node-arg=FLAG).

bench proxy compares unary echo calls/s direct and through a proxy built
with createProxy (see reactor-rpc bench proxy --help).
`;

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const SHARED: OptionTable = { only: str, protocol: str, json: bool, 'server-node-arg': { type: 'string', multiple: true }, 'from-source': bool };

/** BENCH is `bench` itself; its table mirrors bench/main.ts. */
const BENCH: Command = {
  name: 'bench',
  help: BENCH_HELP,
  options: { ...SHARED, seconds: str, rounds: str, warmup: str, side: str, ours: str, pin: str, 'write-buffer': str, 'cpu-prof-dir': str, 'heap-prof-dir': str, 'alloc-prof-dir': str },
};

/** STREAM is `bench stream`; its table mirrors bench/stream-bench.ts. */
const STREAM: Command = {
  name: 'bench stream',
  help: BENCH_HELP,
  options: { ...SHARED, messages: str, payload: str, 'bidi-streams': str, 'bidi-messages': str, 'pause-every': str, 'pause-ms': str, timeout: str, 'no-slow': bool },
};

/** PROXY_BENCH is `bench proxy`. */
const PROXY_BENCH: Command = {
  name: 'bench proxy',
  help: PROXY_BENCH_HELP,
  options: { transport: str, concurrency: str, seconds: str, rounds: str, json: bool },
};

/** checkNumber throws UsageError unless the option is absent or a number passing ok (want says which). */
function checkNumber(args: ParsedArgs, name: string, want: string, ok: (n: number) => boolean): void {
  const v = flag(args, name);
  if (v !== undefined && (v.trim() === '' || !ok(Number(v)))) throw new UsageError(`--${name} must be ${want}, not "${v}"`);
}

/** checkBenchArgs rejects option values and scenario names the benchmark would refuse. */
async function checkBenchArgs(args: ParsedArgs, root: string, stream: boolean): Promise<void> {
  oneOf(args, 'protocol', ['ttrpc', 'drpc', 'all'] as const, 'all');
  if (!stream) {
    oneOf(args, 'side', ['both', 'raw', 'ours'] as const, 'both');
    oneOf(args, 'ours', ['api', 'reactor', 'adapters', 'lean'] as const, 'api');
    if (args.flags.has('pin')) oneOf(args, 'pin', ['same', 'split'] as const, 'same');
    checkNumber(args, 'seconds', 'a number > 0', (n) => n > 0);
    checkNumber(args, 'rounds', 'a whole number ≥ 1', (n) => Number.isInteger(n) && n >= 1);
    checkNumber(args, 'warmup', 'a number ≥ 0', (n) => n >= 0);
  }
  const positional = stream ? args.positional.slice(1) : args.positional;
  if (positional.length === 0) return;
  const known = await benchScenarioNames(root, stream);
  const what = stream ? 'stream row' : 'scenario';
  for (const n of positional) if (known && !known.includes(n)) throw new UsageError(`unknown ${what} "${n}" (${what}s: ${known.join(', ')})`);
}

/** runBenchmark runs bench/run.ts of the checkout with argv; resolves to its exit code. */
async function runBenchmark(root: string, argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...argv], { cwd: root, stdio: 'inherit' });
  const forward = (s: NodeJS.Signals) => child.kill(s);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** runBench runs `reactor-rpc bench` with the words after `bench`; resolves to the benchmark's exit code. */
export async function runBench(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'proxy') return runCommand(PROXY_BENCH, argv.slice(1), runProxyBench);
  const stream = argv[0] === 'stream';
  return runCommand(stream ? STREAM : BENCH, argv, async (args) => {
    const root = packageRoot();
    if (!root || !existsSync(join(root, 'bench', 'run.ts'))) throw new InputError('the benchmarks (bench/) ship with the source repository only; run this from a checkout');
    await checkBenchArgs(args, root, stream);
    return runBenchmark(root, argv);
  });
}
