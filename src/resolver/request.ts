import { EDE } from '../wire/index.js';
import type { AliasLink } from './classify.js';
import { LIMITS } from './limits.js';

/** One line of a request's explanation (convention 16): what was decided, where, and why. */
export interface ExplainEntry {
  at: number;
  stage: string;
  text: string;
  ede?: number;
}

/** One upstream exchange, for the privacy report. */
export interface Hop {
  zone: string;
  server?: string;
  ip: string;
  port: number;
  qname: string;
  qtype: number;
  protocol: 'udp' | 'tcp' | 'dot' | 'doh';
  encrypted: boolean;
  authenticated: boolean;
  /** Why this transport: strict signal, opportunistic signal, probe, fallback, policy, default. */
  why: string;
  outcome: string;
  /** Why the exchange failed, as the transport said it (for diagnostics and EDE texts). */
  detail?: string;
  rttMs?: number;
}

/** A resolution that cannot go on: SERVFAIL with an Extended DNS Error. */
export class ResolveFailure extends Error {
  override readonly name = 'ResolveFailure';
  readonly ede: number;
  /** The alias links followed before the failure (a CNAME/DNAME loop shows its records with the SERVFAIL). */
  readonly chain: AliasLink[];
  constructor(ede: number, text: string, chain: AliasLink[] = []) {
    super(text);
    this.ede = ede;
    this.chain = chain;
  }
}

/**
 * Per-client-request state: the budgets shared by the request and all its
 * sub-queries, the explanation log and the privacy hops. Everything here dies
 * with the request.
 */
export class RequestState {
  queries = 0;
  nsLookups = 0;
  outstanding = 0;
  readonly deadline: number;
  readonly explain: ExplainEntry[] = [];
  readonly hops: Hop[] = [];
  /** (name|type) lookups in progress, to break dependency cycles (TsuNAME, glueless loops). */
  readonly inProgress = new Set<string>();
  /** The client came over an encrypted transport (follow-client policy, cache partitioning). */
  clientEncrypted = false;
  readonly #now: () => number;
  readonly maxQueries: number;

  constructor(now: () => number, opts: { maxMs?: number; maxQueries?: number } = {}) {
    this.#now = now;
    this.deadline = now() + (opts.maxMs ?? LIMITS.MAX_REQUEST_MS);
    this.maxQueries = opts.maxQueries ?? LIMITS.MAX_QUERIES_PER_REQUEST;
  }

  now(): number {
    return this.#now();
  }

  note(stage: string, text: string, ede?: number): void {
    if (this.explain.length < 500) this.explain.push({ at: this.#now(), stage, text, ede });
  }

  /** Charges one upstream query to the budget or fails the request. */
  chargeQuery(): void {
    if (++this.queries > this.maxQueries)
      throw new ResolveFailure(EDE.OTHER, `query budget of ${this.maxQueries} upstream queries exhausted`);
    if (this.#now() > this.deadline) throw new ResolveFailure(EDE.NO_REACHABLE_AUTHORITY, 'time budget exhausted');
  }

  chargeNsLookup(): void {
    if (++this.nsLookups > LIMITS.MAX_NS_LOOKUPS_PER_REQUEST)
      throw new ResolveFailure(EDE.OTHER, `nameserver-lookup budget of ${LIMITS.MAX_NS_LOOKUPS_PER_REQUEST} exhausted`);
  }

  remainingMs(): number {
    return this.deadline - this.#now();
  }
}
