/**
 * Errors of the transport layer. Every failed exchange surfaces as a TransportError whose `code` comes from one
 * closed union; the same union (plus 'ok' and the reply classes the resolver adds) is the typed outcome that server
 * selection and the infra table record (conventions 5 and 10, like Knot's `kr_selection_error` and undici's codes).
 */
import type { Protocol, Target } from './upstream.js';

export type TransportErrorCode =
  /** No paired reply before the query's deadline (its own timer or an `AbortSignal.timeout`). */
  | 'timeout'
  /** The server refused the connection (TCP RST) or answered with ICMP port unreachable (UDP). */
  | 'connect-refused'
  /** The connection (TCP handshake, and for DoT the TLS handshake) did not complete in time. */
  | 'connect-timeout'
  /** No route, host or network unreachable, or the local stack refused to send (EHOSTUNREACH, ENETUNREACH...). */
  | 'unreachable'
  /** The TLS handshake failed (alert, protocol version, no shared cipher). */
  | 'tls-handshake'
  /** The TLS handshake completed but the server was not authenticated as the target asked (PKIX or DANE). */
  | 'tls-auth-failed'
  /** A DoH server answered with an HTTP status other than 200. */
  | 'http-status'
  /** The server sent bytes that are not a DNS reply: short frame, undecodable message, DoH content type or size. */
  | 'malformed'
  /** Replies arrived but none was paired to the query (wrong ID, question or source) before the deadline. */
  | 'mismatched'
  /** The reply had TC set where no larger transport exists (reported by the resolver; the transport only flags TC). */
  | 'truncated'
  /** The connection closed (by the server, or reset) while the query was in flight; retrying on a new one is safe. */
  | 'closed'
  /** The caller aborted the query through its AbortSignal. */
  | 'aborted'
  /** The server's queue of waiting queries is full. */
  | 'too-many-inflight'
  /** The global connection cap is reached and no idle connection could be released for this server. */
  | 'connection-limit'
  /** The query bytes are not a DNS query the transport can pair (shorter than a header, more than one question). */
  | 'bad-query'
  /** The target is unusable (not an IP literal, port out of range). */
  | 'bad-target'
  /** No transport is wired for the target's protocol. */
  | 'unsupported-protocol'
  /** The local upstream was closed or destroyed; the query was not sent or was failed by `destroy()`. */
  | 'shutdown';

/** Outcomes that only the resolver can see, from the content of a paired reply (convention 10). */
export type ReplyOutcome = 'refused' | 'servfail' | 'formerr-edns' | 'lame' | 'dnssec-bogus';

/** How one exchange with one server ended; what the infra table records. */
export type Outcome = 'ok' | TransportErrorCode | ReplyOutcome;

/** Bounded label set for metrics: every outcome, plus 'internal' for anything that is not a TransportError. */
export type MetricLabel = Outcome | 'internal';

export interface TransportErrorOptions {
  cause?: unknown;
  /** Where the exchange was going (ip, port, protocol). */
  target?: Pick<Target, 'ip' | 'port' | 'protocol'>;
  /** Replies dropped because they were not paired to the query. */
  mismatched?: number;
  /** HTTP status for 'http-status'. */
  status?: number;
  /** Milliseconds between the start of the query and the failure. */
  elapsedMs?: number;
  /** RFC 8914 extended error code the resolver may report for this failure. */
  ede?: number;
  /** For 'tls-auth-failed': which check failed. */
  authFailure?: TlsAuthFailure;
}

/** Why a TLS server failed authentication ('tls-auth-failed'). */
export type TlsAuthFailure =
  /** `auth: 'dane'` with no usable TLSA record (only PKIX usages, unknown parameters...); nothing was sent. */
  | 'no-usable-tlsa'
  /** The server presented no certificate (and the session was not resumed under a valid verdict). */
  | 'no-certificate'
  /** No usable TLSA record matched the presented certificates. */
  | 'dane-mismatch'
  /** A DANE-TA record matched but the leaf does not chain to it. */
  | 'dane-chain'
  /** A DANE-TA record matched and the chain is valid, but the leaf is not valid for the authentication name. */
  | 'dane-name'
  /** The Web PKI chain did not verify against the trusted CAs. */
  | 'pkix-chain'
  /** The chain verified but the leaf has no subjectAltName dNSName for the authentication name. */
  | 'pkix-name';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  readonly target: { ip: string; port: number; protocol: Protocol } | undefined;
  readonly mismatched: number | undefined;
  readonly status: number | undefined;
  readonly elapsedMs: number | undefined;
  readonly ede: number | undefined;
  readonly authFailure: TlsAuthFailure | undefined;

  constructor(code: TransportErrorCode, message: string, opts: TransportErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.target = opts.target === undefined ? undefined : { ...opts.target };
    this.mismatched = opts.mismatched;
    this.status = opts.status;
    this.elapsedMs = opts.elapsedMs;
    this.ede = opts.ede;
    this.authFailure = opts.authFailure;
  }

  get metricLabel(): MetricLabel {
    return this.code;
  }

  /** True when the query may not have been processed and can be sent again on a fresh connection. */
  get retryable(): boolean {
    return this.code === 'closed';
  }
}

export function isTransportError(err: unknown, code?: TransportErrorCode): err is TransportError {
  return err instanceof TransportError && (code === undefined || err.code === code);
}

/** The bounded metric label of any thrown value (like hickory's `as_metrics_label`). */
export function metricLabel(err: unknown): MetricLabel {
  return err instanceof TransportError ? err.code : 'internal';
}

const UNREACHABLE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
  'EACCES',
  'EPERM',
]);

/**
 * Normalises a Node socket error. `phase` says whether the connection was established: the same ECONNRESET is a
 * refusal while connecting and a closed connection afterwards.
 */
export function fromSocketError(
  err: unknown,
  phase: 'connect' | 'established',
  target: Pick<Target, 'ip' | 'port' | 'protocol'>,
): TransportError {
  if (err instanceof TransportError) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  const sys = typeof errno === 'string' ? errno : 'unknown';
  const where = `${target.protocol} ${target.ip}#${target.port}`;
  const msg = err instanceof Error ? err.message : String(err);
  let code: TransportErrorCode;
  if (sys === 'ECONNREFUSED') code = 'connect-refused';
  else if (sys === 'ETIMEDOUT') code = phase === 'connect' ? 'connect-timeout' : 'timeout';
  else if (UNREACHABLE.has(sys)) code = 'unreachable';
  else if (phase === 'connect' && sys === 'ECONNRESET') code = 'connect-refused';
  else code = 'closed';
  return new TransportError(code, `${where}: ${msg}`, { cause: err, target });
}
