import type { SchedulerLogger } from './logger.js';
import type { StatsCounter } from './stats.js';

/**
 * Watchdog reports reactions that run longer than a threshold. Reactions run
 * on the event loop, so a long one delays every other call and all socket I/O.
 * @internal
 */
export class Watchdog {
  constructor(
    private readonly thresholdMs: number,
    private readonly logger: SchedulerLogger,
    private readonly stats: StatsCounter,
  ) {}

  /** check reports the reaction when durationMs exceeds the threshold; returns whether it did. */
  check(durationMs: number, label: string | undefined, callId: number | undefined): boolean {
    if (!(durationMs > this.thresholdMs)) return false;
    this.stats.slowReactions++;
    const info: { durationMs: number; label?: string; callId?: number } = { durationMs };
    if (label !== undefined) info.label = label;
    if (callId !== undefined) info.callId = callId;
    try {
      this.logger.slowReaction(info);
    } catch {
      // A logger must not take the loop down.
    }
    return true;
  }
}
