// The downstream service's observation point (convention 16): one event per client exchange
// (query octets in, response octets out), published on node:diagnostics_channel
// `sealdns:server:exchange` and free when nobody subscribes. src/observe (dnstap) subscribes;
// nothing here imports an observability library.

import { channel } from 'node:diagnostics_channel';
import type { Endpoint, QueryInfo } from './listeners/exchange.js';
import type { ServeTransport } from './listeners/querylog.js';

/** One client exchange: the query as received and the response as sent (absent when dropped). */
export interface ClientExchangeEvent {
  transport: ServeTransport;
  client: Endpoint;
  local: Endpoint;
  query: Uint8Array;
  /** Epoch ms when the query reached the handler. */
  receivedAt: number;
  response?: Uint8Array;
  /** Epoch ms when the response was ready. */
  respondedAt?: number;
}

export const clientExchangeChannel = channel('sealdns:server:exchange');

const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Runs `handle` for one received query and publishes the exchange when it settles. A reply given
 * at once (a packet-cache hit) is published and returned at once, not through a promise. Callers
 * check `clientExchangeChannel.hasSubscribers` first so the unobserved path stays as it was.
 */
export function observeClientExchange(
  raw: Uint8Array,
  info: QueryInfo,
  handle: () => Promise<Uint8Array | undefined> | Uint8Array | undefined,
): Promise<Uint8Array | undefined> | Uint8Array | undefined {
  const receivedAt = epochMs();
  // the listener may reuse its buffer once the handler returns: keep a copy of the query
  const query = Uint8Array.from(raw);
  const publish = (response: Uint8Array | undefined): void => {
    if (!clientExchangeChannel.hasSubscribers) return;
    const ev: ClientExchangeEvent = {
      transport: info.transport,
      client: { address: info.client.address, port: info.client.port },
      local: { address: info.local.address, port: info.local.port },
      query,
      receivedAt,
      ...(response === undefined ? {} : { response, respondedAt: epochMs() }),
    };
    clientExchangeChannel.publish(ev);
  };
  let out: Promise<Uint8Array | undefined> | Uint8Array | undefined;
  try {
    out = handle();
  } catch (err) {
    publish(undefined);
    throw err;
  }
  if (out === undefined || out instanceof Uint8Array) {
    publish(out);
    return out;
  }
  return out.then(
    (response) => {
      publish(response);
      return response;
    },
    (err: unknown) => {
      publish(undefined);
      throw err;
    },
  );
}
