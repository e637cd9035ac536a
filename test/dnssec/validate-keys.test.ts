import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnskeyData, makeDs, type SigningKey, signRRset } from '../../src/dnssec/signer.js';
import { dsMatches, verifyDnskeySet } from '../../src/dnssec/validate/keys.js';
import { BUDGET_EXCEEDED, ValidationBudget } from '../../src/dnssec/validate/types.js';
import { type DnskeyData, type DsData, EDE, type RR, RRType } from '../../src/wire/index.js';
import {
  ask,
  EXPIRATION,
  flipped,
  INCEPTION,
  key,
  NOW,
  n,
  PARENT_TEXT,
  parentAndChild,
  rrsetOf,
  signText,
  sigsOf,
  verifyFrom,
} from './validate-helpers.js';

const ZONE = n('example.');
const z = signText('example.', PARENT_TEXT, { keys: [key(13, 'ksk'), key(13, 'zsk')] });
const res = ask(z.zone, 'example.', RRType.DNSKEY);
const dnskeys = rrsetOf(res.answers, 'example.', RRType.DNSKEY);
const sigs = sigsOf(res.answers, 'example.', RRType.DNSKEY);
const ksk = key(13, 'ksk');
const zsk = key(13, 'zsk');
const dsOf = (k: SigningKey | DnskeyData, digestType = 2): DsData =>
  makeDs(ZONE, 'privateKey' in k ? dnskeyData(k) : k, digestType).data as DsData;

function verify(anchors: { ds?: DsData[]; dnskeys?: DnskeyData[] }, opts = {}, keySet = dnskeys, sigSet = sigs) {
  const budget = new ValidationBudget();
  return { v: verifyDnskeySet(keySet, sigSet, anchors, ZONE, NOW, budget, opts), budget };
}

describe('verifyDnskeySet: secure key sets', () => {
  it('a DS matching the KSK that signs the DNSKEY RRset: secure, every key returned', () => {
    assert.equal(sigs.length, 1, 'the KSK alone signs the DNSKEY RRset');
    const { v, budget } = verify({ ds: z.ds });
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.keys.length, 2);
    assert.equal(v.ttl, 3600);
    assert.equal(budget.signatureValidations, 1);
    // The returned keys then verify the zone's data.
    const www = ask(z.zone, 'www.example.', RRType.A);
    const data = verifyFrom(www.answers, 'www.example.', RRType.A, { ...z, dnskeys: v.keys });
    assert.equal(data.status, 'secure', data.reason);
  });
  it('the same through a parent and a secure delegation: DS from the parent, keys from the child', () => {
    for (const algorithm of [13, 15, 8]) {
      const { parent, child, zones } = parentAndChild(algorithm, { kind: 'nsec' });
      const ref = ask(zones, 'sdeleg.example.', RRType.DS);
      const dsv = verifyFrom(ref.answers, 'sdeleg.example.', RRType.DS, parent);
      assert.equal(dsv.status, 'secure', dsv.reason);
      const ds = rrsetOf(ref.answers, 'sdeleg.example.', RRType.DS).map((r) => r.data as DsData);
      const keysRes = ask(zones, 'sdeleg.example.', RRType.DNSKEY);
      const v = verifyDnskeySet(keysRes.answers, keysRes.answers, { ds }, child.origin, NOW, new ValidationBudget());
      assert.equal(v.status, 'secure', `${algorithm}: ${v.reason}`);
      assert.equal(v.keys.length, 2);
    }
  });
  it('a trust-anchor DNSKEY instead of a DS', () => {
    const { v } = verify({ dnskeys: [dnskeyData(ksk)] });
    assert.equal(v.status, 'secure', v.reason);
  });
  it('any single valid path among several DS (RFC 6840 5.11)', () => {
    const bad = { ...dsOf(ksk), digest: flipped(dsOf(ksk).digest) };
    const { v } = verify({ ds: [{ ...bad, keyTag: 1 }, dsOf(zsk), ...z.ds] });
    assert.equal(v.status, 'secure', v.reason);
  });
  it('SHA-1 and SHA-384 DS digests', () => {
    assert.equal(verify({ ds: [dsOf(ksk, 1)] }).v.status, 'secure');
    assert.equal(verify({ ds: [dsOf(ksk, 4)] }).v.status, 'secure');
  });
});

describe('verifyDnskeySet: mismatches are bogus', () => {
  it('a DS whose digest matches no key: EDE 6', () => {
    const ds = { ...z.ds[0], digest: flipped(z.ds[0].digest, 7) };
    const { v, budget } = verify({ ds: [ds] });
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.DNSSEC_BOGUS);
    assert.deepEqual(v.keys, []);
    assert.equal(budget.signatureValidations, 0);
  });
  it('a DS whose key tag or algorithm matches no key: EDE 9', () => {
    assert.equal(verify({ ds: [{ ...z.ds[0], keyTag: (z.ds[0].keyTag + 1) & 0xffff }] }).v.ede, EDE.DNSKEY_MISSING);
    assert.equal(verify({ ds: [{ ...z.ds[0], algorithm: 15 }] }).v.ede, EDE.DNSKEY_MISSING);
  });
  it('a DS matching a key that does not sign the DNSKEY RRset: EDE 9 (no trusted key for the RRSIG)', () => {
    const { v } = verify({ ds: [dsOf(zsk)] });
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.DNSKEY_MISSING);
  });
  it('a DNSKEY RRset with a changed key, a flipped signature, no RRSIG, or an expired RRSIG', () => {
    const changed = dnskeys.map((r) =>
      (r.data as DnskeyData).flags === 256 ? { ...r, data: dnskeyData(key(13, 'zsk', 9)) } : r,
    );
    assert.equal(verify({ ds: z.ds }, {}, changed).v.ede, EDE.DNSSEC_BOGUS);
    const badSig = sigs.map((s) => ({ ...s, data: { ...(s.data as object), signature: new Uint8Array(64) } }));
    assert.equal(verify({ ds: z.ds }, {}, dnskeys, badSig as RR[]).v.ede, EDE.DNSSEC_BOGUS);
    assert.equal(verify({ ds: z.ds }, {}, dnskeys, []).v.ede, EDE.RRSIGS_MISSING);
    const expired = signRRset(dnskeys, ksk, ZONE, NOW - 40 * 86400, NOW - 10 * 86400);
    assert.equal(verify({ ds: z.ds }, {}, dnskeys, [expired]).v.ede, EDE.SIGNATURE_EXPIRED);
  });
  it('no DNSKEY RRset: EDE 9', () => {
    assert.equal(verify({ ds: z.ds }, {}, []).v.ede, EDE.DNSKEY_MISSING);
    const elsewhere = dnskeys.map((r) => ({ ...r, name: n('other.example.') }));
    assert.equal(verify({ ds: z.ds }, {}, elsewhere).v.ede, EDE.DNSKEY_MISSING);
  });
  it('a DS matching a key without the ZONE flag: EDE 11', () => {
    const noZone: SigningKey = { ...ksk, flags: 1 };
    const set: RR[] = [...dnskeys, { ...dnskeys[0], data: dnskeyData(noZone) }];
    const sig = signRRset(set, noZone, ZONE, INCEPTION, EXPIRATION);
    const { v } = verify({ ds: [dsOf(noZone)] }, {}, set, [sig]);
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.NO_ZONE_KEY_BIT);
  });
  it('a trust anchor that is not in the RRset: EDE 9', () => {
    assert.equal(verify({ dnskeys: [dnskeyData(key(13, 'ksk', 7))] }).v.ede, EDE.DNSKEY_MISSING);
  });
  it('a revoked trust anchor key does not validate (RFC 5011)', () => {
    const revoked: SigningKey = { ...ksk, flags: 257 | 0x80 };
    const set: RR[] = [{ ...dnskeys[0], data: dnskeyData(revoked) }, ...dnskeys.slice(1)];
    const sig = signRRset(set, revoked, ZONE, INCEPTION, EXPIRATION);
    const { v } = verify({ dnskeys: [dnskeyData(revoked)] }, {}, set, [sig]);
    assert.equal(v.status, 'bogus');
    assert.match(v.reason, /not a usable zone key/);
  });
  it('a DNSKEY RRset signed as a wildcard expansion is bogus', () => {
    const deep = dnskeys.map((r) => ({ ...r, name: n('x.example.') }));
    const sig = signRRset(deep, ksk, n('x.example.'), INCEPTION, EXPIRATION, { labels: 1 });
    const v = verifyDnskeySet(
      deep,
      [sig],
      { ds: [dsOfAt('x.example.')] },
      n('x.example.'),
      NOW,
      new ValidationBudget(),
    );
    assert.equal(v.status, 'bogus');
    assert.match(v.reason, /wildcard/);
  });
});

function dsOfAt(owner: string): DsData {
  return makeDs(n(owner), dnskeyData(ksk), 2).data as DsData;
}

describe('verifyDnskeySet: digests and algorithms', () => {
  it('ignores SHA-1 DS records when a SHA-2 DS is present (RFC 4509 3)', () => {
    const badSha256 = { ...dsOf(ksk, 2), digest: flipped(dsOf(ksk, 2).digest) };
    const { v } = verify({ ds: [badSha256, dsOf(ksk, 1)] });
    assert.equal(v.status, 'bogus', 'the right SHA-1 DS must not rescue a wrong SHA-256 DS');
    assert.equal(verify({ ds: [dsOf(ksk, 4), dsOf(ksk, 1)] }).v.status, 'secure');
  });
  it('only unsupported digest types: insecure, EDE 2', () => {
    const gost = { ...dsOf(ksk), digestType: 3 };
    const { v } = verify({ ds: [gost, { ...dsOf(ksk), digestType: 200 }] });
    assert.equal(v.status, 'insecure');
    assert.equal(v.ede, EDE.UNSUPPORTED_DS_DIGEST);
  });
  it('only unsupported algorithms: insecure, EDE 1', () => {
    for (const algorithm of [3, 12, 253]) {
      const { v } = verify({ ds: [{ ...dsOf(ksk), algorithm }] });
      assert.equal(v.status, 'insecure', `${algorithm}`);
      assert.equal(v.ede, EDE.UNSUPPORTED_DNSKEY_ALGORITHM);
    }
    assert.equal(verify({ dnskeys: [{ ...dnskeyData(ksk), algorithm: 12 }] }).v.ede, EDE.UNSUPPORTED_DNSKEY_ALGORITHM);
  });
  it('sha1Insecure (RFC 9905): SHA-1 DS and RSASHA1 keys count as unsupported', () => {
    const { v } = verify({ ds: [dsOf(ksk, 1)] }, { sha1Insecure: true });
    assert.equal(v.status, 'insecure');
    assert.equal(v.ede, EDE.UNSUPPORTED_DS_DIGEST);
    const rsa = signText('example.', PARENT_TEXT, { keys: [key(5, 'csk')] });
    const set = rrsetOf(rsa.records, 'example.', RRType.DNSKEY);
    const sigSet = sigsOf(rsa.records, 'example.', RRType.DNSKEY);
    assert.equal(verify({ ds: rsa.ds }, {}, set, sigSet).v.status, 'secure');
    const strict = verify({ ds: rsa.ds }, { sha1Insecure: true }, set, sigSet).v;
    assert.equal(strict.status, 'insecure');
    assert.equal(strict.ede, EDE.UNSUPPORTED_DNSKEY_ALGORITHM);
  });
  it('no DS and no anchor: indeterminate', () => {
    assert.equal(verify({}).v.status, 'indeterminate');
    assert.equal(verify({ ds: [], dnskeys: [] }).v.status, 'indeterminate');
  });
  it('more DS records than the budget allows: bogus, validation budget exceeded', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ ...dsOf(ksk), keyTag: i }));
    const { v, budget } = verify({ ds: many });
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.DNSSEC_BOGUS);
    assert.match(v.reason, new RegExp(BUDGET_EXCEEDED));
    assert.equal(budget.signatureValidations, 0);
    assert.equal(verify({ ds: many.slice(1) }).v.status, 'bogus', '8 DS are examined (and do not match)');
  });
  it('never throws on malformed input', () => {
    const junk = [{ ...dnskeys[0], data: { flags: 257 } as unknown as DnskeyData }];
    assert.equal(verify({ ds: z.ds }, {}, junk).v.status, 'bogus');
    const junkDs = { ...z.ds[0], digest: undefined as unknown as Uint8Array };
    assert.equal(verify({ ds: [junkDs] }).v.status, 'bogus');
  });
});

describe('dsMatches', () => {
  it('matches a key and its owner, case-insensitively, and nothing else', () => {
    const ds = dsOf(ksk);
    assert.ok(dsMatches(ds, n('EXAMPLE.'), dnskeyData(ksk)));
    assert.ok(!dsMatches(ds, n('example.org.'), dnskeyData(ksk)));
    assert.ok(!dsMatches(ds, ZONE, dnskeyData(zsk)));
    assert.ok(!dsMatches({ ...ds, digestType: 3 }, ZONE, dnskeyData(ksk)));
  });
});
