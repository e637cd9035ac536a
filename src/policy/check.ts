/**
 * The domain owner's checker (`sealdns check`, issue 7 item 6): the verdict for one nameserver from what was found
 * in the DNS (signals and their DNSSEC state) and on the wire (TLS handshakes, answers over each transport, DANE).
 * Pure: the gathering is done by the CLI (src/cli/checker.ts) with the resolver and the transport; this file only
 * judges, with the same vocabulary as the resolver's policy (signals.ts, standards §3.4 and §4.3):
 *
 * - ok-strict: a DNSSEC-secure TLSA for an advertised endpoint, the NS name authentic, every endpoint answers over
 *   TLS 1.3, the certificate matches the TLSA, and the answers agree with Do53;
 * - ok-opportunistic: an SVCB (no secure TLSA) in a signed zone, every endpoint answers over TLS 1.3 and agrees;
 * - no-signal: nothing published (resolvers may still probe, RFC 9539);
 * - unsigned-signal: the signal is in an unsigned zone: usable only opportunistically, strippable by an attacker; an
 *   error when a TLSA was published (the owner meant strict, which needs DNSSEC), a warning otherwise;
 * - broken-tlsa: a secure TLSA that the certificate does not match: strict resolvers cannot use the server at all;
 * - closed-port: an advertised endpoint does not accept connections;
 * - tls12-only: an advertised endpoint speaks TLS but not 1.3 (sealdns never falls back, M10);
 * - broken-transport: TLS 1.3 works but DNS over it does not (no answer, not authoritative, or answers that differ
 *   from Do53, RFC 9539 3), or TLS fails for another reason;
 * - bogus: DNSSEC validation failed for the nameserver's data (addresses, SVCB, TLSA);
 * - lookup-failed: a signal lookup failed, so a strict signal cannot be ruled out (resolvers avoid the server);
 * - no-address: the nameserver name has no address.
 */
import type { Security } from '../cache/rank.js';
import type { ServerSignal } from './signals.js';

export type Verdict =
  | 'ok-strict'
  | 'ok-opportunistic'
  | 'no-signal'
  | 'unsigned-signal'
  | 'broken-tlsa'
  | 'closed-port'
  | 'tls12-only'
  | 'broken-transport'
  | 'bogus'
  | 'lookup-failed'
  | 'no-address';

export type Severity = 'ok' | 'warning' | 'error';

/** One lookup the checker made, as reported. */
export interface LookupReport {
  name: string;
  type: string;
  result: 'records' | 'none' | 'error';
  /** DNSSEC state of the data (or of the denial). */
  security?: Security;
  /** Records in presentation form (RDATA only). */
  records: string[];
  error?: string;
}

/** One advertised endpoint at one address, as tested. */
export interface EndpointReport {
  protocol: 'dot' | 'doh';
  ip: string;
  port: number;
  dohPath?: string;
  /** The handshake: TLS 1.3 only first, then (on failure) TLS ≤ 1.2 to classify it. */
  tls: 'tls13' | 'tls12-only' | 'closed' | 'no-tls' | 'not-tested';
  tlsDetail?: string;
  /** The zone's SOA asked over this endpoint with the project's DoT/DoH client. */
  encrypted?: AnswerReport;
  /** The same question over Do53 (UDP) to the same address. */
  do53?: AnswerReport;
  /** RFC 9539 3: the same answer over both (rcode, AA and the SOA RRset). */
  agrees?: boolean;
  /**
   * The certificate against the published TLSA: `match` (a DANE-authenticated query succeeded), `mismatch`,
   * `no-usable-tlsa` (only unusable records), `no-tlsa` (none published).
   */
  dane: 'match' | 'mismatch' | 'no-usable-tlsa' | 'no-tlsa' | 'not-tested';
  daneDetail?: string;
}

export interface AnswerReport {
  ok: boolean;
  rcode?: string;
  aa?: boolean;
  /** The SOA RDATA in presentation form. */
  soa?: string[];
  error?: string;
  rttMs?: number;
}

/** Everything known about one nameserver before judging it. */
export interface NameserverFindings {
  name: string;
  /** The NS name is inside the zone it serves (its signals live there too). */
  inBailiwick: boolean;
  /** The zone's own NS RRset is DNSSEC-secure and lists this name (standards §3.5). */
  nsAuthentic: boolean;
  addresses: LookupReport[];
  svcb: LookupReport;
  tlsa: LookupReport[];
  signal: ServerSignal;
  endpoints: EndpointReport[];
}

export interface Judgement {
  verdict: Verdict;
  severity: Severity;
  problems: string[];
  notes: string[];
}

const SEVERITY: Record<Verdict, Severity> = {
  'ok-strict': 'ok',
  'ok-opportunistic': 'ok',
  'no-signal': 'ok',
  'unsigned-signal': 'warning',
  'broken-tlsa': 'error',
  'closed-port': 'error',
  'tls12-only': 'error',
  'broken-transport': 'error',
  bogus: 'error',
  'lookup-failed': 'error',
  'no-address': 'error',
};

const where = (e: EndpointReport) => `${e.protocol} ${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port}`;

/** The verdict for one nameserver. Pure. */
export function judgeNameserver(f: NameserverFindings): Judgement {
  const problems: string[] = [];
  const notes: string[] = [];
  const lookups = [...f.addresses, f.svcb, ...f.tlsa];
  const tlsaPublished = f.tlsa.some((l) => l.result === 'records');
  const signalPublished = f.svcb.result === 'records' || tlsaPublished;
  const done = (verdict: Verdict, severity: Severity = SEVERITY[verdict]): Judgement => ({
    verdict,
    severity,
    problems,
    notes,
  });

  if (f.inBailiwick) {
    const signed = [f.svcb, ...f.addresses].every((l) => l.result === 'error' || l.security === 'secure');
    notes.push(
      `in-bailiwick: ${f.name} is inside the zone it serves, so its address and signals come from itself and a ` +
        'resolver first learns them over a channel it cannot yet authenticate; only DNSSEC breaks this loop' +
        (signed ? ' (here it does: the data validates as secure)' : ' (here it does not: the data is not secure)'),
    );
  }

  // 1. DNSSEC failures: resolvers treat the server as unusable, never downgrade
  const bogus = lookups.filter((l) => l.security === 'bogus');
  if (bogus.length > 0) {
    for (const l of bogus) problems.push(`${l.name} ${l.type} is DNSSEC-bogus${l.error ? `: ${l.error}` : ''}`);
    return done('bogus');
  }
  // 2. addresses
  const ips = f.addresses.flatMap((l) => (l.result === 'records' ? l.records : []));
  if (ips.length === 0) {
    problems.push(`${f.name} has no address (${f.addresses.map((l) => l.error ?? l.result).join(', ')})`);
    return done('no-address');
  }
  // 3. a failed signal lookup: a strict signal cannot be ruled out
  const failed = [f.svcb, ...f.tlsa].filter((l) => l.result === 'error');
  if (failed.length > 0 || f.signal.mode === 'unusable') {
    for (const l of failed) problems.push(`${l.name} ${l.type} lookup failed: ${l.error ?? 'error'}`);
    if (failed.length === 0) problems.push(...f.signal.reasons);
    return done('lookup-failed');
  }

  // 4. the wire
  const strict = f.signal.mode === 'strict';
  for (const e of f.endpoints) {
    if (e.dane === 'mismatch')
      (strict ? problems : notes).push(
        `${where(e)}: the certificate does not match the TLSA records${e.daneDetail ? ` (${e.daneDetail})` : ''}` +
          (strict ? ': strict resolvers will not use this server' : ' (not DNSSEC-secure, so not enforced)'),
      );
    if (e.dane === 'no-usable-tlsa')
      notes.push(
        `${where(e)}: no usable TLSA record (only DANE-TA 2 / DANE-EE 3 are used): encrypted, unauthenticated`,
      );
  }
  if (strict && f.endpoints.some((e) => e.dane === 'mismatch')) return done('broken-tlsa');

  const tls12 = f.endpoints.filter((e) => e.tls === 'tls12-only');
  for (const e of tls12)
    problems.push(`${where(e)}: TLS 1.3 refused, only ${e.tlsDetail ?? 'TLS 1.2'}: sealdns requires TLS 1.3 (M10)`);
  const closed = f.endpoints.filter((e) => e.tls === 'closed');
  for (const e of closed) problems.push(`${where(e)}: advertised but closed (${e.tlsDetail ?? 'no connection'})`);
  const broken: string[] = [];
  for (const e of f.endpoints) {
    if (e.tls === 'no-tls') broken.push(`${where(e)}: no TLS handshake (${e.tlsDetail ?? ''})`);
    if (e.tls !== 'tls13') continue;
    if (e.encrypted && !e.encrypted.ok)
      broken.push(`${where(e)}: TLS 1.3 works but the SOA query failed: ${e.encrypted.error ?? e.encrypted.rcode}`);
    else if (e.encrypted?.ok && e.encrypted.aa === false)
      broken.push(`${where(e)}: the answer is not authoritative (AA clear): the zone is not served here`);
    if (e.agrees === false)
      broken.push(
        `${where(e)}: the answer differs from Do53 (RFC 9539 3: the same answers over every transport): ` +
          `encrypted ${describeAnswer(e.encrypted)}, Do53 ${describeAnswer(e.do53)}`,
      );
  }
  problems.push(...broken);
  if (tls12.length > 0) return done('tls12-only');
  if (closed.length > 0) return done('closed-port');
  if (broken.length > 0) return done('broken-transport');

  // 5. the signal itself
  if (!signalPublished) {
    notes.push('no transport signal: resolvers may still probe port 853 (RFC 9539), but nothing is promised');
    return done('no-signal');
  }
  const unsigned = [f.svcb, ...f.tlsa].some((l) => l.result !== 'error' && l.security === 'insecure');
  if (unsigned) {
    if (tlsaPublished) {
      problems.push(
        'TLSA published in a zone that is not DNSSEC-signed: a strict signal needs DNSSEC, resolvers treat it as ' +
          'opportunistic at best (and anyone on the path can strip it)',
      );
      if (f.inBailiwick) problems.push('the in-bailiwick loop cannot be broken without DNSSEC');
      return done('unsigned-signal', 'error');
    }
    problems.push('the SVCB signal is not DNSSEC-signed: opportunistic only, and an attacker can strip or alter it');
    return done('unsigned-signal', 'warning');
  }
  if (f.signal.mode === 'strict') {
    notes.push('strict: a DNSSEC-secure TLSA commits resolvers to encrypt and authenticate (never cleartext)');
    return done('ok-strict');
  }
  if (f.signal.mode === 'opportunistic') {
    if (tlsaPublished && !f.nsAuthentic)
      notes.push(
        'a secure TLSA is published but the NS name is not authenticated (the zone NS RRset is not DNSSEC-secure or ' +
          'does not list it): resolvers use it opportunistically only (standards §3.5)',
      );
    else notes.push('opportunistic: resolvers encrypt when they can and fall back to Do53; publish a TLSA for strict');
    return done('ok-opportunistic');
  }
  // SVCB records published but none usable (unknown ALPNs, no dohpath...)
  problems.push(`the SVCB records advertise nothing usable: ${f.signal.reasons.join('; ')}`);
  return done('no-signal', 'warning');
}

function describeAnswer(a: AnswerReport | undefined): string {
  if (a === undefined) return 'none';
  if (!a.ok) return `failed (${a.error ?? a.rcode})`;
  return `${a.rcode}${a.aa ? ' aa' : ''} SOA ${a.soa?.join(' | ') ?? '-'}`;
}

/** Whether two answers are the same for RFC 9539 3 (rcode, AA, SOA RDATA as a set). */
export function answersAgree(a: AnswerReport, b: AnswerReport): boolean {
  if (!a.ok || !b.ok) return false;
  const set = (x: AnswerReport) => [...(x.soa ?? [])].sort().join('\n');
  return a.rcode === b.rcode && a.aa === b.aa && set(a) === set(b);
}

/** The worst severity of a list (for the exit code). */
export function worstSeverity(list: readonly Severity[]): Severity {
  if (list.includes('error')) return 'error';
  if (list.includes('warning')) return 'warning';
  return 'ok';
}
