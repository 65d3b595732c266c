/**
 * ReadGate is a connection's receive backpressure. Neither ttrpc nor drpc has
 * flow-control frames, so the only way to slow a peer down is to stop reading
 * its connection: the transport's own buffers fill and the peer's writes
 * block. The gate pauses reading while
 *
 *   - a stream's receive queue is full (its unread messages or bytes reached
 *     the stream's limit), until the consumer has read it down to half;
 *   - the unread bytes of all streams of the connection reached the
 *     connection budget, until they are down to half;
 *   - the owner holds it (a server whose replies are not being read).
 *
 * A consumer that keeps reading therefore never sees a limit error. A stream
 * whose consumer takes nothing for `stallTimeoutMs` while it blocks the
 * connection is failed (its owner ends it with RESOURCE_EXHAUSTED), which
 * unblocks the other streams: this is the head-of-line trade-off of a
 * protocol without flow control, and the stall timeout bounds it.
 *
 * Resuming never happens inside the consumer's own call: it is deferred to
 * a later turn (setImmediate), where the source decodes what it held back.
 */

/** ReadSource is what a gate pauses: the session's decoder and connection. */
export interface ReadSource {
  /** pause stops decoding and reading (idempotent). */
  pause(): void;
  /** resume decodes what was held back and reads again, unless the gate paused again meanwhile. */
  resume(): void;
}

/** GatedQueue is the gate's view of one stream's receive queue. */
export interface GatedQueue {
  /** queuedBytes is the number of unread bytes the queue holds. */
  readonly queuedBytes: number;
  /** progressAt is when the consumer last took a message while the queue was full (ms since epoch). */
  readonly progressAt: number;
  /** stall fails the stream: its owner ends it with RESOURCE_EXHAUSTED and the queue drops its messages. */
  stall(): void;
}

/** ReadGateOptions are a connection's receive budgets. */
export interface ReadGateOptions {
  /** stallTimeoutMs is how long a full stream may go without a read before it is failed. */
  stallTimeoutMs: number;
  /** maxConnectionBytes is the budget of unread bytes over all streams of the connection. */
  maxConnectionBytes: number;
  /** largest finds the stream holding the most unread bytes (the one failed when the connection budget stalls). */
  largest?: () => GatedQueue | undefined;
}

/** ReadGate pauses and resumes one connection's reading; see the file comment. */
export class ReadGate {
  /** queuedBytes is the number of unread bytes held by the connection's streams. */
  queuedBytes = 0;
  /** pauses counts how many times reading was paused. */
  pauses = 0;
  /** stalls counts streams failed because they stayed full for the stall timeout. */
  stalls = 0;
  private readonly full = new Set<GatedQueue>();
  private overBudget = false;
  private overBudgetSince = 0;
  private holds = 0;
  private isPaused = false;
  private resumeScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** constructor binds the gate to its source. */
  constructor(
    private readonly source: ReadSource,
    private readonly options: ReadGateOptions,
  ) {}

  /** paused tells whether reading is paused now. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** stallTimeoutMs is how long a stream that holds up the connection may go unread before it is failed. */
  get stallTimeoutMs(): number {
    return this.options.stallTimeoutMs;
  }

  /** fullStreams is the number of streams whose queue is full. */
  get fullStreams(): number {
    return this.full.size;
  }

  /** queueFull is told by a queue that reached its limit. */
  queueFull(q: GatedQueue): void {
    if (this.full.has(q)) return;
    this.full.add(q);
    this.update();
  }

  /** queueSpace is told by a full queue that was read down to half (or dropped). */
  queueSpace(q: GatedQueue): void {
    if (!this.full.delete(q)) return;
    this.update();
  }

  /** added counts bytes that entered a queue. */
  added(n: number): void {
    this.queuedBytes += n;
    if (!this.overBudget && this.queuedBytes >= this.options.maxConnectionBytes) {
      this.overBudget = true;
      this.overBudgetSince = Date.now();
      this.update();
    }
  }

  /** removed counts bytes that left a queue (read or dropped). */
  removed(n: number): void {
    this.queuedBytes -= n;
    if (this.overBudget && this.queuedBytes <= this.options.maxConnectionBytes / 2) {
      this.overBudget = false;
      this.update();
    }
  }

  /** hold pauses reading until a matching release (used while the connection's output is not being read). */
  hold(): void {
    this.holds++;
    this.update();
  }

  /** release undoes one hold. */
  release(): void {
    if (this.holds === 0) return;
    this.holds--;
    this.update();
  }

  /** close stops the gate for good (the connection is gone): no timer, no resume. */
  close(): void {
    this.closed = true;
    this.full.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get blocked(): boolean {
    return this.full.size > 0 || this.overBudget || this.holds > 0;
  }

  private update(): void {
    if (this.closed) return;
    if (this.blocked) {
      if (!this.isPaused) {
        this.isPaused = true;
        this.pauses++;
        this.source.pause();
      }
      if ((this.full.size > 0 || this.overBudget) && this.timer === undefined) this.arm(this.options.stallTimeoutMs);
      return;
    }
    if (this.isPaused && !this.resumeScheduled) {
      this.resumeScheduled = true;
      setImmediate(this.resume);
    }
  }

  private readonly resume = (): void => {
    this.resumeScheduled = false;
    if (this.closed || this.blocked || !this.isPaused) return;
    this.isPaused = false;
    this.source.resume();
  };

  private arm(ms: number): void {
    this.timer = setTimeout(this.checkStalls, Math.max(1, ms));
    this.timer.unref();
  }

  private readonly checkStalls = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    const now = Date.now();
    const limit = this.options.stallTimeoutMs;
    let next = Infinity;
    for (const q of [...this.full]) {
      const idle = now - q.progressAt;
      if (idle >= limit) {
        this.full.delete(q);
        this.stalls++;
        q.stall();
      } else next = Math.min(next, limit - idle);
    }
    if (this.overBudget && this.full.size === 0) {
      const idle = now - this.overBudgetSince;
      if (idle >= limit) {
        const victim = this.options.largest?.();
        this.overBudgetSince = now;
        if (victim) {
          this.stalls++;
          victim.stall();
        }
        if (this.overBudget) next = Math.min(next, limit);
      } else next = Math.min(next, limit - idle);
    }
    if (next !== Infinity && this.timer === undefined) this.arm(next);
    this.update();
  };
}
