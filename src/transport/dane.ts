/**
 * DANE authentication of a TLS server from TLSA records (RFC 6698, RFC 7671), as a pure function over the
 * certificates the server presented. sealdns supports the two DANE usages only (RFC 7671 4, standards 4.1):
 *
 * - DANE-EE(3): the leaf's certificate (selector 0) or SubjectPublicKeyInfo (selector 1) must match; names and
 *   validity dates are ignored (RFC 7671 5.1), since DNSSEC vouches for the key.
 * - DANE-TA(2): a certificate of the presented chain (an issuer, not the leaf) must match; the leaf must chain to
 *   it (issuer names, signatures, CA flag of every issuer, validity of the leaf and the intermediates below the
 *   trust anchor; the trust anchor's own dates are not checked, DNSSEC vouches for it) and the leaf must carry the
 *   reference name as a subjectAltName dNSName (RFC 7671 5.2; RFC 8310 8.1: never the subject CN).
 *
 * PKIX-TA(0) and PKIX-EE(1) are counted as unusable (RFC 7671 4.1: opportunistic designs SHOULD NOT use them), as
 * are unknown selectors and matching types and digests of the wrong length. Per (usage, selector), SHA2-256 records
 * are ignored when usable SHA2-512 ones exist (digest agility, RFC 7671 9). No usable record at all is reported as
 * such, never silently turned into "unauthenticated": whether to encrypt without authentication is the caller's
 * decision (RFC 7672 2.2 table, standards 4.3).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { TlsaRecord } from './upstream.js';

export const TlsaUsage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export const TlsaSelector = { CERT: 0, SPKI: 1 } as const;
export const TlsaMatching = { FULL: 0, SHA2_256: 1, SHA2_512: 2 } as const;

/** Why a TLSA record cannot be used to authenticate the server. */
export type TlsaUnusableReason =
  /** PKIX-TA(0) / PKIX-EE(1): not supported for authoritative servers (RFC 7671 4.1). */
  | 'pkix-usage'
  /** A usage value outside 0..3 (PrivCert 255 included). */
  | 'unknown-usage'
  | 'unknown-selector'
  | 'unknown-matching-type'
  /** The data's length does not fit the matching type (32 octets for SHA2-256, 64 for SHA2-512, >0 for Full). */
  | 'bad-length'
  /** A SHA2-256 record where a usable SHA2-512 record for the same usage and selector exists (RFC 7671 9). */
  | 'weaker-digest'
  /** DANE-TA(2) needs a reference name to check in the leaf, and the target has no `authName`. */
  | 'no-reference-name';

export interface TlsaUsability {
  usable: TlsaRecord[];
  unusable: { record: TlsaRecord; reason: TlsaUnusableReason }[];
}

const DIGEST_LENGTH: Record<number, number> = { [TlsaMatching.SHA2_256]: 32, [TlsaMatching.SHA2_512]: 64 };

/** Splits a TLSA set into the records this client can authenticate with and the rest, each with its reason. */
export function usableTlsa(records: readonly TlsaRecord[] | undefined, authName?: string): TlsaUsability {
  const out: TlsaUsability = { usable: [], unusable: [] };
  const candidates: TlsaRecord[] = [];
  for (const record of records ?? []) {
    const reason = unusableReason(record, authName);
    if (reason === undefined) candidates.push(record);
    else out.unusable.push({ record, reason });
  }
  const strongest = new Set<string>();
  for (const r of candidates) if (r.matchingType === TlsaMatching.SHA2_512) strongest.add(`${r.usage}/${r.selector}`);
  for (const r of candidates) {
    if (r.matchingType === TlsaMatching.SHA2_256 && strongest.has(`${r.usage}/${r.selector}`))
      out.unusable.push({ record: r, reason: 'weaker-digest' });
    else out.usable.push(r);
  }
  return out;
}

function unusableReason(r: TlsaRecord, authName: string | undefined): TlsaUnusableReason | undefined {
  if (r.usage === TlsaUsage.PKIX_TA || r.usage === TlsaUsage.PKIX_EE) return 'pkix-usage';
  if (r.usage !== TlsaUsage.DANE_TA && r.usage !== TlsaUsage.DANE_EE) return 'unknown-usage';
  if (r.selector !== TlsaSelector.CERT && r.selector !== TlsaSelector.SPKI) return 'unknown-selector';
  if (r.matchingType === TlsaMatching.FULL) {
    if (r.data.length === 0) return 'bad-length';
  } else if (DIGEST_LENGTH[r.matchingType] === undefined) return 'unknown-matching-type';
  else if (r.data.length !== DIGEST_LENGTH[r.matchingType]) return 'bad-length';
  if (r.usage === TlsaUsage.DANE_TA && !authName) return 'no-reference-name';
  return undefined;
}

/**
 * A hash of a TLSA set that does not depend on record order or duplicates: the pool key's last field and the
 * binding stored with session tickets. An absent or empty set hashes to ''.
 */
export function tlsaSetHash(records: readonly TlsaRecord[] | undefined): string {
  if (records === undefined || records.length === 0) return '';
  const encoded = new Set<string>();
  for (const r of records)
    encoded.add(`${r.usage}.${r.selector}.${r.matchingType}.${Buffer.from(r.data).toString('hex')}`);
  const h = createHash('sha256');
  for (const e of [...encoded].sort()) h.update(e).update('\n');
  return h.digest('base64url').slice(0, 22);
}

/** How a DANE check ended. */
export type DaneResult =
  | { ok: true; usage: 2 | 3; record: TlsaRecord; depth: number }
  | { ok: false; reason: DaneFailure; detail: string };

export type DaneFailure =
  /** The set holds no record this client can use (see `usableTlsa`). */
  | 'no-usable-tlsa'
  /** The server presented no certificate. */
  | 'no-certificate'
  /** No usable record matched any presented certificate. */
  | 'mismatch'
  /** A DANE-TA record matched an issuer, but the leaf does not validly chain to it. */
  | 'chain'
  /** A DANE-TA record matched and the chain is valid, but the leaf does not carry the reference name. */
  | 'name';

/** The association data of `cert` for one selector and matching type. */
export function associationData(cert: X509Certificate, selector: number, matchingType: number): Uint8Array {
  const selected = selector === TlsaSelector.SPKI ? cert.publicKey.export({ type: 'spki', format: 'der' }) : cert.raw;
  if (matchingType === TlsaMatching.SHA2_256) return createHash('sha256').update(selected).digest();
  if (matchingType === TlsaMatching.SHA2_512) return createHash('sha512').update(selected).digest();
  return selected;
}

function matches(cert: X509Certificate, r: TlsaRecord): boolean {
  return Buffer.from(associationData(cert, r.selector, r.matchingType)).equals(r.data);
}

function withinValidity(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

export interface DaneInput {
  /** The leaf certificate. */
  leaf: X509Certificate | undefined;
  /** The issuers the server presented, leaf's issuer first (the leaf itself excluded). */
  issuers: readonly X509Certificate[];
  /** The TLSA set (unusable records are skipped). */
  tlsa: readonly TlsaRecord[] | undefined;
  /** Reference name for DANE-TA (the TLSA base domain, i.e. the nameserver name). */
  authName?: string | undefined;
  /** Time for validity checks, ms since the epoch. */
  now: number;
}

/** Authenticates a presented chain against a TLSA set; DANE-EE records are tried first (they are cheapest). */
export function daneVerify(input: DaneInput): DaneResult {
  const { usable } = usableTlsa(input.tlsa, input.authName);
  if (usable.length === 0) return { ok: false, reason: 'no-usable-tlsa', detail: 'no usable TLSA record' };
  const leaf = input.leaf;
  if (leaf === undefined) return { ok: false, reason: 'no-certificate', detail: 'the server presented no certificate' };
  for (const r of usable) if (r.usage === TlsaUsage.DANE_EE && matches(leaf, r)) return ok(3, r, 0);
  let failure: DaneResult | undefined;
  for (const r of usable) {
    if (r.usage !== TlsaUsage.DANE_TA) continue;
    const depth = input.issuers.findIndex((c) => matches(c, r));
    if (depth < 0) continue;
    const chain = checkChain(leaf, input.issuers, depth, input.now);
    if (chain !== undefined) {
      failure ??= { ok: false, reason: 'chain', detail: chain };
      continue;
    }
    if (!hasDnsName(leaf, input.authName!)) {
      failure ??= { ok: false, reason: 'name', detail: `the leaf certificate is not valid for ${input.authName}` };
      continue;
    }
    return ok(2, r, depth + 1);
  }
  return (
    failure ?? {
      ok: false,
      reason: 'mismatch',
      detail: `none of ${usable.length} usable TLSA records matched the presented certificates`,
    }
  );
}

/**
 * Whether `cert` carries `name` as a subjectAltName dNSName (wildcards in the left-most label allowed, partial ones
 * not); the subject CN is never consulted (RFC 8310 8.1, RFC 6125). A trailing dot on `name` is ignored.
 */
export function hasDnsName(cert: X509Certificate, name: string): boolean {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  return host !== '' && cert.checkHost(host, { subject: 'never', partialWildcards: false }) !== undefined;
}

function ok(usage: 2 | 3, record: TlsaRecord, depth: number): DaneResult {
  return { ok: true, usage, record, depth };
}

/** Checks that `leaf` chains through `issuers[0..ta]` to `issuers[ta]`; returns what is wrong, or undefined. */
function checkChain(
  leaf: X509Certificate,
  issuers: readonly X509Certificate[],
  ta: number,
  now: number,
): string | undefined {
  let child = leaf;
  for (let i = 0; i <= ta; i++) {
    const issuer = issuers[i];
    if (!withinValidity(child, now)) return `certificate "${child.subject}" is outside its validity period`;
    if (!issuer.ca) return `issuer "${issuer.subject}" is not a CA certificate`;
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey))
      return `"${child.subject}" is not signed by "${issuer.subject}"`;
    child = issuer;
  }
  return undefined;
}
