// NODATA is "NOERROR and no relevant answers" (RFC 2308 2.2): answer-section records that are neither the answer
// nor on the alias chain are ignored, and an empty response without SOA or NS is NODATA type 3 (RFC 2308 2.2.1),
// with or without AA, unless the server offers recursion without authority (it answers from its cache: lame).
// Regression: Deckard iter_unexpectedrrtype (an A record in answer to a AAAA query got SERVFAIL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, scrub } from '../../src/resolver/classify.js';
import { type Message, Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

const q = (name: string, type: number) =>
  ({ id: 1, questions: [{ name: n(name), type, class: 1 }] }) as unknown as Message;
const kind = (m: Message, zone: string) => {
  const { name, type } = m.questions[0];
  return classify(scrub(m, n(zone)), name, type, n(zone)).kind;
};

describe('NODATA without SOA', () => {
  it('a record of another type in the answer section is not relevant: NODATA', () => {
    for (const aa of [false, true])
      assert.equal(
        kind(reply(q('example.com', RRType.AAAA), { aa, an: ['example.com. 0 IN A 2.2.2.2'] }), 'com'),
        'nodata',
      );
  });

  it('an empty NOERROR response (type 3) is NODATA', () => {
    assert.equal(kind(reply(q('www.example.com', RRType.TXT)), 'example.com'), 'nodata');
  });

  it('an empty non-authoritative answer from a server offering recursion is lame', () => {
    const m = reply(q('www.example.com', RRType.TXT));
    m.ra = true;
    assert.equal(kind(m, 'example.com'), 'lame');
  });

  it('an answer of the wrong type reaches the client as NOERROR with an empty answer, and is not cached', async () => {
    let asked = 0;
    const net = new FakeNet({
      [ROOT_IP]: (m) => reply(m, { ns: ['com. 3600 IN NS a.gtld.net.'], ar: ['a.gtld.net. 3600 IN A 192.0.2.30'] }),
      '192.0.2.30': (m) => {
        asked++;
        return reply(m, { an: ['example.com. 0 IN A 2.2.2.2'] });
      },
    });
    const { ask } = testResolver(net);
    for (let i = 0; i < 2; i++) {
      const r = await ask('example.com', RRType.AAAA);
      assert.equal(r.rcode, Rcode.NOERROR);
      assert.equal(r.answers.length, 0);
    }
    assert.equal(asked, 2, 'NODATA without a SOA has no negative TTL (RFC 2308 5)');
  });
});
