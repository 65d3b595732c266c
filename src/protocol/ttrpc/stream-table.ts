/** MIN_SLOTS is a new table's slot count (a power of two). */
const MIN_SLOTS = 64;

/** MAX_SLOTS bounds a table's slots (a power of two): streams beyond what they hold go to an overflow Map. */
const MAX_SLOTS = 4096;

/**
 * StreamTable maps a connection's open ttrpc stream ids to their calls. It
 * does what a Map<number, T> did (get, set, delete, size, values) but is
 * built for ids handed out in increasing order and mostly retired in about
 * that order: an id lives in slot `(id >>> 1) & mask` of a power-of-two
 * array, so consecutive odd ids fill consecutive slots and a lookup is one
 * array read. Nothing is allocated per stream. (A Map rehashed into a new
 * backing table every few hundred calls, with a table sized by the streams
 * open: its allocation and rehashing grew with the number of calls in
 * flight.) The table doubles while it is at least half full, up to
 * MAX_SLOTS; an id whose slot is taken by an older stream still open goes to
 * an overflow Map. Ids are uint32 and never 0.
 */
export class StreamTable<T> {
  private ids = new Uint32Array(MIN_SLOTS);
  private calls: Array<T | undefined> = new Array<T | undefined>(MIN_SLOTS).fill(undefined);
  private mask = MIN_SLOTS - 1;
  private count = 0;
  private overflow: Map<number, T> | undefined = undefined;

  /** size is the number of streams in the table. */
  get size(): number {
    return this.count + (this.overflow === undefined ? 0 : this.overflow.size);
  }

  /** get returns the stream's call, or undefined. */
  get(id: number): T | undefined {
    if (id === 0) return undefined;
    const i = (id >>> 1) & this.mask;
    if (this.ids[i] === id) return this.calls[i];
    return this.overflow === undefined ? undefined : this.overflow.get(id);
  }

  /** set adds a stream (its id is not in the table). */
  set(id: number, call: T): void {
    if (this.count * 2 >= this.mask + 1 && this.mask + 1 < MAX_SLOTS) this.grow();
    this.place(id, call);
  }

  /** delete removes a stream; returns whether it was there. */
  delete(id: number): boolean {
    if (id === 0) return false;
    const i = (id >>> 1) & this.mask;
    if (this.ids[i] === id) {
      this.ids[i] = 0;
      this.calls[i] = undefined;
      this.count--;
      return true;
    }
    return this.overflow !== undefined && this.overflow.delete(id);
  }

  /** values returns the calls of every stream in the table, by increasing id (the order a Map filled in id order gives), in a new array. */
  values(): T[] {
    const ids: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.ids[i] !== 0) ids.push(this.ids[i]!);
    if (this.overflow !== undefined) for (const id of this.overflow.keys()) ids.push(id);
    ids.sort((a, b) => a - b);
    return ids.map((id) => this.get(id)!);
  }

  /** clear empties the table. */
  clear(): void {
    this.ids.fill(0);
    this.calls.fill(undefined);
    this.count = 0;
    this.overflow = undefined;
  }

  private place(id: number, call: T): void {
    const i = (id >>> 1) & this.mask;
    if (this.ids[i] === 0) {
      this.ids[i] = id;
      this.calls[i] = call;
      this.count++;
    } else (this.overflow ??= new Map()).set(id, call);
  }

  /** grow doubles the slots and places every stream again (overflowed ones included, which may now fit). */
  private grow(): void {
    const ids = this.ids;
    const calls = this.calls;
    const overflow = this.overflow;
    const slots = (this.mask + 1) * 2;
    this.ids = new Uint32Array(slots);
    this.calls = new Array<T | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
    this.count = 0;
    this.overflow = undefined;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) this.place(ids[i]!, calls[i]!);
    if (overflow !== undefined) for (const [id, c] of overflow) this.place(id, c);
  }
}
