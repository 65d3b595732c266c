// Emits the module of one .proto file — enums, messages, services and
// clients — as TypeScript, or as JavaScript (ESM or CommonJS) with its
// declaration file.
import protobuf from 'protobufjs';
import { emitClient } from './emit-client.js';
import { emitMessage } from './emit-message.js';
import { emitService } from './emit-service.js';
import { docComment, serviceNames } from './names.js';
import { type EmitMode, type LongMode, ModuleScope } from './scope.js';

/** ModuleOptions control one generated module. */
export interface ModuleOptions {
  /** header is the first comment line. */
  readonly header: string;
  /** source names the .proto file (protoc-style name). */
  readonly source: string;
  /** outPath is the module's path below the output directory, ending in `.ts`. */
  readonly outPath: string;
  /** outPathOf maps a type's `filename` to the `.ts` output path of its module. */
  readonly outPathOf: (filename: string) => string | undefined;
  /** importPath is the library module (`reactor-rpc`, or a relative path resolved against the output directory). */
  readonly importPath: string;
  /** protobufImport is the protobuf runtime module (default `<importPath>/protobuf`). */
  readonly protobufImport?: string;
  /** mode chooses TypeScript, ESM or CommonJS output. */
  readonly mode: EmitMode;
  /** long chooses the type of 64-bit integers. */
  readonly long: LongMode;
}

/** ModuleFile is one written file of a module. */
export interface ModuleFile {
  /** path is relative to the output directory. */
  readonly path: string;
  /** content is the file text. */
  readonly content: string;
}

/** Declared lists what one .proto file declares, nested types flattened, in declaration order. */
export interface Declared {
  /** types are the messages and enums. */
  readonly types: (protobuf.Type | protobuf.Enum)[];
  /** services are the services. */
  readonly services: protobuf.Service[];
}

/** declaredIn collects what a file declares (by the reflection objects' filename). */
export function declaredIn(root: protobuf.Root, filename: string): Declared {
  const out: Declared = { types: [], services: [] };
  const walk = (ns: protobuf.NamespaceBase, inFile: boolean): void => {
    for (const obj of ns.nestedArray) {
      const mine = obj.filename === filename || (inFile && !obj.filename);
      if (obj instanceof protobuf.Type || obj instanceof protobuf.Enum) {
        if (mine) out.types.push(obj);
      } else if (obj instanceof protobuf.Service) {
        if (mine) out.services.push(obj);
      }
      if (obj instanceof protobuf.Namespace) walk(obj, mine);
    }
  };
  walk(root, false);
  return out;
}

/** emitEnum renders an enum as a frozen object and a union type of its values. */
function emitEnum(e: protobuf.Enum, name: string, ts: boolean): { code: string; types: string; decl: string } {
  const doc = docComment([e.comment ?? `${name} is the enum \`${e.fullName.slice(1)}\`.`]);
  const entries = Object.entries(e.values).map(([k, v]) => `${docComment([e.comments[k]], '  ')}  ${k}: ${v},\n`).join('');
  const code = ts ? `${doc}const ${name} = {\n${entries}} as const;\n` : `${doc}const ${name} = Object.freeze({\n${entries}});\n`;
  const declEntries = Object.entries(e.values).map(([k, v]) => `${docComment([e.comments[k]], '  ')}  readonly ${k}: ${v};\n`).join('');
  const types = `${docComment([`${name} is one value of the enum \`${e.fullName.slice(1)}\`.`])}export type ${name} = (typeof ${name})[keyof typeof ${name}];\n`;
  return { code, types, decl: `${doc}export declare const ${name}: {\n${declEntries}};\n` };
}

/** relativeImport resolves a relative library path (given against the output directory) for a module at outPath. */
function relativeImport(spec: string, outPath: string): string {
  if (!spec.startsWith('.')) return spec;
  const depth = outPath.split('/').length - 1;
  const up = depth === 0 ? '' : '../'.repeat(depth);
  return spec.startsWith('./') ? `${up || './'}${spec.slice(2)}` : `${up}${spec}`;
}

/** emitModule renders the module of one .proto file; returns no files when the file declares nothing. */
export function emitModule(root: protobuf.Root, filename: string, options: ModuleOptions): ModuleFile[] {
  const declared = declaredIn(root, filename);
  if (declared.types.length === 0 && declared.services.length === 0) return [];
  const ts = options.mode === 'ts';
  const ext = options.mode === 'cjs' ? '.cjs' : '.js';
  const scope = new ModuleScope(options.outPath, ext, ts, options.outPathOf);
  for (const t of declared.types) scope.declareType(t);
  for (const s of declared.services) {
    const n = serviceNames(s);
    for (const [what, name] of Object.entries(n)) scope.declare(name, `${what} of service ${s.fullName.slice(1)}`);
  }
  let types = '';
  let code = '';
  let decl = '';
  const exported: string[] = [];
  for (const t of declared.types) {
    if (t instanceof protobuf.Enum) {
      const name = scope.ref(t);
      const e = emitEnum(t, name, ts);
      types += `${e.types}\n`;
      code += `${e.code}\n`;
      decl += `${e.decl}\n`;
      exported.push(name);
    } else {
      const m = emitMessage(t, scope, options.long, ts);
      types += `${m.types}\n`;
      code += `${m.code}\n`;
      decl += `${m.decl}\n`;
      exported.push(m.name);
    }
  }
  for (const s of declared.services) {
    const svc = emitService(s, scope, ts);
    const client = emitClient(s, scope, ts);
    types += svc.types;
    code += `${svc.code}\n${client.code}\n`;
    decl += `${svc.decl}\n${client.decl}\n`;
    exported.push(...svc.exported, client.name);
  }

  const lib = relativeImport(options.importPath, options.outPath);
  const pb = options.protobufImport ? relativeImport(options.protobufImport, options.outPath) : `${lib}/protobuf`;
  const head = `${options.header}\n// source: ${options.source}\n/* eslint-disable */\n`;
  const base = options.outPath.replace(/\.ts$/, '');
  const body = ts ? types + code : code;
  const uses = (text: string, ns: string): boolean => text.includes(`${ns}.`);
  const esmImports = (text: string): string => {
    let out = '';
    if (uses(text, '$rpc')) out += `import * as $rpc from '${lib}';\n`;
    if (uses(text, '$pb')) out += `import * as $pb from '${pb}';\n`;
    for (const imp of scope.imports.values()) {
      const names = [...imp.names].map(([n, a]) => (n === a ? n : `${n} as ${a}`)).join(', ');
      out += `import { ${names} } from '${imp.from}';\n`;
    }
    return out;
  };
  const exportify = (text: string): string => {
    const set = new Set(exported);
    return text.replace(/^(const|class|namespace) ([\w$]+)\b/gm, (all, kw: string, name: string) => (set.has(name) ? `export ${kw} ${name}` : all));
  };
  if (ts) return [{ path: `${base}.ts`, content: normalize(`${head}${esmImports(body)}\n${exportify(body)}`) }];
  const dtsBody = types + decl;
  const dts = normalize(`${head}${esmImports(dtsBody)}\n${dtsBody}`);
  if (options.mode === 'esm') {
    return [
      { path: `${base}.js`, content: normalize(`${head}${esmImports(code)}\n${exportify(code)}`) },
      { path: `${base}.d.ts`, content: dts },
    ];
  }
  let cjs = `${head}'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\n`;
  if (uses(code, '$rpc')) cjs += `const $rpc = require('${lib}');\n`;
  if (uses(code, '$pb')) cjs += `const $pb = require('${pb}');\n`;
  for (const imp of scope.imports.values()) {
    const names = [...imp.names].map(([n, a]) => (n === a ? n : `${n}: ${a}`)).join(', ');
    cjs += `const { ${names} } = require('${imp.from}');\n`;
  }
  cjs += `\n${code}\n${exported.map((n) => `exports.${n} = ${n};\n`).join('')}`;
  return [
    { path: `${base}.cjs`, content: normalize(cjs) },
    { path: `${base}.d.cts`, content: dts },
  ];
}

/** normalize trims trailing whitespace and ends the text with exactly one newline. */
export function normalize(text: string): string {
  return text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').replace(/\s*$/, '\n');
}
