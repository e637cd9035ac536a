// The downstream service: the resolver served to clients over the listener frame. Each listen
// entry is one listener: UDP, TCP, DoT (RFC 7858) or DoH (RFC 8484, HTTP/2 and HTTP/1.1), the
// encrypted ones TLS 1.3 only with the configured certificate, their replies padded (RFC 8467)
// by the frame. The frame's raw path hands the received octets straight to
// `Resolver.handleRaw`, so a packet-cache hit is answered without decoding; the client's
// transport goes with the query (the follow-client policy encrypts upstream for DoT/DoH
// clients). The ACL is checked first and refused clients get REFUSED with EDE 18 (Prohibited,
// RFC 8914 4.19) without reaching the resolver. Every finished query is published on
// `sealdns:server:request` (served.ts) for metrics and the query log.
//
// A running service can be changed in place (`sealdns control reload`): another resolver, ACL
// or certificate, and another set of listeners (new ones are bound before removed ones close,
// so a failure leaves the old set serving).

import type { ClientInfo, Resolver } from '../resolver/resolver.js';
import { responseFor } from '../resolver/respond.js';
import { type Clock, systemClock } from '../transport/clock.js';
import { decodeMessage, EDE, encodeMessage, Rcode } from '../wire/index.js';
import { Acl, type Cidr, LOOPBACK_ACL } from './acl.js';
import { clientExchangeChannel, observeClientExchange } from './diagnostics.js';
import { listenDoh } from './listeners/doh.js';
import { listenDot, type TlsCredentials } from './listeners/dot.js';
import { ServeError } from './listeners/errors.js';
import {
  DEFAULT_MAX_UDP_PAYLOAD,
  type ExchangeContext,
  MIN_UDP_PAYLOAD,
  type QueryInfo,
  type RawHandler,
  type ServerLogger,
} from './listeners/exchange.js';
import { QueryLog, serverQueryChannel } from './listeners/querylog.js';
import { DEFAULT_MAX_STREAM_CONNECTIONS, type StreamSettings } from './listeners/stream.js';
import { listenTcp } from './listeners/tcp.js';
import type { Listener } from './listeners/types.js';
import { listenUdp } from './listeners/udp.js';
import { publishServed, type ServedOutcome, servedChannel } from './served.js';

export type { TlsCredentials } from './listeners/dot.js';

export type ServiceTransport = 'udp' | 'tcp' | 'dot' | 'doh';

export const SERVICE_TRANSPORTS: readonly ServiceTransport[] = ['udp', 'tcp', 'dot', 'doh'];

/** One listener to start: `port` 0 asks the kernel for a free port. */
export interface ListenSpec {
  address: string;
  port: number;
  transport: ServiceTransport;
}

/**
 * What the service needs of the resolver (a Resolver, or a stand-in in tests). With `stats`,
 * the service can tell packet-cache hits apart in its events.
 */
export type RawResolver = Pick<Resolver, 'handleRaw'> & { readonly stats?: { readonly packetHits: number } };

export interface ResolverServiceOptions {
  listen: readonly ListenSpec[];
  resolver: RawResolver;
  /** Clients served (default LOOPBACK_ACL); an Acl, or CIDR entries. */
  acl?: Acl | readonly (string | Cidr)[];
  /** Certificate and key of the DoT and DoH listeners (required when there is one). */
  tls?: TlsCredentials;
  /** DoH URL path (default /dns-query). */
  dohPath?: string;
  /** DoH over HTTP/1.1 as well as HTTP/2 (default true). */
  http1?: boolean;
  /** Idle timeout of TCP and DoT connections and DoH sessions, and the TLS handshake limit (default 10 s). */
  idleTimeoutMs?: number;
  /** Concurrent connections per stream listener: TCP, DoT, DoH each (default 256). */
  maxTcpConnections?: number;
  /** Concurrent connections one client address may hold per stream listener (default: no limit of its own). */
  maxConnectionsPerClient?: number;
  /** Cap on UDP replies (default 1232, at least 512). */
  maxUdpPayload?: number;
  /** Keep a query log of this many entries; without it nothing is logged per query. */
  queryLogCapacity?: number;
  log?: ServerLogger;
  /** Clock for query log timestamps (default Date.now). */
  now?: () => number;
  /** Clock for the `sealdns:server:request` events (default systemClock). */
  clock?: Clock;
}

export interface BoundListener {
  address: string;
  /** The bound port (the kernel's choice when 0 was asked for). */
  port: number;
  transport: ServiceTransport;
}

export interface ResolverService {
  /** Every started listener, in the order of `listen` (of the last `reconfigure`). */
  readonly listeners: readonly BoundListener[];
  /** Present when `queryLogCapacity` was given (published on `sealdns:server:query`). */
  readonly queryLog: QueryLog | undefined;
  /** Queries refused by the ACL. */
  readonly stats: { readonly refused: number };
  /** The resolver queries go to. */
  readonly resolver: RawResolver;
  /** Queries received from now on go to `resolver` (those in flight finish with the old one). */
  setResolver(resolver: RawResolver): void;
  /** Clients allowed from now on. */
  setAcl(acl: Acl | readonly (string | Cidr)[]): void;
  /**
   * Moves to another set of listeners (and certificate): listeners in both sets keep running
   * (their open connections too), new ones are bound first, then removed ones close. On any
   * failure the newly bound ones are closed and the old set keeps serving (ServeError).
   */
  reconfigure(listen: readonly ListenSpec[], tls?: TlsCredentials): Promise<void>;
  /** Closes every listener and open connection; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_DOH_PATH = '/dns-query';

interface Running {
  spec: ListenSpec;
  key: string;
  listener: Listener;
}

const specKey = (s: ListenSpec): string => `${s.transport}|${s.address}|${s.port}`;

/** Starts every listener of `opts.listen`; on any failure those already started are closed. */
export async function startResolverService(opts: ResolverServiceOptions): Promise<ResolverService> {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = opts.maxTcpConnections ?? DEFAULT_MAX_STREAM_CONNECTIONS;
  const maxPerClient = opts.maxConnectionsPerClient;
  const maxUdpPayload = opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD;
  const dohPath = opts.dohPath ?? DEFAULT_DOH_PATH;
  checkOptions(opts, { idleTimeoutMs, maxConnections, maxPerClient, maxUdpPayload, dohPath });
  let acl = toAcl(opts.acl ?? LOOPBACK_ACL);
  let resolver = opts.resolver;
  let tls = opts.tls;
  const clock = opts.clock ?? systemClock;

  const stats = { refused: 0 };
  const rawHandler: RawHandler = (raw, info, maxSize) => {
    const observed = servedChannel.hasSubscribers;
    const t0 = observed ? clock.now() : 0;
    if (!acl.allows(info.client.address)) {
      stats.refused++;
      const out = refuse(raw, maxSize);
      if (observed) served(clock, raw, info, t0, 'refused', false, out);
      return out;
    }
    const r = resolver;
    const client: ClientInfo = { transport: info.transport, address: info.client.address };
    const hitsBefore = observed ? r.stats?.packetHits : undefined;
    const reply = clientExchangeChannel.hasSubscribers
      ? observeClientExchange(raw, info, () => r.handleRaw(raw, client, maxSize))
      : r.handleRaw(raw, client, maxSize);
    if (!observed) return reply;
    // a packet-cache hit is answered before handleRaw first awaits: the counter has moved already
    const packetHit = hitsBefore !== undefined && r.stats?.packetHits !== hitsBefore;
    if (reply instanceof Uint8Array) {
      // answered at once (a packet-cache hit): published and returned without a promise
      served(clock, raw, info, t0, 'answered', packetHit, reply);
      return reply;
    }
    return Promise.resolve(reply).then(
      (out) => {
        served(clock, raw, info, t0, out === undefined ? 'dropped' : 'answered', packetHit, out);
        return out;
      },
      (err: unknown) => {
        served(clock, raw, info, t0, 'failed', packetHit, undefined);
        throw err;
      },
    );
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
  const stream: StreamSettings = {
    idleTimeoutMs,
    maxConnections,
    ...(maxPerClient === undefined ? {} : { maxConnectionsPerClient: maxPerClient }),
  };
  const http1 = opts.http1 ?? true;
  const startOne = async (spec: ListenSpec, creds: TlsCredentials | undefined): Promise<Listener> => {
    switch (spec.transport) {
      case 'udp':
        return listenUdp(ctx, spec.address, spec.port);
      case 'tcp':
        return listenTcp(ctx, spec.address, spec.port, stream);
      case 'dot':
        return listenDot(ctx, spec.address, spec.port, needTls(creds), stream);
      case 'doh':
        return listenDoh(ctx, spec.address, spec.port, needTls(creds), {
          ...stream,
          path: dohPath,
          allowHTTP1: http1,
        });
    }
  };
  /** Starts `specs` (skipping keys in `keep`); on a failure closes what it started and throws. */
  const startAll = async (
    specs: readonly ListenSpec[],
    creds: TlsCredentials | undefined,
    keep: ReadonlyMap<string, Running>,
  ): Promise<Running[]> => {
    const started: Running[] = [];
    try {
      for (const spec of specs) {
        const key = specKey(spec);
        if (keep.has(key) || started.some((r) => r.key === key)) continue;
        started.push({ spec, key, listener: await startOne(spec, creds) });
      }
    } catch (err) {
      await Promise.all(started.map((r) => r.listener.close()));
      throw err;
    }
    return started;
  };

  let running = await startAll(opts.listen, tls, new Map());
  let bound = boundOf(opts.listen, running);
  let closing: Promise<void> | undefined;
  return {
    get listeners() {
      return bound;
    },
    queryLog,
    stats,
    get resolver() {
      return resolver;
    },
    setResolver: (r) => {
      if (typeof r?.handleRaw !== 'function') throw new ServeError('bad-option', 'resolver must have handleRaw');
      resolver = r;
    },
    setAcl: (a) => {
      acl = toAcl(a);
    },
    reconfigure: async (listen, newTls) => {
      if (closing !== undefined) throw new ServeError('bad-option', 'the service is closed');
      checkOptions(
        { ...opts, listen, tls: newTls ?? tls },
        { idleTimeoutMs, maxConnections, maxPerClient, maxUdpPayload, dohPath },
      );
      const creds = newTls ?? tls;
      const current = new Map(running.map((r) => [r.key, r]));
      const added = await startAll(listen, creds, current);
      const wanted = new Set(listen.map(specKey));
      const removed = running.filter((r) => !wanted.has(r.key));
      const kept = running.filter((r) => wanted.has(r.key));
      if (newTls !== undefined) for (const r of kept) r.listener.setCredentials?.(newTls);
      tls = creds;
      running = [...kept, ...added];
      bound = boundOf(listen, running);
      await Promise.all(removed.map((r) => r.listener.close()));
    },
    close: () => {
      closing ??= Promise.all(running.map((r) => r.listener.close())).then(() => undefined);
      return closing;
    },
  };
}

function toAcl(a: Acl | readonly (string | Cidr)[]): Acl {
  return a instanceof Acl ? a : Acl.parse(a);
}

function needTls(creds: TlsCredentials | undefined): TlsCredentials {
  if (creds === undefined) throw new ServeError('bad-option', 'DoT and DoH need `tls` (certificate and key)');
  return creds;
}

function boundOf(listen: readonly ListenSpec[], running: readonly Running[]): readonly BoundListener[] {
  const byKey = new Map(running.map((r) => [r.key, r]));
  const out: BoundListener[] = [];
  const seen = new Set<string>();
  for (const spec of listen) {
    const key = specKey(spec);
    const r = byKey.get(key);
    if (r === undefined || seen.has(key)) continue;
    seen.add(key);
    out.push({ address: spec.address, port: r.listener.port, transport: spec.transport });
  }
  return Object.freeze(out);
}

/** Publishes one finished query on `sealdns:server:request`. */
function served(
  clock: Clock,
  raw: Uint8Array,
  info: QueryInfo,
  t0: number,
  outcome: ServedOutcome,
  packetHit: boolean,
  out: Uint8Array | undefined,
): void {
  const replied = out !== undefined && out.length >= 12;
  publishServed({
    transport: info.transport,
    client: info.client.address,
    clientPort: info.client.port,
    outcome,
    packetHit,
    ...(replied ? { rcode: out[3] & 0x0f } : {}),
    ad: replied && (out[3] & 0x20) !== 0,
    receivedAt: t0,
    durationMs: clock.now() - t0,
    query: raw,
    ...(out === undefined ? {} : { response: out }),
  });
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
  v: {
    idleTimeoutMs: number;
    maxConnections: number;
    maxPerClient: number | undefined;
    maxUdpPayload: number;
    dohPath: string;
  },
): void {
  const bad = (reason: string): never => {
    throw new ServeError('bad-option', reason);
  };
  if (opts.listen.length === 0) bad('nothing to listen on');
  for (const [i, l] of opts.listen.entries()) {
    if (!SERVICE_TRANSPORTS.includes(l.transport)) bad(`listen[${i}]: transport ${String(l.transport)}`);
    if (!Number.isInteger(l.port) || l.port < 0 || l.port > 65535) bad(`listen[${i}]: port ${l.port}`);
    if ((l.transport === 'dot' || l.transport === 'doh') && opts.tls === undefined)
      bad(`listen[${i}]: ${l.transport} needs \`tls\` (certificate and key)`);
  }
  if (!Number.isFinite(v.idleTimeoutMs) || v.idleTimeoutMs <= 0) bad(`idleTimeoutMs ${v.idleTimeoutMs}`);
  if (!Number.isInteger(v.maxConnections) || v.maxConnections < 1) bad(`maxTcpConnections ${v.maxConnections}`);
  if (v.maxPerClient !== undefined && (!Number.isInteger(v.maxPerClient) || v.maxPerClient < 1))
    bad(`maxConnectionsPerClient ${v.maxPerClient}`);
  if (!v.dohPath.startsWith('/') || v.dohPath.includes('?')) bad(`dohPath ${v.dohPath}`);
  if (!Number.isInteger(v.maxUdpPayload) || v.maxUdpPayload < MIN_UDP_PAYLOAD || v.maxUdpPayload > 65535)
    bad(`maxUdpPayload ${v.maxUdpPayload}`);
  if (typeof opts.resolver?.handleRaw !== 'function') bad('resolver must have handleRaw');
}
