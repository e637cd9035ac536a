import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadZoneFile, parseZoneFile, ZoneFileError } from '../../src/authority/zonefile.js';
import {
  type MxData,
  Name,
  type NameData,
  type OpaqueData,
  type RR,
  RRClass,
  RRType,
  rrToText,
  type SoaData,
  type SrvData,
  type TxtData,
} from '../../src/wire/index.js';

const LAB = `; the lab zone
$TTL 1h
$ORIGIN lab.example.
@   IN  SOA ns1 hostmaster (
            2026112701 ; serial
            7200       ; refresh
            3600       ; retry
            1209600    ; expire
            300 )      ; minimum
        NS  ns1
        NS  ns2.lab.example.
        MX  10 mail
ns1     A   192.0.2.1
        AAAA 2001:db8::1
ns2 600 IN A 192.0.2.2
mail    IN 900 A 192.0.2.25
www     CNAME @
txt     TXT "hello world" "with \\"quotes\\"" plain
_sip._tcp SRV 10 5 5060 sip
sip     A 192.0.2.30
sub     NS ns.sub
ns.sub  A 192.0.2.53
*.wild  TXT "wild"
unk     TYPE65280 \\# 3 010203
a       TYPE1 \\# 4 C0000263
$ORIGIN deep.lab.example.
x       A 192.0.2.99
`;

function rr(records: RR[], name: string, type: number): RR[] {
  const n = Name.fromText(name);
  return records.filter((r) => r.type === type && r.name.equals(n));
}

describe('parseZoneFile', () => {
  const z = parseZoneFile(LAB, { origin: 'lab.example', file: 'lab.zone' });

  it('parses a realistic zone with relative names, @ and blank owners', () => {
    assert.equal(z.origin.toString(), 'lab.example.');
    assert.equal(z.class, RRClass.IN);
    assert.equal(z.records.length, 18);
    const soa = rr(z.records, 'lab.example.', RRType.SOA)[0];
    const sd = soa.data as SoaData;
    assert.equal(sd.mname.toString(), 'ns1.lab.example.');
    assert.equal(sd.rname.toString(), 'hostmaster.lab.example.');
    assert.equal(sd.serial, 2026112701);
    assert.equal(sd.minimum, 300);
    assert.equal(soa.ttl, 3600);
    const ns = rr(z.records, 'lab.example.', RRType.NS).map((r) => (r.data as NameData).target.toString());
    assert.deepEqual(ns, ['ns1.lab.example.', 'ns2.lab.example.']);
    assert.equal((rr(z.records, 'lab.example.', RRType.MX)[0].data as MxData).exchange.toString(), 'mail.lab.example.');
    assert.equal(rr(z.records, 'ns1.lab.example.', RRType.AAAA).length, 1, 'blank owner continues ns1');
    assert.equal(
      (rr(z.records, 'www.lab.example.', RRType.CNAME)[0].data as NameData).target.toString(),
      'lab.example.',
    );
    assert.equal(
      (rr(z.records, '_sip._tcp.lab.example.', RRType.SRV)[0].data as SrvData).target.toString(),
      'sip.lab.example.',
    );
    assert.deepEqual((rr(z.records, 'txt.lab.example.', RRType.TXT)[0].data as TxtData).strings, [
      'hello world',
      'with "quotes"',
      'plain',
    ]);
    assert.equal(rr(z.records, '*.wild.lab.example.', RRType.TXT).length, 1);
    assert.equal(rr(z.records, 'x.deep.lab.example.', RRType.A).length, 1, '$ORIGIN applies to later names');
  });

  it('applies TTLs: explicit, $TTL, in either order with the class', () => {
    assert.equal(rr(z.records, 'ns2.lab.example.', RRType.A)[0].ttl, 600);
    assert.equal(rr(z.records, 'mail.lab.example.', RRType.A)[0].ttl, 900);
    assert.equal(rr(z.records, 'sip.lab.example.', RRType.A)[0].ttl, 3600);
  });

  it('reads RFC 3597 unknown types and the generic form of known types', () => {
    const unk = rr(z.records, 'unk.lab.example.', 65280)[0];
    assert.deepEqual([...(unk.data as OpaqueData).raw], [1, 2, 3]);
    assert.equal(rrToText(unk), 'unk.lab.example.\t3600\tIN\tTYPE65280\t\\# 3 010203');
    const a = rr(z.records, 'a.lab.example.', RRType.A)[0];
    assert.deepEqual(a.data, { address: '192.0.2.99' });
  });

  it('records where each record came from', () => {
    const i = z.records.findIndex((r) => r.type === RRType.SRV);
    assert.deepEqual(z.locations[i], { file: 'lab.zone', line: 19 });
    assert.deepEqual(z.locations[0], { file: 'lab.zone', line: 4 });
    assert.deepEqual(z.warnings, []);
  });

  it('defaults the class to the last one given and rejects a different class', () => {
    const ch = parseZoneFile('@ 60 CH SOA a b 1 2 3 4 5\n@ NS a\n', { origin: 'version.bind' });
    assert.equal(ch.class, RRClass.CH);
    assert.ok(ch.records.every((r) => r.class === RRClass.CH));
    assert.throws(
      () => parseZoneFile('@ 60 IN SOA a b 1 2 3 4 5\n@ CH NS a\n', { origin: 'x', file: 'x.zone' }),
      (e: unknown) =>
        e instanceof ZoneFileError &&
        e.code === 'class-mismatch' &&
        e.message === "x.zone:2: class CH differs from the zone's class IN",
    );
  });

  describe('TTL defaults without $TTL (BIND behaviour)', () => {
    it('uses the SOA MINIMUM with a warning, then keeps it as the default', () => {
      const p = parseZoneFile('@ IN SOA a b 1 2 3 4 77\n NS a\nb 10 A 192.0.2.1\nc A 192.0.2.2\n', {
        origin: 'x',
        file: 'x.zone',
      });
      assert.deepEqual(
        p.records.map((r) => r.ttl),
        [77, 77, 10, 77],
      );
      assert.deepEqual(p.warnings, [
        { file: 'x.zone', line: 1, message: 'no TTL specified; using SOA MINIMUM instead' },
      ]);
    });
    it("uses the previous record's TTL (RFC 1035), warning once", () => {
      const p = parseZoneFile('@ 50 IN SOA a b 1 2 3 4 77\n NS a\nb 10 A 192.0.2.1\nc A 192.0.2.2\n', {
        origin: 'x',
        file: 'x.zone',
      });
      assert.deepEqual(
        p.records.map((r) => r.ttl),
        [50, 50, 10, 10],
      );
      assert.equal(p.warnings.length, 1);
      assert.equal(p.warnings[0].line, 2);
    });
    it('rejects a first record without a TTL that is not an SOA', () => {
      assert.throws(
        () => parseZoneFile('b A 192.0.2.1\n', { origin: 'x', file: 'x.zone' }),
        (e: unknown) => e instanceof ZoneFileError && e.code === 'no-ttl' && e.message.startsWith('x.zone:1: no TTL'),
      );
    });
  });

  describe('errors carry file:line and a reason', () => {
    const cases: [string, string, string][] = [
      ['$TTL 60\n@ SOA a b 1 2 3 4 5\n\nwww AAA ::1\n', 'unknown-type', 'lab.zone:4: unknown type "AAA"'],
      ['$TTL 60\n@ SOA a b 1 2 3 4 5\nwww A 300.1.1.1\n', 'bad-record', 'lab.zone:3: '],
      ['$TTL 60\n@ SOA (a b 1 2\n3 4 5\n', 'syntax', 'lab.zone:4: unbalanced "(" at end of input'],
      ['$TTL 60\n@ TXT "open\n', 'syntax', 'lab.zone:2: unterminated quoted string'],
      [' A 192.0.2.1\n', 'no-owner', 'lab.zone:1: record without an owner and no previous owner'],
      ['$TTL 60\n$GENERATE 1-2 a$ A 1.2.3.$\n', 'bad-directive', 'lab.zone:2: unsupported directive $GENERATE'],
      ['$TTL sixty\n', 'bad-directive', 'lab.zone:1: bad $TTL value "sixty"'],
      ['$ORIGIN\n', 'bad-directive', 'lab.zone:1: $ORIGIN takes one name'],
      ['$INCLUDE other.zone\n', 'include-disabled', 'lab.zone:1: $INCLUDE is disabled (no allowInclude option)'],
      ['$TTL 60\na..b A 192.0.2.1\n', 'bad-record', 'lab.zone:2: empty label in "a..b"'],
      ['$TTL 60\nu TYPE65280 \\# 2 01\n', 'bad-record', 'lab.zone:2: RDATA length 2 but 1 octets given'],
      ['$TTL 60\nu TYPE65280 01\n', 'bad-record', 'lab.zone:2: type TYPE65280 needs the \\# generic form'],
    ];
    for (const [text, code, msg] of cases) {
      it(`${code}: ${msg}`, () => {
        assert.throws(
          () => parseZoneFile(text, { origin: 'lab.example', file: 'lab.zone' }),
          (e: unknown) => {
            assert.ok(e instanceof ZoneFileError, String(e));
            assert.equal(e.code, code);
            assert.ok(e.message.startsWith(msg), `${e.message} should start with ${msg}`);
            assert.equal(e.file, 'lab.zone');
            assert.equal(e.message, `${e.file}:${e.line}: ${e.reason}`);
            return true;
          },
        );
      });
    }
  });

  describe('$INCLUDE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealdns-zonefile-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const base = join(dir, 'zones');
    mkdirSync(join(base, 'inc'), { recursive: true });
    writeFileSync(
      join(base, 'inc', 'hosts.inc'),
      'h1 A 192.0.2.1\n  AAAA 2001:db8::1\n$ORIGIN z.lab.example.\nh2 A 192.0.2.2\n',
    );
    writeFileSync(join(base, 'inc', 'loop.inc'), '$INCLUDE inc/loop.inc\n');
    writeFileSync(join(base, 'inc', 'bad.inc'), '\nh3 AAA ::1\n');
    writeFileSync(join(dir, 'secret.txt'), 'x A 192.0.2.1\n');
    symlinkSync(join(dir, 'secret.txt'), join(base, 'inc', 'link.inc'));
    const head = '$TTL 60\n@ SOA a b 1 2 3 4 5\n';

    it('includes a file with an optional origin, then restores origin and owner', () => {
      const p = parseZoneFile(`${head}$INCLUDE inc/hosts.inc sub\n  NS ns\nafter A 192.0.2.3\n`, {
        origin: 'lab.example',
        file: 'lab.zone',
        allowInclude: { baseDir: base },
      });
      assert.deepEqual(
        p.records.map((r) => `${r.name} ${r.type}`),
        [
          'lab.example. 6',
          'h1.sub.lab.example. 1',
          'h1.sub.lab.example. 28',
          'h2.z.lab.example. 1',
          'lab.example. 2',
          'after.lab.example. 1',
        ],
      );
      assert.deepEqual(p.locations[3], { file: join('inc', 'hosts.inc'), line: 4 });
    });
    it('reports errors inside the included file with its name', () => {
      assert.throws(
        () =>
          parseZoneFile(`${head}$INCLUDE inc/bad.inc\n`, {
            origin: 'lab.example',
            file: 'lab.zone',
            allowInclude: { baseDir: base },
          }),
        { message: `${join('inc', 'bad.inc')}:2: unknown type "AAA"` },
      );
    });
    it('bounds the include depth', () => {
      assert.throws(
        () =>
          parseZoneFile('$INCLUDE inc/loop.inc\n', {
            origin: 'lab.example',
            allowInclude: { baseDir: base, maxDepth: 3 },
          }),
        (e: unknown) => e instanceof ZoneFileError && e.code === 'include-depth',
      );
    });
    it('refuses paths outside the base directory, symlinks included', () => {
      for (const p of ['../secret.txt', '/etc/hostname', 'inc/link.inc']) {
        assert.throws(
          () => parseZoneFile(`$INCLUDE ${p}\n`, { origin: 'lab.example', allowInclude: { baseDir: base } }),
          (e: unknown) =>
            e instanceof ZoneFileError && (e.code === 'include-outside-base' || e.code === 'include-read'),
          p,
        );
      }
      assert.throws(
        () => parseZoneFile('$INCLUDE ../secret.txt\n', { origin: 'lab.example', allowInclude: { baseDir: base } }),
        (e: unknown) => e instanceof ZoneFileError && e.code === 'include-outside-base',
      );
    });
    it('reports a missing file', () => {
      assert.throws(
        () =>
          parseZoneFile('$INCLUDE inc/none.inc\n', {
            origin: 'lab.example',
            file: 'm',
            allowInclude: { baseDir: base },
          }),
        (e: unknown) => e instanceof ZoneFileError && e.code === 'include-read' && e.message.includes('ENOENT'),
      );
    });
    it('loadZoneFile reads a file and names it in messages', async () => {
      const path = join(dir, 'lab.zone');
      writeFileSync(path, LAB);
      const p = await loadZoneFile(path, { origin: Name.fromText('lab.example.') });
      assert.equal(p.records.length, 18);
      writeFileSync(path, `${head}www AAA ::1\n`);
      await assert.rejects(loadZoneFile(path, { origin: 'lab.example' }), { message: `${path}:3: unknown type "AAA"` });
    });
  });
});
