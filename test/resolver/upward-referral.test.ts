// A server that answers an empty NOERROR (even with AA) pointing at the root or another ancestor of the zone is not
// serving the zone for that query (an upward referral: lame). The scrubber keeps those NS records for the
// classifier instead of dropping them as out of zone, which made the response look like an authoritative NODATA.
// Regression: Deckard iter_lame_aaaa (lame for AAAA only, with AA and the root NS set in the authority section).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, scrub } from '../../src/resolver/classify.js';
import { type Message, Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

const question = (name: string, type: number) =>
  ({ id: 1, questions: [{ name: n(name), type, class: 1 }] }) as unknown as Message;

const upward = (aa: boolean) =>
  reply(question('example.com', RRType.AAAA), {
    aa,
    ns: ['. 3600000 IN NS a.root-servers.net.', '. 3600000 IN NS b.root-servers.net.'],
    ar: ['a.root-servers.net. 3600000 IN A 198.41.0.4'],
  });

describe('upward referrals', () => {
  for (const aa of [true, false]) {
    it(`an empty answer with the root NS set${aa ? ' and AA' : ''} is lame, and its glue is dropped`, () => {
      const s = scrub(upward(aa), n('example.com'));
      assert.equal(s.authorities.length, 2, 'the NS records above the zone are kept for the classifier');
      assert.equal(s.additionals.length, 0);
      assert.equal(classify(s, n('example.com'), RRType.AAAA, n('example.com')).kind, 'lame');
    });
  }

  it('NS records above the zone are still removed when the response has a SOA or an answer', () => {
    const withSoa = upward(true);
    withSoa.authorities.push(...reply(withSoa, { ns: ['example.com. 300 IN SOA ns. h. 1 2 3 4 5'] }).authorities);
    assert.deepEqual(
      scrub(withSoa, n('example.com')).authorities.map((r) => r.type),
      [RRType.SOA],
    );
    const withAnswer = reply(question('example.com', RRType.AAAA), {
      aa: true,
      an: ['example.com. 300 IN AAAA 2001:db8::1'],
      ns: ['. 3600000 IN NS a.root-servers.net.'],
    });
    assert.equal(scrub(withAnswer, n('example.com')).authorities.length, 0);
  });

  it('a server lame for AAAA only: SERVFAIL for AAAA, its A answers still served', async () => {
    const net = new FakeNet({
      [ROOT_IP]: (q) =>
        reply(q, { ns: ['example.com. 3600 IN NS ns.example.com.'], ar: ['ns.example.com. 3600 IN A 192.0.2.1'] }),
      '192.0.2.1': (q) =>
        q.questions[0].type === RRType.A
          ? reply(q, { aa: true, an: [`${q.questions[0].name} 120 IN A 192.0.2.80`] })
          : reply(q, {
              aa: true,
              ns: ['. 3600000 IN NS a.root-servers.net.'],
              ar: ['a.root-servers.net. 1 IN A 1.1.1.1'],
            }),
    });
    const { ask } = testResolver(net);
    assert.deepEqual(answerText(await ask('example.com', RRType.A)), ['example.com. 1']);
    const r = await ask('example.com', RRType.AAAA);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.equal(net.asked('1.1.1.1').length, 0, 'the upward referral is not followed');
  });
});
