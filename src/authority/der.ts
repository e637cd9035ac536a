// Minimal ASN.1 DER encoder (plus a tiny reader) — just what certgen.ts needs to build and
// inspect X.509 certificates. Only low tag numbers (0..30) are supported, which covers every
// universal and context-specific tag used by the X.509 profile of RFC 5280.

/** Universal tag numbers (class universal, primitive unless noted). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  /** SEQUENCE / SEQUENCE OF (constructed). */
  SEQUENCE: 0x30,
  /** SET / SET OF (constructed). */
  SET: 0x31,
} as const;

const textEncoder = new TextEncoder();

/** Concatenates byte arrays into a new Uint8Array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** DER length octets: short form below 128, otherwise long form with the minimal number of octets. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid DER length: ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Encodes one TLV with a single-octet identifier. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`unsupported DER tag: ${tag}`);
  }
  return concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.SEQUENCE, concat(items));
}

/** SET OF: DER requires the encodings of the elements to be sorted as octet strings. */
export function set(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort(compareBytes);
  return tlv(Tag.SET, concat(sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function boolean(value: boolean): Uint8Array {
  return tlv(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

export function nullValue(): Uint8Array {
  return tlv(Tag.NULL, new Uint8Array(0));
}

/**
 * Non-negative INTEGER. A Uint8Array is taken as an unsigned big-endian magnitude.
 * DER rule: minimal two's-complement form — redundant leading zero octets are dropped and one
 * 0x00 is prepended when the high bit of the first octet is set (so the value stays positive).
 */
export function integer(value: number | bigint | Uint8Array): Uint8Array {
  let magnitude: Uint8Array;
  if (value instanceof Uint8Array) {
    magnitude = value;
  } else {
    let v: bigint;
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`integer must be a safe integer: ${value}`);
      v = BigInt(value);
    } else {
      v = value;
    }
    if (v < 0n) throw new RangeError('only non-negative integers are supported');
    const bytes: number[] = [];
    for (; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
    magnitude = Uint8Array.from(bytes);
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Uint8Array.of(0);
  if (body[0] & 0x80) body = concat([Uint8Array.of(0), body]);
  return tlv(Tag.INTEGER, body);
}

/** OBJECT IDENTIFIER from dotted-decimal notation, e.g. "1.2.840.10045.4.3.2". */
export function oid(dotted: string): Uint8Array {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new RangeError(`invalid OID: ${dotted}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = arcs;
  if (first > 2n || (first < 2n && second >= 40n)) throw new RangeError(`invalid OID: ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(Tag.OID, Uint8Array.from(out));
}

/** BIT STRING holding whole octets plus `unusedBits` (0..7) padding bits in the last one, which must be zero. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`invalid unused bit count: ${unusedBits}`);
  }
  if (bytes.length === 0 && unusedBits !== 0) throw new RangeError('empty BIT STRING cannot have unused bits');
  if (unusedBits > 0 && (bytes[bytes.length - 1] & ((1 << unusedBits) - 1)) !== 0) {
    throw new RangeError('DER requires the unused bits of a BIT STRING to be zero');
  }
  return tlv(Tag.BIT_STRING, concat([Uint8Array.of(unusedBits), bytes]));
}

/**
 * BIT STRING for a NamedBitList (e.g. KeyUsage), given the numbers of the bits that are set
 * (bit 0 is the most significant bit of the first octet). DER drops trailing zero bits.
 */
export function namedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  for (const b of bits) if (!Number.isInteger(b) || b < 0) throw new RangeError(`invalid bit number: ${b}`);
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.OCTET_STRING, bytes);
}

export function utf8String(text: string): Uint8Array {
  if (/\p{Cs}/u.test(text)) throw new RangeError('UTF8String contains lone surrogates');
  return tlv(Tag.UTF8_STRING, textEncoder.encode(text));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString: A-Z a-z 0-9 space ' ( ) + , - . / : = ? only. */
export function printableString(text: string): Uint8Array {
  if (!PRINTABLE.test(text)) throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  return tlv(Tag.PRINTABLE_STRING, textEncoder.encode(text));
}

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

/** IA5String: 7-bit ASCII. */
export function ia5String(text: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`not an IA5String: ${JSON.stringify(text)}`);
  return tlv(Tag.IA5_STRING, textEncoder.encode(text));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function checkDate(date: Date): void {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
}

function timeDigits(date: Date): string {
  return (
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2)
  );
}

/** UTCTime YYMMDDHHMMSSZ (years 1950..2049 as RFC 5280 interprets them). Fractional seconds are dropped. */
export function utcTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot represent year ${year}`);
  return tlv(Tag.UTC_TIME, textEncoder.encode(`${pad(year % 100, 2)}${timeDigits(date)}Z`));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (no fractional seconds, per RFC 5280). */
export function generalizedTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot represent year ${year}`);
  return tlv(Tag.GENERALIZED_TIME, textEncoder.encode(`${pad(year, 4)}${timeDigits(date)}Z`));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime before 1950 and from 2050 on (RFC 5280 §4.1.2.5). */
export function time(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** Context-specific, constructed, EXPLICIT tag [n] wrapping one complete encoding. */
export function explicit(tagNumber: number, inner: Uint8Array): Uint8Array {
  checkTagNumber(tagNumber);
  return tlv(0xa0 | tagNumber, inner);
}

/**
 * Context-specific IMPLICIT tag [n] replacing the identifier of the underlying type: pass the
 * content octets only. `constructed` must be true when the underlying type is constructed
 * (SEQUENCE, SET, ...).
 */
export function implicit(tagNumber: number, content: Uint8Array, constructed = false): Uint8Array {
  checkTagNumber(tagNumber);
  return tlv((constructed ? 0xa0 : 0x80) | tagNumber, content);
}

/** IMPLICIT tag [n] applied to a complete encoding: its identifier octet is replaced, contents kept. */
export function implicitOf(tagNumber: number, encoded: Uint8Array): Uint8Array {
  const el = readElement(encoded);
  if (el.end !== encoded.length) throw new RangeError('implicitOf expects exactly one encoding');
  return implicit(tagNumber, encoded.subarray(el.contentStart, el.end), (encoded[0] & 0x20) !== 0);
}

function checkTagNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`unsupported context tag number: ${n}`);
}

// ---------------------------------------------------------------------------------------------
// Reader

/** One parsed TLV inside `bytes`: bytes.subarray(start, end) is the whole encoding. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the TLV beginning at `offset` (definite lengths and low tag numbers only). */
export function readElement(bytes: Uint8Array, offset = 0, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new RangeError('truncated DER element');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new RangeError('high tag numbers are not supported');
  let pos = offset + 1;
  const first = bytes[pos++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new RangeError('indefinite length is not allowed in DER');
    if (n > 6 || pos + n > limit) throw new RangeError('unsupported or truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++];
  }
  const end = pos + length;
  if (end > limit) throw new RangeError('DER element overruns its container');
  return { tag, start: offset, contentStart: pos, end };
}

/** The elements directly inside a constructed element. */
export function readChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let off = parent.contentStart; off < parent.end; ) {
    const el = readElement(bytes, off, parent.end);
    out.push(el);
    off = el.end;
  }
  return out;
}

export function elementBytes(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.start, el.end);
}

export function contentBytes(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.contentStart, el.end);
}

/** Decodes an OBJECT IDENTIFIER's content octets to dotted-decimal form. */
export function decodeOid(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of content) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0 || (content[content.length - 1] & 0x80) !== 0) throw new RangeError('malformed OID');
  const head = arcs[0];
  const first = head < 80n ? head / 40n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join('.');
}
