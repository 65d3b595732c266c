// `reactor-rpc bench`: runs the repository's benchmarks (bench/, a source
// checkout) and prints their table; `bench proxy` measures the proxy hop.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { reportErrors } from './command-kit.js';
import { InputError } from './input-error.js';
import { runProxyBench } from './proxy-bench.js';

/** BENCH_HELP is the usage text of `reactor-rpc bench`. */
export const BENCH_HELP = `usage: reactor-rpc bench [options]
       reactor-rpc bench proxy [options]

bench runs the ttrpc unary echo benchmark of the source checkout (bench/),
reactor-rpc against a raw framed-socket echo, and prints its table. Every
option is passed on, e.g.:
  --seconds N  --rounds N  --warmup N  --only <substring>  --json
  --side both|raw|ours  --ours api|adapters|lean  --pin same|split
  --from-source (run the TypeScript directly instead of compiling it first)

bench proxy compares unary echo calls/s direct and through a proxy built
with createProxy (see reactor-rpc bench proxy --help).
`;

/** packageRoot finds the directory of reactor-rpc's package.json above this module. */
export function packageRoot(from = fileURLToPath(import.meta.url)): string | undefined {
  for (let d = dirname(from); ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'reactor-rpc') return d;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** runBench runs `reactor-rpc bench` with the words after `bench`; resolves to the benchmark's exit code. */
export async function runBench(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'proxy') return reportErrors('bench', () => runProxyBench(parseArgs(argv, ['help', 'json'])));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  return reportErrors('bench', async () => {
    const root = packageRoot();
    const runner = root && join(root, 'bench', 'run.ts');
    if (!runner || !existsSync(runner)) throw new InputError('the benchmarks (bench/) ship with the source repository only; run this from a checkout');
    const child = spawn(process.execPath, ['--import', 'tsx', runner, ...argv], { cwd: root, stdio: 'inherit' });
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
  });
}
