// TLSA certificate association data (RFC 6698 §2.1) for the lab's DANE records.

import { createHash, X509Certificate } from 'node:crypto';

/** TLSA certificate usage values (RFC 7218 mnemonics). The lab publishes DANE-EE. */
export const TlsaUsage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
/** TLSA selector: 0 = full certificate, 1 = SubjectPublicKeyInfo. */
export type TlsaSelector = 0 | 1;
/** TLSA matching type: 0 = exact match, 1 = SHA-256, 2 = SHA-512. */
export type TlsaMatchingType = 0 | 1 | 2;

/**
 * Certificate association data for a TLSA record over the DER certificate `certDer`.
 * The lab uses usage 3 (DANE-EE), selector 1, matching type 1: SHA-256 of the SPKI.
 */
export function tlsaData(certDer: Uint8Array, selector: TlsaSelector, matchingType: TlsaMatchingType): Uint8Array {
  const cert = new X509Certificate(certDer); // also rejects input that is not a certificate
  let selected: Uint8Array;
  switch (selector) {
    case 0:
      selected = certDer;
      break;
    case 1:
      selected = cert.publicKey.export({ type: 'spki', format: 'der' });
      break;
    default:
      throw new RangeError(`unsupported TLSA selector: ${String(selector)}`);
  }
  switch (matchingType) {
    case 0:
      return new Uint8Array(selected);
    case 1:
      return new Uint8Array(createHash('sha256').update(selected).digest());
    case 2:
      return new Uint8Array(createHash('sha512').update(selected).digest());
    default:
      throw new RangeError(`unsupported TLSA matching type: ${String(matchingType)}`);
  }
}
