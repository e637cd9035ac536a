import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalRdata,
  canonicalRRset,
  compareBytes,
  Name,
  parseRR,
  plainRdata,
  type RR,
  signedData,
  WireError,
} from '../../src/wire/index.js';
import { concat, hex, toHex, u16, u32 } from '../helpers/wire.js';

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('canonical RDATA (RFC 4034 6.2, RFC 6840 5.1)', () => {
  const lowered: string[] = [
    'NS NS1.EXAMPLE.',
    'CNAME Host.Example.',
    'PTR Host.Example.',
    'DNAME New.Example.',
    'SOA NS1.Example. Host-Master.EXAMPLE. 1 2 3 4 5',
    'MX 10 Mail.Example.',
    'RP Admin.Example. Info.EXAMPLE.',
    'AFSDB 1 AFS.Example.',
    'KX 1 KX.Example.',
    'SRV 1 2 3 SIP.Example.',
    'NAPTR 1 2 "S" "SIP+D2U" "" _SIP._UDP.Example.',
    'RRSIG A 8 2 60 20260101000000 20250101000000 1 Example. AAAA',
  ];
  for (const rdata of lowered) {
    it(`lower-cases ${rdata.split(' ')[0]}`, () => {
      const rr = parseRR(`x.example. 60 IN ${rdata}`);
      const canon = canonicalRdata(rr.type, rr.data);
      assert.notDeepEqual(canon, plainRdata(rr.type, rr.data), 'the record has upper-case names');
      // the same record with every name lower-cased, other fields (strings) untouched
      const lowerNames = Object.fromEntries(
        Object.entries(rr.data).map(([k, v]) => [k, v instanceof Name ? v.lower() : v]),
      );
      assert.deepEqual(canon, plainRdata(rr.type, lowerNames as RR['data']));
    });
  }

  const kept: string[] = [
    'NSEC Next.Example. A NS',
    'SVCB 1 Target.Example. alpn=h2',
    'HTTPS 1 Target.Example. alpn=H2',
    'TXT "UPPER"',
    'HINFO "CPU" "OS"',
    'CAA 0 issue "CA.Example"',
    'TYPE65280 \\# 2 4142',
  ];
  for (const rdata of kept) {
    it(`keeps the case of ${rdata.split(' ')[0]}`, () => {
      const rr = parseRR(`x.example. 60 IN ${rdata}`);
      assert.deepEqual(canonicalRdata(rr.type, rr.data), plainRdata(rr.type, rr.data));
      assert.match(latin1(canonicalRdata(rr.type, rr.data)), /[A-Z]/);
    });
  }

  it('never compresses', () => {
    const rr = parseRR('x.example. 60 IN SOA ns.example. host.ns.example. 1 2 3 4 5');
    const canon = canonicalRdata(rr.type, rr.data);
    assert.ok(!canon.includes(0xc0));
    assert.equal(canon.length, 12 + 17 + 20);
  });
});

describe('canonical RRset order (RFC 4034 6.3)', () => {
  const set = (...rdatas: string[]): RR[] => rdatas.map((r) => parseRR(`x.example. 60 IN ${r}`));

  it('sorts by RDATA octets, shorter prefix first', () => {
    const sorted = canonicalRRset(
      set('A 192.0.2.10', 'A 10.0.0.1', 'A 192.0.2.9', 'A 192.0.2.1', 'A 255.0.0.0', 'A 192.0.2.100'),
    );
    assert.deepEqual(
      sorted.map((x) => (x.rr.data as { address: string }).address),
      ['10.0.0.1', '192.0.2.1', '192.0.2.9', '192.0.2.10', '192.0.2.100', '255.0.0.0'],
    );
    const txt = canonicalRRset(set('TXT "a" ""', 'TXT "b"', 'TXT "a"'));
    assert.deepEqual(
      txt.map((x) => toHex(x.rdata)),
      ['0161', '016100', '0162'],
    );
  });

  it('removes duplicates, including names equal but for case', () => {
    const out = canonicalRRset(set('NS B.example.', 'NS a.example.', 'NS b.EXAMPLE.', 'NS A.example.'));
    assert.deepEqual(
      out.map((x) => latin1(x.rdata)),
      ['\x01a\x07example\x00', '\x01b\x07example\x00'],
    );
    // NSEC next names are not lower-cased, so case variants are distinct RDATA
    assert.equal(canonicalRRset(set('NSEC B.example. A', 'NSEC b.example. A')).length, 2);
  });

  it('builds the data an RRSIG covers (RFC 4034 3.1.8.1)', () => {
    const rrs = set('A 192.0.2.2', 'A 192.0.2.1', 'A 192.0.2.2');
    rrs[0].name = Name.fromText('X.Example.');
    const prefix = hex('0001 08 02 00000e10 69556180 67747580 1234 076578616d706c6500');
    const owner = hex('01 78 07 6578616d706c65 00');
    const data = signedData(prefix, Name.fromText('X.EXAMPLE.'), rrs, 3600);
    const rr = (last: number) =>
      concat(owner, u16(1), u16(1), u32(3600), u16(4), hex(`c00002${last.toString(16).padStart(2, '0')}`));
    assert.equal(toHex(data), toHex(concat(prefix, rr(1), rr(2))));
    assert.throws(() => signedData(prefix, Name.ROOT, [], 0), WireError);
  });

  it('compares octet strings', () => {
    assert.equal(compareBytes(hex('00'), hex('00')), 0);
    assert.ok(compareBytes(hex(''), hex('00')) < 0);
    assert.ok(compareBytes(hex('01'), hex('0000')) > 0);
    assert.ok(compareBytes(hex('ff'), hex('fe')) > 0);
  });
});
