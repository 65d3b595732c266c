/**
 * EchoLoop is the driver shared by the benchmark sides that complete calls
 * through callbacks (listeners, reactors) rather than promises: it keeps N
 * calls in flight, starts a new one from each completion, and stops after
 * the round's time, waiting for the calls still in flight.
 */
import { Code } from '../src/status/code.js';
import type { Status } from '../src/status/status.js';
import type { EchoDriver, RoundResult } from './stats.js';

/** EchoLoop runs echo rounds; a subclass starts one call per startCall() and reports its end through done(). */
export abstract class EchoLoop implements EchoDriver {
  /** trackLatency is set for sequential rounds. */
  trackLatency = false;
  private calls = 0;
  private outstanding = 0;
  private stopped = true;
  private latencies: number[] = [];
  private finish: ((err?: Error) => void) | undefined;

  /** constructor stores the request body of every call. */
  constructor(
    /** payload is the request body of every call. */
    readonly payload: Uint8Array,
    private readonly name: string,
  ) {}

  /** run keeps `inflight` calls outstanding for `seconds`, then drains them. */
  run(inflight: number, seconds: number, trackLatency: boolean): Promise<RoundResult> {
    this.calls = 0;
    this.latencies = [];
    this.trackLatency = trackLatency;
    this.stopped = false;
    const start = performance.now();
    const timer = setTimeout(() => (this.stopped = true), seconds * 1000);
    return new Promise((resolve, reject) => {
      this.finish = (err) => {
        clearTimeout(timer);
        this.finish = undefined;
        if (err) reject(err);
        else resolve({ calls: this.calls, seconds: (performance.now() - start) / 1000, latenciesMs: this.latencies });
      };
      for (let i = 0; i < inflight; i++) this.next();
    });
  }

  /** done is called once per finished call with its status, its reply and its start time (performance.now(), or 0 when latency is not tracked). */
  done(s: Status, reply: Uint8Array | null | undefined, t0: number): void {
    this.outstanding--;
    if (s.code !== Code.OK || reply == null || reply.byteLength !== this.payload.byteLength) {
      this.stopped = true;
      this.finish?.(new Error(`${this.name}: status ${s.code} ${s.message}, reply ${reply?.byteLength ?? 'none'}`));
      return;
    }
    this.calls++;
    if (this.trackLatency) this.latencies.push(performance.now() - t0);
    if (!this.stopped) this.next();
    else if (this.outstanding === 0) this.finish?.();
  }

  /** close closes the connection. */
  abstract close(): void;

  /** startCall starts one call that ends with done(). */
  protected abstract startCall(): void;

  private next(): void {
    this.outstanding++;
    this.startCall();
  }
}
