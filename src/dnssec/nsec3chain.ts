/**
 * The NSEC3 chain of a zone (RFC 5155 section 7.1) without opt-out: one NSEC3 record per authoritative name,
 * delegation point and empty non-terminal, owned by the hashed name, sorted by hash, each pointing at the next hash
 * and the last back at the first; plus the NSEC3PARAM record at the apex. RFC 9276 defaults: no extra iterations,
 * empty salt.
 */

import type { Name, Nsec3Data, Nsec3ParamData, RR } from '../wire/index.js';
import { compareBytes, RRType, toBase32Hex } from '../wire/index.js';
import { nsec3Hash } from './algorithms.js';
import { DnssecError } from './errors.js';

/** NSEC3 hash algorithm 1: SHA-1 (RFC 5155 section 11), the only one defined. */
export const NSEC3_SHA1 = 1;

export interface Nsec3Params {
  /** Additional hash iterations (RFC 9276 section 3.1: 0). */
  readonly iterations: number;
  /** Salt octets (RFC 9276 section 3.1: empty). */
  readonly salt: Uint8Array;
}

/** A name in the chain: its RRset types, and whether any RRset there is signed (which adds RRSIG to the bit map). */
export interface Nsec3ChainName {
  readonly name: Name;
  readonly types: readonly number[];
  readonly signed: boolean;
}

/** The hashed owner name of `name` in the zone `origin`: base32hex(hash) as the first label below the origin. */
export function nsec3OwnerName(name: Name, origin: Name, params: Nsec3Params): Name {
  return origin.child(toBase32Hex(nsec3Hash(name.toCanonicalBytes(), params.salt, params.iterations)));
}

/**
 * The empty non-terminals of a zone (RFC 5155 7.1): every name between the apex and one of `names` (the
 * authoritative names and delegation points) that is not itself in `names`. Sorted canonically.
 */
export function emptyNonTerminals(names: readonly Name[], origin: Name): Name[] {
  const existing = new Set(names.map((n) => n.key));
  const found = new Map<string, Name>();
  for (const name of names) {
    for (let n = name.labelCount - 1; n > origin.labelCount; n--) {
      const ancestor = name.suffix(n);
      if (existing.has(ancestor.key) || found.has(ancestor.key)) continue;
      found.set(ancestor.key, ancestor);
    }
  }
  return [...found.values()].sort((a, b) => a.compare(b));
}

/**
 * NSEC3 records for `names` (empty non-terminals included, with no types and `signed` false). The bit map holds the
 * types plus RRSIG when the name has a signed RRset; NSEC3 itself never appears (it lives at the hashed name).
 * @throws DnssecError BAD_ZONE if two names hash to the same value.
 */
export function buildNsec3Chain(
  names: readonly Nsec3ChainName[],
  origin: Name,
  params: Nsec3Params,
  ttl: number,
  rrclass: number,
): RR[] {
  const hashed = names.map((n) => ({
    hash: nsec3Hash(n.name.toCanonicalBytes(), params.salt, params.iterations),
    name: n,
  }));
  hashed.sort((a, b) => compareBytes(a.hash, b.hash));
  for (let i = 1; i < hashed.length; i++) {
    if (compareBytes(hashed[i - 1].hash, hashed[i].hash) === 0) {
      throw new DnssecError(
        'BAD_ZONE',
        `NSEC3 hash collision of ${hashed[i - 1].name.name} and ${hashed[i].name.name}`,
      );
    }
  }
  return hashed.map((h, i) => {
    const types = new Set(h.name.types);
    if (h.name.signed) types.add(RRType.RRSIG);
    const data: Nsec3Data = {
      hashAlgorithm: NSEC3_SHA1,
      flags: 0,
      iterations: params.iterations,
      salt: params.salt,
      nextHashed: hashed[(i + 1) % hashed.length].hash,
      types: [...types].sort((a, b) => a - b),
    };
    return { name: origin.child(toBase32Hex(h.hash)), type: RRType.NSEC3, class: rrclass, ttl, data };
  });
}

/** The NSEC3PARAM record at the apex announcing `params` (flags 0). */
export function nsec3ParamRecord(origin: Name, params: Nsec3Params, ttl: number, rrclass: number): RR {
  const data: Nsec3ParamData = {
    hashAlgorithm: NSEC3_SHA1,
    flags: 0,
    iterations: params.iterations,
    salt: params.salt,
  };
  return { name: origin, type: RRType.NSEC3PARAM, class: rrclass, ttl, data };
}
