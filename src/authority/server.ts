// The authoritative DNS server frame: UDP, TCP, DoT and DoH listeners around any handler. The
// frame does the protocol work (decoding, FORMERR/BADVERS/SERVFAIL, truncation, framing,
// padding, the query log); the handler only maps a query to a reply.

import tls from 'node:tls';
import { listenDoh } from '../server/listeners/doh.js';
import { listenDot, type TlsCredentials } from '../server/listeners/dot.js';
import { ServeError } from '../server/listeners/errors.js';
import {
  DEFAULT_MAX_UDP_PAYLOAD,
  type ExchangeContext,
  type Handler,
  MIN_UDP_PAYLOAD,
  type ServerLogger,
} from '../server/listeners/exchange.js';
import { DEFAULT_QUERY_LOG_CAPACITY, QueryLog } from '../server/listeners/querylog.js';
import {
  ConnectionSet,
  closeServer,
  DEFAULT_MAX_STREAM_CONNECTIONS,
  type StreamSettings,
  serveStream,
} from '../server/listeners/stream.js';
import { listen, listenTcp } from '../server/listeners/tcp.js';
import type { Listener } from '../server/listeners/types.js';
import { listenUdp } from '../server/listeners/udp.js';

export { DNS_MESSAGE, freshness } from '../server/listeners/doh.js';
export type { TlsCredentials } from '../server/listeners/dot.js';
export { ServeError, type ServeErrorCode } from '../server/listeners/errors.js';
export type { Endpoint, Handler, QueryInfo, ServerLogger } from '../server/listeners/exchange.js';
export {
  DEFAULT_MAX_UDP_PAYLOAD,
  MIN_UDP_PAYLOAD,
  RESPONSE_PAD_BLOCK,
  udpLimit,
} from '../server/listeners/exchange.js';
export {
  DEFAULT_QUERY_LOG_CAPACITY,
  type QueryKind,
  QueryLog,
  type QueryLogEntry,
  type QueryLogListener,
  queryChannel,
  type ServeTransport,
} from '../server/listeners/querylog.js';

export const DEFAULT_DOH_PATH = '/dns-query';
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

export interface AuthServerOptions {
  /** Address every listener binds (IPv4 or IPv6 literal). */
  address: string;
  /** Each listener is started only when its port is given; 0 asks the kernel for a free port. */
  udpPort?: number;
  tcpPort?: number;
  dotPort?: number;
  dohPort?: number;
  /** DoH URL path (default /dns-query). */
  dohPath?: string;
  /** Certificate and key for DoT and DoH (required when either is started). */
  tls?: TlsCredentials;
  /**
   * Lab only: the TLS versions the DoT listener accepts instead of TLS 1.3 only (M10), to stand in
   * for a misconfigured server (e.g. `{ min: 'TLSv1.2', max: 'TLSv1.2' }`, what `sealdns check`
   * reports as tls12-only). Never set by sealdns itself.
   */
  labTlsVersions?: { min: tls.SecureVersion; max: tls.SecureVersion };
  handler: Handler;
  /** Idle timeout of TCP/DoT connections and DoH sessions, and the TLS handshake limit (default 10 s). */
  idleTimeoutMs?: number;
  /** Concurrent connections per stream listener (TCP, DoT, DoH each; default 256). */
  maxTcpConnections?: number;
  /** Cap on UDP replies and the size advertised in OPT (default 1232, at least 512). */
  maxUdpPayload?: number;
  /** Ring size of the query log (default 10,000). */
  queryLogCapacity?: number;
  log?: ServerLogger;
  /** Clock for query log timestamps (default Date.now). */
  now?: () => number;
}

export interface AuthServerPorts {
  udp?: number;
  tcp?: number;
  dot?: number;
  doh?: number;
}

export interface AuthServer {
  readonly address: string;
  /** Bound port of each started listener. */
  readonly ports: Readonly<AuthServerPorts>;
  /** Every message the listeners decoded, newest last. */
  readonly queryLog: QueryLog;
  /** Closes every listener and every open connection; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

/** Starts the listeners whose ports are given. On any failure, those already started are closed. */
export async function startAuthServer(opts: AuthServerOptions): Promise<AuthServer> {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = opts.maxTcpConnections ?? DEFAULT_MAX_STREAM_CONNECTIONS;
  const maxUdpPayload = opts.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD;
  const dohPath = opts.dohPath ?? DEFAULT_DOH_PATH;
  checkOptions(opts, { idleTimeoutMs, maxConnections, maxUdpPayload, dohPath });

  const queryLog = new QueryLog(opts.queryLogCapacity ?? DEFAULT_QUERY_LOG_CAPACITY);
  const ctx: ExchangeContext = {
    handler: opts.handler,
    queryLog,
    now: opts.now ?? Date.now,
    maxUdpPayload,
    idleTimeoutMs,
    log: opts.log,
  };
  const stream: StreamSettings = { idleTimeoutMs, maxConnections };
  const listeners: Listener[] = [];
  const ports: AuthServerPorts = {};
  try {
    if (opts.udpPort !== undefined) listeners.push(await listenUdp(ctx, opts.address, opts.udpPort));
    if (opts.tcpPort !== undefined) listeners.push(await listenTcp(ctx, opts.address, opts.tcpPort, stream));
    if (opts.dotPort !== undefined)
      listeners.push(
        opts.labTlsVersions === undefined
          ? await listenDot(ctx, opts.address, opts.dotPort, opts.tls!, stream)
          : await listenLabDot(ctx, opts.address, opts.dotPort, opts.tls!, stream, opts.labTlsVersions),
      );
    if (opts.dohPort !== undefined)
      listeners.push(await listenDoh(ctx, opts.address, opts.dohPort, opts.tls!, { ...stream, path: dohPath }));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  for (const l of listeners) ports[l.kind] = l.port;

  let closing: Promise<void> | undefined;
  return {
    address: opts.address,
    ports: Object.freeze(ports),
    queryLog,
    close: () => {
      closing ??= Promise.all(listeners.map((l) => l.close())).then(() => undefined);
      return closing;
    },
  };
}

/**
 * Lab only: a DoT listener with the TLS versions given (the regular one pins TLS 1.3). The same
 * stream handling, connection limit and ALPN as listenDot; used to put a TLS 1.2-only server in
 * the lab.
 */
async function listenLabDot(
  ctx: ExchangeContext,
  address: string,
  port: number,
  creds: TlsCredentials,
  settings: StreamSettings,
  versions: { min: tls.SecureVersion; max: tls.SecureVersion },
): Promise<Listener> {
  const conns = new ConnectionSet(settings.maxConnections);
  const server = tls.createServer({
    cert: creds.certPem,
    key: creds.keyPem,
    minVersion: versions.min,
    maxVersion: versions.max,
    ALPNProtocols: ['dot'],
    handshakeTimeout: settings.idleTimeoutMs,
    allowHalfOpen: false,
  });
  server.on('connection', (socket) => conns.admit(socket));
  server.on('secureConnection', (socket) => serveStream(ctx, socket, 'dot', settings));
  server.on('tlsClientError', (err, socket) =>
    ctx.log?.debug?.({ err, client: socket.remoteAddress, listener: 'dot' }, 'TLS handshake failed'),
  );
  const bound = await listen(server, address, port, 'dot');
  server.on('error', (err) => ctx.log?.warn({ err, listener: 'dot' }, 'dot listener error'));
  return { kind: 'dot', port: bound, close: () => closeServer(server, conns) };
}

function checkOptions(
  opts: AuthServerOptions,
  v: { idleTimeoutMs: number; maxConnections: number; maxUdpPayload: number; dohPath: string },
): void {
  const bad = (reason: string): never => {
    throw new ServeError('bad-option', reason);
  };
  for (const [key, port] of Object.entries({
    udpPort: opts.udpPort,
    tcpPort: opts.tcpPort,
    dotPort: opts.dotPort,
    dohPort: opts.dohPort,
  })) {
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) bad(`${key} ${port}`);
  }
  if ((opts.dotPort !== undefined || opts.dohPort !== undefined) && opts.tls === undefined)
    bad('DoT and DoH need `tls` (certificate and key)');
  if (!Number.isFinite(v.idleTimeoutMs) || v.idleTimeoutMs <= 0) bad(`idleTimeoutMs ${v.idleTimeoutMs}`);
  if (!Number.isInteger(v.maxConnections) || v.maxConnections < 1) bad(`maxTcpConnections ${v.maxConnections}`);
  if (!Number.isInteger(v.maxUdpPayload) || v.maxUdpPayload < MIN_UDP_PAYLOAD || v.maxUdpPayload > 65535)
    bad(`maxUdpPayload ${v.maxUdpPayload}`);
  if (!v.dohPath.startsWith('/') || v.dohPath.includes('?')) bad(`dohPath ${v.dohPath}`);
  if (typeof opts.handler !== 'function') bad('handler must be a function');
}
