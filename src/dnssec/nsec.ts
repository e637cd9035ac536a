/**
 * The NSEC chain of a zone (RFC 4034 section 4, RFC 4035 section 2.3): one NSEC record per authoritative name and
 * delegation point, in canonical order, each pointing at the next name and the last back at the apex.
 */

import type { Name, NsecData, RR } from '../wire/index.js';
import { RRType } from '../wire/index.js';

/** A name in the chain and the types of the RRsets the zone has there (before NSEC and RRSIG are added). */
export interface ChainName {
  readonly name: Name;
  readonly types: readonly number[];
}

/**
 * NSEC type bit map types for a name holding RRsets of `types`: those plus NSEC and RRSIG, since the NSEC RRset
 * itself is signed (RFC 4034 4.1.2) — also at an unsigned delegation, where the bit map is NS RRSIG NSEC, as
 * BIND's and ldns's signers write it. Sorted and without duplicates.
 */
export function nsecTypes(types: Iterable<number>): number[] {
  return [...new Set([...types, RRType.NSEC, RRType.RRSIG])].sort((a, b) => a - b);
}

/**
 * NSEC records for `names` (the apex, every other authoritative name and every delegation point; no glue, no
 * empty non-terminals). The chain follows canonical order (RFC 4034 6.1) and wraps around; next names are written
 * lower-cased, which every reading of the canonical form (RFC 4034 6.2 and RFC 6840 5.1) agrees on.
 */
export function buildNsecChain(names: readonly ChainName[], ttl: number, rrclass: number): RR[] {
  const sorted = [...names].sort((a, b) => a.name.compare(b.name));
  return sorted.map((n, i) => {
    const data: NsecData = { next: sorted[(i + 1) % sorted.length].name.lower(), types: nsecTypes(n.types) };
    return { name: n.name, type: RRType.NSEC, class: rrclass, ttl, data };
  });
}
