import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowerAscii, Name, WireError } from '../../src/wire/index.js';

const N = (t: string, origin?: Name) => Name.fromText(t, origin);
const wireHex = (n: Name) => Buffer.from(n.wire, 'latin1').toString('hex');

function throwsWire(fn: () => unknown, code: WireError['code']): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && e.code === code);
}

describe('Name text form', () => {
  it('parses and prints absolute names', () => {
    const n = N('www.Example.com.');
    assert.equal(wireHex(n), '03777777074578616d706c6503636f6d00');
    assert.equal(n.toString(), 'www.Example.com.');
    assert.equal(n.key, '\x03www\x07example\x03com\x00');
    assert.equal(n.labelCount, 3);
    assert.deepEqual(n.labels(), ['www', 'Example', 'com']);
  });

  it('handles the root', () => {
    assert.equal(N('.'), Name.ROOT);
    assert.equal(Name.ROOT.toString(), '.');
    assert.equal(Name.ROOT.labelCount, 0);
    assert.ok(Name.ROOT.isRoot());
    assert.equal(Name.ROOT.parent(), Name.ROOT);
  });

  it('completes relative names and @ with the origin', () => {
    const origin = N('example.com.');
    assert.equal(N('@', origin), origin);
    assert.equal(N('www', origin).toString(), 'www.example.com.');
    assert.equal(N('a.b', origin).toString(), 'a.b.example.com.');
    assert.equal(N('www', Name.ROOT).toString(), 'www.');
    throwsWire(() => N('@'), 'bad-text');
    throwsWire(() => N('www'), 'bad-text');
  });

  it('decodes \\X and \\DDD escapes', () => {
    assert.deepEqual(N('a\\.b.example.').labels(), ['a.b', 'example']);
    assert.deepEqual(N('\\065bc.').labels(), ['Abc']);
    assert.deepEqual(N('\\000\\255.').labels(), ['\x00\xff']);
    assert.deepEqual(N('a\\\\b.').labels(), ['a\\b']);
    assert.deepEqual(N('\\@\\$\\;.').labels(), ['@$;']);
    // fewer than three digits: the backslash quotes the next character only
    assert.deepEqual(N('\\1a.').labels(), ['1a']);
  });

  it('escapes special and non-printable octets when printing', () => {
    const n = Name.fromLabels(['a.b', 'sp ace', 'q"(x);', '@$', '\\', '\x00\x7f\xff', 'ok-_*']);
    assert.equal(n.toString(), 'a\\.b.sp\\032ace.q\\"\\(x\\)\\;.\\@\\$.\\\\.\\000\\127\\255.ok-_*.');
    assert.ok(N(n.toString()).wire === n.wire, 'printing then parsing gives the same octets');
  });

  it('rejects malformed text', () => {
    throwsWire(() => N(''), 'bad-text');
    throwsWire(() => N('a..b.'), 'bad-text');
    throwsWire(() => N('..'), 'bad-text');
    throwsWire(() => N('.a.'), 'bad-text');
    throwsWire(() => N('a\\'), 'bad-text');
    throwsWire(() => N('\\256.'), 'bad-text');
    throwsWire(() => N('caf\u20ac.'), 'bad-text'); // not latin1 (IDNs go in as A-labels)
    assert.deepEqual(N('caf\u00e9.').labels(), ['caf\u00e9']); // latin1 octets are taken as they are
  });

  it('enforces 63-octet labels and 255-octet names', () => {
    const l63 = 'a'.repeat(63);
    assert.equal(N(`${l63}.`).length, 65);
    throwsWire(() => N(`${'a'.repeat(64)}.`), 'label-too-long');
    throwsWire(() => N(`${'a'.repeat(64)}`, Name.ROOT), 'label-too-long');
    // escapes count as one octet each
    assert.equal(N(`${'\\065'.repeat(63)}.`).length, 65);
    throwsWire(() => N(`${'\\065'.repeat(64)}.`), 'label-too-long');
    const max = `${l63}.${l63}.${l63}.${'b'.repeat(61)}.`;
    assert.equal(N(max).length, 255);
    throwsWire(() => N(`${l63}.${l63}.${l63}.${'b'.repeat(62)}.`), 'name-too-long');
    throwsWire(() => N(`${'b'.repeat(62)}`, N(`${l63}.${l63}.${l63}.`)), 'name-too-long');
    throwsWire(() => Name.fromLabels([l63, l63, l63, 'b'.repeat(62)]), 'name-too-long');
    throwsWire(() => Name.fromLabels(['a'.repeat(64)]), 'label-too-long');
    throwsWire(() => Name.fromLabels(['']), 'bad-text');
    const long = N(max);
    throwsWire(() => long.child('x'), 'name-too-long');
    throwsWire(() => N(`x.${'c'.repeat(50)}.`).replaceSuffix(N(`${'c'.repeat(50)}.`), long), 'name-too-long');
  });

  it('checks wire strings', () => {
    assert.equal(Name.fromWireString('\x01a\x00').toString(), 'a.');
    throwsWire(() => Name.fromWireString('\x01a'), 'truncated');
    throwsWire(() => Name.fromWireString('\x01a\x00\x00'), 'bad-rdata');
    throwsWire(() => Name.fromWireString(`\x40${'a'.repeat(64)}\x00`), 'label-too-long');
  });
});

describe('Name case', () => {
  it('lower-cases only ASCII A-Z', () => {
    let all = '';
    for (let c = 1; c < 256; c++) all += String.fromCharCode(c);
    const lowered = lowerAscii(all);
    for (let c = 1; c < 256; c++) {
      const want = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
      assert.equal(lowered.charCodeAt(c - 1), want, `octet ${c}`);
    }
    const n = N('\\192\\222B@[Z.');
    assert.equal(n.key, '\x06\xc0\xdeb@[z\x00');
    assert.equal(N('\\192.').equals(N('\\224.')), false, 'Latin-1 letters are not folded');
  });

  it('compares case-insensitively but keeps the original case', () => {
    const a = N('WWW.Example.COM.');
    const b = N('www.example.com.');
    assert.ok(a.equals(b));
    assert.equal(a.toString(), 'WWW.Example.COM.');
    assert.equal(a.lower().toString(), 'www.example.com.');
    assert.equal(b.lower(), b);
    assert.deepEqual([...a.toCanonicalBytes()], [...b.toBytes()]);
    assert.equal(a.compare(b), 0);
  });
});

describe('Name structure', () => {
  const n = N('a.b.example.com.');

  it('gives labels, parents and suffixes', () => {
    assert.equal(n.label(0), 'a');
    assert.equal(n.label(3), 'com');
    assert.throws(() => n.label(4), RangeError);
    assert.equal(n.parent().toString(), 'b.example.com.');
    assert.equal(n.suffix(2).toString(), 'example.com.');
    assert.equal(n.suffix(0), Name.ROOT);
    assert.equal(n.suffix(9), n);
    assert.equal(n.child('x').toString(), 'x.a.b.example.com.');
    assert.equal(n.replaceSuffix(N('example.com.'), N('example.net.')).toString(), 'a.b.example.net.');
    assert.ok(N('*.example.').isWildcard());
    assert.ok(!N('\\*x.example.').isWildcard());
    assert.ok(!N('a.*.example.').isWildcard());
    assert.equal(n.commonLabels(N('x.EXAMPLE.com.')), 2);
    assert.equal(n.commonLabels(N('net.')), 0);
  });

  it('tests subdomains on label boundaries only', () => {
    const ex = N('example.com.');
    assert.ok(N('www.example.com.').isSubdomainOf(ex));
    assert.ok(N('WWW.EXAMPLE.COM.').isSubdomainOf(ex));
    assert.ok(ex.isSubdomainOf(ex));
    assert.ok(ex.isSubdomainOf(Name.ROOT));
    assert.ok(Name.ROOT.isSubdomainOf(Name.ROOT));
    assert.ok(!Name.ROOT.isSubdomainOf(ex));
    assert.ok(!ex.isSubdomainOf(N('www.example.com.')));
    assert.ok(!N('wwwexample.com.').isSubdomainOf(ex));
    assert.ok(!N('ample.com.').isSubdomainOf(ex));
    // The wire form of "x\003com." ends with the wire form of "com." (03 63 6f 6d 00), but
    // the \003 is inside a label, not a length octet: not a subdomain.
    const tricky = N('x\\003com.');
    assert.ok(tricky.wire.endsWith(N('com.').wire));
    assert.ok(!tricky.isSubdomainOf(N('com.')));
    assert.ok(!N('a.x\\003com.').isSubdomainOf(N('com.')));
    assert.ok(N('a.x\\003com.').isSubdomainOf(tricky));
    // same trick one level down: "b\007example\003com" is one label
    assert.ok(!N('b\\007example\\003com.').isSubdomainOf(ex));
  });

  it('orders names canonically (RFC 4034 6.1 example)', () => {
    const expected = [
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
    const names = expected.map((t) => N(t));
    // a fixed shuffle and the reverse both sort back into RFC order
    for (const order of [
      [4, 0, 8, 2, 6, 1, 7, 3, 5],
      [8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]) {
      const sorted = order.map((i) => names[i]).sort((x, y) => x.compare(y));
      assert.deepEqual(
        sorted.map((x) => x.toString()),
        expected,
      );
    }
    for (let i = 0; i < names.length; i++) {
      for (let j = 0; j < names.length; j++) {
        const c = names[i].compare(names[j]);
        assert.equal(Math.sign(c), Math.sign(i - j), `${expected[i]} vs ${expected[j]}`);
      }
    }
    assert.ok(N('a.').compare(N('A.')) === 0);
    assert.ok(N('.').compare(N('a.')) < 0);
  });

  it('serialises to JSON as text', () => {
    assert.equal(JSON.stringify({ n: N('a.b.') }), '{"n":"a.b."}');
  });
});
