// A client asking, from a cold cache, for the very records that make up a nameserver's signal
// (its TLSA or SVCB) must get them: the lookup needs itself, which leaves the signal "not known
// yet" for that request (bootstrap rules) instead of failing the server as unusable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { makeQuery, parseRecordsFile, Rcode, RRType } from '../../src/wire/index.js';

describe('signal records asked for directly', () => {
  let lab: Lab;
  let port = 0;
  let transport: Transport;
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
    transport = new Transport();
  });
  after(async () => {
    transport?.destroy();
    await lab?.close();
  });

  // the lab publishes the TLSA at the port its DoT listener really uses (_<port>._tcp)
  for (const [label, type] of [
    ['tlsa', RRType.TLSA],
    ['svcb', RRType.SVCB],
  ] as const) {
    test(`the ${label} of ns1.dot.test from a cold cache`, { timeout: 30_000 }, async () => {
      const name = label === 'tlsa' ? `_${port + 1}._tcp.ns1.dot.test` : '_dns.ns1.dot.test';
      const resolver = new Resolver(
        {
          upstream: transport,
          clock: systemClock,
          random: cryptoRandom,
          rootHints: parseRecordsFile(lab.rootHints),
          trustAnchors: parseRecordsFile(lab.trustAnchor),
        },
        { ipv6: false, upstreamPort: port, dotProbePort: port + 1 },
      );
      const { response } = await resolver.handle(makeQuery(name, type, { rd: true, id: 7, dnssecOk: true }));
      assert.equal(response.rcode, Rcode.NOERROR);
      assert.equal(response.ad, true);
      assert.ok(response.answers.some((rr) => rr.type === type));
      // and the strict server is then used over DoT for a normal name
      const www = await resolver.handle(makeQuery('www.dot.test', RRType.A, { rd: true, id: 8 }));
      assert.equal(www.response.rcode, Rcode.NOERROR);
      assert.ok(www.state?.hops.some((h) => h.server === 'ns1.dot.test.' && h.protocol === 'dot') ?? true);
    });
  }
});
