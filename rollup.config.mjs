// Builds the published package (`npm run build`):
//   src/index.ts    -> dist/index.js (ESM), dist/index.cjs (CommonJS), dist/index.d.ts (bundled types)
//   src/cli/main.ts -> dist/cli.js (ESM; bin/reactor-rpc.mjs imports it)
// Code shared by the two ESM entries goes to dist/chunks/. Every dependency
// (and its subpaths) and every Node builtin stays external.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const dependencies = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const builtins = new Set(builtinModules);

/** external keeps dependencies, their subpaths and Node builtins out of the bundle. */
function external(id) {
  if (id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0])) return true;
  return dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));
}

/** SOURCES are the files the build compiles (tests, benches and examples are left out). */
const SOURCES = ['src/**/*.ts', 'reactors/**/*.ts', 'generated/**/*.d.ts'];

/** compile is the TypeScript step of the JavaScript builds (types come from the dts build). */
function compile() {
  return typescript({
    tsconfig: './tsconfig.json',
    include: SOURCES,
    compilerOptions: { noEmit: false, declaration: false, declarationMap: false, sourceMap: false, outDir: 'dist', removeComments: false },
    noForceEmit: false,
  });
}

const onwarn = (warning, warn) => {
  // Circular imports between sibling modules are legal ESM and intentional in a few places.
  if (warning.code === 'CIRCULAR_DEPENDENCY') return;
  warn(warning);
};

export default [
  {
    input: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    external,
    onwarn,
    plugins: [compile()],
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
    },
  },
  {
    input: 'src/index.ts',
    external,
    onwarn,
    plugins: [compile()],
    output: { file: 'dist/index.cjs', format: 'cjs', exports: 'named', interop: 'auto' },
  },
  {
    input: 'src/index.ts',
    external,
    onwarn,
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true } })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
