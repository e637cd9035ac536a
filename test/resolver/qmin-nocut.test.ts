// QNAME minimisation remembers the minimised names a zone's servers answered without a referral (NoCutMemory), so
// that the next name below them is not preceded by the same minimised query again (as Unbound skips a minimised
// query whose NOERROR answer is cached), for the answer's TTL, per zone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_CUT_MAX_TTL_S, NoCutMemory } from '../../src/resolver/qmin.js';
import { Name, Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

/**
 * com. refers to example.com.; example.com. has `*.wild.example.com` (wild.example.com is an empty non-terminal:
 * NODATA with a 30 s negative TTL), `alias.example.com` CNAME, and `sub.example.com` delegated to its own server.
 */
function network(): FakeNet {
  return new FakeNet({
    [ROOT_IP]: (q) => reply(q, { ns: ['com. 3600 IN NS a.gtld.net.'], ar: ['a.gtld.net. 3600 IN A 192.0.2.30'] }),
    '192.0.2.30': (q) =>
      reply(q, { ns: ['example.com. 3600 IN NS ns.example.com.'], ar: ['ns.example.com. 3600 IN A 192.0.2.1'] }),
    '192.0.2.1': (q) => {
      const { name, type } = q.questions[0];
      const soa = 'example.com. 300 IN SOA a. b. 1 2 3 4 30';
      if (name.isSubdomainOf(n('sub.example.com')))
        return reply(q, {
          ns: ['sub.example.com. 3600 IN NS ns.sub.example.com.'],
          ar: ['ns.sub.example.com. 3600 IN A 192.0.2.2'],
        });
      if (name.equals(n('alias.example.com')))
        return reply(q, { aa: true, an: ['alias.example.com. 120 IN CNAME target.example.com.'] });
      if (name.equals(n('target.example.com')) && type === RRType.A)
        return reply(q, { aa: true, an: ['target.example.com. 120 IN A 10.0.0.9'] });
      if (name.labelCount === 4 && name.isSubdomainOf(n('wild.example.com')) && type === RRType.A)
        return reply(q, { aa: true, an: [`${name} 60 IN A 10.0.0.1`] });
      if (name.equals(n('wild.example.com')) || name.equals(n('example.com'))) return reply(q, { aa: true, ns: [soa] });
      return reply(q, { aa: true, rcode: Rcode.NXDOMAIN, ns: [soa] });
    },
    '192.0.2.2': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 60 IN A 10.0.0.2`] }),
  });
}

describe('QNAME minimisation: names known not to be zone cuts', () => {
  it('a NODATA for a minimised name is not asked again for the next name below it', async () => {
    const net = network();
    const { ask } = testResolver(net, { qnameMinimisation: 'relaxed' });
    assert.equal((await ask('a.wild.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked('192.0.2.1'), ['wild.example.com. 1', 'a.wild.example.com. 1']);
    net.sent.length = 0;
    assert.equal((await ask('b.wild.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.equal((await ask('c.wild.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked(), ['b.wild.example.com. 1', 'c.wild.example.com. 1'], 'one query per name');
  });

  it('is remembered for the negative TTL only, then asked again', async () => {
    const net = network();
    const { ask, clock } = testResolver(net, { qnameMinimisation: 'relaxed' });
    await ask('a.wild.example.com', RRType.A);
    clock.advance(31_000); // past the SOA's 30 s negative TTL (the A records live 60 s)
    net.sent.length = 0;
    await ask('b.wild.example.com', RRType.A);
    assert.deepEqual(net.asked(), ['wild.example.com. 1', 'b.wild.example.com. 1']);
  });

  it('a zone cut is never remembered as none: a delegated name is still found by referral', async () => {
    const net = network();
    const { ask } = testResolver(net, { qnameMinimisation: 'relaxed' });
    assert.equal((await ask('x.sub.example.com', RRType.A)).rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked('192.0.2.1'), ['sub.example.com. 1'], 'the referral came for the minimised name');
    assert.deepEqual(net.asked('192.0.2.2'), ['x.sub.example.com. 1']);
  });

  it('an alias at an intermediate name counts as no cut too; flush forgets everything', async () => {
    const net = network();
    const { ask, resolver } = testResolver(net, { qnameMinimisation: 'relaxed' });
    await ask('x.alias.example.com', RRType.A);
    assert.ok(resolver.iterator.noCut.knows(n('example.com'), n('alias.example.com'), resolver.iterator.deps.now()));
    resolver.flush();
    assert.equal(resolver.iterator.noCut.size, 0);
  });

  it('without minimisation nothing is remembered', async () => {
    const net = network();
    const { ask, resolver } = testResolver(net, { qnameMinimisation: 'off' });
    await ask('a.wild.example.com', RRType.A);
    assert.equal(resolver.iterator.noCut.size, 0);
  });
});

describe('NoCutMemory', () => {
  const zone = Name.fromText('example.com.');
  const name = Name.fromText('wild.example.com.');

  it('is per zone, case-insensitive, and expires', () => {
    const m = new NoCutMemory();
    m.remember(zone, name, 10, 0);
    assert.ok(m.knows(zone, Name.fromText('WILD.example.COM.'), 9_999));
    assert.ok(!m.knows(Name.fromText('com.'), name, 0), 'learnt from example.com, not com');
    assert.ok(!m.knows(zone, name, 10_000), 'expired');
    assert.equal(m.size, 0, 'an expired entry is dropped when seen');
  });

  it('caps the TTL and ignores non-positive ones', () => {
    const m = new NoCutMemory();
    m.remember(zone, name, 10 * NO_CUT_MAX_TTL_S, 0);
    assert.ok(!m.knows(zone, name, NO_CUT_MAX_TTL_S * 1000));
    m.remember(zone, name, 0, 0);
    m.remember(zone, Name.fromText('other.example.com.'), Number.NaN, 0);
    assert.equal(m.size, 0);
  });
});
