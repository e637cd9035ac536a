import { textError, WireError } from './errors.js';

/**
 * A domain name. It holds its uncompressed wire form as a latin1 string (one char per
 * octet: length-prefixed labels ending with the root's zero octet), which is cheap to
 * create while decoding, immutable, and usable as a Map key.
 *
 * - `wire` keeps the original case (for display and 0x20 checks);
 * - `key` is the canonical (ASCII lower-cased) wire form: equality, cache and map keys;
 * - text is produced lazily and escaped per RFC 1035 5.1 / RFC 4343.
 */
export class Name {
  /** Maximum uncompressed length in octets (RFC 1035 2.3.4). */
  static readonly MAX_LENGTH = 255;
  static readonly MAX_LABEL = 63;
  static readonly ROOT = new Name('\0');

  readonly wire: string;
  #key: string | undefined;
  #text: string | undefined;
  #offsets: number[] | undefined;

  /** Trusted constructor: `wire` must already be a valid uncompressed name. */
  constructor(wire: string) {
    this.wire = wire;
  }

  /** Builds a name from a wire-form latin1 string after checking it. */
  static fromWireString(wire: string): Name {
    let p = 0;
    for (;;) {
      if (p >= wire.length) throw new WireError('truncated', 'name without root label', p);
      const len = wire.charCodeAt(p);
      if (len === 0) break;
      if (len > 63) throw new WireError('label-too-long', `label of ${len} octets`, p);
      p += len + 1;
    }
    if (p + 1 !== wire.length) throw new WireError('bad-rdata', 'octets after root label', p);
    if (wire.length > Name.MAX_LENGTH) throw new WireError('name-too-long', `name of ${wire.length} octets`);
    return new Name(wire);
  }

  /** Builds a name from raw label octets (each label a latin1 string), leftmost first. */
  static fromLabels(labels: readonly string[]): Name {
    let w = '';
    for (const l of labels) {
      if (l.length === 0) throw textError('empty label');
      if (l.length > 63) throw new WireError('label-too-long', `label of ${l.length} octets`);
      w += String.fromCharCode(l.length) + l;
    }
    w += '\0';
    if (w.length > Name.MAX_LENGTH) throw new WireError('name-too-long', `name of ${w.length} octets`);
    return new Name(w);
  }

  /**
   * Parses presentation form. Relative names (no trailing dot) are completed with
   * `origin` (required for them); `@` is the origin. Escapes `\X` and `\DDD` are honoured.
   */
  static fromText(text: string, origin?: Name): Name {
    if (text === '@') {
      if (!origin) throw textError('"@" used without an origin');
      return origin;
    }
    if (text === '.') return Name.ROOT;
    if (text.length === 0) throw textError('empty name');
    let w = '';
    let label = '';
    let absolute = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2e /* . */) {
        if (label.length === 0) throw textError(`empty label in "${text}"`);
        if (label.length > 63) throw new WireError('label-too-long', `label of ${label.length} octets in "${text}"`);
        w += String.fromCharCode(label.length) + label;
        label = '';
        if (i === text.length - 1) absolute = true;
      } else if (c === 0x5c /* \ */) {
        const d = text.slice(i + 1, i + 4);
        if (/^[0-9]{3}$/.test(d)) {
          const v = Number(d);
          if (v > 255) throw textError(`bad escape \\${d} in "${text}"`);
          label += String.fromCharCode(v);
          i += 3;
        } else if (i + 1 < text.length) {
          label += text[i + 1];
          i += 1;
        } else {
          throw textError(`dangling backslash in "${text}"`);
        }
      } else {
        if (c > 0xff) throw textError(`non-latin1 character in "${text}" (use IDNA A-labels)`);
        label += text[i];
      }
    }
    if (label.length > 0) {
      if (label.length > 63) throw new WireError('label-too-long', `label of ${label.length} octets in "${text}"`);
      w += String.fromCharCode(label.length) + label;
    }
    if (absolute) {
      w += '\0';
    } else {
      if (!origin) throw textError(`relative name "${text}" without an origin`);
      w += origin.wire;
    }
    if (w.length > Name.MAX_LENGTH) throw new WireError('name-too-long', `name "${text}" is longer than 255 octets`);
    return new Name(w);
  }

  /** Canonical key: the wire form with ASCII letters lower-cased (RFC 4343). */
  get key(): string {
    if (this.#key === undefined) this.#key = lowerAscii(this.wire);
    return this.#key;
  }

  /** The lower-cased name (shares nothing mutable with this one). */
  lower(): Name {
    const k = this.key;
    return k === this.wire ? this : new Name(k);
  }

  get length(): number {
    return this.wire.length;
  }

  /** Offsets of each label's length octet, leftmost first (excluding the root). */
  #labelOffsets(): number[] {
    if (this.#offsets === undefined) {
      const o: number[] = [];
      let p = 0;
      const w = this.wire;
      for (;;) {
        const len = w.charCodeAt(p);
        if (len === 0) break;
        o.push(p);
        p += len + 1;
      }
      this.#offsets = o;
    }
    return this.#offsets;
  }

  /** Number of labels, not counting the root (so `.` has 0, `com.` has 1). */
  get labelCount(): number {
    return this.#labelOffsets().length;
  }

  /** Label octets (latin1 strings), leftmost first. */
  labels(): string[] {
    const w = this.wire;
    return this.#labelOffsets().map((p) => w.slice(p + 1, p + 1 + w.charCodeAt(p)));
  }

  /** The label at index i (0 = leftmost). */
  label(i: number): string {
    const p = this.#labelOffsets()[i];
    if (p === undefined) throw new RangeError(`label ${i} of ${this.labelCount}`);
    return this.wire.slice(p + 1, p + 1 + this.wire.charCodeAt(p));
  }

  isRoot(): boolean {
    return this.wire.length === 1;
  }

  isWildcard(): boolean {
    return this.wire.charCodeAt(0) === 1 && this.wire.charCodeAt(1) === 0x2a;
  }

  /** Parent name (one label less); the root's parent is the root. */
  parent(): Name {
    if (this.isRoot()) return this;
    return new Name(this.wire.slice(this.wire.charCodeAt(0) + 1));
  }

  /** The suffix with the rightmost `n` labels (n <= labelCount). */
  suffix(n: number): Name {
    const offs = this.#labelOffsets();
    if (n >= offs.length) return this;
    if (n <= 0) return Name.ROOT;
    return new Name(this.wire.slice(offs[offs.length - n]));
  }

  /** A name with `label` (raw octets) prepended. */
  child(label: string): Name {
    return Name.fromLabels([label, ...this.labels()]);
  }

  /** Replaces suffix `from` (which this name must be under) with `to` (DNAME substitution). */
  replaceSuffix(from: Name, to: Name): Name {
    const keep = this.wire.length - from.wire.length;
    const w = this.wire.slice(0, keep) + to.wire;
    if (w.length > Name.MAX_LENGTH) throw new WireError('name-too-long', 'substituted name is longer than 255 octets');
    return new Name(w);
  }

  equals(other: Name): boolean {
    return this === other || this.key === other.key;
  }

  /** True when this name is `other` or below it (case-insensitive, label boundaries). */
  isSubdomainOf(other: Name): boolean {
    const a = this.key;
    const b = other.key;
    if (b.length > a.length) return false;
    if (b.length === 1) return true;
    const start = a.length - b.length;
    if (!a.endsWith(b)) return false;
    if (start === 0) return true;
    // start must be a label boundary
    for (const p of this.#labelOffsets()) {
      if (p === start) return true;
      if (p > start) return false;
    }
    return false;
  }

  /** Number of rightmost labels both names share. */
  commonLabels(other: Name): number {
    const a = this.labels();
    const b = other.labels();
    let n = 0;
    while (n < a.length && n < b.length && lowerAscii(a[a.length - 1 - n]) === lowerAscii(b[b.length - 1 - n])) n++;
    return n;
  }

  /** RFC 4034 6.1 canonical ordering: compare labels right to left, lower-cased octets. */
  compare(other: Name): number {
    return compareCanonical(this, other);
  }

  toString(): string {
    if (this.#text === undefined) this.#text = nameToText(this.wire);
    return this.#text;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Wire octets (uncompressed), as a new Uint8Array. */
  toBytes(): Uint8Array {
    return latin1ToBytes(this.wire);
  }

  /** Canonical wire octets (lower-cased, uncompressed), for DNSSEC. */
  toCanonicalBytes(): Uint8Array {
    return latin1ToBytes(this.key);
  }
}

export function latin1ToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const UPPER = /[A-Z]/;
const UPPER_G = /[A-Z]/g;

/** ASCII-only lower-casing (RFC 4343): bytes 0x41-0x5A only; label length octets are <= 63 so they are never touched. */
export function lowerAscii(s: string): string {
  if (!UPPER.test(s)) return s;
  return s.replace(UPPER_G, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}

function escapeLabel(w: string, start: number, end: number): string {
  let out = '';
  let plainFrom = start;
  for (let i = start; i < end; i++) {
    const c = w.charCodeAt(i);
    let esc: string | undefined;
    if (c <= 0x20 || c >= 0x7f) esc = `\\${String(c).padStart(3, '0')}`;
    else if (
      c === 0x2e ||
      c === 0x5c ||
      c === 0x22 ||
      c === 0x28 ||
      c === 0x29 ||
      c === 0x3b ||
      c === 0x40 ||
      c === 0x24
    )
      esc = `\\${w[i]}`;
    if (esc !== undefined) {
      out += w.slice(plainFrom, i) + esc;
      plainFrom = i + 1;
    }
  }
  return out + w.slice(plainFrom, end);
}

function nameToText(w: string): string {
  if (w.length === 1) return '.';
  let out = '';
  let p = 0;
  for (;;) {
    const len = w.charCodeAt(p);
    if (len === 0) break;
    out += `${escapeLabel(w, p + 1, p + 1 + len)}.`;
    p += len + 1;
  }
  return out;
}

function compareCanonical(x: Name, y: Name): number {
  const a = x.labels();
  const b = y.labels();
  let i = a.length - 1;
  let j = b.length - 1;
  while (i >= 0 && j >= 0) {
    const la = lowerAscii(a[i]);
    const lb = lowerAscii(b[j]);
    if (la !== lb) {
      const n = Math.min(la.length, lb.length);
      for (let k = 0; k < n; k++) {
        const d = la.charCodeAt(k) - lb.charCodeAt(k);
        if (d !== 0) return d;
      }
      return la.length - lb.length;
    }
    i--;
    j--;
  }
  return i - j;
}
