/**
 * Typed errors for the DNSSEC primitives (src/dnssec/*).
 *
 * Every error thrown on purpose by this module is a `DnssecError` with a stable string `code`, so callers
 * can branch on the code (e.g. "bad key" vs "unsupported algorithm") without parsing messages.
 */

export type DnssecErrorCode =
  /** The DNSSEC algorithm number is unknown or not implemented (e.g. DSA 3/6, GOST 12). */
  | 'UNSUPPORTED_ALGORITHM'
  /** The DS digest type is unknown or not implemented. */
  | 'UNSUPPORTED_DIGEST'
  /** A DNSKEY public key field is malformed for its algorithm (wrong length, not on the curve, bad RSA encoding...). */
  | 'BAD_PUBLIC_KEY'
  /** A private key (KeyObject or BIND `Private-key-format` text) is malformed or inconsistent. */
  | 'BAD_PRIVATE_KEY'
  /** A KeyObject does not belong to the requested algorithm (e.g. an RSA key passed to ED25519). */
  | 'KEY_ALGORITHM_MISMATCH'
  /** DNSKEY RDATA is too short to hold flags, protocol and algorithm (and, for algorithm 1, a key). */
  | 'BAD_DNSKEY_RDATA'
  /** NSEC3 hash parameters are out of range (iterations not uint16, salt longer than 255 octets). */
  | 'BAD_NSEC3_PARAMS'
  /** Text is not valid unpadded base32hex (RFC 4648 section 7). */
  | 'INVALID_BASE32HEX'
  /** Text is not valid base64 (RFC 4648 section 4). */
  | 'INVALID_BASE64'
  /** Records handed to the signer do not form one RRset (empty, mixed owner/type/class, or RRSIG records). */
  | 'BAD_RRSET'
  /** A zone handed to the signer is unusable (no single SOA at the origin, out-of-zone records, misplaced DS...). */
  | 'BAD_ZONE'
  /** A signing key is unusable (missing ZONE flag, no key given, a .key file that does not match the private key). */
  | 'BAD_SIGNING_KEY'
  /** Signer options are out of range (signature times, NSEC3 parameters, TTLs). */
  | 'BAD_SIGNER_OPTIONS';

export class DnssecError extends Error {
  override readonly name = 'DnssecError';
  readonly code: DnssecErrorCode;

  constructor(code: DnssecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is a DnssecError (optionally with the given code). */
export function isDnssecError(err: unknown, code?: DnssecErrorCode): err is DnssecError {
  return err instanceof DnssecError && (code === undefined || err.code === code);
}
