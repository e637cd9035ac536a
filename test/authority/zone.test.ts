import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalSortKey, Zone, ZoneError } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import { Name, type RR, RRType } from '../../src/wire/index.js';

const n = (s: string) => Name.fromText(s);

function zone(text: string, origin = 'example.'): Zone {
  return Zone.fromParsed(parseZoneFile(text, { origin, file: 'test.zone' }));
}

const HEAD = '$TTL 300\n@ SOA ns1 host 1 2 3 4 60\n@ NS ns1\nns1 A 192.0.2.1\n';

describe('Zone.build', () => {
  const z = zone(`${HEAD}
sub NS ns.sub
sub DS 1 8 2 ABCD
ns.sub A 192.0.2.53
deep.below.sub A 192.0.2.54
a.b.c TXT "x"
*.w TXT "wild"
dn DNAME target.example.net.
x.dn A 192.0.2.9
cn CNAME ns1
cn RRSIG CNAME 8 2 300 20300101000000 20200101000000 1 example. AAAA
cn NSEC d.example. CNAME RRSIG NSEC
`);

  it('groups records into RRsets on nodes, with empty non-terminals', () => {
    assert.equal(z.origin.toString(), 'example.');
    assert.equal(z.soa.type, RRType.SOA);
    assert.ok(z.apex.apex);
    assert.equal(z.rrset(n('example.'), RRType.NS)?.records.length, 1);
    for (const ent of ['b.c.example.', 'c.example.', 'below.sub.example.']) {
      const node = z.node(n(ent));
      assert.ok(node, ent);
      assert.ok(node.isEmptyNonTerminal, ent);
    }
    assert.equal(z.node(n('a.b.c.example.'))?.isEmptyNonTerminal, false);
    assert.equal(z.node(n('nothere.example.')), undefined);
    assert.ok(z.node(n('*.w.example.'))?.has(RRType.TXT));
  });

  it('marks delegation points and occluded data', () => {
    const cut = z.node(n('sub.example.'))!;
    assert.ok(cut.cut);
    assert.ok(!cut.occluded);
    for (const below of ['ns.sub.example.', 'deep.below.sub.example.', 'below.sub.example.', 'x.dn.example.']) {
      assert.ok(z.node(n(below))!.occluded, below);
    }
    assert.ok(!z.node(n('dn.example.'))!.occluded);
    assert.ok(!z.apex.cut);
  });

  it('accepts RRSIG and NSEC next to a CNAME and hangs signatures on the covered RRset', () => {
    const node = z.node(n('cn.example.'))!;
    assert.equal(node.get(RRType.CNAME)!.sigs.length, 1);
    assert.equal(node.sigs.length, 1);
    assert.equal(node.get(RRType.NSEC)!.sigs.length, 0);
    assert.ok(z.signed);
    assert.equal(z.denial, 'nsec');
  });

  it('iterates names in canonical order (RFC 4034 6.1)', () => {
    const order = z.nodes().map((x) => x.name);
    const sorted = [...order].sort((a, b) => a.compare(b));
    assert.deepEqual(order.map(String), sorted.map(String));
    const rfc = [
      'example.',
      'a.example.',
      'yljkjljk.a.example.',
      'Z.a.example.',
      'zABC.a.EXAMPLE.',
      'z.example.',
      '\\001.z.example.',
      '*.z.example.',
      '\\200.z.example.',
    ];
    const shuffled = [rfc[5], rfc[8], rfc[0], rfc[3], rfc[7], rfc[1], rfc[6], rfc[4], rfc[2]];
    const keys = shuffled.map((s) => ({ s, k: canonicalSortKey(n(s).key) }));
    keys.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    assert.deepEqual(
      keys.map((x) => x.s),
      rfc,
    );
  });

  it('lists every record, SOA first', () => {
    const all = [...z.records()];
    assert.equal(all[0].type, RRType.SOA);
    assert.equal(all.length, 14);
  });

  it('normalises TTLs within an RRset to the lowest, with a warning, and drops duplicates', () => {
    const t = zone(`${HEAD}
m 300 A 192.0.2.1
m 100 A 192.0.2.2
m 200 A 192.0.2.3
m A 192.0.2.1
ns1 A 192.0.2.1
`);
    const set = t.rrset(n('m.example.'), RRType.A)!;
    assert.equal(set.ttl, 100);
    assert.deepEqual(
      set.records.map((r) => [r.data, r.ttl]),
      [
        [{ address: '192.0.2.1' }, 100],
        [{ address: '192.0.2.2' }, 100],
        [{ address: '192.0.2.3' }, 100],
      ],
    );
    assert.equal(t.rrset(n('ns1.example.'), RRType.A)!.records.length, 1);
    assert.deepEqual(
      t.warnings.map((w) => [w.code, w.location?.line]),
      [
        ['ttl-mismatch', 7],
        ['ttl-mismatch', 8],
        ['duplicate', 9],
        ['duplicate', 10],
      ],
    );
    assert.match(t.warnings[0].message, /TTL 100 differs from 300/);
  });

  it('does not mix RRSIG TTLs of different covered types', () => {
    const t = zone(`${HEAD}
a 100 A 192.0.2.1
a 100 RRSIG A 8 2 100 20300101000000 20200101000000 1 example. AAAA
a 200 TXT "t"
a 200 RRSIG TXT 8 2 200 20300101000000 20200101000000 1 example. AAAA
`);
    const node = t.node(n('a.example.'))!;
    assert.equal(node.get(RRType.A)!.sigs[0].ttl, 100);
    assert.equal(node.get(RRType.TXT)!.sigs[0].ttl, 200);
    assert.deepEqual(t.warnings, []);
  });

  it('keeps NSEC3 records out of the name tree', () => {
    const t = zone(`${HEAD}
@ NSEC3PARAM 1 0 0 -
2vptu5timamqttgl4luu9kg21e0aor3s NSEC3 1 0 0 - 35MTHGPGCU1QG68FAB165KLNSNK3DPVL NS SOA RRSIG DNSKEY NSEC3PARAM
2vptu5timamqttgl4luu9kg21e0aor3s RRSIG NSEC3 8 2 300 20300101000000 20200101000000 1 example. AAAA
`);
    assert.equal(t.node(n('2vptu5timamqttgl4luu9kg21e0aor3s.example.')), undefined);
    assert.equal(t.denial, 'nsec3');
    assert.deepEqual(t.nsec3Params, { hashAlgorithm: 1, iterations: 0, salt: new Uint8Array(0) });
    const chain = t.nsec3Chain();
    assert.equal(chain.length, 1);
    assert.equal(chain[0].hash, '2vptu5timamqttgl4luu9kg21e0aor3s');
    assert.equal(chain[0].rrset.sigs.length, 1);
    assert.equal(t.nsec3Matching('2vptu5timamqttgl4luu9kg21e0aor3s'), chain[0]);
    assert.equal(t.nsec3Covering('00'), chain[0], 'wraps around');
  });

  describe('rejects invalid zones with clear errors', () => {
    const cases: [string, string, string][] = [
      ['$TTL 1\n@ NS ns\n', 'missing-soa', 'zone example. has no SOA record at its apex'],
      ['$TTL 1\n@ SOA a b 1 2 3 4 5\n', 'missing-apex-ns', 'zone example. has no NS records at its apex'],
      [
        `${HEAD}www.example.net. A 192.0.2.1\n`,
        'out-of-zone',
        'test.zone:5: www.example.net. is outside the zone example.',
      ],
      [
        `${HEAD}c CNAME a\nc A 192.0.2.1\n`,
        'cname-and-other-data',
        'test.zone:5: c.example. has a CNAME and other data (A)',
      ],
      [`${HEAD}c CNAME a\nc CNAME b\n`, 'multiple-cname', 'test.zone:5: c.example. has 2 CNAME records'],
      [`${HEAD}@ CNAME a\n`, 'cname-and-other-data', 'test.zone:5: example. has a CNAME and other data'],
      [`${HEAD}s SOA a b 1 2 3 4 5\n`, 'soa-not-at-apex', 'test.zone:5: SOA record at s.example., not at the apex'],
      [`${HEAD}@ SOA a b 2 2 3 4 5\n`, 'multiple-soa', 'test.zone:2: zone example. has 2 SOA records'],
      [`${HEAD}d DNAME a.\nd DNAME b.\n`, 'multiple-dname', 'test.zone:5: d.example. has 2 DNAME records'],
      [
        `${HEAD}x.y NSEC3 1 0 0 - 00 A\n`,
        'bad-nsec3',
        'test.zone:5: NSEC3 owner x.y.example. is not directly below the apex',
      ],
    ];
    for (const [text, code, msg] of cases) {
      it(code, () => {
        assert.throws(
          () => zone(text),
          (e: unknown) => {
            assert.ok(e instanceof ZoneError, String(e));
            assert.equal(e.code, code);
            assert.ok(e.message.startsWith(msg), `${e.message} should start with ${msg}`);
            return true;
          },
        );
      });
    }
  });

  it('builds from records without locations', () => {
    const p = parseZoneFile(HEAD, { origin: 'example.' });
    const recs: RR[] = [...p.records, { ...p.records[2], name: n('other.') }];
    assert.throws(() => Zone.build(n('example.'), recs), { message: 'other. is outside the zone example.' });
  });
});

describe('ZoneSet', () => {
  const parent = zone(`${HEAD}child NS ns.child\nns.child A 192.0.2.2\nchild DS 1 8 2 AB\n`);
  const child = zone('$TTL 300\n@ SOA ns host 1 2 3 4 60\n@ NS ns\nns A 192.0.2.2\n', 'child.example.');
  const root = zone('$TTL 300\n@ SOA a. b. 1 2 3 4 60\n@ NS a.root-servers.net.\n', '.');
  const set = new ZoneSet([parent, child]);

  it('picks the deepest enclosing zone', () => {
    assert.equal(set.find(n('www.child.example.')), child);
    assert.equal(set.find(n('child.example.'), 1, RRType.A), child);
    assert.equal(set.find(n('www.example.')), parent);
    assert.equal(set.find(n('example.')), parent);
    assert.equal(set.find(n('example.net.')), undefined);
    assert.equal(set.find(n('www.example.'), 3), undefined, 'other class');
    assert.equal(set.find(n('www.example.'), 255), parent, 'class ANY');
  });

  it('answers DS at a child apex from the parent when it has it', () => {
    assert.equal(set.find(n('child.example.'), 1, RRType.DS), parent);
    assert.equal(set.find(n('www.child.example.'), 1, RRType.DS), child);
    assert.equal(new ZoneSet([child]).find(n('child.example.'), 1, RRType.DS), child);
    const withRoot = new ZoneSet([root, parent]);
    assert.equal(withRoot.find(n('example.'), 1, RRType.DS), root);
    assert.equal(withRoot.find(n('.'), 1, RRType.DS), root);
    assert.equal(withRoot.find(n('net.')), root);
  });

  it('adds, replaces and removes zones', () => {
    const s = new ZoneSet();
    s.add(parent);
    s.add(parent);
    assert.equal(s.size, 1);
    assert.equal(s.get(n('EXAMPLE.')), parent);
    assert.ok(s.remove(n('example.')));
    assert.equal(s.size, 0);
    assert.deepEqual([...s], []);
  });
});
