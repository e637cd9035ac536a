// TLS probes for the checker: a TLS 1.3 server, a TLS 1.2-only server (found by the second,
// separate probe), a closed port, and a TCP server that does not speak TLS.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { generateCertificate } from '../../src/authority/certgen.js';
import { probeTls } from '../../src/transport/probe.js';
import { freePort } from '../helpers/peers.js';

const cert = generateCertificate({ commonName: 'ns1.probe.test', ipAddresses: ['127.0.0.1'] });

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('probeTls', { timeout: 20_000 }, () => {
  const servers: net.Server[] = [];
  let tls13: number;
  let tls12: number;
  let plain: number;

  before(async () => {
    const opts = { cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['dot'] };
    const a = tls.createServer({ ...opts, minVersion: 'TLSv1.3' }, (s) => s.end());
    const b = tls.createServer({ ...opts, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (s) => s.end());
    const c = net.createServer((s) => s.end('this is not TLS\r\n'));
    for (const s of [a, b, c]) s.on('tlsClientError', () => undefined);
    servers.push(a, b, c);
    [tls13, tls12, plain] = [await listen(a), await listen(b), await listen(c)];
  });

  after(() => {
    for (const s of servers) s.close();
  });

  test('TLS 1.3: version, ALPN and the certificate', async () => {
    const r = await probeTls({ ip: '127.0.0.1', port: tls13, alpn: 'dot' });
    assert.equal(r.kind, 'tls13');
    assert.ok(r.kind === 'tls13');
    assert.equal(r.version, 'TLSv1.3');
    assert.equal(r.alpn, 'dot');
    assert.equal(r.certificate?.subject, 'CN=ns1.probe.test');
  });

  test('TLS 1.2 only: the 1.3 handshake fails, the separate ≤ 1.2 probe succeeds', async () => {
    const r = await probeTls({ ip: '127.0.0.1', port: tls12, alpn: 'dot' });
    assert.equal(r.kind, 'tls12-only');
    assert.ok(r.kind === 'tls12-only');
    assert.equal(r.version, 'TLSv1.2');
    assert.ok(r.certificate);
  });

  test('a closed port', async () => {
    const port = await freePort();
    const r = await probeTls({ ip: '127.0.0.1', port, alpn: 'dot' });
    assert.equal(r.kind, 'closed');
    assert.ok(r.kind === 'closed');
    assert.equal(r.code, 'connect-refused');
  });

  test('a TCP server that does not speak TLS', async () => {
    const r = await probeTls({ ip: '127.0.0.1', port: plain, alpn: 'dot', timeoutMs: 2_000 });
    assert.equal(r.kind, 'no-tls');
  });
});
