// `sealdns signal`: the records it prints parse as zone-file text into the SVCB/TLSA the policy reads
// (interpretSignal turns them into the intended strict/opportunistic endpoints), ports and dohpath
// as RFC 9461 wants, the TLSA data is the certificate's SPKI SHA-256; usage errors; the command line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateCertificate } from '../../src/authority/certgen.js';
import { tlsaData } from '../../src/authority/tlsa.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { UsageError } from '../../src/cli/args.js';
import { certificateDer, runSignal, signalRecords } from '../../src/cli/signal.js';
import { interpretSignal } from '../../src/policy/signals.js';
import { Name, RRType, type SvcbData, type TlsaData } from '../../src/wire/index.js';
import { tempDir } from '../helpers/peers.js';

const cert = generateCertificate({ commonName: 'ns1.example.com', dnsNames: ['ns1.example.com'] });
const dir = tempDir('sealdns-signal-');
after(() => rm(dir, { recursive: true, force: true }));
const spkiHex = Buffer.from(tlsaData(cert.certDer, 1, 1))
  .toString('hex')
  .toUpperCase();

function records(text: string) {
  const rrs = parseZoneFile(text, { origin: 'example.com.' }).records;
  const svcb = rrs.filter((r) => r.type === RRType.SVCB);
  const tlsa = rrs.filter((r) => r.type === RRType.TLSA);
  return { rrs, svcb, tlsa };
}

describe('signalRecords', () => {
  test('DoT, strict: SVCB alpn=dot and TLSA 3 1 1 at _853._tcp; the policy reads it as strict DANE', () => {
    const text = signalRecords({
      ns: 'ns1.example.com',
      certDer: cert.certDer,
      dot: { port: 853 },
      strict: true,
      ttl: 3600,
    });
    assert.match(text, /STRICT/);
    assert.match(text, /DNSSEC-signed/);
    const { svcb, tlsa } = records(text);
    assert.equal(svcb.length, 1);
    assert.equal(svcb[0].name.toString(), '_dns.ns1.example.com.');
    const s = svcb[0].data as SvcbData;
    assert.equal(s.priority, 1);
    assert.equal(s.target.toString(), 'ns1.example.com.');
    assert.deepEqual(s.params.alpn, ['dot']);
    assert.equal(s.params.port, undefined, 'default port not published');
    assert.equal(tlsa.length, 1);
    assert.equal(tlsa[0].name.toString(), '_853._tcp.ns1.example.com.');
    const t = tlsa[0].data as TlsaData;
    assert.deepEqual([t.usage, t.selector, t.matchingType], [3, 1, 1]);
    assert.equal(Buffer.from(t.data).toString('hex').toUpperCase(), spkiHex);
    const sig = interpretSignal({
      ns: Name.fromText('ns1.example.com.'),
      svcb: { kind: 'records', records: [s], security: 'secure' },
      tlsaDot: { kind: 'records', records: [t], security: 'secure' },
      tlsaDoh: { kind: 'none', security: 'secure' },
      nsAuthentic: true,
    });
    assert.equal(sig.mode, 'strict');
    assert.deepEqual(
      sig.endpoints.map((e) => [e.protocol, e.port, e.tlsa.length]),
      [['dot', 853, 1]],
    );
  });

  test('DoT + DoH, opportunistic, non-default ports: port= and dohpath={?dns}, no TLSA', () => {
    const text = signalRecords({
      ns: 'ns1.example.com.',
      dot: { port: 8853 },
      doh: { port: 8443, path: '/dns-query' },
      strict: false,
      ttl: 600,
    });
    assert.match(text, /OPPORTUNISTIC/);
    const { svcb, tlsa } = records(text);
    assert.equal(tlsa.length, 0);
    const [dot, doh] = svcb.map((r) => r.data as SvcbData);
    assert.equal(svcb[0].ttl, 600);
    assert.deepEqual([dot.priority, dot.params.alpn, dot.params.port], [1, ['dot'], 8853]);
    assert.deepEqual([doh.priority, doh.params.alpn, doh.params.port], [2, ['h2'], 8443]);
    assert.equal(doh.params.dohpath, '/dns-query{?dns}');
    const sig = interpretSignal({
      ns: Name.fromText('ns1.example.com.'),
      svcb: { kind: 'records', records: [dot, doh], security: 'secure' },
      tlsaDot: { kind: 'none', security: 'secure' },
      tlsaDoh: { kind: 'none', security: 'secure' },
      nsAuthentic: true,
    });
    assert.equal(sig.mode, 'opportunistic');
    assert.deepEqual(
      sig.endpoints.map((e) => [e.protocol, e.port, e.dohPath]),
      [
        ['dot', 8853, undefined],
        ['doh', 8443, '/dns-query{?dns}'],
      ],
    );
  });

  test('DoH strict: TLSA at _443._tcp', () => {
    const { tlsa } = records(
      signalRecords({
        ns: 'ns1.example.com',
        certDer: cert.certDer,
        doh: { port: 443, path: '/q' },
        strict: true,
        ttl: 3600,
      }),
    );
    assert.deepEqual(
      tlsa.map((r) => r.name.toString()),
      ['_443._tcp.ns1.example.com.'],
    );
  });

  test('usage errors', () => {
    const base = { ns: 'ns1.example.com', strict: false, ttl: 3600 };
    assert.throws(() => signalRecords(base), UsageError);
    assert.throws(() => signalRecords({ ...base, dot: { port: 853 }, strict: true }), /--strict needs --cert/);
    assert.throws(() => signalRecords({ ...base, doh: { port: 443, path: 'dns-query' } }), /absolute path/);
    assert.throws(() => signalRecords({ ...base, doh: { port: 443, path: '/dns-query{?dns}' } }), /added/);
    assert.throws(
      () => signalRecords({ ...base, dot: { port: 853 }, doh: { port: 853, path: '/q' } }),
      /cannot share port 853/,
    );
  });
});

describe('runSignal and the command line', { timeout: 30_000 }, () => {
  const pem = join(dir, 'ns1.pem');
  const der = join(dir, 'ns1.der');
  writeFileSync(pem, cert.certPem);
  writeFileSync(der, cert.certDer);

  test('PEM and DER certificates give the same TLSA', async () => {
    assert.deepEqual(certificateDer(Buffer.from(cert.certPem)), certificateDer(Buffer.from(cert.certDer)));
    const a = await runSignal({ ns: 'ns1.example.com', cert: pem, strict: true });
    const b = await runSignal({ ns: 'ns1.example.com', cert: der, strict: true });
    assert.equal(a, b);
    assert.match(a, new RegExp(`_853\\._tcp\\.ns1\\.example\\.com\\.\\t3600\\tIN\\tTLSA\\t3 1 1 ${spkiHex}`));
  });

  test('--port applies to the one protocol given; with both, --doh-port is DoH', async () => {
    assert.match(await runSignal({ ns: 'n.example', doh: '/q', port: '8443' }), /alpn="h2" port=8443/);
    const both = await runSignal({ ns: 'n.example', dot: true, doh: '/q', port: '8853', dohPort: '8443' });
    assert.match(both, /alpn="dot" port=8853/);
    assert.match(both, /alpn="h2" port=8443/);
    await assert.rejects(runSignal({ ns: 'n.example', cert: join(dir, 'nope.pem') }), /nope\.pem/);
  });

  test('sealdns signal prints the records (exit 0); a missing --ns is a usage error (exit 2)', () => {
    const main = 'dist/src/cli/main.js';
    const ok = spawnSync(process.execPath, [
      main,
      'signal',
      '--ns',
      'ns1.example.com',
      '--cert',
      pem,
      '--dot',
      '--strict',
    ]);
    assert.equal(ok.status, 0, ok.stderr.toString());
    const { svcb, tlsa } = records(ok.stdout.toString());
    assert.equal(svcb.length, 1);
    assert.equal(tlsa.length, 1);
    const bad = spawnSync(process.execPath, [main, 'signal', '--cert', pem]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.toString(), /--ns/);
  });
});
