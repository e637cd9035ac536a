// RFC 2181 5: an RRset never holds two identical records; a response that repeats one is de-duplicated when scrubbed.
// Regression: Deckard iter_cname_double (a server answering with the same CNAME twice got SERVFAIL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrub, uniqueRecords } from '../../src/resolver/classify.js';
import { Rcode, RRType } from '../../src/wire/index.js';
import { answerText, FakeNet, n, ROOT_IP, reply, rrs, testResolver } from '../helpers/fake-authorities.js';

describe('duplicate records', () => {
  it('uniqueRecords keeps one copy of identical records, owner and RDATA names compared case-insensitively', () => {
    const out = uniqueRecords(
      rrs([
        'www.example.com. 300 IN CNAME www.next.com.',
        'WWW.Example.COM. 60 IN CNAME WWW.next.com.',
        'a.example.com. 300 IN A 192.0.2.1',
        'a.example.com. 300 IN A 192.0.2.2',
        'a.example.com. 300 IN A 192.0.2.1',
      ]),
    );
    assert.deepEqual(
      out.map((r) => `${r.name.key}|${r.type}|${r.ttl}`),
      [`${n('www.example.com').key}|${RRType.CNAME}|60`, ...[300, 300].map((t) => `${n('a.example.com').key}|1|${t}`)],
    );
  });

  it('scrub removes duplicates from every section', () => {
    const q = { id: 1, questions: [{ name: n('www.example.com'), type: RRType.A, class: 1 }] };
    const m = reply(q as never, {
      aa: true,
      an: ['www.example.com. 3600 IN CNAME www.next.com.', 'www.example.com. 3600 IN CNAME www.next.com.'],
      ns: ['example.com. 3600 IN NS ns.example.com.', 'example.com. 3600 IN NS ns.example.com.'],
      ar: ['ns.example.com. 3600 IN A 192.0.2.53', 'ns.example.com. 3600 IN A 192.0.2.53'],
    });
    const s = scrub(m, n('example.com'));
    assert.equal(s.answers.length, 1);
    assert.equal(s.authorities.length, 1);
    assert.equal(s.additionals.length, 1);
  });

  it('a CNAME repeated in the answer is followed, and the client sees it once', async () => {
    const net = new FakeNet({
      [ROOT_IP]: (q) => {
        const name = q.questions[0].name;
        if (name.isSubdomainOf(n('next.com')))
          return reply(q, { ns: ['next.com. 3600 IN NS ns.next.com.'], ar: ['ns.next.com. 3600 IN A 192.0.2.2'] });
        return reply(q, {
          ns: ['example.com. 3600 IN NS ns.example.com.'],
          ar: ['ns.example.com. 3600 IN A 192.0.2.1'],
        });
      },
      '192.0.2.1': (q) =>
        reply(q, {
          aa: true,
          an: ['www.example.com. 3600 IN CNAME www.next.com.', 'www.example.com. 3600 IN CNAME www.next.com.'],
        }),
      '192.0.2.2': (q) => reply(q, { aa: true, an: ['www.next.com. 3600 IN A 10.20.30.40'] }),
    });
    const { ask } = testResolver(net);
    const r = await ask('www.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(answerText(r), ['www.example.com. 5', 'www.next.com. 1']);
  });
});
