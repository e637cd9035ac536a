// The store behind RFC 8198 aggressive NSEC: records ordered so one binary search finds the record matching or
// covering a name (canonical order, RFC 4034 6.1) or an NSEC3 hash (with wrap-around), TTLs capped at 3 h and the
// zone's SOA MINIMUM (RFC 8198 5.4), expiry, and bounded size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggressiveNsecCache } from '../../src/cache/aggressive.js';
import { canonicalOrderKey, Name, type NsecData, parseRR, type RR } from '../../src/wire/index.js';

const n = (s: string) => Name.fromText(s);
const ZONE = n('example.');
const nsec = (owner: string, next: string, ttl = 3600): RR => parseRR(`${owner} ${ttl} IN NSEC ${next} A RRSIG NSEC`);
const nsec3 = (hash: string, next: string): RR => parseRR(`${hash}.example. 3600 IN NSEC3 1 0 0 - ${next} A RRSIG`);
const soa = (ttl: number, minimum: number): RR =>
  parseRR(`example. ${ttl} IN SOA ns.example. h.example. 1 7200 900 1209600 ${minimum}`);

describe('canonicalOrderKey', () => {
  it('orders names as RFC 4034 6.1 does', () => {
    // the example of RFC 4034 6.1
    const ordered = [
      'example.',
      'a.example.',
      'yljkjljk.a.example.',
      'Z.a.example.',
      'zABC.a.EXAMPLE.',
      'z.example.',
      '\\001.z.example.',
      '*.z.example.',
      '\\200.z.example.',
    ].map(n);
    const keys = ordered.map(canonicalOrderKey);
    assert.deepEqual([...keys].sort(), keys);
    for (let i = 1; i < ordered.length; i++) assert.ok(ordered[i - 1].compare(ordered[i]) < 0);
  });
});

describe('AggressiveNsecCache', () => {
  it('finds the NSEC at or before a name, the last one for names past the end', () => {
    const c = new AggressiveNsecCache();
    for (const [o, x] of [
      ['example.', 'b.example.'],
      ['b.example.', 'm.example.'],
      ['m.example.', 'example.'],
    ])
      c.addDenial(ZONE, nsec(o, x), [], 3600, 0);
    const at = (name: string) => c.nsecAtOrBefore(ZONE, n(name), 1000)?.rr.name.toString();
    assert.equal(at('a.example.'), 'example.');
    assert.equal(at('b.example.'), 'b.example.');
    assert.equal(at('x.b.example.'), 'b.example.');
    assert.equal(at('c.example.'), 'b.example.');
    assert.equal(at('zz.example.'), 'm.example.');
    assert.equal(c.zoneOf(n('deep.x.example.'))?.toString(), 'example.');
    assert.equal(c.zoneOf(n('other.')), undefined);
  });

  it('finds the NSEC3 at or before a hash, wrapping to the last of the chain', () => {
    const c = new AggressiveNsecCache();
    c.addDenial(ZONE, nsec3('2vptu5timamqttgl4luu9kg21e0aor3s', '35mthgpgcu1qg68fab165klnsnk3dpvl'), [], 3600, 0);
    c.addDenial(ZONE, nsec3('KOHAR7MBB8DC2CE8A9QVL8HON4K53UHI', '2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S'), [], 3600, 0);
    const at = (h: string) => c.nsec3AtOrBefore(ZONE, h, 1)?.rr.name.label(0).toLowerCase();
    assert.equal(at('30000000000000000000000000000000'), '2vptu5timamqttgl4luu9kg21e0aor3s');
    assert.equal(at('10000000000000000000000000000000'), 'kohar7mbb8dc2ce8a9qvl8hon4k53uhi', 'wraps');
    assert.equal(at('V0000000000000000000000000000000'), 'kohar7mbb8dc2ce8a9qvl8hon4k53uhi');
  });

  it('caps the TTL at 3 hours and at the SOA MINIMUM, and forgets expired records', () => {
    const c = new AggressiveNsecCache();
    c.addDenial(ZONE, nsec('example.', 'b.example.'), [], 86400, 0);
    assert.ok(c.nsecAtOrBefore(ZONE, n('a.example.'), 10_800_000 - 1));
    assert.equal(c.nsecAtOrBefore(ZONE, n('a.example.'), 10_800_000), undefined, 'RFC 8198 5.4: 3 hours at most');
    c.addSoa(ZONE, [soa(3600, 300)], [], 0);
    c.addDenial(ZONE, nsec('example.', 'b.example.'), [], 3600, 0);
    assert.ok(c.nsecAtOrBefore(ZONE, n('a.example.'), 299_000));
    assert.equal(c.nsecAtOrBefore(ZONE, n('a.example.'), 300_000), undefined, 'SOA MINIMUM 300');
    assert.equal(c.soa(ZONE, 299_000)?.rrs.length, 1);
    assert.equal(c.soa(ZONE, 300_000), undefined);
  });

  it('replaces a record with the same owner and stays within its limits', () => {
    const c = new AggressiveNsecCache({ maxPerZone: 3, maxZones: 2 });
    c.addDenial(ZONE, nsec('example.', 'b.example.'), [], 100, 0);
    c.addDenial(ZONE, nsec('example.', 'c.example.'), [], 100, 0);
    const next = c.nsecAtOrBefore(ZONE, n('a.example.'), 1)?.rr.data as NsecData;
    assert.equal(next.next.toString(), 'c.example.');
    for (const l of 'defgh') c.addDenial(ZONE, nsec(`${l}.example.`, `${l}z.example.`), [], 100 + l.charCodeAt(0), 0);
    // the three longest-lived stay
    assert.equal(c.nsecAtOrBefore(ZONE, n('a.example.'), 1), undefined);
    assert.equal(c.nsecAtOrBefore(ZONE, n('hh.example.'), 1)?.rr.name.toString(), 'h.example.');
    c.addDenial(n('one.'), nsec('one.', 'one.'), [], 100, 0);
    c.addDenial(n('two.'), nsec('two.', 'two.'), [], 100, 0);
    assert.equal(c.zoneCount, 2);
    assert.equal(c.zoneOf(n('x.example.')), undefined, 'the least recently used zone went');
  });
});
