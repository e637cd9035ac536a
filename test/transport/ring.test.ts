import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingQueue } from '../../src/transport/index.js';

describe('RingQueue', () => {
  it('is FIFO across growth and wrap-around', () => {
    const q = new RingQueue<number>(2);
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) + 1; i++) {
        q.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < (round % 5) + 1 && expected.length > 0; i++) assert.equal(q.shift(), expected.shift());
      assert.equal(q.length, expected.length);
      assert.equal(q.peek(), expected[0]);
    }
    assert.deepEqual(q.drain(), expected);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
  });
});
