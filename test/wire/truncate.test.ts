import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  Name,
  newMessage,
  parseRR,
  type RR,
  RRType,
} from '../../src/wire/index.js';
import { assertSameMessage, plain } from '../helpers/wire.js';

const rr = (t: string) => parseRR(t);
const EDNS = { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] };

/** A referral: NS RRset + DS + RRSIG in authority, glue A/AAAA in additional. */
function referral(withEdns = true): Message {
  const letters = 'abcdef'.split('');
  return newMessage({
    id: 1,
    qr: true,
    questions: [{ name: Name.fromText('www.example.com.'), type: RRType.A, class: 1 }],
    authorities: [
      ...letters.map((l) => rr(`example.com. 3600 IN NS ${l}.ns.example.com.`)),
      rr('example.com. 3600 IN DS 1 13 2 0011223344556677889900112233445566778899001122334455667788990011'),
      rr(`example.com. 3600 IN RRSIG DS 13 2 3600 20260101000000 20250101000000 1 com. ${'A'.repeat(88)}`),
    ],
    additionals: [
      ...letters.flatMap((l, i) => [
        rr(`${l}.ns.example.com. 3600 IN A 192.0.2.${i + 1}`),
        rr(`${l}.ns.example.com. 3600 IN A 198.51.100.${i + 1}`),
        rr(`${l}.ns.example.com. 3600 IN AAAA 2001:db8::${i + 1}`),
      ]),
    ],
    edns: withEdns ? EDNS : undefined,
  });
}

/** An answer with two A RRsets and authority/additional data. */
function answer(): Message {
  return newMessage({
    id: 2,
    qr: true,
    aa: true,
    questions: [{ name: Name.fromText('www.example.com.'), type: RRType.A, class: 1 }],
    answers: [
      rr('www.example.com. 60 IN CNAME web.example.com.'),
      ...Array.from({ length: 10 }, (_, i) => rr(`web.example.com. 60 IN A 192.0.2.${i + 1}`)),
    ],
    authorities: [rr('example.com. 60 IN NS ns1.example.com.'), rr('example.com. 60 IN NS ns2.example.com.')],
    additionals: [rr('ns1.example.com. 60 IN A 192.0.2.53'), rr('ns2.example.com. 60 IN A 192.0.2.54')],
    edns: EDNS,
  });
}

/** Splits a section into RRsets (runs of equal owner, type and class). */
function rrsets(rrs: RR[]): RR[][] {
  const out: RR[][] = [];
  for (const r of rrs) {
    const last = out[out.length - 1];
    if (last && last[0].type === r.type && last[0].class === r.class && last[0].name.equals(r.name)) last.push(r);
    else out.push([r]);
  }
  return out;
}

/** Checks that `got` is made of the leading whole RRsets of `full`. */
function assertWholePrefix(got: RR[], full: RR[], what: string): void {
  const sets = rrsets(full);
  let n = 0;
  for (const set of sets) {
    if (n + set.length > got.length) break;
    n += set.length;
  }
  assert.equal(got.length, n, `${what}: ${got.length} records is not a whole number of leading RRsets`);
  assert.deepEqual(plain(got), plain(full.slice(0, n)), what);
}

describe('truncation to maxSize', () => {
  it('does nothing when the message fits exactly', () => {
    const m = referral();
    const full = encodeMessage(m);
    const same = encodeMessage(m, { maxSize: full.length });
    assert.deepEqual(same, full);
    assert.equal(decodeMessage(same).tc, false);
    const less = decodeMessage(encodeMessage(m, { maxSize: full.length - 1 }));
    assert.ok(less.additionals.length < m.additionals.length);
    assert.equal(less.tc, false, 'glue that is not required may be dropped silently');
  });

  it('drops answer RRsets whole and sets TC', () => {
    const m = answer();
    const full = encodeMessage(m);
    // room for the CNAME and a few A records, but not all ten
    const cut = decodeMessage(encodeMessage(m, { maxSize: 12 + 21 + 11 + 30 + 16 * 4 }));
    assert.equal(cut.tc, true);
    assert.equal(cut.answers.length, 1, 'the A RRset is left out as a whole');
    assert.equal(cut.answers[0].type, RRType.CNAME);
    assert.equal(cut.authorities.length, 0);
    assert.equal(cut.additionals.length, 0);
    assert.ok(cut.edns, 'OPT is kept');
    assert.ok(full.length > 12 + 21 + 11 + 30 + 16 * 4);
  });

  it('drops authority data without TC when there are answers', () => {
    const m = answer();
    const withoutAuthority = encodeMessage({ ...m, authorities: [], additionals: [] });
    const cut = decodeMessage(encodeMessage(m, { maxSize: withoutAuthority.length + 20 }));
    assert.equal(cut.tc, false);
    assert.equal(cut.answers.length, m.answers.length);
    assert.equal(cut.authorities.length, 0, 'the NS RRset does not fit whole');
  });

  it('sets TC when a referral loses authority records', () => {
    const m = referral();
    const cut = decodeMessage(encodeMessage(m, { maxSize: 120 }));
    assert.equal(cut.tc, true);
    assert.equal(cut.authorities.length, 0);
  });

  it('sets TC when required glue does not fit', () => {
    const m = referral();
    const full = encodeMessage(m);
    const required = (r: RR) => r.name.isSubdomainOf(Name.fromText('example.com.'));
    const cut = decodeMessage(encodeMessage(m, { maxSize: full.length - 1, required }));
    assert.equal(cut.tc, true);
    assertWholePrefix(cut.additionals, m.additionals, 'additional');
    const fits = decodeMessage(encodeMessage(m, { maxSize: full.length, required }));
    assert.equal(fits.tc, false);
  });

  it('keeps the additional section to whole RRsets', () => {
    const m = referral();
    const full = encodeMessage(m);
    // the last RRset is an AAAA of one record (28 octets compressed to ~16+12); cut into the A pair before it
    for (let drop = 1; drop < 80; drop++) {
      const cut = decodeMessage(encodeMessage(m, { maxSize: full.length - drop }));
      assertWholePrefix(cut.additionals, m.additionals, `maxSize ${full.length - drop}`);
    }
  });

  it('keeps OPT and its padding within the limit', () => {
    const m = referral();
    for (const maxSize of [512, 700, 1232]) {
      const wire = encodeMessage(m, { maxSize, padBlock: 468 });
      assert.ok(wire.length <= maxSize, `${wire.length} > ${maxSize}`);
      const back = decodeMessage(wire);
      assert.ok(back.edns?.options.some((o) => o.kind === 'padding'));
      assert.ok(wire.length === maxSize || wire.length % 468 === 0, `${wire.length} for ${maxSize}`);
    }
  });

  it('gives a valid message of whole RRsets for every size limit', () => {
    for (const m of [referral(), answer(), referral(false)]) {
      const full = encodeMessage(m);
      const questionEnd = 12 + m.questions[0].name.length + 4 + (m.edns ? 11 : 0);
      for (let maxSize = questionEnd; maxSize <= full.length; maxSize++) {
        const wire = encodeMessage(m, { maxSize });
        assert.ok(wire.length <= maxSize);
        const back = decodeMessage(wire);
        assertWholePrefix(back.answers, m.answers, `answers at ${maxSize}`);
        assertWholePrefix(back.authorities, m.authorities, `authority at ${maxSize}`);
        assertWholePrefix(back.additionals, m.additionals, `additional at ${maxSize}`);
        if (back.authorities.length < m.authorities.length) assert.equal(back.additionals.length, 0);
        assert.equal(back.edns !== undefined, m.edns !== undefined);
        if (maxSize === full.length) assertSameMessage(back, m);
      }
      assert.throws(() => encodeMessage(m, { maxSize: questionEnd - 12 }));
    }
  });
});
