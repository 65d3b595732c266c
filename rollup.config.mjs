// Builds the published package (`npm run build`). One implementation, loaded
// once whichever way it is imported:
//   src/index.ts, src/rx/index.ts, src/cli/main.ts
//     -> dist/index.cjs, dist/rx.cjs, dist/cli.cjs (CommonJS, the implementation;
//        shared code in dist/chunks/*.cjs, so rx and the CLI use the core's classes)
//     -> dist/index.js, dist/rx.js, dist/cli.js (ESM wrappers that re-export the
//        CommonJS entry by name; bin/reactor-rpc.mjs imports dist/cli.js)
//     -> source maps next to every .cjs file
//   src/index.ts, src/rx/index.ts
//     -> dist/index.d.ts, dist/rx.d.ts (bundled types for `import`)
//     -> dist/index.d.cts, dist/rx.d.cts (the same types for `require`)
//     -> declaration maps next to every declaration file
// Every dependency (and its subpaths) and every Node builtin stays external.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/** ENTRIES are the modules users load: the core, the rxjs bridges, the protobuf runtime of generated code and the CLI. */
const ENTRIES = { index: here('./src/index.ts'), rx: here('./src/rx/index.ts'), protobuf: here('./src/protobuf/index.ts'), cli: here('./src/cli/main.ts') };

/** TYPED_ENTRIES are the entries that ship declarations (the CLI is a program, not an API). */
const TYPED_ENTRIES = { index: ENTRIES.index, rx: ENTRIES.rx, protobuf: ENTRIES.protobuf };

/** compile is the TypeScript step of the JavaScript build (types come from the dts builds). */
function compile(outDir) {
  return typescript({
    tsconfig: TSCONFIG,
    include: SOURCES,
    filterRoot: here('.'),
    compilerOptions: { noEmit: false, declaration: false, declarationMap: false, sourceMap: true, inlineSources: true, sourceRoot: here('.'), outDir },
  });
}

/**
 * esmWrapper returns the text of the ESM entry for one CommonJS entry: every
 * export re-exported by name from the .cjs file, so `import` and `require`
 * reach the same module instance.
 */
export function esmWrapper(cjsFile, exportNames) {
  const names = [...exportNames].sort();
  const from = JSON.stringify(`./${cjsFile}`);
  if (names.includes('default')) throw new Error(`${cjsFile}: a default export cannot be re-exported by name from CommonJS`);
  const list = names.length ? `export {\n${names.map((n) => `  ${n},`).join('\n')}\n} from ${from};\n` : `import ${from};\n`;
  return `// ESM entry of reactor-rpc: the implementation is ${cjsFile}; this file re-exports it\n// so that import and require share one instance.\n${list}`;
}

/** esmWrappers writes `[name].js` next to every CommonJS entry chunk, listing the chunk's exports. */
function esmWrappers() {
  return {
    name: 'esm-wrappers',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const fileName = chunk.fileName.replace(/\.cjs$/, '.js');
        this.emitFile({ type: 'asset', fileName, source: esmWrapper(chunk.fileName, chunk.exports) });
      }
    },
  };
}

/**
 * declarationMapSources corrects the declaration maps of the entry files:
 * rollup-plugin-dts writes their sources one `../` too deep (the chunk maps
 * are right). A source that does not exist is replaced by the same path one
 * level up when that one exists.
 */
function declarationMapSources() {
  return {
    name: 'declaration-map-sources',
    generateBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.map) continue;
        const dir = join(options.dir, dirname(chunk.fileName));
        chunk.map.sources = chunk.map.sources.map((source) => {
          if (!source || existsSync(resolve(dir, source)) || !source.startsWith('../')) return source;
          const shorter = source.slice(3);
          return existsSync(resolve(dir, shorter)) ? shorter : source;
        });
        const mapFile = bundle[`${chunk.fileName}.map`];
        if (mapFile?.type === 'asset') mapFile.source = JSON.stringify(chunk.map);
      }
    },
  };
}

/** declarations bundles the types of the typed entries, with `ext` ('ts' or 'cts') as the file kind. */
function declarations(outDir, ext) {
  return {
    input: TYPED_ENTRIES,
    external,
    plugins: [dts({ tsconfig: TSCONFIG, sourcemap: true, compilerOptions: { noEmit: false, declaration: true, declarationMap: true, emitDeclarationOnly: true } })],
    output: { dir: outDir, format: 'es', sourcemap: true, plugins: [declarationMapSources()], entryFileNames: `[name].d.${ext}`, chunkFileNames: `chunks/[name]-[hash].d.${ext}` },
  };
}

/** buildConfigs returns the builds, writing into `outDir` (tests build into a scratch directory). */
/**
 * CHUNK_NAMES names a shared chunk after what it holds (the first module in
 * this list that it contains), not after whichever module rollup meets first,
 * so a stack trace through the core reads `chunks/core-….cjs`.
 */
const CHUNK_NAMES = [
  ['src/client/client.ts', 'core'],
  ['src/status/rpc-error.ts', 'status'],
  ['src/codegen/generate.ts', 'codegen'],
  ['src/codegen/load.ts', 'proto-loader'],
  ['src/cli/proto-json.ts', 'proto-json'],
];

/** chunkName returns the descriptive name of a shared chunk. */
function chunkName(chunk) {
  const ids = chunk.moduleIds.map((id) => id.split('\\').join('/'));
  for (const [file, name] of CHUNK_NAMES) if (ids.some((id) => id.endsWith(file))) return name;
  return chunk.name;
}

export function buildConfigs(outDir = here('./dist')) {
  return [
    {
      input: ENTRIES,
      external,
      plugins: [compile(outDir)],
      output: {
        dir: outDir,
        format: 'cjs',
        exports: 'named',
        interop: 'auto',
        sourcemap: true,
        entryFileNames: '[name].cjs',
        chunkFileNames: (chunk) => `chunks/${chunkName(chunk)}-[hash].cjs`,
        plugins: [esmWrappers()],
      },
    },
    declarations(outDir, 'ts'),
    declarations(outDir, 'cts'),
  ];
}

export default buildConfigs();
