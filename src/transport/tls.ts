/**
 * TLS for the encrypted transports: one place that opens a TLS 1.3 connection, authenticates the server as the
 * target asks and resumes sessions. DoT (RFC 7858) uses it as the Agent's connector for 'dot', so DoT shares TCP's
 * framing, pipelining, pooling and timeouts; DoH (doh.ts) runs HTTP/2 on the sockets it returns. A socket is handed
 * over only after the handshake and authentication succeeded, so no DNS byte (nor, for DoH, the HTTP/2 preface) is
 * ever written to a server that failed them; a failed server's socket is destroyed at once.
 *
 * Profile (standards 7.4, M10): TLS 1.3 only, pinned at both ends (`minVersion` and `maxVersion`), so a server that
 * cannot do 1.3 fails the handshake ('tls-handshake') and is never spoken to over 1.2; no compression (OpenSSL 3
 * has none); no 0-RTT, ECH or raw public keys (not available on Node 20).
 *
 * Authentication (`target.auth`), RFC 8310 5 and 8:
 * - 'none': opportunistic privacy, encrypted and unauthenticated. The certificate is not looked at.
 * - 'pkix': the chain must verify against the trusted CAs (`TlsOptions.ca`, default Node's roots) and the leaf must
 *   carry `authName` as a subjectAltName dNSName (never the subject CN).
 * - 'dane': the presented certificates must match the target's TLSA records (dane.ts). A set without usable records
 *   fails with 'tls-auth-failed' / 'no-usable-tlsa' before anything is sent: encrypting without authentication
 *   is the caller's decision (retry with `auth: 'none'`), not the transport's.
 * OpenSSL's verdict is read after the handshake (`rejectUnauthorized: false`) so every failure takes the same path:
 * destroy the socket, fail with 'tls-auth-failed' and an `authFailure` reason.
 *
 * SNI (standards 12.8, privacy): sent only when the server is authenticated by name: always for 'pkix', and for
 * 'dane' only when the usable set holds a DANE-TA record (its check needs the name, and a server with several
 * certificates needs SNI to present the one the TA record covers). DANE-EE ignores names (RFC 7671 5.1), so the
 * nameserver name is not put in the clear ClientHello for it, nor for unauthenticated connections. A server that
 * needs SNI to pick its certificate but is authenticated by DANE-EE must publish a TLSA record for the certificate
 * it serves without SNI.
 *
 * Resumption: tickets are cached per `sessionKey(target)` (session-cache.ts) and offered on the next connection. A
 * resumed session presents no certificate, so the verdict is bound to the ticket: tickets are stored only once the
 * connection they arrived on was authenticated, together with the binding (mode and, for DANE, the TLSA set hash);
 * a ticket is offered only under the same binding, and resumption then counts as authenticated ('resumed').
 */
import { X509Certificate } from 'node:crypto';
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import { type Clock, systemClock } from './clock.js';
import type { Connector, ConnectRequest } from './connector.js';
import { daneVerify, hasDnsName, tlsaSetHash, usableTlsa } from './dane.js';
import { publishTls, type TlsAuthenticatedBy } from './diagnostics.js';
import { fromSocketError, type TlsAuthFailure, TransportError } from './errors.js';
import { TlsSessionCache, type TlsSessionCacheOptions } from './session-cache.js';
import { checkTarget, sessionKey, type Target, type TlsaRecord, targetRef } from './upstream.js';

/** The only TLS version sealdns speaks (M10). */
export const TLS_VERSION = 'TLSv1.3';

/** Certificates read from a presented chain, leaf included; longer chains are cut (DANE-TA only walks them). */
const MAX_CHAIN = 10;

export interface TlsOptions {
  /**
   * Trust anchors for `auth: 'pkix'` (PEM). When given they replace Node's bundled roots, as Node's `ca` does;
   * tests inject their own CA here.
   */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** The ticket cache, or options for a new one. */
  sessions?: TlsSessionCache | TlsSessionCacheOptions;
  clock?: Clock;
}

/** Counters since the context was created. */
export interface TlsStats {
  /** Full handshakes that completed and authenticated as asked. */
  handshakes: number;
  /** Resumed sessions (abbreviated handshakes from a cached ticket) that were accepted. */
  resumptions: number;
  /** Attempts that failed before the handshake completed (TCP or TLS), timeouts and aborts included. */
  handshakeFailures: number;
  /** Handshakes that completed but failed authentication, plus DANE targets without usable TLSA. */
  authFailures: number;
  /** Tickets offered to a server. */
  ticketsOffered: number;
  /** Offered tickets the server declined (it did a full handshake). */
  ticketsDeclined: number;
  /** Tickets cached after a successful authentication. */
  ticketsStored: number;
  /** Cached tickets dropped unused because their binding (TLSA set) no longer matched the target. */
  ticketsDropped: number;
  /** Servers with cached tickets right now. */
  cachedSessions: number;
}

export interface TlsConnectRequest extends ConnectRequest {
  /** ALPN protocols to offer, in preference order. */
  alpn: readonly string[];
  /** Fail with 'tls-handshake' unless the server selects this protocol (DoH needs "h2"). */
  requireAlpn?: string;
}

export interface TlsConnection {
  socket: TLSSocket;
  resumed: boolean;
  authenticatedBy: TlsAuthenticatedBy;
}

type Counters = Omit<TlsStats, 'cachedSessions'>;

/** What a ticket's verdict is bound to; a ticket is only offered under the same binding. */
function bindingOf(t: Target): string {
  return t.auth === 'dane' ? `dane:${tlsaSetHash(t.tlsa)}` : t.auth;
}

function reasonOf(signal: AbortSignal, target: Target): TransportError {
  const r: unknown = signal.reason;
  return r instanceof TransportError
    ? r
    : new TransportError('aborted', 'connection attempt aborted', { cause: r, target: targetRef(target) });
}

/**
 * The certificates the server presented: the leaf and its issuers, leaf's issuer first (Node links them through
 * `issuerCertificate`). Read from one `getPeerCertificate(true)` call: on Node 20, calling
 * `getPeerX509Certificate()` first leaves `getPeerCertificate(true)` empty. A resumed TLS 1.3 session has none.
 * Node may complete the list with an issuer from the local trust store that the server did not send; a DANE-TA match
 * on it is still sound (the TLSA record designates that certificate, and every signature up to it is checked).
 */
function presented(
  socket: TLSSocket,
  withIssuers: boolean,
): { leaf: X509Certificate | undefined; issuers: X509Certificate[] } {
  const detailed = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  if (detailed?.raw === undefined) return { leaf: undefined, issuers: [] };
  const issuers: X509Certificate[] = [];
  let c = detailed;
  while (withIssuers && c.issuerCertificate !== undefined && c.issuerCertificate !== c && issuers.length < MAX_CHAIN) {
    c = c.issuerCertificate;
    if (c.raw === undefined) break;
    issuers.push(new X509Certificate(c.raw));
  }
  return { leaf: new X509Certificate(detailed.raw), issuers };
}

/** Owns the TLS settings, the ticket cache and the counters shared by DoT and DoH. */
export class TlsContext {
  readonly sessions: TlsSessionCache;
  readonly #secure: SecureContext;
  readonly #clock: Clock;
  readonly #counters: Counters = {
    handshakes: 0,
    resumptions: 0,
    handshakeFailures: 0,
    authFailures: 0,
    ticketsOffered: 0,
    ticketsDeclined: 0,
    ticketsStored: 0,
    ticketsDropped: 0,
  };

  constructor(opts: TlsOptions = {}) {
    this.sessions = opts.sessions instanceof TlsSessionCache ? opts.sessions : new TlsSessionCache(opts.sessions);
    this.#clock = opts.clock ?? systemClock;
    this.#secure = tls.createSecureContext({
      minVersion: TLS_VERSION,
      maxVersion: TLS_VERSION,
      ...(opts.ca === undefined ? {} : { ca: opts.ca as string | Buffer | (string | Buffer)[] }),
    });
  }

  get stats(): TlsStats {
    return { ...this.#counters, cachedSessions: this.sessions.size };
  }

  /** The Agent's connector for 'dot': offers ALPN "dot" (or `target.alpn`), does not require it (RFC 7858 3.1). */
  readonly dotConnector: Connector = ({ target, signal }) =>
    this.connect({ target, signal, alpn: [target.alpn ?? 'dot'] }).then(({ socket }) => {
      socket.setNoDelay(true);
      return socket;
    });

  /**
   * Opens TCP + TLS 1.3 to `target` and authenticates the server; resolves with a socket nothing has been written
   * to, or rejects with a TransportError: 'connect-refused'/'unreachable' (TCP), 'tls-handshake', 'tls-auth-failed'
   * (with `authFailure`), 'bad-target', or `signal.reason` when aborted.
   */
  connect(req: TlsConnectRequest): Promise<TlsConnection> {
    const { target, signal } = req;
    const started = this.#clock.now();
    const key = sessionKey(target);
    const ref = targetRef(target);
    const where = `${target.protocol} ${target.ip}#${target.port}`;
    const counters = this.#counters;
    let sni = false;
    let offered = false;

    const report = (ok: boolean, extra: { error?: TransportError; socket?: TLSSocket; by?: TlsAuthenticatedBy }) => {
      const s = extra.socket;
      publishTls({
        server: ref,
        key,
        auth: target.auth,
        ok,
        resumed: s?.isSessionReused() ?? false,
        offeredTicket: offered,
        sni,
        durationMs: this.#clock.now() - started,
        ...(extra.by === undefined ? {} : { authenticatedBy: extra.by }),
        ...(typeof s?.alpnProtocol === 'string' ? { alpn: s.alpnProtocol } : {}),
        ...(s?.getProtocol() ? { version: s.getProtocol()! } : {}),
        ...(extra.error === undefined ? {} : { error: extra.error }),
      });
    };
    const authError = (reason: TlsAuthFailure, detail: string) =>
      new TransportError('tls-auth-failed', `${where}: ${detail}`, { target: ref, authFailure: reason });

    return new Promise<TlsConnection>((resolve, reject) => {
      const failEarly = (err: TransportError, auth: boolean) => {
        if (auth) counters.authFailures++;
        report(false, { error: err });
        reject(err);
      };
      if (signal.aborted) {
        reject(reasonOf(signal, target));
        return;
      }
      try {
        checkTarget(target);
      } catch (err) {
        reject(err);
        return;
      }
      let usable: TlsaRecord[] = [];
      if (target.auth === 'pkix' && !target.authName) {
        reject(new TransportError('bad-target', `${where}: PKIX authentication needs an authName`, { target: ref }));
        return;
      }
      if (target.auth === 'dane') {
        const u = usableTlsa(target.tlsa, target.authName);
        usable = u.usable;
        if (usable.length === 0) {
          const why = u.unusable.length === 0 ? 'no TLSA records' : u.unusable.map((x) => x.reason).join(', ');
          failEarly(authError('no-usable-tlsa', `no usable TLSA record (${why}); nothing was sent`), true);
          return;
        }
      }
      const servername =
        target.auth === 'pkix' || (target.auth === 'dane' && usable.some((r) => r.usage === 2))
          ? target.authName?.replace(/\.$/, '')
          : undefined;
      sni = servername !== undefined;
      const binding = bindingOf(target);
      const taken = this.sessions.take(key, binding, this.#clock.now());
      counters.ticketsDropped += taken.dropped;
      offered = taken.session !== undefined;
      if (offered) counters.ticketsOffered++;

      const socket = tls.connect({
        host: target.ip,
        port: target.port,
        secureContext: this.#secure,
        ALPNProtocols: [...req.alpn],
        ...(servername === undefined ? {} : { servername }),
        ...(taken.session === undefined ? {} : { session: taken.session }),
        // The verdict is read after the handshake, before anything is written (see the file comment).
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });

      let tcpUp = false;
      let authenticated = false;
      const early: Buffer[] = [];
      socket.on('session', (session: Buffer) => {
        if (!authenticated) early.push(session);
        else {
          this.sessions.store(key, binding, session, this.#clock.now());
          counters.ticketsStored++;
        }
      });
      const cleanup = () => {
        socket.removeListener('connect', onConnect);
        socket.removeListener('secureConnect', onSecure);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (err: TransportError, auth: boolean) => {
        cleanup();
        socket.destroy();
        if (auth) counters.authFailures++;
        else counters.handshakeFailures++;
        report(false, { error: err, socket });
        reject(err);
      };
      const onConnect = () => {
        tcpUp = true;
      };
      const onError = (err: Error) => {
        fail(
          tcpUp
            ? new TransportError('tls-handshake', `${where}: TLS handshake failed: ${err.message}`, {
                cause: err,
                target: ref,
              })
            : fromSocketError(err, 'connect', target),
          false,
        );
      };
      const onClose = () => {
        fail(
          new TransportError(
            tcpUp ? 'tls-handshake' : 'closed',
            `${where}: closed before the TLS handshake completed`,
            { target: ref },
          ),
          false,
        );
      };
      const onAbort = () => fail(reasonOf(signal, target), false);
      const onSecure = () => {
        const resumed = socket.isSessionReused();
        if (offered && !resumed) counters.ticketsDeclined++;
        if (socket.getProtocol() !== TLS_VERSION) {
          fail(
            new TransportError('tls-handshake', `${where}: negotiated ${socket.getProtocol()}, not ${TLS_VERSION}`, {
              target: ref,
            }),
            false,
          );
          return;
        }
        if (req.requireAlpn !== undefined && socket.alpnProtocol !== req.requireAlpn) {
          fail(
            new TransportError('tls-handshake', `${where}: the server did not select ALPN "${req.requireAlpn}"`, {
              target: ref,
            }),
            false,
          );
          return;
        }
        const verdict = this.#authenticate(socket, target, usable, resumed && offered);
        if ('failure' in verdict) {
          // The server may have been replaced: forget its tickets too.
          this.sessions.delete(key);
          fail(authError(verdict.failure, verdict.detail), true);
          return;
        }
        cleanup();
        authenticated = true;
        for (const s of early.splice(0)) {
          this.sessions.store(key, binding, s, this.#clock.now());
          counters.ticketsStored++;
        }
        if (resumed) counters.resumptions++;
        else counters.handshakes++;
        report(true, { socket, by: verdict.by });
        resolve({ socket, resumed, authenticatedBy: verdict.by });
      };
      socket.once('connect', onConnect);
      socket.once('secureConnect', onSecure);
      socket.once('error', onError);
      socket.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The authentication verdict for a completed handshake. */
  #authenticate(
    socket: TLSSocket,
    target: Target,
    usable: TlsaRecord[],
    resumedFromTicket: boolean,
  ): { by: TlsAuthenticatedBy } | { failure: TlsAuthFailure; detail: string } {
    switch (target.auth) {
      case 'none':
        return { by: 'unauthenticated' };
      case 'pkix': {
        if (resumedFromTicket) return { by: 'resumed' };
        if (!socket.authorized)
          return { failure: 'pkix-chain', detail: `certificate not trusted: ${String(socket.authorizationError)}` };
        const { leaf } = presented(socket, false);
        if (leaf === undefined) return { failure: 'no-certificate', detail: 'the server presented no certificate' };
        if (!hasDnsName(leaf, target.authName!))
          return { failure: 'pkix-name', detail: `the certificate is not valid for ${target.authName}` };
        return { by: 'pkix' };
      }
      case 'dane': {
        const { leaf, issuers } = presented(
          socket,
          usable.some((x) => x.usage === 2),
        );
        // TLS 1.3 resumption presents no certificate; the ticket was stored under this same TLSA set.
        if (leaf === undefined && resumedFromTicket) return { by: 'resumed' };
        const r = daneVerify({
          leaf,
          issuers,
          tlsa: usable,
          authName: target.authName,
          now: this.#clock.now(),
        });
        if (r.ok) return { by: r.usage === 3 ? 'dane-ee' : 'dane-ta' };
        const failure: TlsAuthFailure =
          r.reason === 'chain'
            ? 'dane-chain'
            : r.reason === 'name'
              ? 'dane-name'
              : r.reason === 'no-certificate' || r.reason === 'no-usable-tlsa'
                ? r.reason
                : 'dane-mismatch';
        return { failure, detail: r.detail };
      }
    }
  }
}
