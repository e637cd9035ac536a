/**
 * Transport limits and defaults, each with where it comes from (convention 13). Everything here can be overridden
 * through the options of the client that uses it.
 */

/** Largest DNS message a 2-octet length prefix can announce (RFC 1035 4.2.2, RFC 7766 8). */
export const MAX_MESSAGE = 65535;

/** A DNS header is 12 octets (RFC 1035 4.1.1); anything shorter cannot be a reply. */
export const HEADER_LENGTH = 12;

/**
 * Default upper bound for one query, in ms, when the caller gives no signal. The resolver passes its own adaptive
 * timeout (RTO from the infra table) through `AbortSignal.timeout`; this only stops a forgotten query from living
 * forever. Same order as RFC 9539's 4 s E-timeout plus one RTT.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

/** Time allowed for a TCP (and later TLS) connection to be ready: RFC 9539 4.3 E-timeout is 4 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 4000;

/**
 * Idle time before a stream connection is closed. RFC 7766 6.2.3 asks clients to minimise idle connections;
 * PowerDNS uses 10 s (`outgoing.tcp_max_idle_ms`), BIND's `tcp-reuse-timeout` 5 s. Servers' idle timeouts are
 * commonly 10-30 s, so closing ourselves first avoids racing their close.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 5000;

/**
 * Queries in flight on one stream connection. The ID space is 65536, but a server's own pipelining limit is
 * usually far lower (Unbound's `incoming-num-tcp` buffers, BIND's 64-ish per TCP client); 100 keeps well inside.
 */
export const DEFAULT_MAX_INFLIGHT = 100;

/** Connections per server key. RFC 7766 6.2.2 RECOMMENDS at most one concurrent connection for queries. */
export const DEFAULT_MAX_CONNECTIONS_PER_SERVER = 1;

/** Stream connections across all servers (A-TIMEOUT: bounded pool size; PowerDNS `tcp_max_idle_per_thread` 100). */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** Queries waiting for a connection slot per server before new ones fail with 'too-many-inflight'. */
export const DEFAULT_MAX_QUEUED_PER_SERVER = 1024;

/**
 * Frames on one connection that pair with no in-flight query before the connection is dropped as 'mismatched'.
 * Late replies to queries that timed out are legitimate, so this is generous; a server spewing garbage frames
 * still cannot keep the connection forever.
 */
export const DEFAULT_MAX_UNMATCHED_FRAMES = 64;

/** After a graceful `end()`, how long to wait for the server's FIN before destroying the socket. */
export const CLOSE_GRACE_MS = 1000;

/**
 * Servers whose TLS session tickets are cached (A-REUSE). Beyond this the least recently used server's tickets are
 * dropped; a full handshake is the only cost.
 */
export const DEFAULT_TLS_SESSION_KEYS = 1024;

/**
 * Tickets kept per server. OpenSSL-based servers send two after a full handshake and one after a resumption; each
 * ticket is used once (RFC 8446 C.4), so a few cover back-to-back reconnections.
 */
export const DEFAULT_TLS_TICKETS_PER_KEY = 4;

/**
 * Upper bound on a cached ticket's age. RFC 8446 4.6.1 caps ticket lifetime at 7 days; OpenSSL servers default to
 * 2 hours (Node's `sessionTimeout` to 5 minutes). A ticket the server no longer accepts just costs a full handshake.
 */
export const DEFAULT_TLS_TICKET_LIFETIME_MS = 2 * 3600 * 1000;

/** Largest DoH response body accepted: one DNS message (RFC 8484 6 carries exactly one). */
export const DEFAULT_DOH_MAX_RESPONSE = MAX_MESSAGE;

/** Concurrent DoH requests per HTTP/2 session before new ones fail with 'too-many-inflight'. */
export const DEFAULT_DOH_MAX_STREAMS = 1024;

/** RFC 8484 / RFC 9461 default URI template when the target carries no `dohpath`. */
export const DEFAULT_DOH_TEMPLATE = '/dns-query{?dns}';
