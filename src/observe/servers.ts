// What `sealdns control servers` shows: every upstream server address the resolver knows, with its
// transport state — the signals its nameserver names publish, the last strict/opportunistic/probe
// decision, the RFC 9539 probe state of DoT and DoH, the last error, RTT and RTO, and the
// connections open to it. The resolver's own tables (infra, RFC 9539 EncStateTable, cached
// signals) are read when asked; what they do not keep (which names an address serves, the last
// decision and exchange, open connections) is learnt here from the diagnostics channels.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { DecisionEvent, UpstreamExchangeEvent } from '../resolver/diagnostics.js';
import type { Resolver } from '../resolver/resolver.js';
import type { CloseEvent, ConnectEvent } from '../transport/diagnostics.js';
import type { EncProtocol } from '../transport/encstate.js';

export type ResolverTables = Pick<Resolver, 'infra' | 'policy'>;

/** RFC 9539 state of one encrypted transport of one server. */
export interface ProbeState {
  /** untried: never attempted; pending: a handshake is under way; ok / fail / timeout: the last one. */
  status: 'untried' | 'pending' | 'ok' | 'fail' | 'timeout';
  /** A failure is still being damped (no new attempt before `retryInS`). */
  damped: boolean;
  retryInS?: number;
  lastResponseAgoS?: number;
  lastError?: string;
  handshakes: number;
  resumptions: number;
}

export interface ServerState {
  ip: string;
  /** Nameserver names seen for this address. */
  names: string[];
  /** Zones it was asked about (most recent first, a few). */
  zones: string[];
  /** The published signal of its (first signalling) nameserver name, when known. */
  signal?: {
    ns: string;
    mode: string;
    /** e.g. "dot:853 dane", "doh:443 /dns-query{?dns}". */
    endpoints: string[];
    unsupported: string[];
    security: string;
  };
  /** The last transport decision for it. */
  decision?: { mode: string; zone: string; reasons: string[]; agoS: number };
  probe: Partial<Record<EncProtocol, ProbeState>>;
  rtt?: { srttMs: number; rttVarMs: number; rtoMs: number };
  queries: number;
  timeouts: number;
  /** Considered down after timeouts in a row (probed once in a while). */
  down: boolean;
  edns: string;
  lastError?: { what: string; protocol?: string; agoS?: number };
  lastExchange?: { protocol: string; outcome: string; why: string; agoS: number };
  /** Exchanges seen per transport. */
  exchanges: Record<string, { ok: number; failed: number }>;
  /** Stream connections open now, per transport. */
  connections: Record<string, number>;
}

interface Entry {
  names: Set<string>;
  zones: string[];
  decision?: { mode: string; zone: string; reasons: string[]; at: number };
  lastExchange?: { protocol: string; outcome: string; why: string; at: number };
  lastError?: { what: string; protocol: string; at: number };
  exchanges: Record<string, { ok: number; failed: number }>;
  connections: Record<string, number>;
}

const MAX_ENTRIES = 10_000;
const MAX_ZONES = 4;
/** Connection ids being tracked, so a close is matched to its open (connections opened before we subscribed are not). */
const MAX_OPEN_IDS = 100_000;

export class ServerTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #open = new Map<number, { ip: string; protocol: string }>();
  readonly #subs: [string, (m: unknown) => void][] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  start(): this {
    if (this.#subs.length > 0) return this;
    const on = <T>(name: string, fn: (ev: T) => void) => {
      const h = (m: unknown) => {
        try {
          fn(m as T);
        } catch {
          // never break the publisher
        }
      };
      subscribe(name, h);
      this.#subs.push([name, h]);
    };
    on<DecisionEvent>('sealdns:resolver:decision', (ev) => {
      const e = this.#entry(ev.ip);
      e.names.add(ev.ns);
      this.#zone(e, ev.zone);
      e.decision = { mode: ev.mode, zone: ev.zone, reasons: ev.reasons.slice(0, 8), at: this.#now() };
    });
    on<UpstreamExchangeEvent>('sealdns:resolver:upstream', (ev) => {
      const e = this.#entry(ev.ip);
      if (ev.server !== undefined) e.names.add(ev.server);
      this.#zone(e, ev.zone);
      const at = this.#now();
      e.lastExchange = { protocol: ev.protocol, outcome: ev.outcome, why: ev.why, at };
      const c = (e.exchanges[ev.protocol] ??= { ok: 0, failed: 0 });
      // 'aborted' is a lost race (RFC 8305), not the server's failure
      if (ev.outcome === 'ok') c.ok++;
      else if (ev.outcome !== 'aborted') {
        c.failed++;
        e.lastError = { what: ev.outcome, protocol: ev.protocol, at };
      }
    });
    on<ConnectEvent>('sealdns:transport:connect', (ev) => {
      if (!ev.ok) return;
      if (this.#open.size >= MAX_OPEN_IDS) this.#open.clear();
      this.#open.set(ev.connectionId, { ip: ev.server.ip, protocol: ev.server.protocol });
      const e = this.#entry(ev.server.ip);
      e.connections[ev.server.protocol] = (e.connections[ev.server.protocol] ?? 0) + 1;
    });
    on<CloseEvent>('sealdns:transport:close', (ev) => {
      const o = this.#open.get(ev.connectionId);
      if (o === undefined) return;
      this.#open.delete(ev.connectionId);
      const e = this.#entries.get(o.ip);
      if (e !== undefined) e.connections[o.protocol] = Math.max(0, (e.connections[o.protocol] ?? 1) - 1);
    });
    return this;
  }

  stop(): void {
    for (const [name, h] of this.#subs.splice(0)) unsubscribe(name, h);
  }

  /** Forgets what was learnt (the resolver's own tables are not touched). */
  clear(): void {
    this.#entries.clear();
  }

  #entry(ip: string): Entry {
    let e = this.#entries.get(ip);
    if (e === undefined) {
      if (this.#entries.size >= MAX_ENTRIES) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      e = { names: new Set(), zones: [], exchanges: {}, connections: {} };
    } else this.#entries.delete(ip); // re-inserted below: most recently used last
    this.#entries.set(ip, e);
    return e;
  }

  #zone(e: Entry, zone: string): void {
    const i = e.zones.indexOf(zone);
    if (i === 0) return;
    if (i > 0) e.zones.splice(i, 1);
    e.zones.unshift(zone);
    if (e.zones.length > MAX_ZONES) e.zones.length = MAX_ZONES;
  }

  /**
   * Every server known to the resolver's tables or seen on the channels, sorted by name then
   * address. `resolverNow` is the resolver's clock (its tables hold times from it).
   */
  snapshot(tables: ResolverTables | undefined, resolverNow: number = Date.now()): ServerState[] {
    const now = this.#now();
    const ago = (at: number, clockNow = now) => Math.max(0, Math.round((clockNow - at) / 100) / 10);
    const ips = new Set<string>(this.#entries.keys());
    const infra = tables?.infra;
    const policy = tables?.policy;
    if (infra) for (const s of infra.entries()) ips.add(s.ip);
    if (policy) for (const [key] of policy.enc.entries()) ips.add(key.slice(0, key.lastIndexOf('|')));
    const signals = new Map((policy?.signals() ?? []).map((s) => [s.ns.toString(), s]));
    const out: ServerState[] = [];
    for (const ip of ips) {
      const e = this.#entries.get(ip);
      const info = infra?.peek(ip);
      const names = [...(e?.names ?? [])].sort();
      const sigName = names.find((n) => signals.has(n));
      const sig = sigName === undefined ? undefined : signals.get(sigName);
      const probe: ServerState['probe'] = {};
      if (policy) {
        for (const p of ['dot', 'doh'] as const) {
          const r = policy.enc.get(ip, p);
          if (r === undefined) continue;
          const pending = r.status === undefined && r.initiated !== undefined;
          const damped = policy.enc.damped(ip, p, resolverNow);
          probe[p] = {
            status:
              r.status === undefined ? (pending ? 'pending' : 'untried') : r.status === 'success' ? 'ok' : r.status,
            damped,
            ...(damped && r.completed !== undefined
              ? { retryInS: Math.round((r.completed + policy.enc.timers.dampingMs - resolverNow) / 1000) }
              : {}),
            ...(r.lastResponse === undefined ? {} : { lastResponseAgoS: ago(r.lastResponse, resolverNow) }),
            ...(r.lastError === undefined ? {} : { lastError: r.lastError }),
            handshakes: r.handshakes,
            resumptions: r.resumptions,
          };
        }
      }
      const lastError =
        e?.lastError !== undefined
          ? { what: e.lastError.what, protocol: e.lastError.protocol, agoS: ago(e.lastError.at) }
          : info?.lastError !== undefined
            ? { what: info.lastError }
            : undefined;
      out.push({
        ip,
        names,
        zones: [...(e?.zones ?? [])],
        ...(sig === undefined
          ? {}
          : {
              signal: {
                ns: sig.ns.toString(),
                mode: sig.mode,
                endpoints: sig.endpoints.map(
                  (ep) =>
                    `${ep.protocol}:${ep.port}${ep.tlsa.length > 0 ? ' dane' : ''}${ep.dohPath ? ` ${ep.dohPath}` : ''}`,
                ),
                unsupported: [...sig.unsupported],
                security: sig.security,
              },
            }),
        ...(e?.decision === undefined
          ? {}
          : {
              decision: {
                mode: e.decision.mode,
                zone: e.decision.zone,
                reasons: e.decision.reasons,
                agoS: ago(e.decision.at),
              },
            }),
        probe,
        ...(info !== undefined && info.srttMs > 0
          ? { rtt: { srttMs: round1(info.srttMs), rttVarMs: round1(info.rttVarMs), rtoMs: round1(info.rtoMs) } }
          : info !== undefined
            ? { rtt: { srttMs: 0, rttVarMs: 0, rtoMs: round1(info.rtoMs) } }
            : {}),
        queries: info?.queries ?? 0,
        timeouts: info?.timeouts ?? 0,
        down: info?.downSince !== undefined,
        edns: info?.edns ?? 'unknown',
        ...(lastError === undefined ? {} : { lastError }),
        ...(e?.lastExchange === undefined
          ? {}
          : {
              lastExchange: {
                protocol: e.lastExchange.protocol,
                outcome: e.lastExchange.outcome,
                why: e.lastExchange.why,
                agoS: ago(e.lastExchange.at),
              },
            }),
        exchanges: structuredClone(e?.exchanges ?? {}),
        connections: Object.fromEntries(Object.entries(e?.connections ?? {}).filter(([, n]) => n > 0)),
      });
    }
    return out.sort((a, b) => (a.names[0] ?? '~').localeCompare(b.names[0] ?? '~') || a.ip.localeCompare(b.ip));
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

// --- the operator's table -----------------------------------------------------------------------

/** The human form of `servers`: one line per server, then its details indented when something is off. */
export function formatServers(servers: readonly ServerState[]): string {
  if (servers.length === 0) return 'no upstream servers known yet\n';
  const rows: string[][] = [
    ['SERVER', 'NAME', 'SIGNAL', 'DECISION', 'DOT', 'DOH', 'RTT/RTO ms', 'CONNS', 'LAST ERROR'],
  ];
  for (const s of servers) {
    const sig = s.signal
      ? `${s.signal.mode}${s.signal.endpoints.length ? ` ${s.signal.endpoints.join(',')}` : ''}`
      : '-';
    const probe = (p: ProbeState | undefined) =>
      p === undefined ? '-' : `${p.status}${p.damped ? ` (damped ${p.retryInS ?? '?'}s)` : ''}`;
    const rtt = s.rtt ? `${s.rtt.srttMs || '-'}/${s.rtt.rtoMs}` : '-';
    const conns =
      Object.entries(s.connections)
        .map(([p, n]) => `${p}:${n}`)
        .join(',') || '-';
    const probeError = (['dot', 'doh'] as const)
      .map((p) => (s.probe[p]?.lastError === undefined ? undefined : `${p}: ${s.probe[p]?.lastError}`))
      .find((x) => x !== undefined);
    const err = s.lastError
      ? `${s.lastError.protocol ? `${s.lastError.protocol} ` : ''}${s.lastError.what}${
          s.lastError.agoS === undefined ? '' : ` ${s.lastError.agoS}s ago`
        }`
      : (probeError ?? '-');
    rows.push([
      s.ip + (s.down ? ' (down)' : ''),
      s.names.join(',') || '-',
      sig,
      s.decision?.mode ?? '-',
      probe(s.probe.dot),
      probe(s.probe.doh),
      rtt,
      conns,
      err,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}
