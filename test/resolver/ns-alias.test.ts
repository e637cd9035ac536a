// A nameserver name that is an alias (RFC 2181 10.3 says it should not be; servers named so exist): the addresses
// found by resolving the name belong to the CNAME target and must be used to reach the zone.
// Regression: Deckard iter_cname_cache (ns.example.com CNAME ns.bla.nl; SERVFAIL once the glue expired).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

function network(): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) => {
      const name = q.questions[0].name;
      for (const zone of ['example.com', 'alias.net', 'real.net'])
        if (name.isSubdomainOf(n(zone))) {
          // example.com is served by ns.alias.net (no glue: out of bailiwick); the others by a.<zone>
          const ns = zone === 'example.com' ? 'ns.alias.net.' : `a.${zone}.`;
          const glue = zone === 'alias.net' ? '192.0.2.1' : '192.0.2.2';
          return reply(q, {
            ns: [`${zone}. 3600 IN NS ${ns}`],
            ar: zone === 'example.com' ? [] : [`a.${zone}. 3600 IN A ${glue}`],
          });
        }
      return reply(q, { rcode: Rcode.NXDOMAIN, aa: true, ns: ['. 3600 IN SOA a. b. 1 2 3 4 5'] });
    },
    // alias.net: the nameserver name of example.com is an alias into real.net
    '192.0.2.1': (q) => reply(q, { aa: true, an: ['ns.alias.net. 3600 IN CNAME ns.real.net.'] }),
    // real.net
    '192.0.2.2': (q) =>
      q.questions[0].type === RRType.A
        ? reply(q, { aa: true, an: ['ns.real.net. 3600 IN A 192.0.2.3'] })
        : reply(q, { aa: true, ns: ['real.net. 3600 IN SOA ns.real.net. h. 1 2 3 4 5'] }),
    // example.com, reachable only through the alias
    '192.0.2.3': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 3600 IN A 10.20.30.40`] }),
  });
}

describe('nameserver names that are aliases', () => {
  it('the zone is reached at the address of the CNAME target', async () => {
    const net = network();
    const { ask } = testResolver(net);
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['www.example.com. 1']);
    assert.deepEqual(net.asked('192.0.2.3'), ['www.example.com. 1']);
  });

  it('a later query uses the cached alias and address without resolving the name again', async () => {
    const net = network();
    const { ask } = testResolver(net);
    await ask('www.example.com', RRType.A);
    const before = net.sent.length;
    const r = await ask('mail.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(
      net.sent.slice(before).map((s) => `${s.ip} ${s.qname}`),
      ['192.0.2.3 mail.example.com.'],
    );
  });
});
