#!/usr/bin/env node
// Runs every test file under test/ in its own Node process (so a crash in one
// file cannot hide the others), two at a time, and prints one closing line
// `N passed, N failed` that sums all files. Usage: node scripts/test.mjs [filter…]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const parallel = Math.max(1, Math.min(Number(process.env.TEST_JOBS) || cpus().length, 4));

let passed = 0;
let failed = 0;
const problems = [];

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', file)], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const limit = setTimeout(() => child.kill('SIGKILL'), Number(process.env.TEST_FILE_TIMEOUT_MS) || 300_000);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let bad = total - ok - skipped;
      if ((code !== 0 || signal) && bad === 0) bad = 1; // a crash or a hang counts as a failure
      if (total === 0 && bad === 0) bad = 1; // a file that ran no test is a defect
      passed += ok;
      failed += bad;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`${bad ? 'FAIL' : 'ok  '} ${file}  (${ok} passed, ${bad} failed, ${secs}s)`);
      if (bad) problems.push(`--- ${file} (exit ${code}${signal ? ' ' + signal : ''})\n${out}`);
      resolve();
    });
  });
}

// Whole-suite runs first type-check the project, build dist/ (the CLI tests
// spawn bin/reactor-rpc.mjs, which runs the build) and render the API
// reference; each counts as one test.
function runStep(name, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0) passed++;
      if (code !== 0) {
        failed++;
        problems.push(`--- ${name} (exit ${code})\n${out}`);
      }
      console.log(`${code === 0 ? 'ok  ' : 'FAIL'} [${name}]  (${secs}s)`);
      resolve(code === 0);
    });
  });
}
if (filters.length === 0) {
  await runStep('typecheck', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
  const built = await runStep('build', [join(root, 'node_modules/rollup/dist/bin/rollup'), '-c']);
  // The API reference (typedoc.json: warnings are errors, so an exported type
  // that references an unexported one, or a broken {@link}, fails the suite).
  await runStep('docs', [join(root, 'node_modules/typedoc/bin/typedoc')]);
  // The CLI tests then run the fresh build (what the package ships; a third of
  // the start-up time of the sources through tsx) instead of the sources.
  if (built) process.env.REACTOR_RPC_TEST_BUILT = '1';
}

const queue = [...files];
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (queue.length) await runFile(queue.shift());
  }),
);
for (const p of problems) console.log(p);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
