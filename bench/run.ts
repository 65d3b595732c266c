/**
 * Benchmark launcher (`npm run bench -- [options]`, options in main.ts).
 *
 * Users run compiled JavaScript, so by default this compiles the benchmark and
 * the library sources it imports to `.tmp/bench-js` (TypeScript, transpile
 * only: tsconfig.build.json) and runs `.tmp/bench-js/bench/main.js` in a new
 * Node process with the same arguments. `--from-source` runs main.ts through
 * the TypeScript loader instead (slower, and not what users run).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const COMPILED = import.meta.url.endsWith('.js');
const args = process.argv.slice(2);

async function main(): Promise<void> {
  if (COMPILED || args.includes('--from-source')) {
    const i = args.indexOf('--from-source');
    if (i >= 0) process.argv.splice(2 + i, 1);
    await import('./main.js');
    return;
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('./tsconfig.build.json', import.meta.url));
  const built = spawnSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('bench: compiling the benchmark failed\n');
    process.exit(1);
  }
  const entry = fileURLToPath(new URL('../.tmp/bench-js/bench/main.js', import.meta.url));
  const run = spawnSync(process.execPath, [entry, ...args], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

await main();
