// Alias chains in responses. A CNAME/DNAME loop is an error (RFC 1034 3.6.2): SERVFAIL, with the links followed
// shown in the answer section. A DNAME that rewrites several links of one chain is a single RRset and is sent
// once (RFC 2181 5).
// Regressions: Deckard iter_dname_insec steps 220902 and 221002 (loops), 221102 (DNAME x. -> . applied twice).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EDE, Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

const texts = (m: { answers: { name: { toString(): string }; type: number }[] }) =>
  m.answers.map((rr) => `${rr.name} ${rr.type}`);

describe('alias chains', () => {
  it('a DNAME onto its own owner loops: SERVFAIL, with the DNAME and the synthesised CNAME', async () => {
    const net = new FakeNet({
      [ROOT_IP]: (q) =>
        reply(q, { ns: ['example.com. 3600 IN NS ns.example.com.'], ar: ['ns.example.com. 3600 IN A 192.0.2.1'] }),
      '192.0.2.1': (q) =>
        reply(q, {
          aa: true,
          an: ['example.com. 300 IN DNAME example.com.', `${q.questions[0].name} 300 IN CNAME ${q.questions[0].name}`],
        }),
    });
    const { ask } = testResolver(net);
    const r = await ask('cyc.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.deepEqual(texts(r), ['example.com. 39', 'cyc.example.com. 5']);
    const ede = r.edns?.options.find((o) => o.kind === 'ede');
    assert.equal(ede?.kind === 'ede' ? ede.infoCode : undefined, EDE.OTHER);
  });

  it('a two-zone CNAME loop: SERVFAIL with both CNAMEs', async () => {
    const net = new FakeNet({
      [ROOT_IP]: (q) => {
        const zone = q.questions[0].name.isSubdomainOf(n('example.net')) ? 'example.net' : 'example.com';
        const ip = zone === 'example.net' ? '192.0.2.2' : '192.0.2.1';
        return reply(q, { ns: [`${zone}. 3600 IN NS ns.${zone}.`], ar: [`ns.${zone}. 3600 IN A ${ip}`] });
      },
      '192.0.2.1': (q) => reply(q, { aa: true, an: ['a.example.com. 300 IN CNAME b.example.net.'] }),
      '192.0.2.2': (q) => reply(q, { aa: true, an: ['b.example.net. 300 IN CNAME a.example.com.'] }),
    });
    const { ask } = testResolver(net);
    const r = await ask('a.example.com', RRType.A);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.deepEqual(texts(r), ['a.example.com. 5', 'b.example.net. 5']);
  });

  it('a DNAME that rewrites two links of the chain is sent once', async () => {
    // x. DNAME . : shortloop.x.x. -> shortloop.x. -> shortloop.
    const net = new FakeNet({
      [ROOT_IP]: (q) => {
        const name = q.questions[0].name;
        if (name.equals(n('shortloop'))) return reply(q, { aa: true, an: ['shortloop. 300 IN TXT "end"'] });
        return reply(q, { ns: ['x. 3600 IN NS ns.x.'], ar: ['ns.x. 3600 IN A 192.0.2.1'] });
      },
      '192.0.2.1': (q) =>
        reply(q, {
          aa: true,
          an: ['x. 300 IN DNAME .', 'shortloop.x.x. 300 IN CNAME shortloop.x.', 'shortloop.x. 300 IN CNAME shortloop.'],
        }),
    });
    const { ask } = testResolver(net);
    const r = await ask('shortloop.x.x', RRType.TXT);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(texts(r), ['x. 39', 'shortloop.x.x. 5', 'shortloop.x. 5', 'shortloop. 16']);
  });
});
