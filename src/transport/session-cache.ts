/**
 * TLS 1.3 session tickets for resumption (RFC 8446 2.2, RFC 8310 9, RFC 9539 4.6.3.2), kept per session key
 * (`sessionKey(target)`: server address, port, protocol, authentication name and mode) in a bounded LRU, like
 * undici's per-origin session cache.
 *
 * A resumed TLS 1.3 session presents no certificate, so the authentication verdict of the full handshake must
 * travel with the ticket: each ticket is stored with a `binding` (for DANE, the hash of the TLSA set the server
 * was verified against) and only after that verification succeeded. `take()` hands a ticket out only for the same
 * binding; a different one (the TLSA set changed) drops every ticket of the key, forcing a full handshake.
 *
 * Tickets are single use (RFC 8446 C.4: reusing one links connections): `take()` removes the ticket it returns.
 * They are never shared between servers (RFC 9250 7.2): the key starts with the server's address and port.
 */
import { DEFAULT_TLS_SESSION_KEYS, DEFAULT_TLS_TICKET_LIFETIME_MS, DEFAULT_TLS_TICKETS_PER_KEY } from './limits.js';

export interface TlsSessionCacheOptions {
  /** Session keys (servers) remembered; the least recently used is forgotten first. */
  maxKeys?: number;
  /** Tickets kept per key (a TLS 1.3 server usually sends two after a full handshake); the oldest go first. */
  ticketsPerKey?: number;
  /** Tickets older than this are never offered. */
  lifetimeMs?: number;
}

interface Ticket {
  session: Buffer;
  binding: string;
  storedAt: number;
}

export interface TakeResult {
  /** A ticket to offer, when one with the same binding is cached. */
  session: Buffer | undefined;
  /** Tickets dropped because their binding differed (the verdict they carry no longer applies). */
  dropped: number;
}

export class TlsSessionCache {
  readonly #entries = new Map<string, Ticket[]>();
  readonly #maxKeys: number;
  readonly #perKey: number;
  readonly #lifetimeMs: number;

  constructor(opts: TlsSessionCacheOptions = {}) {
    this.#maxKeys = Math.max(1, opts.maxKeys ?? DEFAULT_TLS_SESSION_KEYS);
    this.#perKey = Math.max(1, opts.ticketsPerKey ?? DEFAULT_TLS_TICKETS_PER_KEY);
    this.#lifetimeMs = opts.lifetimeMs ?? DEFAULT_TLS_TICKET_LIFETIME_MS;
  }

  /** Keys holding at least one ticket. */
  get size(): number {
    return this.#entries.size;
  }

  /** Tickets held for `key` (any binding). */
  tickets(key: string): number {
    return this.#entries.get(key)?.length ?? 0;
  }

  /** Removes and returns the newest live ticket of `key` if it was stored under `binding`. */
  take(key: string, binding: string, now: number): TakeResult {
    const list = this.#entries.get(key);
    if (list === undefined) return { session: undefined, dropped: 0 };
    this.#entries.delete(key);
    const live = list.filter((t) => now - t.storedAt <= this.#lifetimeMs);
    if (live.some((t) => t.binding !== binding)) return { session: undefined, dropped: live.length };
    const ticket = live.pop();
    if (live.length > 0) this.#entries.set(key, live);
    return { session: ticket?.session, dropped: 0 };
  }

  /** Caches a ticket the server sent on a connection whose authentication (under `binding`) succeeded. */
  store(key: string, binding: string, session: Buffer, now: number): void {
    let list = this.#entries.get(key);
    this.#entries.delete(key);
    if (list === undefined || list.some((t) => t.binding !== binding)) list = [];
    list.push({ session, binding, storedAt: now });
    if (list.length > this.#perKey) list.splice(0, list.length - this.#perKey);
    this.#entries.set(key, list);
    while (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets the tickets of `key` (for example after the server failed authentication). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
