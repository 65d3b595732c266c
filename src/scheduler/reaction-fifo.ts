import type { CallQueue, CodedReactions } from './call-queue.js';

/** INITIAL_CAPACITY is the number of reactions the ring holds before it first grows (a power of two). */
const INITIAL_CAPACITY = 1024;

/** SLOTS is the number of array slots one reaction takes. */
const SLOTS = 5;

/** RETAINED_CAPACITY is the largest ring kept once it drains; a bigger one (a past burst) is dropped then. */
const RETAINED_CAPACITY = 1 << 16;

/**
 * ReactionFifo is the scheduler's first-in first-out queue of reactions,
 * stored flat (five slots per reaction: thunk or coded target, label, owning
 * queue, final flag, reaction code) so queueing a reaction allocates nothing
 * per reaction, a coded one (CallQueue.pushCode) not even a closure. The
 * slots form a ring whose capacity is a power of two and only grows (doubling, copying
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
  push(run: (() => void) | CodedReactions, label: string | undefined, queue: CallQueue | undefined, final: boolean, code = 0): void {
    if (this.count > this.mask) this.grow();
    const i = ((this.head + this.count) & this.mask) * SLOTS;
    const s = this.slots;
    s[i] = run;
    s[i + 1] = label;
    s[i + 2] = queue;
    s[i + 3] = final;
    s[i + 4] = code;
    this.count++;
  }

  /** peekRun is the head reaction's thunk (or coded target), or undefined when empty; the other fields are read with peek* before shift(). */
  peekRun(): (() => void) | CodedReactions | undefined {
    return this.count > 0 ? (this.slots[this.head * SLOTS] as () => void) : undefined;
  }

  /** peekLabel is the head reaction's label. */
  peekLabel(): string | undefined {
    return this.slots[this.head * SLOTS + 1] as string | undefined;
  }

  /** peekQueue is the head reaction's call queue (undefined for a one-off reaction). */
  peekQueue(): CallQueue | undefined {
    return this.slots[this.head * SLOTS + 2] as CallQueue | undefined;
  }

  /** peekFinal tells whether the head reaction is its queue's final one. */
  peekFinal(): boolean {
    return this.slots[this.head * SLOTS + 3] as boolean;
  }

  /** peekCode is the head reaction's code (for a coded target). */
  peekCode(): number {
    return this.slots[this.head * SLOTS + 4] as number;
  }

  /** shift drops the head reaction. */
  shift(): void {
    if (this.count === 0) return;
    const s = this.slots;
    const h = this.head * SLOTS;
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
      const from = ((this.head + k) & this.mask) * SLOTS;
      const to = k * SLOTS;
      for (let j = 0; j < SLOTS; j++) next[to + j] = old[from + j];
    }
    this.slots = next;
    this.mask = cap * 2 - 1;
    this.head = 0;
  }
}

/** newRing allocates the slots of a ring of `capacity` reactions (filled, so the array stays packed). */
function newRing(capacity: number): unknown[] {
  return new Array<unknown>(capacity * SLOTS).fill(undefined);
}
