// Guards the layering of reactor-rpc: imports point down the stack only
//   shared (status, metadata) → transport → codec → session → call → scheduler
//   → reactors → services → client/server facades → bridges (rx), proxy
//   → cli → public entry
// plus a few explicit rules (pure codecs, protocol-neutral reactors). Every
// rule is data in the tables below; the checker itself is generic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Layer is one level of the stack; a file belongs to the first layer whose pattern matches its repo path. */
interface Layer {
  readonly name: string;
  readonly files: RegExp;
}

/**
 * SESSION_FILE tells the stateful files of a protocol folder (sessions, calls,
 * the connection writer, options, the folder index) from its pure codec files.
 */
const SESSION_FILE = /^src\/protocol\/[^/]+\/[^/]*(session|-call|options|frame-writer|index)[^/]*\.ts$/;

/** LAYERS lists the stack from the bottom up: a file may import its own layer and the layers below it. */
const LAYERS: readonly Layer[] = [
  { name: 'shared', files: /^src\/(status|metadata)\// },
  { name: 'transport', files: /^src\/transport\// },
  { name: 'session', files: SESSION_FILE },
  { name: 'codec', files: /^src\/protocol\// },
  { name: 'call', files: /^src\/call\// },
  { name: 'scheduler', files: /^src\/scheduler\// },
  { name: 'reactors', files: /^reactors\// },
  { name: 'services', files: /^src\/(services|codegen|protobuf)\// },
  { name: 'facades', files: /^src\/(client|server)\// },
  { name: 'bridges', files: /^src\/rx\// },
  { name: 'proxy', files: /^src\/proxy\// },
  { name: 'cli', files: /^src\/cli\// },
  { name: 'entry', files: /^src\/index\.ts$/ },
];

/** ORDER ranks the layers; the session layer sits above codec although it is matched first. */
const ORDER = ['shared', 'transport', 'codec', 'session', 'call', 'scheduler', 'reactors', 'services', 'facades', 'bridges', 'proxy', 'cli', 'entry'];

/** ALLOWED_UPWARD lists the deliberate exceptions to the rank rule, each with its reason. */
const ALLOWED_UPWARD: readonly { from: string; to: string; why: string }[] = [
  { from: 'session', to: 'call', why: 'sessions implement the protocol-neutral call interfaces' },
];

/** NODE_IO matches the Node modules that do I/O or keep time. */
const NODE_IO = /^(node:)?(net|fs|fs\/promises|timers|timers\/promises|dgram|tls|http|https|http2|child_process|worker_threads)$/;

/** PURE_NAMES matches the protocol files that must stay pure by name. */
const PURE_NAMES = /^src\/protocol\/.*(codec|frame|decoder|varint|envelope|packet|metadata|error-payload)[^/]*\.ts$/;

/**
 * FORBIDDEN lists explicit rules: a file matching `from` (a repo-path pattern
 * or a layer name) may not import a target (repo path or bare module) matching `to`.
 */
const FORBIDDEN: readonly { rule: string; from: RegExp | string; to: RegExp }[] = [
  { rule: 'pure protocol files do no I/O and keep no time', from: PURE_NAMES, to: NODE_IO },
  { rule: 'codec files do no I/O and keep no time', from: 'codec', to: NODE_IO },
  { rule: 'the protocol layer never reaches above the call layer', from: /^src\/protocol\//, to: /^(reactors\/|src\/(scheduler|server|client|services|cli|codegen)\/)/ },
  { rule: 'reactors never see a protocol or a transport', from: /^reactors\//, to: /^src\/(protocol|transport)\// },
  { rule: 'the transport knows nothing above it', from: /^src\/transport\//, to: /^(reactors\/|src\/(protocol|call|scheduler)\/)/ },
  { rule: 'the call layer is protocol-neutral', from: /^src\/call\//, to: /^src\/(protocol|transport)\// },
];

/** TIMER_GLOBALS are the timer functions codec files may not call (codecs are pure: no timers). */
const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** SCANNED are the folders whose .ts files are checked. */
const SCANNED = ['src', 'reactors'];

// ---------------------------------------------------------------------------

/** Source is one file: its repo path (posix) and text. */
interface Source {
  readonly path: string;
  readonly text: string;
}

/** Facts are what the checker reads from a file: its import specifiers and the timer globals it uses. */
interface Facts {
  readonly imports: string[];
  readonly timers: string[];
}

function facts(src: Source): Facts {
  const file = ts.createSourceFile(src.path, src.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const timers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      imports.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) imports.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      imports.push(node.argument.literal.text);
    }
    if (ts.isIdentifier(node) && TIMER_GLOBALS.has(node.text)) timers.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { imports, timers };
}

/** target resolves an import specifier to a repo path (relative imports, `.js` read as `.ts`) or keeps a bare module name. */
function target(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  return /^(src|reactors)\//.test(joined) ? joined.replace(/\.js$/, '.ts') : joined;
}

function layerOf(path: string): string | undefined {
  return LAYERS.find((l) => l.files.test(path))?.name;
}

/** violations checks a set of sources against every table above and returns one line per problem. */
function violations(sources: readonly Source[]): string[] {
  const out: string[] = [];
  for (const src of sources) {
    const from = layerOf(src.path);
    if (from === undefined) {
      out.push(`${src.path}: belongs to no layer (add its folder to LAYERS)`);
      continue;
    }
    const { imports, timers } = facts(src);
    for (const specifier of imports) {
      const to = target(src.path, specifier);
      for (const f of FORBIDDEN) {
        const applies = typeof f.from === 'string' ? f.from === from : f.from.test(src.path);
        if (applies && f.to.test(to)) {
          out.push(`${src.path} imports ${specifier}: ${f.rule}`);
        }
      }
      const toLayer = layerOf(to);
      if (toLayer === undefined || toLayer === from) continue;
      const upward = ORDER.indexOf(toLayer) > ORDER.indexOf(from);
      if (upward && !ALLOWED_UPWARD.some((a) => a.from === from && a.to === toLayer)) {
        out.push(`${src.path} (${from}) imports ${specifier} (${toLayer}): upward import`);
      }
    }
    if (from === 'codec') for (const t of new Set(timers)) out.push(`${src.path} uses ${t}: codec files keep no time`);
  }
  return out;
}

// ---------------------------------------------------------------------------

const root = fileURLToPath(new URL('..', import.meta.url));

function walk(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(posix.join(root, dir)).sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(posix.join(root, rel)).isDirectory()) return walk(rel);
    return name.endsWith('.ts') ? [rel] : [];
  });
}

function repoSources(): Source[] {
  return SCANNED.flatMap(walk).map((path) => ({ path, text: readFileSync(posix.join(root, path), 'utf8') }));
}

test('the layer tables are consistent', () => {
  assert.equal([...LAYERS.map((l) => l.name)].sort(), [...ORDER].sort());
  for (const a of ALLOWED_UPWARD) assert.ok(ORDER.includes(a.from) && ORDER.includes(a.to), a.why);
  assert.is(layerOf('src/protocol/ttrpc/frame.ts'), 'codec');
  assert.is(layerOf('src/protocol/ttrpc/server-session.ts'), 'session');
  assert.is(layerOf('src/protocol/drpc/varint.ts'), 'codec');
  assert.is(layerOf('src/protocol/ttrpc/wire-writer.ts'), 'codec');
  assert.is(layerOf('src/protocol/ttrpc/frame-writer.ts'), 'session');
  assert.is(layerOf('reactors/server-unary.ts'), 'reactors');
  assert.is(layerOf('src/proxy/create-proxy.ts'), 'proxy');
});

test('the checker catches each kind of violation', () => {
  const bad: Source[] = [
    { path: 'src/protocol/ttrpc/frame.ts', text: "import { Socket } from 'node:net';\nexport const x = Socket;" },
    { path: 'src/protocol/drpc/varint.ts', text: "export const y = () => setTimeout(() => {}, 1);" },
    { path: 'src/protocol/ttrpc/server-session.ts', text: "import type { Scheduler } from '../../scheduler/scheduler.js';" },
    { path: 'reactors/server-unary.ts', text: "export { decodeFrame } from '../src/protocol/ttrpc/frame.js';" },
    { path: 'src/transport/pipe.ts', text: "const m = await import('../call/call.js');\nexport { m };" },
    { path: 'src/scheduler/scheduler.ts', text: "import type { X } from '../client/connect.js';" },
    { path: 'src/nowhere/thing.ts', text: '' },
  ];
  const found = violations(bad);
  const expect = [
    /frame\.ts imports node:net: pure protocol files/,
    /frame\.ts imports node:net: codec files/,
    /varint\.ts uses setTimeout/,
    /server-session\.ts imports \.\.\/\.\.\/scheduler\/scheduler\.js: the protocol layer never reaches above/,
    /server-unary\.ts imports \.\.\/src\/protocol\/ttrpc\/frame\.js: reactors never see/,
    /pipe\.ts imports \.\.\/call\/call\.js: the transport knows nothing above it/,
    /scheduler\.ts \(scheduler\) imports \.\.\/client\/connect\.js \(facades\): upward import/,
    /src\/nowhere\/thing\.ts: belongs to no layer/,
  ];
  for (const re of expect) assert.ok(found.some((line) => re.test(line)), `expected ${re} in:\n${found.join('\n')}`);
  const good: Source[] = [
    { path: 'src/protocol/ttrpc/server-session.ts', text: "import type { ServerCall } from '../../call/call.js';\nimport { encodeFrame } from './frame.js';" },
    { path: 'src/cli/main.ts', text: "import { main } from '../server/call-server.js';\n// import x from '../../reactors/y.js'" },
    { path: 'src/protocol/ttrpc/frame.ts', text: "// setTimeout is never used here\nconst s = 'import x from \"node:net\"';" },
  ];
  assert.equal(violations(good), []);
});

test('the source tree has no layering violation', () => {
  const sources = repoSources();
  assert.ok(sources.length > 0, 'no sources found');
  const found = violations(sources);
  assert.equal(found, [], `layering violations:\n${found.join('\n')}`);
});

test.run();
