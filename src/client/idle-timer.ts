/** IdleProbe is what an IdleTimer reads of a client on each check. */
export interface IdleProbe {
  /** callsStarted counts the calls ever started (a change means activity since the last check). */
  readonly callsStarted: number;
  /** openCalls is the number of calls not finished yet. */
  readonly openCalls: number;
}

/**
 * IdleTimer runs `onIdle` once a client has had no open call and started
 * none for `timeoutMs`. It checks every quarter of the timeout with an
 * unref'd timer (so it never keeps the process alive, and costs the call path
 * nothing but a counter): `onIdle` runs between 1 and about 1.5 times the
 * timeout after the last call ended. A check that runs late because the
 * event loop was blocked decides nothing.
 */
export class IdleTimer {
  private readonly timer: NodeJS.Timeout;
  private seen: number;
  private idleSince = performance.now();
  private lastCheck = this.idleSince;

  /** constructor starts watching; throws RangeError unless timeoutMs is a positive finite number. */
  constructor(
    private readonly timeoutMs: number,
    private readonly probe: IdleProbe,
    private readonly onIdle: () => void,
  ) {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError('idleTimeoutMs must be a positive number (0 or Infinity: off)');
    this.seen = probe.callsStarted;
    const interval = Math.min(Math.max(timeoutMs / 4, 5), 2 ** 31 - 1);
    this.timer = setInterval(() => this.check(interval), interval);
    this.timer.unref();
  }

  /** stop ends the watch (the client closed). */
  stop(): void {
    clearInterval(this.timer);
  }

  private check(interval: number): void {
    const now = performance.now();
    const late = now - this.lastCheck > 2 * interval;
    this.lastCheck = now;
    const started = this.probe.callsStarted;
    if (started !== this.seen || this.probe.openCalls > 0) {
      this.seen = started;
      this.idleSince = now;
      return;
    }
    if (late || now - this.idleSince < this.timeoutMs) return;
    this.stop();
    this.onIdle();
  }
}
