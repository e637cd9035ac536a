import type { Security } from '../cache/rank.js';
import {
  canonicalRdata,
  type Message,
  Name,
  type NameData,
  type NsecData,
  Rcode,
  type RR,
  RRType,
  type RrsigData,
  type SoaData,
  toHex,
} from '../wire/index.js';
import { LIMITS } from './limits.js';

/** An RRset as received: its records and the RRSIGs covering it. */
export interface RRsetIn {
  rrs: RR[];
  sigs: RR[];
  /**
   * For an RRset synthesised from a wildcard (RFC 4035 5.3.4): the NSEC/NSEC3 records and their RRSIGs that prove
   * no closer match exists. Set by the validator once the proof holds; sent to DO clients in the authority section.
   */
  proof?: RR[];
  /**
   * This RRset's own DNSSEC verdict, set by the validator when it differs in scope from the response's: a signed DNAME
   * stays secure (and is cached so) even when the response around it is bogus.
   */
  verdict?: { status: Security; ede?: number; reason?: string };
  /** A CNAME synthesised from a DNAME (RFC 6672 3.2): covered by the DNAME's signature, never cached on its own. */
  synthesized?: boolean;
}

/** One alias step of an answer: a CNAME, or a DNAME with the CNAME synthesised from it. */
export interface AliasLink {
  kind: 'cname' | 'dname';
  /** The CNAME (received or synthesised) that maps `from` to `to`. */
  cname: RRsetIn;
  /** The DNAME RRset when kind is 'dname'. */
  dname?: RRsetIn;
  /**
   * For a DNAME link: a CNAME the server sent at `from` whose target differs from the substitution. It is never
   * followed; in a signed zone it is evidence of tampering and makes the answer bogus (RFC 6672 5.3.1).
   */
  conflicting?: RRsetIn;
  from: Name;
  to: Name;
}

/**
 * What a (scrubbed) response means for the name it was asked about (Unbound's
 * iter_resptype, Knot's iterate layer): a terminal answer or denial (possibly after
 * aliases), a referral to a child zone, aliases to follow elsewhere, or junk.
 */
export type Classified =
  | { kind: 'answer'; chain: AliasLink[]; rrset: RRsetIn; authority: RR[] }
  | { kind: 'alias'; chain: AliasLink[]; target: Name }
  | { kind: 'nxdomain'; chain: AliasLink[]; authority: RR[]; soa?: RR; name: Name }
  | { kind: 'nodata'; chain: AliasLink[]; authority: RR[]; soa?: RR; name: Name }
  | { kind: 'referral'; zone: Name; ns: RRsetIn; ds?: RRsetIn; proofs: RR[]; glue: RR[] }
  | { kind: 'lame'; reason: string }
  | { kind: 'error'; rcode: number; reason: string };

function groupSets(rrs: RR[]): Map<string, RRsetIn> {
  const sets = new Map<string, RRsetIn>();
  const sigs: RR[] = [];
  for (const rr of rrs) {
    if (rr.type === RRType.RRSIG) {
      sigs.push(rr);
      continue;
    }
    const k = `${rr.name.key}|${rr.type}`;
    let s = sets.get(k);
    if (s === undefined) {
      s = { rrs: [], sigs: [] };
      sets.set(k, s);
    }
    s.rrs.push(rr);
  }
  for (const sig of sigs) {
    const s = sets.get(`${sig.name.key}|${(sig.data as RrsigData).typeCovered}`);
    if (s) s.sigs.push(sig);
  }
  return sets;
}

function setAt(sets: Map<string, RRsetIn>, name: Name, type: number): RRsetIn | undefined {
  return sets.get(`${name.key}|${type}`);
}

/**
 * The answer to a query of type RRSIG: every RRSIG owned by `name`, whatever it covers (RFC 4035 3.1.5 lets servers
 * answer them; no RRSIG signs them, so they stay unvalidated, as in Unbound).
 */
function rrsigSet(answers: RR[], name: Name): RRsetIn | undefined {
  const rrs = answers.filter((rr) => rr.type === RRType.RRSIG && rr.name.equals(name));
  return rrs.length > 0 ? { rrs, sigs: [] } : undefined;
}

/**
 * Removes what a server for `zone` has no authority to tell us (RFC 2181 5.4.1,
 * RFC 5452 6; Unbound's scrubber): records outside the zone in every section, and
 * additional records other than addresses of nameservers named in the response.
 *
 * One exception, for lameness detection: an empty NOERROR answer without SOA whose
 * authority section holds NS records of an ancestor of the zone is an upward referral
 * (a server that does not serve the zone). Those NS records are kept so classify()
 * sees the lameness (they are never cached), and the additional section is dropped.
 */
export function scrub(msg: Message, zone: Name): Message {
  const inZone = (rr: RR) => rr.name.isSubdomainOf(zone);
  const answers = uniqueRecords(msg.answers.filter(inZone));
  const upward =
    answers.length === 0 &&
    msg.rcode === Rcode.NOERROR &&
    !msg.authorities.some((rr) => rr.type === RRType.SOA) &&
    msg.authorities.some((rr) => rr.type === RRType.NS && !rr.name.equals(zone) && zone.isSubdomainOf(rr.name));
  const authorities = uniqueRecords(
    msg.authorities.filter((rr) => inZone(rr) || (upward && rr.type === RRType.NS && zone.isSubdomainOf(rr.name))),
  );
  if (upward) return { ...msg, answers, authorities, additionals: [] };
  const targets = new Set<string>();
  for (const rr of [...answers, ...authorities]) {
    if (rr.type === RRType.NS) targets.add((rr.data as NameData).target.key);
  }
  const additionals = uniqueRecords(
    msg.additionals.filter(
      (rr) =>
        inZone(rr) &&
        (rr.type === RRType.A || rr.type === RRType.AAAA || rr.type === RRType.RRSIG) &&
        targets.has(rr.name.key),
    ),
  );
  return { ...msg, answers, authorities, additionals };
}

/**
 * One section's records with duplicates removed (RFC 2181 5: an RRset holds no two
 * identical records, so a server repeating one is suppressed, not believed twice).
 * Records are identical when owner (case-insensitively), class, type and canonical RDATA
 * (RFC 4034 6.2) agree; the first is kept, with the smallest TTL of its copies.
 */
export function uniqueRecords(rrs: RR[]): RR[] {
  if (rrs.length < 2) return rrs;
  const byRRset = new Map<string, number>();
  let shared = false;
  for (const rr of rrs) {
    const k = `${rr.name.key}|${rr.type}|${rr.class}`;
    const n = (byRRset.get(k) ?? 0) + 1;
    byRRset.set(k, n);
    if (n > 1) shared = true;
  }
  if (!shared) return rrs; // every RRset has one record: nothing can repeat
  const kept = new Map<string, number>();
  const out: RR[] = [];
  for (const rr of rrs) {
    const k = `${rr.name.key}|${rr.type}|${rr.class}`;
    if (byRRset.get(k) === 1) {
      out.push(rr);
      continue;
    }
    let rdata: string;
    try {
      rdata = toHex(canonicalRdata(rr.type, rr.data));
    } catch {
      out.push(rr); // not encodable: cannot be compared, keep it
      continue;
    }
    const at = kept.get(`${k}|${rdata}`);
    if (at === undefined) {
      kept.set(`${k}|${rdata}`, out.length);
      out.push(rr);
    } else if (rr.ttl < out[at].ttl) out[at] = { ...out[at], ttl: rr.ttl };
  }
  return out;
}

/** The deepest DNAME in `answers` whose owner is a proper ancestor of `name` (RFC 6672 2.2: not at the name itself). */
function dnameAbove(answers: RR[], name: Name): RR | undefined {
  let best: RR | undefined;
  for (const rr of answers) {
    if (rr.type !== RRType.DNAME || rr.name.equals(name) || !name.isSubdomainOf(rr.name)) continue;
    if (best === undefined || rr.name.labelCount > best.name.labelCount) best = rr;
  }
  return best;
}

/**
 * Follows the alias chain for (qname, qtype) through the answer section. A DNAME above
 * the current name takes precedence over a CNAME at it: the CNAME is always synthesised
 * from the DNAME (RFC 6672 3.2), so a received CNAME that disagrees with the substitution
 * (forged, or stale) is never followed, and the link is validated through its DNAME.
 */
function followChain(
  sets: Map<string, RRsetIn>,
  answers: RR[],
  qname: Name,
  qtype: number,
): { chain: AliasLink[]; end: Name; final?: RRsetIn } {
  const chain: AliasLink[] = [];
  let cur = qname;
  const seen = new Set<string>();
  for (let i = 0; i <= LIMITS.MAX_CNAME_CHAIN; i++) {
    if (seen.has(cur.key)) break;
    seen.add(cur.key);
    const dn = dnameAbove(answers, cur);
    // a CNAME at a name below a DNAME is the synthesised one (RFC 6672 3.1): for CNAME queries the DNAME decides
    const final =
      qtype === RRType.RRSIG
        ? rrsigSet(answers, cur)
        : qtype === RRType.CNAME && dn
          ? undefined
          : setAt(sets, cur, qtype);
    if (final) return { chain, end: cur, final };
    if (dn) {
      const dset = setAt(sets, dn.name, RRType.DNAME)!;
      if (dset.rrs.length !== 1) break; // a DNAME RRset has exactly one record (RFC 6672 2.4)
      let to: Name;
      try {
        to = cur.replaceSuffix(dn.name, (dn.data as NameData).target);
      } catch {
        break; // YXDOMAIN-worthy overflow: stop following
      }
      const synthesized: RR = { name: cur, type: RRType.CNAME, class: dn.class, ttl: dn.ttl, data: { target: to } };
      const cname: RRsetIn = { rrs: [synthesized], sigs: [], synthesized: true };
      const link: AliasLink = { kind: 'dname', cname, dname: dset, from: cur, to };
      const received = setAt(sets, cur, RRType.CNAME);
      if (received?.rrs.some((rr) => !(rr.data as NameData).target.equals(to))) link.conflicting = received;
      chain.push(link);
      // asked for the CNAME itself: the synthesised one is the answer (RFC 6672 3.1), not its target's CNAME
      if (qtype === RRType.CNAME) return { chain, end: cur, final: cname };
      cur = to;
      continue;
    }
    if (qtype !== RRType.CNAME) {
      const cn = setAt(sets, cur, RRType.CNAME);
      if (cn && cn.rrs.length === 1) {
        const to = (cn.rrs[0].data as NameData).target;
        chain.push({ kind: 'cname', cname: cn, from: cur, to });
        cur = to;
        continue;
      }
    }
    break;
  }
  return { chain, end: cur };
}

/**
 * Classifies a scrubbed response from a server of `zone` to the query (qname, qtype).
 * `zone` is the zone cut the server was chosen for.
 */
export function classify(msg: Message, qname: Name, qtype: number, zone: Name): Classified {
  const rcode = msg.rcode;
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) {
    return { kind: 'error', rcode, reason: `rcode ${rcode}` };
  }
  // a server has no say about names outside its zone (the iterator never asks; this guards the caches)
  if (!qname.isSubdomainOf(zone)) return { kind: 'lame', reason: `${qname} is outside ${zone}` };
  const answerSets = groupSets(msg.answers);
  const { chain, end, final } = followChain(answerSets, msg.answers, qname, qtype);
  const authSets = groupSets(msg.authorities);
  const soaRR = msg.authorities.find((rr) => rr.type === RRType.SOA);
  // SOA must belong to the zone the server serves or one below it (a child it is also authoritative for)
  const soa = soaRR && (end.isSubdomainOf(soaRR.name) ? soaRR : undefined);

  if (final) return { kind: 'answer', chain, rrset: final, authority: msg.authorities };

  // From here on the answer section holds nothing relevant beyond the alias chain: records that are neither on
  // the chain nor the answer are ignored (RFC 2308 2.2: NODATA is "no relevant answers"; Unbound's normalisation).
  // referral: NS for a zone strictly below `zone`, at or above the name we are after; without AA, or with AA
  // but no SOA (some servers set AA on referrals from a zone they also serve)
  const nsOwners = msg.authorities.filter((rr) => rr.type === RRType.NS);
  const cutNs = nsOwners.find(
    (rr) => end.isSubdomainOf(rr.name) && !rr.name.equals(zone) && rr.name.isSubdomainOf(zone),
  );
  if (cutNs && rcode === Rcode.NOERROR && (!msg.aa || soaRR === undefined) && chain.length === 0) {
    const child = cutNs.name;
    const ns = setAt(authSets, child, RRType.NS)!;
    const ds = setAt(authSets, child, RRType.DS);
    const proofs = msg.authorities.filter(
      (rr) =>
        rr.type === RRType.NSEC ||
        rr.type === RRType.NSEC3 ||
        (rr.type === RRType.RRSIG &&
          ((rr.data as RrsigData).typeCovered === RRType.NSEC || (rr.data as RrsigData).typeCovered === RRType.NSEC3)),
    );
    const glue = msg.additionals.filter((rr) => rr.type === RRType.A || rr.type === RRType.AAAA);
    return { kind: 'referral', zone: child, ns, ds, proofs, glue };
  }

  if (rcode === Rcode.NXDOMAIN) {
    // RFC 6604 3: the rcode is about the last name of the chain; believe it only from a server of that name's zone
    if (chain.length > 0 && (!end.isSubdomainOf(zone) || (!msg.aa && !soa)))
      return { kind: 'alias', chain, target: end };
    if (!msg.aa && !soa) return { kind: 'lame', reason: 'NXDOMAIN without AA or SOA' };
    return { kind: 'nxdomain', chain, authority: msg.authorities, soa, name: end };
  }

  if (chain.length > 0) {
    // aliases, but the server did not finish the chain: resolve the target ourselves — unless it said NODATA for
    // the target (RFC 2308 2.2), and its own NSEC for the target does not list the type (a self-contradicting
    // NODATA is not believed: the target is asked directly, as Unbound and Knot always do)
    if (soa && msg.aa && end.isSubdomainOf(zone) && nsOwners.length === 0 && !nsecLists(msg.authorities, end, qtype))
      return { kind: 'nodata', chain, authority: msg.authorities, soa, name: end };
    return { kind: 'alias', chain, target: end };
  }

  // no relevant answer
  if (msg.aa || soa) {
    if (nsOwners.some((rr) => !rr.name.isSubdomainOf(zone) || (rr.name.equals(zone) && !msg.aa)))
      return { kind: 'lame', reason: 'upward referral' };
    return { kind: 'nodata', chain, authority: msg.authorities, soa, name: end };
  }
  if (nsOwners.length > 0) return { kind: 'lame', reason: 'referral to a zone that is not below the server zone' };
  // a recursive server answering from its cache, not from the zone (Unbound's RESPONSE_TYPE_REC_LAME)
  if (msg.ra) return { kind: 'lame', reason: 'empty non-authoritative answer from a recursive server' };
  // RFC 2308 2.2.1 NODATA type 3: NOERROR, no relevant answer, no SOA, no NS (not cacheable without a SOA)
  return { kind: 'nodata', chain, authority: msg.authorities, soa, name: end };
}

/** True when `authority` holds an NSEC owned by `name` that lists `type` (or CNAME): `name` has such data. */
function nsecLists(authority: RR[], name: Name, type: number): boolean {
  return authority.some((rr) => {
    if (rr.type !== RRType.NSEC || !rr.name.equals(name)) return false;
    const types = (rr.data as NsecData).types;
    return types.includes(type) || types.includes(RRType.CNAME);
  });
}

/** Negative-caching TTL of RFC 2308 5: min(SOA TTL, SOA MINIMUM). */
export function negativeTtl(soa: RR | undefined, fallback: number): number {
  if (!soa) return fallback;
  return Math.min(soa.ttl, (soa.data as SoaData).minimum);
}

export { Name };
