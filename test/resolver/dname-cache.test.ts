// A cached DNAME rewrites every name below its owner (RFC 6672 2.2, 3.4): later queries under the owner are
// answered by synthesising the CNAME from the cache, without asking the owner's servers (with QNAME minimisation
// the resolver would otherwise send them minimised queries for names that only the DNAME describes).
// Regression: Deckard iter_dname_insec step 220401 (a.b.example.com after example.com DNAME was cached).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

function network(): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) => {
      const net = q.questions[0].name.isSubdomainOf(n('example.net'));
      const zone = net ? 'example.net' : 'example.com';
      const ip = net ? '192.0.2.2' : '192.0.2.1';
      return reply(q, { ns: [`${zone}. 3600 IN NS ns.${zone}.`], ar: [`ns.${zone}. 3600 IN A ${ip}`] });
    },
    '192.0.2.1': (q) => {
      const name = q.questions[0].name;
      if (name.equals(n('example.com'))) return reply(q, { aa: true, an: ['example.com. 300 IN DNAME example.net.'] });
      const to = name.replaceSuffix(n('example.com'), n('example.net'));
      return reply(q, { aa: true, an: ['example.com. 300 IN DNAME example.net.', `${name} 300 IN CNAME ${to}`] });
    },
    '192.0.2.2': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 300 IN A 10.0.0.1`] }),
  });
}

describe('cached DNAME', () => {
  for (const qnameMinimisation of ['off', 'relaxed'] as const) {
    it(`names below a cached DNAME are rewritten from the cache (minimisation ${qnameMinimisation})`, async () => {
      const net = network();
      const { ask } = testResolver(net, { qnameMinimisation });
      const first = await ask('a.example.com', RRType.A);
      assert.deepEqual(answerText(first), ['example.com. 39', 'a.example.com. 5', 'a.example.net. 1']);
      const before = net.asked('192.0.2.1').length;
      const r = await ask('a.b.example.com', RRType.A);
      assert.equal(r.rcode, Rcode.NOERROR);
      assert.deepEqual(answerText(r), ['example.com. 39', 'a.b.example.com. 5', 'a.b.example.net. 1']);
      assert.equal(net.asked('192.0.2.1').length, before, 'the DNAME owner was not asked again');
    });
  }

  it('a CNAME query below a cached DNAME is answered by the synthesised CNAME, not chased', async () => {
    const net = network();
    const { ask } = testResolver(net);
    await ask('example.com', RRType.DNAME);
    const before = net.sent.length;
    const r = await ask('x.example.com', RRType.CNAME);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['example.com. 39', 'x.example.com. 5']);
    assert.equal(r.authorities.length, 0);
    assert.equal(net.sent.length, before, 'nothing asked: neither the owner nor the target');
  });

  it('the synthesised CNAME lives as long as the cached DNAME', async () => {
    const net = network();
    const { ask, clock } = testResolver(net);
    await ask('example.com', RRType.DNAME);
    clock.advance(100_000);
    const r = await ask('x.example.com', RRType.A);
    assert.deepEqual(
      r.answers.slice(0, 2).map((rr) => rr.ttl),
      [200, 200],
    );
    clock.advance(201_000);
    const before = net.asked('192.0.2.1').length;
    await ask('y.example.com', RRType.A);
    assert.equal(net.asked('192.0.2.1').length, before + 1, 'once the DNAME expired, its servers are asked again');
  });
});
