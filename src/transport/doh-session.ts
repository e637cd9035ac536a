/**
 * One DoH session: an HTTP/2 connection (RFC 8484 5.2, RFC 9113) to one server key carrying many concurrent
 * streams, one query per stream. The TLS connection comes from the TlsContext (TLS 1.3, ALPN "h2" required, the
 * target's authentication); HTTP/2 starts on it only after the server was authenticated. Like StreamClient, a
 * session is single-use: once it is closed (idle, GOAWAY, error) the client opens a new one for the next query.
 *
 * Each query goes out with DNS ID 0 (RFC 8484 4.1: cache friendly; the stream pairs request and response) and the
 * reply must still echo its question (RFC 7766 7 pairing). A response is accepted only with status 200 ('http-status'
 * otherwise, with the status), content type application/dns-message and at most `maxResponseBytes` octets
 * ('malformed' otherwise). No cookies, user agent or other identifying headers are sent (RFC 8484 8).
 */
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Clock } from './clock.js';
import { type CloseReason, newConnectionId, publishClose, publishConnect } from './diagnostics.js';
import { fromSocketError, TransportError } from './errors.js';
import { CLOSE_GRACE_MS, DEFAULT_DOH_TEMPLATE, HEADER_LENGTH } from './limits.js';
import { pairReply, setId, withId } from './pairing.js';
import type { PendingQuery } from './pending.js';
import type { TlsContext } from './tls.js';
import { type Target, targetRef } from './upstream.js';

export const DNS_MESSAGE = 'application/dns-message';

export type DohMethod = 'POST' | 'GET';

export interface DohSessionOptions {
  tls: TlsContext;
  /** Pool key, for diagnostics. */
  key: string;
  method: DohMethod;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxResponseBytes: number;
  /** Streams (queries) in flight or waiting for the connection. */
  maxStreams: number;
  clock: Clock;
}

export interface DohSessionHooks {
  /** The session no longer takes queries (GOAWAY, closing, closed); the client should forget it. */
  onUnusable(session: DohSession): void;
}

export type DohSessionState = 'connecting' | 'open' | 'closing' | 'closed';

interface Exchange {
  q: PendingQuery;
  stream: http2.ClientHttp2Stream;
  sentAt: number;
  answeredAtSend: number;
  reused: boolean;
}

/**
 * Expands a DoH URI template (RFC 9461 dohpath, RFC 6570 levels 1-3) with the single variable `dns`: for POST
 * `dns` is undefined (so `{?dns}` expands to nothing), for GET it is the base64url query. A template without a
 * `dns` variable gets `?dns=` (or `&dns=`) appended for GET.
 */
export function expandDohPath(template: string, dns?: string): string {
  let used = false;
  const expanded = template.replace(/\{([+#./;?&]?)([^}]*)\}/g, (_all, op: string, list: string) => {
    for (const spec of list.split(',')) {
      const m = /^([A-Za-z0-9_.%]+)(?::(\d+)|\*)?$/.exec(spec.trim());
      if (m === null || m[1] !== 'dns' || dns === undefined) continue;
      used = true;
      const value = m[2] === undefined ? dns : dns.slice(0, Number(m[2]));
      switch (op) {
        case '?':
          return `?dns=${value}`;
        case '&':
          return `&dns=${value}`;
        case ';':
          return `;dns=${value}`;
        case '#':
        case '.':
        case '/':
          return `${op}${value}`;
        default:
          return value;
      }
    }
    if (list.split(',').some((s) => s.trim().replace(/(:\d+|\*)$/, '') === 'dns')) used = true;
    return '';
  });
  if (dns === undefined || used) return expanded;
  return `${expanded}${expanded.includes('?') ? '&' : '?'}dns=${dns}`;
}

function authorityOf(target: Target): string {
  const host = target.authName
    ? target.authName.replace(/\.$/, '')
    : target.ip.includes(':')
      ? `[${target.ip}]`
      : target.ip;
  return target.port === 443 ? host : `${host}:${target.port}`;
}

export class DohSession {
  readonly id = newConnectionId();
  readonly target: Target;
  readonly #opts: DohSessionOptions;
  readonly #hooks: DohSessionHooks;
  #state: DohSessionState = 'connecting';
  #h2: http2.ClientHttp2Session | undefined;
  #socket: TLSSocket | undefined;
  readonly #waiting = new Set<PendingQuery>();
  readonly #active = new Set<Exchange>();
  readonly #connectAbort = new AbortController();
  #connectTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #closeReason: CloseReason = 'graceful';
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  readonly #startedAt: number;
  #openedAt = 0;
  #idleSince = 0;
  /** Responses (of any status) received on this session. */
  #answered = 0;

  constructor(target: Target, opts: DohSessionOptions, hooks: DohSessionHooks) {
    this.target = target;
    this.#opts = opts;
    this.#hooks = hooks;
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
    this.#startedAt = opts.clock.now();
    this.#connect();
  }

  get state(): DohSessionState {
    return this.#state;
  }

  /** Queries waiting for the connection plus streams in flight. */
  get inflight(): number {
    return this.#waiting.size + this.#active.size;
  }

  /** Streams in flight. */
  get running(): number {
    return this.#active.size;
  }

  /** Queries waiting for the connection. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Connecting or open and below the stream cap. */
  get accepting(): boolean {
    return (this.#state === 'connecting' || this.#state === 'open') && this.inflight < this.#opts.maxStreams;
  }

  get idle(): boolean {
    return this.#state === 'open' && this.inflight === 0;
  }

  get idleSince(): number {
    return this.#idleSince;
  }

  /** Takes a query if accepting; false otherwise. */
  dispatch(q: PendingQuery): boolean {
    if (!this.accepting || q.settled) return false;
    this.#clearIdle();
    q.connectionId = this.id;
    if (this.#state === 'open') this.#send(q, true);
    else {
      this.#waiting.add(q);
      q.detach = () => {
        this.#waiting.delete(q);
        this.#afterSettle();
      };
    }
    return true;
  }

  /** Stops taking queries, lets the streams in flight finish, then closes the connection. */
  close(reason: 'graceful' | 'idle' = 'graceful'): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return this.#closed;
    this.#closeReason = reason;
    this.#clearIdle();
    this.#state = 'closing';
    this.#hooks.onUnusable(this);
    if (this.inflight === 0) this.#end();
    return this.#closed;
  }

  /** Fails everything now and drops the connection. */
  destroy(err: TransportError): void {
    this.#finish(err, 'destroyed');
  }

  #connect(): void {
    const { connectTimeoutMs, clock, tls } = this.#opts;
    const target = this.target;
    this.#connectTimer = setTimeout(() => {
      this.#connectAbort.abort(
        new TransportError('connect-timeout', `doh ${target.ip}#${target.port}: not ready in ${connectTimeoutMs} ms`, {
          target: targetRef(target),
        }),
      );
    }, connectTimeoutMs);
    tls.connect({ target, signal: this.#connectAbort.signal, alpn: ['h2'], requireAlpn: 'h2' }).then(
      ({ socket }) => this.#onConnected(socket),
      (err: unknown) => {
        clearTimeout(this.#connectTimer);
        if (this.#state === 'closed') return;
        const e = fromSocketError(err, 'connect', target);
        publishConnect({
          server: targetRef(target),
          key: this.#opts.key,
          connectionId: this.id,
          ok: false,
          error: e,
          durationMs: clock.now() - this.#startedAt,
        });
        this.#finish(e, 'error');
      },
    );
  }

  #onConnected(socket: TLSSocket): void {
    clearTimeout(this.#connectTimer);
    if (this.#state === 'closed') {
      socket.destroy();
      return;
    }
    const now = this.#opts.clock.now();
    this.#socket = socket;
    const h2 = http2.connect(`https://${authorityOf(this.target)}`, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    this.#h2 = h2;
    this.#openedAt = now;
    this.#idleSince = now;
    h2.on('error', (err) => this.#finish(fromSocketError(err, 'established', this.target), 'error'));
    h2.on('goaway', () => {
      // The server is going away: streams it accepted still complete; new queries need a new session.
      if (this.#state === 'open' || this.#state === 'connecting') {
        this.#state = 'closing';
        this.#closeReason = 'peer';
        this.#hooks.onUnusable(this);
      }
    });
    h2.on('close', () => this.#onPeerClosed());
    publishConnect({
      server: targetRef(this.target),
      key: this.#opts.key,
      connectionId: this.id,
      ok: true,
      durationMs: now - this.#startedAt,
      ...(socket.localPort === undefined ? {} : { localPort: socket.localPort }),
    });
    if (this.#state === 'connecting') this.#state = 'open';
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const q of waiting) if (!q.settled) this.#send(q, false);
    if (this.inflight === 0) {
      if (this.#state === 'closing') this.#end();
      else this.#armIdle();
    }
  }

  #send(q: PendingQuery, reused: boolean): void {
    const h2 = this.#h2!;
    const { method, maxResponseBytes, clock } = this.#opts;
    const target = q.target;
    const where = `doh ${target.ip}#${target.port}`;
    const out = withId(q.wire, 0);
    const template = target.dohPath ?? DEFAULT_DOH_TEMPLATE;
    const headers: http2.OutgoingHttpHeaders = {
      ':method': method,
      ':scheme': 'https',
      ':path': expandDohPath(template, method === 'GET' ? Buffer.from(out).toString('base64url') : undefined),
      accept: DNS_MESSAGE,
    };
    if (method === 'POST') {
      headers['content-type'] = DNS_MESSAGE;
      headers['content-length'] = out.length;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = h2.request(headers, { endStream: method === 'GET' });
    } catch (err) {
      // Stream IDs exhausted or the session is going away: this session is done, the query may be retried.
      q.reject(
        new TransportError('closed', `${where}: cannot open a stream: ${String(err)}`, { target: targetRef(target) }),
      );
      void this.close();
      return;
    }
    const ex: Exchange = { q, stream, sentAt: clock.now(), answeredAtSend: this.#answered, reused };
    this.#active.add(ex);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      this.#active.delete(ex);
      fn();
      if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
      this.#afterSettle();
    };
    const fail = (code: TransportError['code'], msg: string, status?: number) =>
      settle(() =>
        q.reject(
          new TransportError(code, `${where}: ${msg}`, {
            target: targetRef(target),
            ...(status === undefined ? {} : { status }),
          }),
        ),
      );
    q.detach = (err) => {
      if (settled) return;
      settled = true;
      this.#active.delete(ex);
      if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
      const stalled = (err.code === 'timeout' || err.code === 'mismatched') && this.#answered === ex.answeredAtSend;
      if (stalled && this.#state !== 'closed') {
        // Nothing was answered on this session while the query waited: a silent or stuck server. Drop the
        // session so the next query gets a fresh one.
        this.#finish(
          new TransportError('closed', `${where}: session stalled`, { target: targetRef(this.target) }),
          'error',
        );
        return;
      }
      this.#afterSettle();
    };

    const chunks: Buffer[] = [];
    let size = 0;
    let ok = false;
    stream.on('response', (h) => {
      // Any response, even an HTTP error, shows the session is alive (stall detection).
      this.#answered++;
      const status = Number(h[':status']);
      if (status !== 200) {
        fail('http-status', `HTTP status ${status}`, status);
        return;
      }
      const type = String(h['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type !== DNS_MESSAGE) {
        fail('malformed', `content type "${type}", not ${DNS_MESSAGE}`);
        return;
      }
      const length = h['content-length'] === undefined ? undefined : Number(h['content-length']);
      if (length !== undefined && length > maxResponseBytes) {
        fail('malformed', `response of ${length} octets exceeds ${maxResponseBytes}`);
        return;
      }
      ok = true;
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxResponseBytes) {
        chunks.length = 0;
        fail('malformed', `response exceeds ${maxResponseBytes} octets`);
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (settled || !ok) return;
      const body = Buffer.concat(chunks, size);
      if (body.length < HEADER_LENGTH) {
        fail('malformed', `response of ${body.length} octets is shorter than a DNS header`);
        return;
      }
      if (pairReply(body, q.sig, 0) !== 'ok') {
        q.mismatched++;
        settle(() =>
          q.reject(
            new TransportError('mismatched', `${where}: the response does not answer the query`, {
              target: targetRef(target),
              mismatched: q.mismatched,
            }),
          ),
        );
        return;
      }
      setId(body, q.sig.id);
      settle(() =>
        q.resolve({
          wire: body,
          rttMs: clock.now() - ex.sentAt,
          protocol: 'doh',
          truncated: (body[2] & 0x02) !== 0,
          mismatched: q.mismatched,
          reused: ex.reused,
        }),
      );
    });
    stream.on('error', (err) => fail('closed', `stream failed: ${err.message}`));
    stream.on('close', () => fail('closed', `stream closed without a response (code ${stream.rstCode})`));
    if (method === 'POST') stream.end(out);
  }

  #afterSettle(): void {
    if (this.#state === 'closed' || this.inflight > 0) return;
    this.#idleSince = this.#opts.clock.now();
    if (this.#state === 'closing') this.#end();
    else if (this.#state === 'open') this.#armIdle();
  }

  #armIdle(): void {
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => void this.close('idle'), this.#opts.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Sends GOAWAY and waits for the connection to close (bounded by a grace period). */
  #end(): void {
    const h2 = this.#h2;
    if (h2 === undefined) {
      if (this.#state !== 'closed' && this.#socket === undefined && this.#waiting.size === 0) {
        // Still connecting with nothing to send: give up the attempt.
        this.#finish(undefined, this.#closeReason);
      }
      return;
    }
    if (this.#graceTimer !== undefined) return;
    if (!h2.closed) h2.close();
    this.#graceTimer = setTimeout(() => this.#finish(undefined, this.#closeReason), CLOSE_GRACE_MS);
    this.#graceTimer.unref();
  }

  #onPeerClosed(): void {
    if (this.#state === 'closed') return;
    if (this.inflight === 0) {
      this.#finish(undefined, this.#state === 'closing' ? this.#closeReason : 'peer');
      return;
    }
    this.#finish(
      new TransportError('closed', `${this.target.ip}#${this.target.port}: server closed the session`, {
        target: targetRef(this.target),
      }),
      'peer',
    );
  }

  #finish(err: TransportError | undefined, reason: CloseReason): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#h2 !== undefined;
    this.#state = 'closed';
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.#clearIdle();
    if (!this.#connectAbort.signal.aborted)
      this.#connectAbort.abort(
        err ?? new TransportError('shutdown', 'session closed', { target: targetRef(this.target) }),
      );
    const failure =
      err ?? new TransportError('closed', 'session closed with queries in flight', { target: targetRef(this.target) });
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    const active = [...this.#active];
    this.#active.clear();
    for (const q of waiting) q.reject(failure);
    for (const ex of active) ex.q.reject(failure);
    this.#h2?.destroy();
    this.#socket?.destroy();
    if (wasOpen)
      publishClose({
        server: targetRef(this.target),
        key: this.#opts.key,
        connectionId: this.id,
        reason,
        ...(err === undefined ? {} : { error: err }),
        answered: this.#answered,
        durationMs: this.#opts.clock.now() - this.#openedAt,
      });
    this.#markClosed();
    this.#hooks.onUnusable(this);
  }
}
