import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  messageToText,
  Name,
  newMessage,
  parseRR,
  Rcode,
  RRType,
  WireError,
} from '../../src/wire/index.js';
import { assertSameMessage, concat, header, hex, throwsWire, u16, u32 } from '../helpers/wire.js';
import { richMessage } from '../helpers/wire-samples.js';

const N = (t: string) => Name.fromText(t);
const Q_A = concat(u16(1), u16(1)); // QTYPE A, QCLASS IN
const OPT_EMPTY = hex('00 0029 04d0 00000000 0000'); // root, OPT, 1232, ttl 0, rdlen 0

describe('header', () => {
  const flags: [keyof Message, number][] = [
    ['qr', 0x8000],
    ['aa', 0x0400],
    ['tc', 0x0200],
    ['rd', 0x0100],
    ['ra', 0x0080],
    ['z', 0x0040],
    ['ad', 0x0020],
    ['cd', 0x0010],
  ];

  for (const [flag, bit] of flags) {
    it(`encodes and decodes ${flag}`, () => {
      const wire = encodeMessage(newMessage({ id: 0x1234, [flag]: true }));
      assert.equal((wire[2] << 8) | wire[3], bit);
      const m = decodeMessage(wire);
      for (const [f] of flags) assert.equal(m[f], f === flag, f);
    });
  }

  it('carries id, opcode and rcode', () => {
    for (const opcode of [0, 2, 4, 5, 6, 15]) {
      const wire = encodeMessage(newMessage({ id: 0xfffe, opcode, rcode: Rcode.REFUSED }));
      assert.deepEqual([...wire.subarray(0, 4)], [0xff, 0xfe, opcode << 3, 5]);
      const m = decodeMessage(wire);
      assert.equal(m.opcode, opcode);
      assert.equal(m.rcode, 5);
      assert.equal(m.id, 0xfffe);
    }
  });

  it('splits an extended rcode between the header and OPT', () => {
    for (const rcode of [Rcode.BADVERS, Rcode.BADCOOKIE, 0xfff]) {
      const m = makeQuery('example.', RRType.A);
      m.qr = true;
      m.rcode = rcode;
      const wire = encodeMessage(m);
      assert.equal(wire[3] & 0xf, rcode & 0xf);
      const optTtlAt = wire.length - 6;
      assert.equal(wire[optTtlAt], rcode >> 4, 'extended rcode is the OPT TTL high octet');
      assert.equal(decodeMessage(wire).rcode, rcode);
    }
    const noEdns = newMessage({ rcode: Rcode.BADCOOKIE });
    throwsWire(() => encodeMessage(noEdns), 'bad-opt');
  });

  it('decodes an extended rcode from the OPT TTL', () => {
    const wire = concat(header({ flags: 0x8003, qd: 0, ar: 1 }), hex('00 0029 1000 01 00 8000 0000'));
    const m = decodeMessage(wire);
    assert.equal(m.rcode, 0x13);
    assert.equal(m.edns?.udpSize, 4096);
    assert.equal(m.edns?.dnssecOk, true);
    assert.equal(m.additionals.length, 0);
  });

  it('keeps EDNS version and Z flags', () => {
    const wire = concat(header({ ar: 1 }), hex('00 0029 0200 00 01 7fff 0000'));
    const m = decodeMessage(wire);
    assert.deepEqual(m.edns, { udpSize: 512, version: 1, dnssecOk: false, zFlags: 0x7fff, options: [] });
    assert.deepEqual(encodeMessage(m), wire);
  });

  it('rejects messages shorter than a header or longer than 65535', () => {
    for (let n = 0; n < 12; n++) throwsWire(() => decodeMessage(new Uint8Array(n)), 'truncated');
    throwsWire(() => decodeMessage(new Uint8Array(65536)), 'message-too-long');
    assert.equal(decodeMessage(new Uint8Array(12)).id, 0);
  });
});

describe('round trip', () => {
  it('encodes and decodes a message with every sample type', () => {
    const m = richMessage();
    const wire = encodeMessage(m);
    const back = decodeMessage(wire);
    assertSameMessage(back, m);
    assert.deepEqual(encodeMessage(back), wire, 're-encoding gives the same octets');
    const plain = encodeMessage(m, { compress: false });
    assert.ok(plain.length > wire.length, 'compression saves octets');
    assertSameMessage(decodeMessage(plain), m, true);
    assert.match(messageToText(back), /;; ANSWER SECTION:/);
  });

  it('compresses owner names and well-known RDATA names only', () => {
    const m = newMessage({
      qr: true,
      questions: [{ name: N('www.example.com.'), type: RRType.MX, class: 1 }],
      answers: [parseRR('www.example.com. 60 IN MX 10 mail.example.com.')],
      authorities: [parseRR('example.com. 60 IN SRV 1 2 3 srv.example.com.')],
    });
    const wire = encodeMessage(m);
    const text = Buffer.from(wire).toString('latin1');
    // question name in full, once
    assert.equal(text.split('\x07example\x03com\x00').length, 3, 'full suffix: question and SRV target');
    // answer owner is a pointer to the question (offset 12)
    assert.deepEqual([...wire.subarray(33, 35)], [0xc0, 0x0c]);
    // MX exchange: "mail" + pointer to "example.com." at offset 16
    assert.ok(text.includes('\x04mail\xc0\x10'));
    // SRV target is never compressed (RFC 2782 / RFC 3597 4)
    assert.ok(text.includes('\x03srv\x07example\x03com\x00'));
    assertSameMessage(decodeMessage(wire), m);
  });

  it('compresses case-insensitively and keeps the question case exactly', () => {
    const m = newMessage({
      questions: [{ name: N('WwW.ExAmPlE.cOm.'), type: 1, class: 1 }],
      answers: [parseRR('www.example.com. 60 IN A 192.0.2.1')],
    });
    const back = decodeMessage(encodeMessage(m));
    assert.equal(back.questions[0].name.toString(), 'WwW.ExAmPlE.cOm.');
    assert.ok(back.answers[0].name.equals(N('www.example.com.')));
  });
});

describe('compression pointers', () => {
  const q = (name: Uint8Array) => concat(name, Q_A);

  it('follows backward pointers', () => {
    const wire = concat(header({ qd: 2 }), q(hex('07 6578616d706c65 03 636f6d 00')), q(hex('03 777777 c00c')));
    const m = decodeMessage(wire);
    assert.equal(m.questions[1].name.toString(), 'www.example.com.');
    assert.equal(m.questions[0].name.toString(), 'example.com.');
  });

  it('may point into the middle of an earlier name', () => {
    const wire = concat(header({ qd: 2 }), q(hex('03 777777 07 6578616d706c65 03 636f6d 00')), q(hex('01 61 c010')));
    assert.equal(decodeMessage(wire).questions[1].name.toString(), 'a.example.com.');
  });

  it('rejects a forward pointer', () => {
    const wire = concat(header({ qd: 2 }), q(hex('c012')), q(hex('00')));
    throwsWire(() => decodeMessage(wire), 'bad-pointer');
  });

  it('rejects a pointer to itself', () => {
    throwsWire(() => decodeMessage(concat(header({ qd: 1 }), q(hex('c00c')))), 'bad-pointer');
    throwsWire(() => decodeMessage(concat(header({ qd: 1 }), q(hex('01 61 c00c')))), 'bad-pointer');
  });

  it('rejects a pointer loop', () => {
    // name 1 at 12: "a" then a pointer to name 2 at 20 (forward); name 2: pointer back to name 1
    const wire = concat(header({ qd: 2 }), q(hex('01 61 c014')), q(hex('c00c')));
    throwsWire(() => decodeMessage(wire), 'bad-pointer');
    // The same two-pointer cycle inside opaque RDATA (at 23 and 27), entered from a later
    // owner name through its backward edge: the forward edge is still refused.
    const rdata = hex('01 61 c01b c017');
    const entered = concat(
      header({ an: 2 }),
      hex('00'),
      u16(65280),
      u16(1),
      u32(0),
      u16(rdata.length),
      rdata,
      u16(0xc000 | 27),
      u16(RRType.A),
      u16(1),
      u32(0),
      u16(4),
      hex('7f000001'),
    );
    throwsWire(() => decodeMessage(entered), 'bad-pointer');
  });

  it('rejects a pointer into the middle of the current name', () => {
    const wire = concat(header({ qd: 1 }), q(hex('03 777777 07 6578616d706c65 c010')));
    throwsWire(() => decodeMessage(wire), 'bad-pointer');
  });

  it('caps the number of pointers in one name', () => {
    // A chain of pointers inside opaque RDATA (never decoded as names), then an owner
    // name that enters the chain at its far end.
    const chain = (links: number) => {
      const rdStart = 12 + 1 + 10; // header, root owner, type..rdlength
      const parts: Uint8Array[] = [hex('00')]; // the root, at rdStart
      for (let i = 1; i <= links; i++) {
        const target = i === 1 ? rdStart : rdStart + 1 + 2 * (i - 2);
        parts.push(u16(0xc000 | target));
      }
      const rdata = concat(...parts);
      const last = rdStart + 1 + 2 * (links - 1);
      return concat(
        header({ an: 2 }),
        hex('00'),
        u16(65280),
        u16(1),
        u32(0),
        u16(rdata.length),
        rdata,
        u16(0xc000 | last),
        u16(RRType.A),
        u16(1),
        u32(0),
        u16(4),
        hex('7f000001'),
      );
    };
    assert.ok(decodeMessage(chain(126)).answers[1].name.isRoot(), '126 links + the owner pointer = 127 pointers');
    throwsWire(() => decodeMessage(chain(127)), 'too-many-pointers');
  });

  it('rejects label types 0x40 and 0x80', () => {
    throwsWire(() => decodeMessage(concat(header({ qd: 1 }), q(hex('41 00')))), 'bad-label-type');
    throwsWire(() => decodeMessage(concat(header({ qd: 1 }), q(hex('80 00')))), 'bad-label-type');
    throwsWire(() => decodeMessage(concat(header({ qd: 1 }), q(hex('03 616263 7f 00')))), 'bad-label-type');
  });

  it('rejects names longer than 255 octets, also when built from pointers', () => {
    const label = (c: string, n = 63) => concat(n, c.repeat(n));
    // at 12: a(63) = 65 octets; at 81: b(63)+ptr = 129; at 151: c(63)+ptr = 193; at 221: d(61)+ptr = 255
    const base = concat(
      header({ qd: 4 }),
      q(concat(label('a'), 0)),
      q(concat(label('b'), u16(0xc000 | 12))),
      q(concat(label('c'), u16(0xc000 | 81))),
    );
    const ok = decodeMessage(concat(base, q(concat(label('d', 61), u16(0xc000 | 151)))));
    assert.equal(ok.questions[3].name.length, 255);
    throwsWire(() => decodeMessage(concat(base, q(concat(label('d', 62), u16(0xc000 | 151))))), 'name-too-long');
    // without pointers
    const flat = concat(header({ qd: 1 }), q(concat(label('a'), label('b'), label('c'), label('d', 62), 0)));
    throwsWire(() => decodeMessage(flat), 'name-too-long');
  });
});

describe('malformed messages', () => {
  it('throws WireError for every truncation of a valid message', () => {
    const wire = encodeMessage(richMessage());
    for (let n = 0; n < wire.length; n++)
      throwsWire(() => decodeMessage(wire.subarray(0, n)), undefined, `prefix ${n}`);
  });

  it('rejects trailing data', () => {
    const wire = encodeMessage(richMessage());
    throwsWire(() => decodeMessage(concat(wire, 0)), 'trailing-data');
  });

  it('rejects RDLENGTH that does not match the RDATA', () => {
    const rr = (rdlen: number, rdata: Uint8Array) =>
      concat(header({ an: 1, ar: 1 }), hex('00'), u16(RRType.A), u16(1), u32(60), u16(rdlen), rdata, OPT_EMPTY);
    assert.equal(decodeMessage(rr(4, hex('7f000001'))).answers.length, 1);
    throwsWire(() => decodeMessage(rr(5, hex('7f00000100'))), 'rdlength-mismatch');
    throwsWire(() => decodeMessage(rr(3, hex('7f0000'))));
    throwsWire(() => decodeMessage(rr(0, hex(''))));
    // an MX whose exchange runs past RDLENGTH
    const mx = concat(
      header({ an: 1, ar: 1 }),
      hex('00'),
      u16(RRType.MX),
      u16(1),
      u32(60),
      u16(4),
      hex('000a 01 61 00'),
      OPT_EMPTY,
    );
    throwsWire(() => decodeMessage(mx), 'truncated');
    // RDLENGTH past the end of the message
    throwsWire(
      () => decodeMessage(concat(header({ an: 1 }), hex('00'), u16(1), u16(1), u32(0), u16(9), hex('7f000001'))),
      'truncated',
    );
  });

  it('rejects OPT outside the additional section, twice, or with a non-root owner', () => {
    throwsWire(() => decodeMessage(concat(header({ an: 1 }), OPT_EMPTY)), 'bad-opt');
    throwsWire(() => decodeMessage(concat(header({ ns: 1 }), OPT_EMPTY)), 'bad-opt');
    throwsWire(() => decodeMessage(concat(header({ ar: 2 }), OPT_EMPTY, OPT_EMPTY)), 'bad-opt');
    throwsWire(() => decodeMessage(concat(header({ ar: 1 }), hex('01 61 00 0029 04d0 00000000 0000'))), 'bad-opt');
    throwsWire(() => decodeMessage(concat(header({ ar: 1 }), hex('00 0029 04d0 00000000 0005 000a'))), 'truncated');
    const ok = decodeMessage(concat(header({ ar: 2 }), OPT_EMPTY, hex('00 0001 0001 00000000 0004 7f000001')));
    assert.equal(ok.additionals.length, 1);
    assert.equal(ok.edns?.udpSize, 1232);
  });

  it('reports errors as WireError with an offset', () => {
    const e = throwsWire(() => decodeMessage(concat(header({ qd: 1 }), hex('c00c 0001 0001'))), 'bad-pointer');
    assert.equal(e.offset, 12);
    assert.ok(e instanceof WireError && e.name === 'WireError');
  });
});

describe('encoding limits', () => {
  it('refuses messages over 65535 octets unless truncating', () => {
    const big = newMessage({ qr: true, questions: [{ name: N('big.example.'), type: 16, class: 1 }] });
    const txt = parseRR(`big.example. 60 IN TXT ${`"${'x'.repeat(255)}" `.repeat(250)}`);
    big.answers = [txt, txt, txt];
    const wire = encodeMessage(big);
    assert.ok(wire.length <= 65535);
    const m = decodeMessage(wire);
    assert.equal(m.tc, true);
    assert.equal(m.answers.length, 0, 'the RRset does not fit as a whole');
    throwsWire(() => encodeMessage(big, { maxSize: 20 }), 'message-too-long');
  });

  it('rejects RDATA it cannot encode', () => {
    const m = newMessage({
      answers: [{ name: N('a.'), type: RRType.TXT, class: 1, ttl: 0, data: { strings: ['x'.repeat(256)] } }],
    });
    throwsWire(() => encodeMessage(m), 'bad-rdata');
    const missing = newMessage({
      answers: [{ name: N('a.'), type: RRType.MX, class: 1, ttl: 0, data: { preference: 1 } as never }],
    });
    throwsWire(() => encodeMessage(missing), 'bad-rdata');
    // the writer's scratch buffer is released after an error: the next encode works
    assert.ok(encodeMessage(makeQuery('ok.example', 1)).length > 12);
  });
});
