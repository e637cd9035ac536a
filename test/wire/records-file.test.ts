import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Name, parseRecordsFile, RRType, rrToText, TextError } from '../../src/wire/index.js';

describe('parseRecordsFile', () => {
  test('reads root hints and trust anchors as Unbound and IANA write them', () => {
    const rrs = parseRecordsFile(`
; root hints
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
                         3600000      AAAA  2001:503:ba3e::2:30
; autotrust trust anchor file
. 172800 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= ) ;{id = 3613 (ksk), size = 256b}
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
`);
    assert.deepEqual(
      rrs.map((rr) => [rr.name.toString(), rr.type, rr.ttl]),
      [
        ['.', RRType.NS, 3600000],
        ['A.ROOT-SERVERS.NET.', RRType.A, 3600000],
        ['A.ROOT-SERVERS.NET.', RRType.AAAA, 3600000],
        ['.', RRType.DNSKEY, 172800],
        ['.', RRType.DS, 0],
      ],
    );
    assert.match(rrToText(rrs[4]), /DS\t20326 8 2 E06D44B8/);
  });

  test('relative names, the default TTL and the origin are options', () => {
    const [rr] = parseRecordsFile('www A 192.0.2.1\n', { origin: Name.fromText('example.'), defaultTtl: 60 });
    assert.equal(rr.name.toString(), 'www.example.');
    assert.equal(rr.ttl, 60);
  });

  test('errors carry the line; directives are refused', () => {
    assert.throws(
      () => parseRecordsFile('. NS a.example.\n\n. IN BOGUS 1\n'),
      (e: Error) => e instanceof TextError && e.line === 3 && /line 3: /.test(e.message),
    );
    assert.throws(
      () => parseRecordsFile('$ORIGIN example.\n'),
      (e: Error) => e instanceof TextError && e.line === 1 && /\$ORIGIN: directives are not supported/.test(e.message),
    );
    assert.deepEqual(parseRecordsFile('; nothing here\n\n'), []);
  });
});
