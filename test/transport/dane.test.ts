import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateCertificate } from '../../src/authority/certgen.js';
import {
  daneVerify,
  type Target,
  type TlsaRecord,
  targetKey,
  tlsaSetHash,
  usableTlsa,
} from '../../src/transport/index.js';
import { makePki, selfSigned, tlsaFor } from '../helpers/tls-fakes.js';

const x509 = (pem: string) => new X509Certificate(pem);

describe('usableTlsa (RFC 7671 4, 9)', () => {
  const d32 = new Uint8Array(32);
  const d64 = new Uint8Array(64);
  it('keeps DANE-TA/DANE-EE with known parameters and says why the rest is unusable', () => {
    const records: TlsaRecord[] = [
      { usage: 3, selector: 1, matchingType: 1, data: d32 },
      { usage: 0, selector: 1, matchingType: 1, data: d32 },
      { usage: 1, selector: 0, matchingType: 1, data: d32 },
      { usage: 255, selector: 1, matchingType: 1, data: d32 },
      { usage: 3, selector: 2, matchingType: 1, data: d32 },
      { usage: 3, selector: 1, matchingType: 3, data: d32 },
      { usage: 3, selector: 1, matchingType: 1, data: d64 },
      { usage: 3, selector: 1, matchingType: 0, data: new Uint8Array(0) },
      { usage: 2, selector: 0, matchingType: 1, data: d32 },
    ];
    const u = usableTlsa(records);
    assert.deepEqual(u.usable, [records[0]]);
    assert.deepEqual(
      u.unusable.map((x) => x.reason),
      [
        'pkix-usage',
        'pkix-usage',
        'unknown-usage',
        'unknown-selector',
        'unknown-matching-type',
        'bad-length',
        'bad-length',
        'no-reference-name',
      ],
    );
    assert.equal(usableTlsa(records, 'ns.test').usable.length, 2, 'DANE-TA is usable with a reference name');
  });
  it('ignores SHA2-256 where SHA2-512 exists for the same usage and selector', () => {
    const r256 = { usage: 3, selector: 1, matchingType: 1, data: d32 };
    const r512 = { usage: 3, selector: 1, matchingType: 2, data: d64 };
    const other = { usage: 3, selector: 0, matchingType: 1, data: d32 };
    const u = usableTlsa([r256, r512, other]);
    assert.deepEqual(u.usable, [r512, other]);
    assert.deepEqual(u.unusable, [{ record: r256, reason: 'weaker-digest' }]);
  });
});

describe('tlsaSetHash and the pool key', () => {
  const a: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32).fill(1) };
  const b: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32).fill(2) };
  it('does not depend on order or duplicates, and changes with the data', () => {
    assert.equal(tlsaSetHash([a, b]), tlsaSetHash([b, a, b]));
    assert.notEqual(tlsaSetHash([a]), tlsaSetHash([b]));
    assert.equal(tlsaSetHash([]), '');
    assert.equal(tlsaSetHash(undefined), '');
  });
  it('separates pools by authentication mode and TLSA set', () => {
    const base: Target = { ip: '127.0.0.1', port: 853, protocol: 'dot', auth: 'dane', authName: 'ns.test' };
    const keys = new Set([
      targetKey({ ...base, tlsa: [a] }),
      targetKey({ ...base, tlsa: [b] }),
      targetKey({ ...base, auth: 'none' }),
      targetKey({ ...base, auth: 'pkix' }),
    ]);
    assert.equal(keys.size, 4);
    assert.equal(targetKey({ ...base, tlsa: [a, b] }), targetKey({ ...base, tlsa: [b, a] }));
    assert.equal(targetKey({ ...base, auth: 'none', tlsa: [a] }), targetKey({ ...base, auth: 'none' }));
  });
});

describe('daneVerify', () => {
  const now = Date.now();
  it('matches DANE-EE with every selector and matching type, ignoring names and dates', () => {
    const cert = generateCertificate({
      commonName: 'old.test',
      notBefore: new Date(now - 10 * 86400_000),
      notAfter: new Date(now - 86400_000),
    });
    const leaf = x509(cert.certPem);
    for (const selector of [0, 1] as const)
      for (const matchingType of [0, 1, 2] as const) {
        const r = daneVerify({ leaf, issuers: [], tlsa: [tlsaFor(cert, 3, selector, matchingType)], now });
        assert.equal(r.ok, true, `3 ${selector} ${matchingType}`);
      }
    const other = selfSigned();
    const miss = daneVerify({ leaf, issuers: [], tlsa: [tlsaFor(other, 3, 1, 1)], now });
    assert.deepEqual(miss.ok ? 'ok' : miss.reason, 'mismatch');
  });
  it('matches DANE-TA on a presented issuer, checking the chain and the name', () => {
    const pki = makePki('ns.test');
    const leaf = x509(pki.leaf.certPem);
    const issuers = [x509(pki.inter.certPem)];
    const ta = tlsaFor(pki.inter, 2, 1, 1);
    const ok = daneVerify({ leaf, issuers, tlsa: [ta], authName: 'ns.test', now });
    assert.ok(ok.ok && ok.usage === 2 && ok.depth === 1);
    const wrong = daneVerify({ leaf, issuers, tlsa: [ta], authName: 'other.test', now });
    assert.equal(wrong.ok ? 'ok' : wrong.reason, 'name');
    // A leaf from another intermediate does not chain to the TA even if the TA is presented.
    const stranger = x509(selfSigned('ns.test').certPem);
    const unchained = daneVerify({ leaf: stranger, issuers, tlsa: [ta], authName: 'ns.test', now });
    assert.equal(unchained.ok ? 'ok' : unchained.reason, 'chain');
  });
  it('rejects a DANE-TA chain whose leaf has expired', () => {
    const pki = makePki('ns.test');
    const expired = generateCertificate({
      commonName: 'ns.test',
      dnsNames: ['ns.test'],
      issuer: pki.inter,
      notBefore: new Date(now - 10 * 86400_000),
      notAfter: new Date(now - 86400_000),
    });
    const r = daneVerify({
      leaf: x509(expired.certPem),
      issuers: [x509(pki.inter.certPem)],
      tlsa: [tlsaFor(pki.inter, 2, 0, 1)],
      authName: 'ns.test',
      now,
    });
    assert.equal(r.ok ? 'ok' : r.reason, 'chain');
  });
  it('reports no certificate and no usable records', () => {
    const cert = selfSigned();
    const none = daneVerify({ leaf: undefined, issuers: [], tlsa: [tlsaFor(cert, 3, 1, 1)], now });
    assert.equal(none.ok ? 'ok' : none.reason, 'no-certificate');
    const unusable = daneVerify({ leaf: x509(cert.certPem), issuers: [], tlsa: [tlsaFor(cert, 1, 1, 1)], now });
    assert.equal(unusable.ok ? 'ok' : unusable.reason, 'no-usable-tlsa');
  });
});
