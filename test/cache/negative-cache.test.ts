// The negative cache: RFC 2308 NXDOMAIN/NODATA, the RFC 8020 NXDOMAIN cut, the 3-hour cap, serve-stale.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NEGATIVE_TTL, NegativeCache, type NegativeEntry } from '../../src/cache/negative-cache.js';
import { Name, parseRR, RRType } from '../../src/wire/index.js';

const n = (t: string) => Name.fromText(t);
const T0 = 1_800_000_000_000;
const S = 1000;
const SOA = parseRR('clear.test. 300 IN SOA ns1.clear.test. hostmaster.lab. 1 7200 900 1209600 300');

function entry(kind: 'nxdomain' | 'nodata', name: string, type: number, ttl: number): Omit<NegativeEntry, 'expires'> {
  return { kind, name: n(name), type, authority: [SOA], security: 'indeterminate', ttl, encrypted: false };
}

describe('NegativeCache', () => {
  it('NXDOMAIN denies the name for every type, and every name below it (RFC 8020)', () => {
    const c = new NegativeCache();
    c.put(entry('nxdomain', 'nothing.clear.test.', RRType.A, 300), T0);
    for (const type of [RRType.A, RRType.AAAA, RRType.MX]) {
      const hit = c.get(n('nothing.clear.test.'), type, T0 + S);
      assert.equal(hit?.entry.kind, 'nxdomain');
      assert.equal(hit?.ttl, 299);
    }
    const below = c.get(n('x.y.NOTHING.clear.test.'), RRType.TXT, T0);
    assert.equal(below?.entry.kind, 'nxdomain');
    assert.equal(below?.entry.name.toString(), 'nothing.clear.test.', 'the denial is the ancestor one');
    assert.equal(c.get(n('clear.test.'), RRType.A, T0), undefined, 'not above');
    assert.equal(c.get(n('other.clear.test.'), RRType.A, T0), undefined, 'not beside');
  });

  it('the cut can be turned off', () => {
    const c = new NegativeCache({ nxdomainCut: false });
    c.put(entry('nxdomain', 'nothing.clear.test.', RRType.A, 300), T0);
    assert.ok(c.get(n('nothing.clear.test.'), RRType.A, T0));
    assert.equal(c.get(n('x.nothing.clear.test.'), RRType.A, T0), undefined);
  });

  it('a bogus NXDOMAIN does not deny the names below it', () => {
    const c = new NegativeCache();
    c.put({ ...entry('nxdomain', 'nothing.clear.test.', RRType.A, 300), security: 'bogus' }, T0);
    assert.equal(c.get(n('nothing.clear.test.'), RRType.A, T0)?.entry.security, 'bogus', 'kept for the name itself');
    assert.equal(c.get(n('x.nothing.clear.test.'), RRType.A, T0), undefined);
  });

  it('NODATA is per type and does not deny names below', () => {
    const c = new NegativeCache();
    c.put(entry('nodata', 'www.clear.test.', RRType.TXT, 300), T0);
    assert.equal(c.get(n('www.clear.test.'), RRType.TXT, T0)?.entry.kind, 'nodata');
    assert.equal(c.get(n('www.clear.test.'), RRType.A, T0), undefined);
    assert.equal(c.get(n('x.www.clear.test.'), RRType.TXT, T0), undefined);
  });

  it('caps the TTL at 3 hours (RFC 2308 5) and expires on the injected clock', () => {
    assert.equal(MAX_NEGATIVE_TTL, 10800);
    const c = new NegativeCache();
    const e = c.put(entry('nxdomain', 'nothing.clear.test.', RRType.A, 86400), T0);
    assert.equal(e.ttl, 10800);
    assert.equal(c.get(n('nothing.clear.test.'), RRType.A, T0 + 10799 * S)?.ttl, 1);
    assert.equal(c.get(n('nothing.clear.test.'), RRType.A, T0 + 10800 * S), undefined);
    assert.equal(c.size, 0);
    c.put(entry('nodata', 'www.clear.test.', RRType.TXT, 60), T0);
    assert.equal(
      c.get(n('www.clear.test.'), RRType.TXT, T0 + 60 * S, true),
      undefined,
      'no stale hit when stale is off',
    );
    const lower = new NegativeCache({ maxTtl: 60 });
    assert.equal(lower.put(entry('nodata', 'www.clear.test.', RRType.TXT, 300), T0).ttl, 60);
  });

  it('serves stale denials only when asked, within the window', () => {
    const c = new NegativeCache({ staleSeconds: 600 });
    c.put(entry('nxdomain', 'nothing.clear.test.', RRType.A, 60), T0);
    const later = T0 + 120 * S;
    assert.equal(c.get(n('nothing.clear.test.'), RRType.A, later), undefined);
    const stale = c.get(n('nothing.clear.test.'), RRType.A, later, true);
    assert.equal(stale?.stale, true);
    assert.equal(stale?.ttl, 0);
    assert.equal(c.get(n('x.nothing.clear.test.'), RRType.A, later, true)?.stale, true, 'the cut, stale too');
    assert.equal(c.get(n('nothing.clear.test.'), RRType.A, T0 + 661 * S, true), undefined);
  });

  it('a newer entry replaces an older one; delete removes every entry at a name', () => {
    const c = new NegativeCache();
    c.put(entry('nodata', 'www.clear.test.', RRType.TXT, 300), T0);
    c.put(entry('nodata', 'www.clear.test.', RRType.TXT, 30), T0);
    assert.equal(c.get(n('www.clear.test.'), RRType.TXT, T0)?.ttl, 30);
    c.put(entry('nodata', 'www.clear.test.', RRType.MX, 30), T0);
    c.put(entry('nxdomain', 'x.www.clear.test.', RRType.A, 30), T0);
    c.delete(n('www.clear.test.'));
    assert.equal(c.get(n('www.clear.test.'), RRType.TXT, T0), undefined);
    assert.equal(c.get(n('www.clear.test.'), RRType.MX, T0), undefined);
    assert.ok(c.get(n('x.www.clear.test.'), RRType.A, T0), 'names below are separate entries');
    c.clear();
    assert.equal(c.size, 0);
  });
});
