// Builds the package with the real rollup configuration (into a scratch
// directory, so dist/ is left alone) and loads the results the way users do:
// ESM through import(), CommonJS through require(), types from index.d.ts
// (import) and index.d.cts (require). The CommonJS files are the
// implementation; the ESM entries re-export them (see package-instance.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rollup, type OutputOptions, type RollupLog, type RollupOptions } from 'rollup';

const root = fileURLToPath(new URL('..', import.meta.url));

/** BuildModule is the part of rollup.config.mjs this test uses. */
interface BuildModule {
  buildConfigs(outDir: string): RollupOptions[];
  external(id: string): boolean;
}

// The scratch directory sits inside the repository so the bundles resolve
// protobufjs and rxjs from its node_modules, as an installed package would.
mkdirSync(join(root, '.tmp'), { recursive: true });
const out = mkdtempSync(join(root, '.tmp', 'build-test-'));
const warnings: RollupLog[] = [];
/** bundled maps each written file to the ids of the modules rollup put into it. */
const bundled = new Map<string, string[]>();

async function build(): Promise<void> {
  const config = (await import(pathToFileURL(join(root, 'rollup.config.mjs')).href)) as BuildModule;
  for (const options of config.buildConfigs(out)) {
    const bundle = await rollup({ ...options, onLog: (level, log) => void (level === 'warn' && warnings.push(log)) });
    try {
      const outputs = Array.isArray(options.output) ? options.output : [options.output as OutputOptions];
      for (const output of outputs) {
        const written = await bundle.write(output);
        for (const item of written.output) if (item.type === 'chunk') bundled.set(item.fileName, Object.keys(item.modules));
      }
    } finally {
      await bundle.close();
    }
  }
}

test.before(async () => {
  await build();
});

test.after(() => {
  rmSync(out, { recursive: true, force: true });
});

test('the build writes the entries, their types and their maps', () => {
  const files = ['index', 'rx'].flatMap((e) => [`${e}.js`, `${e}.cjs`, `${e}.cjs.map`, `${e}.d.ts`, `${e}.d.ts.map`, `${e}.d.cts`, `${e}.d.cts.map`]);
  for (const file of [...files, 'cli.js', 'cli.cjs', 'cli.cjs.map']) assert.ok(existsSync(join(out, file)), file);
});

test('the ESM entries are wrappers that re-export the CommonJS entries by name', () => {
  for (const entry of ['index', 'rx', 'cli']) {
    const code = readFileSync(join(out, `${entry}.js`), 'utf8');
    assert.match(code, new RegExp(`^export \\{[^}]+\\} from "\\./${entry}\\.cjs";$`, 'm'), `${entry}.js`);
    assert.not.match(code, /\bclass\b|\bfunction\b/, `${entry}.js holds code`);
  }
});

test('dist/index.js loads through import() and exports RpcError and Code', async () => {
  const m = (await import(pathToFileURL(join(out, 'index.js')).href)) as Record<string, unknown>;
  assert.type(m['RpcError'], 'function');
  assert.type(m['Code'], 'object');
  const RpcError = m['RpcError'] as new (code: number, message: string) => Error & { code: number };
  const err = new RpcError(5, 'thing not found');
  assert.is(err.code, 5);
  assert.is(err.message, 'NOT_FOUND: thing not found');
  assert.is((m['Code'] as Record<string, number>)['DEADLINE_EXCEEDED'], 4);
});

test('dist/index.cjs loads through require() and exports RpcError and Code', () => {
  const require = createRequire(join(out, 'package.json'));
  const m = require('./index.cjs') as Record<string, unknown>;
  assert.type(m['RpcError'], 'function');
  assert.type(m['Code'], 'object');
  assert.is((m['Code'] as Record<string, number>)['UNAVAILABLE'], 14);
  const RpcError = m['RpcError'] as new (code: number, message: string) => Error;
  assert.instance(new RpcError(3, 'x'), Error);
});

test('index/rx .d.ts and .d.cts are bundled declarations (shared types in dist/chunks or the main entry only)', () => {
  for (const [ext, js] of [['d.ts', 'js'], ['d.cts', 'cjs']] as const) {
    for (const entry of [`index.${ext}`, `rx.${ext}`]) {
      const dts = readFileSync(join(out, entry), 'utf8');
      const relative = [...dts.matchAll(/from ['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
      for (const r of relative) {
        assert.ok(r.endsWith(`.${js}`), `${entry} imports ${r}: a .${ext} file references .${js} files only`);
        assert.ok(r.startsWith('./chunks/') || r === `./index.${js}`, `${entry} imports ${r}: only ./chunks/ and the main entry may be referenced`);
        assert.ok(existsSync(join(out, r.replace(/\.c?js$/, `.${ext}`))), `${entry} imports ${r}, which the build did not write`);
      }
    }
    const all = readFileSync(join(out, `index.${ext}`), 'utf8');
    assert.match(all, /\bRpcError\b/);
    assert.match(all, /\bCode\b/);
  }
});

test('dist/cli.js exports main', async () => {
  const m = (await import(pathToFileURL(join(out, 'cli.js')).href)) as Record<string, unknown>;
  assert.type(m['main'], 'function');
});

test('dependencies and Node builtins stay external', async () => {
  const config = (await import(pathToFileURL(join(root, 'rollup.config.mjs')).href)) as BuildModule;
  for (const id of ['protobufjs', 'protobufjs/minimal.js', 'rxjs', 'rxjs/operators', 'node:net', 'net', 'fs/promises']) assert.ok(config.external(id), id);
  for (const id of ['./index.js', '/abs/src/x.ts', 'protobufjsx']) assert.not.ok(config.external(id), id);
  assert.ok(bundled.size >= 3, 'no chunk recorded');
  for (const [file, ids] of bundled) {
    assert.ok(ids.length > 0, `${file} is empty`);
    const inlined = ids.filter((id) => id.includes('node_modules'));
    assert.equal(inlined, [], `${file} inlines dependency code`);
  }
});

test('the build raised no rollup warning other than type-check diagnostics', () => {
  const other = warnings.filter((w) => w.plugin !== 'typescript');
  assert.equal(other.map((w) => `${w.code ?? 'WARN'}: ${w.message}`), []);
});

test.run();
