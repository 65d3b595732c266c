// Runs the real `reactor-rpc` binary from the sources for the CLI tests:
// one-shot commands with a kill timer, and long-running ones (serve, proxy,
// interop serve) started until their "listening <address>" line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'reactor-rpc.mjs');
/**
 * CLI_ENV runs the sources through tsx, or the build when the whole suite
 * (scripts/test.mjs) has just built dist/ and says so in REACTOR_RPC_TEST_BUILT.
 */
export const CLI_ENV: NodeJS.ProcessEnv = { ...process.env, REACTOR_RPC_FROM_SOURCE: process.env.REACTOR_RPC_TEST_BUILT === '1' ? '' : '1', FORCE_COLOR: '0' };
const ENV = CLI_ENV;

/** INTEROP_PROTO is the interop .proto, relative to the repository root (the working directory of every run). */
export const INTEROP_PROTO = 'proto/ttrpc/interop/v1/interop.proto';

/** RunResult is the outcome of one command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** sockAddress returns a fresh unix socket address in its own temporary directory. */
export function sockAddress(name = 's'): string {
  return `unix://${join(mkdtempSync(join(tmpdir(), 'rr-cli-')), `${name}.sock`)}`;
}

/** run runs `reactor-rpc <args>` to its end (killed after limitMs), feeding `input` on stdin. */
export function run(args: readonly string[], input = '', limitMs = 20_000): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Daemon is a long-running command that printed its address. */
export interface Daemon {
  address: string;
  child: ChildProcess;
  /** output is everything printed so far on stdout. */
  output(): string;
  /** errors is everything printed so far on stderr. */
  errors(): string;
  /** stop sends a signal and resolves with the exit code (SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** start runs `reactor-rpc <args>` until it prints `listening <address>` (rejects after limitMs or if it exits first). */
export function start(args: readonly string[], limitMs = 20_000): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  const daemon = (address: string): Daemon => ({
    address,
    child,
    output: () => stdout,
    errors: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      try {
        return await exited;
      } finally {
        clearTimeout(kill);
      }
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening" line within ${limitMs} ms; stderr: ${stderr}`));
    }, limitMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^listening (\S+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(daemon(m[1]!));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
}
