import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tls from 'node:tls';
import { generateCertificate, ipAddressBytes } from '../../src/authority/certgen.js';
import {
  bitString,
  contentBytes,
  decodeOid,
  encodeLength,
  explicit,
  generalizedTime,
  implicit,
  integer,
  namedBits,
  octetString,
  oid,
  printableString,
  readChildren,
  readElement,
  sequence,
  set,
  Tag,
  time,
  utcTime,
  utf8String,
} from '../../src/authority/der.js';
import { tlsaData } from '../../src/authority/tlsa.js';

const TEST_TIMEOUT = 15_000;
const IO_TIMEOUT = 5_000;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const sha512 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(b).digest());

/** The two Time encodings inside TBSCertificate.validity. */
function validityElements(certDer: Uint8Array): { tag: number; text: string }[] {
  const tbs = readChildren(certDer, readElement(certDer))[0];
  const validity = readChildren(certDer, tbs)[4];
  return readChildren(certDer, validity).map((el) => ({
    tag: el.tag,
    text: Buffer.from(contentBytes(certDer, el)).toString('latin1'),
  }));
}

// ---------------------------------------------------------------------------------------------
// DER helpers

describe('der', () => {
  it('encodes lengths in short and long form', () => {
    assert.equal(hex(encodeLength(0)), '00');
    assert.equal(hex(encodeLength(127)), '7f');
    assert.equal(hex(encodeLength(128)), '8180');
    assert.equal(hex(encodeLength(255)), '81ff');
    assert.equal(hex(encodeLength(256)), '820100');
    assert.equal(hex(encodeLength(65536)), '83010000');
    const big = octetString(new Uint8Array(300));
    assert.equal(hex(big.subarray(0, 4)), '0482012c');
    assert.equal(big.length, 304);
    assert.throws(() => encodeLength(-1), RangeError);
  });

  it('encodes positive INTEGERs minimally with the leading-zero rule', () => {
    assert.equal(hex(integer(0)), '020100');
    assert.equal(hex(integer(2)), '020102');
    assert.equal(hex(integer(127)), '02017f');
    assert.equal(hex(integer(128)), '02020080');
    assert.equal(hex(integer(255)), '020200ff');
    assert.equal(hex(integer(256)), '02020100');
    assert.equal(hex(integer(0x8000n)), '0203008000');
    assert.equal(hex(integer(Uint8Array.of(0, 0, 0x12))), '020112');
    assert.equal(hex(integer(Uint8Array.of(0, 0, 0x92))), '02020092');
    assert.equal(hex(integer(Uint8Array.of(0, 0))), '020100');
    assert.equal(hex(integer(new Uint8Array(0))), '020100');
    assert.throws(() => integer(-1), RangeError);
  });

  it('encodes OBJECT IDENTIFIERs and decodes them back', () => {
    assert.equal(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(oid('2.5.29.17')), '0603551d11');
    assert.equal(hex(oid('1.3.101.112')), '06032b6570');
    assert.equal(hex(oid('2.999.3')), '0603883703');
    for (const s of ['1.2.840.113549.1.1.11', '2.5.4.3', '2.999.3', '1.3.6.1.4.1.311.21.20']) {
      const enc = oid(s);
      assert.equal(decodeOid(enc.subarray(2)), s);
    }
    assert.throws(() => oid('1'), RangeError);
    assert.throws(() => oid('3.1'), RangeError);
    assert.throws(() => oid('1.40'), RangeError);
    assert.throws(() => oid('1.2.x'), RangeError);
  });

  it('encodes BIT STRINGs and named bit lists', () => {
    assert.equal(hex(bitString(Uint8Array.of(0xab, 0xcd))), '030300abcd');
    assert.equal(hex(namedBits([0])), '03020780'); // digitalSignature
    assert.equal(hex(namedBits([0, 5, 6])), '03020186'); // digitalSignature, keyCertSign, cRLSign
    assert.equal(hex(namedBits([8])), '0303070080');
    assert.equal(hex(namedBits([1, 9])), '0303064040');
    assert.equal(hex(namedBits([])), '030100');
    assert.throws(() => bitString(Uint8Array.of(0x01), 1), RangeError);
  });

  it('encodes strings, SEQUENCE, SET OF (sorted) and context tags', () => {
    assert.equal(hex(utf8String('é')), '0c02c3a9');
    assert.equal(hex(printableString('Lab CA')), '13064c6162204341');
    assert.throws(() => printableString('a@b'), RangeError);
    assert.equal(hex(sequence()), '3000');
    assert.equal(hex(set(integer(2), integer(1))), '3106020101020102');
    assert.equal(hex(explicit(0, integer(2))), 'a003020102');
    assert.equal(hex(implicit(7, Uint8Array.of(127, 0, 0, 1))), '87047f000001');
    assert.equal(hex(implicit(1, Uint8Array.of(5), true)), 'a10105');
  });

  it('picks UTCTime through 2049 and GeneralizedTime outside 1950..2049', () => {
    const d2049 = new Date('2049-12-31T23:59:59.999Z');
    const d2050 = new Date('2050-01-01T00:00:00Z');
    const d1949 = new Date('1949-06-30T12:00:00Z');
    assert.equal(Buffer.from(utcTime(d2049)).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(time(d2049)[0], Tag.UTC_TIME);
    assert.equal(Buffer.from(time(d2050)).toString('latin1'), '\x18\x0f20500101000000Z');
    assert.equal(Buffer.from(time(d1949)).toString('latin1'), '\x18\x0f19490630120000Z');
    assert.equal(Buffer.from(time(new Date('1950-01-01T00:00:00Z'))).toString('latin1'), '\x17\x0d500101000000Z');
    assert.equal(generalizedTime(d2049)[0], Tag.GENERALIZED_TIME);
    assert.throws(() => utcTime(d2050), RangeError);
    assert.throws(() => time(new Date(Number.NaN)), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Certificates parsed by node:crypto

describe('generateCertificate', { timeout: TEST_TIMEOUT }, () => {
  it('self-signs a P-256 leaf that node:crypto parses and verifies', () => {
    const before = Date.now();
    const c = generateCertificate({
      commonName: 'lab.example',
      dnsNames: ['lab.example', '*.dot.lab.example'],
      ipAddresses: ['127.0.0.1', '::1', '2001:db8::53'],
    });
    const x = new X509Certificate(c.certPem);
    assert.equal(x.subject, 'CN=lab.example');
    assert.equal(x.issuer, 'CN=lab.example');
    assert.equal(
      x.subjectAltName,
      'DNS:lab.example, DNS:*.dot.lab.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, ' +
        'IP Address:2001:DB8:0:0:0:0:0:53',
    );
    assert.equal(x.ca, false);
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']); // extendedKeyUsage serverAuth
    assert.equal(x.publicKey.asymmetricKeyType, 'ec');
    assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(x.checkPrivateKey(createPrivateKey(c.keyPem)));
    assert.ok(x.verify(x.publicKey));
    // (x.checkIssued(x) is false by design: a leaf's keyUsage lacks keyCertSign, as RFC 5280 requires for cA=FALSE.)

    assert.equal(x.checkHost('lab.example'), 'lab.example');
    assert.equal(x.checkHost('ns1.dot.lab.example'), '*.dot.lab.example'); // returns the matching SAN
    assert.equal(x.checkHost('other.example'), undefined);
    assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x.checkIP('::1'), '::1');
    assert.equal(x.checkIP('2001:db8::53'), '2001:db8::53');
    assert.equal(x.checkIP('127.0.0.2'), undefined);

    // Default validity: backdated by 5 minutes, 365 days long, whole seconds.
    const from = new Date(x.validFrom).getTime();
    const to = new Date(x.validTo).getTime();
    assert.ok(from <= before - 5 * 60_000 && from >= before - 5 * 60_000 - 2_000, `validFrom ${x.validFrom}`);
    assert.equal(to - from, 365 * 86_400_000);

    assert.ok(Buffer.from(c.certDer).equals(x.raw));
    assert.ok(Buffer.from(c.spkiDer).equals(x.publicKey.export({ type: 'spki', format: 'der' })));
    assert.match(c.certPem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('uses random positive 16-byte serial numbers', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const x = new X509Certificate(generateCertificate({ commonName: 'serial.example' }).certDer);
      assert.match(x.serialNumber, /^[4-7][0-9A-F]{31}$/);
      serials.add(x.serialNumber);
    }
    assert.equal(serials.size, 8);
  });

  it('honours explicit validity and picks UTCTime/GeneralizedTime by year', () => {
    const notBefore = new Date('2049-12-31T23:00:00.750Z');
    const notAfter = new Date('2050-01-01T01:00:00Z');
    const c = generateCertificate({ commonName: 'time.example', notBefore, notAfter });
    const x = new X509Certificate(c.certDer);
    assert.equal(new Date(x.validFrom).toISOString(), '2049-12-31T23:00:00.000Z');
    assert.equal(new Date(x.validTo).toISOString(), '2050-01-01T01:00:00.000Z');
    assert.deepEqual(validityElements(c.certDer), [
      { tag: Tag.UTC_TIME, text: '491231230000Z' },
      { tag: Tag.GENERALIZED_TIME, text: '20500101010000Z' },
    ]);

    const old = generateCertificate({
      commonName: 'old.example',
      notBefore: new Date('1949-01-01T00:00:00Z'),
      days: 2,
    });
    assert.deepEqual(validityElements(old.certDer), [
      { tag: Tag.GENERALIZED_TIME, text: '19490101000000Z' },
      { tag: Tag.GENERALIZED_TIME, text: '19490103000000Z' },
    ]);

    const short = generateCertificate({
      commonName: 'days.example',
      notBefore: new Date('2030-05-01T00:00:00Z'),
      days: 7,
    });
    assert.equal(new Date(new X509Certificate(short.certDer).validTo).toISOString(), '2030-05-08T00:00:00.000Z');
  });

  it('defaults the SAN to the commonName for leaf certificates', () => {
    const byName = new X509Certificate(generateCertificate({ commonName: 'ns.lab.example' }).certDer);
    assert.equal(byName.subjectAltName, 'DNS:ns.lab.example');
    const byIp = new X509Certificate(generateCertificate({ commonName: '192.0.2.53' }).certDer);
    assert.equal(byIp.subjectAltName, 'IP Address:192.0.2.53');
    assert.equal(byIp.checkIP('192.0.2.53'), '192.0.2.53');
    const none = new X509Certificate(generateCertificate({ commonName: 'ns.lab.example', dnsNames: [] }).certDer);
    assert.equal(none.subjectAltName, undefined);
    const trailingDot = new X509Certificate(generateCertificate({ commonName: 'x', dnsNames: ['a.example.'] }).certDer);
    assert.equal(trailingDot.subjectAltName, 'DNS:a.example');
  });

  it('generates Ed25519 certificates', () => {
    const c = generateCertificate({ commonName: 'ed.lab.example', keyType: 'ed25519' });
    const x = new X509Certificate(c.certPem);
    assert.equal(x.publicKey.asymmetricKeyType, 'ed25519');
    assert.ok(x.checkPrivateKey(createPrivateKey(c.keyPem)));
    assert.ok(x.verify(x.publicKey));
    assert.equal(x.checkHost('ed.lab.example'), 'ed.lab.example');
  });

  it('issues leaf certificates from a generated CA', () => {
    const ca = generateCertificate({ commonName: 'sealdns lab CA', isCA: true, days: 30 });
    const caX = new X509Certificate(ca.certPem);
    assert.equal(caX.ca, true);
    assert.equal(caX.subjectAltName, undefined);
    assert.ok(caX.verify(caX.publicKey));

    for (const keyType of ['p256', 'ed25519'] as const) {
      const leaf = generateCertificate({
        commonName: 'dot.lab.example',
        ipAddresses: ['127.0.0.1'],
        keyType,
        issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
      });
      const x = new X509Certificate(leaf.certPem);
      assert.equal(x.issuer, 'CN=sealdns lab CA');
      assert.equal(x.subject, 'CN=dot.lab.example');
      assert.equal(x.subjectAltName, 'DNS:dot.lab.example, IP Address:127.0.0.1');
      assert.equal(x.ca, false);
      assert.ok(x.verify(caX.publicKey), `${keyType} leaf verifies with the CA key`);
      assert.ok(!x.verify(x.publicKey), `${keyType} leaf is not self-signed`);
      assert.ok(x.checkIssued(caX));
      assert.ok(x.checkPrivateKey(createPrivateKey(leaf.keyPem)));
      assert.equal(x.publicKey.asymmetricKeyType, keyType === 'p256' ? 'ec' : 'ed25519');
    }

    // An Ed25519 CA signing a P-256 leaf.
    const edCa = generateCertificate({ commonName: 'ed CA', isCA: true, keyType: 'ed25519' });
    const leaf = new X509Certificate(
      generateCertificate({ commonName: 'mixed.example', issuer: { certPem: edCa.certPem, keyPem: edCa.keyPem } })
        .certDer,
    );
    assert.ok(leaf.verify(new X509Certificate(edCa.certPem).publicKey));
  });

  it('rejects invalid input', () => {
    const leaf = generateCertificate({ commonName: 'leaf.example' });
    const ca = generateCertificate({ commonName: 'CA', isCA: true });
    const other = generateCertificate({ commonName: 'other CA', isCA: true });
    assert.throws(() => generateCertificate({ commonName: '' }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x'.repeat(65) }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x', ipAddresses: ['1.2.3'] }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x', ipAddresses: ['fe80::1%eth0'] }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x', dnsNames: ['bücher.example'] }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x', dnsNames: ['a..example'] }), RangeError);
    assert.throws(() => generateCertificate({ commonName: 'x', days: 0 }), RangeError);
    const t = new Date('2030-01-01T00:00:00Z');
    assert.throws(() => generateCertificate({ commonName: 'x', notBefore: t, notAfter: t }), RangeError);
    assert.throws(
      () => generateCertificate({ commonName: 'x', keyType: 'rsa' as unknown as 'p256' }),
      /unsupported keyType/,
    );
    assert.throws(
      () => generateCertificate({ commonName: 'x', issuer: { certPem: leaf.certPem, keyPem: leaf.keyPem } }),
      /not a CA/,
    );
    assert.throws(
      () => generateCertificate({ commonName: 'x', issuer: { certPem: ca.certPem, keyPem: other.keyPem } }),
      /does not match/,
    );
  });

  it('encodes iPAddress GeneralNames as 4 or 16 octets', () => {
    assert.equal(hex(ipAddressBytes('192.0.2.1')), 'c0000201');
    assert.equal(hex(ipAddressBytes('::')), '0'.repeat(32));
    assert.equal(hex(ipAddressBytes('2001:db8::1')), '20010db8000000000000000000000001');
    assert.equal(hex(ipAddressBytes('fe80::')), 'fe800000000000000000000000000000');
    assert.equal(hex(ipAddressBytes('::ffff:192.0.2.1')), '00000000000000000000ffffc0000201');
    assert.equal(hex(ipAddressBytes('1:2:3:4:5:6:7.8.9.10')), '0001000200030004000500060708090a');
    assert.equal(hex(ipAddressBytes('1:2:3:4:5:6:7:8')), '00010002000300040005000600070008');
  });
});

// ---------------------------------------------------------------------------------------------
// TLSA

describe('tlsaData', () => {
  it('computes selector/matching-type combinations', () => {
    const c = generateCertificate({ commonName: 'tlsa.example' });
    assert.deepEqual(tlsaData(c.certDer, 0, 0), c.certDer);
    assert.deepEqual(tlsaData(c.certDer, 0, 1), sha256(c.certDer));
    assert.deepEqual(tlsaData(c.certDer, 0, 2), sha512(c.certDer));
    assert.deepEqual(tlsaData(c.certDer, 1, 0), c.spkiDer);
    assert.deepEqual(tlsaData(c.certDer, 1, 1), sha256(c.spkiDer));
    assert.deepEqual(tlsaData(c.certDer, 1, 2), sha512(c.spkiDer));
    assert.equal(tlsaData(c.certDer, 1, 1).length, 32);
    assert.equal(tlsaData(c.certDer, 1, 2).length, 64);
    assert.throws(() => tlsaData(c.certDer, 2 as 0, 1), RangeError);
    assert.throws(() => tlsaData(c.certDer, 1, 3 as 0), RangeError);
    assert.throws(() => tlsaData(Uint8Array.of(1, 2, 3), 1, 1));
  });
});

// ---------------------------------------------------------------------------------------------
// Live TLS

interface Connected {
  protocol: string | null;
  authorized: boolean;
  peer: X509Certificate | undefined;
}

async function withServer<T>(options: tls.TlsOptions, fn: (port: number) => Promise<T>): Promise<T> {
  const server = tls.createServer({ minVersion: 'TLSv1.3', ...options }, (socket) => {
    socket.on('error', () => {});
    socket.end('ok');
  });
  server.on('tlsClientError', () => {}); // refused handshakes are expected in some tests
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function connect(port: number, options: tls.ConnectionOptions): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('TLS connection timed out'));
    }, IO_TIMEOUT);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const result = {
        protocol: socket.getProtocol(),
        authorized: socket.authorized,
        peer: socket.getPeerX509Certificate(),
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

describe('TLS 1.3 with generated certificates', { timeout: TEST_TIMEOUT }, () => {
  const cert = generateCertificate({
    commonName: 'dot.lab.example',
    dnsNames: ['dot.lab.example'],
    ipAddresses: ['127.0.0.1'],
  });
  const serverOptions = { key: cert.keyPem, cert: cert.certPem };

  it('accepts a TLS 1.3 client that trusts the certificate (servername and IP)', async () => {
    await withServer(serverOptions, async (port) => {
      const byName = await connect(port, { ca: cert.certPem, servername: 'dot.lab.example' });
      assert.equal(byName.protocol, 'TLSv1.3');
      assert.equal(byName.authorized, true);

      // No servername: node checks the connection's host (127.0.0.1) against the iPAddress SAN.
      const byIp = await connect(port, { ca: cert.certPem });
      assert.equal(byIp.protocol, 'TLSv1.3');
      assert.equal(byIp.authorized, true);
    });
  });

  it('matches tlsaData (DANE-EE, SPKI, SHA-256) against the live peer certificate', async () => {
    await withServer(serverOptions, async (port) => {
      const { peer } = await connect(port, { ca: cert.certPem, servername: 'dot.lab.example' });
      assert.ok(peer);
      const liveSpki = peer.publicKey.export({ type: 'spki', format: 'der' });
      assert.deepEqual(tlsaData(cert.certDer, 1, 1), sha256(liveSpki));
      assert.deepEqual(tlsaData(new Uint8Array(peer.raw), 1, 1), tlsaData(cert.certDer, 1, 1));
      assert.ok(Buffer.from(cert.spkiDer).equals(liveSpki));
    });
  });

  it('refuses wrong names, untrusted certificates and TLS 1.2 clients', async () => {
    await withServer(serverOptions, async (port) => {
      await assert.rejects(connect(port, { ca: cert.certPem, servername: 'other.example' }), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      await assert.rejects(connect(port, { servername: 'dot.lab.example' }), {
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
      await assert.rejects(
        connect(port, { ca: cert.certPem, servername: 'dot.lab.example', maxVersion: 'TLSv1.2' }),
        (err: NodeJS.ErrnoException) => {
          assert.match(String(err.code), /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS/);
          return true;
        },
      );
    });
  });

  it('serves CA-issued P-256 and Ed25519 leaves to a client that trusts only the CA', async () => {
    const ca = generateCertificate({ commonName: 'sealdns lab CA', isCA: true });
    for (const keyType of ['p256', 'ed25519'] as const) {
      const leaf = generateCertificate({
        commonName: 'doh.lab.example',
        ipAddresses: ['127.0.0.1'],
        keyType,
        issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
      });
      await withServer({ key: leaf.keyPem, cert: leaf.certPem }, async (port) => {
        const r = await connect(port, { ca: ca.certPem, servername: 'doh.lab.example' });
        assert.equal(r.protocol, 'TLSv1.3');
        assert.equal(r.authorized, true);
        assert.equal(r.peer?.issuer, 'CN=sealdns lab CA');
        assert.deepEqual(tlsaData(leaf.certDer, 1, 1), sha256(leaf.spkiDer));
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// OpenSSL

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: IO_TIMEOUT });
const opensslSkip =
  openssl.error || openssl.status !== 0 ? 'openssl is not on PATH; cannot cross-check with it' : false;

function runOpenssl(args: string[], input?: string): string {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8', timeout: IO_TIMEOUT });
  assert.equal(r.status, 0, `openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('openssl cross-check', { timeout: TEST_TIMEOUT }, () => {
  it('openssl x509 -text -noout decodes every field, openssl verify -x509_strict accepts the chain', {
    skip: opensslSkip,
  }, () => {
    const ca = generateCertificate({ commonName: 'sealdns lab CA', isCA: true });
    const leaf = generateCertificate({
      commonName: 'dot.lab.example',
      dnsNames: ['dot.lab.example'],
      ipAddresses: ['127.0.0.1', '::1'],
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2055-01-01T00:00:00Z'),
      issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
    });
    const text = runOpenssl(['x509', '-text', '-noout'], leaf.certPem);
    for (const expected of [
      'Version: 3 (0x2)',
      'Signature Algorithm: ecdsa-with-SHA256',
      'Issuer: CN = sealdns lab CA',
      'Subject: CN = dot.lab.example',
      'Not Before: Jan  1 00:00:00 2025 GMT',
      'Not After : Jan  1 00:00:00 2055 GMT',
      'ASN1 OID: prime256v1',
      'X509v3 Basic Constraints: critical',
      'CA:FALSE',
      'X509v3 Key Usage: critical',
      'Digital Signature',
      'TLS Web Server Authentication',
      'DNS:dot.lab.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      'X509v3 Subject Key Identifier',
      'X509v3 Authority Key Identifier',
    ]) {
      assert.ok(text.includes(expected), `missing ${JSON.stringify(expected)} in:\n${text}`);
    }
    const caText = runOpenssl(['x509', '-text', '-noout'], ca.certPem);
    assert.match(caText, /CA:TRUE/);
    assert.match(caText, /Digital Signature, Certificate Sign, CRL Sign/);

    const edText = runOpenssl(
      ['x509', '-text', '-noout'],
      generateCertificate({ commonName: 'ed.example', keyType: 'ed25519' }).certPem,
    );
    assert.match(edText, /Signature Algorithm: ED25519/);

    const dir = mkdtempSync(join(tmpdir(), 'sealdns-certgen-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.certPem);
      writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
      const out = runOpenssl([
        'verify',
        '-x509_strict',
        '-purpose',
        'sslserver',
        '-CAfile',
        join(dir, 'ca.pem'),
        join(dir, 'leaf.pem'),
      ]);
      assert.match(out, /leaf\.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
