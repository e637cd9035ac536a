import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  Agent,
  exchange,
  type Target,
  Transport,
  type Upstream,
  type UpstreamReply,
} from '../../src/transport/index.js';
import { decodeMessage, makeQuery, RRType } from '../../src/wire/index.js';
import {
  addressOf,
  answerFor,
  type FakeTcpServer,
  type FakeUdpServer,
  rejectsWith,
  target,
  tcpServer,
  udpServer,
} from '../helpers/dns-fakes.js';

const T = { timeout: 5000 };

/** An upstream that records what it was asked and answers with `respond`. */
function recording(respond: (wire: Uint8Array) => Uint8Array): Upstream & { seen: [Uint8Array, Target][] } {
  const seen: [Uint8Array, Target][] = [];
  return {
    seen,
    query: async (wire, t): Promise<UpstreamReply> => {
      seen.push([wire, t]);
      return { wire: respond(wire), rttMs: 1, protocol: t.protocol, truncated: false, mismatched: 0, reused: false };
    },
    close: async () => {},
    destroy: () => {},
  };
}

describe('Transport facade and exchange()', () => {
  let udp: FakeUdpServer;
  let tcp: FakeTcpServer;
  const transport = new Transport({ udp: { timeoutMs: 1000 }, stream: { queryTimeoutMs: 1000 } });
  after(async () => {
    transport.destroy();
    await udp?.close();
    await tcp?.close();
  });

  it('dispatches by protocol and decodes the reply', T, async () => {
    udp = await udpServer((msg, _r, reply) => reply(answerFor(msg, { address: '192.0.2.53' })));
    tcp = await tcpServer((msg, conn) => conn.send(answerFor(msg, { address: '192.0.2.54' })));
    const q = makeQuery('example.com', RRType.A, { id: 99 });
    const viaUdp = await transport.exchange(q, target(udp.port, 'udp'));
    assert.equal(viaUdp.message.id, 99);
    assert.equal(addressOf(viaUdp.wire), '192.0.2.53');
    const viaTcp = await transport.exchange(q, target(tcp.port, 'tcp'));
    assert.equal(viaTcp.message.id, 99);
    assert.equal(addressOf(viaTcp.wire), '192.0.2.54');
    assert.equal(viaTcp.reply.protocol, 'tcp');
  });

  it("fails a protocol without an upstream with 'unsupported-protocol'; DoT and DoH are wired", T, async () => {
    const q = makeQuery('example.com', RRType.A);
    // A bare Agent has TCP only; the Transport registers the TLS connector for DoT and a DoH client.
    await rejectsWith(exchange(new Agent(), q, target(853, 'dot')), 'unsupported-protocol');
    assert.equal(transport.stream.supports('dot'), true);
    await rejectsWith(transport.exchange(q, { ...target(443, 'doh'), auth: 'pkix' }), 'bad-target');
  });

  it('routes a protocol to an injected upstream', T, async () => {
    const doh = recording((w) => answerFor(w));
    const t = new Transport({ upstreams: { doh } });
    const target443: Target = { ip: '127.0.0.1', port: 443, protocol: 'doh', auth: 'pkix', authName: 'dns.example' };
    const r = await t.exchange(makeQuery('example.com', RRType.A), target443);
    assert.equal(r.message.answers.length, 1);
    assert.equal(doh.seen.length, 1);
    await t.close();
  });

  it('pads queries (RFC 8467) only over encrypted protocols', T, async () => {
    const up = recording((w) => answerFor(w));
    const q = makeQuery('example.com', RRType.A);
    await exchange(up, q, target(53, 'udp'));
    await exchange(up, q, { ...target(853, 'dot'), auth: 'none' });
    const [clear, enc] = up.seen.map(([w]) => w);
    assert.equal(decodeMessage(clear).edns?.options.length, 0);
    assert.equal(enc.length % 128, 0);
    assert.ok(decodeMessage(enc).edns?.options.some((o) => o.kind === 'padding'));
  });

  it("turns an undecodable reply into 'malformed'", T, async () => {
    const up = recording((w) => {
      const good = answerFor(w);
      const bad = new Uint8Array(good.length + 3); // trailing octets after the last record
      bad.set(good);
      return bad;
    });
    await rejectsWith(exchange(up, makeQuery('example.com', RRType.A), target(53, 'udp')), 'malformed');
  });
});
