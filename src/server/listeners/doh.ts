// DNS over HTTPS (RFC 8484) on HTTP/2 only, TLS 1.3 only. GET carries the query base64url-encoded
// (no padding) in `?dns=`, POST carries it as an application/dns-message body.

import http2 from 'node:http2';
import type { Message } from '../../wire/index.js';
import { RRType } from '../../wire/index.js';
import type { TlsCredentials } from './dot.js';
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
}

export async function listenDoh(
  ctx: ExchangeContext,
  address: string,
  port: number,
  creds: TlsCredentials,
  settings: DohSettings,
): Promise<Listener> {
  const conns = new ConnectionSet(settings.maxConnections);
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({
    cert: creds.certPem,
    key: creds.keyPem,
    minVersion: 'TLSv1.3',
    allowHTTP1: false,
    handshakeTimeout: settings.idleTimeoutMs,
  });
  server.on('connection', (socket) => {
    if (!conns.admit(socket))
      ctx.log?.debug?.({ client: socket.remoteAddress, listener: 'doh' }, 'connection refused: listener full');
  });
  // A TLS client that did not negotiate h2 (allowHTTP1 is false): nothing to serve.
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
  server.on('stream', (stream, headers) => serveRequest(ctx, settings, stream, headers));
  const bound = await listen(server, address, port, 'doh');
  server.on('error', (err) => ctx.log?.warn({ err, listener: 'doh' }, 'doh listener error'));
  return {
    kind: 'doh',
    port: bound,
    close: () =>
      closeServer(server, conns, () => {
        for (const s of sessions) s.destroy();
        sessions.clear();
      }),
  };
}

function serveRequest(
  ctx: ExchangeContext,
  settings: DohSettings,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): void {
  stream.on('error', (err) => ctx.log?.debug?.({ err, listener: 'doh' }, 'http2 stream error'));
  const method = headers[':method'];
  const target = headers[':path'] ?? '';
  const qmark = target.indexOf('?');
  const path = qmark < 0 ? target : target.slice(0, qmark);
  if (path !== settings.path) {
    status(stream, 404);
    return;
  }
  if (method === 'GET') {
    const dns = new URLSearchParams(qmark < 0 ? '' : target.slice(qmark + 1)).get('dns');
    // RFC 8484 4.1: base64url without padding; a length of 1 mod 4 cannot be base64.
    if (dns === null || dns.length > MAX_GET_PARAM || !BASE64URL.test(dns) || dns.length % 4 === 1) status(stream, 400);
    else void answer(ctx, stream, Buffer.from(dns, 'base64url'));
    return;
  }
  if (method === 'POST') {
    const type = headers['content-type'];
    if (type === undefined || type.split(';')[0].trim().toLowerCase() !== DNS_MESSAGE) {
      status(stream, 415);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    stream.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        status(stream, 413);
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (tooLarge) return;
      if (size === 0) status(stream, 400);
      else void answer(ctx, stream, Buffer.concat(chunks, size));
    });
    return;
  }
  status(stream, 405, { allow: 'GET, POST' });
}

async function answer(ctx: ExchangeContext, stream: http2.ServerHttp2Stream, wire: Uint8Array): Promise<void> {
  const socket = stream.session?.socket;
  const info = {
    transport: 'doh',
    client: { address: socket?.remoteAddress ?? '', port: socket?.remotePort ?? 0 },
    local: { address: socket?.localAddress ?? '', port: socket?.localPort ?? 0 },
  } as const;
  const out = await exchange(ctx, wire, info);
  if (stream.destroyed || stream.closed) return;
  if (out.kind === 'drop') {
    // Not a query (too short, or a response): a bad request. Dropped by the handler: reset the
    // stream, the closest HTTP/2 has to "no answer".
    if (out.reason === 'handler') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    else status(stream, 400);
    return;
  }
  stream.respond({
    ':status': 200,
    'content-type': DNS_MESSAGE,
    'content-length': out.wire.length,
    'cache-control': `max-age=${out.response === undefined ? 0 : freshness(out.response)}`,
  });
  stream.end(out.wire);
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

function status(stream: http2.ServerHttp2Stream, code: number, extra: Record<string, string> = {}): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond({ ':status': code, 'content-type': 'text/plain; charset=utf-8', ...extra });
  stream.end(`${code}\n`);
}
