// The journey matcher's table of open journeys (journeys.ts).

/**
 * Values by a 32-bit hash of their key: open addressing with linear probing, and deletion by
 * shifting the run back (no tombstones). A lookup walks the values of equal hash and asks
 * `same` whether one is the key's: two keys whose hashes collide stay apart. Nothing is
 * allocated per lookup, as a Map keyed by the identity would need (a string, or a number too
 * wide for a small integer). It grows at half full and never shrinks: its size follows the
 * most values held at once.
 */
export class KeyTable<V, K> {
  private hashes = new Int32Array(1024);
  private values: (V | undefined)[] = new Array<V | undefined>(1024).fill(undefined);
  private mask = 1023;
  private count = 0;

  constructor(private readonly same: (value: V, key: K) => boolean) {}

  get size(): number {
    return this.count;
  }

  /** The value held for `key`, whose hash is `hash`. */
  get(hash: number, key: K): V | undefined {
    const values = this.values;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const value = values[i];
      if (value === undefined || (this.hashes[i] === hash && this.same(value, key))) return value;
    }
  }

  /** Holds `value` under `hash`: its key must not be held yet. */
  add(hash: number, value: V): void {
    if (2 * (this.count + 1) > this.values.length) this.grow();
    let i = hash & this.mask;
    while (this.values[i] !== undefined) i = (i + 1) & this.mask;
    this.count++;
    this.hashes[i] = hash;
    this.values[i] = value;
  }

  /** Puts `value` where `held` (held under `hash`) was. */
  replace(hash: number, held: V, value: V): void {
    this.values[this.slotOf(hash, held)] = value;
  }

  /** Lets go of `held`, held under `hash`. */
  delete(hash: number, held: V): void {
    const mask = this.mask;
    let hole = this.slotOf(hash, held);
    this.count--;
    // Move back each later value of the run whose home slot is not between the hole and it.
    for (let j = (hole + 1) & mask; this.values[j] !== undefined; j = (j + 1) & mask) {
      const home = this.hashes[j]! & mask;
      if (((j - home) & mask) < ((j - hole) & mask)) continue;
      this.hashes[hole] = this.hashes[j]!;
      this.values[hole] = this.values[j];
      hole = j;
    }
    this.values[hole] = undefined;
  }

  /** Each value held, in no particular order. */
  forEach(fn: (value: V) => void): void {
    for (const value of this.values) if (value !== undefined) fn(value);
  }

  private slotOf(hash: number, held: V): number {
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const value = this.values[i];
      if (value === held) return i;
      if (value === undefined) throw new Error('KeyTable: the value is not held');
    }
  }

  private grow(): void {
    const { hashes, values } = this;
    const size = values.length * 2;
    this.hashes = new Int32Array(size);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.count = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== undefined) this.add(hashes[i]!, values[i]!);
  }
}
