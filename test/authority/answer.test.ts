import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { answer, isRequiredGlue } from '../../src/authority/answer.js';
import { Zone } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  type Message,
  makeQuery,
  Name,
  newMessage,
  Opcode,
  Rcode,
  type RR,
  RRType,
  type RrsigData,
  rrToText,
  toBase32Hex,
} from '../../src/wire/index.js';

const n = (s: string) => Name.fromText(s);

function zone(text: string, origin: string): Zone {
  return Zone.fromParsed(parseZoneFile(text, { origin, file: `${origin}zone` }));
}

const EXAMPLE = `$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
@ NS ns2.example.net.
@ MX 10 mail
@ MX 20 mail.example.net.
ns1 A 192.0.2.1
ns1 AAAA 2001:db8::1
mail A 192.0.2.25
www A 192.0.2.80
alias CNAME www
chain1 CNAME chain2
chain2 CNAME www
loop1 CNAME loop2
loop2 CNAME loop1
dangling CNAME nothere
out CNAME www.example.net.
tochild CNAME www.child
todeleg CNAME host.deleg
_sip._tcp SRV 0 5 5060 sip
sip AAAA 2001:db8::5
*.wild TXT "wild"
*.wild MX 10 mail
*.cwild CNAME www
a.b.c TXT "deep"
*.c A 192.0.2.99
dn DNAME example.org.
long DNAME ${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.
deleg NS ns.deleg
deleg NS ns1
deleg NS ns.other.net.
ns.deleg A 192.0.2.53
ns.deleg AAAA 2001:db8::53
child NS ns.child
ns.child A 192.0.2.54
child DS 12345 8 2 0123456789ABCDEF
`;
const CHILD = `$TTL 600
@ SOA ns host 1 2 3 4 60
@ NS ns
ns A 192.0.2.54
www A 192.0.2.81
`;
const ORG = `$TTL 900
@ SOA ns.example. host 1 2 3 4 900
@ NS ns.example.
www A 192.0.2.90
`;

const zones = new ZoneSet([zone(EXAMPLE, 'example.'), zone(CHILD, 'child.example.'), zone(ORG, 'example.org.')]);

interface AskOptions {
  do?: boolean;
  edns?: boolean;
  authorityNs?: boolean;
}
function ask(set: ZoneSet, name: string, type: number, o: AskOptions = {}): Message {
  const q = makeQuery(n(name), type, { id: 4242, rd: true, dnssecOk: o.do ?? false, edns: o.edns ?? true });
  return answer(set, q, { authorityNs: o.authorityNs ?? false });
}
const lines = (rrs: RR[]) => rrs.map(rrToText).sort();
/** Presentation text with single spaces, as rrToText writes it (tabs between the first five fields). */
const rr = (text: string) => {
  const f = text.split(' ');
  return [...f.slice(0, 4), f.slice(4).join(' ')].join('\t');
};

function check(
  res: Message,
  want: { rcode?: number; aa: boolean; answer?: string[]; authority?: string[]; additional?: string[] },
) {
  assert.equal(res.rcode, want.rcode ?? Rcode.NOERROR, 'rcode');
  assert.equal(res.aa, want.aa, 'aa');
  assert.deepEqual(lines(res.answers), (want.answer ?? []).map(rr).sort(), 'answer');
  assert.deepEqual(lines(res.authorities), (want.authority ?? []).map(rr).sort(), 'authority');
  assert.deepEqual(lines(res.additionals), (want.additional ?? []).map(rr).sort(), 'additional');
}

const SOA_NEG = 'example. 300 IN SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300';

describe('answer: header, question and EDNS', () => {
  it('copies ID, RD, CD and the question; sets QR and AA; echoes EDNS', () => {
    const q = makeQuery(n('WWW.example.'), RRType.A, { id: 777, rd: true, cd: true, udpSize: 4096, dnssecOk: true });
    const res = answer(zones, q);
    assert.equal(res.id, 777);
    assert.ok(res.qr && res.rd && res.cd && res.aa);
    assert.ok(!res.ra && !res.ad && !res.tc);
    assert.deepEqual(res.questions, q.questions);
    assert.deepEqual(res.edns, { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] });
    assert.deepEqual(lines(res.answers), [rr('WWW.example. 3600 IN A 192.0.2.80')], 'the owner echoes the question');
  });
  it('answers without EDNS when the query has none', () => {
    const res = ask(zones, 'www.example.', RRType.A, { edns: false });
    assert.equal(res.edns, undefined);
    assert.equal(res.answers.length, 1);
  });
  it('BADVERS for EDNS versions above 0', () => {
    const q = makeQuery(n('www.example.'), RRType.A);
    q.edns!.version = 1;
    const res = answer(zones, q);
    assert.equal(res.rcode, Rcode.BADVERS);
    assert.equal(res.edns?.version, 0);
    assert.equal(res.answers.length, 0);
  });
  it('NOTIMP for opcodes other than QUERY', () => {
    for (const opcode of [Opcode.STATUS, Opcode.NOTIFY, Opcode.UPDATE, 3]) {
      const q = makeQuery(n('www.example.'), RRType.A, { id: 5 });
      q.opcode = opcode;
      const res = answer(zones, q);
      assert.equal(res.rcode, Rcode.NOTIMP);
      assert.equal(res.opcode, opcode);
      assert.equal(res.id, 5);
      assert.ok(res.qr);
    }
  });
  it('FORMERR for no question or several', () => {
    assert.equal(answer(zones, newMessage({ id: 1 })).rcode, Rcode.FORMERR);
    const two = makeQuery(n('www.example.'), RRType.A);
    two.questions.push({ name: n('mail.example.'), type: RRType.A, class: 1 });
    const res = answer(zones, two);
    assert.equal(res.rcode, Rcode.FORMERR);
    assert.equal(res.answers.length, 0);
  });
  it('REFUSED outside every zone, for another class and for transfers', () => {
    check(ask(zones, 'www.example.com.', RRType.A), { rcode: Rcode.REFUSED, aa: false });
    check(ask(zones, '.', RRType.NS), { rcode: Rcode.REFUSED, aa: false });
    const ch = makeQuery(n('version.bind.'), RRType.TXT);
    ch.questions[0].class = 3;
    assert.equal(answer(zones, ch).rcode, Rcode.REFUSED);
    check(ask(zones, 'example.', RRType.AXFR), { rcode: Rcode.REFUSED, aa: false });
  });
});

describe('answer: authoritative data', () => {
  it('exact match', () => {
    check(ask(zones, 'www.example.', RRType.A), { aa: true, answer: ['www.example. 3600 IN A 192.0.2.80'] });
  });
  it('NS at the apex with the in-zone addresses', () => {
    check(ask(zones, 'example.', RRType.NS), {
      aa: true,
      answer: ['example. 3600 IN NS ns1.example.', 'example. 3600 IN NS ns2.example.net.'],
      additional: ['ns1.example. 3600 IN A 192.0.2.1', 'ns1.example. 3600 IN AAAA 2001:db8::1'],
    });
  });
  it('MX and SRV targets inside the zone get addresses', () => {
    check(ask(zones, 'example.', RRType.MX), {
      aa: true,
      answer: ['example. 3600 IN MX 10 mail.example.', 'example. 3600 IN MX 20 mail.example.net.'],
      additional: ['mail.example. 3600 IN A 192.0.2.25'],
    });
    check(ask(zones, '_sip._tcp.example.', RRType.SRV), {
      aa: true,
      answer: ['_sip._tcp.example. 3600 IN SRV 0 5 5060 sip.example.'],
      additional: ['sip.example. 3600 IN AAAA 2001:db8::5'],
    });
  });
  it('authorityNs adds the zone NS RRset (classic responses)', () => {
    check(ask(zones, 'www.example.', RRType.A, { authorityNs: true }), {
      aa: true,
      answer: ['www.example. 3600 IN A 192.0.2.80'],
      authority: ['example. 3600 IN NS ns1.example.', 'example. 3600 IN NS ns2.example.net.'],
      additional: ['ns1.example. 3600 IN A 192.0.2.1', 'ns1.example. 3600 IN AAAA 2001:db8::1'],
    });
  });
  it('NODATA with the SOA (TTL = min(TTL, MINIMUM))', () => {
    check(ask(zones, 'www.example.', RRType.TXT), { aa: true, authority: [SOA_NEG] });
  });
  it('NXDOMAIN with the SOA', () => {
    check(ask(zones, 'nothere.example.', RRType.A), { rcode: Rcode.NXDOMAIN, aa: true, authority: [SOA_NEG] });
    check(ask(zones, 'x.www.example.', RRType.A), { rcode: Rcode.NXDOMAIN, aa: true, authority: [SOA_NEG] });
  });
  it('an empty non-terminal exists: NODATA, and it blocks the wildcard above it', () => {
    check(ask(zones, 'b.c.example.', RRType.A), { aa: true, authority: [SOA_NEG] });
    check(ask(zones, 'x.c.example.', RRType.A), { aa: true, answer: ['x.c.example. 3600 IN A 192.0.2.99'] });
    // closest encloser b.c has no wildcard child: *.c does not apply (RFC 4592 3.3.1)
    check(ask(zones, 'y.b.c.example.', RRType.A), { rcode: Rcode.NXDOMAIN, aa: true, authority: [SOA_NEG] });
  });
  it('ANY returns one RRset (RFC 8482), the lowest type', () => {
    check(ask(zones, 'ns1.example.', RRType.ANY, { authorityNs: true }), {
      aa: true,
      answer: ['ns1.example. 3600 IN A 192.0.2.1'],
    });
    check(ask(zones, 'foo.wild.example.', RRType.ANY), {
      aa: true,
      answer: ['foo.wild.example. 3600 IN MX 10 mail.example.'],
      additional: ['mail.example. 3600 IN A 192.0.2.25'],
    });
  });
  it('does not repeat answer records in the additional section', () => {
    check(ask(zones, 'ns1.example.', RRType.A, { authorityNs: true }), {
      aa: true,
      answer: ['ns1.example. 3600 IN A 192.0.2.1'],
      authority: ['example. 3600 IN NS ns1.example.', 'example. 3600 IN NS ns2.example.net.'],
      additional: ['ns1.example. 3600 IN AAAA 2001:db8::1'],
    });
  });
});

describe('answer: CNAME and DNAME', () => {
  it('follows a CNAME inside the zone', () => {
    check(ask(zones, 'alias.example.', RRType.A), {
      aa: true,
      answer: ['alias.example. 3600 IN CNAME www.example.', 'www.example. 3600 IN A 192.0.2.80'],
    });
    check(ask(zones, 'chain1.example.', RRType.A), {
      aa: true,
      answer: [
        'chain1.example. 3600 IN CNAME chain2.example.',
        'chain2.example. 3600 IN CNAME www.example.',
        'www.example. 3600 IN A 192.0.2.80',
      ],
    });
  });
  it('answers the CNAME itself for qtype CNAME', () => {
    check(ask(zones, 'alias.example.', RRType.CNAME), {
      aa: true,
      answer: ['alias.example. 3600 IN CNAME www.example.'],
    });
  });
  it('NODATA and NXDOMAIN at the end of a chain (RFC 6604)', () => {
    check(ask(zones, 'alias.example.', RRType.TXT), {
      aa: true,
      answer: ['alias.example. 3600 IN CNAME www.example.'],
      authority: [SOA_NEG],
    });
    check(ask(zones, 'dangling.example.', RRType.A), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answer: ['dangling.example. 3600 IN CNAME nothere.example.'],
      authority: [SOA_NEG],
    });
  });
  it('stops at a loop', () => {
    check(ask(zones, 'loop1.example.', RRType.A), {
      aa: true,
      answer: ['loop1.example. 3600 IN CNAME loop2.example.', 'loop2.example. 3600 IN CNAME loop1.example.'],
    });
  });
  it('stops when the chain leaves the served zones', () => {
    check(ask(zones, 'out.example.', RRType.A), { aa: true, answer: ['out.example. 3600 IN CNAME www.example.net.'] });
  });
  it('follows into another zone the server has (a child zone)', () => {
    check(ask(zones, 'tochild.example.', RRType.A), {
      aa: true,
      answer: ['tochild.example. 3600 IN CNAME www.child.example.', 'www.child.example. 600 IN A 192.0.2.81'],
    });
  });
  it('a chain into delegated space ends with the referral', () => {
    check(ask(zones, 'todeleg.example.', RRType.A), {
      aa: true,
      answer: ['todeleg.example. 3600 IN CNAME host.deleg.example.'],
      authority: [
        'deleg.example. 3600 IN NS ns.deleg.example.',
        'deleg.example. 3600 IN NS ns1.example.',
        'deleg.example. 3600 IN NS ns.other.net.',
      ],
      additional: [
        'ns.deleg.example. 3600 IN A 192.0.2.53',
        'ns.deleg.example. 3600 IN AAAA 2001:db8::53',
        'ns1.example. 3600 IN A 192.0.2.1',
        'ns1.example. 3600 IN AAAA 2001:db8::1',
      ],
    });
  });
  it('synthesises a CNAME from a DNAME and follows it (RFC 6672)', () => {
    check(ask(zones, 'www.dn.example.', RRType.A), {
      aa: true,
      answer: [
        'dn.example. 3600 IN DNAME example.org.',
        'www.dn.example. 3600 IN CNAME www.example.org.',
        'www.example.org. 900 IN A 192.0.2.90',
      ],
    });
    check(ask(zones, 'a.b.dn.example.', RRType.A), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answer: ['dn.example. 3600 IN DNAME example.org.', 'a.b.dn.example. 3600 IN CNAME a.b.example.org.'],
      authority: ['example.org. 900 IN SOA ns.example. host.example.org. 1 2 3 4 900'],
    });
  });
  it('the DNAME owner itself is ordinary data', () => {
    check(ask(zones, 'dn.example.', RRType.DNAME), { aa: true, answer: ['dn.example. 3600 IN DNAME example.org.'] });
    check(ask(zones, 'dn.example.', RRType.A), { aa: true, authority: [SOA_NEG] });
  });
  it('YXDOMAIN when the substituted name would be too long', () => {
    const res = ask(zones, `${'q'.repeat(60)}.${'r'.repeat(60)}.long.example.`, RRType.A);
    assert.equal(res.rcode, Rcode.YXDOMAIN);
    assert.ok(res.aa);
    assert.deepEqual(
      res.answers.map((r) => r.type),
      [RRType.DNAME],
    );
  });
});

describe('answer: wildcards (RFC 4592)', () => {
  it('synthesises the query name as owner', () => {
    check(ask(zones, 'foo.wild.example.', RRType.TXT), {
      aa: true,
      answer: ['foo.wild.example. 3600 IN TXT "wild"'],
    });
    check(ask(zones, 'a.b.wild.example.', RRType.TXT), {
      aa: true,
      answer: ['a.b.wild.example. 3600 IN TXT "wild"'],
    });
  });
  it('with additional-section addresses', () => {
    check(ask(zones, 'foo.wild.example.', RRType.MX), {
      aa: true,
      answer: ['foo.wild.example. 3600 IN MX 10 mail.example.'],
      additional: ['mail.example. 3600 IN A 192.0.2.25'],
    });
  });
  it('NODATA through a wildcard', () => {
    check(ask(zones, 'foo.wild.example.', RRType.A), { aa: true, authority: [SOA_NEG] });
  });
  it('a wildcard CNAME is followed', () => {
    check(ask(zones, 'z.cwild.example.', RRType.A), {
      aa: true,
      answer: ['z.cwild.example. 3600 IN CNAME www.example.', 'www.example. 3600 IN A 192.0.2.80'],
    });
  });
  it('the wildcard name itself matches exactly', () => {
    check(ask(zones, '*.wild.example.', RRType.TXT), { aa: true, answer: ['*.wild.example. 3600 IN TXT "wild"'] });
  });
});

describe('answer: delegations', () => {
  it('refers below a cut, without AA, with in-zone glue', () => {
    const want = {
      aa: false,
      authority: [
        'deleg.example. 3600 IN NS ns.deleg.example.',
        'deleg.example. 3600 IN NS ns1.example.',
        'deleg.example. 3600 IN NS ns.other.net.',
      ],
      additional: [
        'ns.deleg.example. 3600 IN A 192.0.2.53',
        'ns.deleg.example. 3600 IN AAAA 2001:db8::53',
        'ns1.example. 3600 IN A 192.0.2.1',
        'ns1.example. 3600 IN AAAA 2001:db8::1',
      ],
    };
    for (const name of ['deleg.example.', 'host.deleg.example.', 'ns.deleg.example.', 'a.b.deleg.example.']) {
      check(ask(zones, name, RRType.A), want);
    }
    check(ask(zones, 'deleg.example.', RRType.NS), want);
  });
  it('answers DS at a delegation point from the parent side', () => {
    check(ask(zones, 'deleg.example.', RRType.DS), { aa: true, authority: [SOA_NEG] });
  });
  it('prefers the child zone it also serves, except for DS at the child apex', () => {
    check(ask(zones, 'www.child.example.', RRType.A), { aa: true, answer: ['www.child.example. 600 IN A 192.0.2.81'] });
    check(ask(zones, 'child.example.', RRType.NS), {
      aa: true,
      answer: ['child.example. 600 IN NS ns.child.example.'],
      additional: ['ns.child.example. 600 IN A 192.0.2.54'],
    });
    check(ask(zones, 'child.example.', RRType.DS), {
      aa: true,
      answer: ['child.example. 3600 IN DS 12345 8 2 0123456789ABCDEF'],
    });
  });
  it('marks in-domain glue as required for truncation (RFC 9471)', () => {
    const res = ask(zones, 'host.deleg.example.', RRType.A);
    const required = isRequiredGlue(res);
    assert.deepEqual(
      res.additionals.map((r) => `${r.name} ${required(r)}`),
      ['ns.deleg.example. true', 'ns.deleg.example. true', 'ns1.example. false', 'ns1.example. false'],
    );
    const pos = ask(zones, 'www.example.', RRType.A, { authorityNs: true });
    assert.ok(pos.additionals.every((r) => !isRequiredGlue(pos)(r)));
  });
  it('refers to the child when only the parent is served', () => {
    const parentOnly = new ZoneSet([zone(EXAMPLE, 'example.')]);
    check(ask(parentOnly, 'www.child.example.', RRType.A), {
      aa: false,
      authority: ['child.example. 3600 IN NS ns.child.example.'],
      additional: ['ns.child.example. 3600 IN A 192.0.2.54'],
    });
  });
});

// ---- DNSSEC ------------------------------------------------------------------------------------

const SIGNED_BASE = `$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
@ DNSKEY 257 3 13 AAAA
ns1 A 192.0.2.1
a A 192.0.2.10
x.b TXT "x"
deleg NS ns.deleg
ns.deleg A 192.0.2.53
sdeleg NS ns.sdeleg.example.net.
sdeleg DS 1 13 2 ABCDEF
*.w TXT "wild"
cn CNAME a
`;

/** Adds placeholder RRSIGs (signature "AAAA") to every authoritative RRset, as a signer would. */
function placeholderSigs(origin: string, records: RR[]): RR[] {
  const o = n(origin);
  const cuts = records.filter((r) => r.type === RRType.NS && !r.name.equals(o)).map((r) => r.name);
  const seen = new Set<string>();
  const out = [...records];
  for (const r of records) {
    const below = cuts.some((c) => r.name.isSubdomainOf(c) && !(r.name.equals(c) && r.type !== RRType.NS));
    if (below || r.type === RRType.RRSIG) continue;
    const key = `${r.name.key}/${r.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const data: RrsigData = {
      typeCovered: r.type,
      algorithm: 13,
      labels: r.name.isWildcard() ? r.name.labelCount - 1 : r.name.labelCount,
      originalTtl: r.ttl,
      expiration: 1893456000,
      inception: 1577836800,
      keyTag: 1,
      signerName: o,
      signature: new Uint8Array([0, 0, 0]),
    };
    out.push({ name: r.name, type: RRType.RRSIG, class: 1, ttl: r.ttl, data });
  }
  return out;
}

function signedZone(text: string): Zone {
  const p = parseZoneFile(text, { origin: 'example.', file: 'signed.zone' });
  return Zone.build(p.origin, placeholderSigs('example.', p.records));
}

// Canonical order: example, a, b (ENT), x.b, cn, deleg, ns.deleg (glue), sdeleg, w (ENT), *.w
const NSEC_ZONE = signedZone(`${SIGNED_BASE}
@ NSEC a NS SOA RRSIG NSEC DNSKEY
a NSEC x.b A RRSIG NSEC
x.b NSEC cn TXT RRSIG NSEC
cn NSEC deleg CNAME RRSIG NSEC
deleg NSEC sdeleg NS RRSIG NSEC
sdeleg NSEC *.w NS DS RRSIG NSEC
*.w NSEC @ TXT RRSIG NSEC
`);
const nsecZones = new ZoneSet([NSEC_ZONE]);

/** "owner TYPE" of each record, RRSIGs as "owner RRSIG(TYPE)", sorted. */
function shape(rrs: RR[]): string[] {
  return rrs
    .map((r) =>
      r.type === RRType.RRSIG
        ? `${r.name} RRSIG(${(r.data as RrsigData).typeCovered})`
        : `${r.name} ${r.type === RRType.NSEC ? 'NSEC' : r.type === RRType.NSEC3 ? 'NSEC3' : r.type}`,
    )
    .sort();
}
const withSig = (owner: string, type: number) => [`${owner} ${type}`, `${owner} RRSIG(${type})`];
const nsec = (owner: string) => [`${owner} NSEC`, `${owner} RRSIG(47)`];
const nsec3 = (owner: string) => [`${owner} NSEC3`, `${owner} RRSIG(50)`];

describe('answer: DNSSEC with NSEC', () => {
  it('adds RRSIGs only with DO', () => {
    assert.deepEqual(shape(ask(nsecZones, 'a.example.', RRType.A, { do: true }).answers), withSig('a.example.', 1));
    assert.deepEqual(shape(ask(nsecZones, 'a.example.', RRType.A).answers), ['a.example. 1']);
    assert.deepEqual(shape(ask(nsecZones, 'a.example.', RRType.A, { edns: false }).answers), ['a.example. 1']);
  });
  it('NXDOMAIN: the NSEC covering the name and the one covering the wildcard', () => {
    const res = ask(nsecZones, 'c.example.', RRType.A, { do: true });
    assert.equal(res.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(
      shape(res.authorities),
      [...withSig('example.', 6), ...nsec('example.'), ...nsec('x.b.example.')].sort(),
    );
    const soaSig = res.authorities.find((r) => r.type === RRType.RRSIG && (r.data as RrsigData).typeCovered === 6)!;
    assert.equal(soaSig.ttl, 300, 'the SOA signature carries the negative TTL too');
  });
  it('NXDOMAIN where one NSEC covers both', () => {
    const res = ask(nsecZones, 'zz.example.', RRType.A, { do: true });
    assert.equal(res.rcode, Rcode.NXDOMAIN);
    // zz > *.w (last) and *.example < a: covered by *.w.example and example.
    assert.deepEqual(
      shape(res.authorities),
      [...withSig('example.', 6), ...nsec('*.w.example.'), ...nsec('example.')].sort(),
    );
    const res2 = ask(nsecZones, 'q.x.b.example.', RRType.A, { do: true });
    assert.deepEqual(shape(res2.authorities), [...withSig('example.', 6), ...nsec('x.b.example.')].sort());
  });
  it('NODATA: the NSEC of the name', () => {
    const res = ask(nsecZones, 'a.example.', RRType.TXT, { do: true });
    assert.equal(res.rcode, Rcode.NOERROR);
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...nsec('a.example.')].sort());
  });
  it('NODATA at an empty non-terminal: the NSEC covering it', () => {
    const res = ask(nsecZones, 'b.example.', RRType.A, { do: true });
    assert.equal(res.rcode, Rcode.NOERROR);
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...nsec('a.example.')].sort());
  });
  it('wildcard answer: signatures renamed, and the NSEC proving the name does not exist', () => {
    const res = ask(nsecZones, 'foo.w.example.', RRType.TXT, { do: true });
    assert.deepEqual(shape(res.answers), withSig('foo.w.example.', 16));
    const sig = res.answers.find((r) => r.type === RRType.RRSIG)!;
    assert.equal((sig.data as RrsigData).labels, 2, 'labels field of the wildcard signature is kept');
    assert.deepEqual(shape(res.authorities), nsec('*.w.example.'));
  });
  it('wildcard NODATA: the covering NSEC and the wildcard NSEC (here the same)', () => {
    const res = ask(nsecZones, 'foo.w.example.', RRType.A, { do: true });
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...nsec('*.w.example.')].sort());
  });
  it('CNAME answers are signed', () => {
    const res = ask(nsecZones, 'cn.example.', RRType.A, { do: true });
    assert.deepEqual(shape(res.answers), [...withSig('cn.example.', 5), ...withSig('a.example.', 1)].sort());
  });
  it('insecure referral: NS and the NSEC proving there is no DS; glue unsigned', () => {
    const res = ask(nsecZones, 'www.deleg.example.', RRType.A, { do: true });
    assert.ok(!res.aa);
    assert.deepEqual(shape(res.authorities), ['deleg.example. 2', ...nsec('deleg.example.')].sort());
    assert.deepEqual(shape(res.additionals), ['ns.deleg.example. 1']);
  });
  it('secure referral: NS, DS and its RRSIG', () => {
    const res = ask(nsecZones, 'www.sdeleg.example.', RRType.A, { do: true });
    assert.ok(!res.aa);
    assert.deepEqual(shape(res.authorities), ['sdeleg.example. 2', ...withSig('sdeleg.example.', 43)].sort());
  });
  it('DS query at an insecure delegation: NODATA with the NSEC of the cut', () => {
    const res = ask(nsecZones, 'deleg.example.', RRType.DS, { do: true });
    assert.ok(res.aa);
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...nsec('deleg.example.')].sort());
    const ds = ask(nsecZones, 'sdeleg.example.', RRType.DS, { do: true });
    assert.deepEqual(shape(ds.answers), withSig('sdeleg.example.', 43));
  });
  it('RRSIG queries return every signature at the name', () => {
    const res = ask(nsecZones, 'a.example.', RRType.RRSIG, { do: true });
    assert.deepEqual(shape(res.answers), ['a.example. RRSIG(1)', 'a.example. RRSIG(47)']);
  });
});

// ---- NSEC3 -------------------------------------------------------------------------------------

const SALT = Buffer.from('aabbccdd', 'hex');
const ITERATIONS = 2;

/** RFC 5155 5 hash, written independently of src/dnssec for the test. */
function h(name: string): string {
  let d = createHash('sha1').update(n(name).toCanonicalBytes()).update(SALT).digest();
  for (let i = 0; i < ITERATIONS; i++) d = createHash('sha1').update(d).update(SALT).digest();
  return toBase32Hex(d);
}

// Names in the NSEC3 chain: authoritative names, delegations and empty non-terminals.
const CHAIN: [string, string][] = [
  ['example.', 'NS SOA RRSIG DNSKEY NSEC3PARAM'],
  ['ns1.example.', 'A RRSIG'],
  ['a.example.', 'A RRSIG'],
  ['b.example.', ''],
  ['x.b.example.', 'TXT RRSIG'],
  ['cn.example.', 'CNAME RRSIG'],
  ['deleg.example.', 'NS'],
  ['sdeleg.example.', 'NS DS RRSIG'],
  ['w.example.', ''],
  ['*.w.example.', 'TXT RRSIG'],
];
const hashed = CHAIN.map(([name, types]) => ({ name, types, hash: h(name) })).sort((x, y) =>
  x.hash < y.hash ? -1 : 1,
);
const NSEC3_TEXT = hashed
  .map((e, i) => `${e.hash} NSEC3 1 0 ${ITERATIONS} AABBCCDD ${hashed[(i + 1) % hashed.length].hash} ${e.types}`)
  .join('\n');
const NSEC3_ZONE = signedZone(`${SIGNED_BASE}
@ NSEC3PARAM 1 0 ${ITERATIONS} AABBCCDD
${NSEC3_TEXT}
`);
const nsec3Zones = new ZoneSet([NSEC3_ZONE]);

type Chain = { name: string; types: string; hash: string }[];

/** The hashed owner of the NSEC3 matching `name`. */
function matching(name: string, chain: Chain = hashed): string {
  const e = chain.find((x) => x.hash === h(name));
  assert.ok(e, `no NSEC3 matches ${name}`);
  return `${e.hash}.example.`;
}
/** The hashed owner of the NSEC3 covering `name` (which must not be in the chain). */
function covering(name: string, chain: Chain = hashed): string {
  const x = h(name);
  assert.ok(!chain.some((e) => e.hash === x), `${name} is in the chain`);
  const before = chain.filter((e) => e.hash < x);
  return `${(before.length > 0 ? before[before.length - 1] : chain[chain.length - 1]).hash}.example.`;
}
const uniq = (a: string[]) => [...new Set(a)].sort();

describe('answer: DNSSEC with NSEC3 (RFC 5155 7.2)', () => {
  it('the zone uses the NSEC3 chain', () => {
    assert.equal(NSEC3_ZONE.denial, 'nsec3');
    assert.equal(NSEC3_ZONE.nsec3Chain().length, CHAIN.length);
  });
  it('NXDOMAIN: closest encloser proof plus the wildcard', () => {
    const res = ask(nsec3Zones, 'c.example.', RRType.A, { do: true });
    assert.equal(res.rcode, Rcode.NXDOMAIN);
    const want = uniq([matching('example.'), covering('c.example.'), covering('*.example.')]).flatMap(nsec3);
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...want].sort());
    const deep = ask(nsec3Zones, 'q.r.x.b.example.', RRType.A, { do: true });
    const want2 = uniq([matching('x.b.example.'), covering('r.x.b.example.'), covering('*.x.b.example.')]).flatMap(
      nsec3,
    );
    assert.deepEqual(shape(deep.authorities), [...withSig('example.', 6), ...want2].sort());
  });
  it('NODATA: the NSEC3 matching the name, empty non-terminals included', () => {
    for (const name of ['a.example.', 'b.example.', 'w.example.']) {
      const res = ask(nsec3Zones, name, RRType.MX, { do: true });
      assert.equal(res.rcode, Rcode.NOERROR);
      assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...nsec3(matching(name))].sort(), name);
    }
  });
  it('wildcard answer: the NSEC3 covering the next closer name', () => {
    const res = ask(nsec3Zones, 'foo.w.example.', RRType.TXT, { do: true });
    assert.deepEqual(shape(res.answers), withSig('foo.w.example.', 16));
    assert.deepEqual(shape(res.authorities), nsec3(covering('foo.w.example.')));
    const deeper = ask(nsec3Zones, 'a.foo.w.example.', RRType.TXT, { do: true });
    assert.deepEqual(shape(deeper.authorities), nsec3(covering('foo.w.example.')));
  });
  it('wildcard NODATA: closest encloser, next closer and the wildcard', () => {
    const res = ask(nsec3Zones, 'foo.w.example.', RRType.A, { do: true });
    const want = uniq([matching('w.example.'), covering('foo.w.example.'), matching('*.w.example.')]).flatMap(nsec3);
    assert.deepEqual(shape(res.authorities), [...withSig('example.', 6), ...want].sort());
  });
  it('referrals and DS queries at a delegation: the NSEC3 matching the cut', () => {
    const res = ask(nsec3Zones, 'www.deleg.example.', RRType.A, { do: true });
    assert.ok(!res.aa);
    assert.deepEqual(shape(res.authorities), ['deleg.example. 2', ...nsec3(matching('deleg.example.'))].sort());
    const ds = ask(nsec3Zones, 'deleg.example.', RRType.DS, { do: true });
    assert.deepEqual(shape(ds.authorities), [...withSig('example.', 6), ...nsec3(matching('deleg.example.'))].sort());
  });
  it('opt-out: an unsigned delegation without NSEC3 gets the closest provable encloser proof', () => {
    const optOut = hashed.filter((e) => e.name !== 'deleg.example.');
    const text = optOut
      .map((e, i) => `${e.hash} NSEC3 1 1 ${ITERATIONS} AABBCCDD ${optOut[(i + 1) % optOut.length].hash} ${e.types}`)
      .join('\n');
    const z = new ZoneSet([signedZone(`${SIGNED_BASE}\n@ NSEC3PARAM 1 0 ${ITERATIONS} AABBCCDD\n${text}\n`)]);
    const res = ask(z, 'www.deleg.example.', RRType.A, { do: true });
    const want = uniq([matching('example.', optOut), covering('deleg.example.', optOut)]).flatMap(nsec3);
    assert.deepEqual(shape(res.authorities), ['deleg.example. 2', ...want].sort());
  });
  it('NSEC3 owner names do not answer as ordinary names', () => {
    const owner = `${hashed[0].hash}.example.`;
    const res = ask(nsec3Zones, owner, RRType.NSEC3, { do: true });
    assert.equal(res.rcode, Rcode.NXDOMAIN);
    assert.equal(res.answers.length, 0);
  });
  it('no proofs without DO', () => {
    const res = ask(nsec3Zones, 'c.example.', RRType.A);
    assert.deepEqual(shape(res.authorities), ['example. 6']);
  });
});
