// Small TLS servers for the encrypted transport tests: a DoT server (node:tls, RFC 7858 framing) and a DoH server
// (node:http2), both on loopback, recording what they saw (handshakes, resumptions, SNI, ALPN, query sizes,
// application bytes) so tests can prove what crossed the wire. Certificates come from the authority's generator.

import http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import { type GeneratedCertificate, generateCertificate } from '../../src/authority/certgen.js';
import { tlsaData } from '../../src/authority/tlsa.js';
import type { TlsaRecord } from '../../src/transport/index.js';
import { answerFor, frameOf } from './dns-fakes.js';

export interface Pki {
  root: GeneratedCertificate;
  inter: GeneratedCertificate;
  /** Leaf for `ns.test`, issued by `inter`. */
  leaf: GeneratedCertificate;
  /** Leaf PEM followed by the intermediate (what a server presents). */
  chainPem: string;
}

/** A root CA, an intermediate and a leaf for ns.test (the root is not sent by servers). */
export function makePki(name = 'ns.test'): Pki {
  const root = generateCertificate({ commonName: 'sealdns test root', isCA: true });
  const inter = generateCertificate({ commonName: 'sealdns test intermediate', isCA: true, issuer: root });
  const leaf = generateCertificate({ commonName: name, dnsNames: [name], issuer: inter });
  return { root, inter, leaf, chainPem: leaf.certPem + inter.certPem };
}

/** A self-signed certificate for `name` (the lab's kind). */
export function selfSigned(name = 'ns.test'): GeneratedCertificate {
  return generateCertificate({ commonName: name, dnsNames: [name] });
}

export function tlsaFor(
  cert: GeneratedCertificate,
  usage: number,
  selector: 0 | 1,
  matchingType: 0 | 1 | 2,
): TlsaRecord {
  return { usage, selector, matchingType, data: tlsaData(cert.certDer, selector, matchingType) };
}

export interface ServerRecord {
  /** TCP connections accepted. */
  accepted: number;
  /** TLS handshakes completed (full or resumed). */
  secure: number;
  /** Of those, resumed from a ticket. */
  resumed: number;
  /** SNI seen per completed handshake ('' when none was sent). */
  sni: string[];
  /** ALPN selected per completed handshake ('' when none). */
  alpn: string[];
  /** Application octets received (after the handshake). */
  bytes: number;
  /** Length of every DNS query received. */
  queryLengths: number[];
  /** The queries themselves. */
  queries: Buffer[];
}

function newRecord(): ServerRecord {
  return { accepted: 0, secure: 0, resumed: 0, sni: [], alpn: [], bytes: 0, queryLengths: [], queries: [] };
}

export interface FakeTlsServer extends ServerRecord {
  port: number;
  close(): Promise<void>;
}

export interface DotServerOptions {
  cert: string;
  key: string;
  /** Highest TLS version the server accepts (e.g. 'TLSv1.2' for a server without 1.3). */
  maxVersion?: tls.SecureVersion;
  minVersion?: tls.SecureVersion;
  /** ALPN protocols the server selects from (default ['dot']; [] for none). */
  alpn?: string[];
  /** Reply to a query (default: one A record). */
  answer?: (query: Buffer) => Uint8Array | undefined;
}

/** A DoT server: TLS, then 2-octet framed DNS messages. */
export async function dotServer(opts: DotServerOptions): Promise<FakeTlsServer> {
  const rec = newRecord();
  const open = new Set<net.Socket>();
  const alpn = opts.alpn ?? ['dot'];
  const server = tls.createServer({
    cert: opts.cert,
    key: opts.key,
    minVersion: opts.minVersion ?? (opts.maxVersion === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.3'),
    ...(opts.maxVersion === undefined ? {} : { maxVersion: opts.maxVersion }),
    ...(alpn.length === 0 ? {} : { ALPNProtocols: alpn }),
  });
  server.on('connection', (socket) => {
    rec.accepted++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (socket) => {
    rec.secure++;
    if (socket.isSessionReused()) rec.resumed++;
    rec.sni.push(typeof socket.servername === 'string' ? socket.servername : '');
    rec.alpn.push(typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '');
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      rec.bytes += chunk.length;
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        rec.queryLengths.push(msg.length);
        rec.queries.push(msg);
        const reply = opts.answer ? opts.answer(msg) : answerFor(msg);
        if (reply !== undefined && !socket.destroyed) socket.write(frameOf(reply));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(rec, {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  });
}

export interface DohRequest {
  method: string;
  path: string;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

export interface DohResponse {
  status?: number;
  contentType?: string;
  body?: Uint8Array;
}

export interface DohServerOptions {
  cert: string;
  key: string;
  maxVersion?: tls.SecureVersion;
  /**
   * Builds the response (default: 200, application/dns-message, one A record for the POST body or GET dns=);
   * undefined leaves the stream unanswered.
   */
  respond?: (req: DohRequest) => DohResponse | undefined;
}

export interface FakeDohServer extends ServerRecord {
  port: number;
  requests: DohRequest[];
  /** HTTP/2 sessions accepted. */
  sessions: number;
  close(): Promise<void>;
}

/** The DNS query of a DoH request (POST body, or GET `dns` parameter). */
export function dohQuery(req: DohRequest): Buffer {
  if (req.method === 'POST') return req.body;
  const q = req.path.indexOf('?');
  const dns = new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)).get('dns') ?? '';
  return Buffer.from(dns, 'base64url');
}

/** A DoH server (HTTP/2 only) answering every path. */
export async function dohServer(opts: DohServerOptions): Promise<FakeDohServer> {
  const rec = newRecord();
  const open = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const requests: DohRequest[] = [];
  const server = http2.createSecureServer({
    cert: opts.cert,
    key: opts.key,
    minVersion: opts.maxVersion === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.3',
    ...(opts.maxVersion === undefined ? {} : { maxVersion: opts.maxVersion }),
    allowHTTP1: false,
  });
  const fake = Object.assign(rec, { port: 0, requests, sessions: 0, close: async () => {} });
  server.on('connection', (socket: net.Socket) => {
    rec.accepted++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    rec.secure++;
    if (socket.isSessionReused()) rec.resumed++;
    rec.sni.push(typeof socket.servername === 'string' ? socket.servername : '');
    rec.alpn.push(typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '');
  });
  server.on('session', (s) => {
    fake.sessions++;
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => {
      rec.bytes += c.length;
      chunks.push(c);
    });
    stream.on('end', () => {
      const req: DohRequest = {
        method: String(headers[':method']),
        path: String(headers[':path']),
        headers,
        body: Buffer.concat(chunks),
      };
      requests.push(req);
      const query = dohQuery(req);
      rec.queryLengths.push(query.length);
      rec.queries.push(query);
      const res = opts.respond ? opts.respond(req) : {};
      if (res === undefined) return;
      const body = res.body ?? answerFor(query);
      if (stream.destroyed) return;
      stream.respond({ ':status': res.status ?? 200, 'content-type': res.contentType ?? 'application/dns-message' });
      stream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.port = (server.address() as net.AddressInfo).port;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy();
      for (const s of open) s.destroy();
      server.close(() => resolve());
    });
  return fake;
}

/** Polls `predicate` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
