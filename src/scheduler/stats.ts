/** SchedulerStats is a snapshot of a scheduler's counters (see Scheduler.stats()). */
export interface SchedulerStats {
  /** queued is the number of reactions waiting to run now (queue depth). */
  queued: number;
  /** reactionsRun counts reactions run since the scheduler was created. */
  reactionsRun: number;
  /** batches counts batches (turns) that ran at least one reaction. */
  batches: number;
  /** maxBatch is the largest number of reactions run in one batch. */
  maxBatch: number;
  /** lastBatch is the number of reactions run in the most recent batch. */
  lastBatch: number;
  /** slowReactions counts reactions the watchdog reported as too long. */
  slowReactions: number;
  /** errors counts reactions, error handlers and turn hooks that threw. */
  errors: number;
}

/** StatsCounter holds the mutable counters behind SchedulerStats. @internal */
export class StatsCounter {
  /** reactionsRun counts reactions run. */
  reactionsRun = 0;
  /** batches counts non-empty batches. */
  batches = 0;
  /** maxBatch is the largest batch. */
  maxBatch = 0;
  /** lastBatch is the most recent non-empty batch. */
  lastBatch = 0;
  /** slowReactions counts watchdog reports. */
  slowReactions = 0;
  /** errors counts caught exceptions. */
  errors = 0;

  /** batchDone records the size of one finished batch (empty batches are not counted). */
  batchDone(size: number): void {
    if (size === 0) return;
    this.batches++;
    this.lastBatch = size;
    if (size > this.maxBatch) this.maxBatch = size;
  }

  /** snapshot returns a copy of the counters with the given queue depth. */
  snapshot(queued: number): SchedulerStats {
    return {
      queued,
      reactionsRun: this.reactionsRun,
      batches: this.batches,
      maxBatch: this.maxBatch,
      lastBatch: this.lastBatch,
      slowReactions: this.slowReactions,
      errors: this.errors,
    };
  }
}
