/**
 * Remembered RRset verifications: the same signed RRset keeps arriving (a zone's NSEC/NSEC3 records proving one
 * wildcard for every name it expands to, the wildcard's own RRSIG over every expansion, the SOA of every negative
 * answer), and an RRSIG verification is by far the costliest step of validating it. VerifiedCache wraps
 * `verifyRRset` (same arguments, same verdicts) and remembers, for each RRset as signed (signer, type, class, the
 * owner the signature covers, the canonical RDATA and every covering RRSIG) and each set of trusted keys, which
 * RRSIG verified. A later call with the same RRset and the same keys gets a secure verdict without any signature
 * verification, and without taking signatures from the request's budget (no crypto is done): the checks that do not
 * depend on the signature are made again (one RRset, owner in the zone, RRSIG Labels, the validity window with the
 * allowed skew: an entry is used only until its RRSIG expires), and the TTL cap of RFC 4035 5.3.3 is computed from
 * the records at hand.
 *
 * Only secure verdicts are remembered; insecure and bogus ones are computed each time. Keys are told apart by the
 * identity of the key list (the validator keeps one list per zone and builds a new one when it fetches the keys
 * again), so a key rollover or a new DNSKEY RRset never reuses a verification made with other keys. Wildcard
 * expansions share their entry (the signature covers `*.<closest encloser>`, whatever the owner), and each verdict
 * still names its own owner and next closer name. Bounded in memory, oldest unused first.
 */
import { LruMap } from '../cache/lru.js';
import { rrsigLabels, signedOwner } from '../dnssec/rrsig.js';
import {
  DEFAULT_SKEW_SEC,
  type RRsetVerdict,
  serialDiff,
  type VerifyOptions,
  verifyRRset,
  type WildcardExpansion,
} from '../dnssec/validate/rrset.js';
import type { ValidationBudget } from '../dnssec/validate/types.js';
import { canonicalRdata, type DnskeyData, Name, type RR, RRType, type RrsigData, typeToText } from '../wire/index.js';

/** Memory for remembered RRsets (their keys, about the size of the RRset and its RRSIGs, and 64 octets each). */
export const VERIFIED_MAX_BYTES = 8 * 1024 * 1024;

interface Verified {
  /** Index, among the RRSIGs covering the RRset (in the order given), of the one that verified. */
  index: number;
}

export class VerifiedCache {
  readonly #lru: LruMap<string, Verified>;
  readonly #keyIds = new WeakMap<readonly DnskeyData[], number>();
  #nextKeyId = 1;
  readonly stats = { hits: 0, misses: 0, stored: 0 };

  constructor(maxBytes = VERIFIED_MAX_BYTES) {
    this.#lru = new LruMap(maxBytes);
  }

  get size(): number {
    return this.#lru.size;
  }

  /** Approximate memory held (octets). */
  get bytes(): number {
    return this.#lru.cost;
  }

  clear(): void {
    this.#lru.clear();
  }

  /** `verifyRRset`, with remembered secure verdicts. Never throws. */
  verify(
    rrs: readonly RR[],
    sigs: readonly RR[],
    keys: readonly DnskeyData[],
    zone: Name,
    nowSec: number,
    budget: ValidationBudget,
    opts: VerifyOptions = {},
  ): RRsetVerdict {
    const first = rrs[0];
    if (first === undefined || first.type === RRType.RRSIG)
      return verifyRRset(rrs, sigs, keys, zone, nowSec, budget, opts);
    const owner = first.name;
    const covering = sigs.filter(
      (s) =>
        s.type === RRType.RRSIG &&
        s.class === first.class &&
        s.name.equals(owner) &&
        (s.data as RrsigData).typeCovered === first.type,
    );
    let key: string | undefined;
    try {
      key = this.#keyOf(rrs, covering, keys, zone, opts);
    } catch {
      key = undefined; // malformed data: verifyRRset says what is wrong with it
    }
    if (key !== undefined) {
      const e = this.#lru.get(key);
      if (e !== undefined) {
        const v = remembered(rrs, covering[e.index], zone, nowSec, opts);
        if (v !== undefined) {
          this.stats.hits++;
          return v;
        }
      }
    }
    this.stats.misses++;
    const v = verifyRRset(rrs, sigs, keys, zone, nowSec, budget, opts);
    if (key !== undefined && v.status === 'secure' && v.signedBy !== undefined) {
      const by = v.signedBy;
      const matching = covering.filter((s) => {
        const d = s.data as RrsigData;
        return d.keyTag === by.keyTag && d.algorithm === by.algorithm;
      });
      // with two RRSIGs by the same key, which one verified is not known: not remembered
      if (matching.length === 1) {
        this.#lru.set(key, { index: covering.indexOf(matching[0]) }, key.length + 64);
        this.stats.stored++;
      }
    }
    return v;
  }

  /** The RRset as signed, its RRSIGs, the key list and the options that change a verdict; undefined: do not cache. */
  #keyOf(
    rrs: readonly RR[],
    covering: readonly RR[],
    keys: readonly DnskeyData[],
    zone: Name,
    opts: VerifyOptions,
  ): string | undefined {
    if (covering.length === 0) return undefined;
    const first = rrs[0];
    const labels = (covering[0].data as RrsigData).labels;
    // RRSIGs that disagree on the owner they cover (Labels): left to verifyRRset
    for (const s of covering) if ((s.data as RrsigData).labels !== labels) return undefined;
    let keyId = this.#keyIds.get(keys);
    if (keyId === undefined) {
      keyId = this.#nextKeyId++;
      this.#keyIds.set(keys, keyId);
    }
    const owner = signedOwner(first.name, Math.min(labels, first.name.labelCount));
    // every octet the signature covers: the RRset in canonical form (RDATA sorted), and each RRSIG's fields
    const rdatas = rrs.map((rr) => latin1(canonicalRdata(rr.type, rr.data)));
    rdatas.sort();
    // variable-length parts carry their length: no two different inputs make the same key
    let key = `${keyId}|${opts.sha1Insecure === true ? 1 : 0}|${first.type}|${first.class}|${counted(zone.key)}${counted(owner.key)}${rdatas.length}`;
    for (const d of rdatas) key += counted(d);
    for (const s of covering) {
      const d = s.data as RrsigData;
      key += `${d.typeCovered},${d.algorithm},${d.labels},${d.originalTtl},${d.expiration},${d.inception},${d.keyTag},`;
      key += counted(d.signerName.key) + counted(latin1(d.signature));
    }
    return key;
  }
}

/**
 * The verdict verifyRRset gives for `rrs` when `sigRR` is the RRSIG that verified with the same keys before, or
 * undefined when a check that does not need the signature fails now (the full verification then reports it).
 */
function remembered(
  rrs: readonly RR[],
  sigRR: RR | undefined,
  zone: Name,
  nowSec: number,
  opts: VerifyOptions,
): RRsetVerdict | undefined {
  if (sigRR === undefined) return undefined;
  const first = rrs[0];
  const owner = first.name;
  for (const rr of rrs)
    if (!rr.name.equals(owner) || rr.type !== first.type || rr.class !== first.class) return undefined;
  if (!owner.isSubdomainOf(zone)) return undefined;
  const sig = sigRR.data as RrsigData;
  if (sig.labels > owner.labelCount || !sig.signerName.equals(zone)) return undefined;
  const skew = opts.skewSec ?? DEFAULT_SKEW_SEC;
  if (
    serialDiff(sig.expiration, sig.inception) < 0 ||
    serialDiff(nowSec, sig.inception) < -skew ||
    serialDiff(nowSec, sig.expiration) > skew
  )
    return undefined;
  // RFC 4035 5.3.3, as verifyRRset computes it
  let ttl = Math.min(sigRR.ttl, sig.originalTtl, Math.max(0, serialDiff(sig.expiration, nowSec)));
  for (const rr of rrs) ttl = Math.min(ttl, rr.ttl);
  const signedBy = { keyTag: sig.keyTag, algorithm: sig.algorithm };
  const what = `${owner} ${typeToText(first.type)}`;
  if (sig.labels < rrsigLabels(owner)) {
    const wildcard: WildcardExpansion = {
      source: Name.fromLabels(['*', ...owner.suffix(sig.labels).labels()]),
      nextCloser: owner.suffix(sig.labels + 1),
    };
    return {
      status: 'secure',
      reason: `${what} verified as an expansion of ${wildcard.source}`,
      ttl,
      wildcard,
      signedBy,
    };
  }
  return { status: 'secure', reason: `${what} verified`, ttl, signedBy };
}

function counted(text: string): string {
  return `${text.length}:${text}|`;
}

/** Node's own latin1 reader, which takes any Uint8Array (toString('latin1') needs a Buffer made first). */
const latin1Slice = (
  Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, s: number, e: number) => string }
).latin1Slice;

/** Octets as a latin1 string (one character per octet), for keys. */
function latin1(b: Uint8Array): string {
  if (latin1Slice !== undefined) return latin1Slice.call(b, 0, b.length);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
