import { WireError } from './errors.js';

/** Hex, base64 and base32hex (RFC 4648) helpers used by the text form. */

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new WireError('bad-text', `bad hex "${s.slice(0, 40)}"`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function fromBase64(s: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    throw new WireError('bad-text', `bad base64 "${s.slice(0, 40)}"`);
  return new Uint8Array(Buffer.from(s, 'base64'));
}

const B32 = '0123456789abcdefghijklmnopqrstuv';

/** base32hex without padding, lower case (NSEC3 hashed owner names). */
export function toBase32Hex(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const x of b) {
    value = (value << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function fromBase32Hex(s: string): Uint8Array {
  const t = s.toLowerCase().replace(/=+$/, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of t) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new WireError('bad-text', `bad base32hex "${s.slice(0, 40)}"`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (value !== 0) throw new WireError('bad-text', `base32hex "${s.slice(0, 40)}" has non-zero trailing bits`);
  return new Uint8Array(out);
}
