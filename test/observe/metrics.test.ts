// Prometheus metrics: the counters each diagnostics event moves (synthetic events), the cleartext
// reason labels, and a lab run — startLab() plus a validating resolver (the lab's trust anchor)
// served over UDP — after which `curl` of the metrics endpoint shows encrypted upstream exchanges
// (the lab's ns1.dot.test and ns1.doh.test are strict: DoT and DoH with DANE), TLS handshakes,
// strict decisions, DNSSEC outcomes (bogus.test: EDE 6) and cache counters.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { cleartextReason, edeLabel, Metrics } from '../../src/observe/metrics.js';
import { type MetricsEndpoint, startMetricsEndpoint } from '../../src/observe/metrics-http.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { type ResolverService, startResolverService } from '../../src/server/service.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { encodeMessage, makeQuery, Name, parseRecordsFile, RRType } from '../../src/wire/index.js';
import { udpExchange } from '../authority/serve-helpers.js';
import { describeRun, freePort, freePorts, runTool, toolSkip } from '../helpers/peers.js';

const publish = (name: string, message: unknown) => channel(name).publish(message);

/** The value of one sample of the exposition text (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(m[3]);
      found = true;
    }
  }
  return found ? total : 0;
}

describe('metrics from diagnostics events', () => {
  test('each event moves its counters', async () => {
    const m = new Metrics().start();
    try {
      publish('sealdns:server:request', {
        transport: 'dot',
        client: '127.0.0.1',
        clientPort: 5000,
        outcome: 'answered',
        packetHit: true,
        rcode: 0,
        ad: false,
        receivedAt: 0,
        durationMs: 0.2,
        query: new Uint8Array(12),
      });
      publish('sealdns:server:request', {
        transport: 'udp',
        client: '10.0.0.1',
        clientPort: 5000,
        outcome: 'refused',
        packetHit: false,
        rcode: 5,
        ad: false,
        receivedAt: 0,
        durationMs: 0.1,
        query: new Uint8Array(12),
      });
      publish('sealdns:resolver:request', {
        transport: 'doh',
        qname: 'www.bogus.test.',
        qtype: 1,
        rcode: 2,
        ede: 6,
        cacheHit: false,
        security: 'bogus',
        durationMs: 30,
        hops: 3,
        encryptedHops: 1,
        authenticatedHops: 1,
        receivedAt: 0,
      });
      const up = (protocol: string, encrypted: boolean, why: string, outcome = 'ok') =>
        publish('sealdns:resolver:upstream', {
          zone: 'test.',
          ip: '127.0.0.1',
          port: 53,
          protocol,
          encrypted,
          authenticated: encrypted,
          why,
          outcome,
          query: new Uint8Array(12),
          sentAt: 0,
          endedAt: 1,
        });
      up('dot', true, 'strict signal (DANE)');
      up('doh', true, 'strict signal (DANE)', 'timeout');
      up('udp', false, 'fallback after opportunistic failure');
      up('tcp', false, 'fallback after opportunistic failure; TCP after TC');
      up('udp', false, 'no signal, no known encrypted transport');
      publish('sealdns:resolver:decision', {
        ns: 'ns1.dot.test.',
        ip: '127.0.0.1',
        zone: 'dot.test.',
        mode: 'strict',
        reasons: [],
      });
      const server = { ip: '127.0.0.1', port: 853, protocol: 'dot' };
      publish('sealdns:transport:tls', {
        server,
        key: 'k',
        auth: 'dane',
        ok: true,
        resumed: false,
        offeredTicket: false,
        authenticatedBy: 'dane-ee',
        sni: true,
        durationMs: 3,
      });
      publish('sealdns:transport:tls', {
        server,
        key: 'k',
        auth: 'dane',
        ok: true,
        resumed: true,
        offeredTicket: true,
        authenticatedBy: 'resumed',
        sni: true,
        durationMs: 1,
      });
      publish('sealdns:transport:tls', {
        server,
        key: 'k',
        auth: 'none',
        ok: false,
        resumed: false,
        offeredTicket: false,
        sni: false,
        durationMs: 1,
        error: { metricLabel: 'tls-handshake' },
      });
      publish('sealdns:transport:query', {
        server,
        outcome: 'ok',
        durationMs: 4,
        truncated: false,
        mismatched: 0,
        reused: true,
      });
      publish('sealdns:transport:connect', { server, key: 'k', connectionId: 900001, ok: true, durationMs: 2 });
      publish('sealdns:transport:connect', { server, key: 'k', connectionId: 900002, ok: true, durationMs: 2 });
      publish('sealdns:transport:close', {
        server,
        key: 'k',
        connectionId: 900001,
        reason: 'idle',
        answered: 1,
        durationMs: 9,
      });

      const text = await m.text();
      const s = (name: string, labels?: Record<string, string>) => sample(text, `sealdns_${name}`, labels);
      assert.equal(s('client_queries_total', { transport: 'dot', outcome: 'answered' }), 1);
      assert.equal(s('client_queries_total', { transport: 'udp', outcome: 'refused' }), 1);
      assert.equal(s('client_responses_total', { rcode: 'REFUSED' }), 1);
      assert.equal(s('client_answers_total', { source: 'packet-cache' }), 1);
      assert.equal(s('client_answers_total', { source: 'resolution' }), 1);
      assert.equal(s('client_request_duration_seconds_count', { transport: 'dot', source: 'packet-cache' }), 1);
      assert.equal(s('ede_sent_total', { code: '6', name: 'dnssec-bogus' }), 1);
      assert.equal(s('dnssec_answers_total', { result: 'bogus', ede: 'dnssec-bogus' }), 1);
      assert.equal(s('upstream_queries_total', { protocol: 'doh', outcome: 'timeout' }), 1);
      assert.equal(s('upstream_encrypted_queries_total'), 2);
      assert.equal(s('upstream_cleartext_queries_total', { reason: 'opportunistic-failed' }), 2);
      assert.equal(s('upstream_cleartext_queries_total', { reason: 'no-signal' }), 1);
      assert.equal(
        s('upstream_fallbacks_total', { reason: 'opportunistic-failed' }),
        1,
        'the TCP retry is no new fallback',
      );
      assert.equal(s('transport_decisions_total', { mode: 'strict' }), 1);
      assert.equal(s('tls_handshakes_total', { protocol: 'dot', authenticated_by: 'dane-ee' }), 1);
      assert.equal(s('tls_resumptions_total', { protocol: 'dot' }), 1);
      assert.equal(s('tls_failures_total', { reason: 'tls-handshake' }), 1);
      assert.equal(s('upstream_rtt_seconds_count', { protocol: 'dot' }), 1);
      assert.equal(s('upstream_connections_opened_total', { protocol: 'dot' }), 2);
      assert.equal(s('upstream_connections_open', { protocol: 'dot' }), 1);
    } finally {
      m.stop();
    }
  });

  test('a stopped Metrics counts nothing; its registry is its own', async () => {
    const m = new Metrics();
    publish('sealdns:resolver:decision', { ns: 'x.', ip: '127.0.0.1', zone: '.', mode: 'probe', reasons: [] });
    assert.equal(sample(await m.text(), 'sealdns_transport_decisions_total'), 0);
    const { register } = await import('prom-client');
    assert.equal(
      register.getSingleMetric('sealdns_transport_decisions_total'),
      undefined,
      'not in the global registry',
    );
  });

  test('cleartext reasons are a bounded set', () => {
    assert.deepEqual(cleartextReason('fallback after DoT failure; TCP after TC'), {
      reason: 'probe-failed',
      fallback: true,
    });
    assert.deepEqual(cleartextReason('opportunistic, encryption damped'), { reason: 'damped', fallback: true });
    assert.deepEqual(cleartextReason('policy: encryption not wanted'), { reason: 'policy', fallback: false });
    assert.deepEqual(cleartextReason('bootstrap: signal not known yet (meta-query)'), {
      reason: 'bootstrap',
      fallback: false,
    });
    assert.deepEqual(cleartextReason('something new from the policy'), { reason: 'other', fallback: false });
    assert.equal(edeLabel(22), 'no-reachable-authority');
    assert.equal(edeLabel(4242), 'ede-4242');
  });
});

describe('metrics endpoint after a lab run', { timeout: 120_000 }, () => {
  let lab: Lab;
  let upstream: Transport;
  let resolver: Resolver;
  let service: ResolverService;
  let metrics: Metrics;
  let endpoint: MetricsEndpoint;
  let port: number;

  before(async () => {
    const [dns, dot, doh] = await freePorts(3);
    lab = await startLab({ ports: { dns, dot, doh } });
    upstream = new Transport();
    resolver = new Resolver(
      {
        upstream,
        clock: systemClock,
        random: cryptoRandom,
        rootHints: parseRecordsFile(lab.rootHints),
        trustAnchors: parseRecordsFile(lab.trustAnchor),
      },
      { upstreamPort: dns, ipv6: false, dotProbePort: dot },
    );
    metrics = new Metrics({ resolver: () => resolver }).start();
    port = await freePort();
    service = await startResolverService({ listen: [{ address: '127.0.0.1', port, transport: 'udp' }], resolver });
    endpoint = await startMetricsEndpoint('127.0.0.1', 0, metrics);
  });

  after(async () => {
    metrics?.stop();
    await endpoint?.close();
    await service?.close();
    upstream?.destroy();
    if (lab) {
      await lab.close();
      await rm(lab.dir, { recursive: true, force: true });
    }
  });

  test('curl shows non-zero encrypted upstream counters', { timeout: 60_000, skip: toolSkip('curl') }, async () => {
    const ask = async (name: string) => {
      const wire = encodeMessage(makeQuery(Name.fromText(name), RRType.A, { id: 7, rd: true, edns: true }));
      const reply = await udpExchange(port, wire, 10_000);
      assert.ok(reply !== undefined, `${name}: no reply`);
    };
    for (const name of ['www.dot.test.', 'www.doh.test.', 'www.clear.test.', 'www.bogus.test.', 'www.dot.test.'])
      await ask(name);
    const args = ['-sS', `http://127.0.0.1:${endpoint.port}/metrics`];
    const r = await runTool('curl', args);
    const why = describeRun('curl', args, r);
    assert.equal(r.code, 0, why);
    const s = (name: string, labels?: Record<string, string>) => sample(r.stdout, `sealdns_${name}`, labels);
    assert.ok(s('upstream_encrypted_queries_total', { protocol: 'dot' }) > 0, why);
    assert.ok(s('upstream_encrypted_queries_total', { protocol: 'doh' }) > 0, why);
    assert.ok(s('upstream_encrypted_queries_total', { authenticated: 'true' }) > 0, 'DANE-authenticated (strict)');
    assert.ok(s('upstream_cleartext_queries_total') > 0, 'the unsigned/none servers are asked in cleartext');
    assert.ok(s('tls_handshakes_total') > 0, why);
    assert.ok(s('transport_decisions_total', { mode: 'strict' }) > 0, why);
    assert.equal(s('client_queries_total', { transport: 'udp', outcome: 'answered' }), 5);
    assert.ok(s('dnssec_answers_total', { result: 'secure' }) > 0, why);
    assert.ok(s('dnssec_answers_total', { result: 'bogus' }) >= 1, why);
    assert.ok(s('ede_sent_total') >= 1, why);
    assert.equal(s('cache_hits_total', { cache: 'packet' }), 1, 'the second www.dot.test came from the packet cache');
    assert.ok(s('upstream_rtt_seconds_count', { protocol: 'dot' }) > 0, why);
    assert.match(r.stdout, /# TYPE sealdns_client_request_duration_seconds histogram/);
  });

  test('the endpoint serves /metrics only', async () => {
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/other`);
    assert.equal(res.status, 404);
    const ok = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /text\/plain/);
  });
});
