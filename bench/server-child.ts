import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Run from TypeScript sources the child needs the tsx loader; run from compiled JavaScript it does not.
const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = fileURLToPath(new URL(COMPILED ? './server-process.js' : './server-process.ts', import.meta.url));
const LOADER = COMPILED ? [] : ['--import', 'tsx'];
const READY_TIMEOUT_MS = 30_000;

/** ServerMode selects the server implementation of a child process. */
export type ServerMode = 'raw' | 'ttrpc-api' | 'ttrpc-reactor' | 'ttrpc' | 'ttrpc-lean' | 'drpc-api' | 'drpc-mux-api';

/** GcSample is a server process's cumulative garbage-collection pause time and CPU time (ms). */
export interface GcSample {
  /** gcMs is the summed duration of the perf_hooks 'gc' entries. */
  gcMs: number;
  /** cpuMs is process.cpuUsage() user + system. */
  cpuMs: number;
}

/** ServerChild is a benchmark server running in its own process. */
export interface ServerChild {
  /** address is the address the server listens on. */
  address: string;
  /** pid is the process id (its main thread's id too). */
  pid: number;
  /** gc asks the server for its cumulative GC pause time and CPU time in ms (server-process.ts starts observing GC at the first ask). */
  gc(): Promise<GcSample>;
  /** stop closes the server's stdin and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * spawnServer starts `server-process.ts <mode> <address>` in a new Node
 * process (extra Node flags such as --cpu-prof go in `nodeArgs`) and resolves
 * once it printed `listening <address>`.
 */
export function spawnServer(mode: ServerMode, address: string, nodeArgs: readonly string[] = []): Promise<ServerChild> {
  const child = spawn(process.execPath, [...nodeArgs, ...LOADER, ENTRY, mode, address], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${mode} server: not listening after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    child.once('error', fail);
    const early = (code: number | null): void => fail(new Error(`${mode} server exited with code ${code} before listening`));
    child.once('exit', early);
    child.stdout!.setEncoding('utf8');
    const onData = (s: string): void => {
      out += s;
      const m = /^listening (\S+)$/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      // Whatever the server prints afterwards (e.g. --trace-gc) goes to our stderr, except answers to gc().
      child.stdout!.off('data', onData);
      const waiting: Array<(s: GcSample) => void> = [];
      let rest = out.slice(m.index + m[0].length).replace(/^\n/, '');
      const onLine = (line: string): void => {
        if (line.startsWith('gc {')) waiting.shift()?.(JSON.parse(line.slice(3)) as GcSample);
        else process.stderr.write(`${line}\n`);
      };
      child.stdout!.on('data', (s: string) => {
        rest += s;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          onLine(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
        }
      });
      const gc = (): Promise<GcSample> =>
        new Promise((res) => {
          waiting.push(res);
          child.stdin!.write('gc\n');
        });
      resolve({ address: m[1]!, pid: child.pid!, gc, stop: () => stop(child, exited) });
    };
    child.stdout!.on('data', onData);
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.stdin!.end();
  const timer = setTimeout(() => child.kill(), 10_000);
  await exited;
  clearTimeout(timer);
}
