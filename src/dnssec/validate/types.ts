/**
 * Shared vocabulary of the DNSSEC validator (src/dnssec/validate/): the security status of a piece of data, the
 * verdict every check returns, and the per-request CPU budget that keeps hostile data (KeyTrap, CVE-2023-50387;
 * NSEC3 hashing, CVE-2023-50868) from turning one client query into seconds of cryptography.
 *
 * Every function of the validator is pure and synchronous, takes already-parsed records, and returns a Verdict;
 * none of them throws on hostile data. The resolver owns the I/O (fetching DS and DNSKEY RRsets, walking the chain
 * of trust) and creates one ValidationBudget per client request, shared by all of that request's sub-queries.
 */

import { EDE } from '../../wire/index.js';

/**
 * Security status of an RRset or a response (RFC 4035 section 4.3).
 * - `secure`: a chain of signed DNSKEY and DS RRsets leads from a trust anchor to the data, and its signatures
 *   verify (or, for a denial, the NSEC/NSEC3 records that prove it do).
 * - `insecure`: there is signed proof that no chain of trust reaches the data — a delegation proven to have no DS,
 *   an Opt-Out span, or a zone signed only with algorithms or digests we do not support (RFC 6840 5.2), or NSEC3
 *   parameters we refuse to process (RFC 9276 3.2). The data is used as if unsigned.
 * - `bogus`: a chain of trust should exist but the data fails it — bad or missing signatures, expired signatures,
 *   no proof of a denial, or input exceeding the validation budget. The resolver answers SERVFAIL.
 * - `indeterminate`: no trust anchor covers the data, so nothing can be said (the default of unvalidated data).
 */
export type SecStatus = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/** The outcome of one validation step. */
export interface Verdict {
  readonly status: SecStatus;
  /** RFC 8914 Extended DNS Error info code explaining a bogus or insecure result (see EDE in src/wire). */
  readonly ede?: number;
  /** Short human-readable explanation (for the request's explain log and EDE EXTRA-TEXT). */
  readonly reason: string;
}

/** The reason given whenever a ValidationBudget limit stops validation. */
export const BUDGET_EXCEEDED = 'validation budget exceeded';

export function secure(reason: string): Verdict {
  return { status: 'secure', reason };
}

export function insecure(reason: string, ede?: number): Verdict {
  return ede === undefined ? { status: 'insecure', reason } : { status: 'insecure', ede, reason };
}

export function bogus(reason: string, ede: number = EDE.DNSSEC_BOGUS): Verdict {
  return { status: 'bogus', ede, reason };
}

export function indeterminate(reason: string): Verdict {
  return { status: 'indeterminate', ede: EDE.DNSSEC_INDETERMINATE, reason };
}

/** Bogus because a budget ran out: EDE 6 for signature and key limits, EDE 27 for NSEC3 limits. */
export function budgetExceeded(ede: number = EDE.DNSSEC_BOGUS, detail?: string): Verdict {
  return bogus(detail === undefined ? BUDGET_EXCEEDED : `${BUDGET_EXCEEDED}: ${detail}`, ede);
}

/**
 * Limits on the work validation may do. Defaults follow PowerDNS Recursor 5.0.2 / 4.9.3 (the KeyTrap fixes;
 * standards.md 9.2) and RFC 9276 for NSEC3 iterations.
 */
export interface ValidationLimits {
  /** Signature verifications (public-key operations) per client request (pdns max-signature-validations-per-query). */
  readonly maxSignatureValidations: number;
  /** DNSKEYs considered for one (key tag, algorithm) pair, per RRSIG and per DS (pdns max-dnskeys). */
  readonly maxKeysPerTag: number;
  /** DS records accepted for one zone; a larger DS RRset is bogus (pdns max-ds-per-zone). */
  readonly maxDsPerZone: number;
  /** RRSIGs whose signature is checked for one RRset (pdns max-rrsigs-per-record). */
  readonly maxSigsPerRRset: number;
  /** NSEC3 records of one zone accepted for one proof; more is bogus (pdns max-nsec3s-per-record). */
  readonly maxNsec3PerProof: number;
  /** NSEC3 hash computations (one per name hashed, iterations included) per client request (pdns). */
  readonly maxNsec3Hashes: number;
  /**
   * NSEC3 records with more additional iterations than this make the proof insecure, with EDE 27 (RFC 9276 3.2;
   * pdns nsec3-max-iterations 50).
   */
  readonly maxNsec3Iterations: number;
  /**
   * Above this many iterations the proof is bogus, with EDE 27 (RFC 9276 3.2 allows either verdict). Off by default
   * (65535, the largest value the field holds): Unbound, Knot Resolver, BIND and PowerDNS all treat high iteration
   * counts as insecure, which costs no hashing at all, and Deckard's val_iter_high expects exactly that.
   */
  readonly maxNsec3IterationsBogus: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = Object.freeze({
  maxSignatureValidations: 30,
  maxKeysPerTag: 2,
  maxDsPerZone: 8,
  maxSigsPerRRset: 2,
  maxNsec3PerProof: 10,
  maxNsec3Hashes: 600,
  maxNsec3Iterations: 50,
  maxNsec3IterationsBogus: 65535,
});

/**
 * The validation work one client request may still do. The resolver makes one per client request and passes it to
 * every validation call of that request (sub-queries included); the validator takes from it before each
 * public-key operation and each NSEC3 hash, and gives up — bogus, "validation budget exceeded" — when it is empty.
 * Per-RRset, per-zone and per-proof limits (keys per tag, RRSIGs per RRset, DS per zone, NSEC3 per proof) are
 * read from `limits` by the functions that apply them.
 */
export class ValidationBudget {
  readonly limits: ValidationLimits;
  #signatures = 0;
  #nsec3Hashes = 0;
  #keyTagCollisions = 0;
  #exhausted = false;

  constructor(limits: Partial<ValidationLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_VALIDATION_LIMITS, ...limits });
  }

  /** Signature verifications performed so far. */
  get signatureValidations(): number {
    return this.#signatures;
  }

  /** NSEC3 hashes computed so far. */
  get nsec3Hashes(): number {
    return this.#nsec3Hashes;
  }

  /** DNSKEYs that shared a (key tag, algorithm) with another candidate key, for one RRSIG or DS, so far. */
  get keyTagCollisions(): number {
    return this.#keyTagCollisions;
  }

  /** True once a take* call was refused: the request must fail. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** Reserves one signature verification; false (and the budget exhausted) when none is left. */
  takeSignature(): boolean {
    if (this.#exhausted || this.#signatures >= this.limits.maxSignatureValidations) {
      this.#exhausted = true;
      return false;
    }
    this.#signatures++;
    return true;
  }

  /** Reserves one NSEC3 hash computation; false (and the budget exhausted) when none is left. */
  takeNsec3Hash(): boolean {
    if (this.#exhausted || this.#nsec3Hashes >= this.limits.maxNsec3Hashes) {
      this.#exhausted = true;
      return false;
    }
    this.#nsec3Hashes++;
    return true;
  }

  /** Records `n` keys that collided on (key tag, algorithm) with another candidate (a metric, not a limit). */
  noteKeyTagCollisions(n: number): void {
    if (n > 0) this.#keyTagCollisions += n;
  }
}
