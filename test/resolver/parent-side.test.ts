// Parent and child disagree (RFC 1034 4.2.2: the parent's NS and glue are a copy that may be out of date, or the
// child's may be wrong). The parent-side glue is kept apart from the child's authoritative address records and
// used as a last resort: when the child's addresses lead nowhere, or expired while the delegation is still cached.
// Regressions: Deckard iter_pcdiff (child names a broken address) and iter_pcttl (child TTL shorter than glue TTL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rank } from '../../src/cache/rank.js';
import { RRsetCache } from '../../src/cache/rrset-cache.js';
import { Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, rrs, testResolver } from '../helpers/fake-authorities.js';

/** example.com is served by ns.example.com: glue 192.0.2.44 from com; the child says `childA` (TTL childTtl). */
function network(childA: string, childTtl: number): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) =>
      reply(q, {
        ns: ['example.com. 300 IN NS ns.example.com.'],
        ar: ['ns.example.com. 300 IN A 192.0.2.44'],
      }),
    '192.0.2.44': (q) => {
      const { name, type } = q.questions[0];
      if (name.equals(n('ns.example.com')) && type === RRType.A)
        return reply(q, { aa: true, an: [`ns.example.com. ${childTtl} IN A ${childA}`] });
      if (name.equals(n('ns.example.com')))
        return reply(q, { aa: true, ns: ['example.com. 300 IN SOA ns.example.com. h. 1 2 3 4 5'] });
      return reply(q, {
        aa: true,
        an: [`${name} 60 IN A 10.20.30.40`],
        ar: [`ns.example.com. ${childTtl} IN A ${childA}`],
      });
    },
    '192.0.2.55': (q) => reply(q, { rcode: Rcode.SERVFAIL }),
  });
}

describe('parent-side glue', () => {
  it('the cache keeps parent-side records apart from the child records of the same name', () => {
    const cache = new RRsetCache();
    cache.put(rrs(['ns.example.com. 300 IN A 192.0.2.44']), [], Rank.Additional, 0, { parentSide: true });
    cache.put(rrs(['ns.example.com. 100 IN A 192.0.2.55']), [], Rank.AuthAnswer, 0);
    const child = cache.get(n('ns.example.com'), RRType.A, 0);
    const parent = cache.get(n('ns.example.com'), RRType.A, 0, { parentSide: true });
    assert.deepEqual(child?.entry.rrs[0].data, { address: '192.0.2.55' });
    assert.deepEqual(parent?.entry.rrs[0].data, { address: '192.0.2.44' });
    assert.equal(parent?.entry.parentSide, true);
    assert.equal(cache.get(n('ns.example.com'), RRType.A, 200_000), undefined, 'the child record expired');
    assert.ok(cache.get(n('ns.example.com'), RRType.A, 200_000, { parentSide: true }), 'the glue did not');
    cache.delete(n('ns.example.com'));
    assert.equal(cache.get(n('ns.example.com'), RRType.A, 0, { parentSide: true }), undefined, 'flushed with the name');
  });

  it('when the child names an address that fails, the parent-side glue is tried', async () => {
    const net = network('192.0.2.55', 300);
    const { ask } = testResolver(net);
    const first = await ask('ns.example.com', RRType.A); // the child's address replaces the glue in the cache
    assert.deepEqual(
      first.answers.map((r) => r.data),
      [{ address: '192.0.2.55' }],
    );
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['www.example.com. 1']);
    assert.ok(net.asked('192.0.2.55').includes('www.example.com. 1'), 'the child-side address is tried first');
  });

  it('when the child address records expire before the delegation, the glue still reaches the zone', async () => {
    const net = network('192.0.2.44', 100);
    const { ask, clock } = testResolver(net);
    assert.equal((await ask('ns.example.com', RRType.A)).rcode, Rcode.NOERROR); // the child's record (100 s) replaces the glue
    assert.equal((await ask('www.example.com', RRType.A)).rcode, Rcode.NOERROR);
    clock.advance(101_000); // ns.example.com A expired; the NS RRset and the glue (300 s) have not
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['www.example.com. 1']);
  });
});
