import type { NegativeCache } from '../cache/negative-cache.js';
import { Rank, type Security } from '../cache/rank.js';
import type { RRsetCache } from '../cache/rrset-cache.js';
import type { Attempt, Plan } from '../policy/decide.js';
import type { SignalLookup, TransportPolicy } from '../policy/policy.js';
import { ENC_DEFAULTS } from '../transport/encstate.js';
import type { InfraTable } from '../transport/infra.js';
import { raceAttempts } from '../transport/race.js';
import type { Random } from '../transport/random.js';
import type { Target, Upstream } from '../transport/upstream.js';
import {
  decodeMessage,
  EDE,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  type NameData,
  type NsecData,
  Rcode,
  type RR,
  RRType,
  WireError,
} from '../wire/index.js';
import { type AliasLink, type Classified, classify, negativeTtl, type RRsetIn, scrub } from './classify.js';
import { publishDecision, publishUpstream } from './diagnostics.js';
import { DoNotQuery } from './donotquery.js';
import { LIMITS } from './limits.js';
import { minimisedName, NoCutMemory } from './qmin.js';
import { type Hop, type RequestState, ResolveFailure } from './request.js';

/** DNSSEC verdict carried by a resolution (the weakest of its steps). */
export interface SecurityVerdict {
  status: Security;
  ede?: number;
  reason?: string;
}

/** The outcome of resolving one (name, type), aliases followed. NXDOMAIN and NODATA are results, not errors. */
export type Resolution = (
  | { kind: 'answer'; chain: AliasLink[]; rrset: RRsetIn; fromCache: boolean }
  | { kind: 'nxdomain' | 'nodata'; chain: AliasLink[]; authority: RR[]; name: Name; fromCache: boolean }
) & { security: SecurityVerdict };

/**
 * DNSSEC validation of final responses, plugged into the iterator (the chain of trust
 * lives in src/dnssec; it fetches DS/DNSKEY through the iterator with validation off).
 */
export interface ResponseValidator {
  /** Validates what a server of `zone` said about (qname, qtype). */
  validate(
    c: Classified,
    zone: Name,
    qname: Name,
    qtype: number,
    req: RequestState,
    depth: number,
  ): Promise<SecurityVerdict>;
  /** RFC 8198: an answer proven by validated NSEC/NSEC3 records already cached, without asking upstream. */
  synthesize?(name: Name, type: number, req: RequestState): Step | undefined;
}

/** Options of one resolution. */
export interface ResolveOptions {
  /** Validate the answers (default true when a validator is configured). */
  validate?: boolean;
}

const SECURITY_ORDER: Record<Security, number> = { bogus: 0, indeterminate: 1, insecure: 2, secure: 3 };

/** The weaker of two verdicts (bogus < indeterminate < insecure < secure). */
export function weakest(a: SecurityVerdict, b: SecurityVerdict): SecurityVerdict {
  return SECURITY_ORDER[b.status] < SECURITY_ORDER[a.status] ? b : a;
}

/** One step: the answer for a name, or an alias to follow. */
export type Step = Resolution | { kind: 'alias'; chain: AliasLink[]; target: Name; security: SecurityVerdict };

export interface IteratorOptions {
  qnameMinimisation: 'off' | 'relaxed' | 'strict';
  /** QTYPE of minimised queries (RFC 9156 2.1: A recommended, NS allowed); default A. */
  qnameMinimisationQtype?: 'A' | 'NS';
  /** Ask upstream for DNSSEC records (DO bit). */
  dnssecOk: boolean;
  /** Port of every upstream server (53; the lab may run elsewhere). */
  upstreamPort: number;
  ipv4: boolean;
  ipv6: boolean;
  /** Lower bound of the per-query timeout (ms) — the RTO estimate may go lower on loopback. */
  minTimeoutMs: number;
  /** Never query loopback addresses learnt from DNS data (default true; see donotquery.ts). */
  doNotQueryLocalhost?: boolean;
  /** RFC 8305 connection-attempt delay between raced encrypted attempts (ms). */
  attemptDelayMs: number;
}

export interface IteratorDeps {
  upstream: Upstream;
  now: () => number;
  random: Random;
  cache: RRsetCache;
  negative: NegativeCache;
  infra: InfraTable;
  rootHints: RR[];
  /**
   * Stub zones (like Unbound's stub-zone): NS records of non-root zones and the addresses of those nameservers;
   * names at or below such a zone are resolved from its servers unless the cache knows a deeper cut.
   */
  stubHints?: RR[];
  validator?: ResponseValidator;
  /** Transport policy (signals, strict/opportunistic, probing); absent = cleartext Do53 only. */
  policy?: TransportPolicy;
}

interface Cut {
  zone: Name;
  ns: Name[];
}

/** A response accepted from a server, with what it means. */
interface Accepted {
  msg: Message;
  classified: Classified;
  ip: string;
}

const ADDRESS_TYPES = [RRType.A, RRType.AAAA];

/**
 * The iterative algorithm: from the closest known zone cut down to the answer, with
 * QNAME minimisation (RFC 9156), referral and alias handling, cache use at every step,
 * and server selection from the infra table. It owns no sockets (the Upstream does) and
 * reads time only through `deps.now`.
 */
export class Iterator {
  readonly opts: IteratorOptions;
  readonly deps: IteratorDeps;
  readonly #hintAddresses = new Map<string, string[]>();
  readonly #hintNs: Name[] = [];
  /** Stub zones (Unbound's stub-zone): zone key -> the configured nameservers, whose addresses are hints too. */
  readonly #stubs = new Map<string, Name[]>();
  readonly #doNotQuery: DoNotQuery;
  /** Minimised names known not to be zone cuts (see NoCutMemory). */
  readonly noCut = new NoCutMemory();

  constructor(deps: IteratorDeps, opts: IteratorOptions) {
    this.deps = deps;
    this.opts = opts;
    for (const rr of [...deps.rootHints, ...(deps.stubHints ?? [])]) {
      if (rr.type === RRType.NS && rr.name.isRoot()) this.#hintNs.push((rr.data as NameData).target);
      else if (rr.type === RRType.NS) {
        const list = this.#stubs.get(rr.name.key) ?? [];
        list.push((rr.data as NameData).target);
        this.#stubs.set(rr.name.key, list);
      }
      if (rr.type === RRType.A || rr.type === RRType.AAAA) {
        const list = this.#hintAddresses.get(rr.name.key) ?? [];
        list.push((rr.data as { address: string }).address);
        this.#hintAddresses.set(rr.name.key, list);
      }
    }
    if (this.#hintNs.length === 0 && this.#stubs.size === 0)
      throw new Error('root hints contain no NS records for "."');
    this.#doNotQuery = new DoNotQuery(opts.doNotQueryLocalhost ?? true, [...this.#hintAddresses.values()].flat());
  }

  /** Resolves (name, type), following CNAME/DNAME chains up to the limit. */
  async resolve(
    name: Name,
    type: number,
    req: RequestState,
    depth = 0,
    ropts: ResolveOptions = {},
  ): Promise<Resolution> {
    const validate = ropts.validate ?? this.deps.validator !== undefined;
    if (depth > LIMITS.MAX_DEPTH) throw new ResolveFailure(EDE.OTHER, `sub-query depth above ${LIMITS.MAX_DEPTH}`);
    const chain: AliasLink[] = [];
    const seen = new Set<string>();
    let cur = name;
    let allFromCache = true;
    let security: SecurityVerdict = { status: validate ? 'secure' : 'indeterminate' };
    for (let i = 0; i <= LIMITS.MAX_CNAME_CHAIN; i++) {
      if (seen.has(cur.key)) {
        req.note('alias', `alias loop at ${cur}`);
        throw new ResolveFailure(EDE.OTHER, `CNAME/DNAME loop at ${cur}`, shown(chain, security));
      }
      seen.add(cur.key);
      const step = await this.#lookup(cur, type, req, depth, validate);
      chain.push(...step.chain);
      if (validate) security = weakest(security, step.security);
      if (step.kind === 'alias') {
        allFromCache = false;
        cur = step.target;
        for (const link of step.chain) seen.add(link.from.key);
        continue;
      }
      if (!step.fromCache) allFromCache = false;
      return { ...step, chain, fromCache: allFromCache, security };
    }
    throw new ResolveFailure(EDE.OTHER, `alias chain longer than ${LIMITS.MAX_CNAME_CHAIN}`, shown(chain, security));
  }

  /** Answer from cache for one name (no alias following beyond one CNAME), or undefined. */
  fromCache(name: Name, type: number, now: number, allowStale = false): Step | undefined {
    const { cache, negative } = this.deps;
    const hit = cache.get(name, type, now, { allowStale, minRank: Rank.NonAuthAnswer });
    if (hit)
      return {
        kind: 'answer',
        chain: [],
        rrset: withTtl(hit.entry.rrs, hit.entry.sigs, hit.ttl, hit.entry.proof),
        fromCache: true,
        security: verdictOf(hit.entry.security, hit.entry.securityReason),
      };
    const dname = this.#dnameFromCache(name, type, now, allowStale);
    if (dname) return dname;
    if (type !== RRType.CNAME) {
      const cn = cache.get(name, RRType.CNAME, now, { allowStale, minRank: Rank.NonAuthAnswer });
      if (cn) {
        const set = withTtl(cn.entry.rrs, cn.entry.sigs, cn.ttl, cn.entry.proof);
        const to = (cn.entry.rrs[0].data as NameData).target;
        return {
          kind: 'alias',
          chain: [{ kind: 'cname', cname: set, from: name, to }],
          target: to,
          security: verdictOf(cn.entry.security, cn.entry.securityReason),
        };
      }
    }
    const neg = negative.get(name, type, now, allowStale);
    if (neg) {
      return {
        kind: neg.entry.kind,
        chain: [],
        authority: neg.entry.authority.map((rr) => ({ ...rr, ttl: Math.min(rr.ttl, neg.ttl) })),
        name: neg.entry.name,
        fromCache: true,
        security: verdictOf(neg.entry.security, neg.entry.securityReason),
      };
    }
    return undefined;
  }

  /**
   * The alias a cached DNAME at an ancestor of `name` implies (RFC 6672 2.2, 3.4): every
   * name below the owner is rewritten, whatever the type, so the CNAME is synthesised
   * from the cache instead of asking the owner's servers again. Its TTL is the DNAME's.
   * For a query of type CNAME the synthesised CNAME is the answer (RFC 1034 4.3.2 3.b).
   */
  #dnameFromCache(name: Name, type: number, now: number, allowStale: boolean): Step | undefined {
    for (let owner = name; !owner.isRoot(); ) {
      owner = owner.parent();
      const dn = this.deps.cache.get(owner, RRType.DNAME, now, { allowStale, minRank: Rank.NonAuthAnswer });
      if (!dn) continue;
      let to: Name;
      try {
        to = name.replaceSuffix(owner, (dn.entry.rrs[0].data as NameData).target);
      } catch {
        return undefined; // the rewritten name would be too long (YXDOMAIN): leave it to the servers
      }
      const cname: RR = { name, type: RRType.CNAME, class: dn.entry.class, ttl: dn.ttl, data: { target: to } };
      const link: AliasLink = {
        kind: 'dname',
        cname: { rrs: [cname], sigs: [] },
        dname: withTtl(dn.entry.rrs, dn.entry.sigs, dn.ttl),
        from: name,
        to,
      };
      const security = verdictOf(dn.entry.security, dn.entry.securityReason);
      if (type === RRType.CNAME) return { kind: 'answer', chain: [link], rrset: link.cname, fromCache: true, security };
      return { kind: 'alias', chain: [link], target: to, security };
    }
    return undefined;
  }

  async #lookup(name: Name, type: number, req: RequestState, depth: number, validate: boolean): Promise<Step> {
    const cached = this.fromCache(name, type, req.now());
    if (cached && (!validate || cached.security.status !== 'indeterminate')) return cached;
    const synthesised = validate ? this.deps.validator?.synthesize?.(name, type, req) : undefined;
    if (synthesised) return synthesised;
    const key = `${name.key}|${type}`;
    if (req.inProgress.has(key)) throw new ResolveFailure(EDE.OTHER, `dependency cycle on ${name} type ${type}`);
    req.inProgress.add(key);
    try {
      return await this.#iterate(name, type, req, depth, validate);
    } finally {
      req.inProgress.delete(key);
    }
  }

  /**
   * Closest usable cached zone cut for `name` (DS lives in the parent zone). A cut is
   * useless (Unbound's iter_dp_is_useless) when no address is known for any of its
   * nameservers and all of them are named inside the zone: their addresses can only come
   * from the parent's glue, so the search goes on upwards and the parent refers again.
   */
  #findCut(name: Name, type: number, now: number): Cut {
    let n = type === RRType.DS && !name.isRoot() ? name.parent() : name;
    for (;;) {
      const hit = this.deps.cache.get(n, RRType.NS, now);
      if (hit && hit.entry.rrs.length > 0) {
        const cut = { zone: n, ns: hit.entry.rrs.map((rr) => (rr.data as NameData).target) };
        if (!this.#useless(cut, now)) return cut;
      }
      // a configured stub zone: its servers are asked for everything below, unless the cache knows a deeper cut
      const stub = this.#stubs.get(n.key);
      if (stub !== undefined) return { zone: n, ns: stub };
      if (n.isRoot()) return { zone: Name.ROOT, ns: this.#hintNs };
      n = n.parent();
    }
  }

  /** No nameserver of the cut has a known address, and none can be resolved outside the zone. */
  #useless(cut: Cut, now: number): boolean {
    return cut.ns.every((ns) => ns.isSubdomainOf(cut.zone)) && this.#addresses(cut, now, true).length === 0;
  }

  async #iterate(name: Name, type: number, req: RequestState, depth: number, validate: boolean): Promise<Step> {
    let cut = this.#findCut(name, type, req.now());
    let referrals = 0;
    let iteration = 0;
    let minimise = this.opts.qnameMinimisation !== 'off' && type !== RRType.DS;
    let childLabels = cut.zone.labelCount;
    for (;;) {
      let qname = name;
      let qtype = type;
      if (minimise && childLabels < name.labelCount) {
        let child = minimisedName(name, childLabels, iteration);
        // the servers of this zone already answered this name without a referral: no need to ask again
        while (child.labelCount < name.labelCount && this.noCut.knows(cut.zone, child, req.now())) {
          childLabels = child.labelCount;
          child = minimisedName(name, childLabels, iteration);
        }
        if (child.labelCount < name.labelCount) {
          qname = child;
          qtype = this.opts.qnameMinimisationQtype === 'NS' ? RRType.NS : RRType.A;
        }
      }
      const minimised = qname !== name;
      if (minimised) iteration++;
      const hopsBefore = req.hops.length;
      let got: Accepted;
      try {
        got = await this.#queryCut(cut, qname, qtype, req, depth);
      } catch (e) {
        // RFC 9156 relaxed mode: servers that answer minimised queries badly (REFUSED, SERVFAIL, lame) get the full
        // name; not when nobody answered at all (asking again would only spend the time budget)
        const answered = req.hops.slice(hopsBefore).some((h) => h.outcome.startsWith('rcode'));
        if (!minimised || this.opts.qnameMinimisation !== 'relaxed' || !(e instanceof ResolveFailure) || !answered)
          throw e;
        req.note('qmin', `minimised query ${qname} failed (${e.message}); asking the full name`);
        minimise = false;
        continue;
      }
      const c = got.classified;
      if (c.kind === 'referral') {
        if (++referrals > LIMITS.MAX_REFERRALS)
          throw new ResolveFailure(EDE.OTHER, `more than ${LIMITS.MAX_REFERRALS} referrals for ${name}`);
        this.#cacheReferral(c, req.now());
        req.note('iterate', `referral from ${cut.zone} to ${c.zone} via ${got.ip}`);
        cut = { zone: c.zone, ns: c.ns.rrs.map((rr) => (rr.data as NameData).target) };
        childLabels = cut.zone.labelCount;
        continue;
      }
      if (minimised) {
        if (c.kind === 'nxdomain' && c.chain.length === 0) {
          if (this.opts.qnameMinimisation === 'strict') {
            const sec = validate ? await this.#validate(c, cut.zone, qname, qtype, req, depth) : INDETERMINATE;
            this.#cacheNegative(c, qname, qtype, req.now(), sec);
            req.note('qmin', `NXDOMAIN at ${qname}: everything below is denied (RFC 8020)`);
            return { kind: 'nxdomain', chain: [], authority: c.authority, name, fromCache: false, security: sec };
          }
          // relaxed: trust the cut only after asking the full name (broken servers answer NXDOMAIN for ENTs)
          req.note('qmin', `NXDOMAIN for minimised ${qname}; asking the full name (relaxed mode)`);
          minimise = false;
          continue;
        }
        if (c.kind === 'error' || c.kind === 'lame') {
          if (this.opts.qnameMinimisation === 'relaxed') {
            req.note('qmin', `minimised query ${qname} failed (${c.kind}); asking the full name`);
            minimise = false;
            continue;
          }
        }
        if (c.kind === 'nodata' && dnameAt(c.authority, qname)) {
          // the NSEC of the minimised name shows a DNAME there: every name below is rewritten, so the next
          // minimised query would only be redirected too (RFC 9156 3: DNAME => restart): ask the full name
          req.note('qmin', `${qname} owns a DNAME (NSEC type bitmap); asking the full name`);
          minimise = false;
          continue;
        }
        // NOERROR (data, NODATA or an alias at an intermediate name): not a cut; expose more labels
        if (c.kind === 'answer' || c.kind === 'alias' || c.kind === 'nodata')
          this.noCut.remember(cut.zone, qname, noCutTtl(c), req.now());
        childLabels = qname.labelCount;
        continue;
      }
      const sec = validate ? await this.#validate(c, cut.zone, name, type, req, depth) : INDETERMINATE;
      return this.#finish(c, name, type, req, got, sec);
    }
  }

  async #validate(
    c: Classified,
    zone: Name,
    qname: Name,
    qtype: number,
    req: RequestState,
    depth: number,
  ): Promise<SecurityVerdict> {
    const v = this.deps.validator;
    if (v === undefined) return INDETERMINATE;
    const verdict = await v.validate(c, zone, qname, qtype, req, depth);
    if (verdict.status === 'bogus') req.note('dnssec', `bogus: ${verdict.reason ?? ''}`, verdict.ede);
    return verdict;
  }

  /** Turns the classified final response into a step, caching what it taught. */
  #finish(c: Classified, name: Name, type: number, req: RequestState, got: Accepted, sec: SecurityVerdict): Step {
    const now = req.now();
    const aa = got.msg.aa;
    switch (c.kind) {
      case 'answer':
        this.#cacheChain(c.chain, aa, now, sec);
        if (!c.rrset.synthesized)
          this.deps.cache.put(
            c.rrset.rrs,
            c.rrset.sigs,
            aa && c.chain.length === 0 ? Rank.AuthAnswer : Rank.NonAuthAnswer,
            now,
            cacheOpts(sec, c.rrset),
          );
        return { kind: 'answer', chain: c.chain, rrset: c.rrset, fromCache: false, security: sec };
      case 'alias':
        this.#cacheChain(c.chain, aa, now, sec);
        return { kind: 'alias', chain: c.chain, target: c.target, security: sec };
      case 'nxdomain':
      case 'nodata':
        this.#cacheChain(c.chain, aa, now, sec);
        this.#cacheNegative(c, c.name, type, now, sec);
        return { kind: c.kind, chain: c.chain, authority: c.authority, name: c.name, fromCache: false, security: sec };
      default:
        throw new ResolveFailure(EDE.OTHER, `unexpected ${c.kind} for ${name}`);
    }
  }

  #cacheChain(chain: AliasLink[], aa: boolean, now: number, sec: SecurityVerdict): void {
    chain.forEach((link, i) => {
      const rank = aa && i === 0 ? Rank.AuthAnswer : Rank.NonAuthAnswer;
      if (link.kind === 'cname')
        this.deps.cache.put(link.cname.rrs, link.cname.sigs, rank, now, cacheOpts(sec, link.cname));
      else if (link.dname) this.deps.cache.put(link.dname.rrs, link.dname.sigs, rank, now, cacheOpts(sec, link.dname));
    });
  }

  #cacheNegative(
    c: { kind: 'nxdomain' | 'nodata'; authority: RR[]; soa?: RR },
    name: Name,
    type: number,
    now: number,
    sec: SecurityVerdict,
  ): void {
    let ttl = negativeTtl(c.soa, 0);
    if (sec.status === 'bogus') ttl = Math.min(ttl || BOGUS_TTL, BOGUS_TTL);
    if (ttl <= 0) return;
    // as the server gave it: SOA, the zone's NS RRset (RFC 2308 2.1 type 2) and denial proofs with their RRSIGs
    const authority = c.authority;
    this.deps.negative.put(
      {
        kind: c.kind,
        name,
        type,
        authority,
        security: sec.status,
        securityReason: sec.reason === undefined ? undefined : { ede: sec.ede, text: sec.reason },
        ttl,
        encrypted: false,
      },
      now,
    );
  }

  #cacheReferral(c: Extract<Classified, { kind: 'referral' }>, now: number): void {
    const { cache } = this.deps;
    cache.put(c.ns.rrs, c.ns.sigs, Rank.NonAuthAuthority, now);
    // The DS RRset (or the NSEC/NSEC3 proof that there is none) travels with the referral: keep it where a DS
    // lookup finds it, so the chain of trust does not ask the parent again. It is validated before any use.
    if (c.ds && c.ds.sigs.length > 0) cache.put(c.ds.rrs, c.ds.sigs, Rank.NonAuthAnswer, now);
    else if (!c.ds && c.proofs.length > 0) {
      const ttl = Math.min(...c.proofs.map((rr) => rr.ttl));
      this.deps.negative.put(
        {
          kind: 'nodata',
          name: c.zone,
          type: RRType.DS,
          authority: c.proofs,
          security: 'indeterminate',
          ttl,
          encrypted: false,
        },
        now,
      );
    }
    const byName = new Map<string, RR[]>();
    for (const rr of c.glue) {
      const k = `${rr.name.key}|${rr.type}`;
      const l = byName.get(k) ?? [];
      l.push(rr);
      byName.set(k, l);
    }
    for (const rrs of byName.values()) {
      cache.put(rrs, [], Rank.Additional, now);
      // the parent's word on where the child's servers are, kept even once the child says otherwise
      cache.put(rrs, [], Rank.Additional, now, { parentSide: true });
    }
  }

  /**
   * Addresses known for the nameservers of a cut (cache, then root hints). As a last
   * resort (Unbound's processLastResort), also the parent-side glue: the addresses the
   * parent zone gave, when the child's own address records differ and lead nowhere
   * (parent and child disagree) or expired before the delegation did.
   */
  #addresses(cut: Cut, now: number, lastResort = false): { ip: string; ns: Name }[] {
    const out: { ip: string; ns: Name }[] = [];
    for (const ns of cut.ns) {
      for (const t of ADDRESS_TYPES) {
        if ((t === RRType.A && !this.opts.ipv4) || (t === RRType.AAAA && !this.opts.ipv6)) continue;
        for (const ip of this.#cachedAddresses(ns, t, now) ?? []) out.push({ ip, ns });
        if (lastResort) {
          const glue = this.deps.cache.get(ns, t, now, { parentSide: true });
          for (const rr of glue?.entry.rrs ?? []) out.push({ ip: (rr.data as { address: string }).address, ns });
        }
      }
      if (cut.zone.isRoot() || this.#stubs.has(cut.zone.key)) {
        for (const ip of this.#hintAddresses.get(ns.key) ?? []) {
          const v6 = ip.includes(':');
          if ((v6 && this.opts.ipv6) || (!v6 && this.opts.ipv4)) out.push({ ip, ns });
        }
      }
    }
    const seen = new Set<string>();
    return out.filter((a) => {
      if (seen.has(a.ip) || !this.#doNotQuery.allows(a.ip)) return false;
      seen.add(a.ip);
      return true;
    });
  }

  /**
   * Cached addresses of type `t` for a nameserver name, following cached CNAMEs: a
   * nameserver name should not be an alias (RFC 2181 10.3), but servers named by one
   * are common, and the addresses learnt by resolving such a name are owned by the
   * alias target. Undefined when nothing usable is cached.
   */
  #cachedAddresses(ns: Name, t: number, now: number): string[] | undefined {
    let cur = ns;
    for (let i = 0; i <= LIMITS.MAX_CNAME_CHAIN; i++) {
      const hit = this.deps.cache.get(cur, t, now);
      if (hit) return hit.entry.rrs.map((rr) => (rr.data as { address: string }).address);
      const cn = this.deps.cache.get(cur, RRType.CNAME, now, { minRank: Rank.NonAuthAnswer });
      if (!cn) return undefined;
      cur = (cn.entry.rrs[0].data as NameData).target;
    }
    return undefined;
  }

  /** Resolves addresses of nameservers that have none yet (bounded, in parallel). */
  async #resolveNsAddresses(cut: Cut, req: RequestState, depth: number, tried: Set<string>): Promise<boolean> {
    const now = req.now();
    const missing = cut.ns.filter(
      (ns) =>
        !tried.has(`ns:${ns.key}`) &&
        !ADDRESS_TYPES.some((t) => this.#cachedAddresses(ns, t, now) !== undefined) &&
        // root servers named in the hints have their addresses there: asking the root for them again is useless
        !((cut.zone.isRoot() || this.#stubs.has(cut.zone.key)) && this.#hintAddresses.has(ns.key)) &&
        !req.inProgress.has(`${ns.key}|${RRType.A}`),
    );
    if (missing.length === 0) return false;
    const batch = missing.slice(0, LIMITS.MAX_NS_LOOKUPS_IN_PARALLEL);
    for (const ns of batch) tried.add(`ns:${ns.key}`);
    let found = false;
    await Promise.all(
      batch.map(async (ns) => {
        const types = [...(this.opts.ipv4 ? [RRType.A] : []), ...(this.opts.ipv6 ? [RRType.AAAA] : [])];
        for (const t of types) {
          try {
            req.chargeNsLookup();
            const r = await this.resolve(ns, t, req, depth + 1);
            if (r.kind === 'answer') found = true;
          } catch (e) {
            if (!(e instanceof ResolveFailure)) throw e;
            req.note('ns-address', `could not resolve ${ns} type ${t}: ${e.message}`);
            if (e.message.includes('budget')) throw e;
          }
        }
      }),
    );
    req.note('ns-address', `resolved addresses of ${batch.join(', ')} for ${cut.zone}`);
    return found || missing.length > batch.length;
  }

  /** Sends (qname, qtype) to the servers of `cut` until one gives a usable answer. */
  async #queryCut(cut: Cut, qname: Name, qtype: number, req: RequestState, depth: number): Promise<Accepted> {
    const tried = new Set<string>();
    const failures: string[] = [];
    const unusableEdes: (number | undefined)[] = [];
    // servers that only timed out get the query again once nothing else is left (a lost datagram must not fail a
    // zone with one server), up to MAX_SENDS_PER_SERVER sends each (RFC 9520 3.1: at most 3), with the backed-off RTO
    const timedOut = new Set<string>();
    const sends = new Map<string, number>();
    let targets = 0;
    let lastResort = false;
    for (let round = 0; round < 8; round++) {
      const now = req.now();
      const candidates = this.#addresses(cut, now, lastResort).filter((a) => !tried.has(a.ip));
      if (candidates.length === 0) {
        const more = await this.#resolveNsAddresses(cut, req, depth, tried);
        if (!more && this.#addresses(cut, req.now(), lastResort).every((a) => tried.has(a.ip))) {
          if (lastResort) {
            const again = [...timedOut].filter((ip) => (sends.get(ip) ?? 0) < this.#maxSends(ip, req.now()));
            if (again.length === 0) break;
            for (const ip of again) tried.delete(ip);
            timedOut.clear();
          }
          lastResort = true;
        }
        continue;
      }
      const nsOf = new Map<string, Name>();
      for (const a of candidates) if (a.ns && !nsOf.has(a.ip)) nsOf.set(a.ip, a.ns);
      const order = this.deps.infra.order(
        candidates.map((a) => a.ip),
        cut.zone.key,
        now,
        () => this.deps.random.int(1 << 30) / (1 << 30),
      );
      for (const ip of order) {
        if (++targets > LIMITS.MAX_TARGETS_PER_DELEGATION) break;
        tried.add(ip);
        sends.set(ip, (sends.get(ip) ?? 0) + 1);
        // a query sent again to a server that timed out waits twice as long each time (its own backoff, whatever
        // replies from that server did to the shared RTO meanwhile): a busy server gets the time to answer
        const asked = await this.#ask(ip, nsOf.get(ip), cut.zone, qname, qtype, req, depth, sends.get(ip)! - 1);
        const msg = asked.msg;
        if (msg === undefined) {
          failures.push(`${ip}: ${asked.why}`);
          unusableEdes.push(asked.ede);
          if (req.hops.at(-1)?.outcome === 'timeout') timedOut.add(ip);
          continue;
        }
        if (msg.rcode === Rcode.REFUSED || msg.rcode === Rcode.SERVFAIL || msg.rcode === Rcode.NOTIMP) {
          failures.push(`${ip}: rcode ${msg.rcode}`);
          if (msg.rcode === Rcode.REFUSED) this.deps.infra.markLame(ip, cut.zone.key, req.now());
          continue;
        }
        const clean = scrub(msg, cut.zone);
        const classified = classify(clean, qname, qtype, cut.zone);
        if (classified.kind === 'lame' || classified.kind === 'error') {
          const why = classified.kind === 'lame' ? classified.reason : classified.reason;
          failures.push(`${ip}: ${why}`);
          req.note('iterate', `${ip} for ${cut.zone}: ${why}`);
          this.deps.infra.markLame(ip, cut.zone.key, req.now());
          continue;
        }
        return { msg: clean, classified, ip };
      }
      if (targets > LIMITS.MAX_TARGETS_PER_DELEGATION) break;
    }
    const text = `no server of ${cut.zone} answered ${qname}${failures.length ? ` (${failures.slice(0, 4).join('; ')})` : ''}`;
    req.note('iterate', text, EDE.NO_REACHABLE_AUTHORITY);
    // every server unusable for the same DNSSEC reason (e.g. an expired zone): say that, not just "unreachable"
    const dnssecEde =
      unusableEdes.length > 0 && unusableEdes.every((x) => x !== undefined && x === unusableEdes[0])
        ? unusableEdes[0]
        : undefined;
    throw new ResolveFailure(dnssecEde ?? EDE.NO_REACHABLE_AUTHORITY, text);
  }

  /** Sends of one query allowed to `ip`: three to a server known to answer, two to one never heard from or down. */
  #maxSends(ip: string, now: number): number {
    const s = this.deps.infra.peek(ip);
    const alive = s !== undefined && s.srttMs > 0 && s.downSince === undefined && this.deps.infra.usable(ip, now);
    return alive ? LIMITS.MAX_SENDS_PER_SERVER : LIMITS.MAX_SENDS_SILENT_SERVER;
  }

  /** The transport plan for (ns, ip): the policy's decision, or plain Do53 when no policy is configured. */
  async #plan(ip: string, ns: Name | undefined, zone: Name, req: RequestState, depth: number): Promise<Plan> {
    const policy = this.deps.policy;
    const cleartext: Plan = {
      mode: 'cleartext',
      attempts: [
        {
          target: { ip, port: this.opts.upstreamPort, protocol: 'udp', auth: 'none' },
          encrypted: false,
          authenticated: false,
          why: policy ? 'cleartext (nameserver name unknown)' : 'cleartext (no transport policy)',
        },
      ],
      reasons: [],
    };
    if (policy === undefined || ns === undefined) return cleartext;
    const lookup: SignalLookup = async (name, type) => {
      try {
        const r = await this.resolve(name, type, req, depth + 1);
        if (r.kind === 'answer') {
          const rrs = r.rrset.rrs.filter((rr) => rr.type === type);
          const ttl = Math.min(...r.rrset.rrs.map((rr) => rr.ttl));
          return { kind: 'records', records: rrs, security: r.security.status, ttl, ede: r.security.ede };
        }
        const ttl = r.authority.length > 0 ? Math.min(...r.authority.map((rr) => rr.ttl)) : 60;
        return { kind: 'none', security: r.security.status, ttl, ede: r.security.ede };
      } catch (e) {
        if (!(e instanceof ResolveFailure) || e.message.includes('budget')) throw e;
        // The lookup needs itself (e.g. a client asked for this very TLSA record): nothing can be decided from
        // it yet, so the signal stays unknown for this request (bootstrap rules), not "failed" (unusable).
        if (e.message.startsWith('dependency cycle')) return { kind: 'none', security: 'indeterminate', ttl: 0 };
        return { kind: 'error', reason: e.message, ede: e.ede };
      }
    };
    return policy.plan(ns, ip, zone, {
      lookup,
      busy: (k) => req.inProgress.has(k),
      mark: (k, on) => {
        if (on) req.inProgress.add(k);
        else req.inProgress.delete(k);
      },
      clientEncrypted: req.clientEncrypted,
    });
  }

  /**
   * Asks one server for (qname, qtype) as its plan says: encrypted attempts raced (RFC 8305),
   * then — only when the plan allows it — cleartext. A strict plan never sends cleartext.
   */
  async #ask(
    ip: string,
    ns: Name | undefined,
    zone: Name,
    qname: Name,
    qtype: number,
    req: RequestState,
    depth: number,
    resend = 0,
  ): Promise<{ msg?: Message; why: string; ede?: number }> {
    const plan = await this.#plan(ip, ns, zone, req, depth);
    if (ns) publishDecision({ ns: ns.toString(), ip, zone: zone.toString(), mode: plan.mode, reasons: plan.reasons });
    if (plan.attempts.length === 0) {
      const why = `not used (${plan.reasons.join('; ') || plan.mode})`;
      req.note('transport', `${ns ?? ip}: ${why}`, plan.ede ?? EDE.NO_REACHABLE_AUTHORITY);
      return { why, ede: plan.ede };
    }
    if (plan.probe && ns) this.#backgroundProbe(plan.probe, ns, qname, qtype);
    const strict = plan.mode === 'strict' || plan.mode === 'required';
    const encrypted = plan.attempts.filter((a) => a.encrypted);
    if (encrypted.length > 0) {
      const hopsBefore = req.hops.length;
      const won = await raceAttempts(
        encrypted,
        (a, signal) => this.#send(a, ns, zone, qname, qtype, req, false, signal, strict, resend),
        this.opts.attemptDelayMs,
      );
      if (won) return { msg: won.result, why: 'ok' };
      if (strict) {
        // name the server and say why (EDE 22 carries this): each encrypted attempt's outcome
        const tried = req.hops
          .slice(hopsBefore)
          .filter((h) => h.ip === ip && h.encrypted)
          .map((h) => (h.detail ? `${h.outcome}: ${h.detail}` : `${h.protocol} ${h.ip}#${h.port}: ${h.outcome}`));
        const why = `${plan.mode} server ${ns} unreachable over its encrypted transports${tried.length > 0 ? `: ${tried.join('; ')}` : ''}`;
        req.note('transport', why, EDE.NO_REACHABLE_AUTHORITY);
        return { why };
      }
      if (this.deps.policy) this.deps.policy.stats.fallbacks++;
    }
    for (const a of plan.attempts) {
      if (a.encrypted) continue;
      const msg = await this.#send(a, ns, zone, qname, qtype, req, false, undefined, false, resend);
      if (msg) return { msg, why: 'ok' };
    }
    return { why: 'no reply' };
  }

  /** RFC 9539: open an encrypted connection in the background to learn whether the server offers it. */
  #backgroundProbe(target: Target, ns: Name, qname: Name, qtype: number): void {
    const policy = this.deps.policy;
    if (!policy) return;
    policy.enc.attempt(target.ip, 'dot', this.deps.now());
    const query = makeQuery(qname, qtype, {
      id: this.deps.random.int(0x10000),
      rd: false,
      dnssecOk: this.opts.dnssecOk,
    });
    this.deps.upstream
      .query(encodeMessage(query), target, AbortSignal.timeout(ENC_DEFAULTS.TIMEOUT_MS))
      .then(
        () => policy.report(ns, target, 'ok', false),
        (e) => {
          const code = (e as { code?: string }).code;
          policy.report(ns, target, code === 'timeout' ? 'timeout' : 'fail', false, (e as Error).message, false, code);
        },
      )
      .catch(() => {});
  }

  /** One exchange over one transport (TCP after TC over UDP, without EDNS after FORMERR). */
  async #send(
    attempt: Attempt,
    ns: Name | undefined,
    zone: Name,
    qname: Name,
    qtype: number,
    req: RequestState,
    noEdns: boolean,
    signal: AbortSignal | undefined,
    strict: boolean,
    resend = 0,
  ): Promise<Message | undefined> {
    req.chargeQuery();
    const { infra, upstream, random } = this.deps;
    const target = attempt.target;
    const ip = target.ip;
    const id = random.int(0x10000);
    const query = makeQuery(qname, qtype, {
      id,
      rd: false,
      dnssecOk: this.opts.dnssecOk,
      udpSize: LIMITS.EDNS_UDP_SIZE,
      edns: !noEdns,
    });
    const wire = encodeMessage(query);
    const stream = target.protocol !== 'udp';
    const rto = infra.rto(ip) * (stream ? 2 : 1);
    // an encrypted attempt may include a handshake: give it more, up to E-timeout (RFC 9539 4.3)
    const budget = attempt.encrypted ? Math.min(Math.max(rto * 3, 1000), ENC_DEFAULTS.TIMEOUT_MS) : rto;
    // the n-th resend of this query to this server waits at least 2^n times the shortest timeout (exponential
    // backoff, RFC 6298 5.5), even when replies to other queries brought the shared RTO down meanwhile
    const wait = Math.max(budget, this.opts.minTimeoutMs * 2 ** Math.min(resend, 4));
    const timeout = Math.max(this.opts.minTimeoutMs, Math.min(wait, req.remainingMs()));
    const started = req.now();
    infra.markProbe(ip, started);
    const hop: Hop = {
      zone: zone.toString(),
      server: ns?.toString(),
      ip,
      port: target.port,
      qname: qname.toString(),
      qtype,
      protocol: target.protocol,
      encrypted: attempt.encrypted,
      authenticated: attempt.authenticated,
      why: attempt.why,
      outcome: 'pending',
    };
    req.hops.push(hop);
    const sentAt = req.now();
    const emit = (outcome: string, response?: Uint8Array) =>
      publishUpstream({
        zone: hop.zone,
        server: hop.server,
        ip,
        port: target.port,
        protocol: target.protocol,
        encrypted: attempt.encrypted,
        authenticated: attempt.authenticated,
        why: attempt.why,
        outcome,
        query: wire,
        response,
        sentAt,
        endedAt: req.now(),
      });
    let reply: Awaited<ReturnType<Upstream['query']>>;
    try {
      // the transport's own deadline (its timer ends with the query; an AbortSignal.timeout would outlive the reply)
      reply = await upstream.query(wire, target, signal, Math.max(1, Math.ceil(timeout)));
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      hop.outcome = code;
      hop.detail = (e as Error).message;
      emit(code);
      if (code === 'aborted') return undefined; // lost a race: says nothing about the server
      if (code === 'timeout') infra.reportTimeout(ip, req.now());
      else infra.reportError(ip, code, req.now());
      if (attempt.encrypted && ns)
        this.deps.policy?.report(
          ns,
          target,
          code === 'timeout' ? 'timeout' : 'fail',
          strict,
          (e as Error).message,
          false,
          code,
        );
      return undefined;
    }
    let msg: Message;
    try {
      msg = decodeMessage(reply.wire);
    } catch (e) {
      hop.outcome = 'malformed';
      emit('malformed', reply.wire);
      infra.reportError(ip, e instanceof WireError ? `malformed: ${e.code}` : 'malformed', req.now());
      return undefined;
    }
    const q = msg.questions[0];
    if (!msg.qr || msg.id !== id || !q || !q.name.equals(qname) || q.type !== qtype) {
      hop.outcome = 'mismatched';
      emit('mismatched', reply.wire);
      infra.reportError(ip, 'mismatched', req.now());
      return undefined;
    }
    infra.reportRtt(ip, reply.rttMs ?? req.now() - started, req.now());
    if (attempt.encrypted && ns) this.deps.policy?.report(ns, target, 'ok', strict);
    hop.rttMs = reply.rttMs;
    hop.outcome = msg.tc ? 'truncated' : `rcode ${msg.rcode}`;
    emit('ok', reply.wire);
    if (msg.tc && target.protocol === 'udp') {
      const tcp: Attempt = { ...attempt, target: { ...target, protocol: 'tcp' }, why: `${attempt.why}; TCP after TC` };
      return this.#send(tcp, ns, zone, qname, qtype, req, noEdns, signal, strict, resend);
    }
    if (msg.rcode === Rcode.FORMERR && !noEdns) {
      infra.setEdns(ip, 'broken', req.now());
      return this.#send(attempt, ns, zone, qname, qtype, req, true, signal, strict, resend);
    }
    return msg;
  }
}

/** True when `authority` holds an NSEC owned by `name` whose type bitmap lists DNAME. */
function dnameAt(authority: RR[], name: Name): boolean {
  return authority.some(
    (rr) => rr.type === RRType.NSEC && rr.name.equals(name) && (rr.data as NsecData).types.includes(RRType.DNAME),
  );
}

/** How long a NOERROR answer to a minimised query shows its name is no zone cut: its TTL (NODATA: negative TTL). */
function noCutTtl(c: Extract<Classified, { kind: 'answer' | 'alias' | 'nodata' }>): number {
  let ttl = c.kind === 'nodata' ? negativeTtl(c.soa, 0) : Number.POSITIVE_INFINITY;
  if (c.kind === 'answer') for (const rr of c.rrset.rrs) ttl = Math.min(ttl, rr.ttl);
  for (const link of c.chain) for (const rr of link.cname.rrs) ttl = Math.min(ttl, rr.ttl);
  return Number.isFinite(ttl) ? ttl : 0;
}

/** The links of a failed alias chain that may be shown to the client: none when they are bogus. */
function shown(chain: AliasLink[], security: SecurityVerdict): AliasLink[] {
  return security.status === 'bogus' ? [] : chain;
}

/** Copies records (and a wildcard proof) with their TTL lowered to the remaining TTL. */
export function withTtl(rrs: RR[], sigs: RR[], ttl: number, proof?: RR[]): RRsetIn {
  const set: RRsetIn = {
    rrs: rrs.map((rr) => (rr.ttl === ttl ? rr : { ...rr, ttl: Math.min(rr.ttl, ttl) })),
    sigs: sigs.map((rr) => ({ ...rr, ttl: Math.min(rr.ttl, ttl) })),
  };
  if (proof !== undefined) set.proof = proof.map((rr) => ({ ...rr, ttl: Math.min(rr.ttl, ttl) }));
  return set;
}

const INDETERMINATE: SecurityVerdict = { status: 'indeterminate' };

/** Bogus data is remembered briefly (RFC 9520 3.4), then validated afresh. */
export const BOGUS_TTL = 60;

function verdictOf(status: Security, reason?: { ede?: number; text: string }): SecurityVerdict {
  return reason === undefined ? { status } : { status, ede: reason.ede, reason: reason.text };
}

function cacheOpts(
  sec: SecurityVerdict,
  set?: RRsetIn,
): {
  security: Security;
  securityReason?: { ede?: number; text: string };
  ttl?: number;
  proof?: RR[];
} {
  // an RRset validated on its own keeps its own verdict (a signed DNAME in an otherwise bogus answer)
  if (set?.verdict !== undefined) sec = set.verdict;
  const securityReason = sec.reason === undefined ? undefined : { ede: sec.ede, text: sec.reason };
  return sec.status === 'bogus'
    ? { security: 'bogus', securityReason, ttl: BOGUS_TTL }
    : { security: sec.status, securityReason, proof: set?.proof };
}
