import { type EdnsOpt, EdnsOption, type Message } from '../wire/index.js';
import type { Hop } from './request.js';

/**
 * The privacy report a client can ask for (seed appendix A-STATUS, standards digest §8.3): how the upstream
 * exchanges behind one answer travelled. There is no standard for this, so sealdns uses codes from the ranges set
 * aside for private use, and says so:
 *
 * - Request: the client puts an EDNS(0) option with code **65430** (`EdnsOption.SEALDNS_PRIVACY`, from the
 *   Local/Experimental range 65001-65534 of RFC 6891 9) in its query. The option should be empty; any data is
 *   ignored.
 * - Response: the same option code, carrying the binary summary below, plus an Extended DNS Error (RFC 8914) with
 *   INFO-CODE **65430** (`PRIVACY_EDE_CODE`, from the private-use range 49152-65535) whose EXTRA-TEXT is a one-line
 *   human summary, e.g. `privacy: 5/7 upstream hops encrypted, 2 authenticated; cleartext to a.root-servers.test
 *   (no signal)`. It is information, not an error: the rcode is whatever the resolution gave, and a failed
 *   resolution may carry its own EDE (e.g. 22) beside this one.
 *
 * Binary summary (option data, 11 octets, network byte order):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | u8 | version: 1 |
 * | 1 | u8 | level: 0 no hop encrypted, 1 some encrypted, 2 all encrypted (some unauthenticated), 3 all encrypted and authenticated, 255 no upstream exchange for this response (answered from cache, or locally) |
 * | 2 | u8 | flags: bit 0 (0x01) answered from cache; bit 1 (0x02) from the encrypted-only cache partition (`cache-partition: by-privacy`, an encrypted client: every cached record was learnt over encrypted hops only) |
 * | 3 | u16 | hops: upstream exchanges of this resolution (queries sent, sub-queries for nameserver addresses, DNSSEC keys and transport signals included; attempts cancelled after losing an RFC 8305 race are not counted) |
 * | 5 | u16 | encrypted: hops over DoT or DoH |
 * | 7 | u16 | authenticated: encrypted hops whose server was authenticated (DANE) |
 * | 9 | u16 | cleartext: hops over UDP or TCP port 53 |
 *
 * Counts saturate at 65535. Levels follow RFC 8310's vocabulary: 2 is "encrypted, unauthenticated" (protects
 * against passive observers only), 3 "encrypted and authenticated". A cache hit has no hops of its own: level 255
 * with the cache flag; the level of the resolution that filled the cache is not kept.
 */

export const PRIVACY_FORMAT_VERSION = 1;
/** EDE INFO-CODE of the human-readable summary (RFC 8914 private-use range 49152-65535). */
export const PRIVACY_EDE_CODE = 65430;
export const PRIVACY_OPTION_CODE = EdnsOption.SEALDNS_PRIVACY;
export const PRIVACY_SUMMARY_LENGTH = 11;

export const PrivacyLevel = {
  NONE: 0,
  SOME: 1,
  ENCRYPTED: 2,
  AUTHENTICATED: 3,
  NO_UPSTREAM: 255,
} as const;

export const PrivacyFlag = { CACHE: 0x01, ENCRYPTED_PARTITION: 0x02 } as const;

export interface PrivacySummary {
  version: number;
  level: number;
  flags: number;
  hops: number;
  encrypted: number;
  authenticated: number;
  cleartext: number;
}

/** Hops that count: everything sent or attempted, except attempts cancelled because another transport won a race. */
export function countedHops(hops: readonly Hop[]): Hop[] {
  return hops.filter((h) => h.outcome !== 'aborted');
}

/** The summary of a resolution's hops (or of a cache hit). */
export function summarise(
  hops: readonly Hop[],
  opts: { fromCache?: boolean; encryptedPartition?: boolean } = {},
): PrivacySummary {
  const counted = countedHops(hops);
  const encrypted = counted.filter((h) => h.encrypted).length;
  const authenticated = counted.filter((h) => h.encrypted && h.authenticated).length;
  const cleartext = counted.length - encrypted;
  let level: number;
  if (counted.length === 0) level = PrivacyLevel.NO_UPSTREAM;
  else if (encrypted === 0) level = PrivacyLevel.NONE;
  else if (cleartext > 0) level = PrivacyLevel.SOME;
  else if (authenticated === counted.length) level = PrivacyLevel.AUTHENTICATED;
  else level = PrivacyLevel.ENCRYPTED;
  const flags =
    (opts.fromCache ? PrivacyFlag.CACHE : 0) |
    (opts.fromCache && opts.encryptedPartition ? PrivacyFlag.ENCRYPTED_PARTITION : 0);
  return { version: PRIVACY_FORMAT_VERSION, level, flags, hops: counted.length, encrypted, authenticated, cleartext };
}

const u16 = (n: number) => Math.min(0xffff, Math.max(0, n));

export function encodeSummary(s: PrivacySummary): Uint8Array {
  const b = Buffer.alloc(PRIVACY_SUMMARY_LENGTH);
  b.writeUInt8(s.version, 0);
  b.writeUInt8(s.level, 1);
  b.writeUInt8(s.flags, 2);
  b.writeUInt16BE(u16(s.hops), 3);
  b.writeUInt16BE(u16(s.encrypted), 5);
  b.writeUInt16BE(u16(s.authenticated), 7);
  b.writeUInt16BE(u16(s.cleartext), 9);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Decodes the option data of a response; undefined when it is not a version-1 summary. */
export function decodeSummary(data: Uint8Array): PrivacySummary | undefined {
  if (data.length < PRIVACY_SUMMARY_LENGTH || data[0] !== PRIVACY_FORMAT_VERSION) return undefined;
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  return {
    version: b.readUInt8(0),
    level: b.readUInt8(1),
    flags: b.readUInt8(2),
    hops: b.readUInt16BE(3),
    encrypted: b.readUInt16BE(5),
    authenticated: b.readUInt16BE(7),
    cleartext: b.readUInt16BE(9),
  };
}

export function levelName(level: number): string {
  switch (level) {
    case PrivacyLevel.NONE:
      return 'none encrypted';
    case PrivacyLevel.SOME:
      return 'some encrypted';
    case PrivacyLevel.ENCRYPTED:
      return 'all encrypted';
    case PrivacyLevel.AUTHENTICATED:
      return 'all encrypted and authenticated';
    case PrivacyLevel.NO_UPSTREAM:
      return 'no upstream exchange';
    default:
      return `level ${level}`;
  }
}

const MAX_TEXT = 240;
const MAX_CLEARTEXT_SERVERS = 3;

/** The first clause of a hop's `why` ("no signal, no known encrypted transport" → "no signal"). */
function shortWhy(why: string): string {
  return why.split(/[,;]/)[0].trim();
}

/** One line for humans (the EDE EXTRA-TEXT): counts, then where cleartext went and why. */
export function summaryText(s: PrivacySummary, hops: readonly Hop[] = []): string {
  if (s.level === PrivacyLevel.NO_UPSTREAM) {
    if ((s.flags & PrivacyFlag.ENCRYPTED_PARTITION) !== 0)
      return 'privacy: answered from cache (encrypted-only partition: learnt over encrypted hops only)';
    return (s.flags & PrivacyFlag.CACHE) !== 0
      ? 'privacy: answered from cache (no upstream query for this request)'
      : 'privacy: no upstream query';
  }
  let text = `privacy: ${s.encrypted}/${s.hops} upstream hops encrypted, ${s.authenticated} authenticated`;
  if (s.cleartext > 0) {
    const where = new Map<string, string>();
    for (const h of countedHops(hops)) {
      if (h.encrypted) continue;
      const who = (h.server ?? h.ip).replace(/\.$/, '');
      if (!where.has(who)) where.set(who, shortWhy(h.why));
    }
    const list = [...where].slice(0, MAX_CLEARTEXT_SERVERS).map(([who, why]) => `${who} (${why})`);
    const more = where.size > MAX_CLEARTEXT_SERVERS ? ` and ${where.size - MAX_CLEARTEXT_SERVERS} more` : '';
    text += `; cleartext to ${list.join(', ')}${more}`;
  } else if (s.level === PrivacyLevel.ENCRYPTED) {
    text += '; no cleartext';
  }
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 3)}...` : text;
}

/** Whether the client asked for the report (its query carries the option). */
export function wantsPrivacyReport(query: Message): boolean {
  return query.edns?.options.some((o) => o.kind === 'raw' && o.code === PRIVACY_OPTION_CODE) === true;
}

/** The options that carry the report: the binary summary and the EDE with the line for humans. */
export function privacyOptions(s: PrivacySummary, hops: readonly Hop[] = []): EdnsOpt[] {
  return [
    { kind: 'raw', code: PRIVACY_OPTION_CODE, data: encodeSummary(s) },
    { kind: 'ede', infoCode: PRIVACY_EDE_CODE, extraText: summaryText(s, hops) },
  ];
}

/** Adds the report to a response that has EDNS (a query carrying the option always has it). */
export function addPrivacyReport(response: Message, s: PrivacySummary, hops: readonly Hop[] = []): void {
  if (response.edns === undefined) return;
  response.edns.options.push(...privacyOptions(s, hops));
}
