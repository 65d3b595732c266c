import { performance } from 'node:perf_hooks';

/** ReactionInfo identifies the reaction a report is about. */
export interface ReactionInfo {
  /** callId is the CallQueue id, absent for one-off reactions and turn hooks. */
  callId?: number;
  /** label is the label given when the reaction was queued, if any. */
  label?: string;
}

/** SlowReactionInfo describes a reaction the watchdog found too long. */
export interface SlowReactionInfo extends ReactionInfo {
  /** durationMs is how long the reaction ran, measured with the scheduler clock. */
  durationMs: number;
}

/**
 * SchedulerLogger receives the scheduler's reports. Implementations must not
 * throw (if one does, the exception is swallowed) and should be cheap.
 */
export interface SchedulerLogger {
  /** reactionError reports a reaction (or turn hook / error handler) that threw. */
  reactionError(error: unknown, info: ReactionInfo): void;
  /** slowReaction reports a reaction that ran longer than the watchdog threshold. */
  slowReaction(info: SlowReactionInfo): void;
}

/** ConsoleLoggerOptions configure createConsoleLogger. */
export interface ConsoleLoggerOptions {
  /** intervalMs is the minimum time between two messages of one kind (default 1000). */
  intervalMs?: number;
  /** now is the time source for rate limiting (default performance.now). */
  now?: () => number;
  /** sink receives the messages (default the global console). */
  sink?: Pick<Console, 'warn' | 'error'>;
}

/** describe formats a reaction's identity for a log line. */
function describe(info: ReactionInfo): string {
  const parts: string[] = [];
  if (info.callId !== undefined) parts.push(`call ${info.callId}`);
  if (info.label !== undefined) parts.push(`"${info.label}"`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** RateLimit lets one message through per interval and counts the rest. */
class RateLimit {
  private last = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** take returns the number of messages suppressed since the last one, or -1 to suppress this one. */
  take(): number {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed++;
      return -1;
    }
    this.last = t;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/**
 * createConsoleLogger returns the default SchedulerLogger: errors go to
 * console.error, slow reactions to console.warn, each kind at most once per
 * `intervalMs` (the messages in between are counted and the count is shown
 * with the next message), so a hot failing reaction cannot flood the log.
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): SchedulerLogger {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const sink = options.sink ?? console;
  const errors = new RateLimit(intervalMs, now);
  const slow = new RateLimit(intervalMs, now);
  const more = (n: number): string => (n > 0 ? ` [${n} similar suppressed]` : '');
  return {
    reactionError(error, info) {
      const n = errors.take();
      if (n < 0) return;
      sink.error(`reactor-rpc: a reaction threw${describe(info)}${more(n)}:`, error);
    },
    slowReaction(info) {
      const n = slow.take();
      if (n < 0) return;
      const ms = info.durationMs.toFixed(1);
      sink.warn(`reactor-rpc: a reaction ran ${ms} ms${describe(info)}; reactions must not block${more(n)}`);
    },
  };
}
