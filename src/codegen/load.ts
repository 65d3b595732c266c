// Loads .proto files with protobufjs, the one loader of `reactor-rpc gen`,
// `call` and `serve`. Imports resolve the way protoc resolves them: an import
// "a/b.proto" is looked up in each proto path in order (first hit wins), then
// among the built-in google/protobuf files; nothing is looked up next to the
// importing file. Weak imports are skipped unless asked for. Every failure is
// a CodegenError naming file and line.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import protobuf from 'protobufjs';

/** CodegenError is a problem in the input: its message reads `file:line: reason`. */
export class CodegenError extends Error {
  /** constructor formats the location into the message. */
  constructor(
    readonly reason: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file ? `${displayPath(file)}${line ? `:${line}` : ''}: ${reason}` : reason);
    this.name = 'CodegenError';
  }
}

/** ProtoFile is one loaded .proto file. */
export interface ProtoFile {
  /** path is the string protobufjs stores in `.filename` of the file's objects: the absolute path on disk, or the name of a built-in file. */
  readonly path: string;
  /** name is the protoc-style name, relative to the proto path holding it (posix separators), e.g. `a/b/c.proto`. */
  readonly name: string;
}

/** LoadedProtos is the parsed and resolved input. */
export interface LoadedProtos {
  /** root holds every type of the inputs and their imports, resolved. */
  readonly root: protobuf.Root;
  /** files are the input files in command-line order, without duplicates. */
  readonly files: readonly ProtoFile[];
  /** protoPaths are the absolute import search paths, in search order. */
  readonly protoPaths: readonly string[];
  /** allFiles are every loaded file (inputs, imports, built-ins), each after the files it imports. */
  readonly allFiles: readonly ProtoFile[];
}

/** LoadOptions tune loadProtos. */
export interface LoadOptions {
  /** weak loads `import weak` files too (a missing one is still skipped); default false: weak imports are ignored. */
  readonly weak?: boolean;
}

/** PARSE_OPTIONS keep `//` comments (alternate comment mode) and camelCase field names, as the message generator does. */
export const PARSE_OPTIONS = { keepCase: false, alternateCommentMode: true } as const;

/** BUILTIN_IMPORTS lists what the built-in files of protobufjs's JSON form import (JSON keeps no imports). */
const BUILTIN_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  'google/protobuf/api.proto': ['google/protobuf/source_context.proto', 'google/protobuf/type.proto'],
  'google/protobuf/type.proto': ['google/protobuf/any.proto', 'google/protobuf/source_context.proto'],
  'google/protobuf/compiler/plugin.proto': ['google/protobuf/descriptor.proto'],
};
/** EXTRA_BUILTINS are shipped by protobufjs as JSON files rather than in `protobuf.common`. */
const EXTRA_BUILTINS = ['descriptor', 'api', 'type', 'source_context', 'compiler/plugin'];

/** builtinJson returns the JSON form of a built-in google/protobuf file, or undefined when it is not built in. */
function builtinJson(name: string): protobuf.INamespace | undefined {
  const common = (protobuf.common as unknown as Record<string, protobuf.INamespace | undefined>)[name];
  if (common && name.startsWith('google/protobuf/')) return common;
  const short = /^google\/protobuf\/(.+)\.proto$/.exec(name)?.[1];
  if (!short || !EXTRA_BUILTINS.includes(short)) return undefined;
  return createRequire(import.meta.url)(`protobufjs/google/protobuf/${short}.json`) as protobuf.INamespace;
}

/** BUILTIN_PROTOS names the built-in well-known type files. */
export const BUILTIN_PROTOS: readonly string[] = [
  ...Object.keys(protobuf.common).filter((k) => k.startsWith('google/protobuf/')),
  ...EXTRA_BUILTINS.map((s) => `google/protobuf/${s}.proto`),
].sort();

/** displayPath shows a path relative to the working directory when it lies inside it (`.` for the directory itself). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  if (rel === '') return '.';
  return !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** inside tells whether path lies inside (or is) dir. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * defaultProtoPaths is the search path without -I: the directory of each
 * input, then the parents of those directories, nearest first, up to the
 * working directory (up to the filesystem root for inputs outside it).
 */
export function defaultProtoPaths(inputs: readonly string[]): string[] {
  const dirs = inputs.map((f) => dirname(resolve(f)));
  const out = new Set(dirs);
  const cwd = process.cwd();
  for (let d of dirs) {
    const stop = inside(cwd, d) ? cwd : undefined;
    while (d !== stop && dirname(d) !== d) {
      d = dirname(d);
      out.add(d);
    }
  }
  return [...out];
}

/** protoName names an input relative to the first proto path containing it, else by its base name. */
function protoName(path: string, protoPaths: readonly string[]): string {
  for (const p of protoPaths) if (inside(p, path) && p !== path) return relative(p, path).split(sep).join('/');
  return basename(path);
}

/** isFile tells whether a regular file exists at path. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** lineOf returns the 1-based line of the first (or last) line of a text matching a pattern. */
function lineOf(text: string, pattern: RegExp, last = false): number | undefined {
  const lines = text.split('\n');
  let found: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (pattern.test(lines[i]!)) {
      found = i + 1;
      if (!last) break;
    }
  }
  return found;
}

/** lineInFile is lineOf on a file's text (undefined when it cannot be read). */
function lineInFile(file: string, pattern: RegExp, last = false): number | undefined {
  try {
    return lineOf(readFileSync(file, 'utf8'), pattern, last);
  } catch {
    return undefined;
  }
}

/** escapeRe escapes text for use inside a RegExp. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** markFile sets `filename` on an object declared by a built-in file and on everything inside it. */
function markFile(obj: protobuf.ReflectionObject, file: string): void {
  obj.filename = file;
  if (obj instanceof protobuf.Type) for (const f of [...obj.fieldsArray, ...obj.oneofsArray]) f.filename = file;
  if (obj instanceof protobuf.Service) for (const m of obj.methodsArray) m.filename = file;
  if (obj instanceof protobuf.Namespace) for (const n of obj.nestedArray) markFile(n, file);
}

/** addBuiltin adds a built-in file's JSON to the root and marks its declarations with the file's name. */
function addBuiltin(root: protobuf.Root, name: string, json: protobuf.INamespace): void {
  if (json.options) root.setOptions(json.options);
  root.addJSON(json.nested ?? {});
  const walk = (nested: Record<string, protobuf.AnyNestedObject> | undefined, prefix: string): void => {
    for (const [key, value] of Object.entries(nested ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const declares = 'fields' in value || 'values' in value || 'methods' in value;
      if (declares) markFile(root.lookup(path)!, name);
      else walk((value as protobuf.INamespace).nested, path);
    }
  };
  walk(json.nested, '');
}

/** loadProtos parses the inputs and their imports; throws CodegenError on a missing file or import, a syntax error or an unknown type. */
export function loadProtos(inputs: readonly string[], protoPathsIn: readonly string[] = [], options: LoadOptions = {}): LoadedProtos {
  if (inputs.length === 0) throw new CodegenError('no .proto files given');
  const paths = [...new Set(inputs.map((f) => resolve(f)))];
  for (const p of paths) if (!isFile(p)) throw new CodegenError('file not found', p);
  const protoPaths = [...new Set(protoPathsIn.length > 0 ? protoPathsIn.map((p) => resolve(p)) : defaultProtoPaths(paths))];
  const files = paths.map((path) => ({ path, name: protoName(path, protoPaths) }));

  const root = new protobuf.Root();
  const allFiles: ProtoFile[] = [];
  const seen = new Set<string>();
  const locate = (target: string): ProtoFile | undefined => {
    for (const p of protoPaths) {
      const candidate = resolve(p, target);
      if (isFile(candidate)) return { path: candidate, name: target };
    }
    return builtinJson(target) ? { path: target, name: target } : undefined;
  };
  const parser = protobuf.parse as unknown as { filename: string | null };

  const load = (file: ProtoFile): void => {
    if (seen.has(file.path)) return;
    seen.add(file.path);
    root.files.push(file.path);
    const json = isAbsolute(file.path) ? undefined : builtinJson(file.path);
    let imports: string[];
    let weak: string[] = [];
    if (json) {
      imports = [...(BUILTIN_IMPORTS[file.path] ?? [])];
      for (const dep of imports) load(locate(dep) ?? { path: dep, name: dep });
      addBuiltin(root, file.path, json);
    } else {
      const text = readFileSync(file.path, 'utf8');
      parser.filename = file.path;
      try {
        const parsed = protobuf.parse(text, root, PARSE_OPTIONS);
        imports = parsed.imports ?? [];
        weak = options.weak ? (parsed.weakImports ?? []) : [];
      } catch (e) {
        throw loadError(e, file.path, text);
      } finally {
        parser.filename = null;
      }
      const found = imports.map((target) => {
        const hit = locate(target);
        if (hit) return hit;
        const where = protoPaths.map(displayPath).join(', ');
        const line = lineOf(text, new RegExp(`^\\s*import\\s+(?:public\\s+)?["']${escapeRe(target)}["']`));
        throw new CodegenError(`import "${target}" not found; searched: ${where}`, file.path, line);
      });
      for (const hit of [...found, ...weak.flatMap((t) => locate(t) ?? [])]) load(hit);
    }
    allFiles.push(file);
  };
  for (const f of files) load(f);

  try {
    root.resolveAll();
  } catch (e) {
    throw findUnresolved(root) ?? new CodegenError(e instanceof Error ? e.message : String(e));
  }
  return { root, files, protoPaths, allFiles };
}

/** loadError turns a protobufjs parse failure in `file` into a CodegenError. */
function loadError(e: unknown, file: string, text: string): CodegenError {
  const message = e instanceof Error ? e.message : String(e);
  // The parser says `reason (file, line N)`, the tokenizer `reason (line N)`.
  const m = /^(.*) \((?:(.+), )?line (\d+)\)$/.exec(message);
  if (m) return new CodegenError(m[1]!, m[2] ?? file, Number(m[3]));
  // Errors raised while adding parsed objects (duplicate names, ...) carry no location: the quoted name points at the line.
  const name = /'([\w.]+)'/.exec(message)?.[1]?.split('.').pop();
  return new CodegenError(message, file, name ? lineOf(text, new RegExp(`\\b${escapeRe(name)}\\b`), true) : undefined);
}

/** findUnresolved walks every field and method and reports the first whose type does not resolve. */
function findUnresolved(ns: protobuf.NamespaceBase): CodegenError | undefined {
  for (const obj of ns.nestedArray) {
    const members: Array<protobuf.Field | protobuf.Method> = obj instanceof protobuf.Type ? obj.fieldsArray : obj instanceof protobuf.Service ? obj.methodsArray : [];
    for (const member of members) {
      try {
        member.resolve();
      } catch (e) {
        const file = member.filename ?? obj.filename ?? undefined;
        const isField = member instanceof protobuf.Field;
        const reason = `${isField ? 'field' : 'method'} ${obj.fullName.slice(1)}.${member.name}: ${(e as Error).message}`;
        const re = isField ? new RegExp(`\\b${escapeRe(member.name)}\\s*=\\s*\\d`) : new RegExp(`\\brpc\\s+${escapeRe(member.name)}\\b`);
        return new CodegenError(reason, file, file && isAbsolute(file) ? lineInFile(file, re) : undefined);
      }
    }
    if (obj instanceof protobuf.Namespace) {
      const inner = findUnresolved(obj);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** fileOf returns the loaded file declaring a reflection object (looking at its parents when it has no filename of its own). */
export function fileOf(loaded: LoadedProtos, obj: protobuf.ReflectionObject): ProtoFile | undefined {
  for (let o: protobuf.ReflectionObject | null = obj; o; o = o.parent) {
    if (o.filename) return loaded.allFiles.find((f) => f.path === o!.filename);
  }
  return undefined;
}

/** servicesOf lists the services declared in one input file, in declaration order. */
export function servicesOf(root: protobuf.Root, file: ProtoFile): protobuf.Service[] {
  const out: protobuf.Service[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service && obj.filename === file.path) out.push(obj);
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) walk(obj);
    }
  };
  walk(root);
  return out;
}
