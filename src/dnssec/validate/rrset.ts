/**
 * Verifying one RRset against the trusted keys of its zone (RFC 4035 section 5.3, like Unbound's val_sigcrypt):
 * the RRSIG checks of RFC 4035 5.3.1, the validity window in RFC 1982 serial arithmetic (RFC 4034 3.1.5), the
 * signature over the canonical form (RFC 4034 3.1.8.1 and 6), the TTL cap of RFC 4035 5.3.3 and the wildcard
 * expansion of RFC 4035 5.3.2 / 5.3.4, within the KeyTrap limits of a ValidationBudget.
 *
 * EDE (RFC 8914) mapping of a bogus verdict: no RRSIG for the RRset → 10 (RRSIGs Missing); all candidate
 * signatures expired → 7, not yet valid → 8, expiring before their inception → 25; no trusted key with the RRSIG's
 * tag and algorithm → 9 (DNSKEY Missing); a signature that does not verify, a wrong signer name or a bad Labels
 * field → 6 (DNSSEC Bogus). When RRSIGs fail for different reasons, the one that got furthest is reported
 * (crypto failure, then validity time, then missing key, then the field checks).
 */

import {
  canonicalRdata,
  type DnskeyData,
  EDE,
  Name,
  type RR,
  RRType,
  type RrsigData,
  signedData,
  typeToText,
} from '../../wire/index.js';
import { algorithmMnemonic, isSupportedAlgorithm, keyTag, verifySignature } from '../algorithms.js';
import { DnskeyFlag } from '../keys.js';
import { rrsigLabels, signedOwner } from '../rrsig.js';
import { bogus, budgetExceeded, insecure, secure, type ValidationBudget, type Verdict } from './types.js';

/**
 * Default tolerance, in seconds, for clocks that disagree: a signature is accepted from `inception - skew` until
 * `expiration + skew`. One hour covers the usual drift between a resolver and online signers that set inception
 * to "now" (most signers back-date inception by an hour or more anyway) while keeping replay of expired
 * signatures short; Unbound uses 10% of the validity period, bounded to 1 h..24 h. Pass 0 for exact RFC 4035
 * 5.3.1 behaviour.
 */
export const DEFAULT_SKEW_SEC = 3600;

export interface VerifyOptions {
  /** Clock skew tolerated at both ends of the validity window, seconds; default DEFAULT_SKEW_SEC. */
  readonly skewSec?: number;
  /**
   * RFC 9905: treat RSASHA1 (5) and RSASHA1-NSEC3-SHA1 (7) as unsupported algorithms, and SHA-1 DS digests as an
   * unsupported digest type (in verifyDnskeySet), so zones relying on them validate as insecure. Default false.
   */
  readonly sha1Insecure?: boolean;
}

/** Where a wildcard-expanded RRset came from (RFC 4035 5.3.4): the caller must prove no closer match exists. */
export interface WildcardExpansion {
  /** The wildcard name `*.<closest encloser>` that was expanded. */
  readonly source: Name;
  /** The closest encloser plus one label of the owner: the name the denial proof must show does not exist. */
  readonly nextCloser: Name;
}

export interface RRsetVerdict extends Verdict {
  /**
   * When secure: the TTL the RRset (and its RRSIG) may be cached for, RFC 4035 5.3.3 — at most the received TTL,
   * the RRSIG record's TTL, its Original TTL field and the seconds left until its expiration.
   */
  readonly ttl?: number;
  /** When secure through a wildcard expansion (RRSIG Labels below the owner's label count). */
  readonly wildcard?: WildcardExpansion;
  /** When secure: the key tag and algorithm of the RRSIG that verified. */
  readonly signedBy?: { readonly keyTag: number; readonly algorithm: number };
}

/** True when validation may use `algorithm`: implemented, and not RSASHA1 / NSEC3-RSASHA1 under sha1Insecure. */
export function isUsableAlgorithm(algorithm: number, opts: VerifyOptions = {}): boolean {
  if (!isSupportedAlgorithm(algorithm)) return false;
  return !(opts.sha1Insecure === true && (algorithm === 5 || algorithm === 7));
}

/** A DNSKEY that may verify zone data (RFC 4035 5.3.1, RFC 5011 2.1): ZONE flag, protocol 3, not revoked. */
export function isZoneKey(key: DnskeyData): boolean {
  return (key.flags & DnskeyFlag.ZONE) !== 0 && (key.flags & DnskeyFlag.REVOKE) === 0 && key.protocol === 3;
}

/** Key tag of a DNSKEY (RFC 4034 Appendix B), or undefined for malformed key data. Never throws. */
export function dnskeyTag(key: DnskeyData): number | undefined {
  try {
    return keyTag(canonicalRdata(RRType.DNSKEY, key));
  } catch {
    return undefined;
  }
}

/** `a - b` in RFC 1982 serial arithmetic on 32 bits (RFC 4034 3.1.5), as a signed number. */
export function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** How far an RRSIG got before it failed; the furthest failure is the one reported. */
const Stage = { Fields: 1, Key: 2, Time: 3, Crypto: 4 } as const;

interface Failure {
  readonly stage: number;
  readonly ede: number;
  readonly reason: string;
}

/**
 * Verify an RRset with the trusted DNSKEYs of its zone (RFC 4035 5.3).
 *
 * @param rrs the RRset (same owner, type and class; not RRSIG).
 * @param sigs RRSIG records; those not covering this RRset (other owner, type covered or class) are ignored.
 * @param keys the zone's DNSKEYs already authenticated by the chain of trust (verifyDnskeySet), or, when
 *   validating the DNSKEY RRset itself, the keys matched by DS or trust anchors.
 * @param zone the zone the RRset belongs to: every RRSIG's signer name must be this name.
 * @param nowSec the current time, unix seconds.
 * @returns secure (with the capped TTL, and the wildcard expansion if any: the caller must then obtain a
 *   no-closer-match proof, nsec.proveWildcardAnswer or nsec3.proveWildcardAnswer); insecure when the trusted
 *   keys use only unsupported algorithms (RFC 6840 5.2, EDE 1); bogus otherwise. Never throws.
 */
export function verifyRRset(
  rrs: readonly RR[],
  sigs: readonly RR[],
  keys: readonly DnskeyData[],
  zone: Name,
  nowSec: number,
  budget: ValidationBudget,
  opts: VerifyOptions = {},
): RRsetVerdict {
  try {
    return verify(rrs, sigs, keys, zone, nowSec, budget, opts);
  } catch (err) {
    return bogus(`malformed input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function verify(
  rrs: readonly RR[],
  sigs: readonly RR[],
  keys: readonly DnskeyData[],
  zone: Name,
  nowSec: number,
  budget: ValidationBudget,
  opts: VerifyOptions,
): RRsetVerdict {
  if (rrs.length === 0) return bogus('empty RRset');
  const first = rrs[0];
  const owner = first.name;
  for (const rr of rrs) {
    if (!rr.name.equals(owner) || rr.type !== first.type || rr.class !== first.class) {
      return bogus(`records of ${owner} ${rr.name} do not form one RRset`);
    }
  }
  if (first.type === RRType.RRSIG) return bogus('RRSIG records are not signed');
  const what = `${owner} ${typeToText(first.type)}`;
  if (!owner.isSubdomainOf(zone)) return bogus(`${what} is outside the zone ${zone}`);

  const usable = keys.filter((k) => isZoneKey(k) && isUsableAlgorithm(k.algorithm, opts));
  if (usable.length === 0) {
    if (keys.some((k) => isZoneKey(k))) {
      const algs = [...new Set(keys.filter(isZoneKey).map((k) => algName(k.algorithm)))].join(', ');
      return insecure(
        `zone ${zone} has keys of unsupported algorithms only (${algs})`,
        EDE.UNSUPPORTED_DNSKEY_ALGORITHM,
      );
    }
    return bogus(`no trusted zone key for ${zone}`, EDE.DNSKEY_MISSING);
  }
  const byTag = new Map<string, DnskeyData[]>();
  for (const k of usable) {
    const tag = dnskeyTag(k);
    if (tag === undefined) continue;
    const id = `${k.algorithm}/${tag}`;
    const list = byTag.get(id);
    if (list === undefined) byTag.set(id, [k]);
    else list.push(k);
  }

  const covering = sigs.filter(
    (s) =>
      s.type === RRType.RRSIG &&
      s.class === first.class &&
      s.name.equals(owner) &&
      (s.data as RrsigData).typeCovered === first.type,
  );
  if (covering.length === 0) return bogus(`no RRSIG covers ${what}`, EDE.RRSIGS_MISSING);

  const skew = opts.skewSec ?? DEFAULT_SKEW_SEC;
  const ownerLabels = owner.labelCount;
  let failure: Failure | undefined;
  const fail = (f: Failure) => {
    if (failure === undefined || f.stage > failure.stage) failure = f;
  };
  let tried = 0;
  let unsupported = 0;
  let stopped = false;

  for (const sigRR of covering) {
    const sig = sigRR.data as RrsigData;
    if (!isUsableAlgorithm(sig.algorithm, opts)) {
      unsupported++; // RFC 6840 5.12: signatures by algorithms we cannot use are ignored
      continue;
    }
    if (!sig.signerName.equals(zone)) {
      fail({ stage: Stage.Fields, ede: EDE.DNSSEC_BOGUS, reason: `RRSIG signer ${sig.signerName} is not ${zone}` });
      continue;
    }
    if (sig.labels > ownerLabels) {
      fail({
        stage: Stage.Fields,
        ede: EDE.DNSSEC_BOGUS,
        reason: `RRSIG labels ${sig.labels} exceed the ${ownerLabels} labels of ${owner}`,
      });
      continue;
    }
    const candidates = byTag.get(`${sig.algorithm}/${sig.keyTag}`);
    if (candidates === undefined) {
      fail({
        stage: Stage.Key,
        ede: EDE.DNSKEY_MISSING,
        reason: `no trusted ${algName(sig.algorithm)} key with tag ${sig.keyTag}`,
      });
      continue;
    }
    const time = checkTime(sig, nowSec, skew);
    if (time !== undefined) {
      fail(time);
      continue;
    }
    if (tried >= budget.limits.maxSigsPerRRset) {
      stopped = true;
      break;
    }
    tried++;
    const considered = candidates.slice(0, budget.limits.maxKeysPerTag);
    budget.noteKeyTagCollisions(candidates.length - 1);
    const signed = signedData(
      canonicalRdata(RRType.RRSIG, { ...sig, signature: new Uint8Array(0) }),
      signedOwner(owner, sig.labels),
      rrs,
      sig.originalTtl,
    );
    for (const key of considered) {
      if (!budget.takeSignature()) return budgetExceeded(EDE.DNSSEC_BOGUS, `${what}: signature verifications`);
      if (verifySignature(sig.algorithm, key.publicKey, signed, sig.signature)) {
        return success(rrs, sigRR, sig, nowSec, owner, what);
      }
    }
    fail({
      stage: Stage.Crypto,
      ede: EDE.DNSSEC_BOGUS,
      reason: `RRSIG by ${algName(sig.algorithm)} key ${sig.keyTag} does not verify`,
    });
  }

  const note = stopped ? ` (gave up after ${tried} RRSIGs)` : '';
  if (failure !== undefined) return bogus(`${what}: ${failure.reason}${note}`, failure.ede);
  // Only RRSIGs of algorithms we cannot use, while the zone has keys we can use: a stripped signature must not
  // downgrade the RRset to insecure (RFC 4035 5.2, RFC 6840 5.11).
  return bogus(
    `${what}: ${unsupported} RRSIG(s), none by a supported algorithm of the zone's keys`,
    EDE.RRSIGS_MISSING,
  );
}

/** A failure when `now` lies outside the RRSIG's validity window (± skew), or the window is inverted. */
function checkTime(sig: RrsigData, nowSec: number, skew: number): Failure | undefined {
  if (serialDiff(sig.expiration, sig.inception) < 0) {
    return {
      stage: Stage.Time,
      ede: EDE.SIGNATURE_EXPIRED_BEFORE_VALID,
      reason: `RRSIG expires (${sig.expiration}) before its inception (${sig.inception})`,
    };
  }
  if (serialDiff(nowSec, sig.inception) < -skew) {
    return { stage: Stage.Time, ede: EDE.SIGNATURE_NOT_YET_VALID, reason: `RRSIG not valid before ${sig.inception}` };
  }
  if (serialDiff(nowSec, sig.expiration) > skew) {
    return { stage: Stage.Time, ede: EDE.SIGNATURE_EXPIRED, reason: `RRSIG expired at ${sig.expiration}` };
  }
  return undefined;
}

function success(
  rrs: readonly RR[],
  sigRR: RR,
  sig: RrsigData,
  nowSec: number,
  owner: Name,
  what: string,
): RRsetVerdict {
  let ttl = Math.min(sigRR.ttl, sig.originalTtl, Math.max(0, serialDiff(sig.expiration, nowSec)));
  for (const rr of rrs) ttl = Math.min(ttl, rr.ttl);
  const signedBy = { keyTag: sig.keyTag, algorithm: sig.algorithm };
  if (sig.labels < rrsigLabels(owner)) {
    const ce = owner.suffix(sig.labels);
    const wildcard: WildcardExpansion = {
      source: Name.fromLabels(['*', ...ce.labels()]),
      nextCloser: owner.suffix(sig.labels + 1),
    };
    return { ...secure(`${what} verified as an expansion of ${wildcard.source}`), ttl, wildcard, signedBy };
  }
  return { ...secure(`${what} verified`), ttl, signedBy };
}

function algName(algorithm: number): string {
  return algorithmMnemonic(algorithm) ?? `algorithm ${algorithm}`;
}
