// LruMap: size-bounded by cost, least recently used evicted first, approximated by second chance (a read only sets
// a mark; eviction keeps a marked entry once more, moving it to the young end).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruMap } from '../../src/cache/lru.js';

const keysOf = (m: LruMap<string, number>) => [...m.keys()];

describe('LruMap', () => {
  it('evicts the oldest unread entries down to 90% of the bound', () => {
    const m = new LruMap<string, number>(10);
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i, 1);
    assert.equal(m.cost, 10);
    m.set('k10', 10, 1);
    assert.equal(m.cost, 9, 'room made down to 90% with the new entry');
    assert.equal(m.evictions, 2);
    assert.deepEqual(keysOf(m), ['k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k10']);
  });

  it('an entry read since it was stored survives one eviction (second chance)', () => {
    const m = new LruMap<string, number>(4);
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, 0, 1);
    assert.equal(m.get('a'), 0);
    m.set('e', 0, 1); // 5 > 4: room is made down to 3.6 with e
    assert.equal(m.peek('a'), 0, 'read: kept');
    assert.equal(m.peek('b'), undefined, 'the oldest unread entries went');
    assert.deepEqual(keysOf(m), ['d', 'a', 'e'], 'the kept entry moved to the young end, before the new one');
    m.set('f', 0, 1);
    m.set('g', 0, 1);
    assert.deepEqual(keysOf(m), ['e', 'f', 'g'], 'its mark was cleared: not read again, it went in turn');
  });

  it('peek does not mark; get does', () => {
    const filled = () => {
      const m = new LruMap<string, number>(10);
      for (let i = 0; i < 10; i++) m.set(`k${i}`, i, 1);
      return m;
    };
    const m = filled();
    assert.equal(m.peek('k0'), 0);
    m.set('new', 0, 1);
    assert.equal(m.peek('k0'), undefined, 'peeked, not kept');
    const n = filled();
    assert.equal(n.get('k0'), 0);
    n.set('new', 0, 1);
    assert.equal(n.peek('k0'), 0, 'read, kept');
    assert.equal(n.peek('k1'), undefined);
  });

  it('ends when every entry was read: each is passed over at most once', () => {
    const m = new LruMap<string, number>(100);
    for (let i = 0; i < 100; i++) m.set(`k${i}`, i, 1);
    for (let i = 0; i < 100; i++) m.get(`k${i}`);
    m.set('new', 0, 1);
    assert.ok(m.cost <= 90, `cost ${m.cost}`);
    assert.equal(m.peek('new'), 0, 'the newest stays');
  });

  it('replacing a value updates the cost in place and counts as a use', () => {
    const m = new LruMap<string, string>(10);
    m.set('a', 'x', 3);
    m.set('b', 'y', 3);
    m.set('a', 'z', 5);
    assert.equal(m.cost, 8);
    assert.equal(m.size, 2);
    assert.equal(m.peek('a'), 'z');
    m.set('c', 'w', 3); // 11 > 10: b (unread) goes, a (rewritten) is kept
    assert.equal(m.peek('b'), undefined);
    assert.equal(m.peek('a'), 'z');
    assert.ok(m.delete('a'));
    assert.ok(!m.delete('a'));
    assert.equal(m.cost, 3);
    m.clear();
    assert.equal(m.size, 0);
    assert.equal(m.cost, 0);
  });

  it('an entry costlier than the bound does not stay', () => {
    const m = new LruMap<string, number>(10);
    m.set('small', 1, 1);
    m.set('huge', 2, 50);
    assert.equal(m.peek('huge'), undefined);
    assert.ok(m.cost <= 10);
  });
});
