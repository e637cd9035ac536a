import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkSvcParams,
  decodeRdata,
  parseRR,
  plainRdata,
  RRType,
  rdataToText,
  type SvcbData,
  type SvcParams,
  svcKeyFromText,
  svcKeyToText,
  WireReader,
} from '../../src/wire/index.js';
import { hex, plain, throwsWire, toHex } from '../helpers/wire.js';

const FOO_COM = '03666f6f 076578616d706c65 03636f6d 00';
const FOO_ORG = '03666f6f 076578616d706c65 036f7267 00';

/** RFC 9460 Appendix D: presentation form(s) and the wire form of the RDATA. */
const VECTORS: { title: string; texts: string[]; wire: string }[] = [
  {
    title: 'D.1 AliasMode',
    texts: ['example.com. 3600 IN HTTPS 0 foo.example.com.'],
    wire: `0000 ${FOO_COM}`,
  },
  { title: 'D.2 ServiceMode, "." target', texts: ['example.com. 3600 IN SVCB 1 .'], wire: '0001 00' },
  {
    title: 'D.2 port',
    texts: ['example.com. 3600 IN SVCB 16 foo.example.com. port=53'],
    wire: `0010 ${FOO_COM} 0003 0002 0035`,
  },
  {
    title: 'D.2 unregistered key, unquoted value',
    texts: ['example.com. 3600 IN SVCB 1 foo.example.com. key667=hello'],
    wire: `0001 ${FOO_COM} 029b 0005 68656c6c6f`,
  },
  {
    title: 'D.2 unregistered key, quoted value with a decimal escape',
    texts: [String.raw`example.com. 3600 IN SVCB 1 foo.example.com. key667="hello\210qoo"`],
    wire: `0001 ${FOO_COM} 029b 0009 68656c6c6fd2716f6f`,
  },
  {
    title: 'D.2 two IPv6 hints, quoted',
    texts: ['example.com. 3600 IN SVCB 1 foo.example.com. ( ipv6hint="2001:db8::1,2001:db8::53:1" )'],
    wire: `0001 ${FOO_COM} 0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001`,
  },
  {
    title: 'D.2 IPv6 hint with an embedded IPv4 address',
    texts: ['example.com. 3600 IN SVCB 1 example.com. ( ipv6hint="2001:db8:122:344::192.0.2.33" )'],
    wire: '0001 076578616d706c6503636f6d00 0006 0010 20010db80122034400000000c0000221',
  },
  {
    title: 'D.2 keys and mandatory list unsorted in text, sorted on the wire',
    texts: [
      'example.com. 3600 IN SVCB 16 foo.example.org. ( alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1 )',
    ],
    wire: `0010 ${FOO_ORG} 0000 0004 0001 0004 0001 0009 02 6832 05 68332d3139 0004 0004 c0000201`,
  },
  {
    title: 'D.2 alpn with an escaped comma and backslash, quoted and unquoted',
    texts: [
      String.raw`example.com. 3600 IN SVCB 16 foo.example.org. alpn="f\\\\oo\\,bar,h2"`,
      String.raw`example.com. 3600 IN SVCB 16 foo.example.org. alpn=f\\\092oo\092,bar,h2`,
    ],
    wire: `0010 ${FOO_ORG} 0001 000c 08 665c6f6f2c626172 02 6832`,
  },
];

const decodeSvcb = (raw: Uint8Array) => decodeRdata(RRType.SVCB, new WireReader(raw), raw.length) as SvcbData;

describe('SVCB/HTTPS RFC 9460 Appendix D test vectors', () => {
  for (const v of VECTORS) {
    it(v.title, () => {
      const wire = hex(v.wire);
      const fromWire = decodeSvcb(wire);
      for (const text of v.texts) {
        const rr = parseRR(text);
        assert.equal(toHex(plainRdata(rr.type, rr.data)), toHex(wire), `${text} encodes to the vector`);
        assert.deepEqual(plain(rr.data, true), plain(fromWire, true), 'text and wire give the same value');
        // our own presentation parses back to the same value
        const printed = rdataToText(rr.type, rr.data);
        const again = parseRR(`example.com. 3600 IN SVCB ${printed}`);
        assert.deepEqual(plain(again.data, true), plain(rr.data, true), printed);
      }
    });
  }

  it('prints the escaped alpn the way the RFC writes it', () => {
    const rr = parseRR(String.raw`x. 1 IN SVCB 16 foo.example.org. alpn=f\\\092oo\092,bar,h2`);
    assert.equal(rdataToText(rr.type, rr.data), String.raw`16 foo.example.org. alpn="f\\\\oo\\,bar,h2"`);
  });
});

describe('SVCB presentation failure cases (RFC 9460 D.3)', () => {
  const failures: [string, string][] = [
    ['key123=abc key123=def', 'duplicate key'],
    ['mandatory', 'missing value'],
    ['alpn', 'missing value'],
    ['port', 'missing value'],
    ['ipv4hint', 'missing value'],
    ['ipv6hint', 'missing value'],
    ['no-default-alpn=abc', 'no-default-alpn value must be empty'],
    ['mandatory=key123', 'mandatory key missing'],
    ['mandatory=mandatory', 'mandatory lists itself'],
    ['mandatory=key123,key123 key123=abc', 'mandatory lists a key twice'],
  ];
  for (const [params, why] of failures) {
    it(`${why}: ${params}`, () => {
      throwsWire(() => parseRR(`f. 60 IN SVCB 1 foo.example.com. ${params}`), 'bad-text');
      throwsWire(() => parseRR(`f. 60 IN HTTPS 1 foo.example.com. ${params}`), 'bad-text');
    });
  }

  it('rejects other malformed values', () => {
    for (const params of [
      'port=65536',
      'port=x',
      'ipv4hint=192.0.2.1,',
      'ipv4hint=1.2.3',
      'ipv6hint=2001:db8::1::2',
      'alpn=h2,,h3',
      'alpn=""',
      'ech=@@@',
      'key65535=x',
      'bogus=1',
      'no-default-alpn',
      'ohttp=1',
    ]) {
      throwsWire(() => parseRR(`f. 60 IN SVCB 1 . ${params}`), 'bad-text', params);
    }
  });
});

describe('SVCB wire failure cases', () => {
  const cases: [string, string, string?][] = [
    ['keys out of order', '0001 00 0003 0002 0035 0001 0003 026832'],
    ['duplicate keys', '0001 00 0003 0002 0035 0003 0002 0035'],
    ['reserved key 65535', '0001 00 ffff 0000'],
    ['port of 3 octets', '0001 00 0003 0003 003500'],
    ['port of 1 octet', '0001 00 0003 0001 00'],
    ['ipv4hint of 5 octets', '0001 00 0004 0005 c000020100'],
    ['empty ipv4hint', '0001 00 0004 0000'],
    ['ipv6hint of 17 octets', `0001 00 0006 0011 ${'00'.repeat(17)}`],
    ['mandatory of odd length', '0001 00 0000 0003 000100'],
    ['empty mandatory', '0001 00 0000 0000'],
    ['empty alpn', '0001 00 0001 0000'],
    ['empty alpn id', '0001 00 0001 0001 00'],
    ['alpn id overrunning the value', '0001 00 0001 0003 056832'],
    ['no-default-alpn with a value', '0001 00 0002 0001 00'],
    ['ohttp with a value', '0001 00 0008 0001 00'],
    ['value overrunning RDATA', '0001 00 0003 0004 0035', 'truncated'],
    ['parameter header cut short', '0001 00 0003 00', 'truncated'],
  ];
  for (const [title, wire, code] of cases) {
    it(title, () => {
      throwsWire(() => decodeSvcb(hex(wire)), (code as 'truncated') ?? 'bad-rdata');
    });
  }

  it('decodes syntactically valid but inconsistent parameters; checkSvcParams flags them', () => {
    // mandatory=key123 without key123
    const d = decodeSvcb(hex('0001 00 0000 0002 007b'));
    assert.deepEqual(d.params.mandatory, [123]);
    assert.equal(checkSvcParams(d.params), 'mandatory key key123 is missing');
  });
});

describe('checkSvcParams (RFC 9460 8, 7.1.1)', () => {
  const cases: [SvcParams, string | undefined][] = [
    [{}, undefined],
    [{ alpn: ['h2'], port: 443, mandatory: [1, 3] }, undefined],
    [{ alpn: ['h2'], noDefaultAlpn: true }, undefined],
    [{ mandatory: [0] }, 'mandatory lists key 0'],
    [{ alpn: ['h2'], mandatory: [1, 1] }, 'mandatory lists a key twice'],
    [{ alpn: ['h2'], port: 1, mandatory: [3, 1] }, 'mandatory keys are not in increasing order'],
    [{ mandatory: [3] }, 'mandatory key port is missing'],
    [{ unknown: new Map([[667, new Uint8Array(0)]]), mandatory: [667] }, undefined],
    [{ noDefaultAlpn: true }, 'no-default-alpn without alpn'],
  ];
  for (const [params, want] of cases) {
    it(want ?? `accepts ${JSON.stringify(params, (_k, v) => (v instanceof Map ? [...v.keys()] : v))}`, () => {
      assert.equal(checkSvcParams(params), want);
    });
  }
});

describe('SVCB parameter details', () => {
  it('names keys and parses keyNNNNN', () => {
    assert.equal(svcKeyToText(1), 'alpn');
    assert.equal(svcKeyToText(7), 'dohpath');
    assert.equal(svcKeyToText(667), 'key667');
    assert.equal(svcKeyFromText('ALPN'), 1);
    assert.equal(svcKeyFromText('key1'), 1);
    assert.equal(svcKeyFromText('key65534'), 65534);
    throwsWire(() => svcKeyFromText('key65535'), 'bad-text');
    throwsWire(() => svcKeyFromText('key'), 'bad-text');
  });

  it('round-trips awkward alpn ids and unknown values through text', () => {
    const rr = parseRR('x. 1 IN SVCB 1 . alpn=h2');
    const data = rr.data as SvcbData;
    data.params = {
      alpn: ['a,b', 'c\\d', 'e"f', 'g h', '\x01\xff'],
      unknown: new Map([[1000, Uint8Array.of(0x22, 0x5c, 0x2c, 0x00, 0x41)]]),
      dohpath: '/q{?dns}\\"',
    };
    const text = rdataToText(rr.type, data);
    const again = parseRR(`x. 1 IN SVCB ${text}`);
    assert.deepEqual(plain(again.data, true), plain(data, true), text);
    assert.deepEqual(plainRdata(again.type, again.data), plainRdata(rr.type, data));
  });

  it('keys may be given as keyNNNNN and values quoted or not', () => {
    const a = parseRR('x. 1 IN HTTPS 1 . key1="h2,h3" key3=443 key4="192.0.2.1"').data as SvcbData;
    const b = parseRR('x. 1 IN HTTPS 1 . alpn=h2,h3 port="443" ipv4hint=192.0.2.1').data as SvcbData;
    assert.deepEqual(plain(a), plain(b));
    assert.deepEqual(a.params.alpn, ['h2', 'h3']);
  });

  it('keeps the target name as written (not lower-cased in canonical form)', () => {
    const rr = parseRR('x. 1 IN SVCB 1 Foo.Example. port=1');
    assert.equal((rr.data as SvcbData).target.toString(), 'Foo.Example.');
  });
});
