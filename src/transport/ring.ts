/**
 * A FIFO queue on a growable ring buffer: push and shift are O(1) amortised, with no `Array.shift` (which is O(n)
 * on large arrays) on the hot path (like undici's fixed-queue). Capacity is a power of two and doubles when full.
 */
export class RingQueue<T> {
  #buf: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  constructor(initialCapacity = 16) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.#buf = new Array(cap);
    this.#mask = cap - 1;
  }

  get length(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head];
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const old = this.#buf;
    const cap = old.length * 2;
    const buf: (T | undefined)[] = new Array(cap);
    for (let i = 0; i < this.#size; i++) buf[i] = old[(this.#head + i) & this.#mask];
    this.#buf = buf;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
