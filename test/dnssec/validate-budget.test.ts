/**
 * KeyTrap (CVE-2023-50387) inputs: many DNSKEYs sharing one key tag and algorithm, many RRSIGs naming that tag.
 * Without limits a validator tries every (RRSIG, key) pair — quadratic public-key operations. The budget bounds
 * the work; these tests count the operations performed, not the time taken.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildDnskeyRdata, keyTag } from '../../src/dnssec/algorithms.js';
import { dnskeyData, makeDs, signRRset } from '../../src/dnssec/signer.js';
import { verifyDnskeySet } from '../../src/dnssec/validate/keys.js';
import { verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { BUDGET_EXCEEDED, DEFAULT_VALIDATION_LIMITS, ValidationBudget } from '../../src/dnssec/validate/types.js';
import { type DnskeyData, type DsData, EDE, type RR, RRType, type RrsigData } from '../../src/wire/index.js';
import {
  EXPIRATION,
  flipped,
  INCEPTION,
  key,
  NOW,
  n,
  PARENT_TEXT,
  rrsetOf,
  signText,
  sigsOf,
  withSig,
} from './validate-helpers.js';

const ZONE = n('example.');
const csk = key(15, 'csk', 5);
const z = signText('example.', PARENT_TEXT, { keys: [csk] });
const TAG = keyTag(buildDnskeyRdata(csk.flags, csk.algorithm, csk.publicKey));

/** An Ed25519 DNSKEY (flags 257) whose key tag is `tag`: 30 pseudo-random octets, then two chosen ones. */
function collidingKey(tag: number, seed: number): DnskeyData {
  const pub = new Uint8Array(createHash('sha256').update(`keytrap-${seed}`).digest());
  for (let w = 0; w < 0x10000; w++) {
    pub[30] = w >> 8;
    pub[31] = w & 0xff;
    if (keyTag(buildDnskeyRdata(257, 15, pub)) === tag)
      return { flags: 257, protocol: 3, algorithm: 15, publicKey: pub };
  }
  throw new Error('no colliding key');
}

const colliding = Array.from({ length: 40 }, (_, i) => collidingKey(TAG, i));
const www = rrsetOf(z.records, 'www.example.', RRType.A);
const goodSig = sigsOf(z.records, 'www.example.', RRType.A)[0];
/** 40 RRSIGs naming the key tag of the real key, none of which verifies. */
const badSigs = Array.from({ length: 40 }, (_, i) =>
  withSig(goodSig, { signature: flipped((goodSig.data as RrsigData).signature, i % 64) }),
);

describe('KeyTrap: verifyRRset within the budget', () => {
  it('the colliding keys really share tag and algorithm with the real key', () => {
    assert.equal(colliding.length, 40);
    for (const k of colliding) assert.equal(keyTag(buildDnskeyRdata(k.flags, k.algorithm, k.publicKey)), TAG);
    assert.equal((goodSig.data as RrsigData).keyTag, TAG);
  });
  it('40 keys x 40 RRSIGs: at most 2 RRSIGs x 2 keys are tried', () => {
    const budget = new ValidationBudget();
    const v = verifyRRset(www, badSigs, [...colliding, dnskeyData(csk)], ZONE, NOW, budget);
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.DNSSEC_BOGUS);
    assert.match(v.reason, /gave up after 2 RRSIGs/);
    assert.equal(budget.signatureValidations, 4);
    assert.ok(budget.keyTagCollisions >= 40);
    assert.ok(!budget.exhausted);
  });
  it('with the real key listed first, the good RRSIG after one bad one still verifies', () => {
    const budget = new ValidationBudget();
    const v = verifyRRset(www, [badSigs[0], goodSig], [dnskeyData(csk), ...colliding], ZONE, NOW, budget);
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(budget.signatureValidations, 3);
  });
  it('the per-request limit: 30 verifications in all, then "validation budget exceeded" for everything', () => {
    const budget = new ValidationBudget();
    const keys = [...colliding, dnskeyData(csk)];
    const verdicts = Array.from({ length: 10 }, () => verifyRRset(www, badSigs, keys, ZONE, NOW, budget));
    assert.equal(budget.signatureValidations, DEFAULT_VALIDATION_LIMITS.maxSignatureValidations);
    assert.ok(budget.exhausted);
    const last = verdicts[verdicts.length - 1];
    assert.equal(last.status, 'bogus');
    assert.equal(last.ede, EDE.DNSSEC_BOGUS);
    assert.match(last.reason, new RegExp(BUDGET_EXCEEDED));
    const honest = verifyRRset(www, [goodSig], [dnskeyData(csk)], ZONE, NOW, budget);
    assert.equal(honest.status, 'bogus', 'an exhausted request validates nothing more');
    assert.equal(budget.signatureValidations, 30);
  });
  it('limits are configurable', () => {
    const budget = new ValidationBudget({ maxSigsPerRRset: 1, maxKeysPerTag: 1, maxSignatureValidations: 3 });
    verifyRRset(www, badSigs, colliding, ZONE, NOW, budget);
    assert.equal(budget.signatureValidations, 1);
    for (let i = 0; i < 5; i++) verifyRRset(www, badSigs, colliding, ZONE, NOW, budget);
    assert.equal(budget.signatureValidations, 3);
  });
  it('RRSIGs failing the cheap checks cost no verification at all', () => {
    const budget = new ValidationBudget();
    const cheap: RR[] = [
      ...Array.from({ length: 500 }, (_, i) => withSig(goodSig, { keyTag: (TAG + 1 + i) & 0xffff })),
      ...Array.from({ length: 500 }, () => withSig(goodSig, { signerName: n('evil.') })),
      ...Array.from({ length: 500 }, () => withSig(goodSig, { expiration: NOW - 86400 * 10 })),
    ];
    const v = verifyRRset(www, cheap, [dnskeyData(csk)], ZONE, NOW, budget);
    assert.equal(v.status, 'bogus');
    assert.equal(budget.signatureValidations, 0);
  });
});

describe('KeyTrap: verifyDnskeySet within the budget', () => {
  const apex = rrsetOf(z.records, 'example.', RRType.DNSKEY)[0];
  const set: RR[] = [...colliding.map((data) => ({ ...apex, data })), apex];
  const sigs = sigsOf(z.records, 'example.', RRType.DNSKEY);
  const ds = makeDs(ZONE, dnskeyData(csk), 2).data as DsData;
  it('a DS naming a tag shared by 41 keys: at most 2 keys examined, no signature verified for nothing', () => {
    const budget = new ValidationBudget();
    const bad = Array.from({ length: 40 }, (_, i) =>
      withSig(sigs[0], { signature: flipped((sigs[0].data as RrsigData).signature, i) }),
    );
    const v = verifyDnskeySet(set, [...bad, ...sigs], { ds: [ds] }, ZONE, NOW, budget);
    assert.equal(v.status, 'bogus', 'the real key is beyond the keys examined for that tag');
    assert.equal(budget.signatureValidations, 0, 'no DS matched, so no signature was tried');
    assert.ok(budget.keyTagCollisions >= 40);
  });
  it('with the real key first, the RRset is verified with at most 2 x 2 attempts', () => {
    const realFirst = [apex, ...colliding.map((data) => ({ ...apex, data }))];
    const good = signRRset(realFirst, csk, ZONE, INCEPTION, EXPIRATION);
    const bad = Array.from({ length: 40 }, (_, i) =>
      withSig(good, { signature: flipped((good.data as RrsigData).signature, i) }),
    );
    const budget = new ValidationBudget();
    const v = verifyDnskeySet(realFirst, [...bad, good], { ds: [ds] }, ZONE, NOW, budget);
    assert.equal(v.status, 'bogus', 'the good RRSIG comes after the RRSIGs tried');
    assert.ok(budget.signatureValidations <= 4, `${budget.signatureValidations} verifications`);
    const ok = new ValidationBudget();
    const secure = verifyDnskeySet(realFirst, [bad[0], good], { ds: [ds] }, ZONE, NOW, ok);
    assert.equal(secure.status, 'secure', secure.reason);
    assert.equal(secure.keys.length, 41);
    assert.equal(ok.signatureValidations, 2);
  });
});
