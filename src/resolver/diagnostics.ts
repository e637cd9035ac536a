import { channel } from 'node:diagnostics_channel';
import type { Protocol } from '../transport/upstream.js';

/**
 * The resolver's observation points (convention 16): published on node:diagnostics_channel,
 * free when nobody subscribes; src/observe (metrics, dnstap, logs) subscribes. Nothing
 * here imports an observability library.
 */

/** One upstream exchange, published when it ends (success or failure). */
export interface UpstreamExchangeEvent {
  zone: string;
  server?: string;
  ip: string;
  port: number;
  protocol: Protocol;
  encrypted: boolean;
  authenticated: boolean;
  /** Why this transport (strict signal, opportunistic signal, probe, fallback, policy...). */
  why: string;
  /** 'ok', or the transport outcome code (timeout, connect-refused, tls-auth-failed, malformed, ...). */
  outcome: string;
  query: Uint8Array;
  response?: Uint8Array;
  /** Epoch ms when the query was sent and when the exchange ended. */
  sentAt: number;
  endedAt: number;
}

/** A transport decision for one (nameserver, address). */
export interface DecisionEvent {
  ns: string;
  ip: string;
  zone: string;
  mode: string;
  reasons: string[];
}

/** A finished client request. */
export interface RequestEvent {
  transport: string;
  client?: string;
  qname: string;
  qtype: number;
  rcode: number;
  ede?: number;
  cacheHit: boolean;
  security?: string;
  durationMs: number;
  query?: Uint8Array;
  response?: Uint8Array;
  /** Upstream hops of this request: all, and how many were encrypted / authenticated. */
  hops: number;
  encryptedHops: number;
  authenticatedHops: number;
  receivedAt: number;
}

export const upstreamChannel = channel('sealdns:resolver:upstream');
export const decisionChannel = channel('sealdns:resolver:decision');
export const requestChannel = channel('sealdns:resolver:request');

export function publishUpstream(ev: UpstreamExchangeEvent): void {
  if (upstreamChannel.hasSubscribers) upstreamChannel.publish(ev);
}

export function publishDecision(ev: DecisionEvent): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish(ev);
}

export function publishRequest(ev: RequestEvent): void {
  if (requestChannel.hasSubscribers) requestChannel.publish(ev);
}
