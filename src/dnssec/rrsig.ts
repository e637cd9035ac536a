/**
 * Making one RRSIG over one RRset (RFC 4034 section 3, RFC 4035 section 2.2), and a minimal signature check used
 * by tests. The check only recomputes the signed octets and verifies the signature: it does not look at validity
 * times or build a chain of trust.
 */

import { canonicalRdata, type DnskeyData, Name, type RR, RRType, type RrsigData, signedData } from '../wire/index.js';
import { keyTag, sign, verifySignature } from './algorithms.js';
import { DnssecError } from './errors.js';
import { DnskeyFlag, type SigningKey, signingKeyTag } from './keys.js';

/** Largest value of an RRSIG time field (unsigned 32-bit seconds). */
const MAX_U32 = 0xffffffff;

/** RRSIG labels field for `owner` (RFC 4034 3.1.3): its label count, not counting a leading `*` label. */
export function rrsigLabels(owner: Name): number {
  return owner.isWildcard() ? owner.labelCount - 1 : owner.labelCount;
}

/**
 * The owner name the signature covers (RFC 4035 5.3.2): `owner` itself, or, when `labels` is smaller than its
 * label count (a wildcard expansion), `*.` followed by its rightmost `labels` labels.
 */
export function signedOwner(owner: Name, labels: number): Name {
  if (labels >= owner.labelCount) return owner;
  return Name.fromLabels(['*', ...owner.suffix(labels).labels()]);
}

/** Overrides for deliberately unusual signatures (lab zones); normal signing needs none. */
export interface SignRRsetOptions {
  /** Original TTL field; default the RRset's (smallest) TTL. */
  readonly originalTtl?: number;
  /** Labels field; default rrsigLabels(owner). */
  readonly labels?: number;
  /** TTL of the RRSIG record itself; default the original TTL. */
  readonly ttl?: number;
}

/**
 * The RRSIG record over `rrs` (one RRset) made with `key`; `signer` is the zone apex (the signer name field,
 * written lower-cased). Inception and expiration are unix seconds.
 * @throws DnssecError BAD_RRSET for an empty or mixed RRset or RRSIG records, BAD_SIGNER_OPTIONS for times outside
 *   32 bits, or errors of `sign` (KEY_ALGORITHM_MISMATCH...).
 */
export function signRRset(
  rrs: readonly RR[],
  key: SigningKey,
  signer: Name,
  inception: number,
  expiration: number,
  options: SignRRsetOptions = {},
): RR {
  const first = checkRRset(rrs);
  if (first.type === RRType.RRSIG) throw new DnssecError('BAD_RRSET', 'RRSIG records are not signed');
  checkTime('inception', inception);
  checkTime('expiration', expiration);
  const originalTtl = options.originalTtl ?? Math.min(...rrs.map((rr) => rr.ttl));
  const labels = options.labels ?? rrsigLabels(first.name);
  const data: RrsigData = {
    typeCovered: first.type,
    algorithm: key.algorithm,
    labels,
    originalTtl,
    expiration,
    inception,
    keyTag: signingKeyTag(key),
    signerName: signer.lower(),
    signature: new Uint8Array(0),
  };
  const octets = signedData(canonicalRdata(RRType.RRSIG, data), signedOwner(first.name, labels), rrs, originalTtl);
  data.signature = sign(key.algorithm, key.privateKey, octets);
  return { name: first.name, type: RRType.RRSIG, class: first.class, ttl: options.ttl ?? originalTtl, data };
}

/**
 * Whether `rrsig` is a good signature by `dnskey` over `rrs`: the RRSIG matches the RRset (owner, class, type
 * covered, labels) and the key (algorithm, key tag, ZONE flag, protocol 3), the owner is at or below the signer
 * name, and the signature verifies over the canonical signed data. Validity times are not checked. Never throws.
 */
export function verifyRRsig(rrs: readonly RR[], rrsig: RR, dnskey: DnskeyData): boolean {
  try {
    if (rrsig.type !== RRType.RRSIG || rrs.length === 0) return false;
    const sig = rrsig.data as RrsigData;
    const first = checkRRset(rrs);
    if (!first.name.equals(rrsig.name) || first.class !== rrsig.class || first.type !== sig.typeCovered) return false;
    if (sig.labels > rrsigLabels(first.name) || !first.name.isSubdomainOf(sig.signerName)) return false;
    if (dnskey.protocol !== 3 || (dnskey.flags & DnskeyFlag.ZONE) === 0) return false;
    if (dnskey.algorithm !== sig.algorithm || keyTag(canonicalRdata(RRType.DNSKEY, dnskey)) !== sig.keyTag) {
      return false;
    }
    const noSig = canonicalRdata(RRType.RRSIG, { ...sig, signature: new Uint8Array(0) });
    const octets = signedData(noSig, signedOwner(first.name, sig.labels), rrs, sig.originalTtl);
    return verifySignature(sig.algorithm, dnskey.publicKey, octets, sig.signature);
  } catch {
    return false;
  }
}

/** The first record of `rrs` after checking they are one RRset (same owner, type and class). */
function checkRRset(rrs: readonly RR[]): RR {
  if (rrs.length === 0) throw new DnssecError('BAD_RRSET', 'empty RRset');
  const first = rrs[0];
  for (const rr of rrs) {
    if (!rr.name.equals(first.name) || rr.type !== first.type || rr.class !== first.class) {
      throw new DnssecError('BAD_RRSET', `records of ${first.name} and ${rr.name} do not form one RRset`);
    }
  }
  return first;
}

function checkTime(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_U32) {
    throw new DnssecError('BAD_SIGNER_OPTIONS', `RRSIG ${what} ${v} is not a 32-bit unix time`);
  }
}
