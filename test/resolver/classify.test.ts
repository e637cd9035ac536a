// Response scrubbing and classification (RFC 1034 5.3.3, RFC 2181 5.4.1, RFC 2308, RFC 5452 6, RFC 6604, RFC 6672).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, negativeTtl, scrub } from '../../src/resolver/classify.js';
import {
  type Message,
  Name,
  type NameData,
  newMessage,
  parseRR,
  Rcode,
  type RR,
  RRType,
} from '../../src/wire/index.js';

const n = (text: string) => Name.fromText(text.endsWith('.') ? text : `${text}.`);
const rr = (text: string): RR => parseRR(text);
const rrs = (...texts: string[]): RR[] => texts.map(rr);

function response(
  qname: string,
  qtype: number,
  init: { aa?: boolean; rcode?: number; an?: string[]; ns?: string[]; ar?: string[] },
): Message {
  return newMessage({
    id: 1,
    qr: true,
    aa: init.aa ?? false,
    rcode: init.rcode ?? Rcode.NOERROR,
    questions: [{ name: n(qname), type: qtype, class: 1 }],
    answers: rrs(...(init.an ?? [])),
    authorities: rrs(...(init.ns ?? [])),
    additionals: rrs(...(init.ar ?? [])),
  });
}

/** Scrubs for `zone`, then classifies: what the iterator does with every response. */
function run(m: Message, zone: string) {
  const q = m.questions[0];
  return classify(scrub(m, n(zone)), q.name, q.type, n(zone));
}

const SOA_CLEAR = 'clear.test. 3600 IN SOA ns1.clear.test. hostmaster.lab. 1 7200 900 1209600 300';
const names = (list: RR[]) => list.map((r) => r.name.toString());

describe('classify: answers and aliases', () => {
  it('an authoritative answer', () => {
    const c = run(
      response('www.clear.test', RRType.A, {
        aa: true,
        an: ['www.clear.test. 3600 IN A 192.0.2.1', 'www.clear.test. 3600 IN A 192.0.2.2'],
        ns: ['clear.test. 3600 IN NS ns1.clear.test.'],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'answer');
    if (c.kind !== 'answer') return;
    assert.equal(c.chain.length, 0);
    assert.equal(c.rrset.rrs.length, 2);
  });

  it('the answer matches the question case-insensitively', () => {
    const c = run(
      response('WwW.ClEaR.tEsT', RRType.A, { aa: true, an: ['www.clear.test. 3600 IN A 192.0.2.1'] }),
      'clear.test',
    );
    assert.equal(c.kind, 'answer');
  });

  it('a CNAME chain inside the zone, with the final answer', () => {
    const c = run(
      response('alias.clear.test', RRType.A, {
        aa: true,
        an: [
          'alias.clear.test. 3600 IN CNAME hop.clear.test.',
          'hop.clear.test. 3600 IN CNAME www.clear.test.',
          'www.clear.test. 3600 IN A 192.0.2.1',
        ],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'answer');
    if (c.kind !== 'answer') return;
    assert.deepEqual(
      c.chain.map((l) => [l.kind, l.from.toString(), l.to.toString()]),
      [
        ['cname', 'alias.clear.test.', 'hop.clear.test.'],
        ['cname', 'hop.clear.test.', 'www.clear.test.'],
      ],
    );
    assert.equal(c.rrset.rrs[0].name.toString(), 'www.clear.test.');
  });

  it('a CNAME into another zone: the out-of-zone answer is scrubbed and the target is followed', () => {
    const c = run(
      response('www.cname.test', RRType.A, {
        aa: true,
        an: ['www.cname.test. 3600 IN CNAME www.clear.test.', 'www.clear.test. 3600 IN A 192.0.2.1'],
      }),
      'cname.test',
    );
    assert.equal(c.kind, 'alias');
    if (c.kind !== 'alias') return;
    assert.equal(c.target.toString(), 'www.clear.test.');
    assert.equal(c.chain.length, 1);
  });

  it('a query for the CNAME itself is answered by the CNAME', () => {
    const c = run(
      response('alias.clear.test', RRType.CNAME, { aa: true, an: ['alias.clear.test. 3600 IN CNAME www.clear.test.'] }),
      'clear.test',
    );
    assert.equal(c.kind, 'answer');
  });

  it('a CNAME loop in one response stops (the iterator detects the loop)', () => {
    const c = run(
      response('loop1.clear.test', RRType.A, {
        aa: true,
        an: ['loop1.clear.test. 3600 IN CNAME loop2.clear.test.', 'loop2.clear.test. 3600 IN CNAME loop1.clear.test.'],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'alias');
    if (c.kind !== 'alias') return;
    assert.equal(c.chain.length, 2);
    assert.equal(c.target.toString(), 'loop1.clear.test.');
  });

  it('DNAME with the synthesized CNAME (RFC 6672 3.1): a dname link whose CNAME is the substitution', () => {
    const c = run(
      response('www.old.example', RRType.A, {
        aa: true,
        an: [
          'old.example. 3600 IN DNAME new.example.',
          'www.old.example. 3600 IN CNAME www.new.example.',
          'www.new.example. 3600 IN A 192.0.2.7',
        ],
      }),
      'example',
    );
    assert.equal(c.kind, 'answer');
    if (c.kind !== 'answer') return;
    assert.equal(c.chain.length, 1);
    const link = c.chain[0];
    assert.equal(link.kind, 'dname');
    assert.equal(link.dname?.rrs[0].type, RRType.DNAME);
    assert.equal(link.to.toString(), 'www.new.example.');
    assert.equal((link.cname.rrs[0].data as NameData).target.toString(), 'www.new.example.');
    assert.equal(link.cname.rrs[0].ttl, 3600);
  });

  it('DNAME without a CNAME (old servers): the CNAME is synthesized by the resolver', () => {
    const c = run(
      response('a.b.old.example', RRType.A, {
        aa: true,
        an: ['old.example. 300 IN DNAME new.other.'],
      }),
      'example',
    );
    assert.equal(c.kind, 'alias');
    if (c.kind !== 'alias') return;
    assert.equal(c.target.toString(), 'a.b.new.other.');
    assert.equal(c.chain[0].kind, 'dname');
    assert.equal(c.chain[0].cname.rrs[0].name.toString(), 'a.b.old.example.');
    assert.equal(c.chain[0].cname.rrs[0].ttl, 300);
  });

  it('DNAME with a CNAME that does not match the substitution: the DNAME wins, the forged CNAME is ignored', () => {
    const c = run(
      response('www.old.example', RRType.A, {
        aa: true,
        an: ['old.example. 3600 IN DNAME new.example.', 'www.old.example. 3600 IN CNAME evil.example.'],
      }),
      'example',
    );
    assert.equal(c.kind, 'alias');
    if (c.kind !== 'alias') return;
    assert.equal(c.target.toString(), 'www.new.example.');
    assert.equal(c.chain[0].kind, 'dname');
  });

  it('a DNAME is not applied to its own owner name (RFC 6672 2.2)', () => {
    const c = run(
      response('old.example', RRType.A, {
        aa: true,
        an: ['old.example. 3600 IN DNAME new.example.'],
        ns: ['example. 3600 IN SOA ns.example. h.example. 1 2 3 4 300'],
      }),
      'example',
    );
    assert.equal(c.kind, 'nodata', 'a DNAME at the name does not redirect the name itself: no A there');
  });

  it('answer records that are neither the answer nor on the chain are ignored: NODATA (RFC 2308 2.2)', () => {
    const c = run(
      response('www.clear.test', RRType.A, { aa: true, an: ['other.clear.test. 3600 IN A 192.0.2.1'] }),
      'clear.test',
    );
    assert.equal(c.kind, 'nodata');
    if (c.kind === 'nodata') assert.equal(c.soa, undefined, 'without a SOA: not cacheable');
  });
});

describe('classify: referrals and scrubbing', () => {
  it('a referral with in-zone glue', () => {
    const c = run(
      response('www.clear.test', RRType.A, {
        ns: ['clear.test. 3600 IN NS ns1.clear.test.', 'clear.test. 3600 IN NS ns2.clear.test.'],
        ar: ['ns1.clear.test. 3600 IN A 127.0.2.1', 'ns2.clear.test. 3600 IN AAAA ::1'],
      }),
      'test',
    );
    assert.equal(c.kind, 'referral');
    if (c.kind !== 'referral') return;
    assert.equal(c.zone.toString(), 'clear.test.');
    assert.equal(c.ns.rrs.length, 2);
    assert.deepEqual(names(c.glue), ['ns1.clear.test.', 'ns2.clear.test.']);
  });

  it('a referral for exactly the (minimised) name asked', () => {
    const c = run(
      response('clear.test', RRType.A, {
        ns: ['clear.test. 3600 IN NS ns1.clear.test.'],
        ar: ['ns1.clear.test. 3600 IN A 127.0.2.1'],
      }),
      'test',
    );
    assert.equal(c.kind, 'referral');
  });

  it('sibling glue (a nameserver in another child of the same parent) is kept', () => {
    const c = run(
      response('www.a.test', RRType.A, {
        ns: ['a.test. 3600 IN NS ns.b.test.'],
        ar: ['ns.b.test. 3600 IN A 127.0.3.1'],
      }),
      'test',
    );
    assert.equal(c.kind, 'referral');
    if (c.kind !== 'referral') return;
    assert.deepEqual(names(c.glue), ['ns.b.test.']);
  });

  it('out-of-bailiwick records are scrubbed from every section', () => {
    const m = response('www.clear.test', RRType.A, {
      an: ['www.example. 3600 IN A 6.6.6.6'],
      ns: [
        'clear.test. 3600 IN NS ns.provider.example.',
        'clear.test. 3600 IN NS ns1.clear.test.',
        'example. 3600 IN NS ns.evil.',
      ],
      ar: [
        'ns.provider.example. 3600 IN A 6.6.6.6',
        'ns1.clear.test. 3600 IN A 127.0.2.1',
        'unrelated.test. 3600 IN A 6.6.6.6',
        'ns1.clear.test. 3600 IN TXT "not an address"',
      ],
    });
    const clean = scrub(m, n('test'));
    assert.deepEqual(clean.answers, []);
    assert.deepEqual(names(clean.authorities), ['clear.test.', 'clear.test.']);
    assert.deepEqual(
      clean.additionals.map((r) => [r.name.toString(), r.type]),
      [['ns1.clear.test.', RRType.A]],
      'only addresses of nameservers named in the response, inside the zone',
    );
    const c = classify(clean, n('www.clear.test'), RRType.A, n('test'));
    assert.equal(c.kind, 'referral');
    if (c.kind !== 'referral') return;
    assert.equal(c.ns.rrs.length, 2, 'the out-of-bailiwick NS name itself is kept (its address is resolved)');
    assert.deepEqual(names(c.glue), ['ns1.clear.test.']);
  });

  it('an answer from a server of a zone for a name outside it is scrubbed, leaving a lame response', () => {
    const c = run(
      response('www.clear.test', RRType.A, { aa: true, an: ['www.clear.test. 3600 IN A 6.6.6.6'] }),
      'evil.test',
    );
    assert.equal(c.kind, 'lame');
  });

  it('a referral with a DS RRset and NSEC proofs keeps them apart', () => {
    const c = run(
      response('www.clear.test', RRType.A, {
        ns: [
          'clear.test. 3600 IN NS ns1.clear.test.',
          'clear.test. 3600 IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000',
        ],
        ar: ['ns1.clear.test. 3600 IN A 127.0.2.1'],
      }),
      'test',
    );
    assert.equal(c.kind, 'referral');
    if (c.kind !== 'referral') return;
    assert.equal(c.ds?.rrs.length, 1);
  });

  it('an upward referral (NS of the zone itself or of an ancestor, no AA) is lame', () => {
    const toRoot = response('www.clear.test', RRType.A, {
      ns: ['. 3600 IN NS a.root-servers.test.'],
      ar: ['a.root-servers.test. 3600 IN A 127.0.0.1'],
    });
    assert.equal(run(toRoot, 'clear.test').kind, 'lame');
    const toParent = response('www.clear.test', RRType.A, { ns: ['test. 3600 IN NS ns1.nic.test.'] });
    assert.equal(run(toParent, 'clear.test').kind, 'lame');
    const toSelf = response('www.clear.test', RRType.A, { ns: ['clear.test. 3600 IN NS ns1.clear.test.'] });
    const c = run(toSelf, 'clear.test');
    assert.equal(c.kind, 'lame');
  });

  it('a referral to a zone that does not contain the name is lame', () => {
    const c = run(
      response('www.clear.test', RRType.A, { ns: ['other.clear.test. 3600 IN NS ns1.clear.test.'] }),
      'clear.test',
    );
    assert.equal(c.kind, 'lame');
  });

  it('a referral with AA set (broken servers) but no SOA is still a referral', () => {
    const c = run(
      response('www.sub.clear.test', RRType.A, {
        aa: true,
        ns: ['sub.clear.test. 3600 IN NS ns1.sub.clear.test.'],
        ar: ['ns1.sub.clear.test. 3600 IN A 127.0.2.9'],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'referral');
  });
});

describe('classify: negative answers', () => {
  it('NXDOMAIN with the SOA', () => {
    const c = run(
      response('nothing.clear.test', RRType.A, { aa: true, rcode: Rcode.NXDOMAIN, ns: [SOA_CLEAR] }),
      'clear.test',
    );
    assert.equal(c.kind, 'nxdomain');
    if (c.kind !== 'nxdomain') return;
    assert.equal(c.name.toString(), 'nothing.clear.test.');
    assert.equal(c.soa?.type, RRType.SOA);
    assert.equal(negativeTtl(c.soa, 0), 300, 'min(SOA TTL, SOA MINIMUM) (RFC 2308 5)');
  });

  it('NODATA with the SOA', () => {
    const c = run(response('www.clear.test', RRType.TXT, { aa: true, ns: [SOA_CLEAR] }), 'clear.test');
    assert.equal(c.kind, 'nodata');
    if (c.kind !== 'nodata') return;
    assert.equal(c.name.toString(), 'www.clear.test.');
    assert.ok(c.soa);
  });

  it('NODATA for an empty non-terminal (a minimised query) with AA but no SOA is still NODATA', () => {
    const c = run(response('deep.clear.test', RRType.A, { aa: true }), 'clear.test');
    assert.equal(c.kind, 'nodata');
  });

  it('a SOA that is not above the name is not the denial SOA (nothing to cache the denial with)', () => {
    const c = run(
      response('www.clear.test', RRType.TXT, {
        ns: ['other.clear.test. 3600 IN SOA ns1.clear.test. hostmaster.lab. 1 7200 900 1209600 300'],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'nodata');
    if (c.kind === 'nodata') assert.equal(c.soa, undefined);
  });

  it('NXDOMAIN at the end of a CNAME chain applies to the last name (RFC 6604 3)', () => {
    const c = run(
      response('dangling.clear.test', RRType.A, {
        aa: true,
        rcode: Rcode.NXDOMAIN,
        an: ['dangling.clear.test. 3600 IN CNAME nothing.clear.test.'],
        ns: [SOA_CLEAR],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'nxdomain');
    if (c.kind !== 'nxdomain') return;
    assert.equal(c.chain.length, 1);
    assert.equal(c.name.toString(), 'nothing.clear.test.', 'the CNAME target does not exist, not the name asked');
  });

  it('NXDOMAIN after a CNAME that leaves the zone is not believed: the target is resolved instead', () => {
    const c = run(
      response('dangling.cname.test', RRType.A, {
        aa: true,
        rcode: Rcode.NXDOMAIN,
        an: ['dangling.cname.test. 3600 IN CNAME nothing.clear.test.'],
        ns: [SOA_CLEAR],
      }),
      'cname.test',
    );
    assert.equal(c.kind, 'alias');
    if (c.kind !== 'alias') return;
    assert.equal(c.target.toString(), 'nothing.clear.test.');
  });

  it('NODATA at the end of a CNAME chain inside the zone', () => {
    const c = run(
      response('alias.clear.test', RRType.TXT, {
        aa: true,
        an: ['alias.clear.test. 3600 IN CNAME www.clear.test.'],
        ns: [SOA_CLEAR],
      }),
      'clear.test',
    );
    assert.equal(c.kind, 'nodata');
    if (c.kind !== 'nodata') return;
    assert.equal(c.name.toString(), 'www.clear.test.');
  });

  it('a non-authoritative empty answer from a server offering recursion (RA) is lame', () => {
    const m = response('www.clear.test', RRType.A, {});
    m.ra = true;
    assert.equal(run(m, 'clear.test').kind, 'lame');
  });

  it('a non-authoritative empty answer without RA, SOA or NS is NODATA type 3 (RFC 2308 2.2.1), not cacheable', () => {
    // Unbound and Knot accept it (Deckard iter_unexpectedrrtype); with an NS RRset it would be an upward referral
    const c = run(response('www.clear.test', RRType.A, {}), 'clear.test');
    assert.equal(c.kind, 'nodata');
    if (c.kind === 'nodata') assert.equal(c.soa, undefined);
    const upward = run(
      response('www.clear.test', RRType.A, { ns: ['clear.test. 3600 IN NS ns1.clear.test.'] }),
      'clear.test',
    );
    assert.equal(upward.kind, 'lame');
  });

  it('NXDOMAIN without AA and without SOA is lame', () => {
    const c = run(response('www.clear.test', RRType.A, { rcode: Rcode.NXDOMAIN }), 'clear.test');
    assert.equal(c.kind, 'lame');
  });

  it('other rcodes are errors', () => {
    for (const rcode of [Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP]) {
      const c = run(response('www.clear.test', RRType.A, { rcode }), 'clear.test');
      assert.equal(c.kind, 'error');
      if (c.kind === 'error') assert.equal(c.rcode, rcode);
    }
  });

  it('negativeTtl without a SOA uses the fallback', () => {
    assert.equal(negativeTtl(undefined, 7), 7);
    assert.equal(negativeTtl(rr('x. 60 IN SOA a. b. 1 2 3 4 900'), 0), 60);
  });
});
