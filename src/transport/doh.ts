/**
 * DNS over HTTPS (RFC 8484) towards authoritative servers that signal it (RFC 9461 `alpn=h2` + `dohpath`). One
 * HTTP/2 session per pool key (convention 7: the key carries the authentication terms, so an authenticated session
 * never serves an unauthenticated query), reused for many concurrent streams, closed when idle; TLS settings,
 * authentication (none / PKIX / DANE) and ticket resumption come from the shared TlsContext, as for DoT.
 *
 * POST (the default) sends the query as an application/dns-message body; GET sends it base64url-encoded without
 * padding in the `dns` variable of the target's URI template (`{?dns}`), RFC 8484 4.1 and 6.
 */
import { type Clock, systemClock } from './clock.js';
import { type DohMethod, DohSession } from './doh-session.js';
import { TransportError } from './errors.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DOH_MAX_RESPONSE,
  DEFAULT_DOH_MAX_STREAMS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_QUERY_TIMEOUT_MS,
  MAX_MESSAGE,
} from './limits.js';
import { PendingQuery } from './pending.js';
import { TlsContext } from './tls.js';
import {
  checkTarget,
  shutdownError,
  type Target,
  targetKey,
  targetRef,
  UpstreamBase,
  type UpstreamReply,
} from './upstream.js';

export { DNS_MESSAGE, type DohMethod, expandDohPath } from './doh-session.js';

export interface DohOptions {
  /** TLS settings, ticket cache and counters; share the Transport's so DoT and DoH count together. */
  tls?: TlsContext;
  /** HTTP method (default POST). */
  method?: DohMethod;
  /** TCP + TLS handshake deadline. */
  connectTimeoutMs?: number;
  /** A session with no stream for this long is closed. */
  idleTimeoutMs?: number;
  /** Deadline per query (waiting for the session included) when the caller's signal does not end it first. */
  queryTimeoutMs?: number;
  /** Largest response body accepted (default and maximum 65535). */
  maxResponseBytes?: number;
  /** Sessions across all servers; at the cap the longest-idle one is closed, or the query fails. */
  maxSessions?: number;
  /** Queries in flight (or waiting for the connection) per session. */
  maxStreamsPerSession?: number;
  clock?: Clock;
}

export interface DohStats {
  /** Sessions connecting, open or closing. */
  sessions: number;
  /** Open sessions. */
  connected: number;
  /** Streams in flight. */
  running: number;
  /** Queries waiting for a session to connect. */
  pending: number;
}

export class DohClient extends UpstreamBase {
  readonly tls: TlsContext;
  readonly #sessions = new Map<string, DohSession>();
  /** Sessions no longer in the map (GOAWAY, closing) whose streams are still finishing. */
  readonly #retiring = new Set<DohSession>();
  readonly #method: DohMethod;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #queryTimeoutMs: number;
  readonly #maxResponse: number;
  readonly #maxSessions: number;
  readonly #maxStreams: number;
  readonly #clock: Clock;

  constructor(opts: DohOptions = {}) {
    super();
    this.#clock = opts.clock ?? systemClock;
    this.tls = opts.tls ?? new TlsContext({ clock: this.#clock });
    this.#method = opts.method ?? 'POST';
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#queryTimeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#maxResponse = Math.min(opts.maxResponseBytes ?? DEFAULT_DOH_MAX_RESPONSE, MAX_MESSAGE);
    this.#maxSessions = opts.maxSessions ?? DEFAULT_MAX_CONNECTIONS;
    this.#maxStreams = opts.maxStreamsPerSession ?? DEFAULT_DOH_MAX_STREAMS;
  }

  get stats(): DohStats {
    const s: DohStats = { sessions: 0, connected: 0, running: 0, pending: 0 };
    for (const x of this.#all()) {
      s.sessions++;
      if (x.state === 'open') s.connected++;
      s.running += x.running;
      s.pending += x.pending;
    }
    return s;
  }

  /** The session currently serving `target`, if any. */
  session(target: Target): DohSession | undefined {
    return this.#sessions.get(targetKey(target));
  }

  protected dispatch(
    wire: Uint8Array,
    target: Target,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply> {
    checkTarget(target);
    if (target.protocol !== 'doh')
      throw new TransportError('unsupported-protocol', `DoH client asked for ${target.protocol}`, {
        target: targetRef(target),
      });
    if (target.dohPath !== undefined && !target.dohPath.startsWith('/'))
      throw new TransportError('bad-target', `dohpath "${target.dohPath}" is not an absolute path`, {
        target: targetRef(target),
      });
    const q = new PendingQuery(wire, target, {
      timeoutMs: timeoutMs ?? this.#queryTimeoutMs,
      signal,
      clock: this.#clock,
    });
    if (q.settled) return q.promise;
    const key = targetKey(target);
    let session = this.#sessions.get(key);
    if (session !== undefined && !session.accepting) {
      q.reject(
        new TransportError('too-many-inflight', `${session.inflight} queries already in flight on ${key}`, {
          target: targetRef(target),
        }),
      );
      return q.promise;
    }
    if (session === undefined) {
      if (!this.#admit()) {
        q.reject(
          new TransportError('connection-limit', 'DoH session cap reached and no idle session to release', {
            target: targetRef(target),
          }),
        );
        return q.promise;
      }
      session = this.#open(key, target);
    }
    session.dispatch(q);
    return q.promise;
  }

  #open(key: string, target: Target): DohSession {
    const session = new DohSession(
      { ...target },
      {
        tls: this.tls,
        key,
        method: this.#method,
        connectTimeoutMs: this.#connectTimeoutMs,
        idleTimeoutMs: this.#idleTimeoutMs,
        maxResponseBytes: this.#maxResponse,
        maxStreams: this.#maxStreams,
        clock: this.#clock,
      },
      {
        onUnusable: (s) => {
          if (this.#sessions.get(key) === s) this.#sessions.delete(key);
          if (s.state === 'closed') this.#retiring.delete(s);
          else this.#retiring.add(s);
        },
      },
    );
    this.#sessions.set(key, session);
    return session;
  }

  *#all(): Iterable<DohSession> {
    yield* this.#sessions.values();
    yield* this.#retiring;
  }

  /** Whether one more session fits under the cap, closing the longest-idle one if that makes room. */
  #admit(): boolean {
    if (this.#sessions.size + this.#retiring.size < this.#maxSessions) return true;
    let victim: DohSession | undefined;
    for (const s of this.#sessions.values())
      if (s.idle && (victim === undefined || s.idleSince < victim.idleSince)) victim = s;
    if (victim === undefined) return false;
    void victim.close('idle');
    return true;
  }

  protected async onClose(): Promise<void> {
    await Promise.all([...this.#all()].map((s) => s.close()));
    this.#sessions.clear();
    this.#retiring.clear();
  }

  protected onDestroy(err?: Error): void {
    for (const s of [...this.#all()]) s.destroy(shutdownError(err, s.target));
    this.#sessions.clear();
    this.#retiring.clear();
  }
}
