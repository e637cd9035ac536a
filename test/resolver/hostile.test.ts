// Hostile upstreams. A private tree on loopback (a root and well-behaved servers run the project's authoritative
// code; hostile ones are raw node:dgram/node:net sockets) where each TLD is delegated to a server that misbehaves in
// one way: garbage, truncated messages, lying or oversized TCP frames, compression pointer loops, wrong IDs, wrong
// questions, referral loops and endless referrals, NXNSAttack-style glueless NS sets, a slow drip over TCP after
// TC=1, silence. Whatever happens, handle() resolves (never throws) with SERVFAIL + EDE (or the right answer when
// another server works) well within the request budget, the upstream queries stay within LIMITS, and the same
// resolver answers a normal query afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AuthServer } from '../../src/authority/server.js';
import { LIMITS } from '../../src/resolver/limits.js';
import { Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import {
  decodeMessage,
  EDE,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  Rcode,
  type RR,
  RRType,
  typeFromText,
} from '../../src/wire/index.js';
import {
  type Behaviour,
  type FakeServer,
  fakeServer,
  goodServer,
  isAddressInUse,
  questionOf,
  replyTo,
  zonesFrom,
} from '../helpers/hostile-net.js';

const SOA = (zone: string) =>
  `${zone} 3600 IN SOA ns.${zone === '.' ? 'root.' : zone} h.${zone === '.' ? '' : zone} 1 7200 900 1209600 300`;

/** TLD -> host (x.y of 127.<net>.x.y) of its only nameserver, ns.<tld> (glue in the root zone). */
const DELEGATIONS: Record<string, string> = {
  good: '1.1',
  garbage: '2.1',
  trunc: '3.1',
  tclie: '4.1',
  tcpbig: '4.2',
  ptrloop: '5.1',
  badid: '6.1',
  wrongq: '6.2',
  pingpong: '8.1',
  nxns: '9.1',
  victim: '9.2',
  drip: '10.1',
  silent: '11.1',
  stairs: '12.1',
  brokenmin: '13.1',
  nxent: '13.2',
  nxns2: '9.4',
};

const ROOT = `
${SOA('.')}
. 86400 IN NS a.root.
a.root. 86400 IN A {ip:0.1}
${Object.entries(DELEGATIONS)
  .map(([tld, host]) => `${tld}. 86400 IN NS ns.${tld}.\nns.${tld}. 86400 IN A {ip:${host}}`)
  .join('\n')}
; TsuNAME: each zone's only nameserver lives in the other one, no glue anywhere
loopa. 86400 IN NS ns.loopb.
loopb. 86400 IN NS ns.loopa.
; NXNS with lookups that take two steps: nsK.vK. needs the vK. referral, then the slow server
${Array.from({ length: 100 }, (_, k) => `v${k}. 86400 IN NS ns.slowv.`).join('\n')}
ns.slowv. 86400 IN A {ip:9.3}
; one dead server and one good one
mixed. 86400 IN NS ns1.mixed.
mixed. 86400 IN NS ns2.mixed.
ns1.mixed. 86400 IN A {ip:11.1}
ns2.mixed. 86400 IN A {ip:1.1}
`;

const GOOD = {
  'good.': `${SOA('good.')}\ngood. 3600 IN NS ns.good.\nns.good. 3600 IN A {ip:1.1}\nwww.good. 3600 IN A 192.0.2.1\n`,
  'mixed.': `${SOA('mixed.')}\nmixed. 3600 IN NS ns1.mixed.\nmixed. 3600 IN NS ns2.mixed.\nns1.mixed. 3600 IN A {ip:11.1}\nns2.mixed. 3600 IN A {ip:1.1}\nwww.mixed. 3600 IN A 192.0.2.2\n`,
};
const VICTIM = { 'victim.': `${SOA('victim.')}\nvictim. 3600 IN NS ns.victim.\nns.victim. 3600 IN A {ip:9.2}\n` };

const NXNS_NAMES = 100;

/** The answer a server of `zone` would give for (qname, A), used by the hostile servers before they break it. */
function answerA(query: Uint8Array): Uint8Array {
  const q = questionOf(query);
  return replyTo(query, { aa: true, an: [`${q.name} 300 IN A 192.0.2.99`] });
}

const tc = (query: Uint8Array) => replyTo(query, { tc: true, aa: true });

/** A reply whose single answer's owner name is a compression pointer to itself (or a two-pointer cycle). */
function pointerLoop(query: Uint8Array, cycle: 1 | 2): Uint8Array {
  const q = decodeMessage(query);
  const qlen = q.questions[0].name.length + 4;
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8400, 2); // QR AA
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(1, 6);
  const question = Buffer.from(query.subarray(12, 12 + qlen));
  const at = 12 + qlen;
  const owner =
    cycle === 1
      ? Buffer.from([0xc0 | (at >> 8), at & 0xff])
      : Buffer.from([0xc0 | ((at + 2) >> 8), (at + 2) & 0xff, 0xc0 | (at >> 8), at & 0xff]);
  const rest = Buffer.from([0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 66]);
  return Buffer.concat([head, question, owner, rest]);
}

/** The k-th query for a name gets a referral one label deeper under stairs. (never reaching the name). */
function stairs(selfIp: string): Behaviour {
  const asked = new Map<string, number>();
  const handle = (query: Uint8Array): Uint8Array => {
    const q = questionOf(query);
    const k = (asked.get(q.name.key) ?? 0) + 1;
    asked.set(q.name.key, k);
    const child = q.name.suffix(Math.min(q.name.labelCount - 1, 1 + k));
    if (child.labelCount <= 1) return replyTo(query, { rcode: Rcode.REFUSED });
    return replyTo(query, {
      ns: [`${child} 3600 IN NS ns.${child}`],
      ar: [`ns.${child} 3600 IN A ${selfIp}`],
    });
  };
  return { udp: (m, reply) => reply(handle(m)), tcp: (m, c) => c.send(handle(m)) };
}

describe('hostile upstreams', { timeout: 180_000 }, () => {
  let port = 0;
  let ip: (host: string) => string = () => '';
  let hints: RR[] = [];
  const fakes = new Map<string, FakeServer>();
  const goods: AuthServer[] = [];
  const transports: Transport[] = [];

  async function startWorld(net: number): Promise<void> {
    ip = (host: string) => `127.${net}.${host}`;
    goods.push(await goodServer(ip('0.1'), port, zonesFrom({ '.': ROOT }, ip)));
    goods.push(await goodServer(ip('1.1'), port, zonesFrom(GOOD, ip)));
    goods.push(await goodServer(ip('9.2'), port, zonesFrom(VICTIM, ip)));
    const behaviours: Record<string, Behaviour> = {
      garbage: {
        udp: (_m, reply) => reply(randomBytes(64)),
        tcp: (_m, c) => c.socket.write(randomBytes(300)),
      },
      trunc: {
        udp: (m, reply) => {
          const full = answerA(m);
          reply(full.subarray(0, full.length - 7));
        },
        tcp: (m, c) => {
          const full = answerA(m);
          c.send(full.subarray(0, full.length - 7));
        },
      },
      tclie: {
        udp: (m, reply) => reply(tc(m)),
        tcp: (m, c) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(1000);
          c.socket.write(Buffer.concat([len, Buffer.from(answerA(m)).subarray(0, 30)]));
          c.socket.end();
        },
      },
      tcpbig: {
        udp: (m, reply) => reply(tc(m)),
        tcp: (m, c) => {
          const head = replyTo(m, { aa: true });
          const big = Buffer.alloc(65535);
          big.set(head);
          c.send(big);
        },
      },
      ptrloop: {
        udp: (m, reply) => reply(pointerLoop(m, 1)),
        tcp: (m, c) => c.send(pointerLoop(m, 2)),
      },
      badid: {
        udp: (m, reply) => {
          const r = Buffer.from(answerA(m));
          r.writeUInt16BE((r.readUInt16BE(0) + 1) & 0xffff, 0);
          reply(r);
        },
      },
      wrongq: {
        udp: (m, reply) => {
          const q = decodeMessage(m);
          const other = makeQuery(Name.fromText('evil.wrongq.'), RRType.A, { id: q.id });
          reply(replyTo(encodeMessage(other), { aa: true, an: ['evil.wrongq. 300 IN A 6.6.6.6'] }));
        },
      },
      pingpong: {
        // A refers sub.pingpong. to B ...
        udp: (m, reply) =>
          reply(
            replyTo(m, {
              ns: ['sub.pingpong. 3600 IN NS ns.sub.pingpong.'],
              ar: [`ns.sub.pingpong. 3600 IN A ${ip('8.2')}`],
            }),
          ),
      },
      pingpong2: {
        // ... and B refers back up to A (and to the root): upward referrals
        udp: (m, reply) =>
          reply(
            replyTo(m, {
              ns: ['pingpong. 3600 IN NS ns.pingpong.', '. 3600 IN NS a.root.'],
              ar: [`ns.pingpong. 3600 IN A ${ip('8.1')}`, `a.root. 3600 IN A ${ip('0.1')}`],
            }),
          ),
      },
      nxns: {
        udp: (m, reply) => {
          const q = questionOf(m);
          const child = q.name.suffix(2);
          const ns = Array.from({ length: NXNS_NAMES }, (_, i) => `${child} 3600 IN NS ns${i}.victim.`);
          reply(replyTo(m, { ns }));
        },
      },
      nxns2: {
        udp: (m, reply) => {
          const child = questionOf(m).name.suffix(2);
          reply(replyTo(m, { ns: Array.from({ length: NXNS_NAMES }, (_, k) => `${child} 3600 IN NS ns${k}.v${k}.`) }));
        },
      },
      slowv: {
        udp: (m, reply) => {
          const zone = questionOf(m).name.suffix(1).toString();
          setTimeout(() => reply(replyTo(m, { aa: true, rcode: Rcode.NXDOMAIN, ns: [SOA(zone)] })), 100);
        },
      },
      drip: {
        udp: (m, reply) => reply(tc(m)),
        tcp: (m, c) => {
          const out = Buffer.concat([Buffer.from([0, 0]), Buffer.from(answerA(m))]);
          out.writeUInt16BE(out.length - 2, 0);
          let i = 0;
          const t = setInterval(() => {
            if (c.socket.destroyed || i >= out.length) return clearInterval(t);
            c.socket.write(out.subarray(i, i + 1));
            i++;
          }, 150);
          c.socket.on('close', () => clearInterval(t));
        },
      },
      silent: {},
      stairs: stairs(ip(DELEGATIONS.stairs)),
      brokenmin: {
        // answers the full name, REFUSES every minimised query (an ENT asked with type A)
        udp: (m, reply) => {
          const q = questionOf(m);
          if (q.name.key === Name.fromText('www.a.b.brokenmin.').key) return reply(answerA(m));
          reply(replyTo(m, { rcode: Rcode.REFUSED }));
        },
      },
      nxent: {
        // NXDOMAIN for empty non-terminals (the RFC 9156 relaxed-mode case)
        udp: (m, reply) => {
          const q = questionOf(m);
          if (q.name.key === Name.fromText('www.a.b.nxent.').key) return reply(answerA(m));
          reply(replyTo(m, { aa: true, rcode: Rcode.NXDOMAIN, ns: [SOA('nxent.')] }));
        },
      },
    };
    const hostOf: Record<string, string> = { ...DELEGATIONS, pingpong2: '8.2', slowv: '9.3' };
    for (const [name, b] of Object.entries(behaviours)) fakes.set(name, await fakeServer(ip(hostOf[name]), port, b));
    hints = [
      { name: Name.ROOT, type: RRType.NS, class: 1, ttl: 3600000, data: { target: Name.fromText('a.root.') } },
      { name: Name.fromText('a.root.'), type: RRType.A, class: 1, ttl: 3600000, data: { address: ip('0.1') } },
    ];
  }

  async function stopWorld(): Promise<void> {
    await Promise.all([...fakes.values()].map((f) => f.close()));
    await Promise.all(goods.map((g) => g.close()));
    fakes.clear();
    goods.length = 0;
  }

  before(async () => {
    let last: unknown;
    for (let attempt = 0; attempt < 6; attempt++) {
      port = 20_000 + Math.floor(Math.random() * 30_000);
      try {
        await startWorld(10 + Math.floor(Math.random() * 90));
        return;
      } catch (e) {
        last = e;
        await stopWorld();
        if (!isAddressInUse(e)) throw e;
      }
    }
    throw last;
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await stopWorld();
  });

  function resolver(config: Partial<ResolverConfig> = {}, rootHints = hints): Resolver {
    const transport = new Transport();
    transports.push(transport);
    return new Resolver(
      { upstream: transport, clock: systemClock, random: cryptoRandom, rootHints },
      { upstreamPort: port, ipv6: false, transportPolicy: false, ...config },
    );
  }

  /** Every query any server of the world received so far. */
  function sent(): number {
    let n = 0;
    for (const f of fakes.values()) n += f.seen.length;
    for (const g of goods) n += g.queryLog.total;
    return n;
  }

  /** How many queries each hostile server had seen, to look at what one test added. */
  function mark(): Map<string, number> {
    return new Map([...fakes].map(([name, f]) => [name, f.seen.length]));
  }

  /** RFC 9520 3.1: the same query goes to the same server over the same transport at most 3 times. */
  function assertNoHammering(since: Map<string, number>): void {
    for (const [name, f] of fakes) {
      const count = new Map<string, number>();
      for (const s of f.seen.slice(since.get(name) ?? 0)) {
        const k = `${s.transport} ${s.qname} ${s.qtype}`;
        count.set(k, (count.get(k) ?? 0) + 1);
      }
      for (const [k, c] of count) assert.ok(c <= 3, `${name} got "${k}" ${c} times`);
    }
  }

  async function resolve(r: Resolver, name: string, type = 'A'): Promise<{ response: Message; ms: number; n: number }> {
    const before = sent();
    const started = performance.now();
    const { response } = await r.handle(makeQuery(Name.fromText(name), typeFromText(type)!, { id: 7, rd: true }));
    const ms = performance.now() - started;
    assert.ok(ms < LIMITS.MAX_REQUEST_MS, `${name}: ${ms.toFixed(0)} ms is within the request budget`);
    return { response, ms, n: sent() - before };
  }

  function assertServfail(m: Message, what: string): number {
    assert.equal(m.rcode, Rcode.SERVFAIL, `${what}: rcode`);
    assert.equal(m.id, 7);
    const ede = m.edns?.options.find((o) => o.kind === 'ede');
    assert.ok(ede?.kind === 'ede', `${what}: an Extended DNS Error`);
    assert.ok(ede.extraText.length > 0, `${what}: with a reason`);
    return ede.infoCode;
  }

  async function stillWorks(r: Resolver): Promise<void> {
    const { response } = await resolve(r, 'www.good.');
    assert.equal(response.rcode, Rcode.NOERROR, `a normal query after: ${JSON.stringify(response.edns?.options)}`);
    assert.deepEqual(
      response.answers.map((rr) => (rr.data as { address: string }).address),
      ['192.0.2.1'],
    );
  }

  /** The common shape: SERVFAIL + EDE, bounded time and queries, no hammering, and the resolver still works. */
  async function fails(
    name: string,
    opts: { maxMs?: number; config?: Partial<ResolverConfig>; sameQueryOk?: boolean } = {},
  ) {
    const r = resolver(opts.config);
    const since = mark();
    const res = await resolve(r, name);
    const ede = assertServfail(res.response, name);
    assert.ok(res.n <= LIMITS.MAX_QUERIES_PER_REQUEST, `${name}: ${res.n} upstream queries`);
    if (opts.maxMs !== undefined) assert.ok(res.ms < opts.maxMs, `${name}: ${res.ms.toFixed(0)} ms`);
    if (!opts.sameQueryOk) assertNoHammering(since);
    await stillWorks(r);
    return { ...res, ede, r };
  }

  it('the world works: a normal name resolves', async () => {
    const r = resolver();
    await stillWorks(r);
    const { response } = await resolve(r, 'nothing.good.');
    assert.equal(response.rcode, Rcode.NXDOMAIN);
  });

  it('garbage datagrams and streams: never paired, the query times out', async () => {
    const { ede, n } = await fails('www.garbage.', { maxMs: 3000 });
    assert.equal(ede, EDE.NO_REACHABLE_AUTHORITY);
    assert.ok(n <= 6, `${n} queries`);
  });

  it('a message cut short (bad RDATA length): malformed, no waiting', async () => {
    const { ms } = await fails('www.trunc.', { maxMs: 2000 });
    assert.ok(ms < 2000);
    assert.ok((fakes.get('trunc')?.seen.length ?? 0) >= 1);
  });

  it('TC=1, then a TCP frame that announces more than it sends and closes', async () => {
    await fails('www.tclie.', { maxMs: 3000 });
    assert.ok((fakes.get('tclie')?.tcpConnections ?? 0) >= 1, 'the resolver retried over TCP');
  });

  it('TC=1, then a 65535-octet TCP frame: a header and junk', async () => {
    await fails('www.tcpbig.', { maxMs: 3000 });
    assert.ok((fakes.get('tcpbig')?.seen.filter((s) => s.transport === 'tcp').length ?? 0) >= 1);
  });

  it('compression pointer loops (one pointer over UDP, a two-pointer cycle over TCP)', async () => {
    await fails('www.ptrloop.', { maxMs: 2000 });
  });

  it('replies with the wrong ID are dropped (RFC 5452 9.1): the query times out', async () => {
    const { ede } = await fails('www.badid.', { maxMs: 3000 });
    assert.equal(ede, EDE.NO_REACHABLE_AUTHORITY);
  });

  it('replies for another question are dropped', async () => {
    await fails('www.wrongq.', { maxMs: 3000 });
  });

  it('a referral loop A -> B -> A (B refers upwards, to A and to the root): lame', async () => {
    const { n } = await fails('www.sub.pingpong.', { maxMs: 2000 });
    assert.ok(n <= 10, `${n} queries`);
  });

  it('TsuNAME: two zones whose nameservers live in each other, without glue', async () => {
    const { n } = await fails('www.loopa.', { maxMs: 3000 });
    assert.ok(n <= 10, `${n} queries`);
  });

  it('endless referrals, one label deeper each time: capped by MAX_REFERRALS', async () => {
    const labels = Array.from({ length: LIMITS.MAX_REFERRALS + 10 }, (_, i) => `l${i}`).join('.');
    // every referral names a new zone served by the same address, so the same question reaches it once per zone
    const { n } = await fails(`${labels}.stairs.`, {
      maxMs: 4000,
      config: { qnameMinimisation: 'off' },
      sameQueryOk: true,
    });
    assert.ok(n <= LIMITS.MAX_REFERRALS + 3, `${n} queries`);
  });

  it('NXNSAttack: 100 glueless NS names cost at most the NS-lookup and query budgets', async (t) => {
    const victim = goods[2].queryLog;
    const victimBefore = victim.total;
    const { n } = await fails('www.x.nxns.', { maxMs: LIMITS.MAX_REQUEST_MS });
    const asked = new Set(
      victim
        .entries()
        .slice(-(victim.total - victimBefore))
        .map((e) => e.qname.toLowerCase()),
    );
    t.diagnostic(`${n} upstream queries, ${asked.size} NS names looked up at the victim`);
    assert.ok(n <= LIMITS.MAX_QUERIES_PER_REQUEST, `${n} queries in all`);
    assert.ok(
      asked.size <= LIMITS.MAX_NS_LOOKUPS_PER_REQUEST + 1,
      `${asked.size} names asked at the victim: ${[...asked].join(' ')}`,
    );
    // nothing keeps running once the client has its answer
    const settled = sent();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(sent(), settled, 'no queries after the response');
  });

  it('NXNSAttack with two-step lookups: the request ends only when its sub-queries do', async (t) => {
    const slow = fakes.get('slowv')!;
    const before = slow.seen.length;
    // with IPv6 on, each name costs an A and an AAAA lookup, so the budget runs out in the middle of a batch
    const { n } = await fails('www.x.nxns2.', { maxMs: LIMITS.MAX_REQUEST_MS, config: { ipv6: true } });
    const settled = sent();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(sent(), settled, 'no queries after the response');
    const names = new Set(slow.seen.slice(before).map((s) => s.qname));
    t.diagnostic(`${n} upstream queries, ${names.size} NS names looked up`);
    assert.ok(names.size <= LIMITS.MAX_NS_LOOKUPS_PER_REQUEST, `${names.size} names`);
  });

  it('a slow drip over TCP after TC=1 times out within the budget', async () => {
    await fails('www.drip.', { maxMs: 3000 });
    assert.ok((fakes.get('drip')?.tcpConnections ?? 0) >= 1);
  });

  it('no answer at all', async () => {
    const { ede, n } = await fails('www.silent.', { maxMs: 3000 });
    assert.equal(ede, EDE.NO_REACHABLE_AUTHORITY);
    assert.ok(n <= 4, `${n} queries`);
  });

  it('root hints that never answer: SERVFAIL after at most two tries per address, no lookups of the root names', async (t) => {
    const dead = [
      { name: Name.ROOT, type: RRType.NS, class: 1, ttl: 3600000, data: { target: Name.fromText('a.root.') } },
      { name: Name.ROOT, type: RRType.NS, class: 1, ttl: 3600000, data: { target: Name.fromText('b.root.') } },
      { name: Name.fromText('a.root.'), type: RRType.A, class: 1, ttl: 3600000, data: { address: ip('11.1') } },
      { name: Name.fromText('b.root.'), type: RRType.A, class: 1, ttl: 3600000, data: { address: ip('2.1') } },
    ] as RR[];
    const r = resolver({}, dead);
    const since = mark();
    const { response, n, ms } = await resolve(r, 'www.good.');
    t.diagnostic(`${n} queries in ${ms.toFixed(0)} ms`);
    assertServfail(response, 'dead root');
    assertNoHammering(since);
    // a.root. is silent: tried again once (RFC 9520 3.1); b.root. answers garbage: not worth a second try
    assert.ok(n <= 2 * LIMITS.MAX_SENDS_PER_SERVER, `${n} queries`);
    assert.ok(n >= 3, `${n} queries: the silent root got a second chance`);
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  });

  it('one dead server and one good one: the right answer, and the dead one is avoided next time', async () => {
    const r = resolver();
    const silent = fakes.get('silent')!;
    const before = silent.seen.length;
    for (let i = 0; i < 4; i++) {
      r.flush();
      const { response, ms } = await resolve(r, 'www.mixed.');
      assert.equal(response.rcode, Rcode.NOERROR, `round ${i}`);
      assert.deepEqual(
        response.answers.map((rr) => (rr.data as { address: string }).address),
        ['192.0.2.2'],
      );
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    }
    const toDead = silent.seen.slice(before).filter((s) => s.qname === 'www.mixed.').length;
    assert.ok(toDead <= 1, `the dead server was asked ${toDead} times: its RTO backed off after the first timeout`);
  });

  it('relaxed QNAME minimisation falls back to the full name when minimised queries are REFUSED', async () => {
    const r = resolver({ qnameMinimisation: 'relaxed' });
    const { response } = await resolve(r, 'www.a.b.brokenmin.');
    assert.equal(response.rcode, Rcode.NOERROR);
    assert.equal(response.answers.length, 1);
    await stillWorks(r);
  });

  it('relaxed QNAME minimisation does not believe NXDOMAIN for an empty non-terminal; strict does', async () => {
    const relaxed = await resolve(resolver({ qnameMinimisation: 'relaxed' }), 'www.a.b.nxent.');
    assert.equal(relaxed.response.rcode, Rcode.NOERROR);
    const strict = await resolve(resolver({ qnameMinimisation: 'strict' }), 'www.a.b.nxent.');
    assert.equal(strict.response.rcode, Rcode.NXDOMAIN);
  });

  it('many hostile queries at once: every one settles within the budget', async () => {
    const r = resolver();
    const names = [
      'a.garbage.',
      'a.trunc.',
      'a.tclie.',
      'a.tcpbig.',
      'a.ptrloop.',
      'a.badid.',
      'a.wrongq.',
      'a.sub.pingpong.',
      'a.loopa.',
      'a.drip.',
      'a.silent.',
      'y.nxns.',
    ];
    const started = performance.now();
    const all = await Promise.all(names.map((n) => resolve(r, n)));
    for (const [i, { response }] of all.entries()) assertServfail(response, names[i]);
    assert.ok(performance.now() - started < LIMITS.MAX_REQUEST_MS);
    await stillWorks(r);
  });
});
