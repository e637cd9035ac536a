/**
 * Authenticated denial of existence with NSEC (RFC 4035 5.4, RFC 4034 4, RFC 6840 4.1 and 4.3; like Unbound's
 * val_nsec): which verified NSEC records prove NXDOMAIN, NODATA (empty non-terminals and wildcard NODATA
 * included), a wildcard answer's "no closer match", and the absence of a DS at a delegation.
 *
 * Every function takes NSEC records the caller has already verified (verifyRRset on each NSEC RRset, with the
 * keys of the zone that signed it); other record types in the list are ignored. Names compare in canonical order
 * (RFC 4034 6.1).
 *
 * Traps handled here:
 * - an NSEC owned by a delegation point (NS without SOA) or a DNAME owner speaks for its own zone only: it must
 *   not deny names below it (RFC 6840 4.1), so nsecCovers never lets it cover them; at a delegation it may deny
 *   only DS;
 * - the NSEC at a child zone's apex (SOA bit) comes from the child, so it cannot prove the parent has no DS;
 * - a NODATA proof also needs the CNAME bit clear (RFC 6840 4.3).
 */

import { EDE, Name, type NsecData, type RR, RRType, typeToText } from '../../wire/index.js';
import { bogus, insecure, secure, type Verdict } from './types.js';

/** A denial verdict; for NXDOMAIN and wildcard proofs, the closest encloser the NSEC records establish. */
export interface DenialVerdict extends Verdict {
  readonly closestEncloser?: Name;
}

/** A "no DS" verdict: `delegation` tells whether the proof shows a zone cut at the name. */
export interface NoDsVerdict extends Verdict {
  /** True: an unsigned delegation (insecure). False: no DS and no zone cut there (secure). */
  readonly delegation?: boolean;
}

function dataOf(nsec: RR): NsecData | undefined {
  if (nsec.type !== RRType.NSEC) return undefined;
  const d = nsec.data as NsecData;
  return d.next instanceof Name && Array.isArray(d.types) ? d : undefined;
}

function has(d: NsecData, type: number): boolean {
  return d.types.includes(type);
}

/** True when the NSEC's owner is `name` (case-insensitively): its type bit map describes that name. */
export function nsecMatches(nsec: RR, name: Name): boolean {
  return dataOf(nsec) !== undefined && nsec.name.equals(name);
}

/**
 * True when the NSEC proves `name` does not exist: owner < name < next in canonical order, or, for the last NSEC
 * of the chain (next at or before the owner, i.e. back at the apex), owner < name and name below next. Never when
 * the owner is a delegation point (NS without SOA) or a DNAME owner and `name` lies below it (RFC 6840 4.1).
 */
export function nsecCovers(nsec: RR, name: Name): boolean {
  const d = dataOf(nsec);
  if (d === undefined) return false;
  const owner = nsec.name;
  if (owner.compare(name) >= 0) return false;
  const last = owner.compare(d.next) >= 0;
  if (last ? !name.isSubdomainOf(d.next) : name.compare(d.next) >= 0) return false;
  if (name.isSubdomainOf(owner) && (has(d, RRType.DNAME) || (has(d, RRType.NS) && !has(d, RRType.SOA)))) return false;
  return true;
}

function inZone(nsecs: readonly RR[], zone: Name): RR[] {
  return nsecs.filter((rr) => dataOf(rr) !== undefined && rr.name.isSubdomainOf(zone));
}

/**
 * The closest encloser a covering NSEC implies for `qname`: the longest ancestor of `qname` shared with the
 * NSEC's owner or next name (any name between them cannot exist, and both ends do). It is `qname` itself when the
 * next name lies below `qname`: then `qname` is an empty non-terminal.
 */
function closestEncloserOf(qname: Name, cover: RR): Name {
  const d = cover.data as NsecData;
  return qname.suffix(Math.max(qname.commonLabels(cover.name), qname.commonLabels(d.next)));
}

function wildcardAt(ce: Name): Name {
  return Name.fromLabels(['*', ...ce.labels()]);
}

/** Why a matching NSEC cannot deny `qtype`, or undefined when it can. */
function typeDenialProblem(d: NsecData, qtype: number, qname: Name): string | undefined {
  if (has(d, qtype)) return `the NSEC of ${qname} lists ${typeToText(qtype)}`;
  if (qtype !== RRType.CNAME && has(d, RRType.CNAME)) return `the NSEC of ${qname} lists CNAME (RFC 6840 4.3)`;
  if (qtype === RRType.DS) {
    if (has(d, RRType.SOA) && !qname.isRoot()) return `the NSEC of ${qname} is from the child zone (SOA bit)`;
  } else if (has(d, RRType.NS) && !has(d, RRType.SOA)) {
    return `the NSEC of ${qname} is a delegation point's, which denies only DS (RFC 6840 4.1)`;
  }
  return undefined;
}

/**
 * NXDOMAIN (RFC 4035 5.4): an NSEC covers `qname`, none matches it, and an NSEC covers (without matching) the
 * wildcard at the closest encloser. Secure with the closest encloser, or bogus (EDE 12 when a proof is missing).
 */
export function proveNxdomain(qname: Name, zone: Name, nsecs: readonly RR[]): DenialVerdict {
  try {
    if (!qname.isSubdomainOf(zone) || qname.equals(zone)) return bogus(`${qname} cannot be denied by ${zone}`);
    const list = inZone(nsecs, zone);
    if (list.some((n) => nsecMatches(n, qname))) return bogus(`an NSEC shows ${qname} exists`);
    const cover = list.find((n) => nsecCovers(n, qname));
    if (cover === undefined) return bogus(`no NSEC proves ${qname} does not exist`, EDE.NSEC_MISSING);
    const ce = closestEncloserOf(qname, cover);
    if (ce.equals(qname)) return bogus(`an NSEC shows ${qname} is an empty non-terminal`);
    const wildcard = wildcardAt(ce);
    if (list.some((n) => nsecMatches(n, wildcard))) return bogus(`an NSEC shows ${wildcard} exists`);
    if (!list.some((n) => nsecCovers(n, wildcard))) {
      return bogus(`no NSEC proves ${wildcard} does not exist`, EDE.NSEC_MISSING);
    }
    return { ...secure(`NSEC proves ${qname} does not exist`), closestEncloser: ce };
  } catch (err) {
    return malformed(err);
  }
}

/**
 * NODATA (RFC 4035 5.4, RFC 6840 4.3): the NSEC matching `qname` lacks `qtype` and CNAME; or `qname` is an empty
 * non-terminal (an NSEC covers it and its next name lies below it); or a wildcard NODATA (an NSEC covers `qname`
 * and the NSEC of the wildcard at its closest encloser lacks `qtype` and CNAME). A delegation point's NSEC only
 * denies DS there; a child apex NSEC never denies DS.
 */
export function proveNodata(qname: Name, qtype: number, zone: Name, nsecs: readonly RR[]): DenialVerdict {
  try {
    if (!qname.isSubdomainOf(zone)) return bogus(`${qname} is outside the zone ${zone}`);
    const list = inZone(nsecs, zone);
    const match = list.find((n) => nsecMatches(n, qname));
    if (match !== undefined) {
      const problem = typeDenialProblem(match.data as NsecData, qtype, qname);
      return problem === undefined ? secure(`NSEC proves ${qname} has no ${typeToText(qtype)}`) : bogus(problem);
    }
    const cover = list.find((n) => nsecCovers(n, qname));
    if (cover === undefined) return bogus(`no NSEC proves ${qname} has no ${typeToText(qtype)}`, EDE.NSEC_MISSING);
    const ce = closestEncloserOf(qname, cover);
    if (ce.equals(qname)) return secure(`NSEC proves ${qname} is an empty non-terminal`);
    const wildcard = wildcardAt(ce);
    const wmatch = list.find((n) => nsecMatches(n, wildcard));
    if (wmatch === undefined) {
      return bogus(`${qname} does not exist and no NSEC shows a wildcard at ${ce}`, EDE.NSEC_MISSING);
    }
    const problem = typeDenialProblem(wmatch.data as NsecData, qtype, wildcard);
    if (problem !== undefined) return bogus(problem);
    return { ...secure(`NSEC proves wildcard NODATA at ${wildcard}`), closestEncloser: ce };
  } catch (err) {
    return malformed(err);
  }
}

/**
 * A wildcard answer (RFC 4035 5.3.4): `qname` was synthesised from `source` (`*.<closest encloser>`, from
 * verifyRRset), so an NSEC must prove `qname` does not exist, and the closest encloser it implies must be the
 * wildcard's parent (otherwise a closer name exists and the wildcard must not have applied).
 */
export function proveWildcardAnswer(qname: Name, source: Name, nsecs: readonly RR[]): DenialVerdict {
  try {
    const ce = source.parent();
    if (!source.isWildcard() || !qname.isSubdomainOf(ce) || qname.labelCount <= ce.labelCount) {
      return bogus(`${qname} is not an expansion of ${source}`);
    }
    const list = nsecs.filter((n) => dataOf(n) !== undefined);
    if (list.some((n) => nsecMatches(n, qname))) return bogus(`an NSEC shows ${qname} exists`);
    const cover = list.find((n) => nsecCovers(n, qname));
    if (cover === undefined) return bogus(`no NSEC proves ${qname} does not exist`, EDE.NSEC_MISSING);
    const derived = closestEncloserOf(qname, cover);
    if (!derived.equals(ce)) return bogus(`NSEC shows the closest encloser of ${qname} is ${derived}, not ${ce}`);
    return { ...secure(`NSEC proves no closer match than ${source}`), closestEncloser: ce };
  } catch (err) {
    return malformed(err);
  }
}

/**
 * No DS at `name` (RFC 4035 5.2, RFC 6840 4.1), from the parent zone's NSEC records. The NSEC matching `name` must
 * lack DS and SOA (an apex NSEC is the child's): with the NS bit the delegation is proven unsigned (insecure,
 * `delegation: true`); without it there is no zone cut at `name` (secure, `delegation: false`). An NSEC covering
 * `name` (which does not exist, or is an empty non-terminal) also proves there is no cut (secure). Bogus
 * otherwise (EDE 12 when no NSEC applies).
 */
export function proveNoDs(name: Name, nsecs: readonly RR[]): NoDsVerdict {
  try {
    const list = nsecs.filter((n) => dataOf(n) !== undefined);
    const match = list.find((n) => nsecMatches(n, name));
    if (match !== undefined) {
      const d = match.data as NsecData;
      if (has(d, RRType.DS)) return bogus(`the NSEC of ${name} lists DS`);
      if (has(d, RRType.SOA) && !name.isRoot()) return bogus(`the NSEC of ${name} is from the child zone (SOA bit)`);
      if (has(d, RRType.NS)) return { ...insecure(`NSEC proves ${name} is an unsigned delegation`), delegation: true };
      return { ...secure(`NSEC proves there is no zone cut at ${name}`), delegation: false };
    }
    if (list.some((n) => nsecCovers(n, name))) {
      return { ...secure(`NSEC proves ${name} does not exist or is an empty non-terminal`), delegation: false };
    }
    return bogus(`no NSEC proves ${name} has no DS`, EDE.NSEC_MISSING);
  } catch (err) {
    return malformed(err);
  }
}

function malformed(err: unknown): Verdict {
  return bogus(`malformed input: ${err instanceof Error ? err.message : String(err)}`);
}
