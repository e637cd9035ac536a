/**
 * The zones one server is authoritative for, parent and child zones included. Lookup walks
 * the query name's suffixes from the longest down, so the deepest enclosing zone wins,
 * except for DS at a child apex, which belongs to the parent (RFC 4035 3.1.4.1).
 */
import { type Name, RRClass, RRType } from '../wire/index.js';
import { parentKey, type Zone } from './zone.js';

export class ZoneSet {
  readonly #zones = new Map<string, Zone>();

  constructor(zones: Iterable<Zone> = []) {
    for (const z of zones) this.add(z);
  }

  /** Adds a zone, replacing one with the same origin (and class). */
  add(zone: Zone): void {
    this.#zones.set(zoneKey(zone.origin.key, zone.class), zone);
  }

  remove(origin: Name, klass: number = RRClass.IN): boolean {
    return this.#zones.delete(zoneKey(origin.key, klass));
  }

  get(origin: Name, klass: number = RRClass.IN): Zone | undefined {
    return this.#zones.get(zoneKey(origin.key, klass));
  }

  get size(): number {
    return this.#zones.size;
  }

  [Symbol.iterator](): IterableIterator<Zone> {
    return this.#zones.values();
  }

  /**
   * The deepest zone enclosing `qname` in `qclass` (ANY matches IN). For `qtype` DS at a
   * zone's apex, the enclosing parent zone when the server has one.
   */
  find(qname: Name, qclass: number = RRClass.IN, qtype = 0): Zone | undefined {
    if (this.#zones.size === 0) return undefined;
    const klass = qclass === RRClass.ANY ? RRClass.IN : qclass;
    let k = qname.key;
    let found: Zone | undefined;
    for (;;) {
      const z = this.#zones.get(zoneKey(k, klass));
      if (z !== undefined) {
        if (qtype !== RRType.DS || k !== qname.key) return z;
        found = z; // DS at this apex: prefer a parent zone if there is one
      }
      if (k.length === 1) return found;
      k = parentKey(k);
    }
  }
}

function zoneKey(key: string, klass: number): string {
  return klass === RRClass.IN ? key : `${klass}/${key}`;
}
