// The downstream service: the resolver served to clients over the listener frame. Each listen
// entry is one listener (UDP and TCP today; DoT and DoH join the same list later). The frame's
// raw path hands the received octets straight to `Resolver.handleRaw`, so a packet-cache hit is
// answered without decoding; the ACL is checked first and refused clients get REFUSED with
// EDE 18 (Prohibited, RFC 8914 4.19) without reaching the resolver.

import type { ClientInfo, Resolver } from '../resolver/resolver.js';
import { responseFor } from '../resolver/respond.js';
import { decodeMessage, EDE, encodeMessage, Rcode } from '../wire/index.js';
import { Acl, type Cidr, LOOPBACK_ACL } from './acl.js';
import { clientExchangeChannel, observeClientExchange } from './diagnostics.js';
import { ServeError } from './listeners/errors.js';
import {
  DEFAULT_MAX_UDP_PAYLOAD,
  type ExchangeContext,
  MIN_UDP_PAYLOAD,
  type RawHandler,
  type ServerLogger,
} from './listeners/exchange.js';
import { QueryLog, serverQueryChannel } from './listeners/querylog.js';
import { DEFAULT_MAX_STREAM_CONNECTIONS, type StreamSettings } from './listeners/stream.js';
import { listenTcp } from './listeners/tcp.js';
import type { Listener } from './listeners/types.js';
import { listenUdp } from './listeners/udp.js';

export type ServiceTransport = 'udp' | 'tcp';

/** One listener to start: `port` 0 asks the kernel for a free port. */
export interface ListenSpec {
  address: string;
  port: number;
  transport: ServiceTransport;
}

/** What the service needs of the resolver (a Resolver, or a stand-in in tests). */
export type RawResolver = Pick<Resolver, 'handleRaw'>;

export interface ResolverServiceOptions {
  listen: readonly ListenSpec[];
  resolver: RawResolver;
  /** Clients served (default LOOPBACK_ACL); an Acl, or CIDR entries. */
  acl?: Acl | readonly (string | Cidr)[];
  /** Idle timeout of TCP connections (default 10 s). */
  idleTimeoutMs?: number;
  /** Concurrent connections per TCP listener (default 256). */
  maxTcpConnections?: number;
  /** Cap on UDP replies (default 1232, at least 512). */
  maxUdpPayload?: number;
  /** Keep a query log of this many entries; without it nothing is logged per query. */
  queryLogCapacity?: number;
  log?: ServerLogger;
  /** Clock for query log timestamps (default Date.now). */
  now?: () => number;
}

export interface BoundListener {
  address: string;
  /** The bound port (the kernel's choice when 0 was asked for). */
  port: number;
  transport: ServiceTransport;
}

export interface ResolverService {
  /** Every started listener, in the order of `listen`. */
  readonly listeners: readonly BoundListener[];
  /** Present when `queryLogCapacity` was given (published on `sealdns:server:query`). */
  readonly queryLog: QueryLog | undefined;
  /** Queries refused by the ACL. */
  readonly stats: { readonly refused: number };
  /** Closes every listener and open connection; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/** Starts every listener of `opts.listen`; on any failure those already started are closed. */
export async function startResolverService(opts: ResolverServiceOptions): Promise<ResolverService> {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = opts.maxTcpConnections ?? DEFAULT_MAX_STREAM_CONNECTIONS;
  const maxUdpPayload = opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD;
  checkOptions(opts, { idleTimeoutMs, maxConnections, maxUdpPayload });
  const acl = opts.acl instanceof Acl ? opts.acl : Acl.parse(opts.acl ?? LOOPBACK_ACL);

  const stats = { refused: 0 };
  const resolver = opts.resolver;
  const rawHandler: RawHandler = (raw, info, maxSize) => {
    if (!acl.allows(info.client.address)) {
      stats.refused++;
      return refuse(raw, maxSize);
    }
    const client: ClientInfo = { transport: info.transport, address: info.client.address };
    if (clientExchangeChannel.hasSubscribers)
      return observeClientExchange(raw, info, () => resolver.handleRaw(raw, client, maxSize));
    return resolver.handleRaw(raw, client, maxSize);
  };
  const queryLog =
    opts.queryLogCapacity === undefined ? undefined : new QueryLog(opts.queryLogCapacity, serverQueryChannel);
  const ctx: ExchangeContext = {
    rawHandler,
    queryLog,
    now: opts.now ?? Date.now,
    maxUdpPayload,
    idleTimeoutMs,
    log: opts.log,
  };
  const stream: StreamSettings = { idleTimeoutMs, maxConnections };
  const started: Listener[] = [];
  const bound: BoundListener[] = [];
  try {
    for (const spec of opts.listen) {
      const l =
        spec.transport === 'udp'
          ? await listenUdp(ctx, spec.address, spec.port)
          : await listenTcp(ctx, spec.address, spec.port, stream);
      started.push(l);
      bound.push({ address: spec.address, port: l.port, transport: spec.transport });
    }
  } catch (err) {
    await Promise.all(started.map((l) => l.close()));
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    listeners: Object.freeze(bound),
    queryLog,
    stats,
    close: () => {
      closing ??= Promise.all(started.map((l) => l.close())).then(() => undefined);
      return closing;
    },
  };
}

/**
 * REFUSED with EDE 18 for a client outside the ACL (the EDE only when the query has EDNS,
 * RFC 8914 3). A query that does not even decode is dropped: no FORMERR for strangers.
 */
function refuse(raw: Uint8Array, maxSize: number): Uint8Array | undefined {
  try {
    const query = decodeMessage(raw);
    const r = responseFor(query, Rcode.REFUSED, { code: EDE.PROHIBITED, text: 'client not allowed by the ACL' });
    return encodeMessage(r, { maxSize });
  } catch {
    return undefined;
  }
}

function checkOptions(
  opts: ResolverServiceOptions,
  v: { idleTimeoutMs: number; maxConnections: number; maxUdpPayload: number },
): void {
  const bad = (reason: string): never => {
    throw new ServeError('bad-option', reason);
  };
  if (opts.listen.length === 0) bad('nothing to listen on');
  for (const [i, l] of opts.listen.entries()) {
    if (l.transport !== 'udp' && l.transport !== 'tcp') bad(`listen[${i}]: transport ${String(l.transport)}`);
    if (!Number.isInteger(l.port) || l.port < 0 || l.port > 65535) bad(`listen[${i}]: port ${l.port}`);
  }
  if (!Number.isFinite(v.idleTimeoutMs) || v.idleTimeoutMs <= 0) bad(`idleTimeoutMs ${v.idleTimeoutMs}`);
  if (!Number.isInteger(v.maxConnections) || v.maxConnections < 1) bad(`maxTcpConnections ${v.maxConnections}`);
  if (!Number.isInteger(v.maxUdpPayload) || v.maxUdpPayload < MIN_UDP_PAYLOAD || v.maxUdpPayload > 65535)
    bad(`maxUdpPayload ${v.maxUdpPayload}`);
  if (typeof opts.resolver?.handleRaw !== 'function') bad('resolver must have handleRaw');
}
