import { Rank, type Security } from '../cache/rank.js';
import type { TrustAnchors } from '../dnssec/anchors.js';
import { verifyDnskeySet } from '../dnssec/validate/keys.js';
import * as nsec from '../dnssec/validate/nsec.js';
import * as nsec3 from '../dnssec/validate/nsec3.js';
import { ValidationBudget, type ValidationLimits, type Verdict } from '../dnssec/validate/types.js';
import { type DnskeyData, EDE, Name, type RR, RRType, type RrsigData, type SoaData } from '../wire/index.js';
import { type AggressiveSources, synthesize } from './aggressive.js';
import type { AliasLink, Classified, RRsetIn } from './classify.js';
import type { Iterator, ResponseValidator, SecurityVerdict, Step } from './iterator.js';
import type { RequestState } from './request.js';
import { VerifiedCache } from './verified.js';

/** What the chain of trust knows about one zone's keys. */
type KeyEntry =
  | { status: 'secure'; keys: DnskeyData[]; expires: number }
  | { status: 'insecure' | 'bogus' | 'indeterminate'; reason: string; ede?: number; expires: number };

const KEY_CACHE_MAX = 10_000;
const MAX_KEY_TTL_S = 3600;
const NEGATIVE_KEY_TTL_S = 60;
/**
 * Keys that could not be fetched at all (timeouts, unreachable servers) stay bogus — never a downgrade — but only
 * for a few seconds: a transient network failure must not blank a zone for a minute (RFC 9520 3.2 backoff floor).
 */
const FETCH_FAILURE_TTL_S = 5;

export interface ValidatorOptions {
  /** Allowed clock skew for signature validity windows (s). */
  skewSec?: number;
  /**
   * RFC 8198: where validated NSEC/NSEC3 records (and wildcard RRsets) are kept, and read back to answer without
   * asking upstream. Absent = no aggressive use.
   */
  aggressive?: AggressiveSources;
  /** Per-request limits on validation work (KeyTrap, NSEC3 hashing); defaults DEFAULT_VALIDATION_LIMITS. */
  limits?: Partial<ValidationLimits>;
  /** RFC 9905: treat SHA-1 DS digests and algorithms 5/7 as insecure. */
  sha1Insecure?: boolean;
}

/**
 * DNSSEC validation of iterator results (RFC 4033-4035, 5155, 6840): builds the chain
 * of trust from the configured anchors down to the zone that answered — fetching DS
 * and DNSKEY through the iterator with validation off and verifying them here — then
 * checks every RRset of the response and the denial proofs. Key sets are cached per
 * zone; the crypto budget is per client request (KeyTrap, CVE-2023-50387).
 */
export class DnssecValidator implements ResponseValidator {
  readonly #anchors: TrustAnchors;
  readonly #iterator: () => Iterator;
  readonly #nowMs: () => number;
  readonly #keys = new Map<string, KeyEntry>();
  readonly #pending = new WeakMap<RequestState, Map<string, Promise<KeyEntry>>>();
  readonly #budgets = new WeakMap<RequestState, ValidationBudget>();
  /** RRsets verified before with the same keys: no signature to verify again (see verified.ts). */
  readonly verified = new VerifiedCache();
  /**
   * RFC 8198 synthesis hashes names on every cache miss of an NSEC3 zone: it spends from a budget of its own, so
   * that running it dry only sends queries upstream and never starves the validation of real answers.
   */
  readonly #synthesisBudgets = new WeakMap<RequestState, ValidationBudget>();
  readonly opts: ValidatorOptions;
  /** Work done so far, all requests together (metrics; KeyTrap tests read it). */
  readonly stats: ValidatorStats = { signatureValidations: 0, nsec3Hashes: 0, budgetsExhausted: 0 };

  constructor(anchors: TrustAnchors, iterator: () => Iterator, nowMs: () => number, opts: ValidatorOptions = {}) {
    this.#anchors = anchors;
    this.#iterator = iterator;
    this.#nowMs = nowMs;
    this.opts = opts;
  }

  #budget(req: RequestState): ValidationBudget {
    let b = this.#budgets.get(req);
    if (b === undefined) {
      b = new CountingBudget(this.stats, this.opts.limits);
      this.#budgets.set(req, b);
    }
    return b;
  }

  #nowSec(): number {
    return Math.floor(this.#nowMs() / 1000);
  }

  /**
   * RFC 8198: an answer for (name, type) proven by NSEC/NSEC3 records validated earlier, or undefined. Costs no
   * query; NSEC3 hashing is charged to the request's budget.
   */
  synthesize(name: Name, type: number, req: RequestState): Step | undefined {
    const src = this.opts.aggressive;
    if (src === undefined || this.#anchors.closest(name) === undefined) return undefined;
    let budget = this.#synthesisBudgets.get(req);
    if (budget === undefined) {
      budget = new ValidationBudget({ ...this.opts.limits, maxSignatureValidations: 0, maxNsec3Hashes: 200 });
      this.#synthesisBudgets.set(req, budget);
    }
    const r = synthesize(src, name, type, this.#nowMs(), budget);
    if (r === undefined) return undefined;
    src.denials.stats.synthesised++;
    req.note('aggressive', `${r.kind} for ${name} type ${type} from the validated cache (${r.basis})`);
    const { basis: _, ...resolution } = r;
    return resolution;
  }

  /** Forgets cached key sets (all, or one zone). */
  flushKeys(zone?: Name): void {
    if (zone === undefined) this.#keys.clear();
    else this.#keys.delete(zone.key);
  }

  async validate(
    c: Classified,
    zone: Name,
    _qname: Name,
    qtype: number,
    req: RequestState,
    depth: number,
  ): Promise<SecurityVerdict> {
    if (this.#anchors.closest(zone) === undefined)
      return { status: 'insecure', reason: `no trust anchor above ${zone}` };
    // a DNSKEY RRset at its own apex is validated by the chain itself, from this very response: fetching it again
    // would be a lookup of the name being looked up
    const budget = this.#budget(req);
    // (a DNSKEY RRset sits at its zone's apex, which may lie below the cut whose server answered)
    if (c.kind === 'answer' && qtype === RRType.DNSKEY && c.chain.length === 0) {
      const apex = c.rrset.rrs[0].name;
      const keys = await this.keysFor(apex, req, depth, c.rrset);
      if (keys.status !== 'secure') return verdictOfKeys(keys);
      // the keys may come from the cache, not from this RRset: it must be signed by one of them
      const v = this.verified.verify(c.rrset.rrs, c.rrset.sigs, keys.keys, apex, this.#nowSec(), budget, {
        skewSec: this.opts.skewSec,
      });
      return v.status === 'secure' ? { status: 'secure' } : toVerdict(v);
    }
    const zoneKeys = await this.keysFor(zone, req, depth);
    if (zoneKeys.status !== 'secure') return verdictOfKeys(zoneKeys);
    let result: SecurityVerdict = { status: 'secure' };
    const worse = (v: SecurityVerdict) => {
      if (rankOf(v.status) < rankOf(result.status)) result = v;
    };
    const chain: AliasLink[] = c.kind === 'referral' || c.kind === 'lame' || c.kind === 'error' ? [] : c.chain;
    for (const link of chain) {
      // a synthesized CNAME is covered by the DNAME's signature (RFC 6672 5.3.1)
      const set = link.kind === 'dname' && link.dname ? link.dname : link.cname;
      const v = await this.#verifySet(set, zone, c, req, depth, budget);
      set.verdict = v;
      worse(v);
      if (v.status === 'secure' && link.conflicting) {
        // the server also sent a CNAME that the signed DNAME cannot have produced: tampering
        worse({
          status: 'bogus',
          ede: EDE.DNSSEC_BOGUS,
          reason: `CNAME ${link.from} disagrees with the signed DNAME ${set.rrs[0].name}`,
        });
      }
    }
    if (result.status === 'bogus') return result;
    switch (c.kind) {
      case 'answer':
        // RRSIG RRsets are not signed: a query of type RRSIG is answered unvalidated (as Unbound does)
        if (qtype === RRType.RRSIG)
          worse({ status: 'insecure', reason: `RRSIG records of ${c.rrset.rrs[0].name} are not validated` });
        else if (c.rrset.synthesized) {
          // a CNAME query answered by a DNAME: the chain above verified the DNAME that produced it
        } else {
          const v = await this.#verifySet(c.rrset, zone, c, req, depth, budget);
          c.rrset.verdict = v;
          worse(v);
        }
        break;
      case 'nxdomain':
      case 'nodata':
        worse(await this.#verifyDenial(c.kind, c.name, qtype, c.authority, zone, req, depth, budget));
        break;
      default:
        break;
    }
    return result;
  }

  /** Verifies one RRset with the keys of its signer; a wildcard expansion needs a proof from the authority section. */
  async #verifySet(
    set: RRsetIn,
    zone: Name,
    c: Classified,
    req: RequestState,
    depth: number,
    budget: ValidationBudget,
  ): Promise<SecurityVerdict> {
    const owner = set.rrs[0].name;
    const signer = signerOf(set.sigs, owner) ?? zone;
    const keys = signer.equals(zone) ? await this.keysFor(zone, req, depth) : await this.keysFor(signer, req, depth);
    if (keys.status !== 'secure') return verdictOfKeys(keys);
    const v = this.verified.verify(set.rrs, set.sigs, keys.keys, signer, this.#nowSec(), budget, {
      skewSec: this.opts.skewSec,
    });
    if (v.status !== 'secure') return toVerdict(v);
    if (v.wildcard) {
      const authority = 'authority' in c ? (c.authority as RR[]) : [];
      const denial = await this.#verifiedDenialRecords(authority, signer, req, depth, budget);
      if ('status' in denial) return denial;
      const proof =
        denial.nsec3.length > 0
          ? nsec3.proveWildcardAnswer(owner, v.wildcard.source, signer, denial.nsec3, budget)
          : nsec.proveWildcardAnswer(owner, v.wildcard.source, denial.nsec);
      // the proof travels with the RRset (cache included): DO clients get it in the authority section
      if (proof.status === 'secure' || proof.status === 'insecure')
        set.proof = [...denial.nsec, ...denial.nsec3, ...denial.sigs];
      // RFC 8198 5.3: the wildcard's own RRset, kept under its owner, answers later expansions from the cache
      if (proof.status === 'secure' && this.opts.aggressive) {
        const source = v.wildcard.source;
        const rename = (rr: RR): RR => ({ ...rr, name: source });
        const sigs = set.sigs.filter((s) => isSigOf(s, [set.rrs[0].type]));
        this.opts.aggressive.rrsets.put(set.rrs.map(rename), sigs.map(rename), Rank.NonAuthAnswer, this.#nowMs(), {
          security: 'secure',
          ttl: v.ttl,
        });
      }
      // an Opt-Out span may hide a closer name: the answer stands, unsigned (RFC 5155 8.8, 9.2)
      if (proof.status === 'insecure')
        return { status: 'insecure', ede: proof.ede, reason: `wildcard answer ${owner}: ${proof.reason}` };
      if (proof.status !== 'secure')
        return {
          status: 'bogus',
          ede: proof.ede ?? EDE.NSEC_MISSING,
          reason: `wildcard answer ${owner}: ${proof.reason}`,
        };
    }
    return { status: 'secure' };
  }

  /** Verifies the NSEC/NSEC3 (and SOA) records of an authority section with the zone keys. */
  async #verifiedDenialRecords(
    authority: RR[],
    zone: Name,
    req: RequestState,
    depth: number,
    budget: ValidationBudget,
  ): Promise<{ nsec: RR[]; nsec3: RR[]; sigs: RR[] } | SecurityVerdict> {
    const sets = groupSets(
      authority.filter(
        (rr) => rr.type === RRType.NSEC || rr.type === RRType.NSEC3 || isSigOf(rr, [RRType.NSEC, RRType.NSEC3]),
      ),
    );
    const out = { nsec: [] as RR[], nsec3: [] as RR[], sigs: [] as RR[] };
    for (const set of sets) {
      const signer = signerOf(set.sigs, set.rrs[0].name) ?? zone;
      const keys = await this.keysFor(signer, req, depth);
      if (keys.status !== 'secure') return verdictOfKeys(keys);
      const v = this.verified.verify(set.rrs, set.sigs, keys.keys, signer, this.#nowSec(), budget, {
        skewSec: this.opts.skewSec,
      });
      if (v.status === 'bogus') return toVerdict(v);
      if (v.status !== 'secure') continue;
      // an NSEC/NSEC3 signed as a wildcard expansion (RRSIG Labels below its owner's) is a copy made by the server,
      // not a record of the chain: it proves nothing about the names around its owner (CVE-2017-15105)
      if (v.wildcard)
        return {
          status: 'bogus',
          ede: EDE.DNSSEC_BOGUS,
          reason: `${set.rrs[0].name} NSEC/NSEC3 is a wildcard expansion (CVE-2017-15105)`,
        };
      (set.rrs[0].type === RRType.NSEC ? out.nsec : out.nsec3).push(...set.rrs);
      out.sigs.push(...set.sigs);
      // RFC 8198: a validated NSEC/NSEC3 record may answer later questions it covers
      for (const rr of set.rrs)
        this.opts.aggressive?.denials.addDenial(signer, rr, set.sigs, v.ttl ?? rr.ttl, this.#nowMs());
    }
    return out;
  }

  async #verifyDenial(
    kind: 'nxdomain' | 'nodata',
    name: Name,
    qtype: number,
    authority: RR[],
    zone: Name,
    req: RequestState,
    depth: number,
    budget: ValidationBudget,
  ): Promise<SecurityVerdict> {
    const soaRR = authority.find((rr) => rr.type === RRType.SOA);
    // the denial speaks for the zone of its SOA, which may lie below the cut whose server answered (a server of
    // the parent that also serves the child)
    if (soaRR && name.isSubdomainOf(soaRR.name) && soaRR.name.isSubdomainOf(zone)) zone = soaRR.name;
    if (soaRR) {
      const soaSet: RRsetIn = {
        rrs: authority.filter((rr) => rr.type === RRType.SOA && rr.name.equals(soaRR.name)),
        sigs: authority.filter((rr) => isSigOf(rr, [RRType.SOA]) && rr.name.equals(soaRR.name)),
      };
      const signer = signerOf(soaSet.sigs, soaRR.name) ?? zone;
      const keys = await this.keysFor(signer, req, depth);
      if (keys.status !== 'secure') return verdictOfKeys(keys);
      const v = this.verified.verify(soaSet.rrs, soaSet.sigs, keys.keys, signer, this.#nowSec(), budget, {
        skewSec: this.opts.skewSec,
      });
      if (v.status !== 'secure') return toVerdict(v);
      this.opts.aggressive?.denials.addSoa(signer, soaSet.rrs, soaSet.sigs, this.#nowMs());
    }
    const denial = await this.#verifiedDenialRecords(authority, zone, req, depth, budget);
    if ('status' in denial) return denial;
    if (denial.nsec.length === 0 && denial.nsec3.length === 0)
      return { status: 'bogus', ede: EDE.NSEC_MISSING, reason: `no NSEC/NSEC3 proof for ${kind} at ${name}` };
    const v =
      denial.nsec3.length > 0
        ? kind === 'nxdomain'
          ? nsec3.proveNxdomain(name, zone, denial.nsec3, budget)
          : nsec3.proveNodata(name, qtype, zone, denial.nsec3, budget)
        : kind === 'nxdomain'
          ? nsec.proveNxdomain(name, zone, denial.nsec)
          : nsec.proveNodata(name, qtype, zone, denial.nsec);
    if (v.status === 'secure' || v.status === 'insecure') return toVerdict(v);
    return { status: 'bogus', ede: v.ede ?? EDE.NSEC_MISSING, reason: `${kind} at ${name}: ${v.reason}` };
  }

  /**
   * The validated keys of `zone`, building the chain of trust from the nearest anchor. `given`: the zone's DNSKEY
   * RRset when the caller already holds it (a client asked for it), so it is not fetched again.
   */
  keysFor(zone: Name, req: RequestState, depth: number, given?: RRsetIn): Promise<KeyEntry> {
    const k = zone.key;
    const cached = this.#keys.get(k);
    if (cached && cached.expires > this.#nowMs()) return Promise.resolve(cached);
    // A request that needs the keys of a zone while building them (e.g. the transport signal of the zone's own
    // nameserver is fetched to send the DNSKEY query) must not wait for itself: that data stays indeterminate.
    const mark = `keys|${k}`;
    if (req.inProgress.has(mark)) {
      return Promise.resolve({ status: 'indeterminate', reason: `keys of ${zone} are being fetched`, expires: 0 });
    }
    // Only the same request shares a pending fetch: across requests, waiting on each other's fetches could deadlock
    // when nameserver names point at each other's zones.
    let pending = this.#pending.get(req);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(req, pending);
    }
    const running = pending.get(k);
    if (running) return running;
    req.inProgress.add(mark);
    const p = this.#buildKeys(zone, req, depth, given)
      .then((e) => {
        if (e.status !== 'indeterminate') {
          if (this.#keys.size >= KEY_CACHE_MAX) this.#keys.clear();
          this.#keys.set(k, e);
        }
        return e;
      })
      .finally(() => {
        req.inProgress.delete(mark);
        pending.delete(k);
      });
    pending.set(k, p);
    return p;
  }

  async #buildKeys(zone: Name, req: RequestState, depth: number, given?: RRsetIn): Promise<KeyEntry> {
    const now = this.#nowMs();
    const neg = (
      status: 'insecure' | 'bogus' | 'indeterminate',
      reason: string,
      ede?: number,
      ttlS = NEGATIVE_KEY_TTL_S,
    ): KeyEntry => ({
      status,
      reason,
      ede,
      expires: now + ttlS * 1000,
    });
    const anchor = this.#anchors.get(zone);
    if (anchor === undefined && this.#anchors.closest(zone) === undefined)
      return neg('insecure', `no trust anchor above ${zone}`);
    const budget = this.#budget(req);
    let ds = anchor?.ds ?? [];
    if (anchor === undefined) {
      // the DS RRset (or its proven absence) comes from the parent, validated with the parent's keys
      const it = this.#iterator();
      let dsRes: Awaited<ReturnType<Iterator['resolve']>>;
      try {
        dsRes = await it.resolve(zone, RRType.DS, req, depth + 1, { validate: false });
      } catch (e) {
        return neg(
          'bogus',
          `cannot fetch DS for ${zone}: ${(e as Error).message}`,
          EDE.DNSKEY_MISSING,
          FETCH_FAILURE_TTL_S,
        );
      }
      if (dsRes.kind === 'answer' && dsRes.chain.length === 0) {
        const signer = signerOf(dsRes.rrset.sigs, zone);
        if (signer === undefined || signer.equals(zone) || !zone.isSubdomainOf(signer))
          return neg('bogus', `DS for ${zone} is not signed by its parent`, EDE.RRSIGS_MISSING);
        const parentKeys = await this.keysFor(signer, req, depth + 1);
        if (parentKeys.status !== 'secure')
          return parentKeys.status === 'insecure' ? neg('insecure', parentKeys.reason) : { ...parentKeys };
        const v = this.verified.verify(
          dsRes.rrset.rrs,
          dsRes.rrset.sigs,
          parentKeys.keys,
          signer,
          this.#nowSec(),
          budget,
          {
            skewSec: this.opts.skewSec,
          },
        );
        if (v.status !== 'secure')
          return neg(v.status === 'insecure' ? 'insecure' : 'bogus', `DS ${zone}: ${v.reason}`, v.ede);
        ds = dsRes.rrset.rrs.map((rr) => rr.data as import('../wire/index.js').DsData);
      } else if (dsRes.kind === 'nodata' || dsRes.kind === 'nxdomain') {
        const parent = denialZone(dsRes.authority) ?? zone.parent();
        const parentKeys = await this.keysFor(parent, req, depth + 1);
        if (parentKeys.status === 'insecure') return neg('insecure', parentKeys.reason);
        if (parentKeys.status !== 'secure') return { ...parentKeys };
        const denial = await this.#verifiedDenialRecords(dsRes.authority, parent, req, depth + 1, budget);
        if ('status' in denial) return neg('bogus', `no-DS proof for ${zone}: ${denial.reason ?? ''}`, denial.ede);
        const proof =
          denial.nsec3.length > 0
            ? nsec3.proveNoDs(zone, parent, denial.nsec3, budget)
            : denial.nsec.length > 0
              ? nsec.proveNoDs(zone, denial.nsec)
              : { status: 'bogus' as const, ede: EDE.NSEC_MISSING, reason: 'no NSEC/NSEC3 records' };
        if (proof.status === 'secure' || proof.status === 'insecure')
          return neg('insecure', `${zone} is an insecure delegation (${proof.reason})`);
        return neg('bogus', `DS for ${zone} missing without proof: ${proof.reason}`, proof.ede ?? EDE.NSEC_MISSING);
      } else {
        return neg('bogus', `unexpected DS answer for ${zone}`, EDE.DNSKEY_MISSING);
      }
    }
    // DNSKEY RRset of the zone, authenticated by the DS set (or anchor keys)
    let keySet = given;
    if (keySet === undefined) {
      let keyRes: Awaited<ReturnType<Iterator['resolve']>>;
      try {
        keyRes = await this.#iterator().resolve(zone, RRType.DNSKEY, req, depth + 1, { validate: false });
      } catch (e) {
        return neg(
          'bogus',
          `cannot fetch DNSKEY for ${zone}: ${(e as Error).message}`,
          EDE.DNSKEY_MISSING,
          FETCH_FAILURE_TTL_S,
        );
      }
      if (keyRes.kind !== 'answer' || keyRes.chain.length > 0)
        return neg('bogus', `no DNSKEY RRset at ${zone}`, EDE.DNSKEY_MISSING);
      keySet = keyRes.rrset;
    }
    const v = verifyDnskeySet(
      keySet.rrs,
      keySet.sigs,
      { ds, dnskeys: anchor?.dnskeys ?? [] },
      zone,
      this.#nowSec(),
      budget,
      { sha1Insecure: this.opts.sha1Insecure },
    );
    if (v.status === 'secure') {
      const ttl = Math.min(MAX_KEY_TTL_S, ...keySet.rrs.map((rr) => rr.ttl));
      return { status: 'secure', keys: v.keys, expires: now + Math.max(1, ttl) * 1000 };
    }
    return neg(v.status === 'insecure' ? 'insecure' : 'bogus', `DNSKEY ${zone}: ${v.reason}`, v.ede);
  }
}

/** Cumulative validation work of a DnssecValidator. */
export interface ValidatorStats {
  /** Public-key signature verifications performed. */
  signatureValidations: number;
  /** NSEC3 hashes computed. */
  nsec3Hashes: number;
  /** Requests whose budget ran out (validation stopped: bogus, SERVFAIL). */
  budgetsExhausted: number;
}

/** A request's budget that also adds what it spends to the validator's totals. */
class CountingBudget extends ValidationBudget {
  readonly #stats: ValidatorStats;

  constructor(stats: ValidatorStats, limits?: Partial<ValidationLimits>) {
    super(limits);
    this.#stats = stats;
  }

  override takeSignature(): boolean {
    const wasExhausted = this.exhausted;
    const ok = super.takeSignature();
    if (ok) this.#stats.signatureValidations++;
    else if (!wasExhausted) this.#stats.budgetsExhausted++;
    return ok;
  }

  override takeNsec3Hash(): boolean {
    const wasExhausted = this.exhausted;
    const ok = super.takeNsec3Hash();
    if (ok) this.#stats.nsec3Hashes++;
    else if (!wasExhausted) this.#stats.budgetsExhausted++;
    return ok;
  }
}

function rankOf(s: Security): number {
  return s === 'bogus' ? 0 : s === 'indeterminate' ? 1 : s === 'insecure' ? 2 : 3;
}

function verdictOfKeys(k: KeyEntry): SecurityVerdict {
  if (k.status === 'secure') return { status: 'secure' };
  return { status: k.status, ede: k.ede, reason: k.reason };
}

function toVerdict(v: Verdict): SecurityVerdict {
  return { status: v.status, ede: v.ede, reason: v.reason };
}

function isSigOf(rr: RR, types: number[]): boolean {
  return rr.type === RRType.RRSIG && types.includes((rr.data as RrsigData).typeCovered);
}

/** The signer named by the RRSIGs of a set, when it encloses the owner. */
function signerOf(sigs: RR[], owner: Name): Name | undefined {
  for (const s of sigs) {
    const signer = (s.data as RrsigData).signerName;
    if (owner.isSubdomainOf(signer)) return signer;
  }
  return undefined;
}

/** The zone a negative answer speaks for: the SOA owner. */
function denialZone(authority: RR[]): Name | undefined {
  const soa = authority.find((rr) => rr.type === RRType.SOA);
  return soa ? soa.name : undefined;
}

function groupSets(rrs: RR[]): RRsetIn[] {
  const sets = new Map<string, RRsetIn>();
  for (const rr of rrs) {
    if (rr.type === RRType.RRSIG) continue;
    const k = `${rr.name.key}|${rr.type}`;
    let s = sets.get(k);
    if (!s) {
      s = { rrs: [], sigs: [] };
      sets.set(k, s);
    }
    s.rrs.push(rr);
  }
  for (const rr of rrs) {
    if (rr.type !== RRType.RRSIG) continue;
    const s = sets.get(`${rr.name.key}|${(rr.data as RrsigData).typeCovered}`);
    if (s) s.sigs.push(rr);
  }
  return [...sets.values()];
}

export { Name, type SoaData };
