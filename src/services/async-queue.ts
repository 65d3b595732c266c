/**
 * PullStream is an async iterable fed by a producer that is asked for one item
 * at a time: each next() calls `pull` once and waits for `push`, `end` or
 * `fail`. Consumption is the backpressure: nothing is requested ahead.
 */
export class PullStream<T> implements AsyncIterable<T> {
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private finished = false;
  private error: unknown;
  private failed = false;

  /** constructor takes the function that requests the next item. */
  constructor(
    private readonly pull: () => void,
    private readonly onReturn: () => void = () => undefined,
  ) {}

  /** push answers the outstanding pull with an item. */
  push(item: T): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: item, done: false });
  }

  /** end answers the outstanding and all later pulls with done (ignored after fail). */
  end(): void {
    if (this.failed) return;
    this.finished = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  /** fail rejects the outstanding and all later pulls (ignored once the stream ended or the consumer returned). */
  fail(e: unknown): void {
    if (this.finished || this.failed) return;
    this.failed = true;
    this.error = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  /** [Symbol.asyncIterator] returns the single-consumer iterator. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.failed) return Promise.reject(this.error);
        if (this.finished) return Promise.resolve({ value: undefined, done: true });
        if (this.waiter) return Promise.reject(new Error('next() called while a previous next() is pending'));
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          this.waiter = { resolve, reject };
          this.pull();
        });
      },
      return: () => {
        if (!this.finished) {
          this.finished = true;
          this.onReturn();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
