import { performance } from 'node:perf_hooks';

/** Clock is an injectable source of monotonic time in milliseconds. */
export interface Clock {
  /** now returns the current time in milliseconds (any origin; only differences matter). */
  now(): number;
}

/**
 * Defer is an injectable deferral: it runs `run` later, never inside the call
 * to the Defer itself. The scheduler calls it at most once per pending turn.
 */
export type Defer = (run: () => void) => void;

/** systemClock is the default clock: `performance.now()`, monotonic, sub-millisecond. */
export const systemClock: Clock = { now: () => performance.now() };

/**
 * immediateDefer is the default deferral: `setImmediate`, which runs after the
 * event loop's I/O phase, so socket reads get their turn between two batches.
 */
export const immediateDefer: Defer = (run) => {
  setImmediate(run);
};
