import { immediateDefer, systemClock, type Clock, type Defer } from './clock.js';
import { createConsoleLogger, type SchedulerLogger } from './logger.js';

/** SchedulerOptions configure a Scheduler; every field is optional. */
export interface SchedulerOptions {
  /** batchSize is the most reactions one batch runs before yielding (integer 1..1_000_000, default 256). */
  batchSize?: number;
  /** batchBudgetMs is the time after which a batch yields (>= 0, Infinity allowed, default 2). */
  batchBudgetMs?: number;
  /** defer runs the next turn later (default setImmediate). */
  defer?: Defer;
  /** clock measures batches and reactions (default performance.now()). */
  clock?: Clock;
  /** watchdogMs: a single reaction longer than this is reported (> 0, Infinity disables, default 50). */
  watchdogMs?: number;
  /** logger receives errors and slow-reaction reports (default: rate-limited console logger). */
  logger?: SchedulerLogger;
}

/** ResolvedSchedulerOptions are SchedulerOptions with every default filled in. @internal */
export type ResolvedSchedulerOptions = Required<SchedulerOptions>;

/** DEFAULT_BATCH_SIZE is the default batchSize. */
export const DEFAULT_BATCH_SIZE = 256;
/** DEFAULT_BATCH_BUDGET_MS is the default batchBudgetMs. */
export const DEFAULT_BATCH_BUDGET_MS = 2;
/** DEFAULT_WATCHDOG_MS is the default watchdogMs. */
export const DEFAULT_WATCHDOG_MS = 50;
/** MAX_BATCH_SIZE is the largest accepted batchSize. */
export const MAX_BATCH_SIZE = 1_000_000;

/**
 * resolveOptions fills in the defaults and checks the bounds.
 * Throws RangeError for an out-of-range number and TypeError for a non-function defer / clock.now.
 */
export function resolveOptions(options: SchedulerOptions = {}): ResolvedSchedulerOptions {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`Scheduler: batchSize must be an integer in 1..${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  const batchBudgetMs = options.batchBudgetMs ?? DEFAULT_BATCH_BUDGET_MS;
  if (Number.isNaN(batchBudgetMs) || batchBudgetMs < 0) {
    throw new RangeError(`Scheduler: batchBudgetMs must be >= 0, got ${batchBudgetMs}`);
  }
  const watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
  if (Number.isNaN(watchdogMs) || watchdogMs <= 0) {
    throw new RangeError(`Scheduler: watchdogMs must be > 0 (Infinity disables it), got ${watchdogMs}`);
  }
  const defer = options.defer ?? immediateDefer;
  if (typeof defer !== 'function') throw new TypeError('Scheduler: defer must be a function');
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function') throw new TypeError('Scheduler: clock.now must be a function');
  const logger = options.logger ?? createConsoleLogger();
  return { batchSize, batchBudgetMs, defer, clock, watchdogMs, logger };
}
