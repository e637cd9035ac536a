/**
 * The Transport facade: one Upstream that dispatches on `target.protocol`: UDP to a UdpClient, TCP and DoT to the
 * Agent's pools (DoT through the TLS connector, so it shares TCP's framing, pipelining and pooling), DoH to a
 * DohClient, and any protocol to an injected upstream (`upstreams`). DoT and DoH share one TlsContext: TLS
 * settings, the ticket cache and the handshake/resumption counters (`transport.tls.stats`).
 *
 * Padding (RFC 8467 4.1, RFC 7830 6): every query sent over 'dot' or 'doh' that carries EDNS is padded to a
 * multiple of `padBlock` (128) here, so callers of the raw `query()` get padded encrypted queries too; a query that
 * already has a Padding option (e.g. from `exchange(..., { padBlock })`) is left as it is. Cleartext is never
 * padded. `exchange()` adds message encoding and decoding around any Upstream.
 */
import { decodeMessage, encodeMessage, type Message, WireError } from '../wire/index.js';
import { Agent, type AgentOptions } from './agent.js';
import type { Clock } from './clock.js';
import { DohClient, type DohOptions } from './doh.js';
import { TransportError } from './errors.js';
import { padQuery } from './padding.js';
import type { Random } from './random.js';
import { TlsContext, type TlsOptions } from './tls.js';
import { UdpClient, type UdpOptions } from './udp.js';
import { type Protocol, type Target, targetRef, type Upstream, UpstreamBase, type UpstreamReply } from './upstream.js';

/** RFC 8467 4.1: queries are padded to a multiple of 128 octets, and only over encrypted transports (RFC 7830 6). */
export const QUERY_PAD_BLOCK = 128;

export interface TransportOptions {
  clock?: Clock;
  random?: Random;
  udp?: Omit<UdpOptions, 'clock' | 'random'>;
  stream?: Omit<AgentOptions, 'clock' | 'random'>;
  /** TLS for DoT and DoH: a shared context, or options for a new one (trusted CAs, ticket cache). */
  tls?: TlsContext | Omit<TlsOptions, 'clock'>;
  /** DoH client options. */
  doh?: Omit<DohOptions, 'clock' | 'tls'>;
  /** Padding block for DoT/DoH queries with EDNS (default 128; 0 disables). */
  padBlock?: number;
  /** Upstreams that replace the built-in one for a protocol (tests, alternative implementations). */
  upstreams?: Partial<Record<Protocol, Upstream>>;
}

export class Transport extends UpstreamBase {
  readonly udp: UdpClient;
  readonly stream: Agent;
  readonly doh: DohClient;
  readonly tls: TlsContext;
  readonly #extra: Partial<Record<Protocol, Upstream>>;
  readonly #padBlock: number;

  constructor(opts: TransportOptions = {}) {
    super();
    const shared = {
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.random === undefined ? {} : { random: opts.random }),
    };
    this.udp = new UdpClient({ ...opts.udp, ...shared });
    this.tls = opts.tls instanceof TlsContext ? opts.tls : new TlsContext({ ...opts.tls, ...shared });
    this.stream = new Agent({
      ...opts.stream,
      ...shared,
      connectors: { dot: this.tls.dotConnector, ...opts.stream?.connectors },
    });
    this.doh = new DohClient({ ...opts.doh, ...shared, tls: this.tls });
    this.#extra = { ...opts.upstreams };
    this.#padBlock = opts.padBlock ?? QUERY_PAD_BLOCK;
  }

  /** Sends `message` to `target` and decodes the paired reply. See `exchange`. */
  exchange(message: Message, target: Target, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
    return exchange(this, message, target, opts);
  }

  protected dispatch(
    wire: Uint8Array,
    target: Target,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply> {
    if ((target.protocol === 'dot' || target.protocol === 'doh') && this.#padBlock > 0)
      wire = padQuery(wire, this.#padBlock);
    const override = this.#extra[target.protocol];
    if (override !== undefined) return override.query(wire, target, signal, timeoutMs);
    switch (target.protocol) {
      case 'udp':
        return this.udp.query(wire, target, signal, timeoutMs);
      case 'tcp':
      case 'dot':
        return this.stream.query(wire, target, signal, timeoutMs);
      case 'doh':
        return this.doh.query(wire, target, signal, timeoutMs);
      default:
        throw new TransportError('unsupported-protocol', `no transport for ${target.protocol}`, {
          target: targetRef(target),
        });
    }
  }

  #parts(): Upstream[] {
    return [...new Set([this.udp, this.stream, this.doh, ...Object.values(this.#extra)])];
  }

  protected async onClose(): Promise<void> {
    await Promise.all(this.#parts().map((u) => u.close()));
  }

  protected onDestroy(err?: Error): void {
    for (const u of this.#parts()) u.destroy(err);
  }
}

export interface ExchangeOptions {
  signal?: AbortSignal;
  /** Padding block for encrypted protocols (default 128); ignored for cleartext, which is never padded. */
  padBlock?: number;
}

export interface ExchangeResult {
  message: Message;
  wire: Uint8Array;
  rttMs: number;
  reply: UpstreamReply;
}

/**
 * Encodes `message`, sends it over `upstream` and decodes the paired reply. Encoding failures become 'bad-query'
 * and decoding failures 'malformed' (both TransportErrors). The reply's ID is the message's ID.
 */
export async function exchange(
  upstream: Upstream,
  message: Message,
  target: Target,
  opts: ExchangeOptions = {},
): Promise<ExchangeResult> {
  const encrypted = target.protocol === 'dot' || target.protocol === 'doh';
  const padBlock = encrypted && message.edns !== undefined ? (opts.padBlock ?? QUERY_PAD_BLOCK) : undefined;
  let wire: Uint8Array;
  try {
    wire = encodeMessage(message, padBlock === undefined ? {} : { padBlock });
  } catch (err) {
    if (err instanceof WireError)
      throw new TransportError('bad-query', `cannot encode the query: ${err.message}`, {
        cause: err,
        target: targetRef(target),
      });
    throw err;
  }
  const reply = await upstream.query(wire, target, opts.signal);
  let decoded: Message;
  try {
    decoded = decodeMessage(reply.wire);
  } catch (err) {
    if (err instanceof WireError)
      throw new TransportError('malformed', `${target.ip}#${target.port}: undecodable reply: ${err.message}`, {
        cause: err,
        target: targetRef(target),
      });
    throw err;
  }
  return { message: decoded, wire: reply.wire, rttMs: reply.rttMs, reply };
}
