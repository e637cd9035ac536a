/**
 * Every limit of the iterative resolver, in one place, with where it comes from.
 * Budgets marked "per request" are shared by a client request and all the
 * sub-queries it spawns (NS address lookups, DS/DNSKEY fetches, signal lookups).
 */
export const LIMITS = {
  /** Referrals followed for one name (Unbound MAX_REFERRAL_COUNT 130 is for deep trees; real trees need < 20). */
  MAX_REFERRALS: 30,
  /** CNAME/DNAME links followed for one client query (RFC 9520 2.5 alias loops; Unbound allows 11, Knot 13). */
  MAX_CNAME_CHAIN: 16,
  /** Upstream queries sent for one client request, all sub-queries included (PowerDNS max-qperq 50; NXNSAttack). */
  MAX_QUERIES_PER_REQUEST: 60,
  /** Nameserver-name address lookups for one client request (PowerDNS max-ns-address-qperq 10). */
  MAX_NS_LOOKUPS_PER_REQUEST: 12,
  /** Nameserver names of one delegation resolved at the same time (NXNSAttack: resolve lazily, few at once). */
  MAX_NS_LOOKUPS_IN_PARALLEL: 3,
  /** Nameserver addresses tried for one delegation before giving up (Unbound MAX_TARGET_COUNT is 64 per request). */
  MAX_TARGETS_PER_DELEGATION: 16,
  /** Depth of nested sub-queries (a name server's name needing another delegation walk...): TsuNAME guard. */
  MAX_DEPTH: 7,
  /** Upstream queries in flight for one client request. */
  MAX_OUTSTANDING_PER_REQUEST: 8,
  /** Wall-clock budget of one client request (PowerDNS max-total-msec 7000; RFC 8767 resolution timer 10 s). */
  MAX_REQUEST_MS: 8000,
  /**
   * Sends of the same query to the same server over the same transport (RFC 9520 3.1: at most 3, i.e. two retries)
   * when the server is known to answer (it replied before and is not down: busy, or a datagram was lost). A server
   * that timed out is asked again once no other server of the zone is left, each resend waiting at least twice as
   * long as the one before.
   */
  MAX_SENDS_PER_SERVER: 3,
  /** The same for a server never heard from, or down: one retry (a silent zone fails fast). */
  MAX_SENDS_SILENT_SERVER: 2,
  /** RFC 9156 2.3: MAX_MINIMISE_COUNT and MINIMISE_ONE_LAB. */
  MAX_MINIMISE_COUNT: 10,
  MINIMISE_ONE_LAB: 4,
  /** EDNS UDP payload size advertised upstream (DNS Flag Day 2020, RFC 9715). */
  EDNS_UDP_SIZE: 1232,
  /** Client requests being resolved at once (global); beyond it new requests get SERVFAIL with EDE 0 ("resolver busy"). */
  MAX_CONCURRENT_REQUESTS: 2000,
  /** Resolution-failure cache (RFC 9520 3.2): at least 1 s, at most 300 s, starting at 5 s with backoff. */
  FAILURE_CACHE_MIN_S: 5,
  FAILURE_CACHE_MAX_S: 300,
} as const;
