// Resolver.handleRaw, the packet-cache fast path: what a client can take depends on its transport (its EDNS UDP size,
// or 512 octets without EDNS, over UDP; 65535 over TCP), so a large cached answer is served to TCP clients whatever
// their EDNS size, and never to a UDP client that cannot take it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage, makeQuery, RRType } from '../../src/wire/index.js';
import { FakeNet, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

const TXT = Array.from({ length: 10 }, (_, i) => `big.test. 300 IN TXT "${String(i).repeat(90)}"`);

describe('Resolver.handleRaw and the packet cache', () => {
  function setup() {
    const net = new FakeNet({ [ROOT_IP]: (q) => reply(q, { aa: true, an: TXT }) });
    const t = testResolver(net, { packetCache: true });
    const raw = (id: number, edns: boolean) =>
      encodeMessage(makeQuery(n('big.test'), RRType.TXT, { id, rd: true, edns, udpSize: 1232 }));
    return { net, r: t.resolver, raw };
  }

  it('a TCP client without EDNS gets the large answer from the packet cache', async () => {
    const { net, r, raw } = setup();
    const tcp = { transport: 'tcp' as const };
    const first = await r.handleRaw(raw(1, false), tcp, 65535);
    assert.ok(first && first.length > 512, `${first?.length} octets`);
    assert.equal(decodeMessage(first).answers.length, 10);
    const asked = net.sent.length;
    const hits = r.stats.packetHits;
    const again = await r.handleRaw(raw(2, false), tcp, 65535);
    assert.ok(again);
    assert.equal(decodeMessage(again).id, 2);
    assert.equal(decodeMessage(again).answers.length, 10);
    assert.equal(r.stats.packetHits, hits + 1, 'served from the packet cache');
    assert.equal(net.sent.length, asked);
  });

  it('a packet-cache hit is returned at once, not as a promise; a miss as a promise', async () => {
    const { r, raw } = setup();
    const miss = r.handleRaw(raw(1, true), { transport: 'udp' }, 1232);
    assert.ok(miss instanceof Promise);
    await miss;
    const hit = r.handleRaw(raw(2, true), { transport: 'udp' }, 1232);
    assert.ok(hit instanceof Uint8Array && !(hit instanceof Promise));
    assert.equal(decodeMessage(hit).id, 2);
    const again = r.handleRaw(raw(3, true), { transport: 'udp' }, 1232);
    assert.ok(again instanceof Uint8Array);
    assert.equal(decodeMessage(again).id, 3);
    assert.equal(decodeMessage(hit).id, 2, 'each hit is its own copy: the next one does not change it');
  });

  it('a UDP client without EDNS never gets more than 512 octets: TC from the slow path', async () => {
    const { r, raw } = setup();
    await r.handleRaw(raw(1, false), { transport: 'tcp' }, 65535);
    const hits = r.stats.packetHits;
    const udp = await r.handleRaw(raw(3, false), { transport: 'udp' }, 65535);
    assert.ok(udp && udp.length <= 512);
    assert.equal(decodeMessage(udp).tc, true);
    assert.equal(r.stats.packetHits, hits);
    const edns = await r.handleRaw(raw(4, true), { transport: 'udp' }, 65535);
    assert.ok(edns);
    assert.equal(decodeMessage(edns).tc, false, 'an EDNS client with 1232 octets takes it');
    assert.equal(decodeMessage(edns).answers.length, 10);
  });
});
