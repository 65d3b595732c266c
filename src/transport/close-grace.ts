import type { Conn } from './conn.js';

/** DEFAULT_CLOSE_GRACE_MS is how long a closed connection may wait for its peer before it is destroyed (1 s). */
export const DEFAULT_CLOSE_GRACE_MS = 1000;

// One Node timer takes at most 2^31 - 1 ms; a longer grace is as good as that.
const MAX_GRACE_MS = 2 ** 31 - 1;

/** checkCloseGrace throws RangeError unless `ms` is a number >= 0 (Infinity allowed). */
export function checkCloseGrace(ms: number): void {
  if (!(ms >= 0)) throw new RangeError('closeGraceMs must be >= 0');
}

/**
 * destroyAfterGrace ends a closing connection for good: close() flushes and
 * half-closes, and the connection is gone only once the peer ends its side
 * too. A peer that never does (hung, or not reading) would keep the socket,
 * and the process, alive; so if the connection is still open after `graceMs`
 * it is destroyed (queued bytes dropped). The timer is unref'd: it never
 * keeps the process alive by itself. Infinity waits for the peer forever.
 */
export function destroyAfterGrace(conn: Conn, graceMs: number = DEFAULT_CLOSE_GRACE_MS): void {
  if (conn.closed || graceMs === Infinity) return;
  if (graceMs <= 0) return conn.destroy();
  setTimeout(() => conn.destroy(), Math.min(graceMs, MAX_GRACE_MS)).unref();
}
