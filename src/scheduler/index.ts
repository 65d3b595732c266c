/**
 * The library-owned scheduler: reactions are queued, run in bounded batches
 * inside Node's event loop, in order per call, with onDone last and once.
 */
export { Scheduler, defaultScheduler, DEFAULT_FLUSH_LIMIT } from './scheduler.js';
export { CallQueue, type CallErrorHandler } from './call-queue.js';
export { systemClock, immediateDefer, type Clock, type Defer } from './clock.js';
export {
  createConsoleLogger,
  type SchedulerLogger,
  type ReactionInfo,
  type SlowReactionInfo,
  type ConsoleLoggerOptions,
} from './logger.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_BUDGET_MS,
  DEFAULT_WATCHDOG_MS,
  MAX_BATCH_SIZE,
  type SchedulerOptions,
} from './options.js';
export type { SchedulerStats } from './stats.js';
export { toRxScheduler, type RxAdapterOptions, type RxTimers, type TimerHandle } from './rx-adapter.js';
export { createManualDefer, createFakeClock, type ManualDefer, type FakeClock } from './testing.js';
