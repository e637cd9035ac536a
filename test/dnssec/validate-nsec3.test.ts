import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Zone } from '../../src/authority/zone.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import { nsec3Hash } from '../../src/dnssec/algorithms.js';
import { signRRset } from '../../src/dnssec/signer.js';
import { verifyDnskeySet } from '../../src/dnssec/validate/keys.js';
import { proveNoDs, proveNodata, proveNxdomain, proveWildcardAnswer } from '../../src/dnssec/validate/nsec3.js';
import { verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { BUDGET_EXCEEDED, ValidationBudget } from '../../src/dnssec/validate/types.js';
import {
  compareBytes,
  type DnskeyData,
  EDE,
  fromBase32Hex,
  type Message,
  type Nsec3Data,
  parseRR,
  Rcode,
  type RR,
  RRType,
} from '../../src/wire/index.js';
import {
  ask,
  EXPIRATION,
  INCEPTION,
  key,
  n,
  PARENT_TEXT,
  parentAndChild,
  type Signed,
  signText,
  verifiedDenial,
  verifyFrom,
} from './validate-helpers.js';

const { parent, child, zones } = parentAndChild(13, { kind: 'nsec3' });
const ZONE = parent.origin;
const budget = () => new ValidationBudget();

/** A child zone signed with NSEC3, for the apex trap. */
const nsec3Child = signText('sdeleg.example.', '$TTL 600\n@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A 192.0.2.54\n', {
  keys: [key(13, 'csk', 3)],
  denial: { kind: 'nsec3' },
});

function proof(
  name: string,
  type: number,
  rcode: number = Rcode.NOERROR,
  set: ZoneSet = zones,
  signed: Signed = parent,
): { res: Message; nsec3s: RR[] } {
  const res = ask(set, name, type);
  assert.equal(res.rcode, rcode, `rcode of ${name}`);
  return { res, nsec3s: verifiedDenial(res, RRType.NSEC3, signed.origin, signed.dnskeys) };
}

const allNsec3 = (records: readonly RR[]) => records.filter((r) => r.type === RRType.NSEC3);

function hashOf(name: string, d: Nsec3Data): Uint8Array {
  return nsec3Hash(n(name).toCanonicalBytes(), d.salt, d.iterations);
}
/** The zone's NSEC3 matching `name`. */
function matching(name: string, records: readonly RR[] = parent.records): RR {
  const list = allNsec3(records);
  const h = hashOf(name, list[0].data as Nsec3Data);
  const r = list.find((x) => compareBytes(fromBase32Hex(x.name.label(0)), h) === 0);
  assert.ok(r, `no NSEC3 matches ${name}`);
  return r;
}
/** The zone's NSEC3 covering `name`. */
function covering(name: string, records: readonly RR[] = parent.records): RR {
  const list = allNsec3(records);
  const h = hashOf(name, list[0].data as Nsec3Data);
  const r = list.find((x) => {
    const o = fromBase32Hex(x.name.label(0));
    const next = (x.data as Nsec3Data).nextHashed;
    const wraps = compareBytes(o, next) >= 0;
    return wraps
      ? compareBytes(o, h) < 0 || compareBytes(h, next) < 0
      : compareBytes(o, h) < 0 && compareBytes(h, next) < 0;
  });
  assert.ok(r, `no NSEC3 covers ${name}`);
  return r;
}

describe('NSEC3: NXDOMAIN (RFC 5155 8.4)', () => {
  it('closest encloser proof and the wildcard cover', () => {
    for (const [qname, ce] of [
      ['c.example.', 'example.'],
      ['q.r.x.b.example.', 'x.b.example.'],
      ['q.b.example.', 'b.example.'],
    ]) {
      const b = budget();
      const { nsec3s } = proof(qname, RRType.A, Rcode.NXDOMAIN);
      const v = proveNxdomain(n(qname), ZONE, nsec3s, b);
      assert.equal(v.status, 'secure', `${qname}: ${v.reason}`);
      assert.equal(v.closestEncloser?.toString(), ce);
      assert.ok(b.nsec3Hashes > 0 && b.nsec3Hashes <= n(qname).labelCount + 1, `${b.nsec3Hashes} hashes`);
    }
  });
  it('missing proofs are bogus with EDE 12', () => {
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN);
    const wildcardCover = covering('*.example.');
    const nextCloserCover = covering('c.example.');
    assert.notEqual(wildcardCover.name.key, nextCloserCover.name.key, 'fixture: three distinct NSEC3s');
    for (const drop of [wildcardCover, nextCloserCover, matching('example.')]) {
      const v = proveNxdomain(
        n('c.example.'),
        ZONE,
        nsec3s.filter((r) => !r.name.equals(drop.name)),
        budget(),
      );
      assert.equal(v.status, 'bogus');
      assert.equal(v.ede, EDE.NSEC_MISSING, v.reason);
    }
    assert.equal(proveNxdomain(n('c.example.'), ZONE, [], budget()).ede, EDE.NSEC_MISSING);
  });
  it('an existing name, or one the wildcard matches, is not NXDOMAIN', () => {
    assert.equal(proveNxdomain(n('a.example.'), ZONE, [matching('a.example.')], budget()).status, 'bogus');
    const { nsec3s } = proof('foo.w.example.', RRType.A);
    assert.equal(proveNxdomain(n('foo.w.example.'), ZONE, nsec3s, budget()).status, 'bogus');
  });
  it('a delegation or DNAME cannot be the closest encloser (RFC 6840 4.1)', () => {
    for (const cut of ['deleg.example.', 'dn.example.']) {
      const qname = `www.${cut}`;
      const set = [matching(cut), covering(qname), covering(`*.${cut}`)];
      const v = proveNxdomain(n(qname), ZONE, set, budget());
      assert.equal(v.status, 'bogus');
      assert.match(v.reason, /delegation or DNAME/);
    }
  });
  it('NSEC3 records of another zone, or with other parameters, are ignored', () => {
    const childRecords = allNsec3(child.records);
    assert.equal(proveNxdomain(n('c.example.'), ZONE, childRecords, budget()).ede, EDE.NSEC_MISSING);
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN);
    const salted = nsec3s.map((r) => ({ ...r, data: { ...(r.data as Nsec3Data), salt: Uint8Array.of(1) } }));
    assert.equal(proveNxdomain(n('c.example.'), ZONE, [...nsec3s, ...salted], budget()).status, 'secure');
    const badFlags = nsec3s.map((r) => ({ ...r, data: { ...(r.data as Nsec3Data), flags: 2 } }));
    assert.equal(proveNxdomain(n('c.example.'), ZONE, badFlags, budget()).ede, EDE.NSEC_MISSING);
  });
});

describe('NSEC3: NODATA (RFC 5155 8.5, 8.7)', () => {
  it('the matching NSEC3 lacks the type, empty non-terminals included', () => {
    for (const name of ['a.example.', 'b.example.', 'w.example.', 'example.']) {
      const { nsec3s } = proof(name, RRType.MX);
      const v = proveNodata(n(name), RRType.MX, ZONE, nsec3s, budget());
      assert.equal(v.status, 'secure', `${name}: ${v.reason}`);
    }
  });
  it('wildcard NODATA', () => {
    const { nsec3s } = proof('foo.w.example.', RRType.A);
    const v = proveNodata(n('foo.w.example.'), RRType.A, ZONE, nsec3s, budget());
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.closestEncloser?.toString(), 'w.example.');
    assert.equal(proveNodata(n('foo.w.example.'), RRType.TXT, ZONE, nsec3s, budget()).status, 'bogus');
  });
  it('the type or a CNAME present, a delegation NSEC3 for other types than DS: bogus', () => {
    assert.equal(proveNodata(n('www.example.'), RRType.A, ZONE, [matching('www.example.')], budget()).status, 'bogus');
    const cname = proveNodata(n('cn.example.'), RRType.TXT, ZONE, [matching('cn.example.')], budget());
    assert.match(cname.reason, /CNAME/);
    assert.equal(
      proveNodata(n('deleg.example.'), RRType.A, ZONE, [matching('deleg.example.')], budget()).status,
      'bogus',
    );
  });
  it('NXDOMAIN records are no NODATA proof', () => {
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN);
    const v = proveNodata(n('c.example.'), RRType.A, ZONE, nsec3s, budget());
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.NSEC_MISSING);
  });
});

describe('NSEC3: wildcard answers (RFC 5155 8.8)', () => {
  it('the next closer name is covered', () => {
    for (const qname of ['foo.w.example.', 'a.foo.w.example.']) {
      const res = ask(zones, qname, RRType.TXT);
      const answer = verifyFrom(res.answers, qname, RRType.TXT, parent);
      assert.equal(answer.status, 'secure', answer.reason);
      assert.equal(answer.wildcard?.nextCloser.toString(), 'foo.w.example.');
      const nsec3s = verifiedDenial(res, RRType.NSEC3, ZONE, parent.dnskeys);
      const v = proveWildcardAnswer(n(qname), answer.wildcard!.source, ZONE, nsec3s, budget());
      assert.equal(v.status, 'secure', `${qname}: ${v.reason}`);
      assert.equal(proveWildcardAnswer(n(qname), answer.wildcard!.source, ZONE, [], budget()).ede, EDE.NSEC_MISSING);
    }
  });
  it('an existing next closer name, or a source that is not a wildcard above the name: bogus', () => {
    const v = proveWildcardAnswer(n('www.example.'), n('*.example.'), ZONE, [matching('www.example.')], budget());
    assert.equal(v.status, 'bogus');
    assert.equal(proveWildcardAnswer(n('foo.w.example.'), n('w.example.'), ZONE, [], budget()).status, 'bogus');
    assert.equal(proveWildcardAnswer(n('foo.example.'), n('*.w.example.'), ZONE, [], budget()).status, 'bogus');
  });
});

describe('NSEC3: no DS', () => {
  it('a referral to an unsigned delegation, and NODATA for its DS', () => {
    const res = ask(zones, 'www.deleg.example.', RRType.A);
    const nsec3s = verifiedDenial(res, RRType.NSEC3, ZONE, parent.dnskeys);
    const v = proveNoDs(n('deleg.example.'), ZONE, nsec3s, budget());
    assert.equal(v.status, 'insecure', v.reason);
    assert.equal(v.delegation, true);
    const ds = proof('deleg.example.', RRType.DS);
    assert.equal(proveNodata(n('deleg.example.'), RRType.DS, ZONE, ds.nsec3s, budget()).status, 'secure');
    assert.equal(proveNoDs(n('deleg.example.'), ZONE, ds.nsec3s, budget()).status, 'insecure');
  });
  it('a signed delegation, and the child apex NSEC3 (SOA bit): bogus', () => {
    const signedCut = proveNoDs(n('sdeleg.example.'), ZONE, [matching('sdeleg.example.')], budget());
    assert.equal(signedCut.status, 'bogus');
    assert.match(signedCut.reason, /lists DS/);
    // The child answers a DS query at its apex itself (when the server has no parent zone): NODATA, apex NSEC3.
    const { nsec3s } = proof('sdeleg.example.', RRType.DS, Rcode.NOERROR, new ZoneSet([nsec3Child.zone]), nsec3Child);
    assert.equal(nsec3s.length, 1);
    assert.ok((nsec3s[0].data as Nsec3Data).types.includes(RRType.SOA));
    const v = proveNoDs(n('sdeleg.example.'), ZONE, nsec3s, budget());
    assert.equal(v.status, 'bogus', 'an NSEC3 of the child zone is not a record of the parent');
    assert.equal(v.ede, EDE.NSEC_MISSING);
    assert.equal(proveNoDs(n('sdeleg.example.'), nsec3Child.origin, nsec3s, budget()).status, 'bogus');
    // Even passed off as a parent record, its SOA bit gives it away.
    const asParent = { ...nsec3s[0], name: n(`${nsec3s[0].name.label(0)}.example.`) };
    const w = proveNoDs(n('sdeleg.example.'), ZONE, [asParent], budget());
    assert.equal(w.status, 'bogus');
    assert.match(w.reason, /child zone/);
  });
  it('no zone cut: secure, delegation false', () => {
    const v = proveNoDs(n('a.example.'), ZONE, [matching('a.example.')], budget());
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.delegation, false);
    const { nsec3s } = proof('c.example.', RRType.DS, Rcode.NXDOMAIN);
    const w = proveNoDs(n('c.example.'), ZONE, nsec3s, budget());
    assert.equal(w.status, 'secure', w.reason);
    assert.equal(w.delegation, false);
  });
});

/**
 * The parent zone re-chained with Opt-Out (RFC 5155 6): the unsigned delegation deleg.example. loses its NSEC3,
 * every NSEC3 gets the Opt-Out flag and is re-signed with the zone's key.
 */
function optOutVariant(): Signed {
  const zsk = key(13, 'zsk');
  const kept = allNsec3(parent.records).filter((r) => !r.name.equals(matching('deleg.example.').name));
  const sorted = kept.map((r) => ({ r, h: fromBase32Hex(r.name.label(0)) })).sort((x, y) => compareBytes(x.h, y.h));
  const chain: RR[] = sorted.map(({ r }, i) => ({
    ...r,
    data: { ...(r.data as Nsec3Data), flags: 1, nextHashed: sorted[(i + 1) % sorted.length].h },
  }));
  const rest = parent.records.filter(
    (r) =>
      r.type !== RRType.NSEC3 &&
      !(r.type === RRType.RRSIG && (r.data as { typeCovered: number }).typeCovered === RRType.NSEC3),
  );
  const sigs = chain.map((r) => signRRset([r], zsk, ZONE, INCEPTION, EXPIRATION));
  const records = [...rest, ...chain, ...sigs];
  return { ...parent, records, zone: Zone.build(ZONE, records) };
}

describe('NSEC3: Opt-Out (RFC 5155 6, 8.6)', () => {
  const opt = optOutVariant();
  const optZones = new ZoneSet([opt.zone, child.zone]);
  it('an unsigned delegation in an Opt-Out span: insecure', () => {
    const res = ask(optZones, 'www.deleg.example.', RRType.A);
    const nsec3s = verifiedDenial(res, RRType.NSEC3, ZONE, opt.dnskeys);
    const v = proveNoDs(n('deleg.example.'), ZONE, nsec3s, budget());
    assert.equal(v.status, 'insecure', v.reason);
    const ds = proof('deleg.example.', RRType.DS, Rcode.NOERROR, optZones, opt);
    const w = proveNodata(n('deleg.example.'), RRType.DS, ZONE, ds.nsec3s, budget());
    assert.equal(w.status, 'insecure', w.reason);
  });
  it('without the Opt-Out flag the same records do not prove anything for DS', () => {
    const res = ask(optZones, 'www.deleg.example.', RRType.A);
    const nsec3s = verifiedDenial(res, RRType.NSEC3, ZONE, opt.dnskeys).map((r) => ({
      ...r,
      data: { ...(r.data as Nsec3Data), flags: 0 },
    }));
    assert.equal(proveNodata(n('deleg.example.'), RRType.DS, ZONE, nsec3s, budget()).status, 'bogus');
    const v = proveNoDs(n('deleg.example.'), ZONE, nsec3s, budget());
    assert.equal(v.status, 'secure', 'without Opt-Out the name is proven not to exist');
    assert.equal(v.delegation, false);
  });
  it('NXDOMAIN whose next closer name is in an Opt-Out span: insecure', () => {
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN, optZones, opt);
    const v = proveNxdomain(n('c.example.'), ZONE, nsec3s, budget());
    assert.equal(v.status, 'insecure', v.reason);
    assert.equal(v.ede, undefined);
  });
});

describe('NSEC3: RFC 9276 iterations and the hash budget', () => {
  const withIterations = (iterations: number) => {
    const z = signText('example.', PARENT_TEXT, {
      keys: [key(13, 'csk', 2)],
      denial: { kind: 'nsec3', iterations },
    });
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN, new ZoneSet([z.zone]), z);
    return nsec3s;
  };
  it('150 iterations: insecure with EDE 27, without hashing anything', () => {
    const nsec3s = withIterations(150);
    assert.equal((nsec3s[0].data as Nsec3Data).iterations, 150);
    const b = budget();
    const v = proveNxdomain(n('c.example.'), ZONE, nsec3s, b);
    assert.equal(v.status, 'insecure');
    assert.equal(v.ede, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    assert.equal(b.nsec3Hashes, 0);
    assert.equal(proveNoDs(n('c.example.'), ZONE, nsec3s, budget()).status, 'insecure');
  });
  it('above 150 iterations: still insecure by default (like Unbound and Knot); bogus only when configured', () => {
    const nsec3s = withIterations(151);
    const dflt = proveNxdomain(n('c.example.'), ZONE, nsec3s, budget());
    assert.equal(dflt.status, 'insecure');
    assert.equal(dflt.ede, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    const v = proveNxdomain(n('c.example.'), ZONE, nsec3s, new ValidationBudget({ maxNsec3IterationsBogus: 150 }));
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    const lax = new ValidationBudget({ maxNsec3Iterations: 200, maxNsec3IterationsBogus: 500 });
    assert.equal(proveNxdomain(n('c.example.'), ZONE, nsec3s, lax).status, 'secure');
    const one = withIterations(1);
    assert.equal(proveNxdomain(n('c.example.'), ZONE, one, budget()).status, 'secure');
    const strict = new ValidationBudget({ maxNsec3Iterations: 0 });
    assert.equal(proveNxdomain(n('c.example.'), ZONE, one, strict).status, 'insecure');
  });
  it('a deep query name exhausts the per-request hash budget: bogus, EDE 27', () => {
    const deep = `${'a.'.repeat(100)}c.example.`;
    const { nsec3s } = proof(deep, RRType.A, Rcode.NXDOMAIN);
    const b = budget();
    const verdicts = Array.from({ length: 7 }, () => proveNxdomain(n(deep), ZONE, nsec3s, b));
    assert.equal(verdicts[0].status, 'secure', verdicts[0].reason);
    const last = verdicts[verdicts.length - 1];
    assert.equal(last.status, 'bogus');
    assert.equal(last.ede, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    assert.match(last.reason, new RegExp(BUDGET_EXCEEDED));
    assert.equal(b.nsec3Hashes, 600, 'hashing stops at the budget');
    assert.ok(b.exhausted);
    const small = new ValidationBudget({ maxNsec3Hashes: 10 });
    assert.match(proveNxdomain(n(deep), ZONE, nsec3s, small).reason, new RegExp(BUDGET_EXCEEDED));
    assert.equal(small.nsec3Hashes, 10);
  });
  it('more than 10 NSEC3 records for one proof: bogus, EDE 27, no hashing', () => {
    const all = allNsec3(parent.records);
    assert.ok(all.length > 10);
    const b = budget();
    const v = proveNxdomain(n('c.example.'), ZONE, all, b);
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.UNSUPPORTED_NSEC3_ITERATIONS);
    assert.match(v.reason, new RegExp(BUDGET_EXCEEDED));
    assert.equal(b.nsec3Hashes, 0);
  });
  it('an unknown hash algorithm only: insecure', () => {
    const { nsec3s } = proof('c.example.', RRType.A, Rcode.NXDOMAIN);
    const unknown = nsec3s.map((r) => ({ ...r, data: { ...(r.data as Nsec3Data), hashAlgorithm: 2 } }));
    const v = proveNxdomain(n('c.example.'), ZONE, unknown, budget());
    assert.equal(v.status, 'insecure', v.reason);
    assert.equal(proveNodata(n('a.example.'), RRType.MX, ZONE, unknown, budget()).status, 'insecure');
  });
  it('never throws on hostile records', () => {
    const junk: RR = { ...matching('a.example.'), data: { raw: new Uint8Array(2) } as unknown as Nsec3Data };
    const badOwner: RR = { ...matching('a.example.'), name: n('not-base32!.example.') };
    const b = budget();
    assert.equal(proveNxdomain(n('c.example.'), ZONE, [junk, badOwner], b).status, 'bogus');
    assert.equal(proveNodata(n('a.example.'), RRType.MX, ZONE, [junk], b).status, 'bogus');
    assert.equal(proveNoDs(n('example.'), ZONE, [], b).status, 'bogus');
    assert.equal(proveNxdomain(n('example.'), ZONE, [], b).status, 'bogus');
  });
});

// ---- RFC 5155 Appendix B responses -----------------------------------------------------------

interface Nsec3Case {
  id: string;
  query: { name: string; type: string };
  expect: 'secure' | 'insecure';
  answer: string[];
  authority: string[];
}
const vectors = JSON.parse(readFileSync('test/data/dnssec-vectors/vectors.json', 'utf8')) as {
  nsec3_responses: { trust_anchor: string; dnskey_rrset: string[]; validate_at: number; cases: Nsec3Case[] };
};
const B = vectors.nsec3_responses;
const EXAMPLE = n('example.');

describe('NSEC3: RFC 5155 Appendix B', () => {
  const keyRecords = B.dnskey_rrset.map((t) => parseRR(t));
  const anchor = parseRR(B.trust_anchor, { defaultTtl: 3600 }).data as DnskeyData;
  const keySet = verifyDnskeySet(keyRecords, keyRecords, { dnskeys: [anchor] }, EXAMPLE, B.validate_at, budget());
  it('the example. DNSKEY RRset validates from the trust anchor (RSASHA1-NSEC3-SHA1)', () => {
    assert.equal(keySet.status, 'secure', keySet.reason);
    assert.equal(keySet.keys.length, 2);
    const strict = verifyDnskeySet(keyRecords, keyRecords, { dnskeys: [anchor] }, EXAMPLE, B.validate_at, budget(), {
      sha1Insecure: true,
    });
    assert.equal(strict.status, 'insecure', 'RFC 9905: algorithm 7 treated as unsupported');
  });

  /** The verified NSEC3 records of a case's authority section, and the case's answer RRsets verified. */
  function load(c: Nsec3Case, b: ValidationBudget): { nsec3s: RR[]; answer: RR[] } {
    const authority = c.authority.map((t) => parseRR(t));
    const answer = c.answer.map((t) => parseRR(t));
    const nsec3s = authority.filter((r) => r.type === RRType.NSEC3);
    for (const r of nsec3s) {
      const v = verifyRRset([r], authority, keySet.keys, EXAMPLE, B.validate_at, b);
      assert.equal(v.status, 'secure', `${c.id} ${r.name}: ${v.reason}`);
    }
    return { nsec3s, answer };
  }

  for (const c of B.cases) {
    it(`${c.id}: ${c.query.name} ${c.query.type} is ${c.expect}`, () => {
      const b = budget();
      const { nsec3s, answer } = load(c, b);
      const qname = n(c.query.name);
      const qtype = RRType[c.query.type as keyof typeof RRType];
      let v: { status: string; reason: string };
      switch (c.id) {
        case 'rfc5155-B.1':
          v = proveNxdomain(qname, EXAMPLE, nsec3s, b);
          break;
        case 'rfc5155-B.2':
        case 'rfc5155-B.2.1':
        case 'rfc5155-B.5':
          v = proveNodata(qname, qtype, EXAMPLE, nsec3s, b);
          break;
        case 'rfc5155-B.3':
          v = proveNoDs(n('c.example.'), EXAMPLE, nsec3s, b);
          break;
        case 'rfc5155-B.4': {
          const rrs = answer.filter((r) => r.type === qtype);
          const expansion = verifyRRset(rrs, answer, keySet.keys, EXAMPLE, B.validate_at, b);
          assert.equal(expansion.status, 'secure', expansion.reason);
          assert.equal(expansion.wildcard?.source.toString(), '*.w.example.');
          assert.equal(expansion.wildcard?.nextCloser.toString(), 'z.w.example.');
          v = proveWildcardAnswer(qname, expansion.wildcard!.source, EXAMPLE, nsec3s, b);
          break;
        }
        default:
          throw new Error(`unexpected case ${c.id}`);
      }
      assert.equal(v.status, c.expect, `${c.id}: ${v.reason}`);
    });
  }
  it('B.1 with the Opt-Out flag cleared would be secure (the flag alone makes it insecure)', () => {
    const c = B.cases.find((x) => x.id === 'rfc5155-B.1')!;
    const { nsec3s } = load(c, budget());
    const cleared = nsec3s.map((r) => ({ ...r, data: { ...(r.data as Nsec3Data), flags: 0 } }));
    const v = proveNxdomain(n(c.query.name), EXAMPLE, cleared, budget());
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.closestEncloser?.toString(), 'x.w.example.');
  });
  it('B.2 read as a question for a type the NSEC3 lists is bogus', () => {
    const c = B.cases.find((x) => x.id === 'rfc5155-B.2')!;
    const { nsec3s } = load(c, budget());
    assert.equal(proveNodata(n('ns1.example.'), RRType.A, EXAMPLE, nsec3s, budget()).status, 'bogus');
  });
});
