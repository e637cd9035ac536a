import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText, WireError } from '../../src/wire/index.js';
import { toHex } from '../helpers/wire.js';
import { RUNS } from '../helpers/wire-arbitraries.js';

// Reference models: straightforward regex/array parsers with the intended grammar
// (RFC 4291 2.2 text forms; dotted quads without leading zeros). The codec's parsers
// scan characters by hand for speed and must agree with these on every input.
function refIpv4(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const t = m[i + 1];
    if (Number(t) > 255 || (t.length > 1 && t[0] === '0')) return undefined;
    out[i] = Number(t);
  }
  return out;
}

function refIpv6(s: string): Uint8Array | undefined {
  let text = s;
  let v4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    v4 = refIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const parts = text.split('::');
  if (parts.length > 2) return undefined;
  const split = (p: string) => (p === '' ? [] : p.split(':'));
  const head = split(parts[0]);
  const tail = parts.length === 2 ? split(parts[1]) : [];
  const total = head.length + tail.length;
  if (parts.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array(8 - total).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return undefined;
    const v = Number.parseInt(groups[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

function attempt(f: (s: string) => Uint8Array, s: string): Uint8Array | undefined {
  try {
    return f(s);
  } catch (e) {
    assert.ok(e instanceof WireError && e.code === 'bad-text', String(e));
    return undefined;
  }
}

const sameResult = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a === undefined || b === undefined ? a === b : toHex(a) === toHex(b);

describe('IPv4 text', () => {
  it('parses and prints dotted quads', () => {
    assert.deepEqual([...ipv4FromText('192.0.2.255')], [192, 0, 2, 255]);
    assert.equal(ipv4ToText(Uint8Array.of(0, 10, 100, 255)), '0.10.100.255');
    assert.equal(ipv4ToText(Uint8Array.of(9, 9, 1, 2, 3, 4), 2), '1.2.3.4');
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1..3.4',
      '1.2.3.-4',
      'a.b.c.d',
      '1.2.3.0004',
    ])
      assert.throws(() => ipv4FromText(bad), WireError, bad);
  });

  it('agrees with the reference parser on arbitrary strings', () => {
    const s = fc.string({ unit: fc.constantFrom(...'0123456789.'), maxLength: 17 });
    fc.assert(
      fc.property(s, (t) => {
        assert.ok(sameResult(attempt(ipv4FromText, t), refIpv4(t)), t);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('IPv6 text', () => {
  it('prints RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['20010db8000000000000000000000001', '2001:db8::1'],
      ['00000000000000000000000000000000', '::'],
      ['00000000000000000000000000000001', '::1'],
      ['20010db8000000010000000000000000', '2001:db8:0:1::'],
      ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // first of two equal runs
      ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
      ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
      ['00000000000000000000ffffc0000201', '::ffff:c000:201'],
      ['abcd0000abcd0000abcd0000abcd0000', 'abcd:0:abcd:0:abcd:0:abcd:0'],
    ];
    for (const [h, t] of cases) {
      assert.equal(ipv6ToText(Buffer.from(h, 'hex')), t);
      assert.equal(toHex(ipv6FromText(t)), h);
    }
  });

  it('parses every accepted text form', () => {
    const want = '20010db8000000000000000000530001';
    for (const t of [
      '2001:db8::53:1',
      '2001:DB8::53:1',
      '2001:0db8:0000:0000:0000:0000:0053:0001',
      '2001:db8:0::0:53:1',
    ])
      assert.equal(toHex(ipv6FromText(t)), want, t);
    assert.equal(toHex(ipv6FromText('::ffff:192.0.2.1')), '00000000000000000000ffffc0000201');
    assert.equal(toHex(ipv6FromText('1:2:3:4:5:6:1.2.3.4')), '00010002000300040005000601020304');
    assert.equal(toHex(ipv6FromText('::1.2.3.4')), '00000000000000000000000001020304');
    assert.equal(toHex(ipv6FromText('1:2:3:4:5:6:7::')), '00010002000300040005000600070000');
    for (const bad of [
      '',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '12345::',
      'g::',
      '::1.2.3',
      '::01.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1:2:3:4:5:6::1.2.3.4',
      '1.2.3.4',
      'fe80::1%eth0',
    ])
      assert.throws(() => ipv6FromText(bad), WireError, bad);
  });

  it('agrees with the reference parser on arbitrary strings', () => {
    const s = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.::'), maxLength: 42 });
    fc.assert(
      fc.property(s, (t) => {
        assert.ok(sameResult(attempt(ipv6FromText, t), refIpv6(t)), t);
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference parser on near-valid forms', () => {
    // groups with optional leading zeros and case changes, a "::" somewhere, maybe a dotted
    // quad, then maybe one character inserted, deleted or replaced
    const group = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean(), fc.boolean());
    const form = fc
      .record({
        groups: fc.array(group, { minLength: 0, maxLength: 9 }),
        gapAt: fc.integer({ min: -1, max: 9 }),
        v4: fc.option(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), { nil: undefined }),
        edit: fc.option(fc.tuple(fc.nat(60), fc.constantFrom('', ':', '.', '0', 'f', 'g', '::')), { nil: undefined }),
      })
      .map(({ groups, gapAt, v4, edit }) => {
        const g = groups.map(([v, pad, upper]) => {
          const h = pad ? v.toString(16).padStart(4, '0') : v.toString(16);
          return upper ? h.toUpperCase() : h;
        });
        if (v4) g.push(v4.join('.'));
        let t = g.join(':');
        if (gapAt >= 0) {
          const left = g.slice(0, Math.min(gapAt, g.length)).join(':');
          const right = g.slice(Math.min(gapAt, g.length)).join(':');
          t = `${left}::${right}`;
        }
        if (edit) {
          const at = edit[0] % (t.length + 1);
          t = t.slice(0, at) + edit[1] + t.slice(at + (edit[1] === '' ? 1 : 0));
        }
        return t;
      });
    let valid = 0;
    fc.assert(
      fc.property(form, (t) => {
        const ours = attempt(ipv6FromText, t);
        if (ours) valid++;
        assert.ok(sameResult(ours, refIpv6(t)), t);
      }),
      { numRuns: RUNS },
    );
    assert.ok(valid > RUNS / 20, `only ${valid} valid forms generated`);
  });

  it('prints what it parses, for any address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const t = ipv6ToText(b);
        assert.equal(toHex(ipv6FromText(t)), toHex(b));
        assert.equal(toHex(refIpv6(t)!), toHex(b));
        assert.ok(!/::.*::/.test(t) && !/(^|:)0[0-9a-f]/.test(t), t);
      }),
      { numRuns: RUNS },
    );
  });
});
