// Builds the published package (`npm run build`):
//   src/index.ts    -> dist/index.js (ESM), dist/index.cjs (CommonJS), dist/index.d.ts (bundled types)
//   src/cli/main.ts -> dist/cli.js (ESM; bin/reactor-rpc.mjs imports it)
// Code shared by the two ESM entries goes to dist/chunks/. Every dependency
// (and its subpaths) and every Node builtin stays external.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

/** here resolves a path relative to the package root, so the build works from any working directory. */
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const pkg = JSON.parse(readFileSync(here('./package.json'), 'utf8'));
const dependencies = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const builtins = new Set(builtinModules);

/** external keeps dependencies, their subpaths and Node builtins out of the bundle. */
export function external(id) {
  if (id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0])) return true;
  return dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));
}

const TSCONFIG = here('./tsconfig.json');

/** SOURCES are the files the build compiles (tests, benches and examples are left out). */
const SOURCES = ['src/**/*.ts', 'reactors/**/*.ts', 'generated/**/*.d.ts'];

/** compile is the TypeScript step of the JavaScript builds (types come from the dts build). */
function compile(outDir) {
  return typescript({
    tsconfig: TSCONFIG,
    include: SOURCES,
    filterRoot: here('.'),
    compilerOptions: { noEmit: false, declaration: false, declarationMap: false, sourceMap: false, outDir },
  });
}

/** buildConfigs returns the three builds, writing into `outDir` (tests build into a scratch directory). */
export function buildConfigs(outDir = here('./dist')) {
  return [
    {
      input: { index: here('./src/index.ts'), rx: here('./src/rx/index.ts'), cli: here('./src/cli/main.ts') },
      external,
      plugins: [compile(outDir)],
      output: {
        dir: outDir,
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
      },
    },
    {
      input: { index: here('./src/index.ts'), rx: here('./src/rx/index.ts') },
      external,
      plugins: [compile(outDir)],
      output: { dir: outDir, format: 'cjs', exports: 'named', interop: 'auto', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
    },
    {
      input: { index: here('./src/index.ts'), rx: here('./src/rx/index.ts') },
      external,
      plugins: [dts({ tsconfig: TSCONFIG, compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true } })],
      output: { dir: outDir, format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
    },
  ];
}

export default buildConfigs();
