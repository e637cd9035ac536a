/**
 * Diagnostics channels of the transport layer, declared in one place (like undici's core/diagnostics.js). They
 * cost nothing without subscribers; observe/ subscribes and turns them into metrics, logs and dnstap. The
 * transport never imports a metrics system (convention 1).
 */
import { channel } from 'node:diagnostics_channel';
import type { MetricLabel, TransportError } from './errors.js';
import type { Protocol } from './upstream.js';

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

export const connectChannel = channel('sealdns:transport:connect');
export const queryChannel = channel('sealdns:transport:query');
export const closeChannel = channel('sealdns:transport:close');

export function publishConnect(ev: ConnectEvent): void {
  if (connectChannel.hasSubscribers) connectChannel.publish(ev);
}

export function publishQuery(ev: QueryEvent): void {
  if (queryChannel.hasSubscribers) queryChannel.publish(ev);
}

export function publishClose(ev: CloseEvent): void {
  if (closeChannel.hasSubscribers) closeChannel.publish(ev);
}
