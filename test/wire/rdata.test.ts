import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classToText,
  type DnskeyData,
  type DsData,
  decodeMessage,
  decodeRdata,
  descriptorOf,
  encodeMessage,
  hasCanonicalNames,
  Name,
  newMessage,
  parseRR,
  plainRdata,
  type RR,
  RRType,
  type RrsigData,
  rdataDescriptors,
  rdataToText,
  rrToText,
  typeToText,
  WireError,
  WireReader,
} from '../../src/wire/index.js';
import {
  assertDecodersAgree,
  assertSameRR,
  concat,
  header,
  hex,
  plain,
  throwsWire,
  toHex,
  u16,
  u32,
} from '../helpers/wire.js';
import { SAMPLES, UNKNOWN_SAMPLES } from '../helpers/wire-samples.js';

const N = (t: string) => Name.fromText(t);

/** The RFC 1035 types whose RDATA names may be compressed (RFC 3597 4). */
const COMPRESSIBLE = new Set<number>([RRType.NS, RRType.CNAME, RRType.PTR, RRType.SOA, RRType.MX]);

/** The RDATA of the only answer of `wire`, as octets. */
function answerRdata(wire: Uint8Array, index = 0): Uint8Array {
  const r = new WireReader(wire, 12);
  const qd = (wire[4] << 8) | wire[5];
  for (let i = 0; i < qd; i++) {
    r.name();
    r.pos += 4;
  }
  for (let i = 0; ; i++) {
    r.name();
    r.pos += 8;
    const len = r.u16();
    if (i === index) return wire.subarray(r.pos, r.pos + len);
    r.pos += len;
  }
}

function decodeRaw(type: number, raw: Uint8Array) {
  return decodeRdata(type, new WireReader(raw), raw.length);
}

/** A record in RFC 3597 generic form. */
function genericText(rr: RR): string {
  const raw = plainRdata(rr.type, rr.data);
  return `${rr.name} ${rr.ttl} ${classToText(rr.class)} ${typeToText(rr.type)} \\# ${raw.length} ${toHex(raw)}`;
}

describe('RDATA table harness', () => {
  const descriptors = rdataDescriptors();

  it('has a sample for every descriptor, and only known mnemonics', () => {
    assert.ok(descriptors.length >= 30);
    for (const d of descriptors) {
      assert.ok(SAMPLES[d.mnemonic]?.length, `no sample for ${d.mnemonic}`);
      assert.ok(!d.mnemonic.startsWith('TYPE'), `type ${d.type} has no mnemonic`);
      assert.equal(descriptorOf(d.type), d);
    }
    for (const m of Object.keys(SAMPLES))
      assert.ok(
        descriptors.some((d) => d.mnemonic === m),
        `sample for ${m} without a descriptor`,
      );
  });

  for (const d of descriptors) {
    describe(d.mnemonic, () => {
      for (const text of SAMPLES[d.mnemonic] ?? []) {
        it(text.replace(/\s+/g, ' ').slice(0, 100), () => {
          const rr = parseRR(text);
          assert.equal(rr.type, d.type);

          // text -> value -> wire -> value
          const m = newMessage({ qr: true, answers: [rr] });
          const wire = encodeMessage(m);
          const back = decodeMessage(wire).answers[0];
          assertSameRR(back, rr, true);
          assert.deepEqual(encodeMessage(decodeMessage(wire)), wire, 're-encoding gives the same octets');

          // exact length: the uncompressed RDATA is what RDLENGTH says
          const raw = plainRdata(rr.type, rr.data);
          assert.deepEqual(answerRdata(encodeMessage(m, { compress: false })), raw);
          assertSameRR({ ...rr, data: decodeRaw(rr.type, raw) }, rr, true);

          // fast path and field loop agree, also on every truncation and with an extra octet
          for (let n = 0; n <= raw.length; n++) assertDecodersAgree(rr.type, raw.subarray(0, n));
          assertDecodersAgree(rr.type, concat(raw, 0));

          // value -> text -> value
          const again = parseRR(rrToText(rr));
          assertSameRR(again, rr, true);
          assert.equal(rrToText(again), rrToText(rr));

          // RFC 3597 generic form of a known type decodes to the typed value
          const generic = parseRR(genericText(rr));
          assertSameRR(generic, rr, true);

          // at an offset inside a bigger message, where names compress against earlier ones
          const big = newMessage({
            qr: true,
            questions: [{ name: rr.name, type: rr.type, class: rr.class }],
            answers: [
              parseRR('example. 60 IN NS ns1.example.'),
              parseRR('mail.example.com. 60 IN MX 10 mx.Example.com.'),
              rr,
              parseRR('host.example. 60 IN A 192.0.2.99'),
            ],
            additionals: [rr],
            edns: { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] },
          });
          const bigWire = encodeMessage(big);
          const bigBack = decodeMessage(bigWire);
          assertSameRR(bigBack.answers[2], rr);
          assertSameRR(bigBack.additionals[0], rr);
          assertSameRR(bigBack.answers[3], big.answers[3], true);
          const inMessage = answerRdata(bigWire, 2);
          if (COMPRESSIBLE.has(d.type)) {
            assert.ok(inMessage.length <= raw.length);
          } else {
            assert.deepEqual(inMessage, raw, 'only well-known types compress RDATA names (RFC 3597 4)');
          }
        });
      }
    });
  }

  it('keeps unknown types as RFC 3597 opaque data', () => {
    for (const text of UNKNOWN_SAMPLES) {
      const rr = parseRR(text);
      assert.ok('raw' in rr.data);
      assert.equal(descriptorOf(rr.type), undefined);
      const back = decodeMessage(encodeMessage(newMessage({ answers: [rr] }))).answers[0];
      assertSameRR(back, rr, true);
      assert.match(rrToText(rr), /\\# \d+/);
      assertSameRR(parseRR(rrToText(rr)), rr, true);
    }
    assert.equal(rdataToText(65280, { raw: new Uint8Array(0) }), '\\# 0');
    throwsWire(() => parseRR('example. 60 IN TYPE65280 0A000001'), 'bad-text');
    throwsWire(() => parseRR('example. 60 IN TYPE65280 \\# 3 0A000001'), 'bad-text');
    throwsWire(() => parseRR('example. 60 IN TYPE65280 \\# x 0A'), 'bad-text');
    throwsWire(() => parseRR('example. 60 IN A \\# 3 0A0000'), 'bad-text');
  });

  it('lower-cases names in canonical form only for the RFC 4034 6.2 types', () => {
    const lowered = new Set<number>([
      RRType.NS,
      RRType.CNAME,
      RRType.PTR,
      RRType.DNAME,
      RRType.SOA,
      RRType.MX,
      RRType.RP,
      RRType.AFSDB,
      RRType.KX,
      RRType.SRV,
      RRType.NAPTR,
      RRType.RRSIG,
    ]);
    for (const d of descriptors) {
      assert.equal(hasCanonicalNames(d.type), lowered.has(d.type), d.mnemonic);
    }
  });
});

describe('NSEC type bit maps', () => {
  const rdataOf = (text: string) => plainRdata(RRType.NSEC, parseRR(text).data);

  it('encodes the RFC 4034 4.3 example', () => {
    const raw = rdataOf('alfa.example.com. 86400 IN NSEC host.example.com. ( A MX RRSIG NSEC TYPE1234 )');
    assert.equal(
      toHex(raw),
      `04686f7374076578616d706c6503636f6d00 0006400100000003 041b${'00'.repeat(26)}20`.replace(/ /g, ''),
    );
  });

  it('uses one window per 256 types, in order, trimmed to the last non-zero octet', () => {
    const raw = rdataOf('a. 60 IN NSEC b. TYPE65534 A CAA A');
    assert.equal(toHex(raw), `016200 000140 010140 ff20${'00'.repeat(31)}02`.replace(/ /g, ''));
    assert.deepEqual((decodeRaw(RRType.NSEC, raw) as { types: number[] }).types, [1, 257, 65534]);
  });

  it('rejects malformed windows', () => {
    const nsec = (bitmap: string) => hex(`00 ${bitmap}`);
    throwsWire(() => decodeRaw(RRType.NSEC, nsec('01 01 40 00 01 40')), 'bad-rdata'); // out of order
    throwsWire(() => decodeRaw(RRType.NSEC, nsec('00 01 40 00 01 20')), 'bad-rdata'); // repeated window
    throwsWire(() => decodeRaw(RRType.NSEC, nsec('00 00')), 'bad-rdata'); // empty window
    throwsWire(() => decodeRaw(RRType.NSEC, nsec(`00 21 ${'ff'.repeat(33)}`)), 'bad-rdata'); // 33 octets
    throwsWire(() => decodeRaw(RRType.NSEC, nsec('00 05 40')), 'truncated'); // overruns RDATA
    throwsWire(() => decodeRaw(RRType.NSEC, nsec('00'))); // a window number alone
    throwsWire(() => decodeRaw(RRType.NSEC3, hex('01 00 0000 00 00')), 'bad-rdata'); // empty next hash
    // leniency: an all-zero trailing octet is accepted and dropped on re-encoding
    const lenient = decodeRaw(RRType.NSEC, nsec('00 02 40 00')) as { types: number[] };
    assert.deepEqual(lenient.types, [1]);
  });

  it('rejects unknown mnemonics in text', () => {
    throwsWire(() => parseRR('a. 60 IN NSEC b. A BOGUS'), 'bad-text');
  });
});

describe('TXT', () => {
  const strings = (text: string) => (parseRR(`t. 60 IN TXT ${text}`).data as { strings: string[] }).strings;

  it('decodes escapes in quoted and bare strings', () => {
    assert.deepEqual(strings('"a\\"b" "\\\\" "\\010\\255" a\\032b "semi;colon" "(paren)"'), [
      'a"b',
      '\\',
      '\n\xff',
      'a b',
      'semi;colon',
      '(paren)',
    ]);
    assert.deepEqual(strings('""'), ['']);
  });

  it('prints with quotes and escapes, and parses back', () => {
    const rr = parseRR('t. 60 IN TXT "tab\\009" "quote\\"" "back\\\\slash" "high\\200" "del\\127" "ok ~"');
    const text = rdataToText(rr.type, rr.data);
    assert.equal(text, '"tab\\009" "quote\\"" "back\\\\slash" "high\\200" "del\\127" "ok ~"');
    assert.deepEqual(plain(parseRR(`t. 60 IN TXT ${text}`).data), plain(rr.data));
  });

  it('limits strings to 255 octets', () => {
    assert.equal(strings(`"${'x'.repeat(255)}"`)[0].length, 255);
    throwsWire(() => strings(`"${'x'.repeat(256)}"`), 'bad-text');
    throwsWire(() => strings(`${'\\120'.repeat(256)}`), 'bad-text');
    throwsWire(() => parseRR('t. 60 IN TXT'), 'bad-text');
  });

  it('decodes several strings and rejects one that overruns RDATA', () => {
    assert.deepEqual((decodeRaw(RRType.TXT, hex('02 6869 00 01 21')) as { strings: string[] }).strings, [
      'hi',
      '',
      '!',
    ]);
    throwsWire(() => decodeRaw(RRType.TXT, hex('05 6869')));
  });
});

describe('CAA', () => {
  it('parses flags, tag and value (RFC 8659)', () => {
    const rr = parseRR('example. 60 IN CAA 128 issue "ca.example.net; account=230123"');
    assert.deepEqual(rr.data, { flags: 128, tag: 'issue', value: 'ca.example.net; account=230123' });
    assert.equal(
      toHex(plainRdata(rr.type, rr.data)),
      `8005${toHex(Buffer.from('issueca.example.net; account=230123'))}`,
    );
    assert.deepEqual(parseRR('example. 60 IN CAA 0 issue letsencrypt.org').data, {
      flags: 0,
      tag: 'issue',
      value: 'letsencrypt.org',
    });
    assert.deepEqual(parseRR('example. 60 IN CAA 0 issue ""').data, { flags: 0, tag: 'issue', value: '' });
  });

  it('rejects bad tags', () => {
    throwsWire(() => parseRR('example. 60 IN CAA 0 "is sue" "x"'), 'bad-text');
    throwsWire(() => parseRR('example. 60 IN CAA 0 is-sue "x"'), 'bad-text');
    throwsWire(() => parseRR('example. 60 IN CAA 256 issue "x"'), 'bad-text');
    throwsWire(() => decodeRaw(RRType.CAA, hex('00 00 78')), 'bad-rdata');
    throwsWire(
      () =>
        encodeMessage(
          newMessage({ answers: [{ ...parseRR('a. 1 IN CAA 0 issue "x"'), data: { flags: 0, tag: '', value: '' } }] }),
        ),
      'bad-rdata',
    );
  });
});

describe('TLSA', () => {
  it('parses hex split over tokens and lines (RFC 6698 2.3)', () => {
    const rr = parseRR(`_443._tcp.www.example.com. 60 IN TLSA ( 0 0 1
      d2abde240d7cd3ee6b4b28c54df034b9
      7983a1d16e8a410e4561cb106618e971 )`);
    assert.deepEqual(
      { ...(rr.data as object), data: toHex((rr.data as { data: Uint8Array }).data) },
      {
        usage: 0,
        selector: 0,
        matchingType: 1,
        data: 'd2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971',
      },
    );
    assert.equal(toHex(plainRdata(rr.type, rr.data)).slice(0, 8), '000001d2');
  });

  it('rejects bad hex and missing data', () => {
    throwsWire(() => parseRR('t. 60 IN TLSA 3 1 1 ABC'), 'bad-text');
    throwsWire(() => parseRR('t. 60 IN TLSA 3 1 1 XY'), 'bad-text');
    throwsWire(() => parseRR('t. 60 IN TLSA 3 1 1'), 'bad-text');
    throwsWire(() => parseRR('t. 60 IN TLSA 3 1'), 'bad-text');
    throwsWire(() => decodeRaw(RRType.TLSA, hex('03 01')), 'truncated');
  });
});

describe('field text forms', () => {
  it('rejects out-of-range numbers and bad addresses', () => {
    throwsWire(() => parseRR('a. 60 IN MX 65536 b.'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN MX -1 b.'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN A 192.0.2.256'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN A 192.0.2.01'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN AAAA 2001:db8::g'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN A 192.0.2.1 extra'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN DNSKEY 256 3 8 not_base64!'), 'bad-text');
    throwsWire(() => parseRR('a. 60 IN RRSIG BOGUS 8 1 60 20260101000000 20250101000000 1 a. AAAA'), 'bad-text');
  });

  it('reads RRSIG times as YYYYMMDDHHmmSS or seconds', () => {
    const a = parseRR('a. 60 IN RRSIG A 8 1 60 20260101000000 1767225600 1 a. AAAA').data as {
      expiration: number;
      inception: number;
    };
    assert.equal(a.expiration, Date.UTC(2026, 0, 1) / 1000);
    assert.equal(a.inception, a.expiration);
    assert.match(rdataToText(RRType.RRSIG, { ...(a as object), expiration: 0 } as never), / 19700101000000 /);
  });

  it('parses owner, TTL and class in either order, with defaults', () => {
    const origin = N('example.');
    const a = parseRR('www IN 300 A 192.0.2.1', { origin });
    const b = parseRR('www 300 IN A 192.0.2.1', { origin });
    const c = parseRR('www A 192.0.2.1', { origin, defaultTtl: 300 });
    const d = parseRR('www 5m CH A 192.0.2.1', { origin });
    for (const x of [a, b, c]) assertSameRR(x, b, true);
    assert.equal(d.ttl, 300);
    assert.equal(d.class, 3);
    throwsWire(() => parseRR('www A 192.0.2.1', { origin }), 'bad-text');
    throwsWire(() => parseRR('www 60 IN BOGUS x', { origin }), 'bad-text');
  });
});

describe('decodeRdata bounds', () => {
  it('never reads past RDLENGTH into the next record', () => {
    // An A record whose RDLENGTH is 2, followed by more octets in the message.
    const wire = concat(header({ an: 1 }), hex('00'), u16(RRType.A), u16(1), u32(0), u16(2), hex('7f00 0001'));
    throwsWire(() => decodeMessage(wire));
  });
});

describe('DNSSEC algorithm mnemonics in text (RFC 4034 2.2, 3.2, 5.3)', () => {
  it('accepts mnemonics and numbers alike, prints numbers', () => {
    const ds = parseRR('example.com. 300 IN DS 30899 RSASHA1 1 0123456789ABCDEF0123456789ABCDEF01234567');
    assert.equal((ds.data as DsData).algorithm, 5);
    const sig = parseRR(
      'example.com. 300 IN RRSIG DNSKEY ecdsap256sha256 2 3600 20250101000000 20240101000000 2854 example.com. dGVzdA==',
    );
    assert.equal((sig.data as RrsigData).algorithm, 13);
    const key = parseRR('example.com. 300 IN DNSKEY 257 3 ED25519 dGVzdA==');
    assert.equal((key.data as DnskeyData).algorithm, 15);
    assert.match(rrToText(key), /DNSKEY\t257 3 15 /);
    assert.throws(() => parseRR('example.com. 300 IN DS 1 NOTANALG 1 00'), WireError);
  });
});
