import { AsyncLocalStorage } from 'node:async_hooks';
import { NegativeCache, type NegativeEntry } from '../cache/negative-cache.js';
import type { Rank, Security } from '../cache/rank.js';
import { type CachedRRset, type CacheLimits, RRsetCache, type RRsetHit } from '../cache/rrset-cache.js';
import type { Name, RR } from '../wire/index.js';

/**
 * Cache partitioning by privacy (seed appendix A-PART; `cache-partition: by-privacy`): an answer learnt over
 * cleartext is never served to a client that came encrypted (DoT/DoH).
 *
 * Two cache sets: the shared one (what every resolver has; it serves cleartext clients and internal lookups) and
 * the encrypted-only one (it serves encrypted clients). Requests of encrypted clients run inside a partition
 * context (AsyncLocalStorage, so the iterator, the validator and every sub-query need no extra argument):
 *
 * - reads come from the encrypted-only set, then from the request's own scratch set (below), never from the
 *   shared set;
 * - a write while every upstream exchange of the request so far went encrypted (`clean()`) goes to the
 *   encrypted-only set. Once one hop of the request went in cleartext (a fallback, an unsignalled server with
 *   encryption unavailable, a bootstrap meta-query...), what the request learns from then on goes to a scratch
 *   set that lives and dies with the request, so the resolution still sees what it learnt;
 * - every write also goes to the shared set (data learnt over encrypted transports is good for everyone).
 *
 * So the encrypted-only set is filled only by resolutions (or the all-encrypted beginnings of resolutions) whose
 * hops were all encrypted, and anything an encrypted client gets from the cache was learnt that way. A fresh
 * resolution for an encrypted client that had to use cleartext is still answered (its privacy report says so) but
 * leaves nothing in the encrypted-only set. Requests outside a partition context use the shared set only.
 */

export type CachePartition = 'shared' | 'by-privacy';

export interface PartitionContext {
  /** The request belongs to the encrypted-only partition. */
  encrypted: true;
  /** The request's upstream exchanges (RequestState.hops), bound once the request state exists. */
  hops?: readonly { encrypted: boolean }[];
  scratch?: { cache: RRsetCache; negative: NegativeCache };
}

/** Every upstream exchange of the request so far went encrypted. */
function clean(ctx: PartitionContext): boolean {
  return ctx.hops === undefined || ctx.hops.every((h) => h.encrypted);
}

const SCRATCH_BYTES = 4 * 1024 * 1024;

export class CachePartitions {
  readonly #als = new AsyncLocalStorage<PartitionContext>();
  readonly encCache: RRsetCache;
  readonly encNegative: NegativeCache;
  readonly #limits: Partial<CacheLimits>;
  readonly #negOpts: { maxTtl?: number; staleSeconds?: number };
  readonly stats = { cleanWrites: 0, scratchWrites: 0 };

  constructor(limits: Partial<CacheLimits>, negative: { maxBytes?: number; maxTtl?: number; staleSeconds?: number }) {
    this.#limits = limits;
    this.#negOpts = { maxTtl: negative.maxTtl, staleSeconds: negative.staleSeconds };
    this.encCache = new RRsetCache(limits);
    this.encNegative = new NegativeCache(negative);
  }

  /** Runs `fn` (and everything it awaits) in the encrypted-only partition. */
  runEncrypted<T>(fn: () => T): T {
    return this.#als.run({ encrypted: true }, fn);
  }

  /** Binds the current partition context (if any) to the request's hops. */
  bind(hops: readonly { encrypted: boolean }[]): void {
    const ctx = this.#als.getStore();
    if (ctx !== undefined) ctx.hops = hops;
  }

  current(): PartitionContext | undefined {
    return this.#als.getStore();
  }

  scratch(ctx: PartitionContext): { cache: RRsetCache; negative: NegativeCache } {
    ctx.scratch ??= {
      cache: new RRsetCache({ ...this.#limits, maxBytes: SCRATCH_BYTES }),
      negative: new NegativeCache({ ...this.#negOpts, maxBytes: SCRATCH_BYTES / 4 }),
    };
    return ctx.scratch;
  }
}

type PutOpts = {
  security?: Security;
  securityReason?: { ede?: number; text: string };
  encrypted?: boolean;
  ttl?: number;
  parentSide?: boolean;
  proof?: RR[];
};

/** The RRset cache seen through the partition of the current request; its own storage is the shared set. */
export class PartitionedRRsetCache extends RRsetCache {
  readonly #p: CachePartitions;

  constructor(limits: Partial<CacheLimits>, partitions: CachePartitions) {
    super(limits);
    this.#p = partitions;
  }

  override get(
    name: Name,
    type: number,
    nowMs: number,
    opts: { allowStale?: boolean; minRank?: Rank; parentSide?: boolean } = {},
  ): RRsetHit | undefined {
    const ctx = this.#p.current();
    if (ctx === undefined) return super.get(name, type, nowMs, opts);
    return ctx.scratch?.cache.get(name, type, nowMs, opts) ?? this.#p.encCache.get(name, type, nowMs, opts);
  }

  override put(rrs: RR[], sigs: RR[], rank: Rank, nowMs: number, opts: PutOpts = {}): CachedRRset {
    const ctx = this.#p.current();
    if (ctx === undefined) return super.put(rrs, sigs, rank, nowMs, opts);
    const ok = clean(ctx);
    super.put(rrs, sigs, rank, nowMs, { ...opts, encrypted: ok });
    if (ok) {
      this.#p.stats.cleanWrites++;
      return this.#p.encCache.put(rrs, sigs, rank, nowMs, { ...opts, encrypted: true });
    }
    this.#p.stats.scratchWrites++;
    return this.#p.scratch(ctx).cache.put(rrs, sigs, rank, nowMs, { ...opts, encrypted: false });
  }

  override delete(name: Name, type?: number): number {
    return super.delete(name, type) + this.#p.encCache.delete(name, type);
  }

  override deleteTree(name: Name): number {
    return super.deleteTree(name) + this.#p.encCache.deleteTree(name);
  }

  override clear(): void {
    super.clear();
    this.#p.encCache.clear();
  }
}

/** The negative cache seen through the partition of the current request; its own storage is the shared set. */
export class PartitionedNegativeCache extends NegativeCache {
  readonly #p: CachePartitions;

  constructor(
    opts: { maxBytes?: number; nxdomainCut?: boolean; maxTtl?: number; staleSeconds?: number },
    partitions: CachePartitions,
  ) {
    super(opts);
    this.#p = partitions;
  }

  override get(
    name: Name,
    type: number,
    nowMs: number,
    allowStale = false,
  ): { entry: NegativeEntry; ttl: number; stale: boolean } | undefined {
    const ctx = this.#p.current();
    if (ctx === undefined) return super.get(name, type, nowMs, allowStale);
    return (
      ctx.scratch?.negative.get(name, type, nowMs, allowStale) ?? this.#p.encNegative.get(name, type, nowMs, allowStale)
    );
  }

  override put(e: Omit<NegativeEntry, 'expires'>, nowMs: number): NegativeEntry {
    const ctx = this.#p.current();
    if (ctx === undefined) return super.put(e, nowMs);
    const ok = clean(ctx);
    super.put({ ...e, encrypted: ok }, nowMs);
    if (ok) {
      this.#p.stats.cleanWrites++;
      return this.#p.encNegative.put({ ...e, encrypted: true }, nowMs);
    }
    this.#p.stats.scratchWrites++;
    return this.#p.scratch(ctx).negative.put({ ...e, encrypted: false }, nowMs);
  }

  override delete(name: Name): void {
    super.delete(name);
    this.#p.encNegative.delete(name);
  }

  override clear(): void {
    super.clear();
    this.#p.encNegative.clear();
  }
}
