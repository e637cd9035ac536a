// The validating resolver against the embedded lab (real UDP/TCP on loopback, the lab's trust anchor): every
// LAB_EXPECTATIONS name gets its rcode and AD bit; RFC 8198 aggressive NSEC answers names that a cached NSEC/NSEC3
// already denies without one more query to any lab server (query logs unchanged); CD=1 returns bogus data without
// AD while CD=0 gets SERVFAIL + EDE.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS } from '../../src/authority/lab/topology.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { nsec3Hash } from '../../src/dnssec/algorithms.js';
import { encodeBase32Hex } from '../../src/dnssec/base32hex.js';
import { nsecCovers } from '../../src/dnssec/validate/nsec.js';
import { Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import {
  EDE,
  type Message,
  makeQuery,
  Name,
  type Nsec3Data,
  Rcode,
  type RR,
  RRType,
  typeFromText,
} from '../../src/wire/index.js';

const RCODES: Record<string, number> = { NOERROR: Rcode.NOERROR, NXDOMAIN: Rcode.NXDOMAIN, SERVFAIL: Rcode.SERVFAIL };
const fqdn = (name: string) => Name.fromText(name.endsWith('.') ? name : `${name}.`);
const edeOf = (m: Message) =>
  (m.edns?.options.find((o) => o.kind === 'ede') as { infoCode: number } | undefined)?.infoCode;

describe('validating resolver against the embedded lab', { timeout: 120_000 }, () => {
  let lab: Lab;
  let port: number;
  let hints: RR[];
  let anchors: RR[];
  const transports: Transport[] = [];

  before(async () => {
    let last: unknown;
    for (let attempt = 0; attempt < 5 && lab === undefined; attempt++) {
      port = 20_000 + Math.floor(Math.random() * 30_000);
      try {
        lab = await startLab({ ports: { dns: port, dot: port + 1, doh: port + 2 } });
      } catch (e) {
        last = e;
      }
    }
    if (lab === undefined) throw last;
    hints = parseZoneFile(lab.rootHints, { origin: '.' }).records;
    anchors = parseZoneFile(lab.trustAnchor, { origin: '.' }).records;
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    if (lab) {
      await lab.close();
      await rm(lab.dir, { recursive: true, force: true });
    }
  });

  function client(config: Partial<ResolverConfig> = {}) {
    const transport = new Transport();
    transports.push(transport);
    const resolver = new Resolver(
      { upstream: transport, clock: systemClock, random: cryptoRandom, rootHints: hints, trustAnchors: anchors },
      { upstreamPort: port, ipv6: false, transportPolicy: false, packetCache: false, ...config },
    );
    let id = 1;
    return {
      resolver,
      async ask(name: string, type = 'A', opts: { cd?: boolean; dnssecOk?: boolean } = {}): Promise<Message> {
        const t = typeFromText(type);
        assert.ok(t !== undefined);
        const q = makeQuery(fqdn(name), t, { id: id++, rd: true, edns: true, dnssecOk: opts.dnssecOk ?? true });
        q.cd = opts.cd === true;
        return (await resolver.handle(q, { transport: 'udp' })).response;
      },
    };
  }

  const upstreamTotal = () => lab.servers.reduce((n, s) => n + s.server.queryLog.total, 0);

  it('every LAB_EXPECTATIONS name: rcode and AD', async () => {
    const c = client();
    for (const e of LAB_EXPECTATIONS) {
      const r = await c.ask(e.name, e.type);
      const what = `${e.name} ${e.type}`;
      assert.equal(r.rcode, RCODES[e.rcode], `${what}: rcode`);
      assert.equal(r.ad, e.secure, `${what}: AD`);
      if (e.rcode === 'SERVFAIL' && e.name.includes('bogus')) assert.equal(edeOf(r), EDE.DNSSEC_BOGUS, what);
    }
  });

  it('NSEC (clear.test): after one NXDOMAIN, a name in the same NSEC gap is denied with no upstream query', async () => {
    const c = client();
    const first = await c.ask('nothing.clear.test');
    assert.equal(first.rcode, Rcode.NXDOMAIN);
    assert.equal(first.ad, true);
    const cover = first.authorities.find((rr) => rr.type === RRType.NSEC && nsecCovers(rr, fqdn('nothing.clear.test')));
    assert.ok(cover, 'the NXDOMAIN proof');
    // another name in the same gap: the owner's first label, extended, sorts right after the owner
    const other = fqdn(`${cover.name.label(0)}-aggressive.clear.test`);
    assert.ok(nsecCovers(cover, other), `${other} is in the gap of ${cover.name}`);
    const before = upstreamTotal();
    const second = await c.ask(other.toString());
    assert.equal(second.rcode, Rcode.NXDOMAIN);
    assert.equal(second.ad, true);
    assert.ok(second.authorities.some((rr) => rr.type === RRType.SOA));
    assert.ok(second.authorities.some((rr) => rr.type === RRType.NSEC));
    assert.equal(upstreamTotal(), before, 'the lab query logs did not change');
    // off: the same question goes to the lab
    const off = client({ aggressiveNsec: false });
    await off.ask('nothing.clear.test');
    const before2 = upstreamTotal();
    assert.equal((await off.ask(other.toString())).rcode, Rcode.NXDOMAIN);
    assert.ok(upstreamTotal() > before2);
  });

  it('NSEC3 (nsec3.test): a name whose hash falls in a cached interval is denied with no upstream query', async () => {
    const c = client();
    const first = await c.ask('nothing.nsec3.test');
    assert.equal(first.rcode, Rcode.NXDOMAIN);
    assert.equal(first.ad, true);
    const nsec3s = first.authorities.filter((rr) => rr.type === RRType.NSEC3);
    const params = nsec3s[0].data as Nsec3Data;
    const hash = (n: Name) =>
      encodeBase32Hex(nsec3Hash(n.toCanonicalBytes(), params.salt, params.iterations)).toLowerCase();
    const covered = (h: string) =>
      nsec3s.some((rr) => {
        const owner = rr.name.label(0).toLowerCase();
        const next = encodeBase32Hex((rr.data as Nsec3Data).nextHashed).toLowerCase();
        return owner < next ? owner < h && h < next : owner < h || h < next;
      });
    // a sibling whose hash (the next closer name: the zone's child) falls in one of the proven intervals
    let other: Name | undefined;
    for (let i = 0; i < 500 && other === undefined; i++) {
      const candidate = fqdn(`aggressive${i}.nsec3.test`);
      if (covered(hash(candidate))) other = candidate;
    }
    assert.ok(other, 'a name in a proven interval');
    const before = upstreamTotal();
    const second = await c.ask(other.toString());
    assert.equal(second.rcode, Rcode.NXDOMAIN);
    assert.equal(second.ad, true);
    assert.equal(upstreamTotal(), before, 'the lab query logs did not change');
  });

  it('CD=1 gets the bogus data without AD; CD=0 gets SERVFAIL with EDE 6', async () => {
    const c = client();
    const checked = await c.ask('www.bogus.test');
    assert.equal(checked.rcode, Rcode.SERVFAIL);
    assert.equal(edeOf(checked), EDE.DNSSEC_BOGUS);
    const cd = await c.ask('www.bogus.test', 'A', { cd: true });
    assert.equal(cd.rcode, Rcode.NOERROR);
    assert.equal(cd.ad, false);
    assert.ok(cd.answers.some((rr) => rr.type === RRType.A));
    const expired = await c.ask('www.expired.test', 'A', { cd: true });
    assert.equal(expired.rcode, Rcode.NOERROR);
    assert.equal(expired.ad, false);
    // and a secure name with CD: validated all the same, AD set (RFC 6840 5.9)
    const secure = await c.ask('www.clear.test', 'A', { cd: true });
    assert.equal(secure.ad, true);
  });
});
