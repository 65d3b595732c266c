import type { Clock, Defer } from './clock.js';

/**
 * ManualDefer is a Defer for tests: it collects deferred callbacks and runs
 * them only when the test says so, which makes scheduler turns deterministic.
 */
export interface ManualDefer {
  /** defer is the Defer to pass to the Scheduler. */
  readonly defer: Defer;
  /** pending is the number of collected callbacks not yet run. */
  readonly pending: number;
  /** turn runs the callbacks collected so far (not those they defer in turn); returns how many ran. */
  turn(): number;
  /** runAll runs turns until nothing is pending; throws Error after maxTurns turns. */
  runAll(maxTurns?: number): number;
}

/** createManualDefer returns a new ManualDefer. */
export function createManualDefer(): ManualDefer {
  let queue: (() => void)[] = [];
  const turn = (): number => {
    const now = queue;
    queue = [];
    for (const run of now) run();
    return now.length;
  };
  return {
    defer: (run) => {
      queue.push(run);
    },
    get pending() {
      return queue.length;
    },
    turn,
    runAll(maxTurns = 1_000_000) {
      let turns = 0;
      while (queue.length > 0) {
        if (turns >= maxTurns) throw new Error(`ManualDefer.runAll: still pending after ${maxTurns} turns`);
        turn();
        turns++;
      }
      return turns;
    },
  };
}

/** FakeClock is a Clock for tests whose time moves only when advanced. */
export interface FakeClock extends Clock {
  /** advance moves the time forward by ms (>= 0). */
  advance(ms: number): void;
}

/** createFakeClock returns a FakeClock starting at `start` ms. */
export function createFakeClock(start = 0): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
      t += ms;
    },
  };
}
