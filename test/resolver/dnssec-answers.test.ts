// Validation of whole answers through the resolver, on a small signed tree (test/helpers/signed-world.ts).
// Regressions of Deckard scenarios: val_rrsig / iter_validate (qtype RRSIG), nsec_wildcard_answer_response /
// val_wild_pos_multi (wildcard proofs in the authority section), val_nsec3_b4_wild / val_nsec3_optout_ad (Opt-Out
// wildcard: insecure, not bogus), iter_validate_child_zone_noaddr (DNSKEY query answered by the parent's server),
// val_dname_bogus (a CNAME that disagrees with a signed DNAME; the DNAME itself stays cached as secure; a CNAME query
// below a DNAME), val_cname_trust_domains / val_cname_to_unsigned_fake_rrsig (cached chains keep their weakest
// verdict), val_negcache_ds (a DS query after a referral is validated), val_iter_high (NSEC3 iterations: insecure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SigningKey, signRRset } from '../../src/dnssec/signer.js';
import {
  EDE,
  type Message,
  type Name,
  type NameData,
  type Nsec3Data,
  Rcode,
  type RR,
  RRType,
  type RrsigData,
} from '../../src/wire/index.js';
import { buildWorld, WORLD_NOW, type WorldZone, worldResolver } from '../helpers/signed-world.js';

const ROOT = '192.0.2.1';
const SOA = (ns: string) => `@ SOA ${ns} hostmaster 1 7200 900 1209600 300`;

/** Re-signs every NSEC3 RRset with the Opt-Out flag set (our signer does not do Opt-Out). */
function withOptOut(records: RR[], keys: SigningKey[], origin: Name): RR[] {
  const out: RR[] = [];
  for (const rr of records) {
    if (rr.type === RRType.RRSIG && (rr.data as RrsigData).typeCovered === RRType.NSEC3) continue;
    if (rr.type !== RRType.NSEC3) {
      out.push(rr);
      continue;
    }
    const flagged: RR = { ...rr, data: { ...(rr.data as Nsec3Data), flags: 1 } };
    out.push(flagged, signRRset([flagged], keys[0], origin, WORLD_NOW - 3600, WORLD_NOW + 30 * 86400));
  }
  return out;
}

const ZONES: WorldZone[] = [
  {
    origin: '.',
    ip: ROOT,
    body: `${SOA('ns.root.')}
@ NS ns.root.
ns.root. A ${ROOT}
example. NS ns.example.
ns.example. A 192.0.2.2
n3. NS ns.n3.
ns.n3. A 192.0.2.3
oo. NS ns.oo.
ns.oo. A 192.0.2.5
hi. NS ns.hi.
ns.hi. A 192.0.2.6
plain. NS ns.plain.
ns.plain. A 192.0.2.4
`,
  },
  {
    origin: 'example.',
    ip: '192.0.2.2',
    body: `${SOA('ns')}
@ NS ns
ns A 192.0.2.2
www A 192.0.2.10
*.wild A 192.0.2.11
alias CNAME www
out CNAME www.plain.
d DNAME n3.
sub NS ns
`,
  },
  { origin: 'sub.example.', ip: '192.0.2.2', body: `${SOA('ns.example.')}\n@ NS ns.example.\nwww A 192.0.2.12\n` },
  {
    origin: 'n3.',
    ip: '192.0.2.3',
    denial: { kind: 'nsec3' },
    body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.3\nwww A 192.0.2.30\n*.wild A 192.0.2.31\n`,
  },
  {
    origin: 'oo.',
    ip: '192.0.2.5',
    denial: { kind: 'nsec3' },
    post: withOptOut,
    body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.5\n*.wild A 192.0.2.51\n`,
  },
  {
    origin: 'hi.',
    ip: '192.0.2.6',
    denial: { kind: 'nsec3', iterations: 200 },
    body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.6\nwww A 192.0.2.61\n`,
  },
  {
    origin: 'plain.',
    ip: '192.0.2.4',
    denial: 'unsigned',
    body: `${SOA('ns')}\n@ NS ns\nns A 192.0.2.4\nwww A 192.0.2.40\n`,
  },
];

const types = (rrs: readonly RR[]) => rrs.map((rr) => rr.type);
const ede = (m: Message) => m.edns?.options.find((o) => o.kind === 'ede') as { infoCode: number } | undefined;

describe('DNSSEC: answers validated through the resolver', () => {
  it('a query of type RRSIG is answered, unvalidated: NOERROR without AD', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    const r = await c.ask('www.example.', RRType.RRSIG);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.ok(r.answers.length > 0 && r.answers.every((rr) => rr.type === RRType.RRSIG));
    assert.equal(r.ad, false);
    // the RRSIG answer does not stand in for the signatures of the A RRset
    const a = await c.ask('www.example.', RRType.A);
    assert.equal(a.ad, true);
  });

  it('a wildcard answer carries its NSEC proof in the authority section for DO clients, from the cache too', async () => {
    const world = buildWorld(ZONES);
    const c = worldResolver(world, ROOT);
    for (let i = 0; i < 2; i++) {
      const r = await c.ask('x.wild.example.', RRType.A);
      assert.equal(r.ad, true);
      assert.deepEqual(types(r.authorities).sort(), [RRType.NSEC, RRType.RRSIG].sort());
    }
    const plain = await c.ask('x.wild.example.', RRType.A, { dnssecOk: false });
    assert.equal(plain.authorities.length, 0);
  });

  it('an NSEC3 wildcard answer carries its NSEC3 proof', async () => {
    const c = worldResolver(buildWorld(ZONES), ROOT);
    const r = await c.ask('x.wild.n3.', RRType.A);
    assert.equal(r.ad, true);
    assert.ok(r.authorities.some((rr) => rr.type === RRType.NSEC3));
  });

  it('a wildcard answer whose next closer name is in an Opt-Out span is insecure, not bogus', async () => {
    const c = worldResolver(buildWorld(ZONES), ROOT);
    const r = await c.ask('x.wild.oo.', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.ad, false);
    assert.equal(r.answers.filter((rr) => rr.type === RRType.A).length, 1);
  });

  it('DNSKEY queries validate from the answer itself, also when the parent zone server answers for the child', async () => {
    const c = worldResolver(buildWorld(ZONES), ROOT);
    for (const zone of ['example.', 'sub.example.']) {
      const r = await c.ask(zone, RRType.DNSKEY);
      assert.equal(r.rcode, Rcode.NOERROR, zone);
      assert.equal(r.ad, true, zone);
    }
  });

  it('a forged CNAME next to a signed DNAME is bogus; the DNAME stays cached as secure and rewrites later names', async () => {
    const world = buildWorld(ZONES);
    world.net.handlers.set('192.0.2.2', (q) => {
      const m = world.serve('192.0.2.2', q);
      for (const rr of m.answers)
        if (rr.type === RRType.CNAME) (rr.data as NameData).target = (rr.data as NameData).target.parent();
      return m;
    });
    const c = worldResolver(world, ROOT);
    const bad = await c.ask('www.d.example.', RRType.A);
    assert.equal(bad.rcode, Rcode.SERVFAIL);
    assert.equal(ede(bad)?.infoCode, EDE.DNSSEC_BOGUS);
    const before = world.net.asked('192.0.2.2').length;
    const good = await c.ask('www.d.example.', RRType.A);
    assert.equal(good.rcode, Rcode.NOERROR);
    assert.equal(good.ad, true);
    assert.deepEqual(types(good.answers), [RRType.DNAME, RRType.RRSIG, RRType.CNAME, RRType.A, RRType.RRSIG]);
    assert.equal(world.net.asked('192.0.2.2').length, before, 'the cached DNAME answered, not the forging server');
    // a CNAME query below the DNAME, asked upstream: the synthesised CNAME is the answer
    world.net.handlers.set('192.0.2.2', (q) => world.serve('192.0.2.2', q));
    const cn = await worldResolver(world, ROOT).ask('www.d.example.', RRType.CNAME);
    assert.equal(cn.rcode, Rcode.NOERROR);
    assert.equal(cn.ad, true);
    assert.deepEqual(types(cn.answers), [RRType.DNAME, RRType.RRSIG, RRType.CNAME]);
    assert.equal(cn.authorities.length, 0);
  });

  it('an answer from the cache is as secure as the weakest link of its chain', async () => {
    const world = buildWorld(ZONES);
    world.net.handlers.set('192.0.2.2', (q) => {
      const m = world.serve('192.0.2.2', q);
      for (const rr of m.answers)
        if (rr.type === RRType.RRSIG && rr.name.toString() === 'alias.example.') {
          const sig = (rr.data as RrsigData).signature;
          sig[sig.length - 1] ^= 1;
        }
      return m;
    });
    const c = worldResolver(world, ROOT);
    for (let i = 0; i < 2; i++) {
      const out = await c.ask('out.example.', RRType.A);
      assert.equal(out.rcode, Rcode.NOERROR);
      assert.equal(out.ad, false, `secure CNAME into an unsigned zone, query ${i}`);
      const bad = await c.ask('alias.example.', RRType.A);
      assert.equal(bad.rcode, Rcode.SERVFAIL, `bad signature on the CNAME, query ${i}`);
    }
  });

  it('a DS query after a referral that carried the no-DS proof gets a validated answer with the SOA', async () => {
    const c = worldResolver(buildWorld(ZONES), ROOT);
    const www = await c.ask('www.plain.', RRType.A);
    assert.equal(www.ad, false);
    const ds = await c.ask('plain.', RRType.DS);
    assert.equal(ds.rcode, Rcode.NOERROR);
    assert.equal(ds.ad, true);
    assert.ok(ds.authorities.some((rr) => rr.type === RRType.SOA));
    assert.ok(ds.authorities.some((rr) => rr.type === RRType.NSEC));
  });

  it('NSEC3 with too many iterations: the denial is insecure (no AD) with EDE 27, not SERVFAIL', async () => {
    const c = worldResolver(buildWorld(ZONES), ROOT);
    const r = await c.ask('nothing.hi.', RRType.A);
    assert.equal(r.rcode, Rcode.NXDOMAIN);
    assert.equal(r.ad, false);
    assert.equal(ede(r)?.infoCode, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    const www = await c.ask('www.hi.', RRType.A);
    assert.equal(www.ad, true, 'positive answers of the zone stay secure');
  });
});
