import {
  classFromText,
  classToText,
  EdnsOption,
  opcodeToText,
  RRType,
  rcodeToText,
  typeFromText,
  typeToText,
} from './constants.js';
import type { EdnsOpt } from './edns.js';
import { toHex } from './encoding.js';
import { WireError } from './errors.js';
import type { Message, Question, RR } from './message.js';
import { Name } from './name.js';
import { decodeRdata, type RData, rdataFromText, rdataToText } from './rdata.js';
import { WireReader } from './reader.js';
import { TextError, type Token, TokenCursor, tokenize } from './tokenizer.js';

/** One record in presentation form: `owner TTL CLASS TYPE RDATA`, tab separated like dig. */
export function rrToText(rr: RR): string {
  return `${rr.name}\t${rr.ttl}\t${classToText(rr.class)}\t${typeToText(rr.type)}\t${rdataToText(rr.type, rr.data)}`;
}

export function questionToText(q: Question): string {
  return `;${q.name}\t\t${classToText(q.class)}\t${typeToText(q.type)}`;
}

function decodeGeneric(type: number, raw: Uint8Array): RData {
  const r = new WireReader(raw);
  return decodeRdata(type, r, raw.length);
}

/** Context for parsing records: what relative names, blank owners and missing fields default to. */
export interface ParseContext {
  origin?: Name;
  /** TTL used when a record has none ($TTL, or the previous record's). */
  defaultTtl?: number;
  /** Owner used when the entry starts with white space. */
  previousOwner?: Name;
  defaultClass?: number;
}

/** Parses a TTL: seconds, or BIND units (1w2d3h4m5s). */
export function parseTtl(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const v = Number(s);
    return v <= 0xffffffff ? v : undefined;
  }
  const m = /^(?:\d+[wdhms])+$/i.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const [, n, u] of s.matchAll(/(\d+)([wdhms])/gi)) {
    const mult = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 }[u.toLowerCase() as 'w' | 'd' | 'h' | 'm' | 's'];
    total += Number(n) * mult;
  }
  return total <= 0xffffffff ? total : undefined;
}

/**
 * Parses the tokens of one entry into a record. Owner, TTL and class may be omitted
 * or swapped as RFC 1035 5.1 allows (`[owner] [ttl] [class] type rdata` and
 * `[owner] [class] [ttl] type rdata`).
 */
export function parseRRTokens(tokens: Token[], blankOwner: boolean, ctx: ParseContext = {}): RR {
  let i = 0;
  let owner: Name;
  if (blankOwner) {
    if (!ctx.previousOwner) throw new WireError('bad-text', 'record without owner and no previous owner');
    owner = ctx.previousOwner;
  } else {
    const t = tokens[i++];
    if (!t) throw new WireError('bad-text', 'empty record');
    owner = Name.fromText(t.text, ctx.origin);
  }
  let ttl: number | undefined;
  let klass: number | undefined;
  let type: number | undefined;
  for (let k = 0; k < 3 && i < tokens.length; k++) {
    const t = tokens[i];
    if (t.quoted) break;
    if (ttl === undefined) {
      const v = parseTtl(t.text);
      if (v !== undefined) {
        ttl = v;
        i++;
        continue;
      }
    }
    if (klass === undefined) {
      const c = classFromText(t.text);
      if (c !== undefined) {
        klass = c;
        i++;
        continue;
      }
    }
    const ty = typeFromText(t.text);
    if (ty !== undefined) {
      type = ty;
      i++;
    }
    break;
  }
  if (type === undefined) {
    const t = tokens[i];
    throw new WireError('bad-text', t ? `unknown type "${t.text}"` : `missing type for ${owner}`);
  }
  ttl ??= ctx.defaultTtl;
  if (ttl === undefined) throw new WireError('bad-text', `no TTL for ${owner} and no default`);
  const c = new TokenCursor(tokens, i);
  const data = rdataFromText(type, c, ctx.origin, decodeGeneric);
  return { name: owner, type, class: klass ?? ctx.defaultClass ?? 1, ttl, data };
}

/** Parses one record from presentation text (may span lines inside parentheses). */
export function parseRR(text: string, ctx: ParseContext = {}): RR {
  const entries = tokenize(text);
  if (entries.length !== 1) throw new WireError('bad-text', `expected one record, found ${entries.length}`);
  return parseRRTokens(entries[0].tokens, entries[0].blankOwner, ctx);
}

/**
 * Parses a small file of records in master-file form (root hints, trust anchors): comments,
 * parentheses and blank owners as in a zone file, names relative to `origin` (default the root),
 * no $ directives. A record without a TTL gets `defaultTtl` (default 0). Errors are TextErrors
 * carrying the line.
 */
export function parseRecordsFile(text: string, opts: { origin?: Name; defaultTtl?: number } = {}): RR[] {
  const ctx: ParseContext = { origin: opts.origin ?? Name.ROOT, defaultTtl: opts.defaultTtl ?? 0 };
  const out: RR[] = [];
  for (const e of tokenize(text)) {
    const first = e.tokens[0];
    if (!e.blankOwner && !first.quoted && first.text.startsWith('$'))
      throw new TextError(`${first.text}: directives are not supported in this file`, e.line);
    try {
      const rr = parseRRTokens(e.tokens, e.blankOwner, ctx);
      ctx.previousOwner = rr.name;
      out.push(rr);
    } catch (err) {
      if (err instanceof TextError || !(err instanceof WireError)) throw err;
      throw new TextError(err.message, e.line);
    }
  }
  return out;
}

function optionToText(o: EdnsOpt): string {
  switch (o.kind) {
    case 'ede':
      return `; EDE: ${o.infoCode}${o.extraText ? ` (${o.extraText})` : ''}`;
    case 'padding':
      return `; PADDING: ${o.length} octets`;
    case 'cookie':
      return `; COOKIE: ${toHex(o.client)}${o.server ? toHex(o.server) : ''}`;
    case 'ecs':
      return `; CLIENT-SUBNET: ${o.address}/${o.sourcePrefix}/${o.scopePrefix}`;
    case 'keepalive':
      return `; TCP-KEEPALIVE: ${o.timeout === undefined ? '-' : `${o.timeout / 10} s`}`;
    case 'raw':
      return o.code === EdnsOption.NSID ? `; NSID: ${toHex(o.data)}` : `; OPT=${o.code}: ${toHex(o.data)}`;
  }
}

/** dig-like text of a whole message. */
export function messageToText(m: Message): string {
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((f) => m[f]).join(' ');
  const lines = [
    `;; ->>HEADER<<- opcode: ${opcodeToText(m.opcode)}, status: ${rcodeToText(m.rcode)}, id: ${m.id}`,
    `;; flags: ${flags}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${m.additionals.length + (m.edns ? 1 : 0)}`,
  ];
  if (m.edns) {
    lines.push('', ';; OPT PSEUDOSECTION:');
    lines.push(
      `; EDNS: version: ${m.edns.version}, flags:${m.edns.dnssecOk ? ' do' : ''}; udp: ${m.edns.udpSize}`,
      ...m.edns.options.map(optionToText),
    );
  }
  lines.push('', ';; QUESTION SECTION:', ...m.questions.map(questionToText));
  const sec = (title: string, rrs: RR[]) => {
    if (rrs.length > 0) lines.push('', `;; ${title} SECTION:`, ...rrs.map(rrToText));
  };
  sec('ANSWER', m.answers);
  sec('AUTHORITY', m.authorities);
  sec('ADDITIONAL', m.additionals);
  return lines.join('\n');
}

export { RRType };
