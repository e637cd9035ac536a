import type { Name, RR } from '../wire/index.js';
import { LruMap } from './lru.js';
import type { Security } from './rank.js';
import { rrsetKey } from './rrset-cache.js';

/** A cached negative answer (RFC 2308): NXDOMAIN for a name, or NODATA for (name, type). */
export interface NegativeEntry {
  kind: 'nxdomain' | 'nodata';
  name: Name;
  type: number;
  /** The SOA (and its RRSIGs) and denial proofs (NSEC/NSEC3 + RRSIGs) to put in the authority section. */
  authority: RR[];
  security: Security;
  securityReason?: { ede?: number; text: string };
  expires: number;
  ttl: number;
  encrypted: boolean;
}

const NX = 0xffff + 1; // key marker for NXDOMAIN (no real type has this number)

/** Maximum negative TTL: RFC 2308 5 / RFC 8198 5.4 recommend 3 hours. */
export const MAX_NEGATIVE_TTL = 10800;

/**
 * Negative cache. NXDOMAIN entries also deny everything below the name (RFC 8020)
 * when `nxdomainCut` is on; lookups walk the ancestors for that.
 */
export class NegativeCache {
  readonly #lru: LruMap<string, NegativeEntry>;
  readonly nxdomainCut: boolean;
  readonly maxTtl: number;
  readonly staleSeconds: number;

  constructor(opts: { maxBytes?: number; nxdomainCut?: boolean; maxTtl?: number; staleSeconds?: number } = {}) {
    this.#lru = new LruMap(opts.maxBytes ?? 16 * 1024 * 1024);
    this.nxdomainCut = opts.nxdomainCut ?? true;
    this.maxTtl = opts.maxTtl ?? MAX_NEGATIVE_TTL;
    this.staleSeconds = opts.staleSeconds ?? 0;
  }

  get size(): number {
    return this.#lru.size;
  }

  put(e: Omit<NegativeEntry, 'expires'>, nowMs: number): NegativeEntry {
    const ttl = Math.min(e.ttl, this.maxTtl);
    const entry: NegativeEntry = { ...e, ttl, expires: nowMs + ttl * 1000 };
    const key = e.kind === 'nxdomain' ? rrsetKey(e.name, NX) : rrsetKey(e.name, e.type);
    this.#lru.set(key, entry, 256 + e.authority.length * 160);
    return entry;
  }

  #live(key: string, nowMs: number, allowStale: boolean): { entry: NegativeEntry; stale: boolean } | undefined {
    const e = this.#lru.get(key);
    if (e === undefined) return undefined;
    if (e.expires > nowMs) return { entry: e, stale: false };
    // like the RRset cache: no stale window at all when serve-stale is off
    const inWindow = this.staleSeconds > 0 && nowMs - e.expires <= this.staleSeconds * 1000;
    if (allowStale && inWindow) return { entry: e, stale: true };
    if (!inWindow) this.#lru.delete(key);
    return undefined;
  }

  /** Negative answer for (name, type): NODATA at the name, NXDOMAIN at it or (RFC 8020) at an ancestor. */
  get(
    name: Name,
    type: number,
    nowMs: number,
    allowStale = false,
  ): { entry: NegativeEntry; ttl: number; stale: boolean } | undefined {
    const hit =
      this.#live(rrsetKey(name, NX), nowMs, allowStale) ?? this.#live(rrsetKey(name, type), nowMs, allowStale);
    if (hit) return { ...hit, ttl: Math.max(0, Math.floor((hit.entry.expires - nowMs) / 1000)) };
    if (this.nxdomainCut) {
      let n = name;
      while (!n.isRoot()) {
        n = n.parent();
        const up = this.#live(rrsetKey(n, NX), nowMs, allowStale);
        if (up && up.entry.security !== 'bogus')
          return { ...up, ttl: Math.max(0, Math.floor((up.entry.expires - nowMs) / 1000)) };
      }
    }
    return undefined;
  }

  delete(name: Name): void {
    this.#lru.delete(rrsetKey(name, NX));
    for (const k of [...this.#lru.keys()])
      if (k.length === name.key.length + 2 && k.startsWith(name.key)) this.#lru.delete(k);
  }

  clear(): void {
    this.#lru.clear();
  }
}
