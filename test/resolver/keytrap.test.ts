// KeyTrap (CVE-2023-50387) end to end: a zone with dozens of DNSKEYs sharing one key tag and dozens of invalid
// RRSIGs per RRset (test/helpers/keytrap.ts), served by our authoritative server on loopback under a lab-like signed
// root, resolved by sealdns over real UDP/TCP. Validation must fail closed — SERVFAIL with EDE 6 — after a bounded
// number of public-key operations (the per-request ValidationBudget, standards.md 9.2), fast; with CD=1 the data is
// returned without AD (RFC 4035 3.2.2); other zones keep validating.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_VALIDATION_LIMITS } from '../../src/dnssec/validate/types.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { EDE, type Message, makeQuery, Name, Rcode, RRType } from '../../src/wire/index.js';
import { keyTrap, keyTrapDs } from '../helpers/keytrap.js';
import { type LoopbackWorld, startLoopbackWorld } from '../helpers/signed-world.js';

const SOA = (ns: string) => `@ SOA ${ns} hostmaster 1 7200 900 1209600 300`;
const ede = (m: Message) =>
  (m.edns?.options.find((o) => o.kind === 'ede') as { infoCode: number } | undefined)?.infoCode;

describe('KeyTrap: colliding key tags and many signatures fail closed within the budget', { timeout: 60_000 }, () => {
  let lab: LoopbackWorld;
  const transports: Transport[] = [];

  before(async () => {
    const now = Math.floor(Date.now() / 1000);
    lab = await startLoopbackWorld(
      (ip) => [
        {
          origin: '.',
          ip: ip('0.1'),
          body: `${SOA('ns.root.')}
@ NS ns.root.
ns.root. A ${ip('0.1')}
trap. NS ns.trap.
ns.trap. A ${ip('1.1')}
bigtrap. NS ns.bigtrap.
ns.bigtrap. A ${ip('1.2')}
ok. NS ns.ok.
ns.ok. A ${ip('1.3')}
`,
        },
        {
          origin: 'trap.',
          ip: ip('1.1'),
          body: `${SOA('ns')}\n@ NS ns\nns A ${ip('1.1')}\nwww A 192.0.2.1\n`,
          post: keyTrap({ now }),
          ds: keyTrapDs,
        },
        {
          origin: 'bigtrap.',
          ip: ip('1.2'),
          body: `${SOA('ns')}\n@ NS ns\nns A ${ip('1.2')}\nwww A 192.0.2.2\n`,
          post: keyTrap({ now, keys: 200, sigs: 150 }),
          ds: keyTrapDs,
        },
        { origin: 'ok.', ip: ip('1.3'), body: `${SOA('ns')}\n@ NS ns\nns A ${ip('1.3')}\nwww A 192.0.2.3\n` },
      ],
      '0.1',
    );
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await lab?.close();
  });

  function client(): { resolver: Resolver; ask(name: string, cd?: boolean): Promise<Message> } {
    const transport = new Transport();
    transports.push(transport);
    const resolver = new Resolver(
      {
        upstream: transport,
        clock: systemClock,
        random: cryptoRandom,
        rootHints: lab.hints,
        trustAnchors: lab.world.anchors,
      },
      { upstreamPort: lab.port, ipv6: false, transportPolicy: false, packetCache: false },
    );
    let id = 1;
    return {
      resolver,
      async ask(name, cd = false) {
        const q = makeQuery(Name.fromText(name), RRType.A, { id: id++, rd: true, edns: true, dnssecOk: true });
        q.cd = cd;
        return (await resolver.handle(q, { transport: 'udp' })).response;
      },
    };
  }

  for (const zone of ['trap.', 'bigtrap.']) {
    it(`${zone}: SERVFAIL with EDE 6 after at most ${DEFAULT_VALIDATION_LIMITS.maxSignatureValidations} signature checks`, async () => {
      const c = client();
      const stats = c.resolver.validator!.stats;
      const started = performance.now();
      const r = await c.ask(`www.${zone}`);
      const ms = performance.now() - started;
      assert.equal(r.rcode, Rcode.SERVFAIL);
      assert.equal(ede(r), EDE.DNSSEC_BOGUS);
      assert.equal(r.answers.length, 0);
      assert.ok(
        stats.signatureValidations <= DEFAULT_VALIDATION_LIMITS.maxSignatureValidations,
        `${stats.signatureValidations} signature validations`,
      );
      assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
      // the trap is reached (the DS matched one of the colliding keys): the signatures are tried, a few of them
      assert.ok(stats.signatureValidations > 0);
      const opt = r.edns?.options.find((o) => o.kind === 'ede');
      assert.match(opt?.kind === 'ede' ? opt.extraText : '', /gave up after 2 RRSIGs|validation budget exceeded/);
      // the failure is cached briefly (RFC 9520 3.4): asking again costs no crypto at all
      const spent = stats.signatureValidations;
      assert.equal((await c.ask(`www.${zone}`)).rcode, Rcode.SERVFAIL);
      assert.equal(stats.signatureValidations, spent);
    });
  }

  it('CD=1: the bogus data is returned, without AD', async () => {
    const c = client();
    const r = await c.ask('www.trap.', true);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.ad, false);
    assert.equal(r.cd, true);
    assert.deepEqual(
      r.answers.filter((rr) => rr.type === RRType.A).map((rr) => (rr.data as { address: string }).address),
      ['192.0.2.1'],
    );
  });

  it('a signed zone next to the traps still validates', async () => {
    const c = client();
    await c.ask('www.trap.');
    const r = await c.ask('www.ok.');
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.ad, true);
  });
});
