interface Slot<V> {
  value: V;
  cost: number;
  /** Read (or rewritten) since it was last inserted or passed over by eviction. */
  used: boolean;
}

/**
 * A size-bounded map with least-recently-used eviction, approximated by second chance
 * (CLOCK): each value has a cost (approximate bytes); when the total exceeds `maxCost`,
 * entries are evicted oldest first down to 90% of it, except that an entry read since it
 * was inserted or last passed over is kept once more (moved to the young end, its mark
 * cleared). A read only sets a flag: no delete and reinsert of the JS Map entry on the hot
 * path (a Map keeps insertion order, which is the age order here).
 */
export class LruMap<K, V> {
  readonly #map = new Map<K, Slot<V>>();
  #total = 0;
  readonly maxCost: number;
  evictions = 0;

  constructor(maxCost: number) {
    this.maxCost = maxCost;
  }

  get size(): number {
    return this.#map.size;
  }

  get cost(): number {
    return this.#total;
  }

  /** Gets and marks as recently used. */
  get(key: K): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  /** Gets without touching recency. */
  peek(key: K): V | undefined {
    return this.#map.get(key)?.value;
  }

  /**
   * Stores `value`; replacing a key's value counts as a use of it (its age is kept). Room for a new entry is made
   * before it goes in, so it is never the one evicted; an entry costlier than `maxCost` is not stored.
   */
  set(key: K, value: V, cost: number): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#total += cost - old.cost;
      old.value = value;
      old.cost = cost;
      old.used = true;
      if (this.#total > this.maxCost) this.#evict(0);
      return;
    }
    if (cost > this.maxCost) {
      this.evictions++;
      return;
    }
    if (this.#total + cost > this.maxCost) this.#evict(cost);
    this.#map.set(key, { value, cost, used: false });
    this.#total += cost;
  }

  delete(key: K): boolean {
    const old = this.#map.get(key);
    if (old === undefined) return false;
    this.#total -= old.cost;
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#total = 0;
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, e] of this.#map) yield [k, e.value];
  }

  /** Evicts until `room` more fits under 90% of the bound. */
  #evict(room: number): void {
    const target = this.maxCost * 0.9 - room;
    // Every entry is passed over at most once (its mark is cleared as it moves to the young end), so this ends
    // within two sweeps of the map even when every entry was used.
    for (const [k, e] of this.#map) {
      if (this.#total <= target) break;
      this.#map.delete(k);
      if (e.used) {
        e.used = false;
        this.#map.set(k, e);
        continue;
      }
      this.#total -= e.cost;
      this.evictions++;
    }
  }
}
