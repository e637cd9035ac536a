// `sealdns check ZONE`: gathers what a resolver would see of a zone's nameservers, and judges each
// one (src/policy/check.ts). For every NS name:
// - the signals in the DNS, resolved by the in-process Resolver (DNSSEC-validated with the trust
//   anchor): `_dns.<ns>` SVCB, and TLSA at `_<port>._tcp.<ns>` for each advertised endpoint (853 for
//   DoT and 443 for DoH by default), even in unsigned zones, to catch a strict signal that cannot work;
// - the resolver's interpretation of them (interpretSignal with the resolver's signal options), with
//   the referential-integrity check of standards §3.5 (the zone's NS RRset secure and listing the name);
// - on the wire, for each address × advertised endpoint: a TLS 1.3-only handshake and, if it fails, a
//   TLS ≤ 1.2 probe (transport/probe.ts) to tell "TLS 1.2 only" from "closed"; the zone's SOA asked
//   with the project's DoT/DoH client (unauthenticated, and DANE-authenticated when TLSA records exist),
//   and over Do53 to the same address, and the two answers compared (RFC 9539 3).

import type { Security } from '../cache/rank.js';
import {
  type AnswerReport,
  answersAgree,
  type EndpointReport,
  judgeNameserver,
  type LookupReport,
  type NameserverFindings,
  type Severity,
  type Verdict,
  worstSeverity,
} from '../policy/check.js';
import {
  defaultSignalOptions,
  type Endpoint,
  interpretSignal,
  type Lookup,
  type ServerSignal,
} from '../policy/signals.js';
import type { Resolver } from '../resolver/resolver.js';
import { type Transport, TransportError } from '../transport/index.js';
import { probeTls } from '../transport/probe.js';
import type { Target, TlsaRecord } from '../transport/upstream.js';
import {
  makeQuery,
  Name,
  type NameData,
  type RR,
  RRType,
  rcodeToText,
  rdataToText,
  type SvcbData,
  type TlsaData,
  typeToText,
} from '../wire/index.js';

export interface CheckOptions {
  resolver: Resolver;
  transport: Transport;
  /** Port of Do53 on the nameservers (default 53). */
  dnsPort?: number;
  /** Also look up and test IPv6 addresses (default true). */
  ipv6?: boolean;
  /** Per handshake and per query (default 5 s). */
  timeoutMs?: number;
}

export interface NameserverReport extends Omit<NameserverFindings, 'signal'> {
  signal: {
    mode: ServerSignal['mode'];
    security: Security;
    endpoints: { protocol: string; port: number; alpn: string; dohPath?: string; tlsa: number }[];
    unsupported: string[];
    reasons: string[];
  };
  verdict: Verdict;
  severity: Severity;
  problems: string[];
  notes: string[];
}

export interface CheckReport {
  zone: string;
  /** The zone's NS RRset (child side), with its DNSSEC state. */
  ns: LookupReport;
  nameservers: NameserverReport[];
  /** Problems of the zone itself (no NS RRset...). */
  problems: string[];
  severity: Severity;
}

type Found<T> = { report: LookupReport; lookup: Lookup<T>; rrs: RR[] };

const rdata = (rr: RR) => rdataToText(rr.type, rr.data);

/** One lookup through the resolver, reported and shaped for interpretSignal. */
async function lookup<T>(resolver: Resolver, name: Name, type: number): Promise<Found<T>> {
  const base = { name: name.toString(), type: typeToText(type) };
  let r: Awaited<ReturnType<Resolver['resolveName']>>;
  try {
    r = await resolver.resolveName(name, type);
  } catch (e) {
    const error = (e as Error).message;
    return {
      report: { ...base, result: 'error', records: [], error },
      lookup: { kind: 'error', reason: error },
      rrs: [],
    };
  }
  if (r.result === undefined) {
    const error = r.failure?.message ?? 'no result';
    return {
      report: { ...base, result: 'error', records: [], error },
      lookup: { kind: 'error', reason: error },
      rrs: [],
    };
  }
  const security = r.result.security.status;
  const reason = r.result.security.reason;
  if (r.result.kind === 'answer') {
    const rrs = r.result.rrset.rrs.filter((rr) => rr.type === type);
    const report: LookupReport = {
      ...base,
      result: 'records',
      security,
      records: rrs.map(rdata),
      ...(security === 'bogus' && reason ? { error: reason } : {}),
    };
    return {
      report,
      lookup: { kind: 'records', records: rrs.map((rr) => rr.data as unknown as T), security },
      rrs,
    };
  }
  return {
    report: {
      ...base,
      result: 'none',
      security,
      records: [],
      ...(security === 'bogus' && reason ? { error: reason } : {}),
    },
    lookup: { kind: 'none', security },
    rrs: [],
  };
}

const tlsaName = (ns: Name, port: number) => Name.fromLabels([`_${port}`, '_tcp', ...ns.labels()]);

function toTlsa(records: TlsaData[]): TlsaRecord[] {
  return records.map((r) => ({ usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data }));
}

/** The SOA of `zone` asked of `target`; never throws. */
async function askSoa(t: Transport, zone: Name, target: Target, timeoutMs: number): Promise<AnswerReport> {
  try {
    const q = makeQuery(zone, RRType.SOA, { rd: false });
    const r = await t.exchange(q, target, { signal: AbortSignal.timeout(timeoutMs) });
    const m = r.message;
    return {
      ok: true,
      rcode: rcodeToText(m.rcode),
      aa: m.aa,
      soa: m.answers.filter((rr) => rr.type === RRType.SOA && rr.name.equals(zone)).map(rdata),
      rttMs: Math.round(r.rttMs),
    };
  } catch (e) {
    const code = e instanceof TransportError ? e.code : 'error';
    const why = e instanceof TransportError && e.authFailure ? ` ${e.authFailure}` : '';
    return { ok: false, error: `${code}${why}: ${(e as Error).message}` };
  }
}

/** Tests one advertised endpoint at one address. */
async function testEndpoint(
  o: Required<Omit<CheckOptions, 'resolver'>>,
  zone: Name,
  ns: Name,
  ip: string,
  ep: Endpoint,
  tlsa: TlsaRecord[],
  tlsaPublished: boolean,
): Promise<EndpointReport> {
  const out: EndpointReport = {
    protocol: ep.protocol,
    ip,
    port: ep.port,
    ...(ep.dohPath === undefined ? {} : { dohPath: ep.dohPath }),
    tls: 'not-tested',
    dane: tlsaPublished ? 'not-tested' : 'no-tlsa',
  };
  const probe = await probeTls({ ip, port: ep.port, alpn: ep.alpn, timeoutMs: o.timeoutMs });
  out.tls = probe.kind;
  if (probe.kind === 'tls13') out.tlsDetail = `${probe.version}${probe.alpn ? `, ALPN ${probe.alpn}` : ''}`;
  else if (probe.kind === 'tls12-only') out.tlsDetail = probe.version;
  else out.tlsDetail = probe.detail;
  const base: Target = {
    ip,
    port: ep.port,
    protocol: ep.protocol,
    auth: 'none',
    alpn: ep.alpn,
    authName: ns.toString(),
    ...(ep.dohPath === undefined ? {} : { dohPath: ep.dohPath }),
  };
  out.do53 = await askSoa(o.transport, zone, { ip, port: o.dnsPort, protocol: 'udp', auth: 'none' }, o.timeoutMs);
  if (probe.kind !== 'tls13') return out;
  out.encrypted = await askSoa(o.transport, zone, base, o.timeoutMs);
  out.agrees = out.encrypted.ok && out.do53.ok ? answersAgree(out.encrypted, out.do53) : undefined;
  if (out.encrypted.ok && !out.do53.ok) out.agrees = undefined;
  if (tlsaPublished) {
    if (tlsa.length === 0) out.dane = 'no-usable-tlsa';
    else {
      const dane = await askSoa(o.transport, zone, { ...base, auth: 'dane', tlsa }, o.timeoutMs);
      if (dane.ok) out.dane = 'match';
      else if (/tls-auth-failed/.test(dane.error ?? '')) {
        out.dane = 'mismatch';
        out.daneDetail = dane.error;
      } else {
        out.dane = 'not-tested';
        out.daneDetail = dane.error;
      }
    }
  }
  return out;
}

/** Checks one nameserver of `zone`. */
async function checkNameserver(
  o: Required<Omit<CheckOptions, 'resolver'>> & { resolver: Resolver },
  zone: Name,
  ns: Name,
  nsAuthentic: boolean,
): Promise<NameserverReport> {
  const r = o.resolver;
  // SVCB first: resolving it lets the resolver learn the server's whole signal (TLSA included) on the way
  const svcb = await lookup<SvcbData>(r, Name.fromLabels(['_dns', ...ns.labels()]), RRType.SVCB);
  const addresses = [await lookup<never>(r, ns, RRType.A)];
  if (o.ipv6) addresses.push(await lookup<never>(r, ns, RRType.AAAA));
  const svcbRecords = svcb.lookup.kind === 'records' ? svcb.lookup.records : [];
  const portOf = (alpn: string, def: number) =>
    svcbRecords.find((x) => x.priority > 0 && x.params.alpn?.includes(alpn))?.params.port ?? def;
  const dotPort = portOf('dot', 853);
  const dohPort = portOf('h2', 443);
  const hasH2 = svcbRecords.some((x) => x.params.alpn?.includes('h2'));
  const tlsaDot = await lookup<TlsaData>(r, tlsaName(ns, dotPort), RRType.TLSA);
  const tlsaDoh = hasH2 ? await lookup<TlsaData>(r, tlsaName(ns, dohPort), RRType.TLSA) : undefined;
  const signal = interpretSignal(
    {
      ns,
      svcb: svcb.lookup,
      tlsaDot: tlsaDot.lookup,
      tlsaDoh: tlsaDoh?.lookup ?? { kind: 'none', security: svcb.report.security ?? 'insecure' },
      nsAuthentic,
    },
    r.policy?.signalOptions ?? defaultSignalOptions,
  );
  // what to test: the usable endpoints the resolver would use (strict ones carry their TLSA)
  const endpoints: EndpointReport[] = [];
  const ips = addresses.flatMap((l) => l.report.records);
  const tlsaOf = (p: 'dot' | 'doh') => (p === 'dot' ? tlsaDot : tlsaDoh);
  for (const ep of signal.mode === 'unusable' ? [] : signal.endpoints) {
    const t = tlsaOf(ep.protocol);
    const published = t?.lookup.kind === 'records';
    const usable = ep.tlsa.length > 0 ? ep.tlsa : published ? usableOf(t!) : [];
    for (const ip of ips) endpoints.push(await testEndpoint(o, zone, ns, ip, ep, usable, published));
  }
  const findings: NameserverFindings = {
    name: ns.toString(),
    inBailiwick: ns.isSubdomainOf(zone),
    nsAuthentic,
    addresses: addresses.map((l) => l.report),
    svcb: svcb.report,
    tlsa: [tlsaDot.report, ...(tlsaDoh ? [tlsaDoh.report] : [])],
    signal,
    endpoints,
  };
  const j = judgeNameserver(findings);
  return {
    ...findings,
    signal: {
      mode: signal.mode,
      security: signal.security,
      endpoints: signal.endpoints.map((e) => ({
        protocol: e.protocol,
        port: e.port,
        alpn: e.alpn,
        ...(e.dohPath === undefined ? {} : { dohPath: e.dohPath }),
        tlsa: e.tlsa.length,
      })),
      unsupported: signal.unsupported,
      reasons: signal.reasons,
    },
    ...j,
  };
}

/** The TLSA records a DANE check can use, from a lookup whatever its DNSSEC state (the checker tests them anyway). */
function usableOf(t: Found<TlsaData>): TlsaRecord[] {
  if (t.lookup.kind !== 'records') return [];
  return toTlsa(t.lookup.records.filter((x) => x.usage === 2 || x.usage === 3));
}

/** Checks every nameserver of `zone`. */
export async function checkZone(zone: Name, opts: CheckOptions): Promise<CheckReport> {
  const o = {
    resolver: opts.resolver,
    transport: opts.transport,
    dnsPort: opts.dnsPort ?? 53,
    ipv6: opts.ipv6 ?? true,
    timeoutMs: opts.timeoutMs ?? 5_000,
  };
  const ns = await lookup<NameData>(opts.resolver, zone, RRType.NS);
  const problems: string[] = [];
  if (ns.report.result !== 'records' || ns.rrs.length === 0) {
    problems.push(
      ns.report.result === 'error'
        ? `cannot resolve the NS RRset of ${zone}: ${ns.report.error}`
        : `${zone} has no NS RRset (${ns.report.result}${ns.report.security ? `, ${ns.report.security}` : ''}): not a zone apex`,
    );
    return { zone: zone.toString(), ns: ns.report, nameservers: [], problems, severity: 'error' };
  }
  if (ns.report.security === 'bogus')
    problems.push(`the NS RRset of ${zone} is DNSSEC-bogus: ${ns.report.error ?? ''}`);
  const names = [
    ...new Map(ns.rrs.map((rr) => [(rr.data as NameData).target.key, (rr.data as NameData).target])).values(),
  ];
  names.sort((a, b) => a.compare(b));
  const secure = ns.report.security === 'secure';
  const nameservers: NameserverReport[] = [];
  for (const n of names) nameservers.push(await checkNameserver(o, zone, n, secure));
  const severity = worstSeverity([
    ...nameservers.map((n) => n.severity),
    ...(problems.length > 0 ? (['error'] as const) : []),
  ]);
  return { zone: zone.toString(), ns: ns.report, nameservers, problems, severity };
}
