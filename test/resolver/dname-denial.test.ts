// Regressions of Deckard val_dname (QNAME minimisation on): a minimised query whose NODATA carries the NSEC of the
// minimised name with the DNAME bit stops minimising (every name below is rewritten: RFC 9156 3 "DNAME => restart"),
// and a NODATA after an alias chain is not believed when the server's own NSEC for the target lists the type (the
// target is then asked directly, as Unbound and Knot always do).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from '../../src/resolver/classify.js';
import { type Message, makeQuery, Name, Rcode, RRType } from '../../src/wire/index.js';
import { reply } from '../helpers/fake-authorities.js';
import { buildWorld, type WorldZone, worldResolver } from '../helpers/signed-world.js';

const SOA = (ns: string) => `@ SOA ${ns} hostmaster 1 7200 900 1209600 300`;
const ROOT = '192.0.2.1';
const ZONES: WorldZone[] = [
  {
    origin: '.',
    ip: ROOT,
    body: `${SOA('ns.root.')}\n@ NS ns.root.\nns.root. A ${ROOT}\nexample. NS ns.example.\nns.example. A 192.0.2.2\n`,
  },
  {
    origin: 'example.',
    ip: '192.0.2.2',
    body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.2\nd DNAME target.example.\nx.www.target A 192.0.2.9\n`,
  },
];

describe('DNAME and denials', () => {
  for (const qtype of ['A', 'NS'] as const) {
    it(`QNAME minimisation (${qtype}) stops at a name whose NSEC shows a DNAME`, async () => {
      const world = buildWorld(ZONES);
      const c = worldResolver(world, ROOT, { qnameMinimisation: 'relaxed', qnameMinimisationQtype: qtype });
      const r = await c.ask('x.www.d.example.', RRType.A);
      assert.equal(r.rcode, Rcode.NOERROR);
      assert.equal(r.ad, true);
      const asked = world.net.asked('192.0.2.2').map((q) => q.split(' ')[0]);
      assert.ok(asked.includes('d.example.'), asked.join(', '));
      assert.ok(!asked.includes('www.d.example.'), `no minimised query below the DNAME: ${asked.join(', ')}`);
      assert.ok(asked.includes('x.www.d.example.'));
    });
  }

  it('a NODATA after a chain whose own NSEC lists the type is an alias to chase, not NODATA', () => {
    const q = makeQuery(Name.fromText('a.example.'), RRType.TXT, { id: 1 }) as Message;
    const chainAndSoa = ['a.example. 300 IN CNAME b.example.'];
    const soa = ['example. 300 IN SOA ns.example. h.example. 1 2 3 4 300'];
    const nodata = reply(q, { aa: true, an: chainAndSoa, ns: [...soa, 'b.example. 300 IN NSEC c.example. A NSEC'] });
    assert.equal(classify(nodata, q.questions[0].name, RRType.TXT, Name.fromText('example.')).kind, 'nodata');
    const contradicted = reply(q, {
      aa: true,
      an: chainAndSoa,
      ns: [...soa, 'b.example. 300 IN NSEC c.example. A TXT NSEC'],
    });
    const c = classify(contradicted, q.questions[0].name, RRType.TXT, Name.fromText('example.'));
    assert.equal(c.kind, 'alias');
    assert.equal(c.kind === 'alias' && c.target.toString(), 'b.example.');
  });
});
