import { Code } from '../status/code.js';
import { RpcError } from '../status/rpc-error.js';

/**
 * WriteQueue sits between a push-based source (an Observable) and a reactor
 * that may have only one write outstanding: items wait until the previous
 * write completed. It never drops an item; when more than `limit` items wait,
 * it reports RESOURCE_EXHAUSTED instead of growing without bound.
 */
export class WriteQueue<T> {
  private readonly items: T[] = [];
  private busy = false;
  private closed = false;

  /** constructor takes the write operation and what to do at the end. */
  constructor(
    private readonly write: (item: T) => void,
    private readonly end: () => void,
    private readonly overflow: (e: RpcError) => void,
    private readonly limit = 64,
  ) {}

  /** push offers one item (written now if nothing is in flight). */
  push(item: T): void {
    if (this.closed) return;
    if (!this.busy) {
      this.busy = true;
      this.write(item);
      return;
    }
    if (this.items.length >= this.limit) {
      this.closed = true;
      this.overflow(new RpcError(Code.RESOURCE_EXHAUSTED, `the source emitted faster than the call could send (${this.limit} messages waiting)`));
      return;
    }
    this.items.push(item);
  }

  /** complete ends the queue once every waiting item was written. */
  complete(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.end();
  }

  /** written tells the queue the in-flight write finished; the next item (or the end) follows. */
  written(): void {
    const next = this.items.shift();
    if (next !== undefined) return this.write(next);
    this.busy = false;
    if (this.closed) this.end();
  }

  /** stop drops the queue after a failure (the call ended). */
  stop(): void {
    this.closed = true;
    this.items.length = 0;
  }
}
