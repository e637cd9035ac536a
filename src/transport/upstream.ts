/**
 * The one seam (convention 6): anything that can send a DNS query to a server and return its paired reply
 * implements Upstream. UDP, TCP (and later DoT and DoH), the Transport facade and test doubles all do.
 */
import { isIP } from 'node:net';
import { tlsaSetHash } from './dane.js';
import { TransportError } from './errors.js';

export type Protocol = 'udp' | 'tcp' | 'dot' | 'doh';

/** How the server must be authenticated: not at all, by the Web PKI, or by DANE (TLSA). */
export type AuthMode = 'none' | 'pkix' | 'dane';

/**
 * One TLSA record's RDATA (RFC 6698 2.1), the shape the wire codec decodes (`TlsaData`). The records come from a
 * DNSSEC-secure lookup of `_<port>._tcp.<authName>`; the transport trusts them as given.
 */
export interface TlsaRecord {
  /** Certificate usage: PKIX-TA(0), PKIX-EE(1), DANE-TA(2), DANE-EE(3). Only 2 and 3 are usable here. */
  usage: number;
  /** Selector: full certificate(0) or SubjectPublicKeyInfo(1). */
  selector: number;
  /** Matching type: exact(0), SHA2-256(1), SHA2-512(2). */
  matchingType: number;
  /** Certificate association data. */
  data: Uint8Array;
}

/** Where a query goes, and under which security terms. */
export interface Target {
  /** IP literal (v4 or v6); transports never resolve names. */
  ip: string;
  port: number;
  protocol: Protocol;
  /** Name the server is authenticated as (TLS); absent for cleartext and unauthenticated probing. */
  authName?: string;
  auth: AuthMode;
  /** ALPN to offer (DoT "dot", DoH "h2"). */
  alpn?: string;
  /** DoH URI template path (RFC 9461 dohpath, e.g. "/dns-query{?dns}"); default "/dns-query{?dns}". */
  dohPath?: string;
  /**
   * TLSA records the server must match when `auth` is 'dane' (ignored otherwise). Part of the pool key, so a
   * connection authenticated against one TLSA set never serves a query that asked for another. Treat the array and
   * its records as immutable once handed over.
   */
  tlsa?: readonly TlsaRecord[];
}

/** A reply paired to its query (ID restored to the caller's, question matched). */
export interface UpstreamReply {
  wire: Uint8Array;
  /** From the moment the query left (after any connection set-up) to the reply. */
  rttMs: number;
  protocol: Protocol;
  /** TC was set; over UDP the resolver should retry over a stream transport (RFC 7766 5, RFC 1035 4.2.1). */
  truncated: boolean;
  /** Replies received for this query and dropped as not paired (RFC 5452 9.1); a sign of spoofing or a broken server. */
  mismatched: number;
  /** The query went over a connection that existed before it (no new handshake). Always false for UDP. */
  reused: boolean;
}

export interface Upstream {
  /**
   * Sends one query and resolves with the paired reply, or rejects with a TransportError. The caller's bytes are
   * never modified. An abort whose reason is a `TimeoutError` (from `AbortSignal.timeout`) is reported as 'timeout',
   * any other abort as 'aborted'. `timeoutMs`: the deadline of this query, in place of the transport's default (no
   * reply by then: 'timeout'); cheaper than a timeout signal, whose timer outlives the reply.
   */
  query(wire: Uint8Array, target: Target, signal?: AbortSignal, timeoutMs?: number): Promise<UpstreamReply>;
  /** Stops accepting queries, lets those in flight finish, then releases every resource. */
  close(): Promise<void>;
  /** Fails everything in flight now (with `err` if it is a TransportError, else 'shutdown') and releases. */
  destroy(err?: Error): void;
}

/**
 * The pool key (convention 7): everything that makes two connections non-interchangeable. A DANE-authenticated
 * connection and an unauthenticated one to the same address never share a key, so never share a connection; nor do
 * two DANE connections checked against different TLSA sets (the last field is a hash of the set, for 'dane' only).
 */
export function targetKey(t: Target): string {
  return `${sessionKey(t)}|${t.auth === 'dane' ? tlsaSetHash(t.tlsa) : ''}`;
}

/**
 * The key TLS session tickets are cached under: the pool key without the TLSA hash. A ticket carries the hash of
 * the TLSA set it was verified against, so a changed set finds the old ticket and drops it (full handshake).
 */
export function sessionKey(t: Target): string {
  return `${t.ip}|${t.port}|${t.protocol}|${t.authName ?? ''}|${t.auth}|${t.alpn ?? ''}`;
}

/** The target fields safe to put in errors and diagnostics. */
export function targetRef(t: Target): { ip: string; port: number; protocol: Protocol } {
  return { ip: t.ip, port: t.port, protocol: t.protocol };
}

/** Returns the IP family (4 or 6) of the target, or throws 'bad-target'. */
export function checkTarget(t: Target): 4 | 6 {
  const family = isIP(t.ip);
  if (family === 0) throw new TransportError('bad-target', `"${t.ip}" is not an IP literal`, { target: targetRef(t) });
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535)
    throw new TransportError('bad-target', `port ${t.port} out of range`, { target: targetRef(t) });
  return family as 4 | 6;
}

type LifecycleState = 'open' | 'closing' | 'closed';

/**
 * Lifecycle bookkeeping written once (like undici's DispatcherBase): `close()` stops accepting, waits for the
 * queries in flight, then calls `onClose()`; `destroy()` calls `onDestroy()` at once. Subclasses implement
 * `dispatch`, `onClose` and `onDestroy`.
 */
export abstract class UpstreamBase implements Upstream {
  #state: LifecycleState = 'open';
  #running = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  get closed(): boolean {
    return this.#state !== 'open';
  }

  /** Queries accepted and not yet settled. */
  get running(): number {
    return this.#running;
  }

  query(wire: Uint8Array, target: Target, signal?: AbortSignal, timeoutMs?: number): Promise<UpstreamReply> {
    if (this.#state !== 'open')
      return Promise.reject(new TransportError('shutdown', 'upstream is closed', { target: targetRef(target) }));
    let p: Promise<UpstreamReply>;
    try {
      p = this.dispatch(wire, target, signal, timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#running++;
    const done = () => {
      this.#running--;
      if (this.#running === 0) this.#drained?.();
    };
    p.then(done, done);
    return p;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state === 'closed') return Promise.resolve();
    this.#state = 'closing';
    this.#closing = (async () => {
      if (this.#running > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      if (this.#state === 'closing') {
        this.#state = 'closed';
        await this.onClose();
      }
    })();
    return this.#closing;
  }

  destroy(err?: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.onDestroy(err);
    // A close() waiting for the drain must not hang: destroy settles everything in flight.
    this.#drained?.();
  }

  protected abstract dispatch(
    wire: Uint8Array,
    target: Target,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply>;
  protected abstract onClose(): Promise<void>;
  protected abstract onDestroy(err?: Error): void;
}

/** The error used to fail queries when an upstream is destroyed. */
export function shutdownError(err: Error | undefined, target: Target): TransportError {
  if (err instanceof TransportError) return err;
  return new TransportError('shutdown', err ? `destroyed: ${err.message}` : 'destroyed', {
    cause: err,
    target: targetRef(target),
  });
}
