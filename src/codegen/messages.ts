// Generates the message module of a code generation run with
// protobufjs-cli: pbjs static-module (ES module importing
// `protobufjs/minimal.js`, loadable from Node ESM) and pbts declarations.
// protobufjs-cli is loaded lazily so that the rest of the CLI works without it.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CodegenError } from './load.js';

/** DEPENDENCY is the module generated JavaScript imports protobufjs from. */
export const DEPENDENCY = 'protobufjs/minimal.js';

type CliCallback = (err: Error | null, output?: string) => void;

/** ProtobufjsCli is the part of protobufjs-cli the generator calls. */
interface ProtobufjsCli {
  pbjs: { main(args: string[], callback: CliCallback): unknown };
  pbts: { process(source: string, args: string[], callback: CliCallback): unknown };
}

/** loadCli resolves protobufjs-cli next to this package, then from the working directory. */
function loadCli(): ProtobufjsCli {
  const bases = [import.meta.url, join(process.cwd(), 'package.json')];
  for (const base of bases) {
    try {
      return createRequire(base)('protobufjs-cli') as ProtobufjsCli;
    } catch {
      // try the next base
    }
  }
  throw new CodegenError('protobufjs-cli is not installed; run `npm install --save-dev protobufjs-cli`');
}

/** MessageModuleOptions describe one messages module. */
export interface MessageModuleOptions {
  /** files are the absolute .proto paths to compile. */
  readonly files: readonly string[];
  /** protoPaths are the absolute import search paths. */
  readonly protoPaths: readonly string[];
  /** root is the protobufjs root name the module registers into (distinct per module). */
  readonly root: string;
  /** banner is prepended to both files (ends with a newline). */
  readonly banner: string;
}

/** MessageModule is the generated JavaScript and its declarations. */
export interface MessageModule {
  /** js is the ES module. */
  readonly js: string;
  /** dts is the TypeScript declaration file. */
  readonly dts: string;
}

/** normalize trims trailing whitespace and ends the text with exactly one newline. */
export function normalize(text: string): string {
  return text.replace(/[ \t]+$/gm, '').replace(/\s*$/, '\n');
}

/** fixJs makes the protobufjs import work from Node ESM. */
function fixJs(js: string): string {
  const fixed = js.replace(/from\s+["']protobufjs\/minimal(\.js)?["'];/, `from "${DEPENDENCY}";`);
  if (!fixed.includes(`from "${DEPENDENCY}";`)) throw new CodegenError('unexpected protobufjs import in pbjs output');
  return normalize(fixed);
}

/** fixDts replaces the CommonJS `long` import with protobufjs's Long and declares the default export. */
function fixDts(dts: string): string {
  let out = dts.replace(/^import Long = require\(["']long["']\);\n/m, 'type Long = $protobuf.Long;\n');
  if (/require\(/.test(out)) throw new CodegenError('unexpected require() in pbts output');
  const namespaces = [...out.matchAll(/^export (?:namespace|class|enum) (\w+)\b/gm)].map((m) => m[1]!);
  const fields = namespaces.map((n) => `    ${n}: typeof ${n};`).join('\n');
  out = `${normalize(out)}\n/** The protobufjs root this module registers its namespaces in. */\ndeclare const $root: {\n${fields}\n};\nexport default $root;\n\n// Only the names above are exported.\nexport {};\n`;
  return out;
}

/** call adapts a protobufjs-cli callback API to a promise. */
function call(run: (cb: CliCallback) => unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    run((err, output) => (err ? reject(err) : resolve(output ?? '')));
  });
}

/** generateMessages runs pbjs and pbts; rejects with CodegenError when protobufjs-cli fails. */
export async function generateMessages(options: MessageModuleOptions): Promise<MessageModule> {
  const cli = loadCli();
  const args = [
    '--target', 'static-module',
    '--wrap', 'es6',
    '--dependency', DEPENDENCY,
    '--root', options.root,
    '--no-service',
    '--alt-comment',
    ...options.protoPaths.flatMap((p) => ['--path', p]),
    ...options.files,
  ];
  let js: string;
  let dts: string;
  try {
    js = fixJs(await call((cb) => cli.pbjs.main(args, cb)));
    dts = fixDts(await call((cb) => cli.pbts.process(js, [], cb)));
  } catch (e) {
    if (e instanceof CodegenError) throw e;
    throw new CodegenError(`protobufjs-cli failed: ${(e as Error).message}`);
  }
  return { js: options.banner + js, dts: options.banner + dts };
}
