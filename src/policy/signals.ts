import type { Security } from '../cache/rank.js';
import type { TlsaRecord } from '../transport/upstream.js';
import { checkSvcParams, type Name, type SvcbData, SvcKey, type TlsaData } from '../wire/index.js';

/**
 * Transport signals a nameserver's owner publishes in the DNS, and what sealdns makes
 * of them (standards digest §3.4, our documented interpretation):
 *
 * - protocols: the compatible ServiceMode SVCB records at `_dns.<ns>` (RFC 9461): alpn
 *   `dot` (port 853 unless `port`), `h2` with a `dohpath` (port 443 unless `port`); doq/h3
 *   and unknown ALPNs are recorded but not usable on Node 20;
 * - strict: a DNSSEC-secure TLSA RRset at `_853._tcp.<ns>` (DoT) or `_443._tcp.<ns>` (DoH),
 *   RFC 7672 2.2 transposed — the owner's commitment to TLS — and the NS name itself
 *   authentic (§3.5). Usable TLSA (DANE-TA 2 / DANE-EE 3) means authenticate with DANE;
 *   none usable means encrypt without authentication. Never cleartext;
 * - opportunistic: an SVCB without a secure TLSA (signed zone or not), or an insecure zone;
 * - none: nothing published (RFC 9539 probing applies);
 * - unusable: bogus data anywhere in the signal — the server is not used for now.
 */
export type SignalMode = 'strict' | 'opportunistic' | 'none' | 'unusable';

export interface Endpoint {
  protocol: 'dot' | 'doh';
  port: number;
  alpn: string;
  dohPath?: string;
  /** TLSA records to authenticate with (DANE); empty = encrypt without authentication. */
  tlsa: TlsaRecord[];
}

export interface ServerSignal {
  ns: Name;
  mode: SignalMode;
  /** Usable endpoints, most preferred first. */
  endpoints: Endpoint[];
  /** Advertised but unusable here (doq, h3, unknown ALPNs, disallowed ports). */
  unsupported: string[];
  /** DNSSEC status of the signal data (weakest of SVCB and TLSA lookups). */
  security: Security;
  reasons: string[];
  /** For an unusable signal: the Extended DNS Error behind it (e.g. 7 Signature Expired), for diagnostics. */
  ede?: number;
}

/** The result of one signal lookup (SVCB or TLSA), as the resolver returned it. */
export type Lookup<T> =
  | { kind: 'records'; records: T[]; security: Security; ede?: number }
  | { kind: 'none'; security: Security; ede?: number } // NXDOMAIN or NODATA
  | { kind: 'error'; reason: string; security?: Security; ede?: number };

export interface SignalInputs {
  ns: Name;
  svcb: Lookup<SvcbData>;
  tlsaDot: Lookup<TlsaData>;
  tlsaDoh: Lookup<TlsaData>;
  /** The NS name is authentic: secure child-apex NS RRset containing it, or learnt over an authenticated channel. */
  nsAuthentic: boolean;
}

export interface SignalOptions {
  /** RFC 9461 8.2: a DNSSEC-secure SVCB alone makes the server strict (off by default; it removes the owner's opportunistic choice). */
  svcbSecureIsStrict: boolean;
  /** Ports an SVCB `port` may name (RFC 9461 4.2: allow-list). */
  allowedPort: (port: number) => boolean;
}

export const defaultSignalOptions: SignalOptions = {
  svcbSecureIsStrict: false,
  allowedPort: (p) => p === 853 || p === 443 || p >= 1024,
};

const KNOWN_KEYS = new Set<number>(Object.values(SvcKey));

/** DANE usages sealdns authenticates with (RFC 7671 4: DANE-TA and DANE-EE only). */
export function usableTlsa(records: TlsaData[]): TlsaRecord[] {
  return records
    .filter((r) => (r.usage === 2 || r.usage === 3) && r.selector <= 1 && r.matchingType <= 2)
    .map((r) => ({ usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data }));
}

function latin1ToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Endpoints of the compatible ServiceMode records, ordered by SvcPriority (RFC 9460 2.4.1, 8). */
function endpointsOf(
  records: SvcbData[],
  opts: SignalOptions,
  reasons: string[],
  unsupported: string[],
): Omit<Endpoint, 'tlsa'>[] {
  const out: Omit<Endpoint, 'tlsa'>[] = [];
  const sorted = [...records].filter((r) => r.priority > 0).sort((a, b) => a.priority - b.priority);
  if (records.some((r) => r.priority === 0)) reasons.push('SVCB AliasMode at _dns is not followed for nameservers');
  for (const r of sorted) {
    const p = r.params;
    const bad = checkSvcParams(p);
    if (bad) {
      reasons.push(`incompatible SVCB (${bad})`);
      continue;
    }
    if (p.mandatory?.some((k) => !KNOWN_KEYS.has(k))) {
      reasons.push('SVCB has an unknown mandatory key');
      continue;
    }
    if (!p.alpn || p.alpn.length === 0) {
      reasons.push('SVCB without alpn (RFC 9461 4.1: incompatible)');
      continue;
    }
    for (const alpn of p.alpn) {
      if (alpn === 'dot') {
        const port = p.port ?? 853;
        if (!opts.allowedPort(port)) {
          unsupported.push(`dot:${port}`);
          reasons.push(`DoT port ${port} not on the allow-list`);
          continue;
        }
        if (!out.some((e) => e.protocol === 'dot' && e.port === port)) out.push({ protocol: 'dot', port, alpn });
      } else if (alpn === 'h2') {
        const port = p.port ?? 443;
        const path = p.dohpath === undefined ? undefined : latin1ToUtf8(p.dohpath);
        if (path === undefined || !path.startsWith('/') || !/\{\?dns\}|\{dns\}|\{\?dns,|,dns\}/.test(path)) {
          reasons.push('h2 without a usable dohpath (RFC 9461 5)');
          continue;
        }
        if (!opts.allowedPort(port)) {
          unsupported.push(`h2:${port}`);
          continue;
        }
        if (!out.some((e) => e.protocol === 'doh' && e.port === port))
          out.push({ protocol: 'doh', port, alpn, dohPath: path });
      } else {
        unsupported.push(alpn);
      }
    }
  }
  return out;
}

const ORDER: Record<Security, number> = { bogus: 0, indeterminate: 1, insecure: 2, secure: 3 };

function weakest(...s: (Security | undefined)[]): Security {
  let w: Security = 'secure';
  for (const x of s) if (x !== undefined && ORDER[x] < ORDER[w]) w = x;
  return w;
}

/** Interprets the published signals of one nameserver. Pure. */
export function interpretSignal(inp: SignalInputs, opts: SignalOptions = defaultSignalOptions): ServerSignal {
  const reasons: string[] = [];
  const unsupported: string[] = [];
  const lookups = [inp.svcb, inp.tlsaDot, inp.tlsaDoh];
  const security = weakest(...lookups.map((l) => l.security));
  const base = { ns: inp.ns, unsupported, security, reasons };
  const bogus = lookups.find((l) => l.security === 'bogus');
  if (bogus) {
    reasons.push('bogus DNSSEC data in the transport signal: server unusable for now (never downgraded)');
    return { ...base, mode: 'unusable', endpoints: [], ...(bogus.ede === undefined ? {} : { ede: bogus.ede }) };
  }
  // RFC 7672 2.2 table: a TLSA lookup that failed cannot rule out a strict signal, so the server is not used for
  // now (never cleartext); other servers of the zone are tried, and the failure is cached briefly (RFC 9520).
  for (const [label, l] of [
    ['_853._tcp', inp.tlsaDot],
    ['_443._tcp', inp.tlsaDoh],
  ] as const) {
    if (l.kind === 'error') {
      reasons.push(`TLSA lookup at ${label}.${inp.ns} failed (${l.reason}): cannot rule out a strict signal`);
      return { ...base, mode: 'unusable', endpoints: [] };
    }
  }
  const svcbRecords = inp.svcb.kind === 'records' ? inp.svcb.records : [];
  const endpoints = endpointsOf(svcbRecords, opts, reasons, unsupported);
  const secureTlsa = (l: Lookup<TlsaData>) => l.kind === 'records' && l.security === 'secure';
  let strict = false;
  const withTlsa: Endpoint[] = [];
  const addStrict = (protocol: 'dot' | 'doh', l: Lookup<TlsaData>) => {
    if (!secureTlsa(l)) return;
    const tlsa = usableTlsa((l as { records: TlsaData[] }).records);
    let eps = endpoints.filter((e) => e.protocol === protocol);
    if (eps.length === 0 && protocol === 'dot') eps = [{ protocol: 'dot', port: 853, alpn: 'dot' }];
    if (eps.length === 0) {
      reasons.push(`secure TLSA at _443._tcp.${inp.ns} but no usable DoH SVCB (needs dohpath)`);
      return;
    }
    strict = true;
    for (const e of eps) withTlsa.push({ ...e, tlsa });
    reasons.push(
      tlsa.length > 0
        ? `secure TLSA for ${protocol}: strict, authenticate with DANE`
        : `secure TLSA for ${protocol} with no usable record: strict, encrypt without authentication`,
    );
  };
  addStrict('dot', inp.tlsaDot);
  addStrict('doh', inp.tlsaDoh);
  if (strict) {
    if (!inp.nsAuthentic) {
      reasons.push('the NS name is not authenticated (no secure child NS RRset): at most opportunistic (§3.5)');
      return { ...base, mode: 'opportunistic', endpoints: withTlsa.map((e) => ({ ...e, tlsa: [] })) };
    }
    return { ...base, mode: 'strict', endpoints: withTlsa };
  }
  if (endpoints.length > 0) {
    const eps = endpoints.map((e) => ({ ...e, tlsa: [] }));
    if (opts.svcbSecureIsStrict && inp.svcb.security === 'secure' && inp.nsAuthentic) {
      reasons.push('secure SVCB and svcbSecureIsStrict: strict, encrypt without authentication (RFC 9461 8.2)');
      return { ...base, mode: 'strict', endpoints: eps };
    }
    reasons.push(`SVCB without secure TLSA (${inp.svcb.security}): opportunistic`);
    return { ...base, mode: 'opportunistic', endpoints: eps };
  }
  if (inp.svcb.kind === 'error') reasons.push(`SVCB lookup failed: ${inp.svcb.reason}`);
  reasons.push('no usable transport signal published');
  return { ...base, mode: 'none', endpoints: [] };
}
