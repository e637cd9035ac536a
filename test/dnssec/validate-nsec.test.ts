import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  nsecCovers,
  nsecMatches,
  proveNoDs,
  proveNodata,
  proveNxdomain,
  proveWildcardAnswer,
} from '../../src/dnssec/validate/nsec.js';
import { EDE, type Message, Name, type NsecData, Rcode, type RR, RRType } from '../../src/wire/index.js';
import { ask, n, parentAndChild, rrsetOf, verifiedDenial, verifyFrom } from './validate-helpers.js';

const { parent, child, zones } = parentAndChild(13, { kind: 'nsec' });
const ZONE = parent.origin;

/** The verified NSEC records of the response to (name, type), checking its rcode. */
function proof(name: string, type: number, rcode: number = Rcode.NOERROR): { res: Message; nsecs: RR[] } {
  const res = ask(zones, name, type);
  assert.equal(res.rcode, rcode, `rcode of ${name}`);
  return { res, nsecs: verifiedDenial(res, RRType.NSEC, ZONE, parent.dnskeys) };
}

/** The zone's own NSEC record at `owner`. */
const nsecAt = (owner: string): RR => rrsetOf(parent.records, owner, RRType.NSEC)[0];

describe('NSEC: nsecCovers and nsecMatches', () => {
  it('covers names strictly between owner and next, in canonical order', () => {
    const a = nsecAt('a.example.'); // a → x.b
    assert.equal((a.data as NsecData).next.toString(), 'x.b.example.');
    for (const name of ['aa.example.', 'b.example.', 'q.a.example.', 'a.b.example.', 'W.B.EXAMPLE.']) {
      assert.ok(nsecCovers(a, n(name)), name);
    }
    for (const name of ['a.example.', 'x.b.example.', 'example.', 'cn.example.', 'y.b.example.']) {
      assert.ok(!nsecCovers(a, n(name)), name);
    }
    assert.ok(nsecMatches(a, n('A.EXAMPLE.')));
    assert.ok(!nsecMatches(a, n('b.example.')));
  });
  it('the last NSEC wraps to the apex and covers only names inside the zone', () => {
    const last = nsecAt('www.example.');
    assert.equal((last.data as NsecData).next.toString(), 'example.');
    assert.ok(nsecCovers(last, n('zzz.example.')));
    assert.ok(nsecCovers(last, n('a.www.example.')));
    assert.ok(!nsecCovers(last, n('a.example.')));
    assert.ok(!nsecCovers(last, n('zzz.')), 'a name after the zone in canonical order');
    assert.ok(!nsecCovers(last, n('com.')), 'a name before the zone');
  });
  it('a chain of one NSEC covers every name of its zone but the apex', () => {
    const only: RR = { ...nsecAt('example.'), data: { next: n('example.'), types: [2, 6, 46, 47, 48] } };
    assert.ok(nsecCovers(only, n('anything.example.')));
    assert.ok(!nsecCovers(only, n('example.')));
    assert.ok(!nsecCovers(only, n('example.org.')));
  });
  it('never lets a delegation or DNAME NSEC cover names below its owner (RFC 6840 4.1)', () => {
    const deleg = nsecAt('deleg.example.');
    assert.deepEqual((deleg.data as NsecData).types, [RRType.NS, RRType.RRSIG, RRType.NSEC]);
    assert.ok(!nsecCovers(deleg, n('www.deleg.example.')));
    assert.ok(nsecCovers(deleg, n('delegz.example.')), 'names after the cut but not below it');
    const dn = nsecAt('dn.example.');
    assert.ok(!nsecCovers(dn, n('x.dn.example.')));
    const apex = nsecAt('example.');
    assert.ok(nsecCovers(apex, n('0.example.')), 'the apex (NS and SOA) covers names below it');
  });
  it('ignores records that are not NSEC', () => {
    const soa = rrsetOf(parent.records, 'example.', RRType.SOA)[0];
    assert.ok(!nsecCovers(soa, n('b.example.')));
    assert.ok(!nsecMatches(soa, n('example.')));
  });
});

describe('NSEC: NXDOMAIN (RFC 4035 5.4)', () => {
  it('the name and the wildcard at the closest encloser are covered', () => {
    for (const [qname, ce] of [
      ['c.example.', 'example.'],
      ['q.r.x.b.example.', 'x.b.example.'],
      ['zz.example.', 'example.'],
      ['deep.under.a.example.', 'a.example.'],
      ['q.b.example.', 'b.example.'],
    ]) {
      const { nsecs } = proof(qname, RRType.A, Rcode.NXDOMAIN);
      const v = proveNxdomain(n(qname), ZONE, nsecs);
      assert.equal(v.status, 'secure', `${qname}: ${v.reason}`);
      assert.equal(v.closestEncloser?.toString(), ce, qname);
    }
  });
  it('a missing NSEC is bogus with EDE 12', () => {
    const { nsecs } = proof('c.example.', RRType.A, Rcode.NXDOMAIN);
    const withoutWildcardProof = nsecs.filter((r) => !r.name.equals(ZONE));
    assert.equal(withoutWildcardProof.length, nsecs.length - 1);
    const v = proveNxdomain(n('c.example.'), ZONE, withoutWildcardProof);
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.NSEC_MISSING);
    const w = proveNxdomain(
      n('c.example.'),
      ZONE,
      nsecs.filter((r) => r.name.equals(ZONE)),
    );
    assert.equal(w.ede, EDE.NSEC_MISSING);
    assert.equal(proveNxdomain(n('c.example.'), ZONE, []).ede, EDE.NSEC_MISSING);
  });
  it('existing names, empty non-terminals and names the wildcard matches are not NXDOMAIN', () => {
    assert.equal(proveNxdomain(n('a.example.'), ZONE, [nsecAt('a.example.')]).status, 'bogus');
    assert.equal(proveNxdomain(n('b.example.'), ZONE, [nsecAt('a.example.'), nsecAt('example.')]).status, 'bogus');
    const { nsecs } = proof('foo.w.example.', RRType.A); // wildcard NODATA: its NSEC matches *.w.example
    assert.equal(proveNxdomain(n('foo.w.example.'), ZONE, nsecs).status, 'bogus');
  });
  it('a delegation or DNAME NSEC cannot deny names below it (RFC 6840 4.1)', () => {
    const wildcardProof = nsecAt('example.');
    const v = proveNxdomain(n('www.deleg.example.'), ZONE, [nsecAt('deleg.example.'), wildcardProof]);
    assert.equal(v.status, 'bogus');
    assert.equal(v.ede, EDE.NSEC_MISSING);
    assert.equal(proveNxdomain(n('x.dn.example.'), ZONE, [nsecAt('dn.example.'), wildcardProof]).status, 'bogus');
  });
  it('NSEC records of another zone are ignored', () => {
    const childNsecs = child.records.filter((r) => r.type === RRType.NSEC);
    assert.equal(proveNxdomain(n('c.example.'), ZONE, childNsecs).ede, EDE.NSEC_MISSING);
    assert.equal(proveNxdomain(n('c.example.'), n('example.org.'), []).status, 'bogus');
  });
});

describe('NSEC: NODATA', () => {
  it('the NSEC of the name lacks the type and CNAME', () => {
    for (const [qname, qtype] of [
      ['a.example.', RRType.TXT],
      ['www.example.', RRType.MX],
      ['example.', RRType.TXT],
    ] as const) {
      const { res, nsecs } = proof(qname, qtype);
      assert.equal(res.answers.length, 0);
      const v = proveNodata(n(qname), qtype, ZONE, nsecs);
      assert.equal(v.status, 'secure', `${qname}: ${v.reason}`);
    }
  });
  it('an empty non-terminal: the NSEC covering it has a next name below it', () => {
    const { nsecs } = proof('b.example.', RRType.A);
    const v = proveNodata(n('b.example.'), RRType.A, ZONE, nsecs);
    assert.equal(v.status, 'secure', v.reason);
    assert.match(v.reason, /empty non-terminal/);
  });
  it('wildcard NODATA: the name is covered and the wildcard lacks the type', () => {
    const { nsecs } = proof('foo.w.example.', RRType.A);
    const v = proveNodata(n('foo.w.example.'), RRType.A, ZONE, nsecs);
    assert.equal(v.status, 'secure', v.reason);
    assert.equal(v.closestEncloser?.toString(), 'w.example.');
    assert.equal(proveNodata(n('foo.w.example.'), RRType.TXT, ZONE, nsecs).status, 'bogus');
  });
  it('the type (or a CNAME) at the name is no NODATA (RFC 6840 4.3)', () => {
    assert.equal(proveNodata(n('www.example.'), RRType.A, ZONE, [nsecAt('www.example.')]).status, 'bogus');
    const v = proveNodata(n('cn.example.'), RRType.TXT, ZONE, [nsecAt('cn.example.')]);
    assert.equal(v.status, 'bogus');
    assert.match(v.reason, /CNAME/);
  });
  it('a delegation NSEC denies only DS; a child apex NSEC never denies DS', () => {
    const deleg = nsecAt('deleg.example.');
    assert.equal(proveNodata(n('deleg.example.'), RRType.A, ZONE, [deleg]).status, 'bogus');
    assert.equal(proveNodata(n('deleg.example.'), RRType.DS, ZONE, [deleg]).status, 'secure');
    const childApex = rrsetOf(child.records, 'sdeleg.example.', RRType.NSEC);
    assert.equal(proveNodata(n('sdeleg.example.'), RRType.DS, child.origin, childApex).status, 'bogus');
  });
  it('no NSEC at all: EDE 12', () => {
    const v = proveNodata(n('a.example.'), RRType.TXT, ZONE, []);
    assert.equal(v.ede, EDE.NSEC_MISSING);
    const nxNsecs = proof('c.example.', RRType.A, Rcode.NXDOMAIN).nsecs;
    assert.equal(proveNodata(n('c.example.'), RRType.A, ZONE, nxNsecs).status, 'bogus', 'NXDOMAIN is not NODATA');
  });
});

describe('NSEC: wildcard answers (RFC 4035 5.3.4)', () => {
  it('an expanded answer with the NSEC proving no closer match', () => {
    for (const qname of ['foo.w.example.', 'a.foo.w.example.']) {
      const res = ask(zones, qname, RRType.TXT);
      const answer = verifyFrom(res.answers, qname, RRType.TXT, parent);
      assert.equal(answer.status, 'secure', answer.reason);
      const source = answer.wildcard!.source;
      const nsecs = verifiedDenial(res, RRType.NSEC, ZONE, parent.dnskeys);
      const v = proveWildcardAnswer(n(qname), source, nsecs);
      assert.equal(v.status, 'secure', `${qname}: ${v.reason}`);
      assert.equal(v.closestEncloser?.toString(), 'w.example.');
      assert.equal(proveWildcardAnswer(n(qname), source, []).ede, EDE.NSEC_MISSING);
    }
  });
  it('rejects an expansion of a wildcard farther than the closest encloser', () => {
    const res = ask(zones, 'foo.w.example.', RRType.TXT);
    const nsecs = verifiedDenial(res, RRType.NSEC, ZONE, parent.dnskeys);
    assert.equal(proveWildcardAnswer(n('foo.w.example.'), n('*.example.'), nsecs).status, 'bogus');
  });
  it('rejects an expansion onto an existing name or an empty non-terminal', () => {
    assert.equal(proveWildcardAnswer(n('www.example.'), n('*.example.'), [nsecAt('www.example.')]).status, 'bogus');
    assert.equal(proveWildcardAnswer(n('b.example.'), n('*.example.'), [nsecAt('a.example.')]).status, 'bogus');
  });
  it('rejects sources that are not wildcards above the name', () => {
    const nsecs = [nsecAt('*.w.example.')];
    assert.equal(proveWildcardAnswer(n('foo.w.example.'), n('w.example.'), nsecs).status, 'bogus');
    assert.equal(proveWildcardAnswer(n('foo.w.example.'), n('*.a.example.'), nsecs).status, 'bogus');
    assert.equal(proveWildcardAnswer(n('w.example.'), n('*.w.example.'), nsecs).status, 'bogus');
  });
});

describe('NSEC: no DS', () => {
  it('a referral to an unsigned delegation proves it insecure', () => {
    const res = ask(zones, 'www.deleg.example.', RRType.A);
    assert.ok(!res.aa);
    const nsecs = verifiedDenial(res, RRType.NSEC, ZONE, parent.dnskeys);
    const v = proveNoDs(n('deleg.example.'), nsecs);
    assert.equal(v.status, 'insecure', v.reason);
    assert.equal(v.delegation, true);
  });
  it('a DS query at the unsigned delegation: NODATA from the parent, the same proof', () => {
    const { nsecs } = proof('deleg.example.', RRType.DS);
    assert.equal(proveNodata(n('deleg.example.'), RRType.DS, ZONE, nsecs).status, 'secure');
    assert.equal(proveNoDs(n('deleg.example.'), nsecs).status, 'insecure');
  });
  it('the NSEC of a signed delegation lists DS: bogus', () => {
    const v = proveNoDs(n('sdeleg.example.'), [nsecAt('sdeleg.example.')]);
    assert.equal(v.status, 'bogus');
    assert.match(v.reason, /lists DS/);
  });
  it('the child apex NSEC (SOA bit) cannot prove there is no DS', () => {
    const childOnly = new ZoneSet([child.zone]);
    const res = ask(childOnly, 'sdeleg.example.', RRType.DS);
    assert.equal(res.answers.length, 0, 'the child answers NODATA for DS at its apex');
    const nsecs = verifiedDenial(res, RRType.NSEC, child.origin, child.dnskeys);
    assert.ok((nsecs[0].data as NsecData).types.includes(RRType.SOA));
    const v = proveNoDs(n('sdeleg.example.'), nsecs);
    assert.equal(v.status, 'bogus');
    assert.match(v.reason, /child zone/);
  });
  it('names without a zone cut: secure, delegation false', () => {
    for (const [name, nsecs] of [
      ['a.example.', [nsecAt('a.example.')]],
      ['c.example.', [nsecAt('x.b.example.')]],
      ['b.example.', [nsecAt('a.example.')]],
    ] as const) {
      const v = proveNoDs(n(name), nsecs);
      assert.equal(v.status, 'secure', `${name}: ${v.reason}`);
      assert.equal(v.delegation, false);
    }
  });
  it('names below a delegation or a DNAME, or no NSEC at all: bogus', () => {
    assert.equal(proveNoDs(n('sub.deleg.example.'), [nsecAt('deleg.example.')]).status, 'bogus');
    assert.equal(proveNoDs(n('sub.dn.example.'), [nsecAt('dn.example.')]).status, 'bogus');
    assert.equal(proveNoDs(n('deleg.example.'), []).ede, EDE.NSEC_MISSING);
  });
});

describe('NSEC: hostile input', () => {
  it('never throws', () => {
    const junk: RR = { ...nsecAt('a.example.'), data: { next: 'x' } as unknown as NsecData };
    const weird: RR = { ...nsecAt('a.example.'), data: { raw: new Uint8Array(3) } as unknown as NsecData };
    for (const list of [[junk], [weird], [junk, weird, nsecAt('a.example.')]]) {
      assert.equal(proveNxdomain(n('c.example.'), ZONE, list).status, 'bogus');
      assert.equal(proveNodata(n('a.example.'), RRType.TXT, ZONE, [junk, weird]).status, 'bogus');
      assert.equal(proveWildcardAnswer(n('c.w.example.'), n('*.w.example.'), list).status, 'bogus');
      assert.equal(proveNoDs(n('deleg.example.'), list).status, 'bogus');
    }
    assert.equal(proveNxdomain(Name.ROOT, ZONE, []).status, 'bogus');
  });
});
