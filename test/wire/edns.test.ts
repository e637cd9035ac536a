import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  EDE,
  type EdnsOpt,
  EdnsOption,
  encodeMessage,
  makeQuery,
  Name,
  newMessage,
  optionCode,
  optionLength,
  paddingFor,
  parseRR,
} from '../../src/wire/index.js';
import { concat, header, hex, plain, throwsWire, toHex, u16 } from '../helpers/wire.js';

/** A message whose only record is an OPT with these option octets. */
function withOptions(options: Uint8Array): Uint8Array {
  return concat(header({ ar: 1 }), hex('00 0029 04d0 00008000'), u16(options.length), options);
}

const optionsOf = (wire: Uint8Array): EdnsOpt[] => decodeMessage(wire).edns!.options;

function roundTrip(o: EdnsOpt): { wire: Uint8Array; back: EdnsOpt } {
  const m = makeQuery('example.', 1);
  m.edns!.options = [o];
  const wire = encodeMessage(m);
  const back = decodeMessage(wire).edns!.options[0];
  // the encoded option is exactly optionLength octets at the end of the OPT RDATA
  assert.equal(
    (wire[wire.length - optionLength(o) - 2] << 8) | wire[wire.length - optionLength(o) - 1],
    optionLength(o),
  );
  return { wire, back };
}

describe('Extended DNS Errors (RFC 8914)', () => {
  it('decodes info code and UTF-8 extra text', () => {
    const text = Buffer.from('blocked: naïve ✓', 'utf8');
    const [o] = optionsOf(withOptions(concat(u16(15), u16(2 + text.length), u16(EDE.BLOCKED), text)));
    assert.deepEqual(o, { kind: 'ede', infoCode: 15, extraText: 'blocked: naïve ✓' });
    assert.equal(optionLength(o), 4 + 2 + text.length);
  });

  it('round-trips with and without extra text', () => {
    for (const o of [
      { kind: 'ede', infoCode: EDE.DNSSEC_BOGUS, extraText: '' },
      { kind: 'ede', infoCode: 0xffff, extraText: 'signature expired at 2024-01-01' },
    ] as EdnsOpt[]) {
      assert.deepEqual(roundTrip(o).back, o);
    }
  });

  it('rejects an EDE shorter than its info code', () => {
    throwsWire(() => optionsOf(withOptions(hex('000f 0001 00'))), 'bad-opt');
    throwsWire(() => optionsOf(withOptions(hex('000f 0000'))), 'bad-opt');
  });
});

describe('DNS Cookies (RFC 7873)', () => {
  it('decodes a client cookie alone and with a server cookie', () => {
    const client = '0102030405060708';
    assert.deepEqual(plain(optionsOf(withOptions(hex(`000a 0008 ${client}`)))), [
      { kind: 'cookie', client: `hex:${client}` },
    ]);
    for (const serverLen of [8, 16, 32]) {
      const server = 'ab'.repeat(serverLen);
      const [o] = optionsOf(withOptions(concat(u16(10), u16(8 + serverLen), hex(client + server))));
      assert.deepEqual(plain(o), { kind: 'cookie', client: `hex:${client}`, server: `hex:${server}` });
      assert.deepEqual(plain(roundTrip(o).back), plain(o));
    }
  });

  it('refuses to encode malformed cookies', () => {
    for (const o of [
      { kind: 'cookie', client: new Uint8Array(7) },
      { kind: 'cookie', client: new Uint8Array(8), server: new Uint8Array(7) },
      { kind: 'cookie', client: new Uint8Array(8), server: new Uint8Array(33) },
    ] as EdnsOpt[]) {
      const m = makeQuery('example.', 1);
      m.edns!.options = [o];
      throwsWire(() => encodeMessage(m), 'bad-opt');
    }
  });

  it('rejects cookies of impossible lengths', () => {
    for (const len of [0, 7, 9, 15, 41]) {
      throwsWire(
        () => optionsOf(withOptions(concat(u16(10), u16(len), new Uint8Array(len)))),
        'bad-opt',
        `length ${len}`,
      );
    }
  });
});

describe('Client Subnet (RFC 7871)', () => {
  it('decodes IPv4 and IPv6 prefixes', () => {
    assert.deepEqual(optionsOf(withOptions(hex('0008 0007 0001 18 00 c00002'))), [
      { kind: 'ecs', family: 1, sourcePrefix: 24, scopePrefix: 0, address: '192.0.2.0' },
    ]);
    assert.deepEqual(optionsOf(withOptions(hex('0008 000b 0002 38 30 20010db8123456'))), [
      { kind: 'ecs', family: 2, sourcePrefix: 56, scopePrefix: 48, address: '2001:db8:1234:5600::' },
    ]);
    assert.deepEqual(optionsOf(withOptions(hex('0008 0004 0001 00 00'))), [
      { kind: 'ecs', family: 1, sourcePrefix: 0, scopePrefix: 0, address: '0.0.0.0' },
    ]);
  });

  it('round-trips', () => {
    const o: EdnsOpt = { kind: 'ecs', family: 1, sourcePrefix: 20, scopePrefix: 0, address: '198.51.96.0' };
    const { wire, back } = roundTrip(o);
    assert.deepEqual(back, o);
    assert.ok(toHex(wire).endsWith('00080007000114 00c63360'.replace(' ', '')));
  });

  it('refuses to encode a prefix longer than the address', () => {
    const m = makeQuery('example.', 1);
    m.edns!.options = [{ kind: 'ecs', family: 1, sourcePrefix: 33, scopePrefix: 0, address: '192.0.2.0' }];
    throwsWire(() => encodeMessage(m), 'bad-opt');
    m.edns!.options = [{ kind: 'ecs', family: 3, sourcePrefix: 0, scopePrefix: 0, address: '192.0.2.0' }];
    throwsWire(() => encodeMessage(m), 'bad-opt');
  });

  it('rejects bad families and address lengths', () => {
    throwsWire(() => optionsOf(withOptions(hex('0008 0003 0001 18'))), 'bad-opt');
    throwsWire(() => optionsOf(withOptions(hex('0008 0005 0003 08 00 0a'))), 'bad-opt');
    throwsWire(() => optionsOf(withOptions(hex('0008 0006 0001 18 00 c000'))), 'bad-opt'); // /24 needs 3 octets
    throwsWire(() => optionsOf(withOptions(hex('0008 0009 0001 28 00 c0000201ff'))), 'bad-opt'); // /40 for IPv4
  });
});

describe('edns-tcp-keepalive (RFC 7828)', () => {
  it('decodes with and without a timeout', () => {
    assert.deepEqual(optionsOf(withOptions(hex('000b 0000'))), [{ kind: 'keepalive' }]);
    assert.deepEqual(optionsOf(withOptions(hex('000b 0002 0096'))), [{ kind: 'keepalive', timeout: 150 }]);
    assert.deepEqual(roundTrip({ kind: 'keepalive', timeout: 0 }).back, { kind: 'keepalive', timeout: 0 });
    assert.deepEqual(roundTrip({ kind: 'keepalive' }).back, { kind: 'keepalive' });
  });

  it('rejects other lengths', () => {
    throwsWire(() => optionsOf(withOptions(hex('000b 0001 00'))), 'bad-opt');
    throwsWire(() => optionsOf(withOptions(hex('000b 0003 000000'))), 'bad-opt');
  });
});

describe('unknown options', () => {
  it('are kept raw, in order, and re-encoded unchanged', () => {
    const opts = hex('0003 0004 6e736964 fde9 0000 000c 0002 0000 ff00 0003 010203');
    const wire = withOptions(opts);
    const options = optionsOf(wire);
    assert.deepEqual(plain(options), [
      { kind: 'raw', code: EdnsOption.NSID, data: 'hex:6e736964' },
      { kind: 'raw', code: 65001, data: 'hex:' },
      { kind: 'padding', length: 2 },
      { kind: 'raw', code: 0xff00, data: 'hex:010203' },
    ]);
    assert.deepEqual(encodeMessage(decodeMessage(wire)), wire);
    assert.deepEqual(
      options.map((o) => optionCode(o)),
      [3, 65001, 12, 0xff00],
    );
  });

  it('rejects options that overrun the OPT RDATA', () => {
    throwsWire(() => optionsOf(withOptions(hex('fde9 0004 0000'))), 'bad-opt');
    // an option header cut by RDLENGTH, with more octets after the OPT
    const cut = concat(header({ ar: 2 }), hex('00 0029 04d0 00000000 0002 fde9'), hex('00 0001 0001 00000000 0000'));
    throwsWire(() => decodeMessage(cut));
  });
});

describe('padding (RFC 7830, RFC 8467 block-length policy)', () => {
  it('computes the padding option value for a block size', () => {
    assert.equal(paddingFor(100, 128), 24); // 100 + 4 + 24 = 128
    assert.equal(paddingFor(124, 128), 0);
    assert.equal(paddingFor(125, 128), 127);
    assert.equal(paddingFor(1000, 468), 400); // 1000 + 4 + 400 = 1404 = 3 * 468
    assert.equal(paddingFor(1000, 468, 1232), 228); // capped by the size limit
    assert.equal(paddingFor(1300, 468, 1232), 0);
  });

  it('pads queries to a multiple of 128 octets', () => {
    for (let n = 1; n <= 120; n += 7) {
      const qname = `${'a'.repeat(1 + (n % 60))}.${'b'.repeat(Math.max(1, n - 60))}.example`;
      const m = makeQuery(qname, 1, { dnssecOk: true });
      m.edns!.options = [{ kind: 'cookie', client: new Uint8Array(8) }];
      const wire = encodeMessage(m, { padBlock: 128 });
      assert.equal(wire.length % 128, 0, `qname ${n}: ${wire.length}`);
      const back = decodeMessage(wire);
      const pads = back.edns!.options.filter((o) => o.kind === 'padding');
      assert.equal(pads.length, 1);
      assert.equal(back.edns!.options[0].kind, 'cookie');
    }
  });

  it('pads responses to a multiple of 468 octets, replacing any padding already present', () => {
    const m = newMessage({
      qr: true,
      questions: [{ name: Name.fromText('example.'), type: 16, class: 1 }],
      answers: [parseRR(`example. 60 IN TXT "${'x'.repeat(200)}"`)],
      edns: { udpSize: 1232, version: 0, dnssecOk: false, zFlags: 0, options: [{ kind: 'padding', length: 999 }] },
    });
    const wire = encodeMessage(m, { padBlock: 468 });
    assert.equal(wire.length, 468);
    assert.deepEqual(
      decodeMessage(wire).edns!.options.map((o) => o.kind),
      ['padding'],
    );
    m.answers.push(parseRR(`example. 60 IN TXT "${'y'.repeat(250)}"`));
    assert.equal(encodeMessage(m, { padBlock: 468 }).length, 936);
    // never past the size limit
    const capped = encodeMessage(m, { padBlock: 468, maxSize: 700 });
    assert.equal(capped.length, 700);
    assert.equal(decodeMessage(capped).answers.length, 2);
  });

  it('decodes padding of any content and keeps only its length', () => {
    assert.deepEqual(optionsOf(withOptions(hex('000c 0003 ffffff'))), [{ kind: 'padding', length: 3 }]);
    assert.deepEqual(optionsOf(withOptions(hex('000c 0000'))), [{ kind: 'padding', length: 0 }]);
  });
});

describe('makeQuery', () => {
  it('builds an EDNS query with DO and the flags asked for', () => {
    const m = decodeMessage(
      encodeMessage(makeQuery('www.example.com', 28, { id: 9, rd: true, dnssecOk: true, cd: true })),
    );
    assert.equal(m.id, 9);
    assert.ok(m.rd && m.cd && !m.qr);
    assert.equal(m.questions[0].name.toString(), 'www.example.com.');
    assert.deepEqual(m.edns, { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] });
    assert.equal(decodeMessage(encodeMessage(makeQuery('a.', 1, { edns: false }))).edns, undefined);
  });
});
