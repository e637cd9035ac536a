// `sealdns check ZONE`: the domain owner's view of a zone's nameservers (issue 7 item 6). Resolves
// the zone's NS RRset with an in-process validating Resolver, gathers and judges each nameserver
// (checker.ts, policy/check.ts) and prints a report, or JSON with --json. Exit code 0 when no
// nameserver has an error (warnings allowed), 1 otherwise, 2 for usage errors: usable in the CI of a
// DNS operator.

import { IANA_ROOT_ANCHORS } from '../dnssec/anchors.js';
import type { Severity } from '../policy/check.js';
import { Resolver } from '../resolver/resolver.js';
import { builtinRootHints } from '../resolver/root-hints.js';
import { Transport } from '../transport/client.js';
import { systemClock } from '../transport/clock.js';
import { cryptoRandom } from '../transport/random.js';
import { Name, parseRecordsFile, type RR } from '../wire/index.js';
import { parseIntOption, UsageError } from './args.js';
import { type CheckReport, checkZone, type NameserverReport } from './checker.js';
import { loadRecordsFile } from './serve.js';

export interface CheckFlags {
  rootHints?: string;
  trustAnchor?: string;
  json?: boolean;
  upstreamPort?: string;
  ipv6?: boolean;
  timeout?: string;
}

export interface CheckRun {
  report: CheckReport;
  text: string;
  /** 0: no errors; 1: at least one error. */
  exitCode: number;
}

/** Runs the check for `zoneText` and renders it; the caller prints and exits. */
export async function runCheck(zoneText: string, flags: CheckFlags): Promise<CheckRun> {
  let zone: Name;
  try {
    zone = Name.fromText(zoneText.endsWith('.') ? zoneText : `${zoneText}.`);
  } catch (e) {
    throw new UsageError(`"${zoneText}" is not a domain name: ${(e as Error).message}`);
  }
  const dnsPort =
    flags.upstreamPort === undefined ? 53 : parseIntOption('--upstream-port', flags.upstreamPort, 1, 65535);
  const timeoutMs = flags.timeout === undefined ? 5_000 : parseIntOption('--timeout', flags.timeout, 100, 60_000);
  const ipv6 = flags.ipv6 ?? true;
  const rootHints: RR[] =
    flags.rootHints === undefined ? builtinRootHints() : await loadRecordsFile('root-hints', flags.rootHints);
  const trustAnchors: RR[] =
    flags.trustAnchor === undefined
      ? parseRecordsFile(IANA_ROOT_ANCHORS)
      : await loadRecordsFile('trust-anchor', flags.trustAnchor);
  const transport = new Transport({ clock: systemClock, random: cryptoRandom });
  try {
    const resolver = new Resolver(
      { upstream: transport, clock: systemClock, random: cryptoRandom, rootHints, trustAnchors },
      // The checker must see a zone's data even when its servers are broken (that is what it reports), so its own
      // lookups do not apply the transport policy: it tests every advertised transport explicitly instead.
      { upstreamPort: dnsPort, ipv6, transportPolicy: false },
    );
    const report = await checkZone(zone, { resolver, transport, dnsPort, ipv6, timeoutMs });
    return {
      report,
      text: flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report),
      exitCode: report.severity === 'error' ? 1 : 0,
    };
  } finally {
    transport.destroy();
  }
}

const TLS_LABEL: Record<NameserverReport['endpoints'][number]['tls'], string> = {
  tls13: 'TLS 1.3',
  'tls12-only': 'TLS 1.2 only',
  closed: 'closed',
  'no-tls': 'no TLS',
  'not-tested': 'not tested',
};

const MARK: Record<Severity, string> = { ok: 'ok', warning: 'WARNING', error: 'ERROR' };

/** The human-readable report. */
export function renderReport(r: CheckReport): string {
  const out: string[] = [];
  out.push(`zone ${r.zone}: NS ${r.ns.records.join(', ') || '-'} (${r.ns.security ?? r.ns.result})`);
  for (const p of r.problems) out.push(`  ERROR: ${p}`);
  for (const ns of r.nameservers) out.push('', ...renderNameserver(ns));
  const count = (s: Severity) => r.nameservers.filter((n) => n.severity === s).length;
  out.push(
    '',
    `${r.nameservers.length} nameserver(s): ${count('ok')} ok, ${count('warning')} warning(s), ` +
      `${count('error')} error(s)${r.problems.length > 0 ? `, ${r.problems.length} zone problem(s)` : ''} — ` +
      (r.severity === 'error' ? 'FAIL' : 'PASS'),
  );
  return `${out.join('\n')}\n`;
}

function renderNameserver(ns: NameserverReport): string[] {
  const out = [`${ns.name}  verdict: ${ns.verdict} (${MARK[ns.severity]})`];
  const ips = ns.addresses.flatMap((a) => a.records);
  out.push(`  addresses: ${ips.join(', ') || '-'} (${ns.addresses.map((a) => a.security ?? a.result).join('/')})`);
  if (ns.inBailiwick) out.push('  in-bailiwick: yes (the name is inside the zone it serves)');
  const l = ns.svcb;
  out.push(
    `  signal ${l.name} SVCB: ${l.result === 'records' ? l.records.join(' | ') : l.result}` +
      `${l.security ? ` [${l.security}]` : ''}${l.error ? ` (${l.error})` : ''}`,
  );
  for (const t of ns.tlsa)
    out.push(
      `  signal ${t.name} TLSA: ${t.result === 'records' ? t.records.join(' | ') : t.result}` +
        `${t.security ? ` [${t.security}]` : ''}${t.error ? ` (${t.error})` : ''}`,
    );
  out.push(
    `  resolver's reading: ${ns.signal.mode}${ns.signal.reasons.length ? ` — ${ns.signal.reasons.join('; ')}` : ''}`,
  );
  for (const e of ns.endpoints) {
    const where = `${e.protocol} ${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port}${e.dohPath ? ` ${e.dohPath}` : ''}`;
    const parts = [`${TLS_LABEL[e.tls]}${e.tlsDetail ? ` (${e.tlsDetail})` : ''}`];
    if (e.encrypted)
      parts.push(
        e.encrypted.ok ? `SOA over TLS ${e.encrypted.rcode}${e.encrypted.aa ? ' aa' : ''}` : `SOA over TLS failed`,
      );
    if (e.agrees !== undefined) parts.push(e.agrees ? 'same as Do53' : 'DIFFERS from Do53');
    parts.push(`DANE ${e.dane}`);
    out.push(`  ${where}: ${parts.join(', ')}`);
  }
  for (const p of ns.problems) out.push(`  ${ns.severity === 'warning' ? 'WARNING' : 'ERROR'}: ${p}`);
  for (const n of ns.notes) out.push(`  note: ${n}`);
  return out;
}
