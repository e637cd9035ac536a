/**
 * A size-bounded LRU map. Each value has a cost (approximate bytes); when the total
 * exceeds `maxCost` the least recently used entries are evicted. A JS Map keeps
 * insertion order, so "touch" is delete + set.
 */
export class LruMap<K, V> {
  readonly #map = new Map<K, { value: V; cost: number }>();
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
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  /** Gets without touching recency. */
  peek(key: K): V | undefined {
    return this.#map.get(key)?.value;
  }

  set(key: K, value: V, cost: number): void {
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#total -= old.cost;
      this.#map.delete(key);
    }
    this.#map.set(key, { value, cost });
    this.#total += cost;
    if (this.#total > this.maxCost) this.#evict();
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

  #evict(): void {
    for (const [k, e] of this.#map) {
      if (this.#total <= this.maxCost * 0.9) break;
      this.#map.delete(k);
      this.#total -= e.cost;
      this.evictions++;
    }
  }
}
