import type { CallQueue } from './call-queue.js';

/** INITIAL_CAPACITY is the number of reactions the ring holds before it first grows (a power of two). */
const INITIAL_CAPACITY = 1024;

/** RETAINED_CAPACITY is the largest ring kept once it drains; a bigger one (a past burst) is dropped then. */
const RETAINED_CAPACITY = 1 << 16;

/**
 * ReactionFifo is the scheduler's first-in first-out queue of reactions,
 * stored flat (four slots per reaction: thunk, label, owning queue, final
 * flag) so queueing a reaction allocates nothing per reaction. The slots form
 * a ring whose capacity is a power of two and only grows (doubling, copying
 * the reactions in order): push and shift are O(1) and the steady state
 * allocates nothing, however many calls are in flight. (A list that was
 * emptied and re-grown on every drain, or compacted with slice(), allocated
 * and copied in proportion to the number of reactions queued at once, i.e.
 * to the calls in flight.) A ring that grew past RETAINED_CAPACITY is
 * released when it drains, so a burst does not pin its memory.
 */
export class ReactionFifo {
  private slots: unknown[] = newRing(INITIAL_CAPACITY);
  // Capacity in reactions minus one (capacity is a power of two).
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;

  /** length is the number of queued reactions. */
  get length(): number {
    return this.count;
  }

  /** push appends one reaction. */
  push(run: () => void, label: string | undefined, queue: CallQueue | undefined, final: boolean): void {
    if (this.count > this.mask) this.grow();
    const i = ((this.head + this.count) & this.mask) << 2;
    const s = this.slots;
    s[i] = run;
    s[i + 1] = label;
    s[i + 2] = queue;
    s[i + 3] = final;
    this.count++;
  }

  /** peekRun is the head reaction's thunk, or undefined when empty; the other fields are read with peek* before shift(). */
  peekRun(): (() => void) | undefined {
    return this.count > 0 ? (this.slots[this.head << 2] as () => void) : undefined;
  }

  /** peekLabel is the head reaction's label. */
  peekLabel(): string | undefined {
    return this.slots[(this.head << 2) + 1] as string | undefined;
  }

  /** peekQueue is the head reaction's call queue (undefined for a one-off reaction). */
  peekQueue(): CallQueue | undefined {
    return this.slots[(this.head << 2) + 2] as CallQueue | undefined;
  }

  /** peekFinal tells whether the head reaction is its queue's final one. */
  peekFinal(): boolean {
    return this.slots[(this.head << 2) + 3] as boolean;
  }

  /** shift drops the head reaction. */
  shift(): void {
    if (this.count === 0) return;
    const s = this.slots;
    const h = this.head << 2;
    // Drop the references so a finished call's objects are not kept alive by the ring.
    s[h] = undefined;
    s[h + 1] = undefined;
    s[h + 2] = undefined;
    this.head = (this.head + 1) & this.mask;
    if (--this.count === 0) {
      this.head = 0;
      if (this.mask + 1 > RETAINED_CAPACITY) {
        this.slots = newRing(INITIAL_CAPACITY);
        this.mask = INITIAL_CAPACITY - 1;
      }
    }
  }

  /** grow doubles the ring, copying the queued reactions to its start in order. */
  private grow(): void {
    const old = this.slots;
    const cap = this.mask + 1;
    const next = newRing(cap * 2);
    for (let k = 0; k < this.count; k++) {
      const from = ((this.head + k) & this.mask) << 2;
      const to = k << 2;
      next[to] = old[from];
      next[to + 1] = old[from + 1];
      next[to + 2] = old[from + 2];
      next[to + 3] = old[from + 3];
    }
    this.slots = next;
    this.mask = cap * 2 - 1;
    this.head = 0;
  }
}

/** newRing allocates the slots of a ring of `capacity` reactions (filled, so the array stays packed). */
function newRing(capacity: number): unknown[] {
  return new Array<unknown>(capacity * 4).fill(undefined);
}
