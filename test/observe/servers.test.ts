// The upstream-server view of `sealdns control servers`: names, decisions, exchanges and open
// connections learnt from the diagnostics channels, merged with the resolver's own tables (infra
// RTT/RTO, RFC 9539 probe state), and the operator's table.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { formatServers, ServerTracker } from '../../src/observe/servers.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { builtinRootHints } from '../../src/resolver/root-hints.js';
import { FakeClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import type { Upstream } from '../../src/transport/upstream.js';

const publish = (name: string, message: unknown) => channel(name).publish(message);

const noUpstream: Upstream = {
  query: () => Promise.reject(new Error('no network in this test')),
  close: async () => {},
  destroy: () => {},
};

test('servers: what the channels and the resolver tables say, per address', () => {
  const clock = new FakeClock(1_000_000);
  const resolver = new Resolver({ upstream: noUpstream, clock, random: cryptoRandom, rootHints: builtinRootHints() });
  const tracker = new ServerTracker(() => clock.now()).start();
  try {
    const ip = '192.0.2.53';
    publish('sealdns:resolver:decision', {
      ns: 'ns1.example.',
      ip,
      zone: 'example.',
      mode: 'probe',
      reasons: ['DoT worked recently'],
    });
    const up = (protocol: string, outcome: string) =>
      publish('sealdns:resolver:upstream', {
        zone: 'example.',
        server: 'ns1.example.',
        ip,
        port: protocol === 'dot' ? 853 : 53,
        protocol,
        encrypted: protocol === 'dot',
        authenticated: false,
        why: 'probe (RFC 9539)',
        outcome,
        query: new Uint8Array(12),
        sentAt: 0,
        endedAt: 1,
      });
    up('dot', 'ok');
    up('dot', 'tls-handshake');
    up('dot', 'aborted');
    up('udp', 'ok');
    const server = { ip, port: 853, protocol: 'dot' };
    publish('sealdns:transport:connect', { server, key: 'k', connectionId: 700001, ok: true, durationMs: 1 });
    publish('sealdns:transport:connect', { server, key: 'k', connectionId: 700002, ok: true, durationMs: 1 });
    publish('sealdns:transport:close', {
      server,
      key: 'k',
      connectionId: 700002,
      reason: 'idle',
      answered: 1,
      durationMs: 1,
    });
    resolver.infra.reportRtt(ip, 20, clock.now());
    resolver.policy?.enc.success(ip, 'dot', clock.now());
    resolver.policy?.enc.failure('192.0.2.99', 'dot', clock.now(), 'fail', 'connect ECONNREFUSED');
    clock.advance(2_000);

    const all = tracker.snapshot(resolver, clock.now());
    const s = all.find((x) => x.ip === ip);
    assert.ok(s);
    assert.deepEqual(s.names, ['ns1.example.']);
    assert.deepEqual(s.zones, ['example.']);
    assert.equal(s.decision?.mode, 'probe');
    assert.equal(s.decision?.agoS, 2);
    assert.deepEqual(
      s.exchanges,
      { dot: { ok: 1, failed: 1 }, udp: { ok: 1, failed: 0 } },
      'a lost race is no failure',
    );
    assert.deepEqual(s.lastError, { what: 'tls-handshake', protocol: 'dot', agoS: 2 });
    assert.deepEqual(s.connections, { dot: 1 });
    assert.equal(s.rtt?.srttMs, 20);
    assert.equal(s.probe.dot?.status, 'ok');
    assert.equal(s.probe.dot?.handshakes, 1);
    // an address known only to the probe table is listed too, damped
    const other = all.find((x) => x.ip === '192.0.2.99');
    assert.equal(other?.probe.dot?.status, 'fail');
    assert.equal(other?.probe.dot?.damped, true);
    assert.equal(other?.probe.dot?.lastError, 'connect ECONNREFUSED');

    const table = formatServers(all);
    assert.match(table, /^SERVER\s+NAME\s+SIGNAL\s+DECISION\s+DOT\s+DOH\s+RTT\/RTO ms\s+CONNS\s+LAST ERROR/);
    assert.match(
      table,
      /192\.0\.2\.53\s+ns1\.example\.\s+-\s+probe\s+ok\s+-\s+20\/\d+\s+dot:1\s+dot tls-handshake 2s ago/,
    );
    assert.match(table, /192\.0\.2\.99 .*fail \(damped \d+s\).*dot: connect ECONNREFUSED/);
  } finally {
    tracker.stop();
  }
});

test('servers: nothing known yet', () => {
  assert.equal(formatServers([]), 'no upstream servers known yet\n');
});
