import { CallQueue, type CodedReactions, type ReactionSink } from './call-queue.js';
import type { Clock, Defer } from './clock.js';
import type { ReactionInfo, SchedulerLogger } from './logger.js';
import { resolveOptions, type SchedulerOptions } from './options.js';
import { ReactionFifo } from './reaction-fifo.js';
import { StatsCounter, type SchedulerStats } from './stats.js';
import { turnBegins, turnEnds } from '../call/turn-end.js';
import { Watchdog } from './watchdog.js';

/** DEFAULT_FLUSH_LIMIT is the default bound on the reactions one flush() may run. */
export const DEFAULT_FLUSH_LIMIT = 10_000_000;

/**
 * Scheduler is the library-owned run loop for reactions. Reactions are queued
 * (never run inside the code that queues them), run in one global FIFO order
 * (hence in order per call) in batches bounded by count and time, and the loop
 * yields to the event loop between batches through `defer`. A reaction that
 * throws is reported and isolated; a slow one is reported by the watchdog.
 */
export class Scheduler {
  private readonly batchSize: number;
  private readonly batchBudgetMs: number;
  private readonly defer: Defer;
  private readonly clock: Clock;
  private readonly logger: SchedulerLogger;
  private readonly counters = new StatsCounter();
  private readonly watchdog: Watchdog;
  private readonly fifo = new ReactionFifo();
  private readonly sink: ReactionSink;
  private hooks: (() => void)[] = [];
  private nextQueueId = 1;
  private turnPending = false;
  private hooksWanted = false;
  private running = false;
  private deferring = false;

  /** constructor resolves the options; throws RangeError/TypeError for invalid ones (see SchedulerOptions). */
  constructor(options: SchedulerOptions = {}) {
    const o = resolveOptions(options);
    this.batchSize = o.batchSize;
    this.batchBudgetMs = o.batchBudgetMs;
    this.defer = o.defer;
    this.clock = o.clock;
    this.logger = o.logger;
    this.watchdog = new Watchdog(o.watchdogMs, o.logger, this.counters);
    this.sink = { enqueue: (run, label, queue, final, code) => this.enqueue(run, label, queue, final, code) };
  }

  /** now reads the scheduler's clock. */
  now(): number {
    return this.clock.now();
  }

  /** schedule queues a one-off reaction; throws TypeError when task is not a function. */
  schedule(task: () => void, label?: string): void {
    if (typeof task !== 'function') throw new TypeError('Scheduler.schedule: task must be a function');
    this.enqueue(task, label, undefined, false, 0);
  }

  /** createQueue returns a new per-call serial queue bound to this scheduler. */
  createQueue(): CallQueue {
    return new CallQueue(this.nextQueueId++, this.sink);
  }

  /**
   * registerTurnHook adds a hook run once at the end of each turn (batch) that
   * ran reactions or was asked for with requestTurn(); sessions use it to write
   * the frames produced during the turn with one write. Returns an unregister
   * function (idempotent). Hooks run in registration order; one that throws is
   * reported and the others still run.
   */
  registerTurnHook(hook: () => void): () => void {
    if (typeof hook !== 'function') throw new TypeError('Scheduler.registerTurnHook: hook must be a function');
    const entry = (): void => hook();
    this.hooks = [...this.hooks, entry];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== entry);
    };
  }

  /** onTurnEnd is an alias of registerTurnHook. */
  onTurnEnd(hook: () => void): () => void {
    return this.registerTurnHook(hook);
  }

  /**
   * requestTurn makes sure a turn runs soon and that its turn hooks run even
   * when no reaction is queued (e.g. a session produced frames outside a reaction).
   */
  requestTurn(): void {
    this.hooksWanted = true;
    this.wake();
  }

  /**
   * flush runs every queued reaction now, synchronously, batch after batch
   * (turn hooks after each batch), until nothing is queued; returns the number
   * of reactions run. Meant for tests. Throws Error when called from inside a
   * reaction or turn hook, or when more than `limit` reactions ran and more remain.
   */
  flush(limit: number = DEFAULT_FLUSH_LIMIT): number {
    if (this.running) throw new Error('Scheduler.flush() must not be called from inside a reaction or turn hook');
    let total = 0;
    while (this.fifo.length > 0 || this.hooksWanted) {
      if (total >= limit) {
        throw new Error(`Scheduler.flush(): ${total} reactions run and ${this.fifo.length} still queued (limit ${limit})`);
      }
      total += this.runTurn();
    }
    return total;
  }

  /** stats returns a snapshot of the counters and the current queue depth. */
  stats(): SchedulerStats {
    return this.counters.snapshot(this.fifo.length);
  }

  private enqueue(run: (() => void) | CodedReactions, label: string | undefined, queue: CallQueue | undefined, final: boolean, code: number): void {
    this.fifo.push(run, label, queue, final, code);
    this.wake();
  }

  private wake(): void {
    if (this.turnPending) return;
    this.turnPending = true;
    this.deferring = true;
    try {
      this.defer(this.deferredTurn);
    } finally {
      this.deferring = false;
    }
  }

  private readonly deferredTurn = (): void => {
    this.turnPending = false;
    if (this.deferring) {
      // Running here would run reactions inside the code that queued them.
      throw new Error('Scheduler: the Defer ran its callback synchronously; a Defer must run it later');
    }
    if (this.running) {
      // A Defer that runs its callback synchronously (or a test stepping a
      // turn from inside a reaction): never nest a turn, try again later.
      this.wake();
      return;
    }
    this.runTurn();
    if (this.fifo.length > 0) this.wake();
  };

  /** runTurn runs one bounded batch, then the turn hooks; returns the batch size. */
  private runTurn(): number {
    this.running = true;
    turnBegins();
    let ran = 0;
    try {
      ran = this.runBatch();
      if (ran > 0 || this.hooksWanted) {
        this.hooksWanted = false;
        this.runHooks();
      }
    } finally {
      this.running = false;
      turnEnds();
    }
    return ran;
  }

  private runBatch(): number {
    const { fifo, clock, batchSize, batchBudgetMs, counters } = this;
    const start = clock.now();
    let t = start;
    let n = 0;
    while (n < batchSize) {
      const run = fifo.peekRun();
      if (run === undefined) break;
      const label = fifo.peekLabel();
      const q = fifo.peekQueue();
      const final = fifo.peekFinal();
      const code = fifo.peekCode();
      fifo.shift();
      n++;
      counters.reactionsRun++;
      this.runReaction(run, label, q, final, code);
      const end = clock.now();
      this.watchdog.check(end - t, label, q?.id);
      t = end;
      if (end - start >= batchBudgetMs) break;
    }
    counters.batchDone(n);
    return n;
  }

  private runReaction(run: (() => void) | CodedReactions, label: string | undefined, q: CallQueue | undefined, final: boolean, code: number): void {
    if (q !== undefined) q.starting(final);
    try {
      if (typeof run === 'function') run();
      else run.react(code);
    } catch (error) {
      this.report(error, label, q?.id);
      if (q !== undefined && !final) {
        try {
          q.reactionFailed(error);
        } catch (handlerError) {
          this.report(handlerError, 'error handler', q.id);
        }
      }
    }
  }

  private runHooks(): void {
    for (const hook of this.hooks) {
      try {
        hook();
      } catch (error) {
        this.report(error, 'turn hook', undefined);
      }
    }
  }

  private report(error: unknown, label: string | undefined, callId: number | undefined): void {
    this.counters.errors++;
    const info: ReactionInfo = {};
    if (callId !== undefined) info.callId = callId;
    if (label !== undefined) info.label = label;
    try {
      this.logger.reactionError(error, info);
    } catch {
      // A logger must not take the loop down.
    }
  }
}

let shared: Scheduler | undefined;

/** defaultScheduler returns the process-wide scheduler, created on first use with default options. */
export function defaultScheduler(): Scheduler {
  shared ??= new Scheduler();
  return shared;
}
