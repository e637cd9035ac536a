import { AggressiveNsecCache } from '../cache/aggressive.js';
import { NegativeCache } from '../cache/negative-cache.js';
import { PacketCache, type QueryKey, scanQuery } from '../cache/packet-cache.js';
import { RRsetCache } from '../cache/rrset-cache.js';
import { TrustAnchors } from '../dnssec/anchors.js';
import type { PolicyRule, UpstreamEncryption } from '../policy/decide.js';
import { TransportPolicy } from '../policy/policy.js';
import { defaultSignalOptions } from '../policy/signals.js';
import type { Clock } from '../transport/clock.js';
import { EncStateTable } from '../transport/encstate.js';
import { InfraTable } from '../transport/infra.js';
import { CONNECTION_ATTEMPT_DELAY, clampAttemptDelay } from '../transport/race.js';
import type { Random } from '../transport/random.js';
import type { Upstream } from '../transport/upstream.js';
import {
  decodeMessage,
  EDE,
  encodeMessage,
  type Message,
  type Name,
  Opcode,
  Rcode,
  type RR,
  RRClass,
  RRType,
  WireError,
} from '../wire/index.js';
import { publishRequest, requestChannel } from './diagnostics.js';
import { Iterator, type IteratorOptions, type Resolution, weakest } from './iterator.js';
import { LIMITS } from './limits.js';
import { type CachePartition, CachePartitions, PartitionedNegativeCache, PartitionedRRsetCache } from './partition.js';
import { addPrivacyReport, summarise, wantsPrivacyReport } from './privacy.js';
import { RequestState, ResolveFailure } from './request.js';
import { buildResponse, minTtl, responseFor, servfail } from './respond.js';
import { DnssecValidator } from './validate.js';

export interface ResolverConfig {
  qnameMinimisation: 'off' | 'relaxed' | 'strict';
  /** QTYPE of minimised queries: A (RFC 9156 2.1 recommends it; Unbound) or NS (Knot Resolver). */
  qnameMinimisationQtype: 'A' | 'NS';
  upstreamPort: number;
  ipv4: boolean;
  ipv6: boolean;
  /** Floor of per-query upstream timeouts (ms). */
  minTimeoutMs: number;
  cacheMinTtl: number;
  cacheMaxTtl: number;
  cacheMaxBytes: number;
  negativeMaxTtl: number;
  /**
   * RFC 8198 aggressive use of the DNSSEC-validated cache: NXDOMAIN, NODATA and wildcard answers synthesised from
   * validated NSEC/NSEC3 records without asking upstream (fewer queries, less exposure). On by default; needs trust
   * anchors.
   */
  aggressiveNsec: boolean;
  /** RFC 8767 serve-stale: off by default. */
  serveStale: boolean;
  staleSeconds: number;
  /** TTL given to stale answers (RFC 8767 4: 30 s recommended). */
  staleReplyTtl: number;
  packetCache: boolean;
  maxConcurrent: number;
  /**
   * Never send queries to nameserver addresses on this host (127.0.0.0/8, ::1) learnt from
   * DNS data (Unbound's do-not-query-localhost). Root hint addresses are exempt, and the
   * policy is off by itself when every root hint is a loopback address (the embedded lab).
   */
  doNotQueryLocalhost: boolean;
  /** Learn and apply nameservers' transport signals (off = cleartext Do53 only, e.g. for scenario replays). */
  transportPolicy: boolean;
  /** Spend TLS upstream: always, only for clients that came encrypted, or never (strict servers excepted). */
  upstreamEncryption: UpstreamEncryption;
  /** RFC 9539 unilateral probing of servers that publish no signal. */
  probing: boolean;
  /** For servers with no known state: try encryption before cleartext. */
  bootstrap: 'cleartext-first' | 'encrypt-first';
  /** RFC 9461 8.2: a DNSSEC-secure SVCB alone makes a server strict. */
  svcbSecureIsStrict: boolean;
  /** RFC 8305 connection-attempt delay (ms, 100..2000). */
  attemptDelayMs: number;
  /** Port used for DoT probes (853). */
  dotProbePort: number;
  /** Per-suffix operator rules (tighten only). */
  policyRules: PolicyRule[];
  /**
   * shared: one cache for every client. by-privacy: encrypted clients (DoT/DoH) are served only from a cache set
   * filled by all-encrypted resolutions, never with an answer learnt over cleartext (see partition.ts). Each set
   * gets half of the cache budget.
   */
  cachePartition: CachePartition;
}

export const defaultResolverConfig: ResolverConfig = {
  qnameMinimisation: 'relaxed',
  qnameMinimisationQtype: 'A',
  upstreamPort: 53,
  ipv4: true,
  ipv6: true,
  minTimeoutMs: 100,
  cacheMinTtl: 0,
  cacheMaxTtl: 86400,
  cacheMaxBytes: 128 * 1024 * 1024,
  negativeMaxTtl: 10800,
  aggressiveNsec: true,
  serveStale: false,
  staleSeconds: 86400,
  staleReplyTtl: 30,
  packetCache: true,
  maxConcurrent: LIMITS.MAX_CONCURRENT_REQUESTS,
  doNotQueryLocalhost: true,
  transportPolicy: true,
  upstreamEncryption: 'always',
  probing: true,
  bootstrap: 'cleartext-first',
  svcbSecureIsStrict: false,
  attemptDelayMs: CONNECTION_ATTEMPT_DELAY.DEFAULT_MS,
  dotProbePort: 853,
  policyRules: [],
  cachePartition: 'shared',
};

export interface ResolverDeps {
  upstream: Upstream;
  clock: Clock;
  random: Random;
  rootHints: RR[];
  /** Stub zones: NS records of non-root zones and their servers' addresses (see IteratorDeps.stubHints). */
  stubHints?: RR[];
  /** DNSSEC trust anchors (DS or DNSKEY records); none = no validation. */
  trustAnchors?: RR[];
}

/** Where a client request came from (for policy, logs and the privacy report). */
export interface ClientInfo {
  transport: 'udp' | 'tcp' | 'dot' | 'doh' | 'internal';
  address?: string;
}

/** The result of one client request with its explanation. */
export interface Handled {
  response: Message;
  state?: RequestState;
  cacheHit: boolean;
  /** DNSSEC status of the data answered (with a validator only; whether or not the client asked for AD). */
  security?: Resolution['security']['status'];
}

/**
 * The resolver service: validates client queries, answers from the caches or runs
 * the iterator, builds responses with EDE on failure, and keeps the packet cache.
 */
export class Resolver {
  readonly config: ResolverConfig;
  readonly cache: RRsetCache;
  readonly negative: NegativeCache;
  /** Validated NSEC/NSEC3 records for RFC 8198 (present when validating with aggressiveNsec on). */
  readonly aggressive: AggressiveNsecCache | undefined;
  readonly packets: PacketCache;
  /** cache-partition by-privacy: the encrypted-only cache set, and the packet cache of encrypted clients. */
  readonly partitions: CachePartitions | undefined;
  readonly encPackets: PacketCache | undefined;
  readonly infra = new InfraTable();
  readonly iterator: Iterator;
  /** DNSSEC validation, present when trust anchors are configured. */
  readonly validator: DnssecValidator | undefined;
  /** Transport policy: signals, strict/opportunistic decisions, RFC 9539 probing state. */
  readonly policy: TransportPolicy | undefined;
  readonly #clock: Clock;
  readonly #inflight = new Map<string, { promise: Promise<Resolution>; state: RequestState }>();
  #active = 0;
  readonly stats = { queries: 0, cacheHits: 0, packetHits: 0, servfail: 0, refused: 0 };

  constructor(deps: ResolverDeps, config: Partial<ResolverConfig> = {}) {
    this.config = { ...defaultResolverConfig, ...config };
    const c = this.config;
    this.#clock = deps.clock;
    const stale = c.serveStale ? c.staleSeconds : 0;
    const split = c.cachePartition === 'by-privacy' ? 2 : 1;
    const limits = {
      minTtl: c.cacheMinTtl,
      maxTtl: c.cacheMaxTtl,
      maxBytes: c.cacheMaxBytes / split,
      staleSeconds: stale,
    };
    const negOpts = { maxTtl: c.negativeMaxTtl, staleSeconds: stale, maxBytes: c.cacheMaxBytes / 4 / split };
    if (split === 2) {
      const partitions = new CachePartitions(limits, negOpts);
      this.partitions = partitions;
      this.cache = new PartitionedRRsetCache(limits, partitions);
      this.negative = new PartitionedNegativeCache(negOpts, partitions);
      this.encPackets = new PacketCache(c.cacheMaxBytes / 4 / split);
    } else {
      this.partitions = undefined;
      this.cache = new RRsetCache(limits);
      this.negative = new NegativeCache(negOpts);
      this.encPackets = undefined;
    }
    this.packets = new PacketCache(c.cacheMaxBytes / 4 / split);
    const anchors = new TrustAnchors(deps.trustAnchors ?? []);
    this.aggressive =
      anchors.size > 0 && c.aggressiveNsec ? new AggressiveNsecCache({ maxTtl: c.negativeMaxTtl }) : undefined;
    this.validator =
      anchors.size > 0
        ? new DnssecValidator(
            anchors,
            () => this.iterator,
            () => deps.clock.now(),
            this.aggressive ? { aggressive: { denials: this.aggressive, rrsets: this.cache } } : {},
          )
        : undefined;
    const itOpts: IteratorOptions = {
      qnameMinimisation: c.qnameMinimisation,
      qnameMinimisationQtype: c.qnameMinimisationQtype,
      dnssecOk: this.validator !== undefined,
      upstreamPort: c.upstreamPort,
      ipv4: c.ipv4,
      ipv6: c.ipv6,
      minTimeoutMs: c.minTimeoutMs,
      doNotQueryLocalhost: c.doNotQueryLocalhost,
      attemptDelayMs: clampAttemptDelay(c.attemptDelayMs),
    };
    this.policy = c.transportPolicy
      ? new TransportPolicy(
          {
            upstreamEncryption: c.upstreamEncryption,
            probing: c.probing,
            bootstrap: c.bootstrap,
            rules: c.policyRules,
            port53: c.upstreamPort,
            probePort: c.dotProbePort,
          },
          new EncStateTable(),
          () => deps.clock.now(),
          { ...defaultSignalOptions, svcbSecureIsStrict: c.svcbSecureIsStrict },
        )
      : undefined;
    this.iterator = new Iterator(
      {
        upstream: deps.upstream,
        now: () => deps.clock.now(),
        random: deps.random,
        cache: this.cache,
        negative: this.negative,
        infra: this.infra,
        rootHints: deps.rootHints,
        stubHints: deps.stubHints,
        validator: this.validator,
        policy: this.policy,
      },
      itOpts,
    );
  }

  /**
   * The hot path for servers: answers a raw query from the packet cache when possible
   * (no decode, no message construction), else resolves. Returns the response octets,
   * or undefined when the query must be dropped. A packet-cache hit is returned as is,
   * not in a promise (the listener sends it from the datagram's own event); anything
   * else comes as a promise.
   */
  handleRaw(raw: Uint8Array, client: ClientInfo, maxSize: number): Uint8Array | Promise<Uint8Array | undefined> {
    const k = this.config.packetCache ? scanQuery(raw) : undefined;
    // cache-partition by-privacy: encrypted clients have their own packet cache (see `handle`)
    const packets = this.encPackets !== undefined && clientEncrypted(client) ? this.encPackets : this.packets;
    if (k !== undefined) {
      // the client's UDP size limits UDP replies only; over streams the transport's limit alone applies
      const fits = client.transport === 'udp' ? Math.min(maxSize, k.udpSize) : maxSize;
      const hit = packets.answer(raw, k, this.#clock.now(), fits);
      if (hit !== undefined) {
        this.stats.queries++;
        this.stats.packetHits++;
        return hit;
      }
    }
    return this.#resolveRaw(raw, client, maxSize, k, packets);
  }

  /** handleRaw past the packet cache: decode, answer, encode, and keep the reply in the packet cache. */
  async #resolveRaw(
    raw: Uint8Array,
    client: ClientInfo,
    maxSize: number,
    k: QueryKey | undefined,
    packets: PacketCache,
  ): Promise<Uint8Array | undefined> {
    let query: Message;
    try {
      query = decodeMessage(raw);
    } catch (e) {
      if (!(e instanceof WireError) || raw.length < 12 || (raw[2] & 0x80) !== 0) return undefined;
      // FORMERR with the header echoed, no question
      const r = new Uint8Array(12);
      r.set(raw.subarray(0, 4));
      r[2] = (r[2] | 0x80) & 0xf9;
      r[3] = (r[3] & 0x10) | 0x80 | Rcode.FORMERR;
      return r;
    }
    if (query.qr) return undefined;
    const h = await this.handle(query, client);
    const response = h.response;
    const limit = Math.min(
      maxSize,
      client.transport === 'udp' ? (query.edns ? Math.max(512, query.edns.udpSize) : 512) : 65535,
    );
    const wire = encodeMessage(response, { maxSize: limit });
    // an encrypted client's packet cache only keeps answers from its partition: cache hits there, or resolutions
    // whose every hop went encrypted
    const storable = packets === this.packets || h.cacheHit || (h.state?.hops.every((x) => x.encrypted) ?? false);
    if (k !== undefined && storable && (response.rcode === Rcode.NOERROR || response.rcode === Rcode.NXDOMAIN)) {
      const ttl = minTtl(response);
      if (ttl > 0 && (wire[2] & 0x02) === 0) packets.store(k, wire, ttl, this.#clock.now());
    }
    return wire;
  }

  /** Answers one decoded client query. Never throws: failures become SERVFAIL with an EDE. */
  async handle(query: Message, client: ClientInfo = { transport: 'internal' }): Promise<Handled> {
    const started = this.#clock.now();
    const partitioned = this.partitions !== undefined && clientEncrypted(client);
    const h = partitioned
      ? await this.partitions!.runEncrypted(() => this.#handle(query, client))
      : await this.#handle(query, client);
    if (wantsPrivacyReport(query)) {
      const hops = h.state?.hops ?? [];
      addPrivacyReport(h.response, summarise(hops, { fromCache: h.cacheHit, encryptedPartition: partitioned }), hops);
    }
    if (requestChannel.hasSubscribers) {
      const q = query.questions[0];
      const ede = h.response.edns?.options.find((o) => o.kind === 'ede');
      const hops = h.state?.hops ?? [];
      publishRequest({
        transport: client.transport,
        client: client.address,
        qname: q ? q.name.toString() : '',
        qtype: q ? q.type : 0,
        rcode: h.response.rcode,
        ede: ede?.kind === 'ede' ? ede.infoCode : undefined,
        cacheHit: h.cacheHit,
        security: h.security ?? (h.response.ad ? 'secure' : undefined),
        durationMs: this.#clock.now() - started,
        hops: hops.length,
        encryptedHops: hops.filter((x) => x.encrypted).length,
        authenticatedHops: hops.filter((x) => x.authenticated).length,
        receivedAt: started,
      });
    }
    return h;
  }

  async #handle(query: Message, client: ClientInfo): Promise<Handled> {
    this.stats.queries++;
    if (query.opcode !== Opcode.QUERY) return { response: responseFor(query, Rcode.NOTIMP), cacheHit: false };
    if (query.questions.length !== 1) return { response: responseFor(query, Rcode.FORMERR), cacheHit: false };
    if (query.edns && query.edns.version > 0) {
      const r = responseFor(query, Rcode.BADVERS);
      return { response: r, cacheHit: false };
    }
    const q = query.questions[0];
    if (q.class !== RRClass.IN)
      return {
        response: responseFor(query, Rcode.REFUSED, { code: EDE.NOT_SUPPORTED, text: 'only class IN' }),
        cacheHit: false,
      };
    if (
      q.type === RRType.AXFR ||
      q.type === RRType.IXFR ||
      q.type === RRType.OPT ||
      (q.type >= 128 && q.type <= 254 && q.type !== RRType.TKEY)
    )
      return {
        response: responseFor(query, Rcode.NOTIMP, { code: EDE.NOT_SUPPORTED, text: 'meta query type' }),
        cacheHit: false,
      };
    if (!query.rd) return { response: this.#cacheOnly(query, q.name, q.type), cacheHit: true };
    const now = this.#clock.now();
    const cached = this.#fromCacheChain(q.name, q.type, now);
    if (cached) {
      this.stats.cacheHits++;
      return { response: buildResponse(query, cached), cacheHit: true, security: this.#status(cached) };
    }
    if (this.#active >= this.config.maxConcurrent) {
      this.stats.servfail++;
      return { response: servfail(query, EDE.OTHER, 'resolver busy'), cacheHit: false };
    }
    let state = new RequestState(() => this.#clock.now());
    state.clientEncrypted = clientEncrypted(client);
    this.partitions?.bind(state.hops);
    this.#active++;
    try {
      const work = this.#dedup(q.name, q.type, state);
      // a request that joined one already running reports (and explains) with that one's state
      state = work.state;
      const res = await work.promise;
      return { response: buildResponse(query, res), state, cacheHit: false, security: this.#status(res) };
    } catch (e) {
      const failure =
        e instanceof ResolveFailure ? e : new ResolveFailure(EDE.OTHER, `internal error: ${(e as Error).message}`);
      if (!(e instanceof ResolveFailure)) state.note('internal', (e as Error).stack ?? String(e));
      if (this.config.serveStale) {
        const stale = this.#fromCacheChain(q.name, q.type, this.#clock.now(), true);
        if (stale) {
          const r = buildResponse(query, staleTtl(stale, this.config.staleReplyTtl), {
            ede: {
              code: stale.kind === 'nxdomain' ? EDE.STALE_NXDOMAIN_ANSWER : EDE.STALE_ANSWER,
              text: failure.message,
            },
          });
          return { response: r, state, cacheHit: true, security: this.#status(stale) };
        }
      }
      this.stats.servfail++;
      return { response: servfail(query, failure.ede, failure.message, failure.chain), state, cacheHit: false };
    } finally {
      this.#active--;
    }
  }

  #status(r: Resolution): Handled['security'] {
    return this.validator === undefined ? undefined : r.security.status;
  }

  /** Resolves (name, type) for internal users (CLI trace, signal lookups) and returns the request state too. */
  async resolveName(
    name: Name,
    type: number,
  ): Promise<{ result?: Resolution; failure?: ResolveFailure; state: RequestState }> {
    const state = new RequestState(() => this.#clock.now());
    try {
      const cached = this.#fromCacheChain(name, type, this.#clock.now());
      const result = cached ?? (await this.iterator.resolve(name, type, state));
      return { result, state };
    } catch (e) {
      if (e instanceof ResolveFailure) return { failure: e, state };
      throw e;
    }
  }

  /** Removes a name (all types) from every cache. */
  flush(name?: Name): void {
    if (name === undefined) {
      this.cache.clear();
      this.negative.clear();
      this.aggressive?.clear();
    } else {
      this.cache.delete(name);
      this.negative.delete(name);
    }
    this.packets.clear();
    this.encPackets?.clear();
    this.iterator.noCut.clear();
  }

  #dedup(name: Name, type: number, state: RequestState): { promise: Promise<Resolution>; state: RequestState } {
    const key = `${name.key}|${type}|${state.clientEncrypted ? 'e' : 'c'}`;
    const running = this.#inflight.get(key);
    if (running) return running;
    const promise = this.iterator.resolve(name, type, state).finally(() => this.#inflight.delete(key));
    const work = { promise, state };
    this.#inflight.set(key, work);
    return work;
  }

  /** A complete answer from cache, aliases followed, or undefined if any link is missing. */
  #fromCacheChain(name: Name, type: number, now: number, allowStale = false): Resolution | undefined {
    const chain: Resolution['chain'] = [];
    let cur = name;
    let security: Resolution['security'] | undefined;
    for (let i = 0; i <= LIMITS.MAX_CNAME_CHAIN; i++) {
      const step = this.iterator.fromCache(cur, type, now, allowStale);
      if (step === undefined) return undefined;
      // unvalidated data (fetched for the chain of trust, or a referral's DS proof) is not an answer for clients
      if (this.validator !== undefined && step.security.status === 'indeterminate') return undefined;
      // the answer is only as secure as the weakest link of its alias chain
      security = security === undefined ? step.security : weakest(security, step.security);
      chain.push(...step.chain);
      if (step.kind === 'alias') {
        cur = step.target;
        continue;
      }
      return { ...step, chain, security };
    }
    return undefined;
  }

  #cacheOnly(query: Message, name: Name, type: number): Message {
    const cached = this.#fromCacheChain(name, type, this.#clock.now());
    if (cached) return buildResponse(query, cached);
    this.stats.refused++;
    return responseFor(query, Rcode.REFUSED, { code: EDE.NOT_READY, text: 'not in cache and recursion not desired' });
  }
}

function clientEncrypted(client: ClientInfo): boolean {
  return client.transport === 'dot' || client.transport === 'doh';
}

function staleTtl(r: Resolution, ttl: number): Resolution {
  const fix = (rrs: RR[]) => rrs.map((rr) => ({ ...rr, ttl: Math.min(rr.ttl, ttl) || ttl }));
  const chain = r.chain.map((l) => ({
    ...l,
    cname: { rrs: fix(l.cname.rrs), sigs: fix(l.cname.sigs) },
    dname: l.dname ? { rrs: fix(l.dname.rrs), sigs: fix(l.dname.sigs) } : undefined,
  }));
  if (r.kind === 'answer') return { ...r, chain, rrset: { rrs: fix(r.rrset.rrs), sigs: fix(r.rrset.sigs) } };
  return { ...r, chain, authority: fix(r.authority) };
}
