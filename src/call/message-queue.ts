/**
 * MessageQueue is a single-consumer async iterable fed by push(), end() and
 * fail(). `pull`, when given, is asked for one more item each time the
 * consumer waits on an empty queue (a pull-based source, e.g. one request()
 * credit); `taken` is told each time the consumer takes an item (a write
 * acknowledgement); `returned` is told when the consumer stops early. Used
 * by the message-interceptor bridges. @internal
 */
export class MessageQueue<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private items: T[] = [];
  private done = false;
  private failed = false;
  private error: unknown = undefined;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined = undefined;

  /** constructor takes the optional pull, taken and returned hooks. */
  constructor(
    private readonly pull?: () => void,
    private readonly taken?: () => void,
    private readonly returned?: () => void,
  ) {}

  /** push adds an item (false once the queue ended or failed). */
  push(item: T): boolean {
    if (this.done || this.failed) return false;
    const w = this.waiter;
    if (w === undefined) {
      this.items.push(item);
      return true;
    }
    this.waiter = undefined;
    this.taken?.();
    w.resolve({ value: item, done: false });
    return true;
  }

  /** end ends the stream after the queued items. */
  end(): void {
    if (this.done || this.failed) return;
    this.done = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  /** fail makes the consumer's next read (after the queued items) throw `e`. */
  fail(e: unknown): void {
    if (this.done || this.failed) return;
    this.failed = true;
    this.error = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  /** pending is the number of items pushed and not taken yet. */
  get pending(): number {
    return this.items.length;
  }

  /** next implements AsyncIterator. */
  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      this.taken?.();
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    }
    if (this.failed) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('next() called while a previous next() is pending'));
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pull?.();
    });
  }

  /** return implements AsyncIterator: the consumer stops; queued items are dropped. */
  return(): Promise<IteratorResult<T>> {
    if (!this.done && !this.failed) {
      this.done = true;
      this.items.length = 0;
      this.returned?.();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** [Symbol.asyncIterator] returns the queue itself (single consumer). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}
