import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Clock } from './clock.js';
import type { Scheduler } from './scheduler.js';

/** TimerHandle is whatever a RxTimers.setTimer returns. */
export type TimerHandle = unknown;

/** RxTimers are the injectable timers used for delayed rx work. */
export interface RxTimers {
  /** setTimer runs fn once after ms milliseconds and returns a handle. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** clearTimer cancels a timer that has not fired yet. */
  clearTimer(handle: TimerHandle): void;
}

/** RxAdapterOptions configure toRxScheduler. */
export interface RxAdapterOptions extends Partial<RxTimers> {
  /**
   * clock overrides now() (default: the scheduler's clock). The default clock is
   * performance.now(), so pass `{ now: Date.now }` if you give rxjs absolute
   * Date due times (e.g. `timer(new Date(...), scheduler)`).
   */
  clock?: Clock;
}

/** nodeTimers are the default timers: setTimeout / clearTimeout (they keep the process alive while pending). */
const nodeTimers: RxTimers = {
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

type Work<T> = (this: SchedulerAction<T>, state?: T) => void;

/**
 * RxAction is one unit of rx work on the reactor scheduler. Like rxjs's own
 * actions it runs once per schedule() and may reschedule itself from inside
 * its work (recursive scheduling); unsubscribe cancels whatever is pending.
 */
class RxAction<T> extends Subscription implements SchedulerAction<T> {
  private state: T | undefined;
  private timer: TimerHandle | undefined;
  private hasTimer = false;
  private generation = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly timers: RxTimers,
    private readonly work: Work<T>,
  ) {
    super();
    this.add(() => this.cancelPending());
  }

  /** schedule runs the work once more, after `delay` ms (0: next turn of the scheduler). */
  schedule(state?: T, delay: number = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.cancelPending();
    const generation = this.generation;
    if (delay > 0) {
      this.hasTimer = true;
      this.timer = this.timers.setTimer(() => {
        this.hasTimer = false;
        this.timer = undefined;
        this.enqueue(generation);
      }, delay);
    } else {
      this.enqueue(generation);
    }
    return this;
  }

  private enqueue(generation: number): void {
    this.scheduler.schedule(() => {
      // Skip if cancelled or rescheduled since this run was queued.
      if (this.closed || generation !== this.generation) return;
      this.generation++;
      try {
        this.work.call(this, this.state);
      } catch (error) {
        this.unsubscribe();
        throw error; // reported by the scheduler like any reaction error
      }
    }, 'rx');
  }

  private cancelPending(): void {
    this.generation++;
    if (this.hasTimer) {
      this.hasTimer = false;
      this.timers.clearTimer(this.timer);
      this.timer = undefined;
    }
  }
}

/**
 * toRxScheduler adapts a Scheduler to rxjs's SchedulerLike, so Observables run
 * on the same loop as reactions: work with delay <= 0 is queued on the
 * scheduler; work with delay > 0 waits on a timer (setTimeout unless
 * setTimer/clearTimer are given) and is then queued. schedule() returns a
 * Subscription that cancels the pending run. now() reads the scheduler clock.
 */
export function toRxScheduler(scheduler: Scheduler, options: RxAdapterOptions = {}): SchedulerLike {
  const timers: RxTimers = {
    setTimer: options.setTimer ?? nodeTimers.setTimer,
    clearTimer: options.clearTimer ?? nodeTimers.clearTimer,
  };
  const clock = options.clock;
  return {
    now: clock ? () => clock.now() : () => scheduler.now(),
    schedule<T>(work: Work<T>, delay: number = 0, state?: T): Subscription {
      return new RxAction<T>(scheduler, timers, work).schedule(state, delay);
    },
  };
}
