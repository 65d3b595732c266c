import type { CallQueue } from './call-queue.js';

/**
 * ReactionFifo is the scheduler's first-in first-out queue of reactions,
 * stored flat (four slots per reaction: thunk, label, owning queue, final
 * flag) so queueing a reaction allocates nothing per reaction. Push and
 * shift are amortised O(1); the consumed prefix is dropped once it is at
 * least half of the array.
 */
export class ReactionFifo {
  private slots: unknown[] = [];
  private head = 0;

  /** length is the number of queued reactions. */
  get length(): number {
    return (this.slots.length - this.head) >> 2;
  }

  /** push appends one reaction. */
  push(run: () => void, label: string | undefined, queue: CallQueue | undefined, final: boolean): void {
    this.slots.push(run, label, queue, final);
  }

  /** peekRun is the head reaction's thunk, or undefined when empty; the other fields are read with peek* before shift(). */
  peekRun(): (() => void) | undefined {
    return this.head < this.slots.length ? (this.slots[this.head] as () => void) : undefined;
  }

  /** peekLabel is the head reaction's label. */
  peekLabel(): string | undefined {
    return this.slots[this.head + 1] as string | undefined;
  }

  /** peekQueue is the head reaction's call queue (undefined for a one-off reaction). */
  peekQueue(): CallQueue | undefined {
    return this.slots[this.head + 2] as CallQueue | undefined;
  }

  /** peekFinal tells whether the head reaction is its queue's final one. */
  peekFinal(): boolean {
    return this.slots[this.head + 3] as boolean;
  }

  /** shift drops the head reaction. */
  shift(): void {
    const s = this.slots;
    const h = this.head;
    if (h >= s.length) return;
    s[h] = undefined;
    s[h + 1] = undefined;
    s[h + 2] = undefined;
    this.head = h + 4;
    if (this.head === s.length) {
      s.length = 0;
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= s.length) {
      this.slots = s.slice(this.head);
      this.head = 0;
    }
  }
}
