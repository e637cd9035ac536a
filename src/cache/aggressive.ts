import { canonicalOrderKey, type Name, type RR, RRType } from '../wire/index.js';

/**
 * The validated NSEC/NSEC3 records of each signed zone, ordered so that the record covering a name (or a hash) is
 * found by one binary search: the storage of RFC 8198 aggressive use of the DNSSEC-validated cache. Only data the
 * validator proved secure goes in; the cache knows nothing of proofs (the validator reads the records back and
 * runs the same denial proofs as for a response). Entries live at most min(3 h, SOA MINIMUM) (RFC 8198 5.4) and
 * never beyond their signatures (the caller passes the capped TTL).
 */

/** One NSEC or NSEC3 RRset (one record) with its RRSIGs. */
export interface DenialEntry {
  /** Sort key: canonical order of the owner (NSEC) or the lower-case hash label (NSEC3). */
  readonly key: string;
  readonly rr: RR;
  readonly sigs: RR[];
  /** Absolute expiry, ms. */
  readonly expires: number;
}

/** The zone's SOA RRset (validated) for the authority section of synthesised answers, and its negative TTL cap. */
export interface ZoneSoa {
  readonly rrs: RR[];
  readonly sigs: RR[];
  /** Absolute expiry, ms. */
  readonly expires: number;
}

export interface AggressiveLimits {
  /** Zones indexed; the least recently used zone is dropped beyond it. */
  maxZones: number;
  /** NSEC/NSEC3 records per zone and kind; the oldest expiring records go first beyond it. */
  maxPerZone: number;
  /** TTL cap of any record (RFC 8198 5.4: 3 hours). */
  maxTtl: number;
}

export const defaultAggressiveLimits: AggressiveLimits = { maxZones: 2000, maxPerZone: 4096, maxTtl: 10800 };

/** An ordered list of entries (by key) with expiry. */
class Ordered {
  readonly entries: DenialEntry[] = [];

  /** Index of the last entry whose key is <= `key`, or -1. */
  #floorIndex(key: string): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].key <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  put(e: DenialEntry, max: number, nowMs: number): void {
    const i = this.#floorIndex(e.key);
    if (i >= 0 && this.entries[i].key === e.key) this.entries[i] = e;
    else this.entries.splice(i + 1, 0, e);
    if (this.entries.length > max) this.#shrink(max, nowMs);
  }

  #shrink(max: number, nowMs: number): void {
    const live = this.entries.filter((x) => x.expires > nowMs);
    if (live.length > max) {
      const byExpiry = [...live].sort((a, b) => a.expires - b.expires);
      const drop = new Set(byExpiry.slice(0, live.length - max));
      this.entries.splice(0, this.entries.length, ...live.filter((x) => !drop.has(x)));
    } else this.entries.splice(0, this.entries.length, ...live);
  }

  /** The live entry with the greatest key <= `key`; expired ones met on the way are removed. */
  floor(key: string, nowMs: number): DenialEntry | undefined {
    for (;;) {
      const i = this.#floorIndex(key);
      if (i < 0) return undefined;
      const e = this.entries[i];
      if (e.expires > nowMs) return e;
      this.entries.splice(i, 1);
    }
  }

  /** The live entry with the greatest key of all (the end of a chain, which wraps to its start). */
  last(nowMs: number): DenialEntry | undefined {
    while (this.entries.length > 0) {
      const e = this.entries[this.entries.length - 1];
      if (e.expires > nowMs) return e;
      this.entries.pop();
    }
    return undefined;
  }
}

interface ZoneIndex {
  readonly zone: Name;
  readonly nsec: Ordered;
  readonly nsec3: Ordered;
  soa?: ZoneSoa;
}

/** Sort key of an NSEC3 owner: its first label (base32hex keeps the order of the hashes), lower-cased. */
export function nsec3Key(hashLabel: string): string {
  return hashLabel.toLowerCase();
}

/**
 * Validated NSEC/NSEC3 records by zone. Every method takes `nowMs`; nothing expires on its own.
 */
export class AggressiveNsecCache {
  readonly limits: AggressiveLimits;
  readonly #zones = new Map<string, ZoneIndex>();
  /** Records stored and answers the caller synthesised from them (metrics). */
  readonly stats = { stored: 0, synthesised: 0 };

  constructor(limits: Partial<AggressiveLimits> = {}) {
    this.limits = { ...defaultAggressiveLimits, ...limits };
  }

  get zoneCount(): number {
    return this.#zones.size;
  }

  #index(zone: Name, create: boolean): ZoneIndex | undefined {
    const k = zone.key;
    let z = this.#zones.get(k);
    if (z !== undefined) {
      // most recently used last
      this.#zones.delete(k);
      this.#zones.set(k, z);
      return z;
    }
    if (!create) return undefined;
    z = { zone, nsec: new Ordered(), nsec3: new Ordered() };
    this.#zones.set(k, z);
    if (this.#zones.size > this.limits.maxZones) {
      const oldest = this.#zones.keys().next().value;
      if (oldest !== undefined) this.#zones.delete(oldest);
    }
    return z;
  }

  /**
   * Stores one validated NSEC or NSEC3 record of `zone` with its RRSIGs for `ttl` seconds (the caller's RFC 4035
   * 5.3.3 TTL; capped here at maxTtl and at the zone's SOA MINIMUM when known).
   */
  addDenial(zone: Name, rr: RR, sigs: RR[], ttl: number, nowMs: number): void {
    if (rr.type !== RRType.NSEC && rr.type !== RRType.NSEC3) return;
    if (!rr.name.isSubdomainOf(zone)) return;
    const z = this.#index(zone, true)!;
    let cap = Math.min(ttl, this.limits.maxTtl);
    if (z.soa !== undefined) cap = Math.min(cap, soaMinimum(z.soa.rrs));
    if (cap <= 0) return;
    const key = rr.type === RRType.NSEC ? canonicalOrderKey(rr.name) : nsec3Key(rr.name.label(0));
    const entry: DenialEntry = { key, rr, sigs, expires: nowMs + cap * 1000 };
    (rr.type === RRType.NSEC ? z.nsec : z.nsec3).put(entry, this.limits.maxPerZone, nowMs);
    this.stats.stored++;
  }

  /** Stores the validated SOA of `zone` (TTL: min(SOA TTL, MINIMUM, maxTtl)). */
  addSoa(zone: Name, rrs: RR[], sigs: RR[], nowMs: number): void {
    if (rrs.length === 0 || rrs[0].type !== RRType.SOA || !rrs[0].name.equals(zone)) return;
    const ttl = Math.min(rrs[0].ttl, soaMinimum(rrs), this.limits.maxTtl);
    if (ttl <= 0) return;
    this.#index(zone, true)!.soa = { rrs, sigs, expires: nowMs + ttl * 1000 };
  }

  /** The closest enclosing zone of `name` that has records here (the name itself included), or undefined. */
  zoneOf(name: Name): Name | undefined {
    for (let n = name; ; n = n.parent()) {
      const z = this.#zones.get(n.key);
      if (z !== undefined) return z.zone;
      if (n.isRoot()) return undefined;
    }
  }

  soa(zone: Name, nowMs: number): ZoneSoa | undefined {
    const z = this.#index(zone, false);
    if (z?.soa === undefined) return undefined;
    if (z.soa.expires > nowMs) return z.soa;
    z.soa = undefined;
    return undefined;
  }

  /** The NSEC of `zone` whose owner is the greatest at or before `name` in canonical order: it matches or covers it. */
  nsecAtOrBefore(zone: Name, name: Name, nowMs: number): DenialEntry | undefined {
    return this.#index(zone, false)?.nsec.floor(canonicalOrderKey(name), nowMs);
  }

  /**
   * The NSEC3 of `zone` that matches or covers the hash whose base32hex label is `hashLabel`: the greatest owner
   * hash at or before it, or the last of the chain (whose interval wraps around).
   */
  nsec3AtOrBefore(zone: Name, hashLabel: string, nowMs: number): DenialEntry | undefined {
    const z = this.#index(zone, false);
    if (z === undefined) return undefined;
    return z.nsec3.floor(nsec3Key(hashLabel), nowMs) ?? z.nsec3.last(nowMs);
  }

  /** Any live NSEC3 record of `zone` (for its hash parameters). */
  anyNsec3(zone: Name, nowMs: number): DenialEntry | undefined {
    return this.#index(zone, false)?.nsec3.last(nowMs);
  }

  clear(): void {
    this.#zones.clear();
  }
}

function soaMinimum(rrs: RR[]): number {
  const d = rrs[0].data as { minimum?: number };
  return Math.min(rrs[0].ttl, d.minimum ?? rrs[0].ttl);
}
