import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlsSessionCache } from '../../src/transport/index.js';

const t = (n: number) => Buffer.from([n]);

describe('TlsSessionCache', () => {
  it('hands out the newest ticket once, under the same binding only', () => {
    const c = new TlsSessionCache();
    c.store('k', 'dane:A', t(1), 0);
    c.store('k', 'dane:A', t(2), 0);
    assert.deepEqual(c.take('k', 'dane:A', 1), { session: t(2), dropped: 0 });
    assert.deepEqual(c.take('k', 'dane:A', 1), { session: t(1), dropped: 0 });
    assert.deepEqual(c.take('k', 'dane:A', 1), { session: undefined, dropped: 0 });
    c.store('k', 'dane:A', t(3), 0);
    c.store('k', 'dane:A', t(4), 0);
    assert.deepEqual(c.take('k', 'dane:B', 1), { session: undefined, dropped: 2 }, 'a changed TLSA set drops them');
    assert.equal(c.tickets('k'), 0);
  });
  it('replaces tickets of another binding on store and bounds tickets per key, keys and age', () => {
    const c = new TlsSessionCache({ maxKeys: 2, ticketsPerKey: 2, lifetimeMs: 1000 });
    c.store('k', 'x', t(1), 0);
    c.store('k', 'y', t(2), 0);
    assert.equal(c.tickets('k'), 1);
    c.store('k', 'y', t(3), 0);
    c.store('k', 'y', t(4), 0);
    assert.equal(c.tickets('k'), 2);
    c.store('l', 'y', t(5), 0);
    c.store('m', 'y', t(6), 0);
    assert.equal(c.size, 2);
    assert.equal(c.tickets('k'), 0, 'least recently used key dropped');
    assert.deepEqual(c.take('m', 'y', 5000).session, undefined, 'expired');
  });
});
