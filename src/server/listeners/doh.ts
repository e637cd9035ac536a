// DNS over HTTPS (RFC 8484), TLS 1.3 only, on HTTP/2 and, when `allowHTTP1` is set, on HTTP/1.1
// too (clients that offer ALPN "http/1.1" or no ALPN at all). GET carries the query
// base64url-encoded (no padding) in `?dns=`, POST carries it as an application/dns-message body.
// Both HTTP versions share the request handling below through a small adapter.

import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Message } from '../../wire/index.js';
import { RRType } from '../../wire/index.js';
import { secureContextOptions, type TlsCredentials } from './dot.js';
import { type ExchangeContext, exchange } from './exchange.js';
import { ConnectionSet, closeServer, type StreamSettings } from './stream.js';
import { listen } from './tcp.js';
import type { Listener } from './types.js';

export const DNS_MESSAGE = 'application/dns-message';
/** Longest DNS message, and so the longest request body accepted. */
const MAX_BODY = 65_535;
/** base64url of MAX_BODY octets, unpadded. */
const MAX_GET_PARAM = Math.ceil((MAX_BODY * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface DohSettings extends StreamSettings {
  path: string;
  /** Serve HTTP/1.1 as well as HTTP/2 (default false: HTTP/2 only). */
  allowHTTP1?: boolean;
}

/** One DoH request, whichever HTTP version carried it. */
interface DohExchange {
  method: string | undefined;
  /** Path and query string. */
  target: string;
  contentType: string | undefined;
  /** The connection's socket (for the client and local endpoints). */
  socket: Socket | undefined;
  /** The request body, chunk by chunk. */
  onData(fn: (chunk: Buffer) => void): void;
  onEnd(fn: () => void): void;
  /** The response can no longer be sent (stream reset, connection gone). */
  gone(): boolean;
  headersSent(): boolean;
  respond(status: number, headers: Record<string, string | number>, body: Uint8Array | string): void;
  /** No answer at all: HTTP/2 resets the stream, HTTP/1.1 closes the connection. */
  drop(): void;
}

export async function listenDoh(
  ctx: ExchangeContext,
  address: string,
  port: number,
  creds: TlsCredentials,
  settings: DohSettings,
): Promise<Listener> {
  const conns = new ConnectionSet(settings.maxConnections, settings.maxConnectionsPerClient);
  const sessions = new Set<http2.ServerHttp2Session>();
  const http1 = settings.allowHTTP1 === true;
  const server = http2.createSecureServer({
    ...secureContextOptions(creds),
    allowHTTP1: http1,
    handshakeTimeout: settings.idleTimeoutMs,
  });
  server.on('connection', (socket) => {
    if (!conns.admit(socket))
      ctx.log?.debug?.({ client: socket.remoteAddress, listener: 'doh' }, 'connection refused: listener full');
  });
  // A TLS client that did not negotiate h2 while HTTP/1.1 is off: nothing to serve.
  server.on('unknownProtocol', (socket) => socket.destroy());
  server.on('tlsClientError', (err, socket) =>
    ctx.log?.debug?.({ err, client: socket.remoteAddress, listener: 'doh' }, 'TLS handshake failed'),
  );
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', (err) => ctx.log?.debug?.({ err, listener: 'doh' }, 'http2 session error'));
    session.setTimeout(settings.idleTimeoutMs, () => session.close());
  });
  server.on('stream', (stream, headers) => serveRequest(ctx, settings, h2Exchange(ctx, stream, headers)));
  if (http1) {
    // HTTP/1.1 connections have no session: the idle timeout is the socket's.
    server.on('secureConnection', (socket) => {
      if (socket.alpnProtocol !== 'h2') socket.setTimeout(settings.idleTimeoutMs, () => socket.destroy());
    });
    // 'request' fires for HTTP/2 streams too (the compatibility API); those are served by 'stream'.
    server.on('request', (req, res) => {
      if (req.httpVersionMajor === 1) serveRequest(ctx, settings, h1Exchange(ctx, req, res));
    });
  }
  const bound = await listen(server, address, port, 'doh');
  server.on('error', (err) => ctx.log?.warn({ err, listener: 'doh' }, 'doh listener error'));
  return {
    kind: 'doh',
    port: bound,
    setCredentials: (c) => server.setSecureContext(secureContextOptions(c)),
    close: () =>
      closeServer(server, conns, () => {
        for (const s of sessions) s.destroy();
        sessions.clear();
      }),
  };
}

function h2Exchange(
  ctx: ExchangeContext,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): DohExchange {
  stream.on('error', (err) => ctx.log?.debug?.({ err, listener: 'doh' }, 'http2 stream error'));
  return {
    method: headers[':method'],
    target: headers[':path'] ?? '',
    contentType: headers['content-type'],
    socket: stream.session?.socket as Socket | undefined,
    onData: (fn) => stream.on('data', fn),
    onEnd: (fn) => stream.on('end', fn),
    gone: () => stream.destroyed || stream.closed,
    headersSent: () => stream.headersSent,
    respond: (status, hdrs, body) => {
      stream.respond({ ':status': status, ...hdrs });
      stream.end(body);
    },
    drop: () => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  };
}

function h1Exchange(ctx: ExchangeContext, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): DohExchange {
  // With allowHTTP1 the request and response of an HTTP/1.1 exchange are node:http's objects.
  const socket = req.socket as Socket;
  req.on('error', (err) => ctx.log?.debug?.({ err, listener: 'doh' }, 'http/1.1 request error'));
  return {
    method: req.method,
    target: req.url ?? '',
    contentType: req.headers['content-type'],
    socket,
    onData: (fn) => req.on('data', fn),
    onEnd: (fn) => req.on('end', fn),
    gone: () => socket.destroyed || res.writableEnded,
    headersSent: () => res.headersSent,
    respond: (status, hdrs, body) => {
      res.writeHead(status, hdrs);
      res.end(body);
    },
    drop: () => socket.destroy(),
  };
}

function serveRequest(ctx: ExchangeContext, settings: DohSettings, ex: DohExchange): void {
  const target = ex.target;
  const qmark = target.indexOf('?');
  const path = qmark < 0 ? target : target.slice(0, qmark);
  if (path !== settings.path) {
    status(ex, 404);
    return;
  }
  if (ex.method === 'GET') {
    const dns = new URLSearchParams(qmark < 0 ? '' : target.slice(qmark + 1)).get('dns');
    // RFC 8484 4.1: base64url without padding; a length of 1 mod 4 cannot be base64.
    if (dns === null || dns.length > MAX_GET_PARAM || !BASE64URL.test(dns) || dns.length % 4 === 1) status(ex, 400);
    else void answer(ctx, ex, Buffer.from(dns, 'base64url'));
    return;
  }
  if (ex.method === 'POST') {
    const type = ex.contentType;
    if (type === undefined || type.split(';')[0].trim().toLowerCase() !== DNS_MESSAGE) {
      status(ex, 415);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    ex.onData((chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        status(ex, 413);
        return;
      }
      chunks.push(chunk);
    });
    ex.onEnd(() => {
      if (tooLarge) return;
      if (size === 0) status(ex, 400);
      else void answer(ctx, ex, Buffer.concat(chunks, size));
    });
    return;
  }
  status(ex, 405, { allow: 'GET, POST' });
}

async function answer(ctx: ExchangeContext, ex: DohExchange, wire: Uint8Array): Promise<void> {
  const socket = ex.socket;
  const info = {
    transport: 'doh',
    client: { address: socket?.remoteAddress ?? '', port: socket?.remotePort ?? 0 },
    local: { address: socket?.localAddress ?? '', port: socket?.localPort ?? 0 },
  } as const;
  const out = await exchange(ctx, wire, info);
  if (ex.gone()) return;
  if (out.kind === 'drop') {
    // Not a query (too short, or a response): a bad request. Dropped by the handler: no
    // answer, the closest HTTP has to "no reply".
    if (out.reason === 'handler') ex.drop();
    else status(ex, 400);
    return;
  }
  ex.respond(
    200,
    {
      'content-type': DNS_MESSAGE,
      'content-length': out.wire.length,
      'cache-control': `max-age=${out.response === undefined ? 0 : freshness(out.response)}`,
    },
    out.wire,
  );
}

/**
 * RFC 8484 5.1: the HTTP freshness lifetime must not exceed the smallest TTL in the reply; for a
 * negative answer that includes the SOA MINIMUM (RFC 2308 5). A reply without records gets 0.
 */
export function freshness(m: Message): number {
  let min = Number.POSITIVE_INFINITY;
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) {
    let ttl = rr.ttl;
    if (rr.type === RRType.SOA && 'minimum' in rr.data) ttl = Math.min(ttl, rr.data.minimum);
    if (ttl < min) min = ttl;
  }
  return Number.isFinite(min) ? min : 0;
}

function status(ex: DohExchange, code: number, extra: Record<string, string> = {}): void {
  if (ex.gone() || ex.headersSent()) return;
  ex.respond(code, { 'content-type': 'text/plain; charset=utf-8', ...extra }, `${code}\n`);
}
