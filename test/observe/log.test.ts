// Structured logs: the query log (one JSON line per client request from the resolver's request
// events, plus packet-cache hits and ACL refusals from the service's events), off until started
// and silent again once stopped; the debug log of upstream failures only at level debug.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import pino from 'pino';
import { startDebugLog, startQueryLog } from '../../src/observe/log.js';
import { encodeMessage, makeQuery, Name, RRType } from '../../src/wire/index.js';

const publish = (name: string, message: unknown) => channel(name).publish(message);

function capture(level: string): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level, base: null }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

const request = {
  transport: 'dot',
  client: '127.0.0.1',
  qname: 'www.dot.test.',
  qtype: RRType.AAAA,
  rcode: 0,
  cacheHit: false,
  security: 'secure',
  durationMs: 12.3456,
  hops: 4,
  encryptedHops: 2,
  authenticatedHops: 1,
  receivedAt: 0,
};

test('the query log writes one line per client request, with privacy hop counts', () => {
  const { log, lines } = capture('info');
  publish('sealdns:resolver:request', request);
  assert.equal(lines.length, 0, 'off until started');
  const stop = startQueryLog(log);
  try {
    publish('sealdns:resolver:request', request);
    publish('sealdns:resolver:request', {
      ...request,
      qname: 'www.bogus.test.',
      qtype: 1,
      rcode: 2,
      ede: 6,
      security: 'bogus',
    });
    const query = encodeMessage(makeQuery(Name.fromText('cached.example.'), RRType.MX, { id: 1, rd: true }));
    const served = {
      transport: 'udp',
      client: '127.0.0.2',
      clientPort: 4000,
      packetHit: true,
      rcode: 0,
      ad: false,
      receivedAt: 0,
      durationMs: 0.05,
      query,
    };
    publish('sealdns:server:request', { ...served, outcome: 'answered' });
    publish('sealdns:server:request', {
      ...served,
      outcome: 'refused',
      packetHit: false,
      rcode: 5,
      client: '192.0.2.9',
    });
    // a request the resolver handled is logged from its own event only
    publish('sealdns:server:request', { ...served, outcome: 'answered', packetHit: false });
  } finally {
    stop();
  }
  publish('sealdns:resolver:request', request);
  assert.equal(lines.length, 4);
  assert.deepEqual(lines[0], {
    level: 30,
    time: lines[0].time,
    msg: 'query',
    client: '127.0.0.1',
    transport: 'dot',
    qname: 'www.dot.test.',
    qtype: 'AAAA',
    rcode: 'NOERROR',
    durationMs: 12.35,
    cache: 'miss',
    security: 'secure',
    hops: 4,
    encryptedHops: 2,
    authenticatedHops: 1,
  });
  assert.equal(lines[1].rcode, 'SERVFAIL');
  assert.equal(lines[1].ede, 6);
  assert.equal(lines[1].edeName, 'dnssec-bogus');
  assert.equal(lines[2].cache, 'packet');
  assert.equal(lines[2].qname, 'cached.example.');
  assert.equal(lines[2].qtype, 'MX');
  assert.equal(lines[3].cache, 'refused');
  assert.equal(lines[3].rcode, 'REFUSED');
  assert.equal(lines[3].ede, 18);
});

test('upstream failures are logged at debug only', () => {
  const ev = {
    zone: 'dot.test.',
    server: 'ns1.dot.test.',
    ip: '127.0.0.1',
    port: 853,
    protocol: 'dot',
    encrypted: true,
    authenticated: true,
    why: 'strict signal (DANE)',
    outcome: 'tls-auth-failed',
    query: new Uint8Array(12),
    sentAt: 0,
    endedAt: 5,
  };
  const info = capture('info');
  const stopInfo = startDebugLog(info.log);
  publish('sealdns:resolver:upstream', ev);
  stopInfo();
  assert.equal(info.lines.length, 0);
  const debug = capture('debug');
  const stop = startDebugLog(debug.log);
  try {
    publish('sealdns:resolver:upstream', ev);
    publish('sealdns:resolver:upstream', { ...ev, outcome: 'ok' });
  } finally {
    stop();
  }
  assert.equal(debug.lines.length, 1);
  assert.equal(debug.lines[0].msg, 'upstream exchange failed');
  assert.equal(debug.lines[0].outcome, 'tls-auth-failed');
  assert.equal(debug.lines[0].why, 'strict signal (DANE)');
});
