/**
 * LongTimer is setTimeout for any delay. Node's timers take at most
 * 2^31 - 1 ms (about 24.8 days): a longer delay fires after 1 ms with a
 * TimeoutOverflowWarning. A LongTimer waits in steps of at most that length,
 * re-arming until the whole delay has passed, so a 30-day call deadline fires
 * after 30 days. The remaining delay is counted down step by step (setTimeout
 * runs on a monotonic clock, so wall-clock changes do not move it).
 */

/** MAX_TIMER_MS is the longest delay a single Node timer accepts (2^31 - 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** LongTimerOptions configure a LongTimer. */
export interface LongTimerOptions {
  /** unref keeps the timer from holding the process open (as timeout.unref()); default false. */
  unref?: boolean;
  /** maxStepMs is the longest single wait (default and upper bound MAX_TIMER_MS; tests pass a small one). */
  maxStepMs?: number;
}

/**
 * LongTimer runs `fn` once after `ms` milliseconds unless cancelled. A delay
 * of Infinity never fires (no timer is armed); a delay that is not a number
 * >= 0 (NaN, negative) fires on the next timer tick, as setTimeout does.
 */
export class LongTimer {
  private handle: NodeJS.Timeout | undefined;
  private remaining: number;
  private readonly maxStep: number;
  private readonly unref: boolean;
  /** steps counts the underlying timers armed so far. */
  steps = 0;

  /** constructor arms the timer at once. */
  constructor(
    private readonly fn: () => void,
    ms: number,
    options: LongTimerOptions = {},
  ) {
    this.remaining = ms >= 0 ? ms : 0;
    const step = options.maxStepMs ?? MAX_TIMER_MS;
    this.maxStep = step >= 1 && step <= MAX_TIMER_MS ? step : MAX_TIMER_MS;
    this.unref = options.unref === true;
    if (this.remaining !== Infinity) this.arm();
  }

  /** pending is true until the timer fired or was cancelled (false at once for an Infinity delay). */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  /** cancel stops the timer; harmless after it fired. */
  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(): void {
    const step = Math.min(this.remaining, this.maxStep);
    this.remaining -= step;
    this.steps++;
    this.handle = setTimeout(this.tick, step);
    if (this.unref) this.handle.unref();
  }

  private readonly tick = (): void => {
    if (this.remaining > 0) return this.arm();
    this.handle = undefined;
    this.fn();
  };
}
