import { LruMap } from '../cache/lru.js';
import type { Name } from '../wire/index.js';
import { LIMITS } from './limits.js';

/**
 * QNAME minimisation schedule (RFC 9156 2.3). Given the number of labels of the
 * closest known zone cut and of the full QNAME, and how many minimised queries were
 * already sent for this name, returns how many labels the next query exposes.
 *
 * The first MINIMISE_ONE_LAB iterations add one label each; the remaining labels are
 * spread over the remaining MAX_MINIMISE_COUNT - MINIMISE_ONE_LAB iterations, the
 * remainder going to the last ones (18 labels => 1,1,1,1,2,2,2,2,3,3). Underscore
 * labels (`_853._tcp`) are exposed together with the label they qualify.
 */
export function nextLabelCount(cutLabels: number, qnameLabels: number, iteration: number): number {
  const remaining = qnameLabels - cutLabels;
  if (remaining <= 1) return qnameLabels;
  if (iteration >= LIMITS.MAX_MINIMISE_COUNT - 1) return qnameLabels;
  if (iteration < LIMITS.MINIMISE_ONE_LAB) return cutLabels + 1;
  const itersLeft = LIMITS.MAX_MINIMISE_COUNT - iteration;
  const step = Math.floor(remaining / itersLeft);
  const extra = remaining % itersLeft;
  // spread: the last `extra` iterations take one more label
  const add = step + (itersLeft - 1 < extra ? 1 : 0);
  return Math.min(qnameLabels, cutLabels + Math.max(1, add));
}

/** The minimised name to ask about next, skipping past underscore labels so they are never queried alone. */
export function minimisedName(qname: Name, cutLabels: number, iteration: number): Name {
  const total = qname.labelCount;
  let n = nextLabelCount(cutLabels, total, iteration);
  // expose an underscore label only together with the label to its left (RFC 9156 2.3 optional rule)
  while (n < total && qname.label(total - n).startsWith('_')) n++;
  return qname.suffix(n);
}

/** Longest time a minimised name is remembered as no zone cut, whatever its TTL said. */
export const NO_CUT_MAX_TTL_S = 3600;
/** Names remembered at most (the oldest unused go first). */
export const NO_CUT_MAX_ENTRIES = 20_000;

/**
 * Minimised names that the servers of a zone answered without a referral (NOERROR: data, NODATA or an alias), so
 * that later resolutions below them do not ask again (Unbound's iterator skips a minimised query whose answer is
 * cached as NOERROR; RFC 9156 3 leaves the use of cached answers to the resolver). Keyed by the zone whose servers
 * answered, so a name is skipped only when the resolution starts from the same cut; remembered for the answer's
 * TTL (the negative TTL of a NODATA), at most NO_CUT_MAX_TTL_S. A wrong entry costs privacy only (the full name
 * goes to that zone's servers, which refer as usual), never an answer.
 */
export class NoCutMemory {
  readonly #lru = new LruMap<string, number>(NO_CUT_MAX_ENTRIES);

  get size(): number {
    return this.#lru.size;
  }

  /** Remembers that the servers of `zone` answered `name` (minimised) without a referral, for `ttlS` seconds. */
  remember(zone: Name, name: Name, ttlS: number, nowMs: number): void {
    const ttl = Math.min(ttlS, NO_CUT_MAX_TTL_S);
    if (!(ttl > 0)) return;
    this.#lru.set(`${zone.key}|${name.key}`, nowMs + ttl * 1000, 1);
  }

  /** Whether the servers of `zone` are known to answer `name` without a referral. */
  knows(zone: Name, name: Name, nowMs: number): boolean {
    const k = `${zone.key}|${name.key}`;
    const expires = this.#lru.get(k);
    if (expires === undefined) return false;
    if (expires > nowMs) return true;
    this.#lru.delete(k);
    return false;
  }

  clear(): void {
    this.#lru.clear();
  }
}
