// RFC 8198 aggressive use of the DNSSEC-validated cache, through the resolver on a signed tree: NXDOMAIN, NODATA
// and wildcard answers synthesised from NSEC/NSEC3 records validated earlier, with no upstream query; never through
// an Opt-Out span (5.2) and never once the records expired (5.4); off with aggressiveNsec: false.
// Regression of Deckard nsec_aggr_cache (which passes with run-scenarios --all; it needs kresd's query pattern).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SigningKey, signRRset } from '../../src/dnssec/signer.js';
import { type Name, type Nsec3Data, Rcode, type RR, RRType, type RrsigData } from '../../src/wire/index.js';
import { buildWorld, WORLD_NOW, type WorldZone, worldResolver } from '../helpers/signed-world.js';

const ROOT = '192.0.2.1';
const SOA = (ns: string) => `@ SOA ${ns} hostmaster 1 7200 900 1209600 300`;

function withOptOut(records: RR[], keys: SigningKey[], origin: Name): RR[] {
  const out: RR[] = [];
  for (const rr of records) {
    if (rr.type === RRType.RRSIG && (rr.data as RrsigData).typeCovered === RRType.NSEC3) continue;
    if (rr.type !== RRType.NSEC3) out.push(rr);
    else {
      const flagged: RR = { ...rr, data: { ...(rr.data as Nsec3Data), flags: 1 } };
      out.push(flagged, signRRset([flagged], keys[0], origin, WORLD_NOW - 3600, WORLD_NOW + 30 * 86400));
    }
  }
  return out;
}

const body = (ip: string) => `${SOA('ns')}
@ NS ns
ns A ${ip}
a A 192.0.2.100
m A 192.0.2.101
m TXT "m"
z A 192.0.2.102
*.w A 192.0.2.103
*.c CNAME a
`;

const ZONES: WorldZone[] = [
  {
    origin: '.',
    ip: ROOT,
    body: `${SOA('ns.root.')}
@ NS ns.root.
ns.root. A ${ROOT}
nsec. NS ns.nsec.
ns.nsec. A 192.0.2.2
nsec3. NS ns.nsec3.
ns.nsec3. A 192.0.2.3
optout. NS ns.optout.
ns.optout. A 192.0.2.4
`,
  },
  { origin: 'nsec.', ip: '192.0.2.2', body: body('192.0.2.2') },
  { origin: 'nsec3.', ip: '192.0.2.3', denial: { kind: 'nsec3' }, body: body('192.0.2.3') },
  { origin: 'optout.', ip: '192.0.2.4', denial: { kind: 'nsec3' }, post: withOptOut, body: body('192.0.2.4') },
];

/** The first `count` names n<i>.<zone> that `ask` answers without an upstream query (it returns the queries sent). */
async function sameIntervalNames(ask: (n: string) => Promise<number>, zone: string, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 400 && out.length < count; i++) if ((await ask(`n${i}.${zone}`)) === 0) out.push(`n${i}.${zone}`);
  return out;
}

describe('RFC 8198 aggressive use of validated NSEC/NSEC3', () => {
  it('NSEC: a second nonexistent name in a proven gap is NXDOMAIN without asking', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    const first = await c.ask('b.nsec.', RRType.A);
    assert.equal(first.rcode, Rcode.NXDOMAIN);
    assert.equal(first.ad, true);
    const asked = world.net.sent.length;
    // the zone's names in canonical order: nsec. a c *.c m ns w *.w z; "b" and "bb" both fall into the NSEC a -> c,
    // and the apex NSEC nsec. -> a denies the wildcard *.nsec.
    const second = await c.ask('bb.nsec.', RRType.A);
    assert.equal(second.rcode, Rcode.NXDOMAIN);
    assert.equal(second.ad, true);
    assert.ok(second.authorities.some((rr) => rr.type === RRType.SOA));
    assert.ok(second.authorities.some((rr) => rr.type === RRType.NSEC));
    assert.equal(world.net.sent.length, asked, 'no upstream query');
    assert.ok(c.resolver.aggressive && c.resolver.aggressive.stats.synthesised >= 1);
  });

  it('NSEC: NODATA at an existing name from its NSEC, with the SOA; a covered name below a wildcard is expanded', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    assert.equal((await c.ask('a.nsec.', RRType.MX)).rcode, Rcode.NOERROR);
    assert.equal((await c.ask('x.w.nsec.', RRType.A)).ad, true);
    const asked = world.net.sent.length;
    const nodata = await c.ask('a.nsec.', RRType.TXT);
    assert.equal(nodata.rcode, Rcode.NOERROR);
    assert.equal(nodata.answers.length, 0);
    assert.equal(nodata.ad, true);
    const wild = await c.ask('y.w.nsec.', RRType.A);
    assert.equal(wild.rcode, Rcode.NOERROR);
    assert.equal(wild.ad, true);
    assert.deepEqual(
      wild.answers.map((rr) => `${rr.name} ${rr.type}`),
      ['y.w.nsec. 1', 'y.w.nsec. 46'],
    );
    assert.ok(
      wild.authorities.some((rr) => rr.type === RRType.NSEC),
      'the proof comes along',
    );
    assert.equal(world.net.sent.length, asked, 'no upstream query');
    // the RRSIG still verifies for the new owner: a fresh resolver validates the same answer from upstream
    const fresh = await worldResolver(world, ROOT).ask('y.w.nsec.', RRType.A);
    assert.deepEqual(
      fresh.answers.map((rr) => rr.data),
      wild.answers.map((rr) => rr.data),
    );
  });

  it('NSEC: a wildcard CNAME is expanded from the cache and followed', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    assert.equal((await c.ask('x.c.nsec.', RRType.A)).ad, true);
    const asked = world.net.sent.length;
    const r = await c.ask('y.c.nsec.', RRType.A);
    assert.equal(r.ad, true);
    assert.deepEqual(
      r.answers.filter((rr) => rr.type !== RRType.RRSIG).map((rr) => `${rr.name} ${rr.type}`),
      ['y.c.nsec. 5', 'a.nsec. 1'],
    );
    assert.equal(world.net.sent.length, asked);
  });

  it('NSEC3: names whose next closer hash falls in a proven interval are NXDOMAIN without asking', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    assert.equal((await c.ask('n-first.nsec3.', RRType.A)).rcode, Rcode.NXDOMAIN);
    const found = await sameIntervalNames(
      async (name) => {
        const before = world.net.sent.length;
        const r = await c.ask(name, RRType.A);
        assert.equal(r.rcode, Rcode.NXDOMAIN, name);
        assert.equal(r.ad, true, name);
        return world.net.sent.length - before;
      },
      'nsec3.',
      3,
    );
    assert.equal(found.length, 3, 'some names were answered from the cache');
  });

  it('NSEC3 Opt-Out: never synthesised (RFC 8198 5.2)', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    for (let i = 0; i < 20; i++) {
      const before = world.net.sent.length;
      const r = await c.ask(`n${i}.optout.`, RRType.A);
      assert.equal(r.rcode, Rcode.NXDOMAIN);
      assert.equal(r.ad, false, 'an Opt-Out span is insecure');
      assert.ok(world.net.sent.length > before, `n${i}.optout. was asked upstream`);
    }
    assert.equal(c.resolver.aggressive?.stats.synthesised, 0);
  });

  it('expired records (SOA MINIMUM 300 s) and aggressiveNsec: false send the query upstream', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    await c.ask('b.nsec.', RRType.A);
    c.clock.advance(301_000);
    let before = world.net.sent.length;
    assert.equal((await c.ask('bb.nsec.', RRType.A)).rcode, Rcode.NXDOMAIN);
    assert.ok(world.net.sent.length > before, 'asked again after the negative TTL');

    const off = worldResolver(world, ROOT, { aggressiveNsec: false });
    await off.ask('b.nsec.', RRType.A);
    before = world.net.sent.length;
    assert.equal((await off.ask('bb.nsec.', RRType.A)).rcode, Rcode.NXDOMAIN);
    assert.ok(world.net.sent.length > before);
    assert.equal(off.resolver.aggressive, undefined);
  });

  it('a synthesised NXDOMAIN is given to CD clients too, and with DO off carries the SOA only', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    await c.ask('b.nsec.', RRType.A);
    const plain = await c.ask('bb.nsec.', RRType.A, { dnssecOk: false });
    assert.equal(plain.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(
      plain.authorities.map((rr) => rr.type),
      [RRType.SOA],
    );
  });
});
