import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dsMatches } from '../../src/dnssec/validate/keys.js';
import { dnskeyTag, verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { ValidationBudget } from '../../src/dnssec/validate/types.js';
import { type DnskeyData, type DsData, EDE, parseRR, type RR, type RrsigData } from '../../src/wire/index.js';

interface RrsigVector {
  source: string;
  algorithm: number;
  key_tag: number;
  dnskey: string;
  rrset: string[];
  rrsig: string;
  inception: number;
  expiration: number;
  validate_at: number;
  expect: 'valid' | 'invalid';
}
const vectors = JSON.parse(readFileSync('test/data/dnssec-vectors/vectors.json', 'utf8')) as {
  keytag: { dnskey: string; key_tag: number }[];
  ds: { source: string; dnskey: string; ds: string }[];
  rrsig: RrsigVector[];
};

/** verifyRRset on a vector at `now`, without clock skew (exact RFC 4035 5.3.1 window). */
function check(v: RrsigVector, now: number, patch: Partial<RrsigData> = {}) {
  const key = parseRR(v.dnskey);
  const rrs = v.rrset.map((t) => parseRR(t));
  const sig = parseRR(v.rrsig);
  const patched: RR = { ...sig, data: { ...(sig.data as RrsigData), ...patch } };
  const budget = new ValidationBudget();
  const verdict = verifyRRset(
    rrs,
    [patched],
    [key.data as DnskeyData],
    (sig.data as RrsigData).signerName,
    now,
    budget,
    {
      skewSec: 0,
    },
  );
  return { verdict, budget };
}

describe('RFC vectors through verifyRRset', () => {
  for (const v of vectors.rrsig.filter((x) => x.expect === 'valid')) {
    it(`${v.source}: algorithm ${v.algorithm}, key ${v.key_tag} verifies inside its window only`, () => {
      const { verdict, budget } = check(v, v.validate_at);
      assert.equal(verdict.status, 'secure', verdict.reason);
      assert.deepEqual(verdict.signedBy, { keyTag: v.key_tag, algorithm: v.algorithm });
      assert.equal(budget.signatureValidations, 1);
      assert.equal(check(v, v.inception).verdict.status, 'secure');
      assert.equal(check(v, v.expiration).verdict.status, 'secure');
      assert.equal(check(v, v.expiration).verdict.ttl, 0);
      assert.equal(check(v, v.inception - 1).verdict.ede, EDE.SIGNATURE_NOT_YET_VALID);
      assert.equal(check(v, v.expiration + 1).verdict.ede, EDE.SIGNATURE_EXPIRED);
      const flippedSig = Uint8Array.from((parseRR(v.rrsig).data as RrsigData).signature);
      flippedSig[flippedSig.length - 1] ^= 0x80;
      assert.equal(check(v, v.validate_at, { signature: flippedSig }).verdict.ede, EDE.DNSSEC_BOGUS);
    });
  }
  for (const v of vectors.rrsig.filter((x) => x.expect === 'invalid')) {
    it(`${v.source}: key ${v.key_tag} with Labels=3 is rejected by the labels check (RFC 8080 erratum 4935)`, () => {
      const { verdict, budget } = check(v, v.validate_at);
      assert.equal(verdict.status, 'bogus');
      assert.equal(verdict.ede, EDE.DNSSEC_BOGUS);
      assert.match(verdict.reason, /labels 3 exceed the 2 labels of example\.com\./);
      assert.equal(budget.signatureValidations, 0, 'rejected before any cryptography');
      const corrected = check(v, v.validate_at, { labels: 2 });
      assert.equal(corrected.verdict.status, 'bogus', 'with Labels=2 the signature does not match the signed data');
      assert.equal(corrected.verdict.ede, EDE.DNSSEC_BOGUS);
      assert.equal(corrected.budget.signatureValidations, 1);
    });
  }
  it('key tags (RFC 4034 Appendix B)', () => {
    for (const k of vectors.keytag) assert.equal(dnskeyTag(parseRR(k.dnskey).data as DnskeyData), k.key_tag);
  });
  it('DS digests match their DNSKEY (RFC 4034 5.4, RFC 4509 2.3, RFC 6605, RFC 8080)', () => {
    for (const d of vectors.ds) {
      const key = parseRR(d.dnskey);
      const ds = parseRR(d.ds).data as DsData;
      assert.ok(dsMatches(ds, key.name, key.data as DnskeyData), d.source);
      const wrong = Uint8Array.from(ds.digest);
      wrong[0] ^= 1;
      assert.ok(!dsMatches({ ...ds, digest: wrong }, key.name, key.data as DnskeyData), d.source);
    }
  });
});
