// Stub zones (stubHints, like Unbound's stub-zone: which makes unbound/val_negcache_* and val_nx_failwc applicable)
// and CVE-2017-15105 (Unbound's val_nx_failwc): an NSEC that is itself a wildcard expansion (RRSIG Labels below its
// owner's label count) proves nothing, so an NXDOMAIN resting on it is bogus.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EDE, type Message, Name, Rcode, type RR, RRType, type RrsigData } from '../../src/wire/index.js';
import { FakeNet, reply, rrs } from '../helpers/fake-authorities.js';
import { buildWorld, type WorldZone, worldResolver } from '../helpers/signed-world.js';

const SOA = (ns: string) => `@ SOA ${ns} hostmaster 1 7200 900 1209600 300`;
const ede = (m: Message) =>
  (m.edns?.options.find((o) => o.kind === 'ede') as { infoCode: number } | undefined)?.infoCode;

describe('stub zones', () => {
  const STUB = rrs(['stub.test. 3600 IN NS ns.stub.invalid.', 'ns.stub.invalid. 3600 IN A 192.0.2.53']);

  it('resolves through the stub servers, and a deeper delegation learnt from them wins', async () => {
    const net = new FakeNet({
      '192.0.2.53': (q) => {
        const name = q.questions[0].name.toString();
        if (name === 'www.stub.test.') return reply(q, { aa: true, an: ['www.stub.test. 300 IN A 192.0.2.80'] });
        return reply(q, {
          ns: ['sub.stub.test. 300 IN NS ns.sub.stub.test.'],
          ar: ['ns.sub.stub.test. 300 IN A 192.0.2.54'],
        });
      },
      '192.0.2.54': (q) => reply(q, { aa: true, an: [`${q.questions[0].name} 300 IN A 192.0.2.81`] }),
    });
    const { Resolver } = await import('../../src/resolver/resolver.js');
    const { FakeClock } = await import('../../src/transport/clock.js');
    const { cryptoRandom } = await import('../../src/transport/random.js');
    const { makeQuery } = await import('../../src/wire/index.js');
    const resolver = new Resolver(
      { upstream: net, clock: new FakeClock(1_700_000_000_000), random: cryptoRandom, rootHints: [], stubHints: STUB },
      { qnameMinimisation: 'off', ipv6: false, minTimeoutMs: 1, packetCache: false, transportPolicy: false },
    );
    const ask = async (name: string) =>
      (await resolver.handle(makeQuery(Name.fromText(name), RRType.A, { id: 1, rd: true }), { transport: 'udp' }))
        .response;
    assert.deepEqual(
      (await ask('www.stub.test.')).answers.map((rr) => (rr.data as { address: string }).address),
      ['192.0.2.80'],
    );
    assert.deepEqual(
      (await ask('a.sub.stub.test.')).answers.map((rr) => (rr.data as { address: string }).address),
      ['192.0.2.81'],
    );
    const before = net.asked('192.0.2.53').length;
    await ask('b.sub.stub.test.');
    assert.equal(net.asked('192.0.2.53').length, before, 'the cached cut below the stub is used');
    assert.equal((await ask('www.elsewhere.')).rcode, Rcode.SERVFAIL, 'no root hints');
  });
});

describe('CVE-2017-15105: a wildcard-expanded NSEC proves nothing', () => {
  const ROOT = '192.0.2.1';
  const ZONES: WorldZone[] = [
    {
      origin: '.',
      ip: ROOT,
      body: `${SOA('ns.root.')}\n@ NS ns.root.\nns.root. A ${ROOT}\nexample. NS ns.example.\nns.example. A 192.0.2.2\n`,
    },
    { origin: 'example.', ip: '192.0.2.2', body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.2\n* TXT "w"\nzz A 192.0.2.9\n` },
  ];

  it('an NXDOMAIN whose NSEC is a renamed copy of the wildcard NSEC is bogus (EDE 6)', async () => {
    const world = buildWorld(ZONES);
    const records = world.records.get('example.')!;
    const wild = Name.fromText('*.example.');
    const fake = Name.fromText('!.example.');
    const rename = (rr: RR): RR => ({ ...rr, name: fake });
    const nsec = records.filter(
      (rr) =>
        rr.name.equals(wild) &&
        (rr.type === RRType.NSEC || (rr.type === RRType.RRSIG && (rr.data as RrsigData).typeCovered === RRType.NSEC)),
    );
    assert.equal(nsec.length, 2);
    world.net.handlers.set('192.0.2.2', (q) => {
      if (!q.questions[0].name.equals(Name.fromText('a.example.'))) return world.serve('192.0.2.2', q);
      const m = world.serve('192.0.2.2', q); // the genuine answer: the wildcard's TXT
      const soa = records.filter(
        (rr) =>
          rr.type === RRType.SOA || (rr.type === RRType.RRSIG && (rr.data as RrsigData).typeCovered === RRType.SOA),
      );
      return { ...m, rcode: Rcode.NXDOMAIN, aa: true, answers: [], authorities: [...soa, ...nsec.map(rename)] };
    });
    const r = await worldResolver(world, ROOT).ask('a.example.', RRType.TXT);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.equal(ede(r), EDE.DNSSEC_BOGUS);
  });
});
