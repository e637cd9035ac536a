// VerifiedCache: verifyRRset with remembered secure verdicts. A hit gives the verdict verifyRRset would give (TTL,
// wildcard, next closer, reason) without verifying a signature or spending the request's budget; anything that
// differs (records, RRSIGs, keys, signer, time) is verified afresh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { ValidationBudget } from '../../src/dnssec/validate/types.js';
import { VerifiedCache } from '../../src/resolver/verified.js';
import { type RR, RRType, type RrsigData } from '../../src/wire/index.js';
import {
  ask,
  EXPIRATION,
  key,
  NOW,
  n,
  PARENT_TEXT,
  rrsetOf,
  signText,
  sigsOf,
  withSig,
} from '../dnssec/validate-helpers.js';

const signed = signText('example.', PARENT_TEXT, { keys: [key(13, 'ksk'), key(13, 'zsk')] });
const www = rrsetOf(signed.records, 'www.example.', RRType.A);
const wwwSigs = sigsOf(signed.records, 'www.example.', RRType.A);
const zone = n('example.');

describe('VerifiedCache', () => {
  it('a second verification of the same RRset is a hit with the same verdict, and no signature is verified', () => {
    const c = new VerifiedCache();
    const b0 = new ValidationBudget();
    const first = c.verify(www, wwwSigs, signed.dnskeys, zone, NOW, b0);
    assert.equal(first.status, 'secure');
    assert.equal(b0.signatureValidations, 1);
    assert.deepEqual(c.stats, { hits: 0, misses: 1, stored: 1 });
    const b = new ValidationBudget();
    const again = c.verify(www, wwwSigs, signed.dnskeys, zone, NOW + 10, b);
    assert.deepEqual(c.stats, { hits: 1, misses: 1, stored: 1 });
    assert.deepEqual(again, verifyRRset(www, wwwSigs, signed.dnskeys, zone, NOW + 10, new ValidationBudget()));
    assert.equal(b.signatureValidations, 0, 'no signature verified, nothing taken from the budget');
  });

  it('the TTL is capped by the records at hand and by the time left until the RRSIG expires', () => {
    const c = new VerifiedCache();
    c.verify(www, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    const shorter: RR[] = www.map((rr) => ({ ...rr, ttl: 7 }));
    assert.equal(c.verify(shorter, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget()).ttl, 7);
    assert.equal(c.stats.hits, 1, 'TTLs are not part of the key');
    const late = c.verify(www, wwwSigs, signed.dnskeys, zone, EXPIRATION - 5, new ValidationBudget());
    assert.equal(late.status, 'secure');
    assert.equal(late.ttl, 5);
  });

  it('wildcard expansions share one entry; each verdict names its own owner and next closer name', () => {
    const c = new VerifiedCache();
    const expansion = (owner: string) => {
      const res = ask(signed.zone, owner, RRType.TXT);
      return { rrs: rrsetOf(res.answers, owner, RRType.TXT), sigs: sigsOf(res.answers, owner, RRType.TXT) };
    };
    const a = expansion('a.w.example.');
    const b = expansion('b.c.w.example.');
    const va = c.verify(a.rrs, a.sigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    const vb = c.verify(b.rrs, b.sigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    assert.equal(c.stats.hits, 1);
    assert.equal(va.wildcard?.source.toString(), '*.w.example.');
    assert.equal(vb.wildcard?.nextCloser.toString(), 'c.w.example.');
    assert.deepEqual(vb, verifyRRset(b.rrs, b.sigs, signed.dnskeys, zone, NOW, new ValidationBudget()));
  });

  it('other records, another RRSIG, other keys or another signer are verified afresh', () => {
    const c = new VerifiedCache();
    c.verify(www, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    const forged: RR[] = www.map((rr) => ({ ...rr, data: { address: '192.0.2.99' } }));
    assert.equal(c.verify(forged, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget()).status, 'bogus');
    const badSig = wwwSigs.map((s) => withSig(s, { signature: new Uint8Array((s.data as RrsigData).signature) }));
    badSig[0] = withSig(badSig[0], {
      signature: (badSig[0].data as RrsigData).signature.map((x, i) => (i === 0 ? x ^ 1 : x)),
    });
    assert.equal(c.verify(www, badSig, signed.dnskeys, zone, NOW, new ValidationBudget()).status, 'bogus');
    const sameKeysOtherList = [...signed.dnskeys];
    assert.equal(c.verify(www, wwwSigs, sameKeysOtherList, zone, NOW, new ValidationBudget()).status, 'secure');
    const otherKeys = signText('example.', PARENT_TEXT, { keys: [key(13, 'ksk', 7), key(13, 'zsk', 7)] }).dnskeys;
    assert.equal(c.verify(www, wwwSigs, otherKeys, zone, NOW, new ValidationBudget()).status, 'bogus');
    assert.equal(c.verify(www, wwwSigs, signed.dnskeys, n('org.'), NOW, new ValidationBudget()).status, 'bogus');
    assert.equal(c.stats.hits, 0);
  });

  it('an expired RRSIG is not secure from the cache either', () => {
    const c = new VerifiedCache();
    c.verify(www, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    const v = c.verify(www, wwwSigs, signed.dnskeys, zone, EXPIRATION + 2 * 86400, new ValidationBudget());
    assert.equal(v.status, 'bogus');
    assert.equal(c.stats.hits, 0);
  });

  it('bogus verdicts are not remembered; the cache is bounded', () => {
    const c = new VerifiedCache(700);
    const forged: RR[] = www.map((rr) => ({ ...rr, data: { address: '192.0.2.99' } }));
    c.verify(forged, wwwSigs, signed.dnskeys, zone, NOW, new ValidationBudget());
    assert.equal(c.size, 0);
    const sets = new Map<string, RR>();
    for (const rr of signed.records) if (rr.type !== RRType.RRSIG) sets.set(`${rr.name.key}|${rr.type}`, rr);
    for (const rr of sets.values())
      c.verify(
        rrsetOf(signed.records, rr.name, rr.type),
        sigsOf(signed.records, rr.name, rr.type),
        signed.dnskeys,
        zone,
        NOW,
        new ValidationBudget(),
      );
    assert.ok(c.size >= 1 && c.bytes <= 700, `${c.size} entries, ${c.bytes} octets`);
    assert.ok(c.stats.stored > c.size, 'older entries made room for newer ones');
  });
});
