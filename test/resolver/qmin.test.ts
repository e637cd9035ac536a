// RFC 9156 2.3: the QNAME minimisation schedule (how many labels each minimised query exposes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/resolver/limits.js';
import { minimisedName, nextLabelCount } from '../../src/resolver/qmin.js';
import { Name } from '../../src/wire/index.js';

/** Label counts exposed by successive queries when every answer moves the cut to the name just asked (worst case). */
function schedule(total: number, cut = 0): number[] {
  const out: number[] = [];
  let at = cut;
  for (let i = 0; at < total; i++) {
    assert.ok(i < 200, 'the schedule terminates');
    const n = nextLabelCount(at, total, i);
    assert.ok(n > at, `iteration ${i} exposes a new label (${at} -> ${n})`);
    assert.ok(n <= total);
    out.push(n);
    at = n;
  }
  return out;
}

function steps(counts: number[], cut = 0): number[] {
  return counts.map((n, i) => n - (i === 0 ? cut : counts[i - 1]));
}

/** The names successively asked with `minimisedName` when each one becomes the new cut. */
function names(qname: string, cut: string): string[] {
  const q = Name.fromText(qname);
  let at = Name.fromText(cut).labelCount;
  const out: string[] = [];
  for (let i = 0; at < q.labelCount; i++) {
    const n = minimisedName(q, at, i);
    out.push(n.toString());
    at = n.labelCount;
  }
  return out;
}

describe('QNAME minimisation schedule (RFC 9156 2.3)', () => {
  it('uses the RFC constants', () => {
    assert.equal(LIMITS.MAX_MINIMISE_COUNT, 10);
    assert.equal(LIMITS.MINIMISE_ONE_LAB, 4);
  });

  it('18 labels from the root: 1,1,1,1,2,2,2,2,3,3 (the RFC example)', () => {
    const counts = schedule(18);
    assert.deepEqual(steps(counts), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    assert.deepEqual(counts, [1, 2, 3, 4, 6, 8, 10, 12, 15, 18]);
  });

  it('17 and 11 labels: the remainder goes to the last iterations', () => {
    assert.deepEqual(steps(schedule(17)), [1, 1, 1, 1, 2, 2, 2, 2, 2, 3]);
    assert.deepEqual(steps(schedule(11)), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  it('short names: one label per query, the last one being the full name', () => {
    assert.deepEqual(schedule(1), [1]);
    assert.deepEqual(schedule(2), [1, 2]);
    assert.deepEqual(schedule(3), [1, 2, 3]);
    assert.deepEqual(schedule(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('one label below the cut is the full name; the cut may be anywhere', () => {
    assert.equal(nextLabelCount(2, 3, 0), 3);
    assert.equal(nextLabelCount(5, 5, 0), 5);
    assert.deepEqual(schedule(5, 2), [3, 4, 5]);
  });

  it('never sends more than MAX_MINIMISE_COUNT queries, whatever the length and the cut', () => {
    for (let total = 1; total <= 127; total++) {
      for (const cut of [0, 1, 2, Math.floor(total / 2)]) {
        if (cut >= total) continue;
        const counts = schedule(total, cut);
        assert.ok(counts.length <= LIMITS.MAX_MINIMISE_COUNT, `${total} labels from ${cut}: ${counts.length} queries`);
        assert.equal(counts.at(-1), total);
      }
    }
  });

  it('the last allowed iteration exposes the whole name', () => {
    assert.equal(nextLabelCount(0, 50, LIMITS.MAX_MINIMISE_COUNT - 1), 50);
    assert.equal(nextLabelCount(3, 50, LIMITS.MAX_MINIMISE_COUNT + 5), 50);
  });

  it('minimisedName walks a.b.c.d.e.f.g.h.deep.clear.test label by label, then two at once', () => {
    assert.deepEqual(names('a.b.c.d.e.f.g.h.deep.clear.test.', '.'), [
      'test.',
      'clear.test.',
      'deep.clear.test.',
      'h.deep.clear.test.',
      'g.h.deep.clear.test.',
      'f.g.h.deep.clear.test.',
      'e.f.g.h.deep.clear.test.',
      'd.e.f.g.h.deep.clear.test.',
      'c.d.e.f.g.h.deep.clear.test.',
      'a.b.c.d.e.f.g.h.deep.clear.test.',
    ]);
  });

  it('underscore labels are exposed together with the label they qualify, never alone', () => {
    assert.deepEqual(names('_443._tcp.www.clear.test.', 'clear.test.'), [
      'www.clear.test.',
      '_443._tcp.www.clear.test.',
    ]);
    assert.deepEqual(names('_25._tcp.mx.example.', '.'), ['example.', 'mx.example.', '_25._tcp.mx.example.']);
    assert.deepEqual(names('_dmarc.example.', '.'), ['example.', '_dmarc.example.']);
    // an underscore label in the middle: what is above it goes alone, the underscore label with the one to its left
    assert.deepEqual(names('a._x.b.example.', '.'), ['example.', 'b.example.', 'a._x.b.example.']);
    for (const n of names('_a._b._c.d.example.', '.')) assert.ok(!n.startsWith('_') || n === '_a._b._c.d.example.', n);
  });
});
