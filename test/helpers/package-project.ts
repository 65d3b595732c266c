// Helpers for tests that use the package the way a newcomer does: the packed
// tarball installed into fresh projects outside the repository, driven by the
// code blocks of README.md.
//   - ensureBuilt / packRepository: dist/ (built once if missing) packed by `npm pack`;
//   - readmeBlocks: the fenced blocks of one README section, by name (the second
//     word of the info string: ```ts src/main.ts);
//   - shellLines: the commands of an ```sh block (comments stripped);
//   - runStep / runLine: one command in a project, its failure described with
//     the command, the exit code and the end of its output.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** REPO_ROOT is the repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// ---------------------------------------------------------------------------
// Commands

/** StepResult is the outcome of one command. */
export interface StepResult {
  /** command is the command as shown in failure messages. */
  command: string;
  cwd: string;
  /** code is the exit code (null when killed). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * projectEnv is the environment of the commands run in a project: the Node that
 * runs this test first on PATH (so `node`, and npm/npx through their
 * `#!/usr/bin/env node`, are the Node under test), npm quiet and preferring its
 * cache, `npx` never fetching a package the project lacks, and nothing
 * inherited from an enclosing npm script or from the repository's own setup.
 */
export function projectEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_(package|lifecycle|command|execpath|node_execpath|config_local_prefix|config_prefix)|INIT_CWD$|NODE_OPTIONS$|NODE_PATH$|REACTOR_RPC_|TS_NODE_|TSX_)/i.test(k)) continue;
    env[k] = v;
  }
  env['PATH'] = [dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter);
  env['FORCE_COLOR'] = '0';
  env['NO_COLOR'] = '1';
  env['npm_config_prefer_offline'] = 'true';
  env['npm_config_audit'] = 'false';
  env['npm_config_fund'] = 'false';
  env['npm_config_update_notifier'] = 'false';
  env['npm_config_progress'] = 'false';
  // `npx tsc` in a project without typescript must fail, not install the unrelated package "tsc".
  env['npm_config_yes'] = 'false';
  return env;
}

/** lastLines returns the last `n` lines of `text` (all of it when shorter). */
export function lastLines(text: string, n = 40): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return (lines.length > n ? [`… (${lines.length - n} lines above)`, ...lines.slice(-n)] : lines).join('\n');
}

/** describe renders a command's outcome for an assertion message. */
export function describe(r: StepResult, why = 'failed'): string {
  const end = r.timedOut ? `killed after ${r.ms} ms (timeout)` : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  const parts = [`${why}: \`${r.command}\` in ${r.cwd}: ${end}`];
  parts.push(r.stderr.trim() ? `stderr (last 40 lines):\n${lastLines(r.stderr)}` : 'stderr: (empty)');
  if (r.stdout.trim()) parts.push(`stdout (last 40 lines):\n${lastLines(r.stdout)}`);
  return parts.join('\n');
}

/** StepOptions configure one command. */
export interface StepOptions {
  cwd: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** spawnStep runs `file args` to its end (killed after the timeout) and resolves with its outcome; it never rejects. */
export function spawnStep(file: string, args: readonly string[], command: string, opts: StepOptions): Promise<StepResult> {
  const started = Date.now();
  const limit = opts.timeoutMs ?? 120_000;
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? projectEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: npx and bash leave their children otherwise.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, limit);
    child.on('error', (err) => {
      stderr += `${err.message}\n`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command, cwd: opts.cwd, code, signal, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** runLine runs one shell line with bash in `opts.cwd`. */
export function runLine(line: string, opts: StepOptions): Promise<StepResult> {
  return spawnStep('bash', ['-c', line], line, opts);
}

/**
 * Failure is a test failure whose message spans lines (a command and its
 * output). Test reporters print the message and then the stack without its
 * first line, so the stack keeps only the frames.
 */
export class Failure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Failure';
    const frames = (this.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    this.stack = [`${this.name}: see above`, ...frames].join('\n');
  }
}

/** StepFailure is thrown by `must` when a command fails: its message holds the command, exit code and output. */
export class StepFailure extends Failure {
  constructor(
    message: string,
    readonly result: StepResult,
  ) {
    super(message);
  }
}

/** must resolves with the result when the command exited 0, and throws a StepFailure describing it otherwise. */
export async function must(step: Promise<StepResult>): Promise<StepResult> {
  const r = await step;
  if (r.code !== 0 || r.timedOut) throw new StepFailure(describe(r), r);
  return r;
}

// ---------------------------------------------------------------------------
// The package

/** packageFiles returns the files package.json's "exports" and "bin" name, relative to the repository. */
export function packageFiles(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports?: unknown; bin?: unknown };
  const files = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') files.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  return [...files].filter((f) => !f.includes('*'));
}

/** newestUnder returns the latest modification time (ms) of the files under `dir`. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile()) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/**
 * ensureBuilt runs `npm run build` once when a file package.json exports is
 * missing from dist/ or older than the sources (a standalone run after an
 * edit); the whole-suite runner has just built it, so there it does nothing.
 */
export async function ensureBuilt(): Promise<void> {
  // dist/cli.js: what bin/reactor-rpc.mjs runs (an installed package has no sources to fall back to).
  const built = [...packageFiles().filter((f) => f.startsWith('dist/')), 'dist/cli.js'].map((f) => join(REPO_ROOT, f));
  const fresh = built.length > 0 && built.every((f) => existsSync(f)) && Math.min(...built.map((f) => statSync(f).mtimeMs)) >= newestUnder(join(REPO_ROOT, 'src'));
  if (fresh) return;
  await must(runLine('npm run build', { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' }, timeoutMs: 180_000 }));
}

/** packRepository runs `npm pack` of the repository into `dir` and returns the tarball's absolute path. */
export async function packRepository(dir: string): Promise<string> {
  await ensureBuilt();
  mkdirSync(dir, { recursive: true });
  // --ignore-scripts: dist/ is built; no prepack/prepare script may rebuild it.
  const r = await must(
    spawnStep('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], `npm pack --ignore-scripts --json --pack-destination ${dir}`, {
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
    }),
  );
  const packs = JSON.parse(r.stdout) as { filename: string }[];
  const file = join(dir, packs[0]!.filename);
  if (!existsSync(file)) throw new Error(`npm pack reported ${packs[0]!.filename}, which is not in ${dir}`);
  return file;
}

// ---------------------------------------------------------------------------
// README blocks

/** Block is one fenced code block: ```lang name. */
export interface Block {
  lang: string;
  name: string;
  /** body is the text between the fences, without the closing fence's newline. */
  body: string;
  /** line is the 1-based line of the opening fence in the file. */
  line: number;
}

/** Section is one `## ` section of a markdown file and its named blocks. */
export interface Section {
  file: string;
  heading: string;
  blocks: Map<string, Block>;
  /** block returns the block named `name`, failing with a clear message when it is missing or of another language. */
  block(name: string, lang: string): Block;
}

/**
 * readmeBlocks returns the named fenced blocks of the section `heading` (a
 * whole line such as `## From a .proto to a running server and client`) of
 * the markdown file `file`. Throws when the section is missing or names a
 * block twice.
 */
export function readmeBlocks(file: string, heading: string): Section {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) throw new Error(`${file} has no section "${heading}" (the heading changed or the section was removed)`);
  const level = /^#+/.exec(heading)![0].length;
  const blocks = new Map<string, Block>();
  let fence: { marker: string; lang: string; name: string; line: number; body: string[] } | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (fence) {
      if (l.trimEnd() === fence.marker) {
        if (fence.name) {
          if (blocks.has(fence.name)) throw new Error(`${file}: section "${heading}" has two blocks named "${fence.name}" (lines ${blocks.get(fence.name)!.line} and ${fence.line})`);
          blocks.set(fence.name, { lang: fence.lang, name: fence.name, body: fence.body.join('\n'), line: fence.line });
        }
        fence = undefined;
      } else fence.body.push(l);
      continue;
    }
    const open = /^(`{3,}|~{3,})\s*(\S*)\s*(\S*)/.exec(l);
    if (open) {
      fence = { marker: open[1]!, lang: open[2]!, name: open[3]!, line: i + 1, body: [] };
      continue;
    }
    const h = /^(#+)\s/.exec(l);
    if (h && h[1]!.length <= level) break;
  }
  if (fence) throw new Error(`${file}: the block opened at line ${fence.line} is never closed`);
  return {
    file,
    heading,
    blocks,
    block(name: string, lang: string): Block {
      const b = blocks.get(name);
      const found = [...blocks.values()].map((x) => `${x.lang} ${x.name}`).join(', ') || 'none';
      if (!b) throw new Error(`${file}: section "${heading}" has no \`\`\`${lang} ${name} block (its named blocks: ${found})`);
      if (b.lang !== lang) throw new Error(`${file}:${b.line}: the block "${name}" is \`\`\`${b.lang}, expected \`\`\`${lang}`);
      return b;
    },
  };
}

/** stripComment removes a trailing `# comment` (a # at the start or after a blank, outside quotes) from a shell line. */
export function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** shellLines returns the commands of an ```sh block: one per non-empty line, trailing comments stripped. */
export function shellLines(block: Block): string[] {
  return block.body
    .split('\n')
    .map(stripComment)
    .filter((l) => l.trim() !== '');
}

/** INSTALL_SELF matches `npm install reactor-rpc` as a whole command word sequence. */
const INSTALL_SELF = /(^|[\s;&|(])npm install reactor-rpc(?=$|[\s;&|)])/g;

/** withTarball applies the one substitution the quickstart test allows: `npm install reactor-rpc` → `npm install <tarball>`. */
export function withTarball(line: string, tarball: string): string {
  return line.replace(INSTALL_SELF, (_m, pre: string) => `${pre}npm install ${shellQuote(tarball)}`);
}

/** shellQuote quotes `s` for bash when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
