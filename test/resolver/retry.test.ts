// Retrying a server that timed out (RFC 9520 3.1: at most three sends of a query to a server): a server known to
// answer (busy, or a lost datagram) gets two retries, each waiting at least twice as long as the one before; a
// server never heard from gets one, so that a silent zone fails fast.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/resolver/limits.js';
import type { Target, UpstreamReply } from '../../src/transport/upstream.js';
import { EDE, Rcode, RRType } from '../../src/wire/index.js';
import { FakeNet, type Handler, n, ROOT_IP, reply, testResolver } from '../helpers/fake-authorities.js';

/** FakeNet that also records the deadline of every query. */
class TimedNet extends FakeNet {
  readonly timeouts: number[] = [];

  protected override dispatch(
    wire: Uint8Array,
    target: Target,
    _signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply> {
    this.timeouts.push(timeoutMs ?? Number.NaN);
    return super.dispatch(wire, target);
  }
}

/** example. on one server that drops the first `drops` queries for busy.example. */
function network(drops: number): TimedNet {
  let dropped = 0;
  const server: Handler = (q) => {
    const { name } = q.questions[0];
    if (name.equals(n('busy.example')) && dropped < drops) {
      dropped++;
      return 'timeout';
    }
    return reply(q, { aa: true, an: [`${name} 300 IN A 192.0.2.7`] });
  };
  return new TimedNet({
    [ROOT_IP]: (q) => reply(q, { ns: ['example. 3600 IN NS ns.example.'], ar: ['ns.example. 3600 IN A 192.0.2.1'] }),
    '192.0.2.1': server,
  });
}

describe('retries of a server that timed out', () => {
  it('a server known to answer gets up to three sends, each waiting at least twice as long', async () => {
    assert.equal(LIMITS.MAX_SENDS_PER_SERVER, 3);
    const net = network(2);
    const { ask } = testResolver(net, { minTimeoutMs: 100 });
    assert.equal((await ask('warm.example', RRType.A)).rcode, Rcode.NOERROR, 'the server answered once');
    net.sent.length = 0;
    net.timeouts.length = 0;
    const r = await ask('busy.example', RRType.A);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(net.asked('192.0.2.1'), ['busy.example. 1', 'busy.example. 1', 'busy.example. 1']);
    const [a, b, c] = net.timeouts;
    assert.ok(b >= 2 * a && c >= 2 * b, `deadlines ${net.timeouts.join(', ')} ms`);
    assert.ok(a >= 100 && c >= 400, `deadlines ${net.timeouts.join(', ')} ms`);
  });

  it('a server never heard from gets two sends: the zone fails fast', async () => {
    const net = network(5);
    const { ask } = testResolver(net, { minTimeoutMs: 100 });
    const r = await ask('busy.example', RRType.A);
    assert.equal(r.rcode, Rcode.SERVFAIL);
    assert.equal(net.asked('192.0.2.1').length, LIMITS.MAX_SENDS_SILENT_SERVER);
    assert.equal(
      r.edns?.options.some((o) => o.kind === 'ede' && o.infoCode === EDE.NO_REACHABLE_AUTHORITY),
      true,
    );
  });

  it('three sends at most, even to a server known to answer', async () => {
    const net = network(5);
    const { ask } = testResolver(net, { minTimeoutMs: 100 });
    await ask('warm.example', RRType.A);
    net.sent.length = 0;
    assert.equal((await ask('busy.example', RRType.A)).rcode, Rcode.SERVFAIL);
    assert.equal(net.asked('192.0.2.1').length, 3);
  });
});
