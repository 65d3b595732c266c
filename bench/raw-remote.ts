/**
 * RemoteRawDriver runs the raw baseline client in its own process
 * (raw-process.ts) and drives its rounds over stdin/stdout, so the raw and
 * reactor-rpc sides of a run never share a V8 heap or optimized code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EchoDriver, RoundResult } from './stats.js';

const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = fileURLToPath(new URL(COMPILED ? './raw-process.js' : './raw-process.ts', import.meta.url));
const LOADER = COMPILED ? [] : ['--import', 'tsx'];

/** RemoteRawDriver is an EchoDriver whose rounds run in a child process. */
export class RemoteRawDriver implements EchoDriver {
  private readonly waiting: Array<(line: string) => void> = [];
  private exited: Promise<never> = new Promise(() => {});

  private constructor(
    private readonly child: ChildProcess,
    lines: Interface,
  ) {
    lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  /** pid is the client process's id (its main thread's id too). */
  get pid(): number {
    return this.child.pid!;
  }

  /** start spawns the raw client for a target (a unix address, or 'pipe' for a raw pipe server inside the child) and waits until it is connected; `args` are raw-process.ts options such as `--client api`. */
  static start(target: string, args: readonly string[] = []): Promise<RemoteRawDriver> {
    return RemoteRawDriver.startCommand(process.execPath, [...LOADER, ENTRY, target, ...args], 'raw client');
  }

  /** startCommand spawns any program that speaks the same line protocol (`ready`, then one JSON round per line) and waits for its `ready`. */
  static async startCommand(command: string, args: readonly string[], label: string): Promise<RemoteRawDriver> {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const d = new RemoteRawDriver(child, lines);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${label} exited with code ${code}`))));
    exited.catch(() => {});
    d.exited = exited;
    const ready = await Promise.race([d.next(), exited]);
    if (ready !== 'ready') throw new Error(`${label}: unexpected first line ${JSON.stringify(ready)}`);
    return d;
  }

  /** run runs one round in the child. */
  async run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult> {
    const answer = Promise.race([this.next(), this.exited]);
    this.child.stdin!.write(`${JSON.stringify({ inflight, seconds, trackLatency })}\n`);
    return JSON.parse(await answer) as RoundResult;
  }

  /** close ends the child (it closes its connection and exits). */
  close(): void {
    this.child.stdin!.end();
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
