/**
 * MATCH semantics: compares a message (a query the resolver sent, or the answer it gave)
 * with an entry, element by element, and says what differs. Sections are multisets of
 * records: owner and embedded names case-insensitive, TTL ignored unless `ttl` is matched,
 * order ignored, counts must agree; the OPT record is not part of `additional`.
 */
import {
  EdnsOption,
  type Message,
  Name,
  opcodeToText,
  plainRdata,
  type RData,
  type RR,
  RRType,
  rcodeToText,
  rrToText,
  type SoaData,
  typeToText,
} from '../../src/wire/index.js';
import { type Entry, HEADER_FLAGS, type HeaderFlag, type MatchElement, type MatchName } from './types.js';

/** How the message travelled: only `MATCH TCP`/`UDP` look at it. */
export type Transport = 'udp' | 'tcp';

const ALL: MatchName[] = ['opcode', 'qtype', 'qname', 'flags', 'rcode', 'answer', 'authority', 'additional'];

/** Elements the runner cannot evaluate (testbound-only EDNS details). */
export const UNSUPPORTED_MATCH: ReadonlySet<MatchName> = new Set(['client_cookie', 'server_cookie', 'ednsdata']);

/** The entry's elements with `all`/`all_noedns` expanded, duplicates removed. */
export function effectiveMatch(entry: Entry): MatchElement[] {
  const out: MatchElement[] = [];
  const seen = new Set<string>();
  const add = (m: MatchElement) => {
    const k = `${m.name}=${m.value ?? ''}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(m);
    }
  };
  for (const m of entry.match) {
    if (m.name === 'all' || m.name === 'all_noedns') for (const n of ALL) add({ name: n });
    else add(m);
  }
  return out;
}

export interface DiffOptions {
  transport?: Transport;
  /** Stop at the first difference (matching queries against many entries). */
  first?: boolean;
}

/** Whether `msg` matches the entry (used to pick the entry that answers a query). */
export function matches(entry: Entry, msg: Message, transport?: Transport): boolean {
  return diffMessage(entry, msg, { transport, first: true }).length === 0;
}

/** What differs between the entry and `msg` under the entry's MATCH elements; [] when they match. */
export function diffMessage(entry: Entry, msg: Message, opts: DiffOptions = {}): string[] {
  const elements = effectiveMatch(entry);
  const withTtl = elements.some((m) => m.name === 'ttl');
  const out: string[] = [];
  for (const m of elements) {
    const d = diffElement(entry, msg, m, withTtl, opts.transport);
    if (d !== undefined) {
      out.push(d);
      if (opts.first) break;
    }
  }
  return out;
}

function diffElement(
  entry: Entry,
  msg: Message,
  m: MatchElement,
  withTtl: boolean,
  transport: Transport | undefined,
): string | undefined {
  const eq = entry.question[0];
  const gq = msg.questions[0];
  switch (m.name) {
    case 'opcode':
      return entry.reply.opcode === msg.opcode
        ? undefined
        : `opcode: expected ${opcodeToText(entry.reply.opcode)}, got ${opcodeToText(msg.opcode)}`;
    case 'qtype':
      if (eq === undefined || gq === undefined) return questionPresence(eq !== undefined);
      return eq.type === gq.type ? undefined : `qtype: expected ${typeToText(eq.type)}, got ${typeToText(gq.type)}`;
    case 'qname':
      if (eq === undefined || gq === undefined) return questionPresence(eq !== undefined);
      return eq.name.equals(gq.name) ? undefined : `qname: expected ${eq.name}, got ${gq.name}`;
    case 'qcase':
      if (eq === undefined || gq === undefined) return questionPresence(eq !== undefined);
      return eq.name.wire === gq.name.wire ? undefined : `qname case: expected ${eq.name}, got ${gq.name}`;
    case 'subdomain':
      if (eq === undefined || gq === undefined) return questionPresence(eq !== undefined);
      return gq.name.isSubdomainOf(eq.name) ? undefined : `qname: expected ${eq.name} or below, got ${gq.name}`;
    case 'question':
      return diffQuestion(entry, msg);
    case 'flags': {
      const want = flagsText(entry.reply.flags);
      const got = flagsText(messageFlags(msg));
      return want === got ? undefined : `flags: expected "${want}", got "${got}"`;
    }
    case 'rcode':
      return entry.reply.rcode === msg.rcode
        ? undefined
        : `rcode: expected ${rcodeToText(entry.reply.rcode)}, got ${rcodeToText(msg.rcode)}`;
    case 'answer':
      return diffSection('answer', entry.answer, msg.answers, withTtl);
    case 'authority':
      return diffSection('authority', entry.authority, msg.authorities, withTtl);
    case 'additional':
      return diffSection('additional', entry.additional, msg.additionals, withTtl);
    case 'edns': {
      const want = entry.reply.do || entry.ednsData !== undefined;
      const got = msg.edns !== undefined;
      if (want !== got) return `edns: expected ${want ? 'an' : 'no'} OPT record, got ${got ? 'one' : 'none'}`;
      if (msg.edns !== undefined && msg.edns.dnssecOk !== entry.reply.do)
        return `edns: expected DO=${entry.reply.do ? 1 : 0}, got DO=${msg.edns.dnssecOk ? 1 : 0}`;
      return undefined;
    }
    case 'nsid': {
      const got = (msg.edns?.options ?? []).filter((o) => o.kind === 'raw' && o.code === EdnsOption.NSID);
      return got.length === 0 ? undefined : 'nsid: expected no NSID option, got one';
    }
    case 'DO':
      return msg.edns?.dnssecOk ? undefined : 'DO: expected the DO bit, got none';
    case 'noedns':
      return msg.edns === undefined ? undefined : 'noedns: expected no OPT record, got one';
    case 'TCP':
    case 'UDP': {
      const want = m.name === 'TCP' ? 'tcp' : 'udp';
      if (transport === undefined || transport === want) return undefined;
      return `transport: expected ${m.name}, got ${transport.toUpperCase()}`;
    }
    case 'ede': {
      const codes = (msg.edns?.options ?? []).flatMap((o) => (o.kind === 'ede' ? [o.infoCode] : []));
      if (m.value === 'any') return codes.length > 0 ? undefined : 'ede: expected an EDE option, got none';
      return codes.includes(m.value as number)
        ? undefined
        : `ede: expected EDE ${m.value}, got ${codes.length > 0 ? codes.join(', ') : 'none'}`;
    }
    case 'serial': {
      const soa = [...msg.authorities, ...msg.answers].find((rr) => rr.type === RRType.SOA);
      const got = soa === undefined ? undefined : (soa.data as SoaData).serial;
      return got === m.value ? undefined : `serial: expected ${m.value}, got ${got ?? 'no SOA'}`;
    }
    case 'ttl':
    case 'all':
    case 'all_noedns':
      return undefined; // modifiers / expanded above
    case 'client_cookie':
    case 'server_cookie':
    case 'ednsdata':
      return `MATCH ${m.name} is not supported by this runner`;
  }
}

function questionPresence(want: boolean): string {
  return want ? 'question: expected a question, got none' : 'question: the entry has no question to compare';
}

function diffQuestion(entry: Entry, msg: Message): string | undefined {
  const txt = (qs: Message['questions']) => qs.map((q) => `${q.name} ${q.class} ${typeToText(q.type)}`);
  const want = entry.question;
  const got = msg.questions;
  const same =
    want.length === got.length &&
    want.every((q, i) => q.name.equals(got[i].name) && q.type === got[i].type && q.class === got[i].class);
  return same ? undefined : `question: expected [${txt(want).join('; ')}], got [${txt(got).join('; ')}]`;
}

export function messageFlags(msg: Message): Set<HeaderFlag> {
  const s = new Set<HeaderFlag>();
  for (const f of HEADER_FLAGS) if (msg[f.toLowerCase() as Lowercase<HeaderFlag>]) s.add(f);
  return s;
}

function flagsText(flags: ReadonlySet<HeaderFlag>): string {
  return HEADER_FLAGS.filter((f) => flags.has(f)).join(' ');
}

/** RDATA with every embedded name lower-cased (shallow: names are top-level fields of the typed data). */
function lowerNames(data: RData): RData {
  const o = data as unknown as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(o)) {
    if (v instanceof Name && v.key !== v.wire) {
      copy ??= { ...o };
      copy[k] = v.lower();
    }
  }
  return (copy ?? o) as unknown as RData;
}

/** Comparison key of a record: owner (case-folded), type, class, [TTL], RDATA octets with names case-folded. */
export function recordKey(rr: RR, withTtl: boolean): string {
  let rdata: string;
  try {
    rdata = Buffer.from(plainRdata(rr.type, lowerNames(rr.data))).toString('hex');
  } catch {
    rdata = JSON.stringify(rr.data);
  }
  return `${rr.name.key}|${rr.type}|${rr.class}|${withTtl ? rr.ttl : ''}|${rdata}`;
}

/** Multiset difference of two sections; undefined when equal. */
export function diffSection(section: string, want: RR[], got: RR[], withTtl: boolean): string | undefined {
  const pending = new Map<string, RR[]>();
  for (const rr of got) {
    const k = recordKey(rr, withTtl);
    const list = pending.get(k);
    if (list) list.push(rr);
    else pending.set(k, [rr]);
  }
  const missing: RR[] = [];
  for (const rr of want) {
    const list = pending.get(recordKey(rr, withTtl));
    if (list !== undefined && list.length > 0) list.pop();
    else missing.push(rr);
  }
  const unexpected = [...pending.values()].flat();
  if (missing.length === 0 && unexpected.length === 0) return undefined;
  const parts = [`${section} section differs (expected ${want.length} records, got ${got.length})`];
  if (missing.length > 0) parts.push(`missing: ${missing.map(rrToText).join(' | ')}`);
  if (unexpected.length > 0) parts.push(`unexpected: ${unexpected.map(rrToText).join(' | ')}`);
  return parts.join('; ');
}
