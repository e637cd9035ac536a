// The resolver service against the embedded lab (high ports, so no root needed): UDP and TCP
// answers, RA/RD, the packet cache (client ID and qname case, TTLs counting down), truncation,
// the ACL (REFUSED + EDE 18) and garbage that must not stop the server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { Rank } from '../../src/cache/rank.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { type ResolverService, startResolverService } from '../../src/server/service.js';
import { Transport } from '../../src/transport/client.js';
import { FakeClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import {
  decodeMessage,
  EDE,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  parseRecordsFile,
  Rcode,
  type RR,
  RRType,
} from '../../src/wire/index.js';
import { StreamClient, udpExchange } from '../authority/serve-helpers.js';
import { freePort, freePorts } from '../helpers/peers.js';

const T = { timeout: 20_000 };

describe('resolver service', { timeout: 120_000 }, () => {
  let lab: Lab;
  let upstream: Transport;
  let clock: FakeClock;
  let resolver: Resolver;
  let service: ResolverService;
  let port: number;
  const extra: ResolverService[] = [];

  before(async () => {
    const [dns, dot, doh] = await freePorts(3);
    lab = await startLab({ ports: { dns, dot, doh } });
    upstream = new Transport();
    // The resolver's clock is fake so that TTLs count down on demand; the network runs on real time.
    clock = new FakeClock(Date.now());
    resolver = new Resolver(
      { upstream, clock, random: cryptoRandom, rootHints: parseRecordsFile(lab.rootHints) },
      { upstreamPort: dns, transportPolicy: false },
    );
    port = await freePort();
    service = await startResolverService({
      listen: [
        { address: '127.0.0.1', port, transport: 'udp' },
        { address: '127.0.0.1', port, transport: 'tcp' },
      ],
      resolver,
    });
  });

  after(async () => {
    await Promise.all([service?.close(), ...extra.map((s) => s.close())]);
    upstream?.destroy();
    await lab?.close();
  });

  async function udp(wire: Uint8Array, to = port): Promise<Message> {
    const reply = await udpExchange(to, wire);
    assert.ok(reply, 'no UDP reply');
    return decodeMessage(reply);
  }

  async function tcp(wire: Uint8Array, to = port): Promise<Message> {
    const c = await StreamClient.connectTcp(to);
    try {
      c.send(wire);
      return await c.nextMessage();
    } finally {
      c.destroy();
    }
  }

  const addresses = (m: Message) => m.answers.filter((rr) => rr.type === RRType.A).map((rr) => rr.data);

  test('binds what it was asked to', () => {
    assert.deepEqual(service.listeners, [
      { address: '127.0.0.1', port, transport: 'udp' },
      { address: '127.0.0.1', port, transport: 'tcp' },
    ]);
    assert.equal(service.queryLog, undefined, 'no query log unless asked for');
  });

  test('UDP: a lab name is resolved, RA set, RD and the ID echoed', T, async () => {
    const m = await udp(encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 0x5151, rd: true })));
    assert.equal(m.id, 0x5151);
    assert.equal(m.qr, true);
    assert.equal(m.rcode, Rcode.NOERROR);
    assert.equal(m.ra, true);
    assert.equal(m.rd, true);
    assert.deepEqual(addresses(m), [{ address: '192.0.2.1' }]);
  });

  test('TCP: a lab name is resolved', T, async () => {
    const m = await tcp(encodeMessage(makeQuery('www.dot.test', RRType.A, { id: 0x6161, rd: true })));
    assert.equal(m.id, 0x6161);
    assert.equal(m.rcode, Rcode.NOERROR);
    assert.equal(m.ra, true);
    assert.deepEqual(addresses(m), [{ address: '192.0.2.31' }]);
  });

  test('RD clear is echoed (answered from the cache, RA still set)', T, async () => {
    await udp(encodeMessage(makeQuery('mx.clear.test', RRType.A, { id: 1, rd: true })));
    const m = await udp(encodeMessage(makeQuery('mx.clear.test', RRType.A, { id: 2, rd: false })));
    assert.equal(m.rd, false);
    assert.equal(m.ra, true);
    assert.deepEqual(addresses(m), [{ address: '192.0.2.4' }]);
  });

  test(
    'a repeated query comes from the packet cache with its own ID and qname case, TTLs counting down',
    T,
    async () => {
      const first = await udp(encodeMessage(makeQuery('txt.clear.test', RRType.TXT, { id: 0x0101, rd: true })));
      assert.equal(first.rcode, Rcode.NOERROR);
      const ttl0 = first.answers[0].ttl;
      const hits = resolver.stats.packetHits;

      clock.advance(5_000);
      const raw = await udpExchange(
        port,
        encodeMessage(makeQuery('TxT.cLeAr.TeSt', RRType.TXT, { id: 0xbeef, rd: true })),
      );
      assert.ok(raw);
      assert.equal(resolver.stats.packetHits, hits + 1, 'answered from the packet cache');
      const m = decodeMessage(raw);
      assert.equal(m.id, 0xbeef);
      // The question on the wire carries the client's letters (0x20 clients check them).
      assert.equal(m.questions[0].name.toString(), 'TxT.cLeAr.TeSt.');
      assert.equal(m.answers[0].ttl, ttl0 - 5);

      // The same through TCP: the same entry, patched the same way.
      clock.advance(2_000);
      const t = await tcp(encodeMessage(makeQuery('txt.CLEAR.test', RRType.TXT, { id: 0x0202, rd: true })));
      assert.equal(resolver.stats.packetHits, hits + 2);
      assert.equal(t.id, 0x0202);
      assert.equal(t.answers[0].ttl, ttl0 - 7);
    },
  );

  test('a big answer is truncated over UDP for a 512-octet client, complete over TCP', T, async () => {
    // The lab has no RRset above 512 octets without DNSSEC records, so one is put in the cache
    // as if an authoritative server had sent it: 40 A records, about 700 octets on the wire.
    const name = Name.fromText('big.clear.test.');
    const rrs: RR[] = Array.from({ length: 40 }, (_, i) => ({
      name,
      type: RRType.A,
      class: 1,
      ttl: 300,
      data: { address: `198.51.100.${i + 1}` },
    }));
    resolver.cache.put(rrs, [], Rank.AuthAnswer, clock.now());

    const small = makeQuery('big.clear.test', RRType.A, { id: 7, rd: true, udpSize: 512 });
    const truncated = await udpExchange(port, encodeMessage(small));
    assert.ok(truncated);
    assert.ok(truncated.length <= 512, `${truncated.length} octets over UDP`);
    const m = decodeMessage(truncated);
    assert.equal(m.tc, true);
    assert.equal(m.id, 7);

    const full = await tcp(encodeMessage(small));
    assert.equal(full.tc, false);
    assert.equal(full.answers.length, 40);

    // A client that takes 1232 octets over UDP gets it all (from the packet cache now).
    const big = await udp(encodeMessage(makeQuery('big.clear.test', RRType.A, { id: 8, rd: true, udpSize: 1232 })));
    assert.equal(big.tc, false);
    assert.equal(big.answers.length, 40);

    // And the 512-octet client is still truncated: the packet cache never serves an answer
    // longer than the client takes.
    const again = decodeMessage((await udpExchange(port, encodeMessage({ ...small, id: 9 })))!);
    assert.equal(again.tc, true);
  });

  test(
    'clients outside the ACL get REFUSED with EDE 18 over UDP and TCP, without reaching the resolver',
    T,
    async () => {
      const p = await freePort();
      const denied = await startResolverService({
        listen: [
          { address: '127.0.0.1', port: p, transport: 'udp' },
          { address: '127.0.0.1', port: p, transport: 'tcp' },
        ],
        resolver,
        acl: ['10.0.0.0/8', '2001:db8::/32'],
      });
      extra.push(denied);
      const before = resolver.stats.queries;
      const q = encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 0x0a0a, rd: true }));
      for (const m of [await udp(q, p), await tcp(q, p)]) {
        assert.equal(m.id, 0x0a0a);
        assert.equal(m.rcode, Rcode.REFUSED);
        assert.equal(m.answers.length, 0);
        assert.equal(m.questions[0].name.toString(), 'www.clear.test.');
        const ede = m.edns?.options.find((o) => o.kind === 'ede');
        assert.ok(ede && ede.kind === 'ede', 'an Extended DNS Error');
        assert.equal(ede.infoCode, EDE.PROHIBITED);
      }
      assert.equal(resolver.stats.queries, before, 'the resolver never saw them');
      assert.equal(denied.stats.refused, 2);
    },
  );

  test('garbage is dropped or answered FORMERR, and the server keeps serving', T, async () => {
    // Too short to hold a header: dropped.
    assert.equal(await udpExchange(port, Uint8Array.from([1, 2, 3, 4, 5]), 300), undefined);
    // A response (QR set): dropped, never answered (no reflection loops).
    const response = encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 3 }));
    response[2] |= 0x80;
    assert.equal(await udpExchange(port, response, 300), undefined);
    // A header announcing a question that is cut short: FORMERR with the ID.
    const cut = Uint8Array.from([0x77, 0x88, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]);
    const formerr = await udpExchange(port, cut);
    assert.ok(formerr);
    assert.equal(formerr.readUInt16BE(0), 0x7788);
    assert.equal(formerr[3] & 0x0f, Rcode.FORMERR);
    assert.equal(formerr[2] & 0x80, 0x80);
    // Random octets over UDP never kill the listener.
    for (let i = 0; i < 20; i++) {
      const junk = Uint8Array.from({ length: 12 + i * 7 }, (_, k) => (k * 131 + i * 17) & 0xff);
      junk[2] &= 0x7f;
      await udpExchange(port, junk, 100);
    }
    // A TCP length prefix below a header's size is not DNS: that connection is closed.
    const c = await StreamClient.connectTcp(port);
    c.write(Uint8Array.from([0, 5, 1, 2, 3, 4, 5]));
    assert.equal(await c.closesWithin(3_000), true);
    // Still serving, on both transports.
    const q = encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 0x0c0c, rd: true }));
    assert.deepEqual(addresses(await udp(q)), [{ address: '192.0.2.1' }]);
    assert.deepEqual(addresses(await tcp(q)), [{ address: '192.0.2.1' }]);
  });

  test('close() stops answering', T, async () => {
    const p = await freePort();
    const s = await startResolverService({ listen: [{ address: '127.0.0.1', port: p, transport: 'udp' }], resolver });
    const q = encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 4, rd: true }));
    assert.equal((await udp(q, p)).rcode, Rcode.NOERROR);
    await s.close();
    await s.close();
    assert.equal(await udpExchange(p, q, 300), undefined);
  });

  test('bad options are refused before anything binds', async () => {
    await assert.rejects(startResolverService({ listen: [], resolver }), { name: 'ServeError', code: 'bad-option' });
    await assert.rejects(
      startResolverService({ listen: [{ address: '127.0.0.1', port: 70000, transport: 'udp' }], resolver }),
      { code: 'bad-option' },
    );
    await assert.rejects(
      startResolverService({ listen: [{ address: '127.0.0.1', port: 0, transport: 'udp' }], resolver, acl: ['nope'] }),
      /bad ACL entry "nope"/,
    );
  });
});
