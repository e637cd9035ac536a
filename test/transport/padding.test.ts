import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { padQuery } from '../../src/transport/index.js';
import { decodeMessage, encodeMessage, makeQuery, RRType } from '../../src/wire/index.js';

describe('padQuery (RFC 7830, RFC 8467 block padding on raw bytes)', () => {
  it('adds a Padding option that makes the length a multiple of the block, keeping the rest', () => {
    for (const name of ['a.example', 'a-much-longer-name.with.more.labels.example']) {
      const q = makeQuery(name, RRType.AAAA, { id: 42, dnssecOk: true });
      const wire = encodeMessage(q);
      const copy = Uint8Array.from(wire);
      for (const block of [128, 468]) {
        const padded = padQuery(wire, block);
        assert.equal(padded.length % block, 0);
        const m = decodeMessage(padded);
        assert.equal(m.id, 42);
        assert.equal(m.questions[0].name.toString(), `${name}.`);
        assert.equal(m.edns?.dnssecOk, true);
        assert.ok(m.edns?.options.some((o) => o.kind === 'padding'));
        // Same result as the encoder's own padding.
        assert.deepEqual(padded, encodeMessage(q, { padBlock: block }));
      }
      assert.deepEqual(wire, copy, 'input untouched');
    }
  });
  it('returns the same bytes without EDNS, with a Padding option already, or when malformed', () => {
    const noEdns = encodeMessage(makeQuery('a.example', RRType.A, { edns: false }));
    assert.equal(padQuery(noEdns, 128), noEdns);
    const prePadded = encodeMessage(makeQuery('a.example', RRType.A), { padBlock: 100 });
    assert.equal(padQuery(prePadded, 128), prePadded);
    const good = encodeMessage(makeQuery('a.example', RRType.A));
    const truncated = good.subarray(0, good.length - 3);
    assert.equal(padQuery(truncated, 128), truncated);
    const trailing = new Uint8Array(good.length + 2);
    trailing.set(good);
    assert.equal(padQuery(trailing, 128), trailing);
  });
  it('does not pad a message signed with TSIG', () => {
    const good = encodeMessage(makeQuery('a.example', RRType.A));
    // Append a (dummy) TSIG record: root owner, type 250, class ANY, TTL 0, empty RDATA.
    const tsig = Uint8Array.from([0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0]);
    const signed = new Uint8Array(good.length + tsig.length);
    signed.set(good);
    signed.set(tsig, good.length);
    signed[11] += 1;
    assert.equal(padQuery(signed, 128), signed);
  });
});
