// The RRset cache: RFC 2181 5.4.1 trust ranking, TTL caps (RFC 8767 4), expiry on an injected clock, the LRU byte
// bound, the RFC 8767 serve-stale window and the prefetch hint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rank } from '../../src/cache/rank.js';
import { RRsetCache, sigsFor } from '../../src/cache/rrset-cache.js';
import { Name, parseRR, type RR, RRType } from '../../src/wire/index.js';

const n = (t: string) => Name.fromText(t);
const rr = (t: string): RR => parseRR(t);
const a = (owner: string, address: string, ttl = 300): RR => rr(`${owner} ${ttl} IN A ${address}`);
const address = (e: { rrs: RR[] } | undefined) => (e?.rrs[0]?.data as { address: string } | undefined)?.address;

const T0 = 1_800_000_000_000; // a fixed "now" (ms)
const S = 1000;

function rrsig(owner: string, covered: string, ttl: number, originalTtl: number, expiration: number): RR {
  return rr(
    `${owner} ${ttl} IN RRSIG ${covered} 13 2 ${originalTtl} ${expiration} ${expiration - 86400 * 10} 12345 clear.test. AAAA`,
  );
}

describe('RRsetCache: trust ranking (RFC 2181 5.4.1)', () => {
  it('higher ranks replace lower ones, never the other way round while the entry lives', () => {
    const c = new RRsetCache();
    const name = n('ns1.clear.test.');
    c.put([a('ns1.clear.test.', '192.0.2.1')], [], Rank.Additional, T0);
    c.put([a('ns1.clear.test.', '192.0.2.2')], [], Rank.NonAuthAuthority, T0);
    assert.equal(address(c.get(name, RRType.A, T0)?.entry), '192.0.2.2', 'authority data replaces glue');
    c.put([a('ns1.clear.test.', '192.0.2.3')], [], Rank.AuthAnswer, T0);
    assert.equal(address(c.get(name, RRType.A, T0)?.entry), '192.0.2.3');
    const kept = c.put([a('ns1.clear.test.', '6.6.6.6')], [], Rank.Additional, T0 + S);
    assert.equal(address(kept), '192.0.2.3', 'put returns the entry that stays');
    c.put([a('ns1.clear.test.', '6.6.6.7')], [], Rank.NonAuthAnswer, T0 + S);
    c.put([a('ns1.clear.test.', '6.6.6.8')], [], Rank.AuthAuthority, T0 + S);
    assert.equal(address(c.get(name, RRType.A, T0 + S)?.entry), '192.0.2.3', 'glue never overwrites an answer');
  });

  it('equal ranks replace each other (fresher data wins)', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    c.put([a('www.clear.test.', '192.0.2.9', 60)], [], Rank.AuthAnswer, T0 + 10 * S);
    const hit = c.get(n('www.clear.test.'), RRType.A, T0 + 10 * S);
    assert.equal(address(hit?.entry), '192.0.2.9');
    assert.equal(hit?.ttl, 60);
  });

  it('once the entry expired, anything replaces it', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1', 10)], [], Rank.AuthAnswer, T0);
    c.put([a('www.clear.test.', '192.0.2.2')], [], Rank.Additional, T0 + 11 * S);
    assert.equal(address(c.get(n('www.clear.test.'), RRType.A, T0 + 11 * S)?.entry), '192.0.2.2');
  });

  it('secure data replaces insecure data whatever the ranks; insecure never replaces secure', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0, { security: 'indeterminate' });
    c.put([a('www.clear.test.', '192.0.2.2')], [], Rank.NonAuthAnswer, T0, { security: 'secure' });
    assert.equal(c.get(n('www.clear.test.'), RRType.A, T0)?.entry.security, 'secure');
    c.put([a('www.clear.test.', '6.6.6.6')], [], Rank.AuthAnswer, T0, { security: 'insecure' });
    assert.equal(address(c.get(n('www.clear.test.'), RRType.A, T0)?.entry), '192.0.2.2');
  });

  it('at equal rank, bogus data does not replace validated data', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0, { security: 'insecure' });
    c.put([a('www.clear.test.', '6.6.6.6')], [], Rank.AuthAnswer, T0, { security: 'bogus' });
    assert.equal(address(c.get(n('www.clear.test.'), RRType.A, T0)?.entry), '192.0.2.1');
  });

  it('minRank hides lower-ranked data (glue is never an answer for clients)', () => {
    const c = new RRsetCache();
    c.put([a('ns1.clear.test.', '192.0.2.1')], [], Rank.Additional, T0);
    assert.equal(c.get(n('ns1.clear.test.'), RRType.A, T0, { minRank: Rank.NonAuthAnswer }), undefined);
    assert.ok(c.get(n('ns1.clear.test.'), RRType.A, T0));
  });

  it('keys are case-insensitive and per type', () => {
    const c = new RRsetCache();
    c.put([a('WWW.Clear.TEST.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    assert.ok(c.get(n('www.clear.test.'), RRType.A, T0));
    assert.equal(c.get(n('www.clear.test.'), RRType.AAAA, T0), undefined);
  });
});

describe('RRsetCache: TTLs and expiry', () => {
  it('caps TTLs at maxTtl and raises them to minTtl', () => {
    const c = new RRsetCache({ maxTtl: 3600, minTtl: 30 });
    assert.equal(c.put([a('big.test.', '192.0.2.1', 604800)], [], Rank.AuthAnswer, T0).ttl, 3600);
    assert.equal(c.put([a('small.test.', '192.0.2.1', 5)], [], Rank.AuthAnswer, T0).ttl, 30);
    assert.equal(c.get(n('big.test.'), RRType.A, T0 + 3599 * S)?.ttl, 1);
    assert.equal(c.get(n('big.test.'), RRType.A, T0 + 3600 * S), undefined);
  });

  it('the RRset TTL is the smallest of its records', () => {
    const c = new RRsetCache();
    const e = c.put([a('www.test.', '192.0.2.1', 300), a('www.test.', '192.0.2.2', 100)], [], Rank.AuthAnswer, T0);
    assert.equal(e.ttl, 100);
  });

  it('RRSIG original TTL and signature expiration lower the TTL (RFC 4035 5.3.3)', () => {
    const c = new RRsetCache();
    const now = Math.floor(T0 / 1000);
    const byOrig = c.put([a('w.test.', '192.0.2.1', 3600)], [rrsig('w.test.', 'A', 3600, 600, now + 86400)], 5, T0);
    assert.equal(byOrig.ttl, 600);
    const byExpiry = c.put([a('x.test.', '192.0.2.1', 3600)], [rrsig('x.test.', 'A', 3600, 3600, now + 120)], 5, T0);
    assert.equal(byExpiry.ttl, 120);
    assert.equal(sigsFor(byExpiry.sigs, RRType.A).length, 1);
    assert.equal(sigsFor(byExpiry.sigs, RRType.AAAA).length, 0);
  });

  it('the remaining TTL counts down on the injected clock and the entry expires exactly at its TTL', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1', 300)], [], Rank.AuthAnswer, T0);
    const name = n('www.clear.test.');
    assert.equal(c.get(name, RRType.A, T0)?.ttl, 300);
    assert.equal(c.get(name, RRType.A, T0 + 100 * S + 500)?.ttl, 199);
    assert.equal(c.get(name, RRType.A, T0 + 299 * S)?.ttl, 1);
    assert.equal(c.get(name, RRType.A, T0 + 300 * S), undefined);
    assert.equal(c.size, 0, 'expired entries are dropped when serve-stale is off');
  });

  it('an explicit TTL overrides the computed one (bogus data is kept briefly)', () => {
    const c = new RRsetCache();
    assert.equal(c.put([a('www.test.', '192.0.2.1', 3600)], [], Rank.AuthAnswer, T0, { ttl: 60 }).ttl, 60);
  });
});

describe('RRsetCache: serve-stale (RFC 8767) and prefetch', () => {
  it('expired data is served only when asked for, within the stale window, with TTL 0', () => {
    const c = new RRsetCache({ staleSeconds: 3600 });
    c.put([a('www.clear.test.', '192.0.2.1', 60)], [], Rank.AuthAnswer, T0);
    const name = n('www.clear.test.');
    const later = T0 + 120 * S;
    assert.equal(c.get(name, RRType.A, later), undefined, 'not without allowStale');
    const stale = c.get(name, RRType.A, later, { allowStale: true });
    assert.ok(stale);
    assert.equal(stale.stale, true);
    assert.equal(stale.ttl, 0);
    assert.equal(stale.prefetch, false);
    assert.equal(c.get(name, RRType.A, T0 + (60 + 3600) * S, { allowStale: true })?.stale, true, 'window edge');
    assert.equal(c.get(name, RRType.A, T0 + (60 + 3601) * S, { allowStale: true }), undefined, 'past the window');
    assert.equal(c.size, 0, 'dropped once past the window');
  });

  it('without a stale window nothing stale is ever served', () => {
    const c = new RRsetCache({ staleSeconds: 0 });
    c.put([a('www.clear.test.', '192.0.2.1', 60)], [], Rank.AuthAnswer, T0);
    assert.equal(c.get(n('www.clear.test.'), RRType.A, T0 + 61 * S, { allowStale: true }), undefined);
  });

  it('prefetch is flagged for popular entries in the last 10% of their TTL', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1', 100)], [], Rank.AuthAnswer, T0);
    const name = n('www.clear.test.');
    assert.equal(c.get(name, RRType.A, T0 + 95 * S)?.prefetch, false, 'first hit: not popular yet');
    assert.equal(c.get(name, RRType.A, T0 + 10 * S)?.prefetch, false);
    assert.equal(c.get(name, RRType.A, T0 + 50 * S)?.prefetch, false, 'third hit, but not near expiry');
    assert.equal(c.get(name, RRType.A, T0 + 91 * S)?.prefetch, true);
    c.put([a('short.test.', '192.0.2.1', 5)], [], Rank.AuthAnswer, T0);
    for (let i = 0; i < 5; i++) c.get(n('short.test.'), RRType.A, T0);
    assert.equal(c.get(n('short.test.'), RRType.A, T0 + 4900)?.prefetch, false, 'too short-lived to prefetch');
  });
});

describe('RRsetCache: memory bound', () => {
  it('stays within maxBytes, evicting the least recently used entries', () => {
    const c = new RRsetCache({ maxBytes: 4000 });
    c.put([a('keep.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    for (let i = 0; i < 200; i++) {
      c.put([a(`host${i}.test.`, '192.0.2.1')], [], Rank.AuthAnswer, T0);
      assert.ok(c.get(n('keep.test.'), RRType.A, T0), `recently used entry survives (round ${i})`);
      assert.ok(c.bytes <= 4000, `bytes ${c.bytes} within the bound`);
    }
    assert.ok(c.size < 201, 'something was evicted');
    assert.equal(c.get(n('host0.test.'), RRType.A, T0), undefined, 'the oldest untouched entry went first');
    assert.ok(c.get(n('host199.test.'), RRType.A, T0), 'the newest stays');
  });

  it('delete removes one type or every type at a name; deleteTree removes a subtree', () => {
    const c = new RRsetCache();
    c.put([a('www.clear.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    c.put([rr('www.clear.test. 300 IN AAAA ::1')], [], Rank.AuthAnswer, T0);
    c.put([rr('www.clear.test. 300 IN TXT "x"')], [], Rank.AuthAnswer, T0);
    c.put([a('a.www.clear.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    c.put([a('other.test.', '192.0.2.1')], [], Rank.AuthAnswer, T0);
    assert.equal(c.delete(n('www.clear.test.'), RRType.TXT), 1);
    assert.equal(c.delete(n('WWW.clear.test.')), 2);
    assert.ok(c.get(n('a.www.clear.test.'), RRType.A, T0), 'delete does not touch names below');
    assert.equal(c.deleteTree(n('clear.test.')), 1);
    assert.equal(c.size, 1);
    c.clear();
    assert.equal(c.size, 0);
    assert.equal(c.bytes, 0);
  });
});
