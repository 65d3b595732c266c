// The README's quickstart, run as a newcomer would: the repository is packed
// once (`npm pack`), and each project below is a fresh directory outside the
// repository with its own package.json, into which the tarball is installed.
// The code blocks of README.md's section "From a .proto to a running server and
// client" are used as they stand (```<lang> <name>: files are written
// verbatim, ```sh blocks run line by line with bash); the one substitution is
// `npm install reactor-rpc` → `npm install <the tarball>`.
//   a. TypeScript strict: the `setup` block (npm init, installs, `npx tsc --init`,
//      gen), greeter.proto and src/main.ts; `npx tsc` type-checks and emits,
//      `node src/main.js` and the `run` block's command print the `output` block.
//   b. CommonJS: the `js-setup` block and main.cjs; `node main.cjs` prints `js-output`.
//   c. plain JavaScript ESM: js-setup with `gen … --js` in a "type": "module"
//      package; a small ESM main (fixtures/quickstart/esm-main.mjs.fixture) loads gen/greeter.js.
//   d. well-known types: fixtures/quickstart/wkt.proto (Timestamp, Any, Empty) in a
//      strict TypeScript project set up like (a); a call round-trips them.
//   e. a proto tree (fixtures/quickstart/tree: api/v1 importing common/) generated
//      with -I into a strict TypeScript project; a call uses the imported messages.
// The projects run concurrently; npm prefers its cache; d and e copy project
// a's installation (package.json, lock, node_modules, tsconfig.json) and c
// copies b's, instead of installing the same packages again. Set
// QUICKSTART_KEEP=1 to keep the projects' directory (its path is in every failure),
// QUICKSTART_VERBOSE=1 to print every command with its time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Failure, REPO_ROOT, type Section, type StepResult, lastLines, must, shellQuote, packRepository, readmeBlocks, runLine, shellLines, withTarball } from './helpers/package-project.js';

const SECTION = '## From a .proto to a running server and client';
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'quickstart');
/** GEN_LINE recognises the README line that runs the generator. */
const GEN_LINE = /\bnpx reactor-rpc gen\b/;

// Outside the repository, so nothing resolves from its node_modules.
const work = mkdtempSync(join(tmpdir(), 'reactor-rpc-quickstart-'));

let section: Section | undefined;
/** quickstart returns the README section's blocks (parsed once); throws a clear error when the section is missing. */
function quickstart(): Section {
  section ??= readmeBlocks(join(REPO_ROOT, 'README.md'), SECTION);
  return section;
}

let packed: Promise<string> | undefined;
/** tarball packs the repository once and resolves to the tarball's path. */
function tarball(): Promise<string> {
  if (!packed) {
    const started = Date.now();
    packed = packRepository(join(work, 'pack'));
    if (process.env['QUICKSTART_VERBOSE'] === '1') void packed.then(() => console.log(`  ${((Date.now() - started) / 1000).toFixed(1)}s  (build if stale, npm pack)`), () => undefined);
  }
  return packed;
}

/** project makes a fresh, empty project directory. */
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** write writes `text` to `file` in `dir`, making its folders. */
function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text.endsWith('\n') ? text : `${text}\n`);
}

/** sh runs one README shell line in `dir` (with the tarball substitution); throws with the command's output when it fails. */
async function sh(dir: string, line: string, timeoutMs = 180_000): Promise<string> {
  return (await must(step(runLine(withTarball(line, await tarball()), { cwd: dir, timeoutMs })))).stdout;
}

/** step passes a command's result through, logging its time when QUICKSTART_VERBOSE=1. */
async function step(r: Promise<StepResult>): Promise<StepResult> {
  const done = await r;
  if (process.env['QUICKSTART_VERBOSE'] === '1') console.log(`  ${(done.ms / 1000).toFixed(1)}s  ${done.cwd.slice(work.length + 1)}$ ${done.command}  (exit ${done.code})`);
  return done;
}

/** expectFiles fails unless every file exists in `dir`. */
function expectFiles(dir: string, files: readonly string[], after: string): void {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  assert.equal(missing, [], `${after} did not write ${missing.join(', ')} (in ${dir})`);
}

/** prints runs `line` in `dir` and checks its standard output is exactly `expected` (one line per line of the block). */
async function prints(dir: string, line: string, expected: string, what: string): Promise<void> {
  const r = await must(step(runLine(line, { cwd: dir, timeoutMs: 30_000 })));
  if (r.stdout === `${expected}\n`) return;
  throw new Failure(
    [`\`${line}\` in ${dir} printed other than ${what}`, `expected:\n${expected}`, `stdout:\n${r.stdout}`, r.stderr.trim() ? `stderr (last 40 lines):\n${lastLines(r.stderr)}` : 'stderr: (empty)'].join('\n'),
  );
}

/** genLineOf returns the one line of `lines` that runs the generator. */
function genLineOf(lines: readonly string[], block: string): string {
  const gen = lines.filter((l) => GEN_LINE.test(l));
  if (gen.length !== 1) throw new Error(`README block "${block}" should run \`npx reactor-rpc gen\` exactly once; its lines: ${JSON.stringify(lines)}`);
  return gen[0]!;
}

/** Milestone is a value one pipeline settles and others await. */
class Milestone<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => undefined);
  }
}

/**
 * installed holds the directories of projects a (TypeScript) and b (CommonJS)
 * once the lines of their setup block before the gen line (npm init, the
 * installs, `npx tsc --init`) have run: d and e copy a's installation, c copies
 * b's, rather than install the same packages again.
 */
const installed = { 'a. TypeScript strict': new Milestone<string>(), 'b. CommonJS': new Milestone<string>() };

/** runSetup runs the lines of a setup block in `dir`, resolving `milestone` with `dir` just before the gen line. */
async function runSetup(dir: string, lines: readonly string[], gen: string, milestone: Milestone<string>): Promise<void> {
  for (const line of lines) {
    if (line === gen) milestone.resolve(dir);
    await sh(dir, line);
  }
}

/** shareInstall copies `files` (package.json, node_modules, …) of the project `owner` once its installs are done into `dir`. */
async function shareInstall(owner: keyof typeof installed, dir: string, files: readonly string[]): Promise<void> {
  const from = await installed[owner].promise;
  await must(step(runLine(`cp -a ${files.map((f) => shellQuote(join(from, f))).join(' ')} ${shellQuote(dir)}/`, { cwd: dir, timeoutMs: 60_000 })));
}

/** strictTsProject makes a TypeScript project with the installation and tsconfig.json the README's `setup` block made in project a. */
async function strictTsProject(name: string): Promise<string> {
  const dir = project(name);
  await shareInstall('a. TypeScript strict', dir, ['package.json', 'package-lock.json', 'tsconfig.json', 'node_modules']);
  return dir;
}

// Every pipeline starts in test.before and runs concurrently; each test awaits its own.
const pipelines: Record<string, () => Promise<void>> = {
  async 'a. TypeScript strict'() {
    const qs = quickstart();
    const setup = shellLines(qs.block('setup', 'sh'));
    const gen = genLineOf(setup, 'setup');
    const proto = qs.block('greeter.proto', 'proto');
    const main = qs.block('src/main.ts', 'ts');
    const run = shellLines(qs.block('run', 'sh'));
    const output = qs.block('output', 'text').body;
    const dir = project('ts-strict');
    write(dir, proto.name, proto.body);
    write(dir, main.name, main.body);
    await runSetup(dir, setup, gen, installed['a. TypeScript strict']);
    expectFiles(dir, ['package.json', 'tsconfig.json', 'node_modules/reactor-rpc/package.json', 'src/gen/greeter.ts'], 'the setup block');
    const tsconfig = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    for (const option of ['"strict": true', '"exactOptionalPropertyTypes": true', '"noUncheckedIndexedAccess": true']) {
      if (!tsconfig.includes(option)) throw new Failure(`the tsconfig.json \`npx tsc --init\` wrote lacks ${option}:\n${tsconfig}`);
    }
    await sh(dir, 'npx tsc');
    expectFiles(dir, ['src/main.js', 'src/gen/greeter.js'], '`npx tsc`');
    await prints(dir, 'node src/main.js', output, 'the ```text output block');
    assert.ok(run.length > 0, 'the ```sh run block has no command');
    await prints(dir, run[0]!, output, 'the ```text output block');
  },

  async 'b. CommonJS'() {
    const qs = quickstart();
    const setup = shellLines(qs.block('js-setup', 'sh'));
    const gen = genLineOf(setup, 'js-setup');
    const proto = qs.block('greeter.proto', 'proto');
    const main = qs.block('main.cjs', 'js');
    const output = qs.block('js-output', 'text').body;
    const dir = project('js-cjs');
    write(dir, proto.name, proto.body);
    write(dir, main.name, main.body);
    await runSetup(dir, setup, gen, installed['b. CommonJS']);
    expectFiles(dir, ['package.json', 'node_modules/reactor-rpc/package.json', 'gen/greeter.cjs', 'gen/greeter.d.cts'], 'the js-setup block');
    await prints(dir, `node ${main.name}`, output, 'the ```text js-output block');
  },

  async 'c. plain JavaScript ESM (gen --js)'() {
    const qs = quickstart();
    const gen = genLineOf(shellLines(qs.block('js-setup', 'sh')), 'js-setup');
    assert.match(gen, / --cjs\b/, `the js-setup gen line should use --cjs: ${gen}`);
    const esmGen = gen.replace(/ --cjs\b/, ' --js');
    const proto = qs.block('greeter.proto', 'proto');
    const dir = project('js-esm');
    write(dir, proto.name, proto.body);
    copyFileSync(join(FIXTURES, 'esm-main.mjs.fixture'), join(dir, 'main.mjs'));
    // The js-setup block's installation (project b's), in a "type": "module" package: ESM .js files need one.
    await shareInstall('b. CommonJS', dir, ['package.json', 'package-lock.json', 'node_modules']);
    await sh(dir, 'npm pkg set type=module');
    await sh(dir, esmGen);
    expectFiles(dir, ['gen/greeter.js', 'gen/greeter.d.ts'], `\`${esmGen}\``);
    await prints(dir, 'node main.mjs', 'hello, esm\nhello #1, esm\nhello #2, esm', 'the greetings of main.mjs');
  },

  async 'd. well-known types'() {
    const dir = await strictTsProject('wkt');
    copyFileSync(join(FIXTURES, 'wkt.proto'), join(dir, 'wkt.proto'));
    mkdirSync(join(dir, 'src'), { recursive: true });
    copyFileSync(join(FIXTURES, 'wkt-main.ts.fixture'), join(dir, 'src', 'main.ts'));
    await sh(dir, 'npx reactor-rpc gen wkt.proto --out src/gen');
    const written = ['src/gen/wkt.ts', ...['timestamp', 'any', 'empty'].map((t) => `src/gen/google/protobuf/${t}.ts`)];
    expectFiles(dir, written, '`npx reactor-rpc gen wkt.proto --out src/gen`');
    await sh(dir, 'npx tsc');
    await prints(dir, 'node src/main.js', 'OK', 'OK');
  },

  async 'e. a proto tree with imports across folders'() {
    const dir = await strictTsProject('tree');
    cpSync(join(FIXTURES, 'tree'), join(dir, 'proto'), { recursive: true });
    mkdirSync(join(dir, 'src'), { recursive: true });
    copyFileSync(join(FIXTURES, 'tree-main.ts.fixture'), join(dir, 'src', 'main.ts'));
    const gen = 'npx reactor-rpc gen -I proto proto/api/v1/catalog.proto --out src/gen';
    await sh(dir, gen);
    expectFiles(dir, ['src/gen/api/v1/catalog.ts', 'src/gen/api/v1/item.ts', 'src/gen/common/money.ts', 'src/gen/common/page.ts'], `\`${gen}\``);
    await sh(dir, 'npx tsc');
    await prints(dir, 'node src/main.js', 'OK', 'OK');
  },
};

const running = new Map<string, Promise<void>>();

test.before(() => {
  for (const [name, pipeline] of Object.entries(pipelines)) {
    const p = tarball().then(pipeline);
    p.catch(() => undefined); // awaited by its test; no unhandled rejection meanwhile
    running.set(name, p);
    // A project whose installation others share: when it ends before its installs were done, they fail with a pointer to it.
    if (name in installed) {
      const owner = name as keyof typeof installed;
      void p.then(
        () => installed[owner].reject(new Failure(`project "${owner}" ended without reaching its gen line`)),
        () => installed[owner].reject(new Failure(`this project shares the installation of project "${owner}", whose setup failed (see "quickstart project ${owner}")`)),
      );
    }
  }
});

test.after(() => {
  if (process.env['QUICKSTART_KEEP'] === '1') console.log(`quickstart projects kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

test('the README section has every block the quickstart test runs', () => {
  const qs = quickstart();
  const want: [string, string][] = [
    ['greeter.proto', 'proto'],
    ['setup', 'sh'],
    ['src/main.ts', 'ts'],
    ['run', 'sh'],
    ['output', 'text'],
    ['js-setup', 'sh'],
    ['main.cjs', 'js'],
    ['js-output', 'text'],
  ];
  for (const [name, lang] of want) qs.block(name, lang);
  for (const name of ['setup', 'js-setup']) {
    const lines = shellLines(qs.block(name, 'sh'));
    assert.ok(lines.some((l) => /(^|\s)npm install reactor-rpc(\s|$)/.test(l)), `the ${name} block no longer runs \`npm install reactor-rpc\`: ${JSON.stringify(lines)}`);
    genLineOf(lines, name);
  }
});

test('npm pack of the repository gives a tarball', async () => {
  const file = await tarball();
  assert.ok(existsSync(file), file);
});

test('the projects run the Node that runs this test (first on their PATH)', async () => {
  const r = await must(runLine('node --version', { cwd: work, timeoutMs: 30_000 }));
  assert.is(r.stdout.trim(), process.version);
});

for (const name of Object.keys(pipelines)) {
  test(`quickstart project ${name}`, async () => {
    await running.get(name);
  });
}

test.run();
