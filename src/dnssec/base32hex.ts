/**
 * Text encodings used by DNSSEC records.
 *
 * - base32hex (RFC 4648 section 7, "Extended Hex" alphabet 0-9a-v) without padding, as used by NSEC3 owner
 *   labels and the NSEC3 Next Hashed Owner Name presentation form (RFC 5155 section 3.3). Output is lowercase;
 *   input is case-insensitive and strictly validated.
 * - base64 (RFC 4648 section 4) with a strict decoder (Node's Buffer decoder silently skips invalid characters).
 */

import { fromBase32Hex, toBase32Hex } from '../wire/encoding.js';
import { DnssecError } from './errors.js';

/** base32hex without padding, lower case (the one implementation lives in the wire codec). */
export function encodeBase32Hex(bytes: Uint8Array): string {
  return toBase32Hex(bytes);
}

/** Strict base32hex decoding; throws DnssecError INVALID_BASE32HEX. */
export function decodeBase32Hex(text: string): Uint8Array {
  try {
    return fromBase32Hex(text);
  } catch (e) {
    throw new DnssecError('INVALID_BASE32HEX', (e as Error).message);
  }
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
