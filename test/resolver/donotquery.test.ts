// do-not-query-localhost (Unbound's default, Knot Resolver's too): nameserver addresses on this host learnt from
// DNS data are never queried. Root hints are configuration and stay usable; when every root hint is a loopback
// address (the embedded lab, whose whole tree runs on this host) the policy is off by itself.
// Regression: Deckard iter_donotq127 (glue 127.255.255.255 and 127.0.0.2 must not be queried: SERVFAIL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DoNotQuery, isLoopback } from '../../src/resolver/donotquery.js';
import { defaultResolverConfig } from '../../src/resolver/resolver.js';
import { Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, ROOT_IP, reply, rootHints, testResolver } from '../helpers/fake-authorities.js';

describe('do-not-query-localhost', () => {
  it('recognises loopback addresses in every spelling', () => {
    for (const ip of ['127.0.0.1', '127.255.255.255', '127.0.0.2', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.2'])
      assert.ok(isLoopback(ip), ip);
    for (const ip of ['128.0.0.1', '12.7.0.1', '10.0.0.1', '::', '::2', '::ffff:10.0.0.1', '2001:db8::1', 'x'])
      assert.ok(!isLoopback(ip), ip);
  });

  it('is on by default; root hint addresses are exempt; all-loopback hints switch it off', () => {
    assert.equal(defaultResolverConfig.doNotQueryLocalhost, true);
    const mixed = new DoNotQuery(true, ['193.0.14.129', '127.0.0.1']);
    assert.ok(mixed.enabled);
    assert.ok(mixed.allows('127.0.0.1'), 'a root hint');
    assert.ok(!mixed.allows('127.0.0.2'));
    assert.ok(!mixed.allows('::1'));
    assert.ok(mixed.allows('192.0.2.1'));
    const lab = new DoNotQuery(true, ['127.0.0.1', '::1']);
    assert.ok(!lab.enabled);
    assert.ok(lab.allows('127.0.0.2'));
    assert.ok(!new DoNotQuery(false, ['193.0.14.129']).enabled);
  });

  const network = () =>
    new FakeNet({
      [ROOT_IP]: (q) =>
        reply(q, {
          ns: ['example.com. 3600 IN NS ns.example.com.', 'example.com. 3600 IN NS ns2.example.com.'],
          ar: ['ns.example.com. 3600 IN A 127.255.255.255', 'ns2.example.com. 3600 IN A 127.0.0.2'],
        }),
      '127.255.255.255': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 60 IN A 10.20.30.40`] }),
      '127.0.0.2': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 60 IN A 10.20.30.40`] }),
      '127.0.0.1': (q) =>
        reply(q, {
          ns: ['example.com. 3600 IN NS ns2.example.com.'],
          ar: ['ns2.example.com. 3600 IN A 127.0.0.2'],
        }),
    });

  it('a delegation whose only addresses are loopback is not followed: SERVFAIL, nothing sent there', async () => {
    const net = network();
    const { ask } = testResolver(net);
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.deepEqual(
      net.sent.filter((s) => s.ip.startsWith('127.')),
      [],
    );
  });

  it('switched off by configuration, loopback nameservers are queried', async () => {
    const net = network();
    const { ask } = testResolver(net, { doNotQueryLocalhost: false });
    assert.equal((await ask('www.example.com', RRType.A)).rcode, Rcode.NOERROR);
  });

  it('with the root on loopback (a lab on this host) the policy is off', async () => {
    const net = network();
    const { ask } = testResolver(net, {}, rootHints('127.0.0.1'));
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked('127.0.0.2'), ['www.example.com. 1']);
  });
});
