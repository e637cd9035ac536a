// The authoritative server's encrypted listeners: DoT (RFC 7858) with node:tls clients and DoH
// (RFC 8484) with node:http2 clients, over loopback, trusting a certificate made for the test.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { generateCertificate } from '../../src/authority/certgen.js';
import { type AuthServer, startAuthServer } from '../../src/authority/server.js';
import { decodeMessage, encodeMessage, makeQuery, Rcode, RRType } from '../../src/wire/index.js';
import { ANSWER_ADDRESS, IO_TIMEOUT, query, StreamClient, sleep, testHandler } from './serve-helpers.js';

const T = { timeout: 15_000 };
const HOST = 'dns.test';
const cert = generateCertificate({ commonName: HOST, dnsNames: [HOST], ipAddresses: ['127.0.0.1'] });

describe('authoritative server: DoT', () => {
  let server: AuthServer;
  const tlsOpts = (extra: tls.ConnectionOptions = {}): tls.ConnectionOptions => ({
    ca: cert.certPem,
    servername: HOST,
    ...extra,
  });
  before(async () => {
    server = await startAuthServer({
      address: '127.0.0.1',
      dotPort: 0,
      tls: cert,
      handler: testHandler,
      idleTimeoutMs: 1_000,
      maxTcpConnections: 2,
    });
  });
  after(() => server.close());

  test('answers over TLS 1.3 with ALPN dot, padded to 468 octets', T, async () => {
    const c = await StreamClient.connectTls(server.ports.dot!, tlsOpts({ ALPNProtocols: ['dot'] }));
    try {
      const s = c.socket as tls.TLSSocket;
      assert.equal(s.getProtocol(), 'TLSv1.3');
      assert.equal(s.alpnProtocol, 'dot');
      c.send(query('www.example.test', { id: 21 }));
      const wire = await c.next();
      assert.equal(wire.length % 468, 0, `padded length ${wire.length}`);
      const r = decodeMessage(wire);
      assert.equal(r.id, 21);
      assert.deepEqual(
        r.answers.map((rr) => rr.data),
        [{ address: ANSWER_ADDRESS }],
      );
      assert.ok(r.edns?.options.some((o) => o.kind === 'padding'));
      const e = await server.queryLog.waitFor((x) => x.id === 21);
      assert.equal(e.transport, 'dot');
      assert.equal(e.listener, 'dot');
    } finally {
      c.destroy();
    }
  });

  test('a client without ALPN is served; no padding without EDNS', T, async () => {
    const c = await StreamClient.connectTls(server.ports.dot!, tlsOpts());
    try {
      assert.equal((c.socket as tls.TLSSocket).alpnProtocol, false);
      c.write(
        Buffer.concat(
          [query('p1.test', { id: 31, edns: false }), query('p2.test', { id: 32, edns: false })].map((w) => {
            const b = Buffer.alloc(2 + w.length);
            b.writeUInt16BE(w.length, 0);
            b.set(w, 2);
            return b;
          }),
        ),
      );
      const r1 = await c.nextMessage();
      const r2 = await c.nextMessage();
      assert.deepEqual([r1.id, r2.id].sort(), [31, 32]);
      assert.equal(r1.edns, undefined);
    } finally {
      c.destroy();
    }
  });

  test('a TLS 1.2 client is refused', T, async () => {
    await assert.rejects(StreamClient.connectTls(server.ports.dot!, tlsOpts({ maxVersion: 'TLSv1.2' })));
  });

  test('a client that does not trust the certificate fails the handshake', T, async () => {
    const other = generateCertificate({ commonName: HOST });
    await assert.rejects(StreamClient.connectTls(server.ports.dot!, tlsOpts({ ca: other.certPem })));
  });

  test('idle timeout and max connections apply to DoT too', T, async () => {
    await sleep(300); // let the server see the earlier tests' connections close
    const a = await StreamClient.connectTls(server.ports.dot!, tlsOpts());
    const b = await StreamClient.connectTls(server.ports.dot!, tlsOpts());
    try {
      await assert.rejects(StreamClient.connectTls(server.ports.dot!, tlsOpts()));
      a.destroy();
      b.destroy();
      await sleep(100);
      const c = await StreamClient.connectTls(server.ports.dot!, tlsOpts());
      c.send(query('again.test', { id: 41 }));
      assert.equal((await c.nextMessage()).id, 41);
      assert.equal(await c.closesWithin(3_000), true, 'closed after the idle timeout');
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});

interface HttpReply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function h2request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    const timer = setTimeout(() => {
      req.close();
      reject(new Error('DoH request timed out'));
    }, IO_TIMEOUT);
    const chunks: Buffer[] = [];
    let got: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => {
      got = h;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      clearTimeout(timer);
      resolve({ status: Number(got[':status']), headers: got, body: Buffer.concat(chunks) });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) req.end(body);
  });
}

describe('authoritative server: DoH', () => {
  let server: AuthServer;
  let session: http2.ClientHttp2Session;
  before(async () => {
    server = await startAuthServer({ address: '127.0.0.1', dohPort: 0, tls: cert, handler: testHandler });
    session = http2.connect(`https://${HOST}:${server.ports.doh}`, {
      ca: cert.certPem,
      host: '127.0.0.1',
      servername: HOST,
      minVersion: 'TLSv1.3',
      lookup: (_h, _o, cb) => cb(null, '127.0.0.1', 4),
    } as http2.SecureClientSessionOptions);
    session.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
  });
  after(async () => {
    session.destroy();
    await server.close();
  });

  const get = (path: string) => h2request(session, { ':method': 'GET', ':path': path });
  const post = (wire: Uint8Array, type = 'application/dns-message', path = '/dns-query') =>
    h2request(session, { ':method': 'POST', ':path': path, 'content-type': type }, wire);

  test('GET with ?dns= base64url', T, async () => {
    const dns = Buffer.from(query('get.test', { id: 0 })).toString('base64url');
    assert.ok(!dns.includes('='));
    const r = await get(`/dns-query?dns=${dns}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/dns-message');
    assert.equal(r.headers['cache-control'], 'max-age=300');
    assert.equal(r.body.length % 468, 0, 'padded');
    const m = decodeMessage(r.body);
    assert.equal(m.answers.length, 1);
    const e = await server.queryLog.waitFor((x) => x.qname === 'get.test.');
    assert.equal(e.transport, 'doh');
  });

  test('POST application/dns-message; negative answers are fresh for the SOA minimum', T, async () => {
    const r = await post(query('nx.test', { id: 0 }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/dns-message');
    assert.equal(r.headers['cache-control'], 'max-age=60');
    assert.equal(decodeMessage(r.body).rcode, Rcode.NXDOMAIN);
    const noEdns = await post(query('plain.test', { edns: false }));
    assert.equal(decodeMessage(noEdns.body).edns, undefined, 'no padding without EDNS');
  });

  test('SERVFAIL in a 200 when the handler throws; FORMERR for a malformed body', T, async () => {
    const r = await post(query('throw.test'));
    assert.equal(r.status, 200);
    assert.equal(decodeMessage(r.body).rcode, Rcode.SERVFAIL);
    assert.equal(r.headers['cache-control'], 'max-age=0');
    const bad = await post(Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 1]));
    assert.equal(bad.status, 200);
    assert.equal(decodeMessage(bad.body).rcode, Rcode.FORMERR);
  });

  test('415 for another content type', T, async () => {
    assert.equal((await post(query('ct.test'), 'application/json')).status, 415);
  });

  test('400 for a missing, invalid or non-query dns parameter and for an empty body', T, async () => {
    assert.equal((await get('/dns-query')).status, 400);
    assert.equal((await get('/dns-query?dns=')).status, 400);
    assert.equal((await get('/dns-query?dns=AAAA%3D')).status, 400, 'padding is not base64url');
    assert.equal((await get('/dns-query?dns=!!!!')).status, 400);
    assert.equal((await get(`/dns-query?dns=${Buffer.alloc(6).toString('base64url')}`)).status, 400, 'short');
    const resp = makeQuery('r.test', RRType.A);
    resp.qr = true;
    assert.equal((await get(`/dns-query?dns=${Buffer.from(encodeMessage(resp)).toString('base64url')}`)).status, 400);
    assert.equal((await post(new Uint8Array(0))).status, 400);
  });

  test('413 for a body over 65535 octets', T, async () => {
    assert.equal((await post(new Uint8Array(70_000))).status, 413);
  });

  test('404 for another path, 405 for another method', T, async () => {
    assert.equal((await get(`/other?dns=${Buffer.from(query('p.test')).toString('base64url')}`)).status, 404);
    assert.equal((await post(query('p.test'), 'application/dns-message', '/dns-query/x')).status, 404);
    const put = await h2request(session, { ':method': 'PUT', ':path': '/dns-query' }, query('p.test'));
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, POST');
  });

  test('a dropped query resets the stream (REFUSED_STREAM)', T, async () => {
    await assert.rejects(post(query('drop.test')), (e: NodeJS.ErrnoException) => e.code === 'ERR_HTTP2_STREAM_ERROR');
  });

  test('TLS 1.2 and HTTP/1.1-only clients are refused', T, async () => {
    const connect = (o: tls.ConnectionOptions) =>
      StreamClient.connectTls(server.ports.doh!, { ca: cert.certPem, servername: HOST, ...o });
    await assert.rejects(connect({ maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'] }));
    await assert.rejects(async () => {
      const c = await connect({ ALPNProtocols: ['http/1.1'] });
      c.write(Buffer.from('GET /dns-query HTTP/1.1\r\nHost: dns.test\r\n\r\n'));
      await c.next(2_000);
    });
  });
});
