import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signRRset } from '../../src/dnssec/signer.js';
import { serialDiff, verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { ValidationBudget } from '../../src/dnssec/validate/types.js';
import { type DnskeyData, EDE, type RR, RRType, type RrsigData } from '../../src/wire/index.js';
import {
  ask,
  EXPIRATION,
  flipped,
  INCEPTION,
  key,
  NOW,
  n,
  PARENT_TEXT,
  rrsetOf,
  type Signed,
  signText,
  sigsOf,
  verifyFrom,
  withSig,
} from './validate-helpers.js';

const ZONE = n('example.');

const zones = new Map<number, Signed>();
function zoneFor(algorithm: number): Signed {
  let z = zones.get(algorithm);
  if (z === undefined) {
    z = signText('example.', PARENT_TEXT, { keys: [key(algorithm, 'ksk'), key(algorithm, 'zsk')] });
    zones.set(algorithm, z);
  }
  return z;
}

/** The A RRset of www.example. and its RRSIG, as answer() returns them. */
function wwwA(algorithm = 13): { rrs: RR[]; sigs: RR[]; z: Signed } {
  const z = zoneFor(algorithm);
  const res = ask(z.zone, 'www.example.', RRType.A);
  return { rrs: rrsetOf(res.answers, 'www.example.', RRType.A), sigs: sigsOf(res.answers, 'www.example.', 1), z };
}

/** A single RRSIG over `rrs` made with `signer` and the given options. */
function sign(rrs: RR[], algorithm: number, inception = INCEPTION, expiration = EXPIRATION, labels?: number): RR {
  return signRRset(rrs, key(algorithm, 'zsk'), ZONE, inception, expiration, labels === undefined ? {} : { labels });
}

describe('verifyRRset: secure answers', () => {
  for (const algorithm of [13, 15, 8]) {
    it(`verifies an answer signed with algorithm ${algorithm}`, () => {
      const { rrs, sigs, z } = wwwA(algorithm);
      assert.equal(sigs.length, 1);
      const budget = new ValidationBudget();
      const v = verifyRRset(rrs, sigs, z.dnskeys, ZONE, NOW, budget);
      assert.equal(v.status, 'secure', v.reason);
      assert.equal(v.ede, undefined);
      assert.equal(v.ttl, 3600);
      assert.equal(v.wildcard, undefined);
      assert.deepEqual(v.signedBy, { keyTag: (sigs[0].data as RrsigData).keyTag, algorithm });
      assert.equal(budget.signatureValidations, 1);
    });
  }
  it('verifies the DNSKEY, SOA, NS, CNAME, NSEC and multi-record RRsets of the zone', () => {
    const z = zoneFor(13);
    for (const [name, type] of [
      ['example.', RRType.DNSKEY],
      ['example.', RRType.SOA],
      ['example.', RRType.NS],
      ['cn.example.', RRType.CNAME],
      ['a.example.', RRType.NSEC],
      ['www.example.', RRType.AAAA],
    ] as const) {
      const v = verifyFrom(z.records, name, type, z);
      assert.equal(v.status, 'secure', `${name} ${type}: ${v.reason}`);
    }
  });
  it('matches owner names, signer names and RRset order case-insensitively', () => {
    const z = zoneFor(13);
    const res = ask(z.zone, 'WwW.ExAmPlE.', RRType.AAAA);
    const rrs = rrsetOf(res.answers, 'www.example.', RRType.AAAA);
    assert.equal(rrs[0].name.toString(), 'WwW.ExAmPlE.');
    const sigs = sigsOf(res.answers, 'www.example.', RRType.AAAA);
    const v = verifyRRset([...rrs].reverse(), sigs, z.dnskeys, n('EXAMPLE.'), NOW, new ValidationBudget());
    assert.equal(v.status, 'secure', v.reason);
  });
  it('accepts any one valid signature when the zone uses two algorithms (RFC 6840 5.11)', () => {
    const z = signText('example.', PARENT_TEXT, { keys: [key(13, 'csk'), key(15, 'csk')] });
    const rrs = rrsetOf(z.records, 'www.example.', RRType.A);
    const sigs = sigsOf(z.records, 'www.example.', RRType.A);
    assert.equal(sigs.length, 2);
    for (const keep of [13, 15]) {
      const only = sigs.filter((s) => (s.data as RrsigData).algorithm === keep);
      const v = verifyRRset(rrs, only, z.dnskeys, ZONE, NOW, new ValidationBudget());
      assert.equal(v.status, 'secure', v.reason);
      assert.equal(v.signedBy?.algorithm, keep);
    }
  });
  it('ignores RRSIGs of other RRsets at the same owner and signatures by unknown keys (RFC 6840 5.12)', () => {
    const { rrs, sigs, z } = wwwA();
    const other = sigsOf(z.records, 'www.example.', RRType.AAAA);
    const stranger = sign(rrs, 15);
    const v = verifyRRset(rrs, [...other, stranger, ...sigs], z.dnskeys, ZONE, NOW, new ValidationBudget());
    assert.equal(v.status, 'secure', v.reason);
  });
});

describe('verifyRRset: TTL (RFC 4035 5.3.3)', () => {
  it('caps the TTL to the RRSIG Original TTL, the RRSIG TTL and the time left until expiration', () => {
    const { rrs, sigs, z } = wwwA();
    const budget = new ValidationBudget();
    const lowOriginal = signRRset(rrs, key(13, 'zsk'), ZONE, INCEPTION, EXPIRATION, { originalTtl: 3600, ttl: 3600 });
    const bigger = rrs.map((r) => ({ ...r, ttl: 86400 }));
    // Received TTL higher than the Original TTL: the signature still covers the Original TTL.
    const v1 = verifyRRset(bigger, [lowOriginal], z.dnskeys, ZONE, NOW, budget);
    assert.equal(v1.status, 'secure', v1.reason);
    assert.equal(v1.ttl, 3600);
    const v2 = verifyRRset(rrs, [{ ...sigs[0], ttl: 120 }], z.dnskeys, ZONE, NOW, budget);
    assert.equal(v2.ttl, 120);
    const soon = sign(rrs, 13, INCEPTION, NOW + 100);
    const v3 = verifyRRset(rrs, [soon], z.dnskeys, ZONE, NOW, budget);
    assert.equal(v3.status, 'secure', v3.reason);
    assert.equal(v3.ttl, 100);
    const low = rrs.map((r) => ({ ...r, ttl: 30 }));
    assert.equal(verifyRRset(low, sigs, z.dnskeys, ZONE, NOW, budget).ttl, 30);
  });
});

describe('verifyRRset: validity window', () => {
  const { rrs, z } = wwwA();
  const budget = () => new ValidationBudget();
  it('rejects expired signatures with EDE 7 and not-yet-valid ones with EDE 8', () => {
    const expired = sign(rrs, 13, NOW - 30 * 86400, NOW - 86400);
    const v = verifyRRset(rrs, [expired], z.dnskeys, ZONE, NOW, budget());
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.SIGNATURE_EXPIRED);
    const future = sign(rrs, 13, NOW + 86400, NOW + 30 * 86400);
    const w = verifyRRset(rrs, [future], z.dnskeys, ZONE, NOW, budget());
    assert.equal(w.status, 'bogus');
    assert.equal(w.ede, EDE.SIGNATURE_NOT_YET_VALID);
  });
  it('rejects a window that ends before it starts with EDE 25', () => {
    const inverted = sign(rrs, 13, NOW + 100, NOW - 100);
    const v = verifyRRset(rrs, [inverted], z.dnskeys, ZONE, NOW, budget());
    assert.equal(v.ede, EDE.SIGNATURE_EXPIRED_BEFORE_VALID);
  });
  it('tolerates the configured clock skew at both ends, and nothing more', () => {
    const early = sign(rrs, 13, NOW + 1800, EXPIRATION);
    const late = sign(rrs, 13, INCEPTION - 86400, NOW - 1800);
    for (const sig of [early, late]) {
      assert.equal(verifyRRset(rrs, [sig], z.dnskeys, ZONE, NOW, budget()).status, 'secure');
      assert.equal(verifyRRset(rrs, [sig], z.dnskeys, ZONE, NOW, budget(), { skewSec: 0 }).status, 'bogus');
      assert.equal(verifyRRset(rrs, [sig], z.dnskeys, ZONE, NOW, budget(), { skewSec: 1799 }).status, 'bogus');
      assert.equal(verifyRRset(rrs, [sig], z.dnskeys, ZONE, NOW, budget(), { skewSec: 1800 }).status, 'secure');
    }
    const late2 = verifyRRset(rrs, [late], z.dnskeys, ZONE, NOW, budget());
    assert.equal(late2.ttl, 0, 'an RRset accepted within the skew after expiration is not cached');
  });
  it('uses serial number arithmetic across the 2106 wrap of 32-bit time (RFC 4034 3.1.5)', () => {
    assert.equal(serialDiff(5, 0xfffffff0), 21);
    assert.equal(serialDiff(0xfffffff0, 5), -21);
    const inception = 0xffffff00; // 2106-02-07T06:24:00Z
    const expiration = 86400; // the same instant plus about a day, after the wrap
    const sig = sign(rrs, 13, inception, expiration);
    const now = 2 ** 32 + 3600;
    const v = verifyRRset(rrs, [sig], z.dnskeys, ZONE, now, budget(), { skewSec: 0 });
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.ttl, 3600);
    const after = verifyRRset(rrs, [sig], z.dnskeys, ZONE, 2 ** 32 + 86401, budget(), { skewSec: 0 });
    assert.equal(after.ede, EDE.SIGNATURE_EXPIRED);
  });
});

describe('verifyRRset: tampered data is bogus', () => {
  const { rrs, sigs, z } = wwwA();
  const sig = sigs[0];
  const data = sig.data as RrsigData;
  const check = (rrset: RR[], sigset: RR[], ede: number, keys: DnskeyData[] = z.dnskeys) => {
    const budget = new ValidationBudget();
    const v = verifyRRset(rrset, sigset, keys, ZONE, NOW, budget);
    assert.equal(v.status, 'bogus', v.reason);
    assert.equal(v.ede, ede, v.reason);
    return { v, budget };
  };
  it('a flipped signature bit: EDE 6 after one verification', () => {
    const { budget } = check(rrs, [withSig(sig, { signature: flipped(data.signature, 5) })], EDE.DNSSEC_BOGUS);
    assert.equal(budget.signatureValidations, 1);
  });
  it('changed RDATA: EDE 6', () => {
    check([{ ...rrs[0], data: { address: '192.0.2.66' } }], sigs, EDE.DNSSEC_BOGUS);
  });
  it('an extra record in the RRset: EDE 6', () => {
    check([...rrs, { ...rrs[0], data: { address: '192.0.2.66' } }], sigs, EDE.DNSSEC_BOGUS);
  });
  it('a changed covered field (Original TTL, type covered by a same-type copy): EDE 6', () => {
    check(rrs, [withSig(sig, { originalTtl: 7200 })], EDE.DNSSEC_BOGUS);
  });
  it('a wrong signer name: EDE 6 without any verification', () => {
    const other = signRRset(rrs, key(13, 'zsk'), n('org.'), INCEPTION, EXPIRATION);
    const { v, budget } = check(rrs, [other], EDE.DNSSEC_BOGUS);
    assert.match(v.reason, /signer org\. is not example\./);
    assert.equal(budget.signatureValidations, 0);
  });
  it('an owner outside the zone: bogus', () => {
    const v = verifyRRset(rrs, sigs, z.dnskeys, n('example.org.'), NOW, new ValidationBudget());
    assert.equal(v.status, 'bogus');
  });
  it('a Labels field larger than the owner label count: EDE 6', () => {
    const { v } = check(rrs, [sign(rrs, 13, INCEPTION, EXPIRATION, 3)], EDE.DNSSEC_BOGUS);
    assert.match(v.reason, /labels 3 exceed the 2 labels/);
  });
  it('no RRSIG, or RRSIGs for other types, classes or owners only: EDE 10', () => {
    check(rrs, [], EDE.RRSIGS_MISSING);
    check(rrs, sigsOf(z.records, 'www.example.', RRType.AAAA), EDE.RRSIGS_MISSING);
    check(rrs, [{ ...sig, class: 3 }], EDE.RRSIGS_MISSING);
    check(rrs, [{ ...sig, name: n('a.example.') }], EDE.RRSIGS_MISSING);
    check(rrs, [{ ...sig, type: RRType.NSEC }], EDE.RRSIGS_MISSING);
  });
  it('a wrong key tag, or the signing key missing from the trusted keys: EDE 9', () => {
    check(rrs, [withSig(sig, { keyTag: (data.keyTag + 1) & 0xffff })], EDE.DNSKEY_MISSING);
    const ksk = z.dnskeys.filter((k) => (k.flags & 1) === 1);
    check(rrs, sigs, EDE.DNSKEY_MISSING, ksk);
  });
  it('keys without the ZONE flag, of another protocol, or revoked are not used', () => {
    for (const patch of [{ flags: 0 }, { protocol: 2 }, { flags: 0x0180 }]) {
      check(rrs, sigs, EDE.DNSKEY_MISSING, [{ ...z.dnskeys.find((k) => k.flags === 256)!, ...patch }]);
    }
    check(rrs, sigs, EDE.DNSKEY_MISSING, []);
  });
  it('reports the failure that got furthest when several RRSIGs fail', () => {
    const expired = sign(rrs, 13, NOW - 30 * 86400, NOW - 86400);
    const badKey = withSig(sig, { keyTag: (data.keyTag + 1) & 0xffff });
    check(rrs, [badKey, expired], EDE.SIGNATURE_EXPIRED);
    check(rrs, [expired, withSig(sig, { signature: flipped(data.signature) })], EDE.DNSSEC_BOGUS);
    // And a good signature after bad ones still wins.
    const v = verifyRRset(rrs, [badKey, expired, sig], z.dnskeys, ZONE, NOW, new ValidationBudget());
    assert.equal(v.status, 'secure', v.reason);
  });
  it('never throws on malformed input', () => {
    const budget = new ValidationBudget();
    assert.equal(verifyRRset([], sigs, z.dnskeys, ZONE, NOW, budget).status, 'bogus');
    assert.equal(verifyRRset([rrs[0], { ...rrs[0], type: 28 }], sigs, z.dnskeys, ZONE, NOW, budget).status, 'bogus');
    assert.equal(verifyRRset(sigs, sigs, z.dnskeys, ZONE, NOW, budget).status, 'bogus');
    const garbage = withSig(sig, { signature: undefined as unknown as Uint8Array });
    assert.equal(verifyRRset(rrs, [garbage], z.dnskeys, ZONE, NOW, budget).status, 'bogus');
    const badRdata = [{ ...rrs[0], data: { address: 'not an address' } }];
    assert.equal(verifyRRset(badRdata, sigs, z.dnskeys, ZONE, NOW, budget).status, 'bogus');
    const badKey = { ...z.dnskeys[0], publicKey: new Uint8Array(3) };
    assert.equal(verifyRRset(rrs, sigs, [badKey], ZONE, NOW, budget).status, 'bogus');
  });
});

describe('verifyRRset: wildcard expansions (RFC 4035 5.3.2, 5.3.4)', () => {
  it('reports the wildcard and the next closer name of an expanded answer', () => {
    const z = zoneFor(13);
    for (const [qname, nextCloser] of [
      ['foo.w.example.', 'foo.w.example.'],
      ['a.foo.w.example.', 'foo.w.example.'],
    ]) {
      const res = ask(z.zone, qname, RRType.TXT);
      const v = verifyFrom(res.answers, qname, RRType.TXT, z);
      assert.equal(v.status, 'secure', v.reason);
      assert.equal(v.wildcard?.source.toString(), '*.w.example.');
      assert.equal(v.wildcard?.nextCloser.toString(), nextCloser);
    }
  });
  it('does not call the wildcard owner itself an expansion', () => {
    const z = zoneFor(13);
    const v = verifyFrom(z.records, '*.w.example.', RRType.TXT, z);
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.wildcard, undefined);
  });
  it('a signature replayed onto another name does not verify', () => {
    const z = zoneFor(13);
    const res = ask(z.zone, 'foo.w.example.', RRType.TXT);
    const rrs = rrsetOf(res.answers, 'foo.w.example.', RRType.TXT).map((r) => ({ ...r, name: n('foo.example.') }));
    const sigs = sigsOf(res.answers, 'foo.w.example.', RRType.TXT).map((r) => ({ ...r, name: n('foo.example.') }));
    const v = verifyRRset(rrs, sigs, z.dnskeys, ZONE, NOW, new ValidationBudget());
    assert.equal(v.status, 'bogus');
  });
});

describe('verifyRRset: algorithms', () => {
  const { rrs, sigs, z } = wwwA();
  it('a zone whose trusted keys all use unsupported algorithms is insecure, EDE 1 (RFC 6840 5.2)', () => {
    const keys = z.dnskeys.map((k) => ({ ...k, algorithm: 253 }));
    const stripped = sigs.map((s) => withSig(s, { algorithm: 253 }));
    for (const sigset of [stripped, []]) {
      const v = verifyRRset(rrs, sigset, keys, ZONE, NOW, new ValidationBudget());
      assert.equal(v.status, 'insecure', v.reason);
      assert.equal(v.ede, EDE.UNSUPPORTED_DNSKEY_ALGORITHM);
    }
  });
  it('an RRSIG of an unsupported algorithm cannot downgrade a zone with supported keys', () => {
    const v = verifyRRset(rrs, [withSig(sigs[0], { algorithm: 253 })], z.dnskeys, ZONE, NOW, new ValidationBudget());
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.RRSIGS_MISSING);
  });
  it('sha1Insecure (RFC 9905) turns RSASHA1 zones insecure', () => {
    const keys = [key(5, 'csk')];
    const sha1 = signText('example.', PARENT_TEXT, { keys });
    const set = rrsetOf(sha1.records, 'www.example.', RRType.A);
    const sigset = sigsOf(sha1.records, 'www.example.', RRType.A);
    const plain = verifyRRset(set, sigset, sha1.dnskeys, ZONE, NOW, new ValidationBudget());
    assert.equal(plain.status, 'secure', plain.reason);
    const strict = verifyRRset(set, sigset, sha1.dnskeys, ZONE, NOW, new ValidationBudget(), { sha1Insecure: true });
    assert.equal(strict.status, 'insecure', strict.reason);
    assert.equal(strict.ede, EDE.UNSUPPORTED_DNSKEY_ALGORITHM);
  });
});
