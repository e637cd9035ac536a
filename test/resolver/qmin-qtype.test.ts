// The QTYPE of QNAME-minimised queries (RFC 9156 2.1): A by default (recommended; Unbound), NS on request (Knot
// Resolver, and the Deckard scenarios recorded with it: iter_ns_badglue, iter_dname_insec, iter_minim_*).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultResolverConfig } from '../../src/resolver/resolver.js';
import { Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

function network(): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) => reply(q, { ns: ['com. 3600 IN NS a.gtld.net.'], ar: ['a.gtld.net. 3600 IN A 192.0.2.30'] }),
    '192.0.2.30': (q) => {
      const { name } = q.questions[0];
      if (name.equals(n('com'))) return reply(q, { aa: true, ns: ['com. 300 IN SOA a. b. 1 2 3 4 5'] });
      return reply(q, { ns: ['example.com. 3600 IN NS ns.example.com.'], ar: ['ns.example.com. 3600 IN A 192.0.2.1'] });
    },
    '192.0.2.1': (q) =>
      q.questions[0].type === RRType.A && q.questions[0].name.equals(n('a.b.example.com'))
        ? reply(q, { aa: true, an: ['a.b.example.com. 60 IN A 10.0.0.1'] })
        : reply(q, { aa: true, ns: ['example.com. 300 IN SOA a. b. 1 2 3 4 5'] }),
  });
}

describe('QTYPE of minimised queries', () => {
  it('is A by default', async () => {
    assert.equal(defaultResolverConfig.qnameMinimisationQtype, 'A');
    const net = network();
    const { ask } = testResolver(net, { qnameMinimisation: 'relaxed' });
    assert.equal((await ask('a.b.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked(), ['com. 1', 'example.com. 1', 'b.example.com. 1', 'a.b.example.com. 1']);
  });

  it('is NS when configured so', async () => {
    const net = network();
    const { ask } = testResolver(net, { qnameMinimisation: 'relaxed', qnameMinimisationQtype: 'NS' });
    assert.equal((await ask('a.b.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked(), ['com. 2', 'example.com. 2', 'b.example.com. 2', 'a.b.example.com. 1']);
  });
});
