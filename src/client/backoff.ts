// Connection backoff as gRPC specifies it (connection-backoff.md): the delay
// before the next connection attempt grows by a multiplier up to a maximum,
// each delay jittered, and a dial is given at least a minimum connect timeout.

/** BackoffOptions tune reconnection; every field is optional (defaults are gRPC's). */
export interface BackoffOptions {
  /** initialMs is the delay after the first failed attempt (default 1000). */
  initialMs?: number;
  /** multiplier grows the delay after each further failure (default 1.6). */
  multiplier?: number;
  /** maxMs caps the delay (default 120 000). */
  maxMs?: number;
  /** jitter spreads each delay by ± this fraction (default 0.2). */
  jitter?: number;
  /** minConnectTimeoutMs is the least time one connection attempt is given (default 20 000; a client's dialTimeoutMs wins when set). */
  minConnectTimeoutMs?: number;
}

/** ResolvedBackoff is BackoffOptions with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** BACKOFF_DEFAULTS are gRPC's connection-backoff defaults. */
export const BACKOFF_DEFAULTS: ResolvedBackoff = Object.freeze({ initialMs: 1000, multiplier: 1.6, maxMs: 120_000, jitter: 0.2, minConnectTimeoutMs: 20_000 });

/** resolveBackoff fills in the defaults; throws RangeError for a bad value. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const r: ResolvedBackoff = { ...BACKOFF_DEFAULTS, ...stripUndefined(options) };
  if (!(r.initialMs >= 0 && Number.isFinite(r.initialMs))) throw new RangeError('backoff.initialMs must be a finite number >= 0');
  if (!(r.multiplier >= 1 && Number.isFinite(r.multiplier))) throw new RangeError('backoff.multiplier must be a finite number >= 1');
  if (!(r.maxMs >= r.initialMs && Number.isFinite(r.maxMs))) throw new RangeError('backoff.maxMs must be a finite number >= initialMs');
  if (!(r.jitter >= 0 && r.jitter < 1)) throw new RangeError('backoff.jitter must be in [0, 1)');
  if (!(r.minConnectTimeoutMs > 0)) throw new RangeError('backoff.minConnectTimeoutMs must be > 0');
  return r;
}

function stripUndefined(o: BackoffOptions): BackoffOptions {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as number;
  return out;
}

/** Backoff yields the jittered delays of consecutive failed attempts; reset() after a success. */
export class Backoff {
  private current: number;

  /** constructor starts at the initial delay. */
  constructor(private readonly options: ResolvedBackoff) {
    this.current = options.initialMs;
  }

  /** next returns the delay before the next attempt and grows the following one. */
  next(): number {
    const { jitter, multiplier, maxMs } = this.options;
    const delay = this.current * (1 + jitter * (Math.random() * 2 - 1));
    this.current = Math.min(this.current * multiplier, maxMs);
    return Math.max(0, delay);
  }

  /** reset starts over at the initial delay (a connection was made). */
  reset(): void {
    this.current = this.options.initialMs;
  }
}
