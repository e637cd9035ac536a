/**
 * Authenticated denial of existence with NSEC3 (RFC 5155 section 8, RFC 9276; like Unbound's val_nsec3): the
 * closest encloser proof and, on top of it, NXDOMAIN, NODATA (DS under Opt-Out included), wildcard answers and the
 * absence of a DS.
 *
 * Input: NSEC3 records the caller has already verified (verifyRRset on each NSEC3 RRset). Records are used only
 * when they belong to `zone` (owner = one base32hex label + zone; RFC 5155 8.2 flags 0 or 1; a 20-octet hash);
 * among those, only the records with the parameters (hash algorithm, iterations, salt) of the first one are used,
 * so a proof never mixes chains.
 *
 * Limits (RFC 9276 3.2, CVE-2023-50868), read from the ValidationBudget:
 * - more additional iterations than `maxNsec3Iterations` → insecure, EDE 27, without hashing anything; more than
 *   `maxNsec3IterationsBogus` → bogus, EDE 27;
 * - more than `maxNsec3PerProof` NSEC3 records of the zone → bogus, EDE 27 (no legitimate proof needs more
 *   than three);
 * - every hash computed takes one from the request's NSEC3 hash budget; each name is hashed at most once per
 *   call, whatever the number of records; an empty budget → bogus, EDE 27, "validation budget exceeded".
 *
 * Other policies: NSEC3 records of an unknown hash algorithm only → insecure (we cannot evaluate the proof; RFC
 * 5155 8.1 says such responses will "generally be considered bogus", we follow RFC 6840 5.2's treatment of
 * unsupported algorithms instead). Opt-Out on the NSEC3 covering the next closer name → insecure for NXDOMAIN,
 * NODATA, wildcard and no-DS proofs (an unsigned delegation may exist there; RFC 5155 6 and 8.6, 9.2), as Unbound
 * does. A closest encloser whose NSEC3 shows a delegation point (NS without SOA) or a DNAME cannot deny names
 * below it (RFC 5155 8.3, RFC 6840 4.1).
 */

import { compareBytes, EDE, Name, type Nsec3Data, type RR, RRType, typeToText } from '../../wire/index.js';
import { isSupportedNsec3HashAlgorithm, nsec3Hash } from '../algorithms.js';
import { tryDecodeBase32Hex } from '../base32hex.js';
import type { DenialVerdict, NoDsVerdict } from './nsec.js';
import { bogus, budgetExceeded, insecure, secure, type ValidationBudget, type Verdict } from './types.js';

export type { DenialVerdict, NoDsVerdict } from './nsec.js';

/** SHA-1 digest length: the only NSEC3 hash algorithm (RFC 5155 11). */
const SHA1_LENGTH = 20;
const OPT_OUT = 0x01;

interface Nsec3Record {
  readonly rr: RR;
  readonly data: Nsec3Data;
  /** The owner's first label, decoded. */
  readonly hash: Uint8Array;
}

interface Params {
  readonly hashAlgorithm: number;
  readonly iterations: number;
  readonly salt: Uint8Array;
}

/** One zone's NSEC3 chain as far as the response shows it, and a memoising hasher drawing on the budget. */
class Chain {
  readonly #memo = new Map<string, Uint8Array>();

  constructor(
    readonly zone: Name,
    readonly params: Params,
    readonly records: readonly Nsec3Record[],
    readonly budget: ValidationBudget,
  ) {}

  /** The NSEC3 hash of `name`, or undefined when the hash budget is empty. */
  hash(name: Name): Uint8Array | undefined {
    const cached = this.#memo.get(name.key);
    if (cached !== undefined) return cached;
    if (!this.budget.takeNsec3Hash()) return undefined;
    const h = nsec3Hash(name.toCanonicalBytes(), this.params.salt, this.params.iterations);
    this.#memo.set(name.key, h);
    return h;
  }

  matching(h: Uint8Array): Nsec3Record | undefined {
    return this.records.find((r) => compareBytes(r.hash, h) === 0);
  }

  /** The record whose (owner hash, next hash) interval strictly contains `h`, wrapping at the end of the chain. */
  covering(h: Uint8Array): Nsec3Record | undefined {
    return this.records.find((r) => {
      const afterOwner = compareBytes(r.hash, h) < 0;
      const beforeNext = compareBytes(h, r.data.nextHashed) < 0;
      return compareBytes(r.hash, r.data.nextHashed) >= 0 ? afterOwner || beforeNext : afterOwner && beforeNext;
    });
  }
}

/** Thrown inside this module only, when the hash budget runs out; turned into a verdict at the entry points. */
class HashBudgetExceeded extends Error {}

function hashOf(chain: Chain, name: Name): Uint8Array {
  const h = chain.hash(name);
  if (h === undefined) throw new HashBudgetExceeded();
  return h;
}

/** The usable chain of `zone` in `nsec3s`, or the verdict that ends the proof (insecure or bogus). */
function selectChain(zone: Name, nsec3s: readonly RR[], budget: ValidationBudget): Chain | Verdict {
  const known: Nsec3Record[] = [];
  let unknown = 0;
  for (const rr of nsec3s) {
    if (rr.type !== RRType.NSEC3 || rr.name.labelCount !== zone.labelCount + 1 || !rr.name.isSubdomainOf(zone)) {
      continue;
    }
    const data = rr.data as Nsec3Data;
    if (data.flags !== 0 && data.flags !== OPT_OUT) continue; // RFC 5155 8.2
    if (!isSupportedNsec3HashAlgorithm(data.hashAlgorithm)) {
      unknown++;
      continue;
    }
    const hash = tryDecodeBase32Hex(rr.name.label(0));
    if (hash?.length !== SHA1_LENGTH || data.nextHashed.length !== SHA1_LENGTH) continue;
    known.push({ rr, data, hash });
  }
  if (known.length + unknown > budget.limits.maxNsec3PerProof) {
    return budgetExceeded(EDE.UNSUPPORTED_NSEC3_ITERATIONS, `${known.length + unknown} NSEC3 records for one proof`);
  }
  if (known.length === 0) {
    if (unknown > 0) return insecure(`NSEC3 records of ${zone} use an unknown hash algorithm only`);
    return bogus(`no NSEC3 records of ${zone}`, EDE.NSEC_MISSING);
  }
  const p = known[0].data;
  const params: Params = { hashAlgorithm: p.hashAlgorithm, iterations: p.iterations, salt: p.salt };
  if (params.iterations > budget.limits.maxNsec3IterationsBogus) {
    return bogus(`NSEC3 iterations ${params.iterations} in ${zone}`, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
  }
  if (params.iterations > budget.limits.maxNsec3Iterations) {
    return insecure(`NSEC3 iterations ${params.iterations} in ${zone}`, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
  }
  const same = known.filter(
    (r) =>
      r.data.hashAlgorithm === params.hashAlgorithm &&
      r.data.iterations === params.iterations &&
      compareBytes(r.data.salt, params.salt) === 0,
  );
  return new Chain(zone, params, same, budget);
}

function has(d: Nsec3Data, type: number): boolean {
  return d.types.includes(type);
}

function optOut(r: Nsec3Record): boolean {
  return (r.data.flags & OPT_OUT) !== 0;
}

interface EncloserProof {
  readonly closestEncloser: Name;
  /** One label longer than the closest encloser, towards qname. */
  readonly nextCloser: Name;
  /** The NSEC3 covering the next closer name. */
  readonly cover: Nsec3Record;
}

/**
 * RFC 5155 8.3 closest encloser proof for a name with no matching NSEC3: the longest ancestor of `qname` with a
 * matching NSEC3, and an NSEC3 covering the next closer name. `qname` itself must not match (callers check first).
 */
function closestEncloserProof(qname: Name, chain: Chain): EncloserProof | Verdict {
  const zone = chain.zone;
  if (!qname.isSubdomainOf(zone) || qname.equals(zone)) return bogus(`${qname} has no closest encloser in ${zone}`);
  let nextCloser = qname;
  let candidate = qname.parent();
  for (;;) {
    const match = chain.matching(hashOf(chain, candidate));
    if (match !== undefined) {
      if (has(match.data, RRType.DNAME) || (has(match.data, RRType.NS) && !has(match.data, RRType.SOA))) {
        return bogus(`the closest encloser ${candidate} of ${qname} is a delegation or DNAME (RFC 6840 4.1)`);
      }
      break;
    }
    if (candidate.labelCount <= zone.labelCount) {
      return bogus(`no NSEC3 matches an ancestor of ${qname} in ${zone}`, EDE.NSEC_MISSING);
    }
    nextCloser = candidate;
    candidate = candidate.parent();
  }
  const h = hashOf(chain, nextCloser);
  if (chain.matching(h) !== undefined) return bogus(`an NSEC3 shows ${nextCloser} exists`);
  const cover = chain.covering(h);
  if (cover === undefined) return bogus(`no NSEC3 covers the next closer name ${nextCloser}`, EDE.NSEC_MISSING);
  return { closestEncloser: candidate, nextCloser, cover };
}

function isVerdict(x: object): x is Verdict {
  return 'status' in x;
}

function wildcardAt(ce: Name): Name {
  return Name.fromLabels(['*', ...ce.labels()]);
}

/** Why a matching NSEC3 cannot deny `qtype` at `name`, or undefined when it can. */
function typeDenialProblem(d: Nsec3Data, qtype: number, name: Name): string | undefined {
  if (has(d, qtype)) return `the NSEC3 of ${name} lists ${typeToText(qtype)}`;
  if (qtype !== RRType.CNAME && has(d, RRType.CNAME)) return `the NSEC3 of ${name} lists CNAME (RFC 6840 4.3)`;
  if (qtype === RRType.DS) {
    if (has(d, RRType.SOA) && !name.isRoot()) return `the NSEC3 of ${name} is from the child zone (SOA bit)`;
  } else if (has(d, RRType.NS) && !has(d, RRType.SOA)) {
    return `the NSEC3 of ${name} is a delegation point's, which denies only DS (RFC 6840 4.1)`;
  }
  return undefined;
}

/** Runs a proof, turning an exhausted hash budget or malformed input into a bogus verdict. */
function guarded<V extends Verdict>(
  zone: Name,
  nsec3s: readonly RR[],
  budget: ValidationBudget,
  proof: (chain: Chain) => V | Verdict,
): V | Verdict {
  try {
    const chain = selectChain(zone, nsec3s, budget);
    if (!(chain instanceof Chain)) return chain;
    return proof(chain);
  } catch (err) {
    if (err instanceof HashBudgetExceeded) return budgetExceeded(EDE.UNSUPPORTED_NSEC3_ITERATIONS, 'NSEC3 hashes');
    return bogus(`malformed input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * NXDOMAIN (RFC 5155 8.4): closest encloser proof, and an NSEC3 covering the wildcard at the closest encloser.
 * Insecure when the next closer name is covered by an Opt-Out NSEC3.
 */
export function proveNxdomain(qname: Name, zone: Name, nsec3s: readonly RR[], budget: ValidationBudget): DenialVerdict {
  if (!qname.isSubdomainOf(zone) || qname.equals(zone)) return bogus(`${qname} cannot be denied by ${zone}`);
  return guarded(zone, nsec3s, budget, (chain) => {
    if (chain.matching(hashOf(chain, qname)) !== undefined) return bogus(`an NSEC3 shows ${qname} exists`);
    const proof = closestEncloserProof(qname, chain);
    if (isVerdict(proof)) return proof;
    const ce = proof.closestEncloser;
    const wildcard = wildcardAt(ce);
    const hw = hashOf(chain, wildcard);
    if (chain.matching(hw) !== undefined) return bogus(`an NSEC3 shows ${wildcard} exists`);
    if (chain.covering(hw) === undefined) return bogus(`no NSEC3 covers ${wildcard}`, EDE.NSEC_MISSING);
    if (optOut(proof.cover)) {
      return { ...insecure(`${proof.nextCloser} lies in an NSEC3 Opt-Out span`), closestEncloser: ce };
    }
    return { ...secure(`NSEC3 proves ${qname} does not exist`), closestEncloser: ce };
  });
}

/**
 * NODATA (RFC 5155 8.5-8.7): the NSEC3 matching `qname` lacks `qtype` and CNAME (8.5; at a delegation point only
 * DS can be denied, a child apex NSEC3 never denies DS); else, for DS, a closest encloser proof whose next closer
 * cover has Opt-Out → insecure (8.6); else a wildcard NODATA (8.7): closest encloser proof and the NSEC3 of the
 * wildcard lacking `qtype` and CNAME (insecure under Opt-Out); else, under an Opt-Out span (an empty
 * non-terminal of unsigned delegations) → insecure.
 */
export function proveNodata(
  qname: Name,
  qtype: number,
  zone: Name,
  nsec3s: readonly RR[],
  budget: ValidationBudget,
): DenialVerdict {
  if (!qname.isSubdomainOf(zone)) return bogus(`${qname} is outside the zone ${zone}`);
  return guarded(zone, nsec3s, budget, (chain) => {
    const what = `${qname} ${typeToText(qtype)}`;
    const match = chain.matching(hashOf(chain, qname));
    if (match !== undefined) {
      const problem = typeDenialProblem(match.data, qtype, qname);
      return problem === undefined ? secure(`NSEC3 proves there is no ${what}`) : bogus(problem);
    }
    const proof = closestEncloserProof(qname, chain);
    if (isVerdict(proof)) return proof;
    const ce = proof.closestEncloser;
    const spanned = optOut(proof.cover);
    if (qtype === RRType.DS) {
      if (spanned) return { ...insecure(`${what}: Opt-Out span, no DS (RFC 5155 8.6)`), closestEncloser: ce };
      return bogus(`no NSEC3 matches ${qname} and its next closer name is not in an Opt-Out span`);
    }
    const wildcard = wildcardAt(ce);
    const wmatch = chain.matching(hashOf(chain, wildcard));
    if (wmatch !== undefined) {
      const problem = typeDenialProblem(wmatch.data, qtype, wildcard);
      if (problem !== undefined) return bogus(problem);
      if (spanned) return { ...insecure(`${what}: wildcard NODATA in an Opt-Out span`), closestEncloser: ce };
      return { ...secure(`NSEC3 proves wildcard NODATA at ${wildcard}`), closestEncloser: ce };
    }
    if (spanned) return { ...insecure(`${what}: no NSEC3 matches, Opt-Out span`), closestEncloser: ce };
    return bogus(`no NSEC3 proves there is no ${what}`, EDE.NSEC_MISSING);
  });
}

/**
 * A wildcard answer (RFC 5155 8.8): `qname` was synthesised from `source` (`*.<closest encloser>`, from
 * verifyRRset); an NSEC3 must cover the next closer name. Insecure when that NSEC3 has Opt-Out.
 */
export function proveWildcardAnswer(
  qname: Name,
  source: Name,
  zone: Name,
  nsec3s: readonly RR[],
  budget: ValidationBudget,
): DenialVerdict {
  const ce = source.parent();
  if (!source.isWildcard() || !qname.isSubdomainOf(ce) || qname.labelCount <= ce.labelCount) {
    return bogus(`${qname} is not an expansion of ${source}`);
  }
  if (!ce.isSubdomainOf(zone)) return bogus(`${source} is outside the zone ${zone}`);
  return guarded(zone, nsec3s, budget, (chain) => {
    const nextCloser = qname.suffix(ce.labelCount + 1);
    const h = hashOf(chain, nextCloser);
    if (chain.matching(h) !== undefined) return bogus(`an NSEC3 shows ${nextCloser} exists`);
    const cover = chain.covering(h);
    if (cover === undefined) return bogus(`no NSEC3 covers the next closer name ${nextCloser}`, EDE.NSEC_MISSING);
    if (optOut(cover)) return { ...insecure(`${nextCloser} lies in an NSEC3 Opt-Out span`), closestEncloser: ce };
    return { ...secure(`NSEC3 proves no closer match than ${source}`), closestEncloser: ce };
  });
}

/**
 * No DS at `name`, from the parent zone's NSEC3 records: the NSEC3 matching `name` must lack DS and SOA; with NS
 * it proves an unsigned delegation (insecure, `delegation: true`), without NS no zone cut (secure, `delegation:
 * false`). With no matching NSEC3: a closest encloser proof whose next closer cover has Opt-Out → insecure (an
 * unsigned delegation may exist, RFC 5155 8.6); without Opt-Out the name does not exist, so there is no cut
 * (secure, `delegation: false`).
 */
export function proveNoDs(name: Name, zone: Name, nsec3s: readonly RR[], budget: ValidationBudget): NoDsVerdict {
  if (!name.isSubdomainOf(zone) || name.equals(zone)) return bogus(`the DS of ${name} is not in ${zone}`);
  return guarded<NoDsVerdict>(zone, nsec3s, budget, (chain) => {
    const match = chain.matching(hashOf(chain, name));
    if (match !== undefined) {
      const d = match.data;
      if (has(d, RRType.DS)) return bogus(`the NSEC3 of ${name} lists DS`);
      if (has(d, RRType.SOA)) return bogus(`the NSEC3 of ${name} is from the child zone (SOA bit)`);
      if (has(d, RRType.NS)) return { ...insecure(`NSEC3 proves ${name} is an unsigned delegation`), delegation: true };
      return { ...secure(`NSEC3 proves there is no zone cut at ${name}`), delegation: false };
    }
    const proof = closestEncloserProof(name, chain);
    if (isVerdict(proof)) return proof;
    if (optOut(proof.cover)) {
      return { ...insecure(`${proof.nextCloser} lies in an NSEC3 Opt-Out span: no DS`), delegation: true };
    }
    return { ...secure(`NSEC3 proves ${name} does not exist`), delegation: false };
  });
}
