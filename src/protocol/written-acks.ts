import type { Conn } from '../transport/conn.js';

/** SPENT_MAX is how many released batches may stay at the head of the list before they are dropped. */
const SPENT_MAX = 256;

/**
 * WrittenAcks holds the acknowledgements of flushes written while the
 * connection was over its high-water mark, oldest first, and runs each batch
 * once the connection's whenWritten reports that the kernel took that
 * flush's bytes, not at a full drain, which a connection kept busy by other
 * calls may never reach. Watches fire in the order they were set, so batches
 * run in order.
 */
export class WrittenAcks<A> {
  private batches: A[][] = [];
  private head = 0;
  private closed = false;

  /** constructor binds the batches to a connection; `run` runs one released ack. */
  constructor(
    private readonly conn: Conn,
    private readonly run: (ack: A) => void,
  ) {}

  /** empty is true when no batch is waiting. */
  get empty(): boolean {
    return this.head === this.batches.length;
  }

  /** hold keeps a flush's acks until the kernel took every byte written so far; false (nothing kept) when the connection has no whenWritten. */
  hold(acks: A[]): boolean {
    if (this.conn.whenWritten === undefined || this.closed) return false;
    this.batches.push(acks);
    this.conn.whenWritten(this.release);
    return true;
  }

  /** takeAll ends the batches and returns every ack still waiting, oldest first (watches that fire later run nothing). */
  takeAll(): A[] {
    const out = this.batches.slice(this.head).flat() as A[];
    this.batches = [];
    this.head = 0;
    this.closed = true;
    return out;
  }

  // release runs the oldest batch.
  private readonly release = (): void => {
    if (this.closed || this.head === this.batches.length) return;
    const acks = this.batches[this.head]!;
    this.batches[this.head++] = [];
    if (this.head === this.batches.length) {
      this.batches = [];
      this.head = 0;
    } else if (this.head >= SPENT_MAX && this.head * 2 >= this.batches.length) {
      // Under constant load some batch is always waiting: drop the spent head now and then.
      this.batches.splice(0, this.head);
      this.head = 0;
    }
    for (const a of acks) this.run(a);
  };
}
