/**
 * Fifo is an array-backed first-in first-out queue with amortised O(1)
 * push and shift (Array.prototype.shift is O(n) on long arrays).
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** length is the number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** push appends one item at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** shift removes and returns the item at the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Drop the consumed prefix once it is at least half of the array.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
