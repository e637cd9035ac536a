// A cached delegation whose nameservers are all named inside the zone and have no known address any more (the glue
// expired before the NS RRset) cannot be used: resolving the names would need the zone itself. The resolver goes
// up to the parent, which refers again with fresh glue (Unbound's iter_dp_is_useless).
// Regression: Deckard iter_timeouted_ns (ns.fail.com's glue expired; fail.com looked unreachable).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

function network(nsName: string): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) => {
      const name = q.questions[0].name;
      if (name.isSubdomainOf(n('example.net')))
        return reply(q, { ns: ['example.net. 3600 IN NS a.example.net.'], ar: ['a.example.net. 3600 IN A 192.0.2.9'] });
      return reply(q, {
        ns: [`example.com. 3600 IN NS ${nsName}`],
        ar: nsName.endsWith('example.com.') ? [`${nsName} 10 IN A 192.0.2.1`] : [],
      });
    },
    '192.0.2.9': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 10 IN A 192.0.2.1`] }),
    '192.0.2.1': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 5 IN A 10.0.0.1`] }),
  });
}

describe('delegations without usable addresses', () => {
  it('in-zone nameservers whose glue expired: the parent is asked again', async () => {
    const net = network('ns.example.com.');
    const { ask, clock } = testResolver(net);
    assert.equal((await ask('www.example.com', RRType.A)).rcode, Rcode.NOERROR);
    clock.advance(15_000); // glue (10 s) and answer (5 s) expired, NS RRset (3600 s) not
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['www.example.com. 1']);
    assert.equal(net.asked(ROOT_IP).length, 2, 'the root referred again, with glue');
  });

  it('an out-of-zone nameserver name keeps the cached cut: its address is resolved instead', async () => {
    const net = network('ns.example.net.');
    const { ask, clock } = testResolver(net);
    assert.equal((await ask('www.example.com', RRType.A)).rcode, Rcode.NOERROR);
    clock.advance(15_000);
    const before = net.sent.length;
    assert.equal((await ask('www.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(
      net.sent.slice(before).map((s) => `${s.ip} ${s.qname}`),
      ['192.0.2.9 ns.example.net.', '192.0.2.1 www.example.com.'],
    );
  });
});
