import type { Security } from '../cache/rank.js';
import type { EncProtocol, EncStateTable } from '../transport/encstate.js';
import type { Target } from '../transport/upstream.js';
import { Name, type NameData, type RR, RRType, type SvcbData, type TlsaData } from '../wire/index.js';
import { decide, type Plan, type PolicyConfig } from './decide.js';
import {
  defaultSignalOptions,
  interpretSignal,
  type Lookup,
  type ServerSignal,
  type SignalOptions,
} from './signals.js';

/** What a signal lookup returns: records with their DNSSEC status and TTL, a denial, or a failure. */
export type SignalLookup = (
  name: Name,
  type: number,
) => Promise<
  | { kind: 'records'; records: RR[]; security: Security; ttl: number; ede?: number }
  | { kind: 'none'; security: Security; ttl: number; ede?: number }
  | { kind: 'error'; reason: string; ede?: number }
>;

interface CachedSignal {
  signal: ServerSignal;
  expires: number;
}

const SIGNAL_CACHE_MAX = 50_000;
/** Signals learnt from lookups that failed are kept this long (RFC 9520: short). */
const FAILED_SIGNAL_TTL_S = 10;
const MIN_SIGNAL_TTL_S = 5;
const MAX_SIGNAL_TTL_S = 86_400;

/** Transport error codes that do not mean "this address cannot do encrypted DNS" (no RFC 9539 damping). */
const NOT_A_CAPABILITY_VERDICT = new Set([
  'tls-auth-failed',
  'closed',
  'aborted',
  'connection-limit',
  'too-many-inflight',
]);

/** Strict servers that failed are avoided with a short, growing back-off (RFC 9520 3.2), not RFC 9539 damping. */
interface StrictFailure {
  until: number;
  backoffS: number;
  why: string;
}

/**
 * The transport policy: learns each nameserver's published signals from the DNS
 * (SVCB at _dns.<ns>, TLSA at _853._tcp/_443._tcp.<ns>, validated), caches them with
 * their TTL and DNSSEC status, and turns them into a plan per (nameserver, address)
 * with `decide`. Lookups go through the ordinary resolver; a lookup that needs the very
 * server being decided (the bootstrap loop of standards §4.5) is answered "not known
 * yet", and the decision then uses the bootstrap rules for that meta-query only.
 */
export class TransportPolicy {
  readonly config: PolicyConfig;
  readonly signalOptions: SignalOptions;
  readonly enc: EncStateTable;
  readonly #signals = new Map<string, CachedSignal>();
  readonly #authentic = new Map<string, { ok: boolean; expires: number }>();
  readonly #strictFailures = new Map<string, StrictFailure>();
  readonly #now: () => number;
  readonly stats = {
    plans: 0,
    strict: 0,
    opportunistic: 0,
    probe: 0,
    cleartext: 0,
    unusable: 0,
    required: 0,
    fallbacks: 0,
  };

  constructor(
    config: PolicyConfig,
    enc: EncStateTable,
    now: () => number,
    signalOptions: SignalOptions = defaultSignalOptions,
  ) {
    this.config = config;
    this.enc = enc;
    this.#now = now;
    this.signalOptions = signalOptions;
  }

  /** The cached signal of a nameserver, if known and fresh. */
  cachedSignal(ns: Name): ServerSignal | undefined {
    const c = this.#signals.get(ns.key);
    return c && c.expires > this.#now() ? c.signal : undefined;
  }

  /** All cached signals (diagnostics, control API). */
  signals(): ServerSignal[] {
    const now = this.#now();
    return [...this.#signals.values()].filter((c) => c.expires > now).map((c) => c.signal);
  }

  /**
   * Fetches (or returns the cached) signal of `ns`. Returns undefined when the signal
   * cannot be known right now because fetching it depends on itself (`busy` says so).
   */
  async signalFor(
    ns: Name,
    lookup: SignalLookup,
    busy: (key: string) => boolean,
    mark: (key: string, on: boolean) => void,
  ): Promise<ServerSignal | undefined> {
    const cached = this.cachedSignal(ns);
    if (cached) return cached;
    const key = `signal|${ns.key}`;
    if (busy(key)) return undefined;
    mark(key, true);
    try {
      const svcbName = Name.fromLabels(['_dns', ...ns.labels()]);
      const svcb = await lookup(svcbName, RRType.SVCB);
      // a cycle (or an unfinished chain of trust) leaves the data indeterminate: decide nothing from it
      if (svcb.kind !== 'error' && svcb.security === 'indeterminate') return undefined;
      const svcbL = toLookup<SvcbData>(svcb);
      // In an insecure zone no TLSA can be secure: skip those lookups (fewer queries, same verdict).
      const zoneSigned = svcb.kind === 'error' || svcb.security === 'secure' || svcb.security === 'bogus';
      // the TLSA base domain follows the endpoint's port (RFC 7671 3; draft svcb-dane): _<port>._tcp.<ns>
      const tlsaName = (port: number) => Name.fromLabels([`_${port}`, '_tcp', ...ns.labels()]);
      const svcbRecords = svcbL.kind === 'records' ? svcbL.records : [];
      const portOf = (alpn: string, def: number) =>
        svcbRecords.find((r) => r.priority > 0 && r.params.alpn?.includes(alpn))?.params.port ?? def;
      const hasH2 = svcbRecords.some((r) => r.params.alpn?.includes('h2'));
      const tlsaDotRaw = zoneSigned ? await lookup(tlsaName(portOf('dot', 853)), RRType.TLSA) : undefined;
      const tlsaDohRaw = zoneSigned && hasH2 ? await lookup(tlsaName(portOf('h2', 443)), RRType.TLSA) : undefined;
      for (const l of [tlsaDotRaw, tlsaDohRaw])
        if (l && l.kind !== 'error' && l.security === 'indeterminate') return undefined;
      const insecureNone = { kind: 'none', security: 'insecure' } as const;
      const signal = interpretSignal(
        {
          ns,
          svcb: svcbL,
          tlsaDot: tlsaDotRaw ? toLookup<TlsaData>(tlsaDotRaw) : insecureNone,
          tlsaDoh: tlsaDohRaw ? toLookup<TlsaData>(tlsaDohRaw) : insecureNone,
          nsAuthentic: true, // checked per zone in plan()
        },
        this.signalOptions,
      );
      const ttls = [svcb, tlsaDotRaw, tlsaDohRaw].map((l) =>
        l === undefined ? MAX_SIGNAL_TTL_S : l.kind === 'error' ? FAILED_SIGNAL_TTL_S : l.ttl,
      );
      // bogus or failed signal data is remembered only briefly: the server stays unusable meanwhile (never a
      // downgrade), but a transient failure in the chain of trust must not keep it out for the data's whole TTL
      if (signal.mode === 'unusable') ttls.push(FAILED_SIGNAL_TTL_S);
      const ttl = Math.max(MIN_SIGNAL_TTL_S, Math.min(MAX_SIGNAL_TTL_S, ...ttls));
      if (this.#signals.size >= SIGNAL_CACHE_MAX) this.#signals.clear();
      this.#signals.set(ns.key, { signal, expires: this.#now() + ttl * 1000 });
      return signal;
    } finally {
      mark(key, false);
    }
  }

  /**
   * Referential integrity (standards §3.5): the NS name counts as authentic for `zone`
   * when the zone's own (child-side) NS RRset is DNSSEC-secure and lists it.
   */
  async nsAuthentic(
    zone: Name,
    ns: Name,
    lookup: SignalLookup,
    busy: (key: string) => boolean,
    mark: (key: string, on: boolean) => void,
  ): Promise<boolean | undefined> {
    const k = `${zone.key}|${ns.key}`;
    const c = this.#authentic.get(k);
    if (c && c.expires > this.#now()) return c.ok;
    const key = `nsauth|${zone.key}`;
    if (busy(key)) return undefined;
    mark(key, true);
    try {
      const r = await lookup(zone, RRType.NS);
      if (r.kind !== 'error' && r.security === 'indeterminate') return undefined;
      const ok =
        r.kind === 'records' &&
        r.security === 'secure' &&
        r.records.some((rr) => rr.type === RRType.NS && (rr.data as NameData).target.equals(ns));
      const ttl = r.kind === 'error' ? FAILED_SIGNAL_TTL_S : Math.max(MIN_SIGNAL_TTL_S, r.ttl);
      this.#authentic.set(k, { ok, expires: this.#now() + ttl * 1000 });
      return ok;
    } finally {
      mark(key, false);
    }
  }

  /** The plan for sending to (ns, ip) on behalf of a resolution for `zone`. */
  async plan(
    ns: Name,
    ip: string,
    zone: Name,
    ctx: {
      lookup: SignalLookup;
      busy: (key: string) => boolean;
      mark: (key: string, on: boolean) => void;
      clientEncrypted: boolean;
    },
  ): Promise<Plan> {
    this.stats.plans++;
    let signal = await this.signalFor(ns, ctx.lookup, ctx.busy, ctx.mark);
    if (signal?.mode === 'strict') {
      const authentic = await this.nsAuthentic(zone, ns, ctx.lookup, ctx.busy, ctx.mark);
      if (authentic === false) {
        signal = {
          ...signal,
          mode: 'opportunistic',
          endpoints: signal.endpoints.map((e) => ({ ...e, tlsa: [] })),
          reasons: [...signal.reasons, `NS ${ns} is not in a secure NS RRset of ${zone}: at most opportunistic (§3.5)`],
        };
      }
      const failed = this.#strictFailures.get(`${ns.key}|${ip}`);
      if (failed && failed.until > this.#now()) {
        this.stats.unusable++;
        return {
          mode: 'unusable',
          attempts: [],
          reasons: [`strict server ${ns} (${ip}) failed recently: ${failed.why}`],
        };
      }
    }
    this.enc.refresh(ip, 'dot', this.#now());
    this.enc.refresh(ip, 'doh', this.#now());
    const plan = decide({
      ns,
      ip,
      zone,
      signal,
      enc: this.enc,
      now: this.#now(),
      config: this.config,
      clientEncrypted: ctx.clientEncrypted,
    });
    this.stats[plan.mode]++;
    return plan;
  }

  /**
   * Records the outcome of an encrypted attempt: RFC 9539 state per address, and for strict servers RFC 9520's short,
   * growing back-off. `code` (the transport's error code) refines a failure: a handshake that completed but did not
   * authenticate ('tls-auth-failed') says nothing against the address's DoT capability, and neither does a
   * connection the server closed cleanly (4.6.7: status unchanged) or a local limit; none of them starts damping.
   */
  report(
    ns: Name,
    target: Target,
    outcome: 'ok' | 'fail' | 'timeout',
    strict: boolean,
    why?: string,
    resumed = false,
    code?: string,
  ): void {
    if (target.protocol !== 'dot' && target.protocol !== 'doh') return;
    const now = this.#now();
    const p = target.protocol as EncProtocol;
    if (outcome === 'ok') {
      this.enc.success(target.ip, p, now, resumed);
      this.#strictFailures.delete(`${ns.key}|${target.ip}`);
      return;
    }
    if (code === undefined || !NOT_A_CAPABILITY_VERDICT.has(code)) this.enc.failure(target.ip, p, now, outcome, why);
    if (strict && code !== 'connection-limit' && code !== 'too-many-inflight') {
      const k = `${ns.key}|${target.ip}`;
      const prev = this.#strictFailures.get(k);
      const backoffS = prev ? Math.min(300, prev.backoffS * 2) : 5;
      this.#strictFailures.set(k, { until: now + backoffS * 1000, backoffS, why: why ?? outcome });
    }
  }

  flush(): void {
    this.#signals.clear();
    this.#authentic.clear();
    this.#strictFailures.clear();
  }
}

function toLookup<T>(
  l:
    | { kind: 'records'; records: RR[]; security: Security; ede?: number }
    | { kind: 'none'; security: Security; ede?: number }
    | { kind: 'error'; reason: string; ede?: number },
): Lookup<T> {
  const ede = l.ede === undefined ? {} : { ede: l.ede };
  if (l.kind === 'records')
    return { kind: 'records', records: l.records.map((rr) => rr.data as unknown as T), security: l.security, ...ede };
  if (l.kind === 'none') return { kind: 'none', security: l.security, ...ede };
  return { kind: 'error', reason: l.reason, ...ede };
}
