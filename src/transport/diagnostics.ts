/**
 * Diagnostics channels of the transport layer, declared in one place (like undici's core/diagnostics.js). They
 * cost nothing without subscribers; observe/ subscribes and turns them into metrics, logs and dnstap. The
 * transport never imports a metrics system (convention 1).
 */
import { channel } from 'node:diagnostics_channel';
import type { MetricLabel, TransportError } from './errors.js';
import type { AuthMode, Protocol } from './upstream.js';

export interface ServerRef {
  ip: string;
  port: number;
  protocol: Protocol;
}

/** A stream connection attempt finished (successfully or not). */
export interface ConnectEvent {
  server: ServerRef;
  /** Pool key (ip|port|protocol|authName|auth|alpn). */
  key: string;
  /** Process-unique connection number, shared with the close event. */
  connectionId: number;
  ok: boolean;
  error?: TransportError;
  /** From the start of the attempt to ready (or failure). */
  durationMs: number;
  localPort?: number;
}

/** A query settled, on any transport. */
export interface QueryEvent {
  server: ServerRef;
  outcome: MetricLabel;
  /** Network RTT for answered queries; time until failure otherwise. */
  durationMs: number;
  truncated: boolean;
  mismatched: number;
  reused: boolean;
  /** Stream transports only. */
  connectionId?: number;
  error?: TransportError;
}

export type CloseReason =
  /** No queries for the idle timeout. */
  | 'idle'
  /** `close()` drained and ended it. */
  | 'graceful'
  /** The server closed it (FIN) or reset it. */
  | 'peer'
  /** It was dropped for a protocol or I/O error, or for stalling. */
  | 'error'
  /** `destroy()` was called. */
  | 'destroyed';

/** A stream connection closed (only for connections that reached 'open'). */
export interface CloseEvent {
  server: ServerRef;
  key: string;
  connectionId: number;
  reason: CloseReason;
  error?: TransportError;
  /** Queries answered on this connection. */
  answered: number;
  /** From ready to closed. */
  durationMs: number;
}

/** How an encrypted connection's server was authenticated (or why not). */
export type TlsAuthenticatedBy =
  /** `auth: 'none'`: encrypted, not authenticated (opportunistic, RFC 8310 5). */
  | 'unauthenticated'
  /** Web PKI chain and subjectAltName (RFC 8310 8.1). */
  | 'pkix'
  /** A DANE-EE(3) record matched the leaf. */
  | 'dane-ee'
  /** A DANE-TA(2) record matched an issuer the leaf chains to. */
  | 'dane-ta'
  /** Resumed session: the verdict of the full handshake, bound to the ticket, carries over. */
  | 'resumed';

/** A TLS connection attempt (DoT or DoH) finished its handshake and authentication, or failed. */
export interface TlsEvent {
  server: ServerRef;
  /** Session key (ip|port|protocol|authName|auth|alpn) the ticket cache uses. */
  key: string;
  auth: AuthMode;
  ok: boolean;
  /** The session was resumed from a ticket (no certificate was presented). */
  resumed: boolean;
  /** A ticket was offered. */
  offeredTicket: boolean;
  authenticatedBy?: TlsAuthenticatedBy;
  /** Negotiated ALPN protocol, if any. */
  alpn?: string;
  /** Negotiated TLS version (always TLSv1.3 on success). */
  version?: string;
  /** Whether SNI was sent (only when authenticating by name). */
  sni: boolean;
  error?: TransportError;
  /** From the start of the attempt (TCP included) to ready or failure. */
  durationMs: number;
}

export const connectChannel = channel('sealdns:transport:connect');
export const queryChannel = channel('sealdns:transport:query');
export const closeChannel = channel('sealdns:transport:close');
export const tlsChannel = channel('sealdns:transport:tls');

let lastConnectionId = 0;

/** A process-unique connection number, shared by every stream transport (TCP, DoT and DoH sessions). */
export function newConnectionId(): number {
  return ++lastConnectionId;
}

export function publishConnect(ev: ConnectEvent): void {
  if (connectChannel.hasSubscribers) connectChannel.publish(ev);
}

export function publishQuery(ev: QueryEvent): void {
  if (queryChannel.hasSubscribers) queryChannel.publish(ev);
}

export function publishClose(ev: CloseEvent): void {
  if (closeChannel.hasSubscribers) closeChannel.publish(ev);
}

export function publishTls(ev: TlsEvent): void {
  if (tlsChannel.hasSubscribers) tlsChannel.publish(ev);
}
