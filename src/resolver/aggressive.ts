import type { AggressiveNsecCache, DenialEntry } from '../cache/aggressive.js';
import { Rank } from '../cache/rank.js';
import type { RRsetCache } from '../cache/rrset-cache.js';
import { nsec3Hash } from '../dnssec/algorithms.js';
import { encodeBase32Hex } from '../dnssec/base32hex.js';
import * as nsec from '../dnssec/validate/nsec.js';
import * as nsec3 from '../dnssec/validate/nsec3.js';
import type { ValidationBudget } from '../dnssec/validate/types.js';
import { Name, type NameData, type Nsec3Data, type NsecData, type RR, RRType } from '../wire/index.js';
import type { RRsetIn } from './classify.js';
import type { Step } from './iterator.js';

/**
 * RFC 8198 aggressive use of the DNSSEC-validated cache: answers NXDOMAIN, NODATA and wildcard expansions from NSEC
 * and NSEC3 records validated earlier, without asking the zone's servers. Each answer is proven again, from the
 * cached records, by the same denial proofs a response gets (src/dnssec/validate), so it is only given when the
 * proof is secure: never through an Opt-Out span (RFC 8198 5.2), never with NSEC3 iterations above the limit.
 * Wildcard answers need the wildcard's RRset in the cache under its own owner (`*.<closest encloser>`, RFC 8198 5.3).
 */
export interface AggressiveSources {
  denials: AggressiveNsecCache;
  rrsets: RRsetCache;
}

/** A synthesised answer (or wildcard CNAME to follow) and what it was built from (for the explain log). */
export type Synthesised = Step & { basis: string };

/** A synthesised answer for (name, type) at `nowMs`, or undefined when the cache proves nothing. */
export function synthesize(
  src: AggressiveSources,
  name: Name,
  type: number,
  nowMs: number,
  budget: ValidationBudget,
): Synthesised | undefined {
  // a DS RRset lives in the parent zone: its denial comes from the parent's chain
  if (type === RRType.DS && name.isRoot()) return undefined;
  const start = type === RRType.DS ? name.parent() : name;
  const zone = src.denials.zoneOf(start);
  if (zone === undefined || (type === RRType.DS && name.equals(zone))) return undefined;
  const viaNsec = fromNsec(src, zone, name, type, nowMs);
  const r = viaNsec ?? fromNsec3(src, zone, name, type, nowMs, budget);
  if (r === undefined) return undefined;
  if (r.kind === 'answer' || r.kind === 'alias') return r;
  // a denial needs the zone's SOA for its authority section (and its negative TTL)
  const soa = src.denials.soa(zone, nowMs);
  if (soa === undefined) return undefined;
  const left = Math.max(0, Math.floor((soa.expires - nowMs) / 1000));
  const ttl = (rr: RR) => ({ ...rr, ttl: Math.min(rr.ttl, left) });
  return { ...r, authority: [...soa.rrs.map(ttl), ...soa.sigs.map(ttl), ...r.authority] };
}

/** Records of entries (and their RRSIGs) with TTLs lowered to what is left of them. */
function proofRecords(entries: readonly DenialEntry[], nowMs: number): RR[] {
  const out: RR[] = [];
  const seen = new Set<DenialEntry>();
  for (const e of entries) {
    if (seen.has(e)) continue;
    seen.add(e);
    const left = Math.max(0, Math.floor((e.expires - nowMs) / 1000));
    for (const rr of [e.rr, ...e.sigs]) out.push({ ...rr, ttl: Math.min(rr.ttl, left) });
  }
  return out;
}

function negative(
  kind: 'nxdomain' | 'nodata',
  name: Name,
  entries: DenialEntry[],
  nowMs: number,
  basis: string,
): Synthesised {
  return {
    kind,
    chain: [],
    authority: proofRecords(entries, nowMs),
    name,
    fromCache: true,
    security: { status: 'secure' },
    basis,
  };
}

function wildcardAt(ce: Name): Name {
  return Name.fromLabels(['*', ...ce.labels()]);
}

/**
 * A wildcard expansion from the cache (RFC 8198 5.3): the wildcard's own RRset (stored under `*.<ce>` when an
 * earlier expansion was validated), renamed to `name`; its RRSIGs still verify for any expansion (Labels field).
 * `types`: the types the wildcard owns (its NSEC/NSEC3 bitmap); a wildcard CNAME is expanded for any other type.
 */
function expansion(
  src: AggressiveSources,
  wildcard: Name,
  types: readonly number[],
  name: Name,
  type: number,
  proof: DenialEntry[],
  nowMs: number,
  basis: string,
): Synthesised | undefined {
  const alias = !types.includes(type) && type !== RRType.CNAME;
  const hit = src.rrsets.get(wildcard, alias ? RRType.CNAME : type, nowMs, { minRank: Rank.NonAuthAnswer });
  if (hit === undefined || hit.entry.security !== 'secure') return undefined;
  const rename = (rr: RR): RR => ({ ...rr, name, ttl: Math.min(rr.ttl, hit.ttl) });
  const rrset: RRsetIn = {
    rrs: hit.entry.rrs.map(rename),
    sigs: hit.entry.sigs.map(rename),
    proof: proofRecords(proof, nowMs),
  };
  const security = { status: 'secure' as const };
  if (!alias) return { kind: 'answer', chain: [], rrset, fromCache: true, security, basis };
  const to = (rrset.rrs[0].data as NameData).target;
  return { kind: 'alias', chain: [{ kind: 'cname', cname: rrset, from: name, to }], target: to, security, basis };
}

/** True when the wildcard's bitmap lets it answer `type`: it has the type, or a CNAME to follow. */
function answers(types: readonly number[], type: number): boolean {
  return types.includes(type) || (types.includes(RRType.CNAME) && type !== RRType.CNAME);
}

function fromNsec(
  src: AggressiveSources,
  zone: Name,
  name: Name,
  type: number,
  nowMs: number,
): Synthesised | undefined {
  const at = src.denials.nsecAtOrBefore(zone, name, nowMs);
  if (at === undefined) return undefined;
  if (nsec.nsecMatches(at.rr, name)) {
    const v = nsec.proveNodata(name, type, zone, [at.rr]);
    return v.status === 'secure' ? negative('nodata', name, [at], nowMs, `NSEC of ${at.rr.name}`) : undefined;
  }
  if (!nsec.nsecCovers(at.rr, name)) return undefined;
  const next = (at.rr.data as NsecData).next;
  const ce = name.suffix(Math.max(name.commonLabels(at.rr.name), name.commonLabels(next)));
  if (ce.equals(name)) {
    // an empty non-terminal: exists, with no data of any type
    const v = nsec.proveNodata(name, type, zone, [at.rr]);
    return v.status === 'secure' ? negative('nodata', name, [at], nowMs, `NSEC of ${at.rr.name} (ENT)`) : undefined;
  }
  const wildcard = wildcardAt(ce);
  const w = src.denials.nsecAtOrBefore(zone, wildcard, nowMs);
  if (w === undefined) return undefined;
  if (nsec.nsecMatches(w.rr, wildcard)) {
    const types = (w.rr.data as NsecData).types;
    if (answers(types, type)) {
      const v = nsec.proveWildcardAnswer(name, wildcard, [at.rr]);
      if (v.status !== 'secure') return undefined;
      return expansion(src, wildcard, types, name, type, [at], nowMs, `NSEC of ${at.rr.name}, cached ${wildcard}`);
    }
    const v = nsec.proveNodata(name, type, zone, [at.rr, w.rr]);
    return v.status === 'secure'
      ? negative('nodata', name, [at, w], nowMs, `NSEC of ${at.rr.name} and ${w.rr.name} (wildcard)`)
      : undefined;
  }
  const v = nsec.proveNxdomain(name, zone, [at.rr, w.rr]);
  return v.status === 'secure'
    ? negative('nxdomain', name, [at, w], nowMs, `NSEC of ${at.rr.name} and ${w.rr.name}`)
    : undefined;
}

function fromNsec3(
  src: AggressiveSources,
  zone: Name,
  name: Name,
  type: number,
  nowMs: number,
  budget: ValidationBudget,
): Synthesised | undefined {
  const sample = src.denials.anyNsec3(zone, nowMs);
  if (sample === undefined) return undefined;
  const params = sample.rr.data as Nsec3Data;
  // beyond the limit the proof would be insecure anyway: no hashing at all
  if (params.iterations > budget.limits.maxNsec3Iterations) return undefined;
  const lookup = (n: Name): { entry: DenialEntry; matches: boolean } | undefined => {
    if (!budget.takeNsec3Hash()) return undefined;
    const label = encodeBase32Hex(nsec3Hash(n.toCanonicalBytes(), params.salt, params.iterations)).toLowerCase();
    const entry = src.denials.nsec3AtOrBefore(zone, label, nowMs);
    if (entry === undefined) return undefined;
    return { entry, matches: entry.rr.name.label(0).toLowerCase() === label };
  };
  const q = lookup(name);
  if (q === undefined) return undefined;
  if (q.matches) {
    const v = nsec3.proveNodata(name, type, zone, [q.entry.rr], budget);
    return v.status === 'secure' ? negative('nodata', name, [q.entry], nowMs, 'NSEC3 of the name') : undefined;
  }
  // closest encloser: the nearest ancestor with a matching NSEC3; the name below it towards `name` is the next closer
  let nextCloser = q;
  let ce: Name | undefined;
  let ceEntry: DenialEntry | undefined;
  for (let n = name.parent(); n.isSubdomainOf(zone); n = n.parent()) {
    const r = lookup(n);
    if (r === undefined) return undefined;
    if (r.matches) {
      ce = n;
      ceEntry = r.entry;
      break;
    }
    nextCloser = r;
    if (n.equals(zone)) return undefined;
  }
  if (ce === undefined || ceEntry === undefined) return undefined;
  const wildcard = wildcardAt(ce);
  const w = lookup(wildcard);
  if (w === undefined) return undefined;
  const used = [ceEntry, nextCloser.entry, w.entry];
  const records = [...new Set(used.map((e) => e.rr))];
  if (w.matches) {
    const types = (w.entry.rr.data as Nsec3Data).types;
    if (answers(types, type)) {
      const v = nsec3.proveWildcardAnswer(name, wildcard, zone, [nextCloser.entry.rr], budget);
      if (v.status !== 'secure') return undefined;
      const basis = `NSEC3 chain, cached ${wildcard}`;
      return expansion(src, wildcard, types, name, type, [nextCloser.entry], nowMs, basis);
    }
    const v = nsec3.proveNodata(name, type, zone, records, budget);
    return v.status === 'secure' ? negative('nodata', name, used, nowMs, 'NSEC3 wildcard NODATA') : undefined;
  }
  const v = nsec3.proveNxdomain(name, zone, records, budget);
  return v.status === 'secure' ? negative('nxdomain', name, used, nowMs, 'NSEC3 closest encloser proof') : undefined;
}
