// Prometheus metrics (prom-client, in a Registry of our own: nothing goes to prom-client's global
// default registry). Everything is learnt from the diagnostics channels the lower layers publish
// on (convention 1) — the service's finished queries, the resolver's requests, upstream
// exchanges and transport decisions, the transport's TLS handshakes, queries and connections —
// plus, at scrape time, the caches' own hit/miss counters and sizes. Label values come from
// bounded sets only (transport names, outcome codes, RCODE and EDE names, decision modes, a
// fixed list of fallback reasons), never from names or addresses.
//
// Under `--workers N` each worker keeps its own Metrics; the primary answers scrapes with the sum
// (prom-client's AggregatorRegistry asks every worker over the cluster IPC channel).

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionEvent, RequestEvent, UpstreamExchangeEvent } from '../resolver/diagnostics.js';
import type { Resolver } from '../resolver/resolver.js';
import type { ServedEvent } from '../server/served.js';
import type { CloseEvent, ConnectEvent, QueryEvent, TlsEvent } from '../transport/diagnostics.js';
import { EDE, rcodeToText } from '../wire/index.js';

/** What metrics read from the resolver when scraped (the resolver can change on reload). */
export type ResolverView = Pick<Resolver, 'cache' | 'negative' | 'packets'>;

export interface MetricsOptions {
  /** The current resolver, for the cache counters (read at each scrape). */
  resolver?: () => ResolverView | undefined;
  /** Queries refused by the service's ACL are counted from events; nothing else needs the service. */
  prefix?: string;
}

/** Client request and upstream RTT buckets (seconds): from a packet-cache hit to a slow resolution. */
const CLIENT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8];
const RTT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4];

const EDE_NAMES = new Map<number, string>(Object.entries(EDE).map(([k, v]) => [v, k.toLowerCase().replace(/_/g, '-')]));

/** EDE info code → metric label ("6" → "dnssec-bogus"); unknown codes keep their number. */
export function edeLabel(code: number): string {
  return EDE_NAMES.get(code) ?? `ede-${code}`;
}

/**
 * Why an upstream exchange went in cleartext, as a bounded label. The `why` texts come from the
 * transport policy (src/policy/decide.ts) and the iterator; "; TCP after TC" suffixes are dropped.
 */
export function cleartextReason(why: string): { reason: string; fallback: boolean } {
  const w = why.replace(/; TCP after TC$/, '');
  if (w.startsWith('fallback after opportunistic')) return { reason: 'opportunistic-failed', fallback: true };
  if (w.startsWith('fallback after DoT')) return { reason: 'probe-failed', fallback: true };
  if (w.startsWith('fallback: no DoT')) return { reason: 'bootstrap-no-dot', fallback: true };
  if (w.includes('damped')) return { reason: 'damped', fallback: true };
  if (w.startsWith('fallback')) return { reason: 'fallback-other', fallback: true };
  if (w.startsWith('bootstrap')) return { reason: 'bootstrap', fallback: false };
  if (w.startsWith('policy')) return { reason: 'policy', fallback: false };
  if (w.startsWith('no signal')) return { reason: 'no-signal', fallback: false };
  if (w.includes('nameserver name unknown')) return { reason: 'ns-unknown', fallback: false };
  if (w.includes('no transport policy')) return { reason: 'no-policy', fallback: false };
  return { reason: 'other', fallback: false };
}

const CHANNELS = {
  served: 'sealdns:server:request',
  request: 'sealdns:resolver:request',
  upstream: 'sealdns:resolver:upstream',
  decision: 'sealdns:resolver:decision',
  tls: 'sealdns:transport:tls',
  query: 'sealdns:transport:query',
  connect: 'sealdns:transport:connect',
  close: 'sealdns:transport:close',
} as const;

/** The metrics of one process (a single-process server, or one worker). */
export class Metrics {
  readonly registry = new Registry();
  readonly #opts: MetricsOptions;
  readonly #subs: [string, (msg: unknown) => void][] = [];
  /** Last value read of each scraped counter, per source object (a new resolver starts from 0). */
  readonly #seen = new Map<string, { source: object; value: number }>();

  readonly clientQueries: Counter<'transport' | 'outcome'>;
  readonly clientResponses: Counter<'transport' | 'rcode'>;
  readonly clientAnswers: Counter<'source'>;
  readonly clientDuration: Histogram<'transport' | 'source'>;
  readonly edeSent: Counter<'code' | 'name'>;
  readonly dnssec: Counter<'result' | 'ede'>;
  readonly upstreamQueries: Counter<'protocol' | 'outcome'>;
  readonly upstreamEncrypted: Counter<'protocol' | 'authenticated'>;
  readonly upstreamCleartext: Counter<'protocol' | 'reason'>;
  readonly fallbacks: Counter<'reason'>;
  readonly upstreamRtt: Histogram<'protocol'>;
  readonly decisions: Counter<'mode'>;
  readonly tlsHandshakes: Counter<'protocol' | 'authenticated_by'>;
  readonly tlsResumptions: Counter<'protocol'>;
  readonly tlsFailures: Counter<'protocol' | 'reason'>;
  readonly connectionsOpened: Counter<'protocol'>;
  readonly connectionsOpen: Gauge<'protocol'>;

  constructor(opts: MetricsOptions = {}) {
    this.#opts = opts;
    const p = opts.prefix ?? 'sealdns_';
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name: p + name, help, labelNames, registers });
    this.clientQueries = counter('client_queries_total', 'Client queries by downstream transport and outcome', [
      'transport',
      'outcome',
    ]);
    this.clientResponses = counter('client_responses_total', 'Responses sent to clients by transport and RCODE', [
      'transport',
      'rcode',
    ]);
    this.clientAnswers = counter(
      'client_answers_total',
      'Answers by source: packet-cache, cache (RRset and negative caches) or resolution',
      ['source'],
    );
    this.clientDuration = new Histogram({
      name: `${p}client_request_duration_seconds`,
      help: 'Time from a client query reaching the service to its reply being ready',
      labelNames: ['transport', 'source'],
      buckets: CLIENT_BUCKETS,
      registers,
    });
    this.edeSent = counter('ede_sent_total', 'Extended DNS Errors sent to clients (RFC 8914)', ['code', 'name']);
    this.dnssec = counter(
      'dnssec_answers_total',
      'Answers by DNSSEC outcome (secure, insecure, bogus, indeterminate); bogus by EDE',
      ['result', 'ede'],
    );
    this.upstreamQueries = counter('upstream_queries_total', 'Upstream exchanges by transport and outcome', [
      'protocol',
      'outcome',
    ]);
    this.upstreamEncrypted = counter(
      'upstream_encrypted_queries_total',
      'Upstream exchanges over DoT or DoH, by whether the server was authenticated',
      ['protocol', 'authenticated'],
    );
    this.upstreamCleartext = counter(
      'upstream_cleartext_queries_total',
      'Upstream exchanges over UDP or TCP, by why they were not encrypted',
      ['protocol', 'reason'],
    );
    this.fallbacks = counter(
      'upstream_fallbacks_total',
      'Cleartext exchanges that replaced a failed or damped encrypted transport, by reason',
      ['reason'],
    );
    this.upstreamRtt = new Histogram({
      name: `${p}upstream_rtt_seconds`,
      help: 'Round-trip time of answered upstream queries (after any connection set-up)',
      labelNames: ['protocol'],
      buckets: RTT_BUCKETS,
      registers,
    });
    this.decisions = counter(
      'transport_decisions_total',
      'Transport decisions per (nameserver, address): strict, opportunistic, probe, cleartext, required, unusable',
      ['mode'],
    );
    this.tlsHandshakes = counter('tls_handshakes_total', 'Full upstream TLS handshakes that succeeded', [
      'protocol',
      'authenticated_by',
    ]);
    this.tlsResumptions = counter('tls_resumptions_total', 'Upstream TLS sessions resumed from a ticket', ['protocol']);
    this.tlsFailures = counter('tls_failures_total', 'Upstream TLS connection attempts that failed, by reason', [
      'protocol',
      'reason',
    ]);
    this.connectionsOpened = counter('upstream_connections_opened_total', 'Upstream stream connections opened', [
      'protocol',
    ]);
    this.connectionsOpen = new Gauge({
      name: `${p}upstream_connections_open`,
      help: 'Upstream stream connections open now (TCP, DoT, DoH sessions)',
      labelNames: ['protocol'],
      registers,
    });
    this.#scraped(p);
  }

  /** Counters and gauges read from the resolver's caches at scrape time. */
  #scraped(p: string): void {
    const self = this;
    const view = () => this.#opts.resolver?.();
    new Counter({
      name: `${p}cache_hits_total`,
      help: 'Cache lookups that hit: packet cache (whole replies) and RRset cache',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        const r = view();
        if (r === undefined) return;
        this.inc({ cache: 'packet' }, self.#delta('packet-hits', r.packets, r.packets.hits));
        this.inc({ cache: 'rrset' }, self.#delta('rrset-hits', r.cache, r.cache.hits));
      },
    });
    new Counter({
      name: `${p}cache_misses_total`,
      help: 'Cache lookups that missed: packet cache (whole replies) and RRset cache',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        const r = view();
        if (r === undefined) return;
        this.inc({ cache: 'packet' }, self.#delta('packet-misses', r.packets, r.packets.misses));
        this.inc({ cache: 'rrset' }, self.#delta('rrset-misses', r.cache, r.cache.misses));
      },
    });
    new Gauge({
      name: `${p}cache_entries`,
      help: 'Entries held by each cache',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        const r = view();
        if (r === undefined) return;
        this.set({ cache: 'packet' }, r.packets.size);
        this.set({ cache: 'rrset' }, r.cache.size);
        this.set({ cache: 'negative' }, r.negative.size);
      },
    });
  }

  /** How much a source's counter grew since the last scrape (all of it for a new source). */
  #delta(key: string, source: object, value: number): number {
    const last = this.#seen.get(key);
    const base = last === undefined || last.source !== source || last.value > value ? 0 : last.value;
    this.#seen.set(key, { source, value });
    return value - base;
  }

  /** Subscribes to the diagnostics channels. Idempotent. */
  start(): this {
    if (this.#subs.length > 0) return this;
    const on = <T>(name: string, fn: (ev: T) => void) => {
      const h = (msg: unknown) => {
        try {
          fn(msg as T);
        } catch {
          // a metrics bug must never break serving
        }
      };
      subscribe(name, h);
      this.#subs.push([name, h]);
    };
    on<ServedEvent>(CHANNELS.served, (ev) => this.#served(ev));
    on<RequestEvent>(CHANNELS.request, (ev) => this.#request(ev));
    on<UpstreamExchangeEvent>(CHANNELS.upstream, (ev) => this.#upstream(ev));
    on<DecisionEvent>(CHANNELS.decision, (ev) => this.decisions.inc({ mode: ev.mode }));
    on<TlsEvent>(CHANNELS.tls, (ev) => this.#tls(ev));
    on<QueryEvent>(CHANNELS.query, (ev) => {
      if (ev.outcome === 'ok') this.upstreamRtt.observe({ protocol: ev.server.protocol }, ev.durationMs / 1000);
    });
    on<ConnectEvent>(CHANNELS.connect, (ev) => {
      if (!ev.ok) return;
      this.connectionsOpened.inc({ protocol: ev.server.protocol });
      this.connectionsOpen.inc({ protocol: ev.server.protocol });
    });
    on<CloseEvent>(CHANNELS.close, (ev) => this.connectionsOpen.dec({ protocol: ev.server.protocol }));
    return this;
  }

  /** Unsubscribes from every channel. */
  stop(): void {
    for (const [name, h] of this.#subs.splice(0)) unsubscribe(name, h);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text (Prometheus format). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  #served(ev: ServedEvent): void {
    this.clientQueries.inc({ transport: ev.transport, outcome: ev.outcome });
    if (ev.rcode !== undefined) this.clientResponses.inc({ transport: ev.transport, rcode: rcodeToText(ev.rcode) });
    const source = ev.packetHit ? 'packet-cache' : ev.outcome === 'refused' ? 'acl' : 'resolver';
    if (ev.packetHit) this.clientAnswers.inc({ source: 'packet-cache' });
    this.clientDuration.observe({ transport: ev.transport, source }, ev.durationMs / 1000);
  }

  #request(ev: RequestEvent): void {
    this.clientAnswers.inc({ source: ev.cacheHit ? 'cache' : 'resolution' });
    if (ev.ede !== undefined) this.edeSent.inc({ code: String(ev.ede), name: edeLabel(ev.ede) });
    if (ev.security !== undefined)
      this.dnssec.inc({
        result: ev.security,
        ede: ev.security === 'bogus' && ev.ede !== undefined ? edeLabel(ev.ede) : '',
      });
  }

  #upstream(ev: UpstreamExchangeEvent): void {
    this.upstreamQueries.inc({ protocol: ev.protocol, outcome: ev.outcome });
    if (ev.encrypted) {
      this.upstreamEncrypted.inc({ protocol: ev.protocol, authenticated: String(ev.authenticated) });
      return;
    }
    const { reason, fallback } = cleartextReason(ev.why);
    this.upstreamCleartext.inc({ protocol: ev.protocol, reason });
    // a fallback is counted once, not again for its TCP retry after TC
    if (fallback && !ev.why.endsWith('TCP after TC')) this.fallbacks.inc({ reason });
  }

  #tls(ev: TlsEvent): void {
    const protocol = ev.server.protocol;
    if (!ev.ok) this.tlsFailures.inc({ protocol, reason: ev.error?.metricLabel ?? 'internal' });
    else if (ev.resumed) this.tlsResumptions.inc({ protocol });
    else this.tlsHandshakes.inc({ protocol, authenticated_by: ev.authenticatedBy ?? 'unauthenticated' });
  }
}

// --- cluster ------------------------------------------------------------------------------------

/** In a worker: answer the primary's scrape requests with this registry's metrics. */
export function shareWithPrimary(metrics: Metrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // the constructor installs prom-client's IPC listener (once per process)
  new AggregatorRegistry();
}

/** In the primary: the metrics of every worker, summed. */
export function clusterMetrics(): { contentType: string; text(): Promise<string> } {
  const agg = new AggregatorRegistry();
  return { contentType: agg.contentType, text: () => agg.clusterMetrics() };
}
