import { type Name, type RR, RRType, type RrsigData } from '../wire/index.js';
import { LruMap } from './lru.js';
import { mayReplace, type Rank, type Security } from './rank.js';

/** One cached RRset with its signatures, trust rank and DNSSEC status. */
export interface CachedRRset {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  /** Records with their TTL as received (capped); the live TTL is derived from `expires`. */
  readonly rrs: RR[];
  /** RRSIGs covering this RRset. */
  readonly sigs: RR[];
  /** For a wildcard expansion: the NSEC/NSEC3 records (and RRSIGs) proving no closer match (RFC 4035 5.3.4). */
  readonly proof?: RR[];
  readonly rank: Rank;
  security: Security;
  /** Why the data is bogus/insecure, for EDE and diagnostics. */
  securityReason?: { ede?: number; text: string };
  /** Absolute expiry (ms). */
  readonly expires: number;
  /** When it was stored (ms) and its TTL then (s), for prefetch decisions. */
  readonly stored: number;
  readonly ttl: number;
  /** Learnt over an encrypted transport only (cache partitioning by privacy). */
  readonly encrypted: boolean;
  /** Parent-side data (glue from a referral), kept apart from what the child zone says. */
  readonly parentSide: boolean;
  hits: number;
}

export interface CacheLimits {
  /** Lower bound applied to TTLs (s). */
  minTtl: number;
  /** Upper bound applied to TTLs (s); RFC 8767 4 caps at 604800. */
  maxTtl: number;
  /** Approximate memory bound of this cache (bytes). */
  maxBytes: number;
  /** Serve-stale (RFC 8767): keep expired data this long (s); 0 disables. */
  staleSeconds: number;
}

export const defaultCacheLimits: CacheLimits = {
  minTtl: 0,
  maxTtl: 86400,
  maxBytes: 64 * 1024 * 1024,
  staleSeconds: 0,
};

export interface RRsetHit {
  entry: CachedRRset;
  /** Remaining TTL in seconds (>= 0). For stale data this is 0 and `stale` is true. */
  ttl: number;
  stale: boolean;
  /** The hit is popular and close to expiry: refresh it in the background. */
  prefetch: boolean;
}

export function rrsetKey(name: Name, type: number): string {
  return `${name.key}${String.fromCharCode(type >> 8, type & 0xff)}`;
}

/** Marks a parent-side key (a name key is self-delimiting wire form, so this cannot collide). */
const PARENT_SIDE = 'p';

function keyOf(name: Name, type: number, parentSide: boolean | undefined): string {
  return parentSide ? `${rrsetKey(name, type)}${PARENT_SIDE}` : rrsetKey(name, type);
}

function approximateSize(rrs: RR[], sigs: RR[]): number {
  let n = 160;
  for (const rr of [...rrs, ...sigs]) {
    n += 48 + rr.name.length;
    const d = rr.data as unknown as Record<string, unknown>;
    for (const k in d) {
      const v = d[k];
      if (v instanceof Uint8Array) n += v.length + 32;
      else if (typeof v === 'string') n += v.length + 16;
      else if (typeof v === 'object' && v !== null) n += 64;
      else n += 8;
    }
  }
  return n;
}

/**
 * The RRset cache: keyed by (owner, type) for class IN, bounded by approximate bytes
 * with LRU eviction, trust-ranked replacement (RFC 2181 5.4.1), TTL caps, optional
 * serve-stale retention and prefetch hints. Every call takes `now` in ms.
 *
 * Parent-side data (like Unbound's PACKED_RRSET_PARENT_SIDE) lives under its own keys:
 * the addresses a parent zone gave as glue stay usable as a last resort when the child
 * zone's own (higher-ranked) address records lead nowhere or have expired sooner.
 */
export class RRsetCache {
  readonly #lru: LruMap<string, CachedRRset>;
  readonly limits: CacheLimits;
  hits = 0;
  misses = 0;

  constructor(limits: Partial<CacheLimits> = {}) {
    this.limits = { ...defaultCacheLimits, ...limits };
    this.#lru = new LruMap(this.limits.maxBytes);
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.cost;
  }

  /** TTL to store for an RRset: the minimum of its records, the RRSIG original TTLs and signature expiry, capped. */
  effectiveTtl(rrs: RR[], sigs: RR[], nowMs: number): number {
    let ttl = Number.POSITIVE_INFINITY;
    for (const rr of rrs) ttl = Math.min(ttl, rr.ttl);
    for (const s of sigs) {
      const d = s.data as RrsigData;
      ttl = Math.min(ttl, s.ttl, d.originalTtl);
      const untilExpiry = d.expiration - Math.floor(nowMs / 1000);
      if (untilExpiry > 0) ttl = Math.min(ttl, untilExpiry);
    }
    if (!Number.isFinite(ttl)) ttl = 0;
    return Math.max(this.limits.minTtl, Math.min(this.limits.maxTtl, ttl));
  }

  /**
   * Stores an RRset unless a live entry of higher trust is cached. Returns the entry
   * that is in the cache afterwards.
   */
  put(
    rrs: RR[],
    sigs: RR[],
    rank: Rank,
    nowMs: number,
    opts: {
      security?: Security;
      securityReason?: { ede?: number; text: string };
      encrypted?: boolean;
      ttl?: number;
      /** Store as parent-side data (glue), apart from the child's records. */
      parentSide?: boolean;
      /** Wildcard-expansion proof records kept with the RRset. */
      proof?: RR[];
    } = {},
  ): CachedRRset {
    const first = rrs[0];
    const key = keyOf(first.name, first.type, opts.parentSide);
    const security = opts.security ?? 'indeterminate';
    const old = this.#lru.peek(key);
    if (old !== undefined && old.expires > nowMs && !mayReplace(old.rank, old.security, rank, security)) return old;
    const ttl = opts.ttl ?? this.effectiveTtl(rrs, sigs, nowMs);
    const entry: CachedRRset = {
      name: first.name,
      type: first.type,
      class: first.class,
      rrs,
      sigs,
      rank,
      security,
      expires: nowMs + ttl * 1000,
      stored: nowMs,
      ttl,
      encrypted: opts.encrypted ?? false,
      parentSide: opts.parentSide === true,
      hits: 0,
    };
    if (opts.securityReason !== undefined) entry.securityReason = opts.securityReason;
    const stored: CachedRRset = opts.proof?.length ? { ...entry, proof: opts.proof } : entry;
    this.#lru.set(key, stored, approximateSize(rrs, opts.proof ? [...sigs, ...opts.proof] : sigs));
    return stored;
  }

  /**
   * Looks an RRset up. Expired entries are returned only with `allowStale` and within
   * the stale window (flagged `stale`); otherwise they are dropped.
   */
  get(
    name: Name,
    type: number,
    nowMs: number,
    opts: { allowStale?: boolean; minRank?: Rank; parentSide?: boolean } = {},
  ): RRsetHit | undefined {
    const key = keyOf(name, type, opts.parentSide);
    const e = this.#lru.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    if (opts.minRank !== undefined && e.rank < opts.minRank) {
      this.misses++;
      return undefined;
    }
    const remainingMs = e.expires - nowMs;
    if (remainingMs <= 0) {
      const staleMs = this.limits.staleSeconds * 1000;
      if (staleMs > 0 && -remainingMs <= staleMs) {
        if (opts.allowStale) {
          this.hits++;
          return { entry: e, ttl: 0, stale: true, prefetch: false };
        }
        this.misses++;
        return undefined;
      }
      this.#lru.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.hits++;
    const ttl = Math.floor(remainingMs / 1000);
    const prefetch = e.hits >= 3 && e.ttl >= 10 && remainingMs < e.ttl * 100; // last 10% of its life
    return { entry: e, ttl, stale: false, prefetch };
  }

  /** Removes one RRset, or every type at `name` when type is omitted (parent-side copies too). */
  delete(name: Name, type?: number): number {
    if (type !== undefined)
      return (this.#lru.delete(rrsetKey(name, type)) ? 1 : 0) + (this.#lru.delete(keyOf(name, type, true)) ? 1 : 0);
    let n = 0;
    const prefix = name.key;
    for (const k of [...this.#lru.keys()]) {
      const own = k.length === prefix.length + 2 || (k.length === prefix.length + 3 && k.endsWith(PARENT_SIDE));
      if (own && k.startsWith(prefix)) n += this.#lru.delete(k) ? 1 : 0;
    }
    return n;
  }

  /** Removes every RRset at or below `name`. */
  deleteTree(name: Name): number {
    let n = 0;
    const suffix = name.key;
    for (const [k, e] of [...this.#lru.entries()]) {
      if (k.length >= suffix.length + 2 && e.name.isSubdomainOf(name)) n += this.#lru.delete(k) ? 1 : 0;
    }
    return n;
  }

  clear(): void {
    this.#lru.clear();
  }

  /** Iterates live entries (for diagnostics and the aggressive-NSEC index). */
  *entries(): IterableIterator<CachedRRset> {
    for (const [, e] of this.#lru.entries()) yield e;
  }
}

/** RRSIGs in `sigs` that cover `type`. */
export function sigsFor(sigs: readonly RR[], type: number): RR[] {
  return sigs.filter((s) => s.type === RRType.RRSIG && (s.data as RrsigData).typeCovered === type);
}
