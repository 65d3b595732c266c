// A live status line for long-running commands: calls per second, totals and
// errors, redrawn in place on a terminal and silent when output is piped.

/** ProgressStream is the part of a tty.WriteStream a Progress needs. */
export interface ProgressStream {
  /** isTTY is true on a terminal. */
  readonly isTTY?: boolean;
  /** write writes text. */
  write(text: string): boolean;
}

/**
 * Progress counts calls and, on a terminal, redraws one status line every
 * interval: `12,345 calls/s · 1,000,000 calls · 3 errors`. Lines printed
 * through print() appear above it. When the stream is not a terminal it
 * prints nothing of its own.
 */
export class Progress {
  private calls = 0;
  private errors = 0;
  private lastCalls = 0;
  private lastAt = Date.now();
  private rate = 0;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  /** constructor attaches to a stream (default stderr); `label` prefixes the status line. */
  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly label = '',
    private readonly intervalMs = 1000,
  ) {}

  /** enabled tells whether the status line is shown (the stream is a terminal). */
  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** start begins redrawing (no-op when not enabled). */
  start(): this {
    if (!this.enabled || this.timer) return this;
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** record counts one finished call. */
  record(ok: boolean): void {
    this.calls++;
    if (!ok) this.errors++;
  }

  /** totals returns the counts so far. */
  totals(): { calls: number; errors: number } {
    return { calls: this.calls, errors: this.errors };
  }

  /** print writes a full line to `out`, above the status line when both share the terminal. */
  print(line: string, out: ProgressStream = process.stdout): void {
    const shared = this.drawn && out.isTTY === true;
    if (shared) this.stream.write('\r\x1b[K');
    out.write(`${line}\n`);
    if (shared) this.draw();
  }

  /** stop ends redrawing and clears the status line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** line renders the status line. */
  line(): string {
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const text = `${n(this.rate)} calls/s · ${n(this.calls)} calls · ${n(this.errors)} error${this.errors === 1 ? '' : 's'}`;
    return this.label ? `${this.label} ${text}` : text;
  }

  private tick(): void {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.lastAt) / 1000);
    this.rate = (this.calls - this.lastCalls) / secs;
    this.lastCalls = this.calls;
    this.lastAt = now;
    this.draw();
  }

  private draw(): void {
    this.stream.write(`\r\x1b[K${this.line()}`);
    this.drawn = true;
  }
}
