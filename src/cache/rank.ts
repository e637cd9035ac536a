/**
 * Trust ranking of cached data (RFC 2181 5.4.1), lowest first. Data of a higher rank
 * replaces data of a lower rank; equal ranks replace each other (fresher wins).
 * Additional-section data and glue are never used to answer clients directly.
 */
export enum Rank {
  /** Additional section, glue. */
  Additional = 1,
  /** Authority section of a non-authoritative answer (referral NS). */
  NonAuthAuthority = 2,
  /** Answer section of a non-authoritative answer. */
  NonAuthAnswer = 3,
  /** Authority section of an authoritative answer (SOA of a negative answer, NS). */
  AuthAuthority = 4,
  /** Answer section of an authoritative answer. */
  AuthAnswer = 5,
}

/** DNSSEC security status of cached data (RFC 4035 4.3); unvalidated data is indeterminate. */
export type Security = 'indeterminate' | 'insecure' | 'secure' | 'bogus';

/** Ordering used when ranks tie: secure data beats insecure/indeterminate, which beat bogus. */
export function securityWeight(s: Security): number {
  switch (s) {
    case 'bogus':
      return 0;
    case 'indeterminate':
      return 1;
    case 'insecure':
      return 2;
    case 'secure':
      return 3;
  }
}

/** Whether a candidate may replace what is cached (the existing entry still live). */
export function mayReplace(oldRank: Rank, oldSec: Security, newRank: Rank, newSec: Security): boolean {
  if (newSec === 'secure' && oldSec !== 'secure') return true;
  if (oldSec === 'secure' && newSec !== 'secure') return false;
  if (newRank !== oldRank) return newRank > oldRank;
  return securityWeight(newSec) >= securityWeight(oldSec);
}
