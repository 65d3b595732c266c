// The published package is one instance whichever way it is loaded: builds
// with the real rollup configuration into a scratch directory, then
//   - loads the ESM and the CommonJS entries in this one process and checks
//     they are the same classes and the same default scheduler (core and rx);
//   - checks the core never loads rxjs (an optional peer used by reactor-rpc/rx only);
//   - packs the package (npm pack) and runs @arethetypeswrong/cli on the
//     tarball: no problem for node10, node16 (CJS and ESM) and bundler;
//   - checks every file of the tarball is one something loads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rollup, type OutputOptions, type RollupOptions } from 'rollup';

const root = fileURLToPath(new URL('..', import.meta.url));

/** BuildModule is the part of rollup.config.mjs this test uses. */
interface BuildModule {
  buildConfigs(outDir: string): RollupOptions[];
}

// The scratch package sits inside the repository so the bundles resolve
// protobufjs and rxjs from its node_modules, as an installed package would.
mkdirSync(join(root, '.tmp'), { recursive: true });
const scratch = mkdtempSync(join(root, '.tmp', 'package-test-'));
/** pkgDir is the package as installed: package.json, bin/ and the built dist/. */
const pkgDir = join(scratch, 'reactor-rpc');
const dist = join(pkgDir, 'dist');

async function build(): Promise<void> {
  const config = (await import(pathToFileURL(join(root, 'rollup.config.mjs')).href)) as BuildModule;
  for (const options of config.buildConfigs(dist)) {
    const bundle = await rollup({ ...options, onLog: () => {} });
    try {
      const outputs = Array.isArray(options.output) ? options.output : [options.output as OutputOptions];
      for (const output of outputs) await bundle.write(output);
    } finally {
      await bundle.close();
    }
  }
  cpSync(join(root, 'package.json'), join(pkgDir, 'package.json'));
  cpSync(join(root, 'bin'), join(pkgDir, 'bin'), { recursive: true });
  for (const dir of ['src', 'reactors']) cpSync(join(root, dir), join(pkgDir, dir), { recursive: true });
  mkdirSync(join(pkgDir, 'generated'), { recursive: true });
  cpSync(join(root, 'generated', 'interop.js'), join(pkgDir, 'generated', 'interop.js'));
}

/** Pack is what `npm pack --json` reports of one tarball. */
interface Pack {
  filename: string;
  files: { path: string }[];
}

let pack: Pack;

test.before(async () => {
  await build();
  // --ignore-scripts: the package is already built; a prepack/prepare script must not rebuild it.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: pkgDir, encoding: 'utf8' });
  pack = (JSON.parse(out) as Pack[])[0]!;
});

test.after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

type Module = Record<string, unknown>;
const requireFromPkg = createRequire(join(pkgDir, 'package.json'));

async function loadBoth(entry: string): Promise<{ esm: Module; cjs: Module }> {
  const esm = (await import(pathToFileURL(join(dist, `${entry}.js`)).href)) as Module;
  const cjs = requireFromPkg(`./dist/${entry}.cjs`) as Module;
  return { esm, cjs };
}

test('import() and require() of the core give the same instance', async () => {
  const { esm, cjs } = await loadBoth('index');
  assert.equal(Object.keys(esm).sort(), Object.keys(cjs).sort(), 'the ESM entry re-exports every CommonJS export');
  for (const name of Object.keys(cjs)) assert.ok(esm[name] === cjs[name], `${name} differs between import and require`);
  assert.ok(esm['RpcError'] === cjs['RpcError']);
  const defaultScheduler = (m: Module) => (m['defaultScheduler'] as () => unknown)();
  assert.ok(defaultScheduler(esm) === defaultScheduler(cjs), 'one default scheduler');
  const EsmError = esm['RpcError'] as new (code: number, message: string) => Error;
  const CjsError = cjs['RpcError'] as new (code: number, message: string) => Error;
  assert.instance(new EsmError(5, 'x'), CjsError);
  assert.instance(new CjsError(5, 'x'), EsmError);
  assert.instance(new (esm['Metadata'] as new () => object)(), cjs['Metadata'] as new () => object);
});

test('reactor-rpc/rx is one instance and shares the core classes', async () => {
  const { esm, cjs } = await loadBoth('rx');
  const core = requireFromPkg('./dist/index.cjs') as Module;
  assert.equal(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of Object.keys(cjs)) assert.ok(esm[name] === cjs[name], `${name} differs between import and require`);
  // WriteQueue reports overflow with the core's RpcError: the same class whichever entry was loaded.
  const WriteQueue = esm['WriteQueue'] as new (write: (x: number) => void, end: () => void, overflow: (e: unknown) => void, limit?: number) => { push(x: number): void };
  let overflow: unknown;
  const q = new WriteQueue(() => {}, () => {}, (e) => (overflow = e), 1);
  for (let i = 0; i < 4; i++) q.push(i);
  assert.ok(overflow !== undefined, 'the queue reported overflow');
  assert.instance(overflow, core['RpcError'] as new () => Error);
  assert.instance(overflow, ((await import(pathToFileURL(join(dist, 'index.js')).href)) as Module)['RpcError'] as new () => Error);
  // toRxScheduler adapts the core's Scheduler: the one the core entry exports.
  const toRxScheduler = cjs['toRxScheduler'] as (s: unknown) => { now(): number };
  assert.type(toRxScheduler((core['defaultScheduler'] as () => unknown)()).now(), 'number');
  // rx requires the core's chunks, it bundles no copy of them.
  const rxCode = readFileSync(join(dist, 'rx.cjs'), 'utf8');
  assert.not.match(rxCode, /class RpcError\b/);
  assert.match(rxCode, /require\('\.\/chunks\//);
});

/** loaded returns the dist files that `file` loads (relative requires and imports), recursively. */
function loaded(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  for (const m of code.matchAll(/(?:require\(|from |import\(|import )\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = new URL(m[1]!, `file:///${dir}`).pathname.slice(1);
    loaded(target, seen);
  }
  return seen;
}

test('the core entry loads without rxjs, in both formats', () => {
  for (const entry of ['index.js', 'index.cjs']) {
    for (const file of loaded(entry)) {
      const code = readFileSync(join(dist, file), 'utf8');
      assert.not.match(code, /(require\(|from |import\()\s*['"]rxjs(\/[^'"]*)?['"]/, `${file} (loaded by ${entry}) loads rxjs`);
    }
  }
  assert.match(readFileSync(join(dist, 'rx.cjs'), 'utf8'), /require\('rxjs'\)/);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  assert.is(pkg['dependencies']?.['rxjs'], undefined, 'rxjs is not a dependency');
  assert.ok(pkg['peerDependencies']?.['rxjs'], 'rxjs is a peer dependency');
  assert.equal(pkg['peerDependenciesMeta']?.['rxjs'], { optional: true });
});

test('the CLI entry works from the built package', () => {
  const out = execFileSync(process.execPath, [join(pkgDir, 'bin', 'reactor-rpc.mjs'), '--version'], { encoding: 'utf8', env: { ...process.env, REACTOR_RPC_FROM_SOURCE: '' } });
  assert.match(out, /^reactor-rpc \d+\.\d+\.\d+/);
});

test('@arethetypeswrong/cli finds no problem in the tarball', () => {
  const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  let out: string;
  try {
    out = execFileSync(process.execPath, [attw, join(scratch, pack.filename), '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '');
    if (!out) throw err;
  }
  const report = JSON.parse(out) as { analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, unknown> }> } };
  assert.equal(report.analysis.problems, [], JSON.stringify(report.analysis.problems, null, 2));
  assert.equal(Object.keys(report.analysis.entrypoints).sort(), ['.', './package.json', './protobuf', './rx']);
  for (const [name, entry] of Object.entries(report.analysis.entrypoints)) {
    assert.equal(Object.keys(entry.resolutions).sort(), ['bundler', 'node10', 'node16-cjs', 'node16-esm'], name);
  }
});

test('the tarball holds only files something loads, with their source and declaration maps (and the sources those maps name)', () => {
  const files = pack.files.map((f) => f.path).sort();
  const used = new Set(['package.json', 'bin/reactor-rpc.mjs']);
  for (const entry of ['index.js', 'index.cjs', 'rx.js', 'rx.cjs', 'protobuf.js', 'protobuf.cjs', 'cli.js']) for (const f of loaded(entry)) used.add(`dist/${f}`);
  for (const f of readdirSync(dist, { recursive: true }) as string[]) {
    if (/\.d\.c?ts$/.test(f)) used.add(`dist/${f}`);
  }
  for (const f of [...used]) if (f.startsWith('dist/') && existsSync(join(pkgDir, `${f}.map`))) used.add(`${f}.map`);
  // Maps point a debugger or an editor's "go to definition" at the TypeScript sources: those ship too.
  // (This scratch build sits elsewhere than the repository, so a source is taken by its path below the root.)
  for (const f of [...used].filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(pkgDir, f), 'utf8')) as { sources: string[] };
    for (const src of map.sources) {
      const below = /(?:^|\/)((?:src|reactors|generated)\/.+)$/.exec(posix.normalize(src))?.[1];
      assert.ok(below, `${f} names a source outside src/, reactors/ and generated/: ${src}`);
      used.add(below);
    }
  }
  assert.equal(files.filter((f) => !used.has(f)), [], 'files nothing loads');
  assert.equal([...used].filter((f) => !files.includes(f)).sort(), [], 'files missing from the tarball');
  for (const f of files.filter((f) => /\.(c?js|d\.c?ts)$/.test(f) && f.startsWith('dist/') && !/^dist\/(index|rx|protobuf|cli)\.js$/.test(f))) {
    assert.ok(files.includes(`${f}.map`), `${f} ships without its map`);
  }
  for (const f of ['dist/index.d.ts', 'dist/index.d.cts', 'dist/rx.d.ts', 'dist/rx.d.cts', 'dist/protobuf.d.ts', 'dist/protobuf.d.cts', 'dist/cli.cjs', 'src/client/client.ts', 'src/protobuf/index.ts']) assert.ok(files.includes(f), f);
});

test.run();
