// The names of one generated module: every message and enum declared in its
// .proto gets a local name (nested types joined with `_`, as ts-proto does),
// and every type used from another .proto an import, aliased on a clash.
import { posix } from 'node:path';
import protobuf from 'protobufjs';

/** Emit is how a module is written: TypeScript, or JavaScript (ESM or CommonJS) with a declaration file. */
export type EmitMode = 'ts' | 'esm' | 'cjs';

/** LongMode is how 64-bit integers are typed: bigint (default), decimal strings or numbers. */
export type LongMode = 'bigint' | 'string' | 'number';

/** GLOBALS are the names generated code uses from the global scope, which a proto type must not shadow. */
const GLOBALS = new Set(['Object', 'BigInt', 'String', 'Number', 'Uint8Array', 'Promise', 'Symbol', 'Array', 'Error', 'Map', 'Set', 'Date', 'JSON', 'Math', 'undefined', 'NaN', 'Infinity', 'exports', 'module', 'require']);

/** RESERVED are JavaScript/TypeScript reserved words that cannot name a binding. */
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await any boolean number string symbol bigint never unknown object type'.split(' '),
);

/** safeName makes a proto-derived name usable as a module-level binding. */
export function safeName(name: string): string {
  return GLOBALS.has(name) || RESERVED.has(name) ? `${name}$` : name;
}

/** localTypeName is a type's name inside its file: nested names joined by `_` (`Outer_Inner`). */
export function localTypeName(type: protobuf.ReflectionObject): string {
  const parts: string[] = [type.name];
  let p = type.parent;
  while (p && (p instanceof protobuf.Type)) {
    parts.unshift(p.name);
    p = p.parent;
  }
  return safeName(parts.join('_'));
}

/** packagePrefix spells a type's package as an identifier prefix, `google_protobuf`. */
function packagePrefix(type: protobuf.ReflectionObject): string {
  let p = type.parent;
  while (p && p instanceof protobuf.Type) p = p.parent;
  return (p?.fullName ?? '').replace(/^\./, '').replace(/\./g, '_');
}

/** ModuleImport is one generated module another imports names from. */
export interface ModuleImport {
  /** from is the relative specifier, e.g. `./google/protobuf/timestamp.js`. */
  readonly from: string;
  /** names maps the exported name to the local alias. */
  readonly names: Map<string, string>;
}

/** ModuleScope hands out the local names of one module. */
export class ModuleScope {
  private readonly taken = new Set<string>(['$rpc', '$pb']);
  private readonly locals = new Map<protobuf.ReflectionObject, string>();
  private readonly imported = new Map<protobuf.ReflectionObject, string>();
  /** imports lists the modules this one imports from, by specifier. */
  readonly imports = new Map<string, ModuleImport>();

  /**
   * constructor declares the module's own types.
   * @param ts is true when writing TypeScript (annotations and assertions are emitted).
   * @param outPathOf maps a file name (its `filename`) to the output path of its module, e.g. `google/protobuf/timestamp.ts`.
   */
  constructor(
    readonly outPath: string,
    readonly importExtension: string,
    readonly ts: boolean,
    private readonly outPathOf: (filename: string) => string | undefined,
  ) {}

  /** declare reserves a module-level name; throws when it is taken. */
  declare(name: string, what: string): void {
    if (this.taken.has(name)) throw new Error(`generated name '${name}' (${what}) is declared twice`);
    this.taken.add(name);
  }

  /** declareType gives one of the module's own types its local name. */
  declareType(type: protobuf.Type | protobuf.Enum): string {
    const name = localTypeName(type);
    this.declare(name, `${type.fullName.slice(1)}`);
    this.locals.set(type, name);
    return name;
  }

  /** ref is the local name of a type, importing it when another module declares it. */
  ref(type: protobuf.Type | protobuf.Enum): string {
    const local = this.locals.get(type) ?? this.imported.get(type);
    if (local) return local;
    const target = type.filename ? this.outPathOf(type.filename) : undefined;
    if (!target) throw new Error(`type ${type.fullName.slice(1)} is declared in no generated file`);
    let rel = posix.relative(posix.dirname(this.outPath), target).replace(/\.ts$/, this.importExtension);
    if (!rel.startsWith('.')) rel = `./${rel}`;
    const exported = localTypeName(type);
    let alias = exported;
    if (this.taken.has(alias)) alias = safeName(`${packagePrefix(type)}_${exported}`);
    for (let i = 2; this.taken.has(alias); i++) alias = `${safeName(`${packagePrefix(type)}_${exported}`)}${i}`;
    this.taken.add(alias);
    this.imported.set(type, alias);
    let entry = this.imports.get(rel);
    if (!entry) this.imports.set(rel, (entry = { from: rel, names: new Map() }));
    entry.names.set(exported, alias);
    return alias;
  }
}
