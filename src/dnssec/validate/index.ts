/**
 * The DNSSEC validator's pure functions (no I/O): RRset and DNSKEY RRset verification, NSEC and NSEC3 denial
 * proofs, and the per-request validation budget. The NSEC and NSEC3 proofs share names, so they are exported as the
 * `nsec` and `nsec3` namespaces.
 */
export * from './keys.js';
export type { DenialVerdict, NoDsVerdict } from './nsec.js';
export * as nsec from './nsec.js';
export * as nsec3 from './nsec3.js';
export * from './rrset.js';
export * from './types.js';
