/**
 * Text encodings used by DNSSEC records.
 *
 * - base32hex (RFC 4648 section 7, "Extended Hex" alphabet 0-9a-v) without padding, as used by NSEC3 owner
 *   labels and the NSEC3 Next Hashed Owner Name presentation form (RFC 5155 section 3.3). Output is lowercase;
 *   input is case-insensitive and strictly validated.
 * - base64 (RFC 4648 section 4) with a strict decoder (Node's Buffer decoder silently skips invalid characters).
 */

import { DnssecError } from './errors.js';

const B32_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** ASCII code -> 5-bit value, or -1. Accepts 0-9, a-v and A-V. */
const B32_DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < B32_ALPHABET.length; i++) {
    table[B32_ALPHABET.charCodeAt(i)] = i;
    table[B32_ALPHABET.toUpperCase().charCodeAt(i)] = i;
  }
  return table;
})();

/** Encode bytes as lowercase base32hex with no padding. */
export function encodeBase32Hex(bytes: Uint8Array): string {
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
 * Decode unpadded base32hex (case-insensitive). Strict: throws DnssecError('INVALID_BASE32HEX') on any
 * character outside the alphabet (including '=' padding and whitespace), on a length that no byte string
 * encodes to (length mod 8 of 1, 3 or 6), and on non-zero trailing bits (non-canonical encodings).
 */
export function decodeBase32Hex(text: string): Uint8Array {
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new DnssecError('INVALID_BASE32HEX', `invalid base32hex length ${text.length}`);
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? B32_DECODE[code] : -1;
    if (value < 0) {
      throw new DnssecError('INVALID_BASE32HEX', `invalid base32hex character at offset ${i}`);
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) {
    throw new DnssecError('INVALID_BASE32HEX', 'non-zero trailing bits in base32hex');
  }
  return out;
}

/** Like decodeBase32Hex but returns undefined instead of throwing (e.g. for an NSEC3 owner label that is not a hash). */
export function tryDecodeBase32Hex(text: string): Uint8Array | undefined {
  try {
    return decodeBase32Hex(text);
  } catch {
    return undefined;
  }
}

/** Encode bytes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]*(?:={1,2})?$/;

/**
 * Decode standard base64 (alphabet A-Z a-z 0-9 + /). Padding is optional but, when present, must make the
 * length a multiple of 4. Whitespace is not accepted (join presentation-format chunks first). Throws
 * DnssecError('INVALID_BASE64') on invalid input.
 */
export function decodeBase64(text: string): Uint8Array {
  const padded = text.endsWith('=');
  if (!BASE64_RE.test(text) || (padded && text.length % 4 !== 0) || (!padded && text.length % 4 === 1)) {
    throw new DnssecError('INVALID_BASE64', 'invalid base64 text');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
