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

const B32_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

const B32_DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < B32_ALPHABET.length; i++) {
    table[B32_ALPHABET.charCodeAt(i)] = i;
    table[B32_ALPHABET.toUpperCase().charCodeAt(i)] = i;
  }
  return table;
})();

/** base32hex (RFC 4648 7) without padding, lower case: NSEC3 hashed owner names (RFC 5155 3.3). */
export function toBase32Hex(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff; // at most 12 significant bits are ever needed
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32_ALPHABET[(buffer >> bits) & 0x1f];
    }
  }
  if (bits > 0) out += B32_ALPHABET[(buffer << (5 - bits)) & 0x1f];
  return out;
}

/**
 * Strict base32hex decoding: either case, no padding, no white space, no impossible
 * lengths, zero trailing bits. Throws WireError('bad-text').
 */
export function fromBase32Hex(text: string): Uint8Array {
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) throw new WireError('bad-text', `invalid base32hex length ${text.length}`);
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? B32_DECODE[code] : -1;
    if (value < 0) throw new WireError('bad-text', `invalid base32hex character at offset ${i}`);
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0)
    throw new WireError('bad-text', 'non-zero trailing bits in base32hex');
  return out;
}
