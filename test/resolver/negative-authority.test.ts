// Negative answers carry the authority section the zone's server gave: the SOA and, when present, the zone's NS
// RRset (RFC 2308 2.1, NXDOMAIN type 2), fresh and from the negative cache. Those NS records are only relayed:
// they never renew the delegation, so a domain moved to new servers by its parent is followed once the old
// delegation expires (ghost-domain protection).
// Regression: Deckard iter_domain_sale.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Message, Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

function network(): { net: FakeNet; sold: { now: boolean } } {
  const sold = { now: false };
  const server = (address: string) => (q: Message) => {
    const name = q.questions[0].name.toString();
    if (name === 'www.example.com.') return reply(q, { aa: true, an: [`www.example.com. 3600 IN A ${address}`] });
    return reply(q, {
      aa: true,
      rcode: Rcode.NXDOMAIN,
      ns: ['example.com. 3600 IN SOA a. b. 1 2 3 4 5', 'example.com. 3600 IN NS ns.example.com.'],
    });
  };
  const net = new FakeNet({
    [ROOT_IP]: (q) =>
      reply(q, {
        ns: ['example.com. 3600 IN NS ns.example.com.'],
        ar: [`ns.example.com. 3600 IN A ${sold.now ? '192.0.2.2' : '192.0.2.1'}`],
      }),
    '192.0.2.1': server('10.0.0.1'),
    '192.0.2.2': server('10.0.0.2'),
  });
  return { net, sold };
}

describe('authority section of negative answers', () => {
  it('NXDOMAIN keeps the SOA and the NS RRset, fresh and from the cache', async () => {
    const { net } = network();
    const { ask, clock } = testResolver(net);
    for (let i = 0; i < 2; i++) {
      const r = await ask('nx.example.com', RRType.A);
      assert.equal(r.rcode, Rcode.NXDOMAIN);
      assert.deepEqual(
        r.authorities.map((rr) => `${rr.name} ${rr.type}`),
        ['example.com. 6', 'example.com. 2'],
      );
      clock.advance(1000);
    }
    assert.equal(net.asked('192.0.2.1').length, 1, 'the second answer came from the negative cache');
  });

  it('the NS records of a negative answer do not keep a sold domain at its old servers', async () => {
    const { net, sold } = network();
    const { ask, clock } = testResolver(net);
    assert.deepEqual((await ask('www.example.com', RRType.A)).answers[0].data, { address: '10.0.0.1' });
    clock.advance(1800_000);
    sold.now = true; // the parent now delegates to 192.0.2.2
    assert.equal((await ask('nx1.example.com', RRType.A)).rcode, Rcode.NXDOMAIN); // old servers, NS TTL 3600
    clock.advance(1900_000); // the parent's delegation (3600 s) expired; the NS seen at 1800 s would not have
    assert.deepEqual((await ask('www.example.com', RRType.A)).answers[0].data, { address: '10.0.0.2' });
  });
});
