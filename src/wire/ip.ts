import { WireError } from './errors.js';

/**
 * IPv4/IPv6 text <-> octets. These sit on the hot path of every A/AAAA record (the
 * typed RDATA keeps addresses as text), so they scan characters by hand instead of
 * using regular expressions and temporary arrays.
 */

/** "0".."255", so formatting an IPv4 address is three concatenations. */
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** IPv4 dotted quad from 4 octets. */
export function ipv4ToText(b: Uint8Array, o = 0): string {
  return `${DEC[b[o]]}.${DEC[b[o + 1]]}.${DEC[b[o + 2]]}.${DEC[b[o + 3]]}`;
}

/**
 * Parses a dotted quad (exactly four decimal octets, no leading zeros) into
 * `out[off..off+4)`. Returns false when `s` is not one.
 */
function parseIpv4(s: string, from: number, out: Uint8Array, off: number): boolean {
  const n = s.length;
  let i = from;
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      if (i >= n || s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < n && i - start < 4) {
      const c = s.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || v > 255 || (digits > 1 && s.charCodeAt(start) === 0x30)) return false;
    out[off + k] = v;
  }
  return i === n;
}

/** Writes the address `s` into `out[off..off+4)` (throws on a malformed address). */
export function ipv4Into(s: string, out: Uint8Array, off: number): void {
  if (!parseIpv4(s, 0, out, off)) throw new WireError('bad-text', `bad IPv4 address "${s}"`);
}

export function ipv4FromText(s: string): Uint8Array {
  const out = new Uint8Array(4);
  ipv4Into(s, out, 0);
  return out;
}

/** RFC 5952 text form of 16 octets (lower case, longest zero run of 2+ groups as ::). */
export function ipv6ToText(b: Uint8Array, o = 0): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (b[o + 2 * i] === 0 && b[o + 2 * i + 1] === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let out = '';
  let colon = false;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      colon = false;
      i += bestLen - 1;
      continue;
    }
    const g = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
    out += colon ? `:${g.toString(16)}` : g.toString(16);
    colon = true;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

const groups = new Uint16Array(8);

/**
 * Parses an IPv6 address (RFC 4291 2.2: hex groups, at most one "::", optionally a
 * dotted quad in the last 32 bits) into `out[off..off+16)`. Returns false when malformed.
 */
function parseIpv6(s: string, out: Uint8Array, off: number): boolean {
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return false;
  const v4 = s.indexOf('.', lastColon) > 0;
  // With a dotted quad, the hex part ends at (and includes) the last colon.
  const end = v4 ? lastColon + 1 : s.length;
  const maxGroups = v4 ? 6 : 8;
  let ng = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let v = 0;
    while (i < end && i - start < 5) {
      const h = hexDigit(s.charCodeAt(i));
      if (h < 0) break;
      v = (v << 4) | h;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || ng >= maxGroups) return false;
    groups[ng++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = ng;
      i++;
    } else if (i === end && !v4) {
      return false; // a single trailing colon
    }
  }
  const total = ng + (v4 ? 2 : 0);
  if (gap < 0 ? total !== 8 : total > 7) return false;
  if (v4 && !parseIpv4(s, lastColon + 1, out, off + 12)) return false;
  const zeros = 8 - total;
  const hexGroups = v4 ? 6 : 8;
  for (let k = 0, g = 0; k < hexGroups; k++) {
    let v = 0;
    if (gap >= 0 && k >= gap && k < gap + zeros) v = 0;
    else v = groups[g++];
    out[off + 2 * k] = v >> 8;
    out[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

/** Writes the address `s` into `out[off..off+16)` (throws on a malformed address). */
export function ipv6Into(s: string, out: Uint8Array, off: number): void {
  if (!parseIpv6(s, out, off)) throw new WireError('bad-text', `bad IPv6 address "${s}"`);
}

export function ipv6FromText(s: string): Uint8Array {
  const out = new Uint8Array(16);
  ipv6Into(s, out, 0);
  return out;
}
