import { typeFromText, typeToText } from './constants.js';
import { fromBase32Hex, fromBase64, fromHex, toBase32Hex, toBase64, toHex } from './encoding.js';
import { WireError } from './errors.js';
import { ipv4FromText, ipv4Into, ipv4ToText, ipv6FromText, ipv6Into, ipv6ToText } from './ip.js';
import { Name } from './name.js';
import type { WireReader } from './reader.js';
import { type TokenCursor, unescapeText } from './tokenizer.js';
import type { WireWriter } from './writer.js';

/** How names inside RDATA are written: as-is, compressed, or canonical (lower-cased, RFC 4034 6.2). */
export enum NameMode {
  Plain = 0,
  Compress = 1,
  Lower = 2,
}

/**
 * The codec of one RDATA field kind. A record type is a list of named fields
 * (see rdata.ts); the generic codec derives wire, length and text forms from them.
 */
export interface FieldCodec<V> {
  readonly kind: string;
  decode(r: WireReader, end: number): V;
  encode(w: WireWriter, v: V, mode: NameMode): void;
  toText(v: V): string;
  fromText(c: TokenCursor, origin: Name | undefined): V;
  /** True for names that take part in compression / canonical lower-casing. */
  readonly isName?: boolean;
  /** True when the field consumes the rest of the RDATA. */
  readonly rest?: boolean;
}

function intFromText(s: string, max: number, what: string): number {
  if (!/^\d+$/.test(s)) throw new WireError('bad-text', `${what}: "${s}" is not a number`);
  const v = Number(s);
  if (v > max) throw new WireError('bad-text', `${what}: ${v} exceeds ${max}`);
  return v;
}

export const u8: FieldCodec<number> = {
  kind: 'u8',
  decode: (r) => r.u8(),
  encode: (w, v) => w.u8(v),
  toText: (v) => String(v),
  fromText: (c) => intFromText(c.next('8-bit number').text, 0xff, 'u8'),
};

/** DNSSEC algorithm mnemonics accepted in text (RFC 4034 A.1, IANA registry); numbers are printed. */
const ALGORITHM_MNEMONICS: Record<string, number> = {
  RSAMD5: 1,
  DH: 2,
  DSA: 3,
  RSASHA1: 5,
  'DSA-NSEC3-SHA1': 6,
  'RSASHA1-NSEC3-SHA1': 7,
  RSASHA256: 8,
  RSASHA512: 10,
  'ECC-GOST': 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
  INDIRECT: 252,
  PRIVATEDNS: 253,
  PRIVATEOID: 254,
};

/** A DNSSEC algorithm number: "an unsigned decimal integer or an algorithm mnemonic" (RFC 4034 2.2, 3.2, 5.3). */
export const algorithm: FieldCodec<number> = {
  kind: 'algorithm',
  decode: (r) => r.u8(),
  encode: (w, v) => w.u8(v),
  toText: (v) => String(v),
  fromText: (c) => {
    const t = c.next('algorithm').text;
    const m = ALGORITHM_MNEMONICS[t.toUpperCase()];
    return m ?? intFromText(t, 0xff, 'algorithm');
  },
};

export const u16: FieldCodec<number> = {
  kind: 'u16',
  decode: (r) => r.u16(),
  encode: (w, v) => w.u16(v),
  toText: (v) => String(v),
  fromText: (c) => intFromText(c.next('16-bit number').text, 0xffff, 'u16'),
};

export const u32: FieldCodec<number> = {
  kind: 'u32',
  decode: (r) => r.u32(),
  encode: (w, v) => w.u32(v),
  toText: (v) => String(v),
  fromText: (c) => intFromText(c.next('32-bit number').text, 0xffffffff, 'u32'),
};

/** An RR type number shown as its mnemonic (RRSIG type covered). */
export const rrtype: FieldCodec<number> = {
  kind: 'rrtype',
  decode: (r) => r.u16(),
  encode: (w, v) => w.u16(v),
  toText: (v) => typeToText(v),
  fromText: (c) => {
    const t = c.next('type').text;
    const v = typeFromText(t);
    if (v === undefined) throw new WireError('bad-text', `unknown type "${t}"`);
    return v;
  },
};

function makeName(compressible: boolean, canonicalLower: boolean): FieldCodec<Name> {
  return {
    kind: 'name',
    isName: true,
    decode: (r, end) => r.name(end),
    encode: (w, v, mode) => {
      if (mode === NameMode.Lower) w.name(v, false, canonicalLower);
      else w.name(v, compressible && mode === NameMode.Compress);
    },
    toText: (v) => v.toString(),
    fromText: (c, origin) => Name.fromText(c.next('name').text, origin),
  };
}
/** A name that may be compressed (RFC 3597 4: well-known types only) and is lower-cased in canonical form. */
export const cname = makeName(true, true);
/** A name never compressed, lower-cased in canonical form (RFC 4034 6.2 list). */
export const lname = makeName(false, true);
/** A name never compressed nor lower-cased (NSEC per RFC 6840 5.1, SVCB target). */
export const pname = makeName(false, false);

export const ipv4: FieldCodec<string> = {
  kind: 'ipv4',
  decode: (r) => {
    r.need(4, 'IPv4 address');
    const s = ipv4ToText(r.buf, r.pos);
    r.pos += 4;
    return s;
  },
  encode: (w, v) => ipv4Into(v, w.buf, w.reserve(4)),
  toText: (v) => v,
  fromText: (c) => {
    const t = c.next('IPv4 address').text;
    ipv4FromText(t);
    return t;
  },
};

export const ipv6: FieldCodec<string> = {
  kind: 'ipv6',
  decode: (r) => {
    r.need(16, 'IPv6 address');
    const s = ipv6ToText(r.buf, r.pos);
    r.pos += 16;
    return s;
  },
  encode: (w, v) => ipv6Into(v, w.buf, w.reserve(16)),
  toText: (v) => v,
  fromText: (c) => ipv6ToText(ipv6FromText(c.next('IPv6 address').text)),
};

/** Escapes a character-string (latin1 octets) for presentation inside quotes. */
export function charStringToText(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\${String(c).padStart(3, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** One <character-string>: a length octet and up to 255 octets, as a latin1 string. */
export const charString: FieldCodec<string> = {
  kind: 'charString',
  decode: (r) => r.latin1(r.u8()),
  encode: (w, v) => {
    if (v.length > 255) throw new WireError('bad-rdata', `character-string of ${v.length} octets`);
    w.u8(v.length);
    w.latin1(v);
  },
  toText: charStringToText,
  fromText: (c) => {
    const v = unescapeText(c.next('character-string').text);
    if (v.length > 255) throw new WireError('bad-text', `character-string of ${v.length} octets`);
    return v;
  },
};

/** One or more <character-string>s to the end of RDATA (TXT). */
export const charStrings: FieldCodec<string[]> = {
  kind: 'charStrings',
  rest: true,
  decode: (r, end) => {
    const out: string[] = [];
    while (r.pos < end) out.push(r.latin1(r.u8()));
    return out;
  },
  encode: (w, v) => {
    for (const s of v) charString.encode(w, s, NameMode.Plain);
  },
  toText: (v) => v.map(charStringToText).join(' '),
  fromText: (c) => {
    const out: string[] = [];
    while (!c.done()) {
      const v = unescapeText(c.next('character-string').text);
      if (v.length > 255) throw new WireError('bad-text', `character-string of ${v.length} octets`);
      out.push(v);
    }
    if (out.length === 0) throw new WireError('bad-text', 'missing character-string');
    return out;
  },
};

/** Octets to the end of RDATA, hex in text (may be split over tokens). `emptyDash` prints "-" when empty. */
function hexRest(allowEmpty: boolean): FieldCodec<Uint8Array> {
  return {
    kind: 'hex',
    rest: true,
    decode: (r, end) => r.bytes(end - r.pos),
    encode: (w, v) => w.bytes(v),
    toText: (v) => (v.length === 0 ? '' : toHex(v).toUpperCase()),
    fromText: (c) => {
      const s = c
        .rest()
        .map((t) => t.text)
        .join('');
      if (s.length === 0 && !allowEmpty) throw new WireError('bad-text', 'missing hex data');
      return fromHex(s);
    },
  };
}
export const hex = hexRest(false);
export const hexOrEmpty = hexRest(true);

/** Octets to the end of RDATA, base64 in text (may be split over tokens). */
export const base64: FieldCodec<Uint8Array> = {
  kind: 'base64',
  rest: true,
  decode: (r, end) => r.bytes(end - r.pos),
  encode: (w, v) => w.bytes(v),
  toText: (v) => toBase64(v),
  fromText: (c) => {
    const s = c
      .rest()
      .map((t) => t.text)
      .join('');
    if (s.length === 0) throw new WireError('bad-text', 'missing base64 data');
    return fromBase64(s);
  },
};

/** A length octet then octets, hex in text with "-" for empty (NSEC3 salt). */
export const salt: FieldCodec<Uint8Array> = {
  kind: 'salt',
  decode: (r) => r.bytes(r.u8()),
  encode: (w, v) => {
    if (v.length > 255) throw new WireError('bad-rdata', 'salt longer than 255 octets');
    w.u8(v.length);
    w.bytes(v);
  },
  toText: (v) => (v.length === 0 ? '-' : toHex(v).toUpperCase()),
  fromText: (c) => {
    const t = c.next('salt').text;
    return t === '-' ? new Uint8Array(0) : fromHex(t);
  },
};

/** A length octet then octets, base32hex in text (NSEC3 next hashed owner). */
export const hash32: FieldCodec<Uint8Array> = {
  kind: 'hash32',
  decode: (r) => {
    const n = r.u8();
    if (n === 0) throw new WireError('bad-rdata', 'empty NSEC3 next hashed owner', r.pos);
    return r.bytes(n);
  },
  encode: (w, v) => {
    if (v.length === 0 || v.length > 255)
      throw new WireError('bad-rdata', `NSEC3 next hashed owner of ${v.length} octets`);
    w.u8(v.length);
    w.bytes(v);
  },
  toText: (v) => toBase32Hex(v).toUpperCase(),
  fromText: (c) => fromBase32Hex(c.next('next hashed owner').text),
};

/** The NSEC/NSEC3 type bit maps (RFC 4034 4.1.2): sorted type numbers to the end of RDATA. */
export const typeBitmap: FieldCodec<number[]> = {
  kind: 'typeBitmap',
  rest: true,
  decode: (r, end) => {
    const types: number[] = [];
    let lastWindow = -1;
    while (r.pos < end) {
      const at = r.pos;
      const window = r.u8();
      const len = r.u8();
      if (window <= lastWindow) throw new WireError('bad-rdata', 'type bit map windows out of order', at);
      if (len < 1 || len > 32) throw new WireError('bad-rdata', `type bit map window length ${len}`, at);
      if (r.pos + len > end) throw new WireError('truncated', 'type bit map window', at);
      lastWindow = window;
      for (let i = 0; i < len; i++) {
        const b = r.buf[r.pos + i];
        if (b === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
      }
      r.pos += len;
    }
    return types;
  },
  encode: (w, v) => {
    const sorted = [...new Set(v)].sort((a, b) => a - b);
    let i = 0;
    while (i < sorted.length) {
      const window = sorted[i] >> 8;
      const bits = new Uint8Array(32);
      let maxByte = 0;
      while (i < sorted.length && sorted[i] >> 8 === window) {
        const low = sorted[i] & 0xff;
        bits[low >> 3] |= 0x80 >> (low & 7);
        maxByte = low >> 3;
        i++;
      }
      w.u8(window);
      w.u8(maxByte + 1);
      w.bytes(bits.subarray(0, maxByte + 1));
    }
  },
  toText: (v) => v.map(typeToText).join(' '),
  // A bit map is a set: the parsed value is sorted and without duplicates, as decoding gives it.
  fromText: (c) => {
    const types = c.rest().map((t) => {
      const v = typeFromText(t.text);
      if (v === undefined) throw new WireError('bad-text', `unknown type "${t.text}" in type bit map`);
      return v;
    });
    return [...new Set(types)].sort((a, b) => a - b);
  },
};

/** RRSIG times: u32 seconds, YYYYMMDDHHmmSS in text (RFC 4034 3.2); plain integers are accepted too. */
export const time32: FieldCodec<number> = {
  kind: 'time32',
  decode: (r) => r.u32(),
  encode: (w, v) => w.u32(v),
  toText: (v) => {
    const d = new Date(v * 1000);
    const p = (n: number, l = 2) => String(n).padStart(l, '0');
    return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  },
  fromText: (c) => {
    const t = c.next('time').text;
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(t);
    if (m) {
      const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
      return (ms / 1000) >>> 0;
    }
    return intFromText(t, 0xffffffff, 'time');
  },
};

/** The CAA tag: a length octet and ASCII letters/digits, bare in text. */
export const caaTag: FieldCodec<string> = {
  kind: 'caaTag',
  decode: (r) => {
    const n = r.u8();
    if (n === 0) throw new WireError('bad-rdata', 'empty CAA tag', r.pos);
    return r.latin1(n);
  },
  encode: (w, v) => {
    if (v.length === 0 || v.length > 255) throw new WireError('bad-rdata', `CAA tag of ${v.length} octets`);
    w.u8(v.length);
    w.latin1(v);
  },
  toText: (v) => v,
  fromText: (c) => {
    const t = c.next('CAA tag').text;
    if (!/^[A-Za-z0-9]{1,255}$/.test(t)) throw new WireError('bad-text', `bad CAA tag "${t}"`);
    return t;
  },
};

/** Octets to the end of RDATA shown as one quoted string (CAA value). */
export const restString: FieldCodec<string> = {
  kind: 'restString',
  rest: true,
  decode: (r, end) => r.latin1(end - r.pos),
  encode: (w, v) => w.latin1(v),
  toText: charStringToText,
  fromText: (c) => unescapeText(c.next('string').text),
};
