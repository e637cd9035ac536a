// The downstream service's per-query summary (convention 1): one event per client query the
// service finished with — answered (by the resolver, or from its packet cache without any
// decoding), refused by the ACL, dropped, or failed — published on node:diagnostics_channel
// `sealdns:server:request` and free when nobody subscribes. observe/ turns it into metrics and
// the query log. Requests the resolver itself handled are also on `sealdns:resolver:request`,
// with the resolver's view (cache, DNSSEC, privacy hops); only this event sees packet-cache hits
// and ACL refusals. (`sealdns:server:exchange`, in diagnostics.ts, carries the octets for dnstap.)

import { channel } from 'node:diagnostics_channel';
import type { ServeTransport } from './listeners/querylog.js';

export type ServedOutcome =
  /** A reply was sent (any RCODE). */
  | 'answered'
  /** The client is outside the ACL: REFUSED (EDE 18) without reaching the resolver. */
  | 'refused'
  /** No reply (the resolver dropped the query). */
  | 'dropped'
  /** The resolver threw: the frame answers SERVFAIL. */
  | 'failed';

export interface ServedEvent {
  transport: ServeTransport;
  client: string;
  clientPort: number;
  outcome: ServedOutcome;
  /** Answered from the resolver's packet cache (no resolution, no decoding). */
  packetHit: boolean;
  /** RCODE in the reply's header (absent when nothing was sent). */
  rcode?: number;
  /** The reply's AD bit. */
  ad: boolean;
  /** Epoch ms when the query reached the service. */
  receivedAt: number;
  /** From then until the reply was ready. */
  durationMs: number;
  query: Uint8Array;
  response?: Uint8Array;
}

export const servedChannel = channel('sealdns:server:request');

export function publishServed(ev: ServedEvent): void {
  if (servedChannel.hasSubscribers) servedChannel.publish(ev);
}
