import { fromBase64, toBase64 } from './encoding.js';
import { WireError } from './errors.js';
import type { FieldCodec, NameMode } from './fields.js';
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from './ip.js';
import type { WireReader } from './reader.js';
import { unescapeText } from './tokenizer.js';
import type { WireWriter } from './writer.js';

/** SvcParamKeys (RFC 9460 14.3.2, RFC 9461 5, RFC 9540). */
export const SvcKey = {
  mandatory: 0,
  alpn: 1,
  'no-default-alpn': 2,
  port: 3,
  ipv4hint: 4,
  ech: 5,
  ipv6hint: 6,
  dohpath: 7,
  ohttp: 8,
} as const;

/**
 * SVCB/HTTPS parameters (RFC 9460). Known keys are typed; any other key is kept as
 * raw octets in `unknown` (key number -> value). On the wire keys are strictly
 * increasing; a decoder rejects anything else (RFC 9460 2.2).
 */
export interface SvcParams {
  mandatory?: number[];
  /** ALPN protocol ids as latin1 strings (e.g. "dot", "h2"). */
  alpn?: string[];
  noDefaultAlpn?: boolean;
  port?: number;
  ipv4hint?: string[];
  ech?: Uint8Array;
  ipv6hint?: string[];
  /** URI template (RFC 9461 5), as latin1 octets of its UTF-8 form. */
  dohpath?: string;
  ohttp?: boolean;
  unknown?: Map<number, Uint8Array>;
}

const keyNames = new Map<number, string>(Object.entries(SvcKey).map(([k, v]) => [v, k]));

export function svcKeyToText(k: number): string {
  return keyNames.get(k) ?? `key${k}`;
}

export function svcKeyFromText(s: string): number {
  const k = (SvcKey as Record<string, number>)[s.toLowerCase()];
  if (k !== undefined) return k;
  const m = /^key(\d{1,5})$/i.exec(s);
  if (m && Number(m[1]) <= 65534) return Number(m[1]);
  throw new WireError('bad-text', `unknown SvcParamKey "${s}"`);
}

function bad(reason: string, at = -1): WireError {
  return new WireError('bad-rdata', `SVCB: ${reason}`, at);
}

function decodeParams(r: WireReader, end: number): SvcParams {
  const p: SvcParams = {};
  let last = -1;
  while (r.pos < end) {
    const at = r.pos;
    const key = r.u16();
    const len = r.u16();
    if (key <= last) throw bad('SvcParamKeys not in strictly increasing order', at);
    if (key === 65535) throw bad('reserved key 65535', at);
    last = key;
    if (r.pos + len > end) throw new WireError('truncated', 'SVCB parameter value', at);
    const vend = r.pos + len;
    switch (key) {
      case 0: {
        if (len === 0 || len % 2 !== 0) throw bad('mandatory list length', at);
        const keys: number[] = [];
        while (r.pos < vend) keys.push(r.u16());
        p.mandatory = keys;
        break;
      }
      case 1: {
        const ids: string[] = [];
        while (r.pos < vend) {
          const n = r.u8();
          if (n === 0) throw bad('empty alpn id', at);
          if (r.pos + n > vend) throw bad('alpn id overruns value', at);
          ids.push(r.latin1(n));
        }
        if (ids.length === 0) throw bad('empty alpn', at);
        p.alpn = ids;
        break;
      }
      case 2:
        if (len !== 0) throw bad('no-default-alpn has a value', at);
        p.noDefaultAlpn = true;
        break;
      case 3:
        if (len !== 2) throw bad('port length', at);
        p.port = r.u16();
        break;
      case 4: {
        if (len === 0 || len % 4 !== 0) throw bad('ipv4hint length', at);
        const a: string[] = [];
        while (r.pos < vend) {
          a.push(ipv4ToText(r.buf, r.pos));
          r.pos += 4;
        }
        p.ipv4hint = a;
        break;
      }
      case 5:
        p.ech = r.bytes(len);
        break;
      case 6: {
        if (len === 0 || len % 16 !== 0) throw bad('ipv6hint length', at);
        const a: string[] = [];
        while (r.pos < vend) {
          a.push(ipv6ToText(r.buf, r.pos));
          r.pos += 16;
        }
        p.ipv6hint = a;
        break;
      }
      case 7:
        p.dohpath = r.latin1(len);
        break;
      case 8:
        if (len !== 0) throw bad('ohttp has a value', at);
        p.ohttp = true;
        break;
      default:
        if (p.unknown === undefined) p.unknown = new Map();
        p.unknown.set(key, r.bytes(len));
    }
    if (r.pos !== vend) throw bad('value length mismatch', at);
  }
  return p;
}

/** The (key, value-octets) pairs of a parameter set, sorted by key. */
export function svcParamEntries(p: SvcParams): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  const b = (n: number) => new Uint8Array(n);
  if (p.mandatory) {
    const v = b(p.mandatory.length * 2);
    p.mandatory.forEach((k, i) => {
      v[2 * i] = k >> 8;
      v[2 * i + 1] = k & 0xff;
    });
    out.push([0, v]);
  }
  if (p.alpn) {
    const parts: number[] = [];
    for (const id of p.alpn) {
      if (id.length === 0 || id.length > 255) throw bad(`alpn id of ${id.length} octets`);
      parts.push(id.length);
      for (let i = 0; i < id.length; i++) parts.push(id.charCodeAt(i));
    }
    out.push([1, Uint8Array.from(parts)]);
  }
  if (p.noDefaultAlpn) out.push([2, b(0)]);
  if (p.port !== undefined) out.push([3, Uint8Array.of(p.port >> 8, p.port & 0xff)]);
  if (p.ipv4hint) {
    const v = b(4 * p.ipv4hint.length);
    for (const [i, a] of p.ipv4hint.entries()) v.set(ipv4FromText(a), 4 * i);
    out.push([4, v]);
  }
  if (p.ech) out.push([5, p.ech]);
  if (p.ipv6hint) {
    const v = b(16 * p.ipv6hint.length);
    for (const [i, a] of p.ipv6hint.entries()) v.set(ipv6FromText(a), 16 * i);
    out.push([6, v]);
  }
  if (p.dohpath !== undefined) out.push([7, Uint8Array.from(p.dohpath, (c) => c.charCodeAt(0))]);
  if (p.ohttp) out.push([8, b(0)]);
  if (p.unknown) for (const [k, v] of p.unknown) out.push([k, v]);
  out.sort((x, y) => x[0] - y[0]);
  return out;
}

function encodeParams(w: WireWriter, p: SvcParams): void {
  for (const [k, v] of svcParamEntries(p)) {
    if (v.length > 0xffff) throw bad('parameter value too long');
    w.u16(k);
    w.u16(v.length);
    w.bytes(v);
  }
}

/**
 * Escapes one value for presentation inside double quotes. Inside a value-list (alpn),
 * an item's `,` and `\` get a second level of escaping (RFC 9460 A.1): the zone-file
 * unescape turns `\\,` into `\,` and `\\\\` into `\\`, which the list splitter reads as a
 * literal comma and backslash.
 */
function escapeValue(s: string, list: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (list && c === 0x2c) out += '\\\\,';
    else if (list && c === 0x5c) out += '\\\\\\\\';
    else if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\${String(c).padStart(3, '0')}`;
    else out += s[i];
  }
  return out;
}

function paramsToText(p: SvcParams): string {
  const parts: string[] = [];
  for (const [k] of svcParamEntries(p)) {
    const name = svcKeyToText(k);
    switch (k) {
      case 0:
        parts.push(`${name}=${p.mandatory!.map(svcKeyToText).join(',')}`);
        break;
      case 1:
        parts.push(`${name}="${p.alpn!.map((a) => escapeValue(a, true)).join(',')}"`);
        break;
      case 2:
      case 8:
        parts.push(name);
        break;
      case 3:
        parts.push(`${name}=${p.port}`);
        break;
      case 4:
        parts.push(`${name}=${p.ipv4hint!.join(',')}`);
        break;
      case 5:
        parts.push(`${name}=${toBase64(p.ech!)}`);
        break;
      case 6:
        parts.push(`${name}=${p.ipv6hint!.join(',')}`);
        break;
      case 7:
        parts.push(`${name}="${escapeValue(p.dohpath!, false)}"`);
        break;
      default: {
        const v = p.unknown!.get(k)!;
        parts.push(`${name}="${escapeValue(String.fromCharCode(...v), false)}"`);
      }
    }
  }
  return parts.join(' ');
}

/**
 * Splits a value-list (RFC 9460 A.1). `value` has already been through the zone-file
 * unescape (`\DDD`, `\X`); here a `\,` is a literal comma and `\\` a literal backslash
 * inside an item, and any other unescaped comma separates items.
 */
function splitList(value: string, keyText: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      if (i + 1 >= value.length) throw new WireError('bad-text', `${keyText}: dangling backslash`);
      cur += value[++i];
    } else if (c === ',') {
      items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  items.push(cur);
  if (items.some((x) => x.length === 0)) throw new WireError('bad-text', `${keyText}: empty item in list`);
  return items;
}

function paramsFromText(tokens: { text: string; quoted: boolean }[]): SvcParams {
  const p: SvcParams = {};
  const seen = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i].text;
    const eq = t.indexOf('=');
    const keyText = eq < 0 ? t : t.slice(0, eq);
    let written: string | undefined = eq < 0 ? undefined : t.slice(eq + 1);
    // key="quoted value" arrives as `key=` followed by a quoted token
    if (written === '' && i + 1 < tokens.length && tokens[i + 1].quoted) written = tokens[++i].text;
    const key = svcKeyFromText(keyText);
    if (seen.has(key)) throw new WireError('bad-text', `duplicate SvcParamKey ${keyText}`);
    seen.add(key);
    // The zone-file level of escapes (\DDD, \X) is removed here, for every key.
    const value = written === undefined ? undefined : unescapeText(written);
    const need = () => {
      if (value === undefined || value === '') throw new WireError('bad-text', `${keyText} needs a value`);
      return value;
    };
    switch (key) {
      case 0:
        // Presentation order is free; the wire form lists keys in increasing order (RFC 9460 8).
        p.mandatory = splitList(need(), keyText)
          .map(svcKeyFromText)
          .sort((x, y) => x - y);
        break;
      case 1:
        p.alpn = splitList(need(), keyText);
        break;
      case 2:
        if (value !== undefined) throw new WireError('bad-text', 'no-default-alpn takes no value');
        p.noDefaultAlpn = true;
        break;
      case 3: {
        const v = need();
        if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new WireError('bad-text', `bad port "${v}"`);
        p.port = Number(v);
        break;
      }
      case 4:
        p.ipv4hint = splitList(need(), keyText).map((a) => ipv4ToText(ipv4FromText(a), 0));
        break;
      case 5:
        p.ech = fromBase64(need());
        break;
      case 6:
        p.ipv6hint = splitList(need(), keyText).map((a) => ipv6ToText(ipv6FromText(a), 0));
        break;
      case 7:
        p.dohpath = need();
        break;
      case 8:
        if (value !== undefined) throw new WireError('bad-text', 'ohttp takes no value');
        p.ohttp = true;
        break;
      default: {
        if (p.unknown === undefined) p.unknown = new Map();
        p.unknown.set(
          key,
          Uint8Array.from(value ?? '', (c) => c.charCodeAt(0)),
        );
      }
    }
  }
  // Zone data must be self-consistent (RFC 9460 8, 7.1.1, Appendix D.3 failure cases).
  const why = checkSvcParams(p);
  if (why !== undefined) throw new WireError('bad-text', `SVCB parameters: ${why}`);
  return p;
}

/** Field codec for the SvcParams that fill the rest of SVCB/HTTPS RDATA. */
export const svcParams: FieldCodec<SvcParams> = {
  kind: 'svcParams',
  rest: true,
  decode: decodeParams,
  encode: (w, v, _mode: NameMode) => encodeParams(w, v),
  toText: paramsToText,
  fromText: (c) => paramsFromText(c.rest()),
};

/**
 * Semantic checks of RFC 9460 8 (mandatory keys listed once, present, in increasing
 * order, not the automatically mandatory key 0) and 7.1.1 (alpn present when
 * no-default-alpn is). Returns a reason or undefined. Signals are security input, so
 * this runs in one place.
 */
export function checkSvcParams(p: SvcParams): string | undefined {
  if (p.mandatory) {
    const present = new Set(svcParamEntries(p).map(([k]) => k));
    const sorted = [...p.mandatory].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      if (sorted[i] === 0) return 'mandatory lists key 0';
      if (i > 0 && sorted[i] === sorted[i - 1]) return 'mandatory lists a key twice';
      if (!present.has(sorted[i])) return `mandatory key ${svcKeyToText(sorted[i])} is missing`;
    }
    for (let i = 1; i < p.mandatory.length; i++)
      if (p.mandatory[i] <= p.mandatory[i - 1]) return 'mandatory keys are not in increasing order';
  }
  if (p.noDefaultAlpn && !p.alpn) return 'no-default-alpn without alpn';
  return undefined;
}
