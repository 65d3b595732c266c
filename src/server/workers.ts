// serveWorkers: one service on N processes behind one address, on node:cluster.
// The same script runs as the primary (forks, restarts, shuts down) and as
// each worker (builds its Server and listens); see README "Scaling out".
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseAddress } from '../transport/address.js';
import { type ListenOptions, reusePortSupported } from '../transport/listen-options.js';
import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';
import type { Server } from './server.js';
import { type PrimaryMessage, ENV_ADDRESS, ENV_INDEX, isWorkerMessage, runWorker } from './worker-side.js';

/** WorkerInfo tells createServer which worker it builds a server for. */
export interface WorkerInfo {
  /** index is the worker's slot, 0 to workers-1 (a restarted worker keeps its slot's index). */
  readonly index: number;
  /** id is node:cluster's worker id (new for every fork). */
  readonly id: number;
  /** onShutdown registers a hook run after the worker's server has shut down, before it exits (e.g. closing upstream clients). */
  onShutdown(hook: () => void | Promise<void>): void;
}

/** ServeWorkersOptions configure serveWorkers: where to listen (with the listen options) and how the workers are run. */
export interface ServeWorkersOptions extends ListenOptions {
  /** address is where every worker accepts (unix://, tcp://, tls://, host:port); tcp port 0 picks one free port for all. Workers take it from the primary. */
  address: string;
  /** workers is the number of worker processes (default os.availableParallelism()). */
  workers?: number;
  /** graceMs is how long each worker's server.shutdown() waits for running calls at close (default 10000). */
  graceMs?: number;
  /** restartDelayMs is how long the primary waits before replacing a worker that died (default 1000). */
  restartDelayMs?: number;
  /** maxRestarts caps the restarts within restartWindowMs (default 10); past it a dead worker's slot stays empty. */
  maxRestarts?: number;
  /** restartWindowMs is the window of maxRestarts (default 60000). */
  restartWindowMs?: number;
  /** handleSignals makes the primary close() on SIGINT and SIGTERM (default true). */
  handleSignals?: boolean;
  /** log receives the primary's notices (a worker died, restarts given up); default: stderr. */
  log?: (line: string) => void;
}

/** Workers is what serveWorkers returns, in the primary and in each worker. */
export interface Workers {
  /** isPrimary is true in the primary process, false in a worker. */
  readonly isPrimary: boolean;
  /** address is the bound address (with the port a tcp port 0 got). */
  readonly address: string;
  /** pids lists the live worker processes (in a worker: its own pid). */
  pids(): number[];
  /** close shuts down gracefully: primary, every worker (server.shutdown(graceMs), then exit), resolving once all exited; worker, this worker only. */
  close(graceMs?: number): Promise<void>;
  /** closed resolves once every worker has exited and none will be restarted (primary) or once this worker shut down (worker). */
  readonly closed: Promise<void>;
}

/** createServer builds one worker's Server (services, options); serveWorkers makes it listen. */
export type CreateWorkerServer = (worker: WorkerInfo) => Server | Promise<Server>;

/** START_TIMEOUT_MS bounds how long a worker may take to listen at startup. */
const START_TIMEOUT_MS = 30_000;
/** KILL_AFTER_MS is how long past its grace a shutting-down worker may take before it is killed. */
const KILL_AFTER_MS = 5_000;

/**
 * serveWorkers runs one service on N worker processes (node:cluster) behind
 * one address. Call it from a script that runs as both primary and worker:
 * in the primary it forks the workers, restarts one that dies, and shuts all
 * down gracefully on close() or SIGINT/SIGTERM; in a worker it builds the
 * server with createServer and listens. TCP uses SO_REUSEPORT where Node
 * offers it, else (and for unix sockets) the primary's shared handle.
 * Rejects with RpcError (INVALID_ARGUMENT for bad options, UNAVAILABLE
 * when the first worker cannot listen).
 */
export async function serveWorkers(createServer: CreateWorkerServer, options: ServeWorkersOptions): Promise<Workers> {
  const { address, workers = availableParallelism(), graceMs = 10_000, restartDelayMs = 1000, maxRestarts = 10, restartWindowMs = 60_000, handleSignals = true, log, ...listenOptions } = options;
  const bad = (what: string): RpcError => new RpcError(Code.INVALID_ARGUMENT, `serveWorkers: ${what}`);
  if (!Number.isInteger(workers) || workers < 1) throw bad(`workers must be a whole number ≥ 1, got ${String(workers)}`);
  for (const [k, v] of Object.entries({ graceMs, restartDelayMs, maxRestarts, restartWindowMs })) {
    if (!(typeof v === 'number' && v >= 0)) throw bad(`${k} must be a number ≥ 0, got ${String(v)}`);
  }
  const a = parseAddress(address);
  const reusePort = (a.kind === 'tcp' || a.kind === 'tls') && reusePortSupported();
  const listen: ListenOptions = { ...listenOptions, reusePort };
  if (!cluster.isPrimary) return runWorker(createServer, listen, process.env[ENV_ADDRESS] ?? address, Number(process.env[ENV_INDEX] ?? 0), graceMs);
  const primary = new Primary(workers, { graceMs, restartDelayMs, maxRestarts, restartWindowMs, log: log ?? ((l) => process.stderr.write(`${l}\n`)) });
  await primary.start(address, reusePort);
  if (handleSignals) primary.handleSignals();
  return primary;
}

interface PrimarySettings {
  graceMs: number;
  restartDelayMs: number;
  maxRestarts: number;
  restartWindowMs: number;
  log: (line: string) => void;
}

/** Primary forks and watches the workers of one serveWorkers call. */
class Primary implements Workers {
  readonly isPrimary = true;
  address = '';
  readonly closed: Promise<void>;
  private forkAddress = '';
  private readonly slots: Array<Worker | undefined>;
  private readonly leaving = new Set<Worker>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private restarts: number[] = [];
  private closing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  private readonly onSignal = (): void => void this.close();

  constructor(
    count: number,
    private readonly o: PrimarySettings,
  ) {
    this.slots = new Array<Worker | undefined>(count).fill(undefined);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** start forks worker 0, learns the bound address from it, then forks the rest; rejects (after stopping them) when one cannot listen. */
  async start(address: string, reusePort: boolean): Promise<void> {
    try {
      this.address = await this.fork(0, address);
      // A reused port is bound by each worker: they need the concrete port. A shared handle is keyed by the address as given.
      this.forkAddress = reusePort ? this.address : address;
      await Promise.all(this.slots.slice(1).map((_, i) => this.fork(i + 1, this.forkAddress)));
    } catch (err) {
      await this.close(0);
      throw err;
    }
  }

  pids(): number[] {
    return this.slots.flatMap((w) => (w?.process.pid === undefined || w.isDead() ? [] : [w.process.pid]));
  }

  handleSignals(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  close(graceMs = this.o.graceMs): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const live = this.slots.filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(live.map((w) => this.stopWorker(w, graceMs)));
    this.resolveClosed();
  }

  /** stopWorker asks a worker to shut down and resolves when it exited (killing it if it takes KILL_AFTER_MS past its grace). */
  private stopWorker(w: Worker, graceMs: number): Promise<void> {
    this.leaving.add(w);
    return new Promise((resolve) => {
      const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs + KILL_AFTER_MS);
      w.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      const msg: PrimaryMessage = { reactorRpcWorkers: 'shutdown', graceMs };
      try {
        w.send(msg);
      } catch {
        w.process.kill('SIGKILL');
      }
    });
  }

  /** fork starts the worker of a slot and resolves with the address it listens on; rejects with RpcError UNAVAILABLE when it fails first. */
  private fork(index: number, address: string): Promise<string> {
    const w = cluster.fork({ [ENV_ADDRESS]: address, [ENV_INDEX]: String(index) });
    this.slots[index] = w;
    return new Promise((resolve, reject) => {
      let started = false;
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (started) return;
        started = true;
        reject(new RpcError(Code.UNAVAILABLE, `serveWorkers: worker ${index} ${why}`));
      };
      const timer = setTimeout(() => {
        fail(`did not listen within ${START_TIMEOUT_MS} ms`);
        w.process.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      w.on('message', (m: unknown) => {
        if (!isWorkerMessage(m)) return;
        if (m.reactorRpcWorkers === 'leaving') this.leaving.add(w);
        else if (m.reactorRpcWorkers === 'failed') fail(`failed to start: ${m.message}`);
        else if (!started) {
          started = true;
          clearTimeout(timer);
          resolve(m.address);
        }
      });
      w.once('exit', (code, signal) => {
        fail(`exited before listening (${signal ?? `code ${code}`})`);
        this.exited(index, w, code, signal);
      });
    });
  }

  /** exited handles a worker's exit: replaced after restartDelayMs unless it was asked or chose to leave, the pool is closing, or the restart rate is used up. */
  private exited(index: number, w: Worker, code: number | null, signal: string | null): void {
    if (this.slots[index] === w) this.slots[index] = undefined;
    const planned = this.leaving.delete(w) || this.closing !== undefined;
    if (!planned && this.forkAddress !== '') {
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < this.o.restartWindowMs);
      if (this.restarts.length < this.o.maxRestarts) {
        this.restarts.push(now);
        this.o.log(`serveWorkers: worker ${index} (pid ${w.process.pid}) died (${signal ?? `code ${code}`}); restarting in ${this.o.restartDelayMs} ms`);
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.fork(index, this.forkAddress).catch((err: Error) => this.o.log(err.message));
        }, this.o.restartDelayMs);
        this.timers.add(t);
        return;
      }
      this.o.log(`serveWorkers: worker ${index} (pid ${w.process.pid}) died (${signal ?? `code ${code}`}); ${this.o.maxRestarts} restarts within ${this.o.restartWindowMs} ms, not restarting`);
    }
    if (this.timers.size === 0 && this.slots.every((s) => s === undefined)) this.resolveClosed();
  }
}
