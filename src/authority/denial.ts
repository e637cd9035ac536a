/**
 * Authenticated denial of existence for authoritative answers: which NSEC (RFC 4035
 * 3.1.3) or NSEC3 (RFC 5155 7.2) records prove what a response claims. Each function
 * hands the chosen RRsets to `add`, which puts them (with their RRSIGs) in the authority
 * section and drops repeats. Zones without NSEC/NSEC3 get nothing.
 */
import { nsec3Hash } from '../dnssec/algorithms.js';
import { encodeBase32Hex } from '../dnssec/base32hex.js';
import { latin1ToBytes, RRType } from '../wire/index.js';
import { canonicalSortKey, parentKey, type RRset, type Zone, type ZoneNode } from './zone.js';

export type AddRRset = (set: RRset) => void;

/** The only NSEC3 hash algorithm (RFC 5155 11). */
const NSEC3_SHA1 = 1;

/** Wildcard key below a node: `*.<key>`. */
export function wildcardKey(key: string): string {
  return `\x01*${key}`;
}

/** The lower-case base32hex NSEC3 hash of a canonical name key, or undefined when the zone has no usable parameters. */
function hashOf(zone: Zone, key: string): string | undefined {
  const p = zone.nsec3Params;
  if (p === undefined || p.hashAlgorithm !== NSEC3_SHA1) return undefined;
  return encodeBase32Hex(nsec3Hash(latin1ToBytes(key), p.salt, p.iterations));
}

function nsecAt(node: ZoneNode): RRset | undefined {
  return node.occluded ? undefined : node.get(RRType.NSEC);
}

function addNsecCovering(zone: Zone, key: string, add: AddRRset): void {
  const n = zone.nsecCovering(canonicalSortKey(key));
  const set = n?.get(RRType.NSEC);
  if (set) add(set);
}

function addNsec3Matching(zone: Zone, key: string, add: AddRRset): boolean {
  const h = hashOf(zone, key);
  const e = h === undefined ? undefined : zone.nsec3Matching(h);
  if (e) add(e.rrset);
  return e !== undefined;
}

function addNsec3Covering(zone: Zone, key: string, add: AddRRset): void {
  const h = hashOf(zone, key);
  const e = h === undefined ? undefined : zone.nsec3Covering(h);
  if (e) add(e.rrset);
}

/**
 * RFC 5155 7.2.1 closest provable encloser proof for a name without a matching NSEC3
 * (an opt-out delegation): the NSEC3 matching the closest ancestor that has one, and the
 * one covering the next closer name.
 */
function addProvableEncloserProof(zone: Zone, key: string, add: AddRRset): void {
  const apex = zone.origin.key;
  let prev = key;
  let k = key;
  while (k.length > apex.length) {
    prev = k;
    k = parentKey(k);
    if (addNsec3Matching(zone, k, add)) break;
  }
  addNsec3Covering(zone, prev, add);
}

/** NXDOMAIN: the name and the wildcard at its closest encloser do not exist. */
export function nxdomainProof(zone: Zone, qkey: string, ce: ZoneNode, nextCloserKey: string, add: AddRRset): void {
  if (zone.denial === 'nsec') {
    addNsecCovering(zone, qkey, add);
    addNsecCovering(zone, wildcardKey(ce.key), add);
  } else if (zone.denial === 'nsec3') {
    addNsec3Matching(zone, ce.key, add);
    addNsec3Covering(zone, nextCloserKey, add);
    addNsec3Covering(zone, wildcardKey(ce.key), add);
  }
}

/** NODATA at an existing name (empty non-terminals included). */
export function nodataProof(zone: Zone, node: ZoneNode, add: AddRRset): void {
  if (zone.denial === 'nsec') {
    const own = nsecAt(node);
    if (own) add(own);
    else addNsecCovering(zone, node.key, add);
  } else if (zone.denial === 'nsec3') {
    if (!addNsec3Matching(zone, node.key, add)) addProvableEncloserProof(zone, node.key, add);
  }
}

/** NODATA through a wildcard: the name does not exist, and the wildcard lacks the type. */
export function wildcardNodataProof(
  zone: Zone,
  qkey: string,
  ce: ZoneNode,
  nextCloserKey: string,
  wildcard: ZoneNode,
  add: AddRRset,
): void {
  if (zone.denial === 'nsec') {
    addNsecCovering(zone, qkey, add);
    const own = nsecAt(wildcard);
    if (own) add(own);
    else addNsecCovering(zone, wildcard.key, add);
  } else if (zone.denial === 'nsec3') {
    addNsec3Matching(zone, ce.key, add);
    addNsec3Covering(zone, nextCloserKey, add);
    addNsec3Matching(zone, wildcard.key, add);
  }
}

/** A wildcard answer: no closer match for the query name exists. */
export function wildcardAnswerProof(zone: Zone, qkey: string, nextCloserKey: string, add: AddRRset): void {
  if (zone.denial === 'nsec') addNsecCovering(zone, qkey, add);
  else if (zone.denial === 'nsec3') addNsec3Covering(zone, nextCloserKey, add);
}

/** A referral without DS: the delegation is insecure. */
export function noDsProof(zone: Zone, cut: ZoneNode, add: AddRRset): void {
  nodataProof(zone, cut, add);
}
