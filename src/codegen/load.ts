// Loads .proto files with protobufjs for the code generator: resolves imports
// the way protobufjs-cli's pbjs does (next to the importing file, then each
// proto path, with the google/protobuf well-known types built in) and turns
// every failure into a CodegenError naming file and line.
import { existsSync, readFileSync } from 'node:fs';
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

/** ProtoFile is one input file. */
export interface ProtoFile {
  /** path is the absolute path on disk. */
  readonly path: string;
  /** name is the path relative to the proto path holding it (posix separators), e.g. `a/b/c.proto`. */
  readonly name: string;
}

/** LoadedProtos is the parsed and resolved input. */
export interface LoadedProtos {
  /** root holds every type of the inputs and their imports, resolved. */
  readonly root: protobuf.Root;
  /** files are the input files in command-line order, without duplicates. */
  readonly files: readonly ProtoFile[];
  /** protoPaths are the absolute import search paths. */
  readonly protoPaths: readonly string[];
}

/** PARSE_OPTIONS keep `//` comments (alternate comment mode) and camelCase field names, as the message generator does. */
export const PARSE_OPTIONS = { keepCase: false, alternateCommentMode: true } as const;

/** displayPath shows a path relative to the working directory when it lies inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** protoName names an input relative to the first proto path containing it, else by its base name. */
function protoName(path: string, protoPaths: readonly string[]): string {
  for (const p of protoPaths) {
    const rel = relative(p, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return basename(path);
}

/** lineOf returns the 1-based line of the first (or last) line of a file matching a pattern. */
function lineOf(file: string, pattern: RegExp, last = false): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
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

/** escapeRe escapes text for use inside a RegExp. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** loadProtos parses the inputs and their imports; throws CodegenError on a missing file, a syntax error or an unknown type. */
export function loadProtos(inputs: readonly string[], protoPathsIn: readonly string[] = []): LoadedProtos {
  if (inputs.length === 0) throw new CodegenError('no .proto files given');
  const paths = [...new Set(inputs.map((f) => resolve(f)))];
  for (const p of paths) if (!existsSync(p)) throw new CodegenError('file not found', p);
  const protoPaths = protoPathsIn.length > 0 ? protoPathsIn.map((p) => resolve(p)) : [...new Set(paths.map((p) => dirname(p)))];
  const files = paths.map((path) => ({ path, name: protoName(path, protoPaths) }));

  const root = new protobuf.Root();
  const missing: Array<{ origin: string; target: string }> = [];
  root.resolvePath = (origin: string, target: string): string => {
    if (!origin) return target;
    const local = resolve(dirname(origin), target);
    if (existsSync(local)) return local;
    for (const p of protoPaths) {
      const candidate = resolve(p, target);
      if (existsSync(candidate)) return candidate;
    }
    missing.push({ origin, target });
    return local;
  };

  const parser = protobuf.parse as unknown as { filename: string | null };
  parser.filename = null;
  try {
    // loadSync also resolves every type once all files are parsed.
    root.loadSync(paths, PARSE_OPTIONS);
  } catch (e) {
    const parsing = /\(.*line \d+\)$/.test((e as Error).message ?? '') || (e as { code?: string }).code === 'ENOENT';
    throw (parsing ? undefined : findUnresolved(root)) ?? loadError(e, missing, parser.filename);
  }
  return { root, files, protoPaths };
}

/** loadError turns a protobufjs load failure into a CodegenError. */
function loadError(e: unknown, missing: ReadonlyArray<{ origin: string; target: string }>, file: string | null): CodegenError {
  const message = e instanceof Error ? e.message : String(e);
  // The parser says `reason (file, line N)`, the tokenizer `reason (line N)` while the parser's filename is still set.
  const m = /^(.*) \((?:(.+), )?line (\d+)\)$/.exec(message);
  if (m && (m[2] ?? file)) return new CodegenError(m[1]!, m[2] ?? file ?? undefined, Number(m[3]));
  const miss = missing[0];
  if (miss && (e as { code?: string }).code === 'ENOENT') {
    return new CodegenError(`import "${miss.target}" not found (searched next to the file and in every proto path)`, miss.origin, lineOf(miss.origin, new RegExp(`import\\b.*["']${escapeRe(miss.target)}["']`)));
  }
  // Errors raised while adding parsed objects (duplicate names, ...) carry no location; the
  // parser still names the file it was reading, and the quoted name points at the line.
  if (file) {
    const name = /'([\w.]+)'/.exec(message)?.[1]?.split('.').pop();
    return new CodegenError(message, file, name ? lineOf(file, new RegExp(`\\b${escapeRe(name)}\\b`), true) : undefined);
  }
  return new CodegenError(message);
}

/** findUnresolved walks every field and method and reports the first whose type does not resolve. */
function findUnresolved(ns: protobuf.NamespaceBase): CodegenError | undefined {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) {
      for (const field of obj.fieldsArray) {
        try {
          field.resolve();
        } catch (e) {
          const file = field.filename ?? obj.filename ?? undefined;
          const reason = `field ${obj.fullName.slice(1)}.${field.name}: ${(e as Error).message}`;
          return new CodegenError(reason, file, file ? lineOf(file, new RegExp(`\\b${escapeRe(field.name)}\\s*=\\s*\\d`)) : undefined);
        }
      }
    }
    if (obj instanceof protobuf.Service) {
      for (const method of obj.methodsArray) {
        try {
          method.resolve();
        } catch (e) {
          const file = method.filename ?? obj.filename ?? undefined;
          const reason = `method ${obj.fullName.slice(1)}.${method.name}: ${(e as Error).message}`;
          return new CodegenError(reason, file, file ? lineOf(file, new RegExp(`\\brpc\\s+${escapeRe(method.name)}\\b`)) : undefined);
        }
      }
    }
    if (obj instanceof protobuf.Namespace) {
      const inner = findUnresolved(obj);
      if (inner) return inner;
    }
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
