/** MetadataInit is anything a Metadata can be built from. */
export type MetadataInit = Metadata | Iterable<readonly [string, string]> | Record<string, string | readonly string[]>;

/**
 * Metadata is a multi-valued map of string keys to string values. Keys are
 * lowercased when added; lookups are case-insensitive; the order of values
 * within one key is preserved. It maps to ttrpc `KeyValue` entries and to drpc
 * invoke metadata (where the last value of a key wins).
 */
export class Metadata {
  private readonly map = new Map<string, string[]>();

  /** constructor copies entries from an init value. */
  constructor(init?: MetadataInit) {
    if (!init) return;
    if (init instanceof Metadata) {
      for (const [k, v] of init.map) this.map.set(k, [...v]);
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, string]>) this.append(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (typeof v === 'string') this.append(k, v);
        else for (const x of v) this.append(k, x);
      }
    }
  }

  /** append adds a value under a (lowercased) key. */
  append(key: string, value: string): this {
    const k = key.toLowerCase();
    const list = this.map.get(k);
    if (list) list.push(value);
    else this.map.set(k, [value]);
    return this;
  }

  /** set replaces every value of a key with one value. */
  set(key: string, value: string): this {
    this.map.set(key.toLowerCase(), [value]);
    return this;
  }

  /** get returns the first value of a key, or undefined. */
  get(key: string): string | undefined {
    return this.map.get(key.toLowerCase())?.[0];
  }

  /** getAll returns every value of a key in the order they were added. */
  getAll(key: string): string[] {
    return [...(this.map.get(key.toLowerCase()) ?? [])];
  }

  /** has tells whether a key has at least one value. */
  has(key: string): boolean {
    return this.map.has(key.toLowerCase());
  }

  /** delete removes a key and its values. */
  delete(key: string): boolean {
    return this.map.delete(key.toLowerCase());
  }

  /** size is the number of distinct keys. */
  get size(): number {
    return this.map.size;
  }

  /** keys lists the distinct keys in insertion order. */
  keys(): string[] {
    return [...this.map.keys()];
  }

  /** entries yields one [key, value] pair per value, keys in insertion order. */
  *entries(): IterableIterator<[string, string]> {
    for (const [k, list] of this.map) for (const v of list) yield [k, v];
  }

  /** [Symbol.iterator] is the same as entries(). */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** toRecord returns a plain object of key → values. */
  toRecord(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of this.map) out[k] = [...v];
    return out;
  }

  /** clone returns an independent copy. */
  clone(): Metadata {
    return new Metadata(this);
  }
}
