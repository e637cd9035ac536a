import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { scriptedRandom, UdpClient } from '../../src/transport/index.js';
import {
  addressOf,
  answerFor,
  closedUdpPort,
  type FakeUdpServer,
  hasIpv6Loopback,
  idOf,
  queryWire,
  rejectsWith,
  target,
  udpServer,
} from '../helpers/dns-fakes.js';

const T = { timeout: 5000 };

describe('UdpClient', () => {
  const servers: FakeUdpServer[] = [];
  const client = new UdpClient({ timeoutMs: 300 });
  after(async () => {
    client.destroy();
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(h: Parameters<typeof udpServer>[0], address?: string): Promise<FakeUdpServer> {
    const s = await udpServer(h, address);
    servers.push(s);
    return s;
  }

  it('returns the paired answer with the caller ID restored and the query bytes untouched', T, async () => {
    const seen: number[] = [];
    const s = await server((msg, _r, reply) => {
      seen.push(idOf(msg));
      reply(answerFor(msg));
    });
    const c = new UdpClient({ timeoutMs: 1000, random: scriptedRandom([0xbeef]) });
    const wire = queryWire('example.com', 0x1234);
    const copy = Uint8Array.from(wire);
    const reply = await c.query(wire, target(s.port));
    assert.deepEqual(seen, [0xbeef], 'the ID on the wire comes from the injected Random');
    assert.equal(idOf(reply.wire), 0x1234);
    assert.deepEqual(wire, copy);
    assert.equal(addressOf(reply.wire), '192.0.2.1');
    assert.equal(reply.protocol, 'udp');
    assert.equal(reply.truncated, false);
    assert.equal(reply.mismatched, 0);
    assert.equal(reply.reused, false);
    assert.ok(reply.rttMs >= 0 && reply.rttMs < 1000);
    await c.close();
  });

  it(
    'ignores a wrong ID, a wrong question, a non-response and a wrong source, then accepts the right reply',
    T,
    async () => {
      const spoofer = dgram.createSocket('udp4');
      await new Promise<void>((r) => spoofer.bind(0, '127.0.0.1', () => r()));
      const s = await server((msg, rinfo, reply) => {
        const id = idOf(msg);
        reply(answerFor(msg, { id: id ^ 1, address: '198.51.100.1' }));
        reply(answerFor(msg, { qname: 'other.example', address: '198.51.100.2' }));
        reply(answerFor(msg, { qtype: 28, address: '198.51.100.3' }));
        const notResponse = Buffer.from(msg); // the query echoed: QR clear
        reply(notResponse);
        spoofer.send(answerFor(msg, { address: '198.51.100.4' }), rinfo.port, rinfo.address);
        setTimeout(() => reply(answerFor(msg, { address: '192.0.2.7' })), 30);
      });
      try {
        const reply = await client.query(queryWire('example.com'), target(s.port));
        assert.equal(addressOf(reply.wire), '192.0.2.7');
        // The spoofed-source datagram is dropped by the kernel (connected socket), so it may not be counted.
        assert.ok(reply.mismatched >= 4, `mismatched = ${reply.mismatched}`);
      } finally {
        spoofer.close();
      }
    },
  );

  it('pairs the question case-insensitively', T, async () => {
    const s = await server((msg, _r, reply) => reply(answerFor(msg, { qname: 'EXAMPLE.com' })));
    const reply = await client.query(queryWire('example.COM'), target(s.port));
    assert.equal(reply.mismatched, 0);
  });

  it('times out when the server is silent', T, async () => {
    const s = await server(() => {});
    const started = Date.now();
    const err = await rejectsWith(client.query(queryWire('example.com'), target(s.port)), 'timeout');
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
    assert.deepEqual(err.target, { ip: '127.0.0.1', port: s.port, protocol: 'udp' });
    assert.equal(client.inflight, 0, 'the socket is released');
  });

  it("a query's own deadline (timeoutMs) replaces the client's default, shorter or longer", T, async () => {
    const s = await server(() => {});
    let started = Date.now();
    const err = await rejectsWith(client.query(queryWire('example.com'), target(s.port), undefined, 60), 'timeout');
    let took = Date.now() - started;
    assert.ok(took >= 50 && took < 250, `took ${took} ms (default 300)`);
    assert.match(err.message, /no reply in 60 ms/);
    started = Date.now();
    await rejectsWith(client.query(queryWire('example.com'), target(s.port), undefined, 600), 'timeout');
    took = Date.now() - started;
    assert.ok(took >= 550, `took ${took} ms`);
    assert.equal(client.inflight, 0);
  });

  it(
    'a reply that came in time but waited to be read while the process was busy is not lost to the deadline',
    T,
    async () => {
      const s = await server((msg, _r, reply) => reply(answerFor(msg)));
      const pending = client.query(queryWire('example.com'), target(s.port), undefined, 50);
      // once the query is out, keep the event loop busy past the deadline: the reply sits in the socket meanwhile
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          const until = Date.now() + 150;
          while (Date.now() < until) {
            // busy
          }
          resolve();
        }, 5),
      );
      const reply = await pending;
      assert.equal(reply.protocol, 'udp');
    },
  );

  it("reports 'mismatched' when only unpaired replies arrived before the deadline", T, async () => {
    const s = await server((msg, _r, reply) => {
      reply(answerFor(msg, { id: idOf(msg) ^ 0x8000 }));
      reply(answerFor(msg, { id: idOf(msg) ^ 0x0001 }));
    });
    const err = await rejectsWith(client.query(queryWire('example.com'), target(s.port)), 'mismatched');
    assert.equal(err.mismatched, 2);
  });

  it('reports TC to the caller', T, async () => {
    const s = await server((msg, _r, reply) => reply(answerFor(msg, { tc: true })));
    const reply = await client.query(queryWire('big.example'), target(s.port));
    assert.equal(reply.truncated, true);
  });

  it("maps ICMP port unreachable to 'connect-refused'", T, async () => {
    const port = await closedUdpPort();
    await rejectsWith(client.query(queryWire('example.com'), target(port)), 'connect-refused');
  });

  it('uses a fresh socket and source port per query, and a fresh ID', T, async () => {
    const ports = new Set<number>();
    const ids = new Set<number>();
    let pending: (() => void)[] = [];
    const s = await server((msg, rinfo, reply) => {
      ports.add(rinfo.port);
      ids.add(idOf(msg));
      pending.push(() => reply(answerFor(msg)));
      if (pending.length === 8) {
        for (const f of pending) f();
        pending = [];
      }
    });
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => client.query(queryWire('example.com', 7), target(s.port))),
    );
    assert.equal(replies.length, 8);
    assert.equal(ports.size, 8, 'concurrent queries use different source ports (RFC 5452 9.2)');
    assert.ok(ids.size >= 7, 'IDs are random');
    for (const r of replies) assert.equal(idOf(r.wire), 7);
  });

  it("maps the caller's AbortSignal: TimeoutError -> 'timeout', other -> 'aborted'", T, async () => {
    const s = await server(() => {});
    const c = new UdpClient({ timeoutMs: 5000 });
    await rejectsWith(c.query(queryWire('example.com'), target(s.port), AbortSignal.timeout(50)), 'timeout');
    const ac = new AbortController();
    const p = c.query(queryWire('example.com'), target(s.port), ac.signal);
    ac.abort();
    await rejectsWith(p, 'aborted');
    await rejectsWith(c.query(queryWire('example.com'), target(s.port), ac.signal), 'aborted');
    assert.equal(c.inflight, 0);
    await c.close();
  });

  it('rejects unpairable queries and bad targets', T, async () => {
    await rejectsWith(client.query(new Uint8Array(5), target(53)), 'bad-query');
    await rejectsWith(client.query(queryWire('example.com'), { ...target(53), ip: 'localhost' }), 'bad-target');
    await rejectsWith(client.query(queryWire('example.com'), target(0)), 'bad-target');
  });

  it("destroy() fails queries in flight with 'shutdown'; later queries are refused", T, async () => {
    const s = await server(() => {});
    const c = new UdpClient({ timeoutMs: 5000 });
    const p = c.query(queryWire('example.com'), target(s.port));
    c.destroy();
    await rejectsWith(p, 'shutdown');
    await rejectsWith(c.query(queryWire('example.com'), target(s.port)), 'shutdown');
    assert.equal(c.inflight, 0);
  });

  it('close() waits for queries in flight', T, async () => {
    const s = await server((msg, _r, reply) => setTimeout(() => reply(answerFor(msg)), 50));
    const c = new UdpClient({ timeoutMs: 2000 });
    const p = c.query(queryWire('example.com'), target(s.port));
    let answered = false;
    p.then(() => (answered = true));
    await c.close();
    assert.equal(answered, true);
    await rejectsWith(c.query(queryWire('example.com'), target(s.port)), 'shutdown');
  });

  describe('IPv6', () => {
    let v6 = false;
    before(async () => {
      v6 = await hasIpv6Loopback();
    });
    it('queries ::1', T, async (t) => {
      if (!v6) {
        t.skip('no IPv6 loopback on this host');
        return;
      }
      const s = await server((msg, _r, reply) => reply(answerFor(msg)), '::1');
      const reply = await client.query(queryWire('example.com'), target(s.port, 'udp', '0:0::1'));
      assert.equal(addressOf(reply.wire), '192.0.2.1');
    });
  });
});
