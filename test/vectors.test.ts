// The repository stands alone: the Go byte captures the tests read live in
// test/vectors/, every listed capture is present and intact, and nothing that
// tests, benchmarks, scripts or CI run points at a folder beside the repository.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedVectors, vectorFiles, VECTORS_ROOT } from './helpers/vectors.js';

const root = fileURLToPath(new URL('..', import.meta.url));

test('SHA256SUMS lists the ttrpc and drpc captures, and each is present and intact', () => {
  const listed = [...expectedVectors().keys()];
  assert.ok(listed.filter((f) => f.startsWith('ttrpc/')).length >= 18, 'ttrpc captures listed');
  assert.ok(listed.filter((f) => f.startsWith('drpc/')).length >= 19, 'drpc captures listed');
  assert.equal(vectorFiles('ttrpc').length + vectorFiles('drpc').length, listed.length);
  for (const f of listed) assert.ok(statSync(join(VECTORS_ROOT, f)).size > 0, f);
});

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'vectors' || e.name === 'fixtures') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|mjs|js|go|sh)$/.test(e.name) || e.name === 'run') out.push(p);
  }
  return out;
}

test('no test, benchmark, script or CI file reads a path beside the repository', () => {
  const files = ['test', 'bench', 'scripts', '.ci'].flatMap((d) => walk(join(root, d), []));
  assert.ok(files.length > 30, 'files scanned');
  const outside = /(\.\.\/)+shared\/|"shared", "vectors"|\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\//;
  const offenders = files.filter((f) => f !== fileURLToPath(import.meta.url) && outside.test(readFileSync(f, 'utf8')));
  assert.equal(offenders.map((f) => relative(root, f)), []);
});

test.run();
