/**
 * Authenticating a zone's DNSKEY RRset from the parent's DS RRset or from configured trust anchors (RFC 4035 5.2,
 * like Unbound's val_kentry / val_sigcrypt key-set checks): a DS (or anchor DNSKEY) selects keys of the RRset, and
 * one of them must sign the whole RRset (RFC 6840 5.11: any single valid path suffices).
 *
 * Digest and algorithm policy:
 * - DS records of unsupported algorithms or digest types are ignored; when none is left the zone is insecure
 *   (RFC 4035 5.2, RFC 6840 5.2), EDE 1 (no supported algorithm) or EDE 2 (supported algorithm, no supported
 *   digest), never bogus;
 * - SHA-1 DS records are ignored when a SHA-256 or SHA-384 DS of a usable algorithm is present (RFC 4509 3), so a
 *   forged SHA-1 collision cannot stand in for the stronger digest;
 * - with `sha1Insecure` (RFC 9905) SHA-1 digests and algorithms 5 and 7 count as unsupported.
 *
 * KeyTrap bounds: at most `maxDsPerZone` DS records (more is bogus), at most `maxKeysPerTag` DNSKEYs digested per
 * DS (so at most 16 cheap digests by default), and the signature work of verifyRRset over the DNSKEY RRset.
 */

import { canonicalRdata, type DnskeyData, type DsData, EDE, type Name, type RR, RRType } from '../../wire/index.js';
import { DsDigestType, dsDigest, isSupportedDigest } from '../algorithms.js';
import { DnskeyFlag } from '../keys.js';
import { dnskeyTag, isUsableAlgorithm, isZoneKey, type VerifyOptions, verifyRRset } from './rrset.js';
import { bogus, budgetExceeded, indeterminate, insecure, type ValidationBudget, type Verdict } from './types.js';

/** What vouches for a zone's keys: the (validated) DS RRset from the parent, and/or configured anchor DNSKEYs. */
export interface TrustAnchors {
  readonly ds?: readonly DsData[];
  readonly dnskeys?: readonly DnskeyData[];
}

export interface KeySetVerdict extends Verdict {
  /** When secure: every DNSKEY of the RRset, now trusted (pass them to verifyRRset). Empty otherwise. */
  readonly keys: DnskeyData[];
  /** When secure: the capped TTL of the DNSKEY RRset (RFC 4035 5.3.3). */
  readonly ttl?: number;
}

/**
 * True when `ds` is the digest of `key` owned by `owner` (RFC 4034 5.1.4: digest over the owner's canonical wire
 * form and the DNSKEY RDATA), with matching key tag and algorithm. False for unsupported digests. Never throws.
 */
export function dsMatches(ds: DsData, owner: Name, key: DnskeyData): boolean {
  try {
    if (ds.algorithm !== key.algorithm || dnskeyTag(key) !== ds.keyTag) return false;
    const digest = dsDigest(ds.digestType, owner.toCanonicalBytes(), canonicalRdata(RRType.DNSKEY, key));
    return digest !== undefined && sameBytes(digest, ds.digest);
  } catch {
    return false;
  }
}

/**
 * Authenticate the DNSKEY RRset of `zone`.
 *
 * @param dnskeys the DNSKEY records received for the zone (records of other owners or types are ignored).
 * @param sigs the RRSIGs received with them.
 * @param anchors the validated DS RRset of the zone (from its parent) and/or trust-anchor DNSKEYs.
 * @returns secure with the keys; insecure when no DS or anchor uses a supported algorithm and digest (EDE 1 or
 *   2); indeterminate without any DS or anchor; bogus when no key matches (EDE 9), a digest differs (EDE 6), the
 *   matched key is not a zone key (EDE 11), more DS than the budget allows (EDE 6), or the matched keys do not
 *   sign the RRset (the verifyRRset EDE). Never throws.
 */
export function verifyDnskeySet(
  dnskeys: readonly RR[],
  sigs: readonly RR[],
  anchors: TrustAnchors,
  zone: Name,
  nowSec: number,
  budget: ValidationBudget,
  opts: VerifyOptions = {},
): KeySetVerdict {
  try {
    return verifyKeys(dnskeys, sigs, anchors, zone, nowSec, budget, opts);
  } catch (err) {
    return { ...bogus(`malformed input: ${err instanceof Error ? err.message : String(err)}`), keys: [] };
  }
}

function verifyKeys(
  dnskeys: readonly RR[],
  sigs: readonly RR[],
  anchors: TrustAnchors,
  zone: Name,
  nowSec: number,
  budget: ValidationBudget,
  opts: VerifyOptions,
): KeySetVerdict {
  const none = (v: Verdict): KeySetVerdict => ({ ...v, keys: [] });
  const ownRecords = dnskeys.filter((rr) => rr.type === RRType.DNSKEY && rr.name.equals(zone));
  const set = ownRecords.filter((rr) => rr.class === ownRecords[0].class);
  const dsList = anchors.ds ?? [];
  const anchorKeys = anchors.dnskeys ?? [];
  if (dsList.length === 0 && anchorKeys.length === 0) return none(indeterminate(`no DS or trust anchor for ${zone}`));
  if (dsList.length > budget.limits.maxDsPerZone) {
    return none(budgetExceeded(EDE.DNSSEC_BOGUS, `${dsList.length} DS records for ${zone}`));
  }

  const usableDs = preferredDs(dsList, opts);
  const usableAnchors = anchorKeys.filter((k) => isUsableAlgorithm(k.algorithm, opts));
  if (usableDs.length === 0 && usableAnchors.length === 0) {
    const algorithmOk = dsList.some((d) => isUsableAlgorithm(d.algorithm, opts));
    if (algorithmOk) {
      const digests = [...new Set(dsList.map((d) => d.digestType))].join(', ');
      return none(insecure(`${zone}: no supported DS digest type (${digests})`, EDE.UNSUPPORTED_DS_DIGEST));
    }
    const algs = [...new Set([...dsList, ...anchorKeys].map((d) => d.algorithm))].join(', ');
    return none(insecure(`${zone}: no supported DNSSEC algorithm (${algs})`, EDE.UNSUPPORTED_DNSKEY_ALGORITHM));
  }
  if (set.length === 0) return none(bogus(`no DNSKEY RRset for ${zone}`, EDE.DNSKEY_MISSING));

  const keyData = set.map((rr) => rr.data as DnskeyData);
  const byTag = new Map<string, DnskeyData[]>();
  for (const k of keyData) {
    const tag = dnskeyTag(k);
    if (tag === undefined) continue;
    const id = `${k.algorithm}/${tag}`;
    const list = byTag.get(id);
    if (list === undefined) byTag.set(id, [k]);
    else list.push(k);
  }

  const trusted: DnskeyData[] = [];
  const trust = (k: DnskeyData) => {
    if (!trusted.includes(k)) trusted.push(k);
  };
  // The most telling reason no key was trusted: a matched key that is not a zone key, over a digest mismatch,
  // over a missing key.
  let failure: { rank: number; ede: number; reason: string } | undefined;
  const fail = (rank: number, ede: number, reason: string) => {
    if (failure === undefined || rank > failure.rank) failure = { rank, ede, reason };
  };
  for (const ds of usableDs) {
    const id = `DS ${ds.keyTag}/${ds.algorithm}/${ds.digestType}`;
    const candidates = byTag.get(`${ds.algorithm}/${ds.keyTag}`);
    if (candidates === undefined) {
      fail(1, EDE.DNSKEY_MISSING, `no DNSKEY has the key tag and algorithm of ${id}`);
      continue;
    }
    budget.noteKeyTagCollisions(candidates.length - 1);
    const matched = candidates.slice(0, budget.limits.maxKeysPerTag).filter((k) => dsMatches(ds, zone, k));
    if (matched.length === 0) fail(2, EDE.DNSSEC_BOGUS, `the digest of ${id} matches no DNSKEY`);
    for (const key of matched) {
      if (isZoneKey(key)) trust(key);
      else notZoneKey(key, id);
    }
  }
  for (const anchor of usableAnchors) {
    const wire = canonicalRdata(RRType.DNSKEY, anchor);
    const id = `trust-anchor DNSKEY ${dnskeyTag(anchor)}/${anchor.algorithm}`;
    const key = keyData.find((k) => sameBytes(canonicalRdata(RRType.DNSKEY, k), wire));
    if (key === undefined) fail(1, EDE.DNSKEY_MISSING, `${id} is not in the DNSKEY RRset`);
    else if (isZoneKey(key)) trust(key);
    else notZoneKey(key, id);
  }
  function notZoneKey(key: DnskeyData, id: string): void {
    const ede = (key.flags & DnskeyFlag.ZONE) === 0 ? EDE.NO_ZONE_KEY_BIT : EDE.DNSSEC_BOGUS;
    fail(3, ede, `the DNSKEY of ${id} is not a usable zone key (flags ${key.flags}, protocol ${key.protocol})`);
  }
  if (trusted.length === 0) {
    const f = failure ?? { ede: EDE.DNSKEY_MISSING, reason: 'no DNSKEY matches the DS or trust anchors' };
    return none(bogus(`${zone}: ${f.reason}`, f.ede));
  }

  const v = verifyRRset(set, sigs, trusted, zone, nowSec, budget, opts);
  if (v.status !== 'secure') return none({ status: v.status, ede: v.ede, reason: v.reason });
  if (v.wildcard !== undefined) return none(bogus(`${zone} DNSKEY RRset signed as a wildcard expansion`));
  return { status: 'secure', reason: `${zone} DNSKEY RRset verified`, keys: keyData, ttl: v.ttl };
}

/**
 * The DS records to use: supported algorithm and digest, and no SHA-1 when a SHA-2 digest is present (RFC 4509 3).
 */
function preferredDs(dsList: readonly DsData[], opts: VerifyOptions): DsData[] {
  const usable = dsList.filter(
    (d) =>
      isUsableAlgorithm(d.algorithm, opts) &&
      isSupportedDigest(d.digestType) &&
      !(opts.sha1Insecure === true && d.digestType === DsDigestType.SHA1),
  );
  const strong = usable.some((d) => d.digestType !== DsDigestType.SHA1);
  return strong ? usable.filter((d) => d.digestType !== DsDigestType.SHA1) : usable;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
