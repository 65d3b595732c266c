// ConnGuard: the connection hygiene of a server (idle connections and frames
// that start but never complete), checked by one coarse sweeper per server
// rather than by anything on the receive path.

/** DEFAULT_FRAME_TIMEOUT_MS is how long a server lets a started frame go incomplete before it closes the connection (30 s). */
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;

/** GuardedSession is what a ConnGuard reads of a served connection (protocol sessions have these members). */
export interface GuardedSession {
  /** activeCalls is the number of calls in progress. */
  readonly activeCalls: number;
  /** framesReceived counts the frames received so far. */
  readonly framesReceived: number;
  /** partialFrame tells whether part of a frame arrived and the rest is awaited. */
  readonly partialFrame: boolean;
  /** close ends the connection cleanly (flushes, then closes). */
  close(): void;
  /** destroy drops the connection at once. */
  destroy(error: Error): void;
}

/** ConnGuardOptions configure a ConnGuard; 0 or Infinity turns a check off. */
export interface ConnGuardOptions {
  /** idleTimeoutMs closes a connection that had no call in progress and received no frame for this long (default 0: off). */
  idleTimeoutMs?: number;
  /** frameTimeoutMs destroys a connection that holds a partially received frame for this long (default 30 s). */
  frameTimeoutMs?: number;
}

/** ConnGuardStats counts the connections a ConnGuard closed. */
export interface ConnGuardStats {
  /** closedIdle counts connections closed by idleTimeoutMs. */
  closedIdle: number;
  /** closedFrameTimeout counts connections destroyed by frameTimeoutMs. */
  closedFrameTimeout: number;
}

interface Entry {
  session: GuardedSession;
  frames: number;
  idleSince: number;
  partialSince: number | undefined;
}

/** checkTimeout throws RangeError unless `ms` is a number >= 0 (Infinity allowed). */
function checkTimeout(name: string, ms: number): void {
  if (!(ms >= 0)) throw new RangeError(`${name} must be >= 0 (0 or Infinity: off)`);
}

const off = (ms: number): boolean => ms === 0 || ms === Infinity;

/**
 * ConnGuard watches a server's connections with one unref'd timer that
 * sweeps them every quarter of the shortest timeout, so a limit takes effect
 * between 1 and about 1.5 times its value. A connection is idle while no call
 * is in progress, no frame arrives and no frame is partly received; an idle
 * one is closed cleanly (ttrpc and drpc have no goodbye: the client sees the
 * connection end). A frame counts as stuck while the connection holds part
 * of it and no frame completes; time the session itself pauses reading
 * (backpressure) does not count. A sweep that runs late because the event
 * loop was blocked decides nothing: data may be waiting unread.
 */
export class ConnGuard {
  private readonly idleMs: number;
  private readonly frameMs: number;
  private readonly entries = new Map<object, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = 0;
  /** intervalMs is the sweep period (0 when every check is off). */
  readonly intervalMs: number;
  /** stats counts the connections closed so far. */
  readonly stats: ConnGuardStats = { closedIdle: 0, closedFrameTimeout: 0 };

  /** constructor checks the options; throws RangeError for a negative or non-numeric timeout. */
  constructor(options: ConnGuardOptions = {}) {
    this.idleMs = options.idleTimeoutMs ?? 0;
    this.frameMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
    checkTimeout('idleTimeoutMs', this.idleMs);
    checkTimeout('frameTimeoutMs', this.frameMs);
    const shortest = Math.min(off(this.idleMs) ? Infinity : this.idleMs, off(this.frameMs) ? Infinity : this.frameMs);
    this.intervalMs = shortest === Infinity ? 0 : Math.min(Math.max(shortest / 4, 5), 2 ** 31 - 1);
  }

  /** watch starts (or, for a key already watched, continues with a new session) guarding a connection; `key` identifies it. */
  watch(key: object, session: GuardedSession): void {
    if (this.intervalMs === 0) return;
    const e = this.entries.get(key);
    if (e !== undefined) {
      e.session = session;
      e.frames = session.framesReceived;
      return;
    }
    this.entries.set(key, { session, frames: session.framesReceived, idleSince: performance.now(), partialSince: undefined });
    if (this.timer === undefined) {
      this.lastSweep = performance.now();
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** forget stops guarding a connection (it closed). */
  forget(key: object): void {
    if (!this.entries.delete(key) || this.entries.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** close stops guarding every connection. */
  close(): void {
    this.entries.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = performance.now();
    const late = now - this.lastSweep > 2 * this.intervalMs;
    this.lastSweep = now;
    for (const [key, e] of this.entries) {
      const s = e.session;
      const frames = s.framesReceived;
      const progressed = frames !== e.frames;
      const partial = s.partialFrame;
      e.frames = frames;
      if (progressed || partial || s.activeCalls > 0) e.idleSince = now;
      if (!partial) e.partialSince = undefined;
      else if (progressed || e.partialSince === undefined) e.partialSince = now;
      if (late) continue;
      if (!off(this.frameMs) && e.partialSince !== undefined && now - e.partialSince >= this.frameMs) {
        this.forget(key);
        this.stats.closedFrameTimeout++;
        s.destroy(new Error(`a frame stayed incomplete for ${this.frameMs} ms (frameTimeoutMs)`));
      } else if (!off(this.idleMs) && now - e.idleSince >= this.idleMs) {
        this.forget(key);
        this.stats.closedIdle++;
        s.close();
      }
    }
  }
}

/** WatchedSession is the part of a protocol session a guard reads. */
export interface WatchedSession {
  /** activeCalls is the number of calls in progress. */
  readonly activeCalls: number;
  /** framesReceived counts the frames received so far. */
  readonly framesReceived: number;
  /** partialFrame tells whether part of a frame arrived and the rest is awaited. */
  readonly partialFrame: boolean;
  /** close ends the connection cleanly. */
  close(): void;
}

/** guardedSession adapts a protocol session and its connection to what a ConnGuard reads. */
export function guardedSession(session: WatchedSession, conn: { destroy(error?: Error): void }): GuardedSession {
  return {
    get activeCalls() {
      return session.activeCalls;
    },
    get framesReceived() {
      return session.framesReceived;
    },
    get partialFrame() {
      return session.partialFrame;
    },
    close: () => session.close(),
    destroy: (error) => conn.destroy(error),
  };
}
