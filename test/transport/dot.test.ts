import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { type Lab, type LabServerInfo, startLab } from '../../src/authority/lab/lab.js';
import {
  type Target,
  type TlsaRecord,
  TlsContext,
  type TlsEvent,
  Transport,
  type TransportOptions,
  tlsChannel,
} from '../../src/transport/index.js';
import { decodeMessage, encodeMessage, makeQuery, RRType } from '../../src/wire/index.js';
import { addressOf, answerFor, queryWire, rejectsWith, tcpServer } from '../helpers/dns-fakes.js';
import { dotServer, type FakeTlsServer, makePki, selfSigned, tlsaFor, waitUntil } from '../helpers/tls-fakes.js';

const T = { timeout: 15_000 };

/** Collects the TLS events published while `fn` runs. */
async function tlsEvents<R>(fn: () => Promise<R>): Promise<{ result: R; events: TlsEvent[] }> {
  const events: TlsEvent[] = [];
  const listener = (m: unknown) => events.push(m as TlsEvent);
  subscribe(tlsChannel.name, listener);
  try {
    return { result: await fn(), events };
  } finally {
    unsubscribe(tlsChannel.name, listener);
  }
}

describe('DoT against the lab (ns1.dot.test)', () => {
  let lab: Lab;
  let ns: LabServerInfo;
  let tlsa311: TlsaRecord;
  const transports: Transport[] = [];
  before(async () => {
    lab = await startLab({ ports: { dns: 0, dot: 0, doh: 0 } });
    ns = lab.server('ns1.dot.test');
    tlsa311 = { usage: 3, selector: 1, matchingType: 1, data: Buffer.from(ns.spkiSha256!, 'hex') };
  });
  after(async () => {
    for (const t of transports) t.destroy();
    await lab?.close();
  });
  function transport(opts: TransportOptions = {}): Transport {
    const t = new Transport({ ...opts, stream: { queryTimeoutMs: 3000, connectTimeoutMs: 2000, ...opts.stream } });
    transports.push(t);
    return t;
  }
  function dot(auth: Target['auth'], extra: Partial<Target> = {}): Target {
    return { ip: ns.ip, port: ns.ports.dot!, protocol: 'dot', auth, authName: 'ns1.dot.test', ...extra };
  }
  const dotLog = () => ns.server.queryLog.entries({ transport: 'dot' });

  it("answers over DoT, opportunistically ('none') with the lab's self-signed certificate", T, async () => {
    const t = transport();
    const { result, events } = await tlsEvents(() =>
      t.exchange(makeQuery('www.dot.test', RRType.A, { id: 7 }), dot('none')),
    );
    assert.equal(result.message.id, 7);
    assert.equal(addressOf(result.wire), '192.0.2.31');
    assert.equal(result.reply.protocol, 'dot');
    assert.equal(events.length, 1);
    assert.equal(events[0].ok, true);
    assert.equal(events[0].authenticatedBy, 'unauthenticated');
    assert.equal(events[0].version, 'TLSv1.3');
    assert.equal(events[0].alpn, 'dot');
    assert.equal(events[0].sni, false, 'no SNI without name-based authentication');
    assert.deepEqual({ h: t.tls.stats.handshakes, r: t.tls.stats.resumptions }, { h: 1, r: 0 });
  });

  it('authenticates by DANE-EE 3 1 1 without sending SNI', T, async () => {
    const t = transport();
    const { result, events } = await tlsEvents(() =>
      t.exchange(makeQuery('www.dot.test', RRType.A), dot('dane', { tlsa: [tlsa311] })),
    );
    assert.equal(addressOf(result.wire), '192.0.2.31');
    assert.equal(events[0].authenticatedBy, 'dane-ee');
    assert.equal(events[0].sni, false);
  });

  it('pipelines many queries over one connection with one handshake', T, async () => {
    const t = transport();
    const before = dotLog().length;
    const target = dot('dane', { tlsa: [tlsa311] });
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.query(queryWire('www.dot.test', 1000 + i), target)),
    );
    replies.forEach((r, i) => {
      assert.equal((r.wire[0] << 8) | r.wire[1], 1000 + i);
      assert.equal(addressOf(r.wire), '192.0.2.31');
    });
    assert.equal(t.tls.stats.handshakes, 1);
    assert.equal(t.tls.stats.resumptions, 0);
    const seen = dotLog().slice(before);
    assert.equal(seen.length, 40);
    assert.equal(new Set(seen.map((e) => e.client.port)).size, 1, 'all queries on one connection');
  });

  it('resumes the session after the idle close, and a changed TLSA set forces a full handshake', T, async () => {
    const t = transport({ stream: { idleTimeoutMs: 150 } });
    const target = dot('dane', { tlsa: [tlsa311] });
    for (let i = 0; i < 5; i++) await t.query(queryWire('www.dot.test'), target);
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [1, 0]);
    assert.ok(t.tls.stats.ticketsStored >= 1, 'tickets stored after the DANE check');
    await waitUntil(() => t.stream.stats.connections === 0, 3000, 'idle close');

    const { result, events } = await tlsEvents(() => t.query(queryWire('www.dot.test'), target));
    assert.equal(addressOf(result.wire), '192.0.2.31');
    assert.equal(result.reused, false, 'a new connection');
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [1, 1]);
    assert.equal(events[0].resumed, true);
    assert.equal(events[0].authenticatedBy, 'resumed');
    await waitUntil(() => t.stream.stats.connections === 0, 3000, 'idle close');

    // Same server, another TLSA set (an extra record; 3 1 1 still matches): the ticket's verdict was bound to the
    // old set, so it is dropped and the server is checked again in a full handshake.
    const other: TlsaRecord = { usage: 3, selector: 0, matchingType: 1, data: new Uint8Array(32).fill(7) };
    const changed = dot('dane', { tlsa: [tlsa311, other] });
    const again = await tlsEvents(() => t.query(queryWire('www.dot.test'), changed));
    assert.equal(addressOf(again.result.wire), '192.0.2.31');
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [2, 1]);
    assert.ok(t.tls.stats.ticketsDropped >= 1);
    assert.equal(again.events[0].offeredTicket, false);
    assert.equal(again.events[0].authenticatedBy, 'dane-ee');
  });

  it("fails a DANE mismatch with 'tls-auth-failed' before any query reaches the server", T, async () => {
    const t = transport();
    const bad: TlsaRecord = { ...tlsa311, data: Buffer.alloc(32, 0xba) };
    const err = await rejectsWith(
      t.query(queryWire('mismatch.dot.test'), dot('dane', { tlsa: [bad] })),
      'tls-auth-failed',
    );
    assert.equal(err.authFailure, 'dane-mismatch');
    assert.equal(err.retryable, false);
    assert.equal(t.tls.stats.authFailures, 1);
    assert.equal(t.tls.sessions.size, 0, 'no ticket kept from a failed server');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(dotLog().filter((e) => e.qname.startsWith('mismatch.')).length, 0, 'the server never saw it');
  });

  it("refuses 'dane' without a usable TLSA record (PKIX usages only) without connecting", T, async () => {
    const t = transport();
    const pkixEe: TlsaRecord = { ...tlsa311, usage: 1 };
    const { result, events } = await tlsEvents(() =>
      rejectsWith(t.query(queryWire('nousable.dot.test'), dot('dane', { tlsa: [pkixEe] })), 'tls-auth-failed'),
    );
    assert.equal(result.authFailure, 'no-usable-tlsa');
    assert.match(result.message, /pkix-usage/);
    assert.equal(events[0].ok, false);
    assert.equal(t.tls.stats.handshakes + t.tls.stats.handshakeFailures, 0);
  });

  it('never shares a connection across authentication terms', T, async () => {
    const t = transport();
    await t.query(queryWire('www.dot.test'), dot('none'));
    await t.query(queryWire('www.dot.test'), dot('dane', { tlsa: [tlsa311] }));
    await t.query(queryWire('www.dot.test'), dot('none'));
    assert.equal(t.stream.stats.pools, 2);
    assert.equal(t.tls.stats.handshakes, 2);
  });
});

describe('DoT against in-test TLS servers', () => {
  const servers: FakeTlsServer[] = [];
  const transports: Transport[] = [];
  after(async () => {
    for (const t of transports) t.destroy();
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(...args: Parameters<typeof dotServer>): Promise<FakeTlsServer> {
    const s = await dotServer(...args);
    servers.push(s);
    return s;
  }
  function transport(opts: TransportOptions = {}): Transport {
    const t = new Transport({ ...opts, stream: { queryTimeoutMs: 3000, connectTimeoutMs: 2000, ...opts.stream } });
    transports.push(t);
    return t;
  }
  const dot = (port: number, auth: Target['auth'], extra: Partial<Target> = {}): Target => ({
    ip: '127.0.0.1',
    port,
    protocol: 'dot',
    auth,
    ...extra,
  });
  const pki = makePki('ns.test');

  it("refuses a TLS 1.2-only server with 'tls-handshake'", T, async () => {
    const cert = selfSigned();
    const s = await server({ cert: cert.certPem, key: cert.keyPem, maxVersion: 'TLSv1.2' });
    const t = transport();
    await rejectsWith(t.query(queryWire('example.com'), dot(s.port, 'none')), 'tls-handshake');
    assert.equal(s.accepted, 1);
    assert.equal(s.secure, 0);
    assert.equal(s.bytes, 0);
    assert.equal(t.tls.stats.handshakeFailures, 1);
  });

  it(
    'pads every encrypted query with EDNS to a multiple of 128, raw query() included; cleartext stays unpadded',
    T,
    async () => {
      const cert = selfSigned();
      const s = await server({ cert: cert.certPem, key: cert.keyPem });
      const t = transport();
      const raw = queryWire('example.com');
      assert.notEqual(raw.length % 128, 0);
      const copy = Uint8Array.from(raw);
      await t.query(raw, dot(s.port, 'none'));
      assert.deepEqual(raw, copy, "the caller's bytes are not modified");
      await t.exchange(makeQuery('a-much-longer-name.example.com', RRType.AAAA), dot(s.port, 'none'));
      await t.query(queryWire('x.example', 1, RRType.TXT), dot(s.port, 'none'));
      assert.equal(s.queryLengths.length, 3);
      for (const len of s.queryLengths) assert.equal(len % 128, 0, `query of ${len} octets`);
      assert.ok(decodeMessage(s.queries[0]).edns?.options.some((o) => o.kind === 'padding'));

      const lengths: number[] = [];
      const plain = await tcpServer((msg, conn) => {
        lengths.push(msg.length);
        conn.send(answerFor(msg));
      });
      try {
        await t.query(raw, { ip: '127.0.0.1', port: plain.port, protocol: 'tcp', auth: 'none' });
        assert.deepEqual(lengths, [raw.length]);
      } finally {
        await plain.close();
      }
    },
  );

  it('leaves a query without EDNS unpadded', T, async () => {
    const cert = selfSigned();
    const s = await server({ cert: cert.certPem, key: cert.keyPem });
    const t = transport();
    const wire = encodeMessage(makeQuery('example.com', RRType.A, { edns: false }));
    await t.query(wire, dot(s.port, 'none'));
    assert.deepEqual(s.queryLengths, [wire.length]);
  });

  it('offers ALPN "dot" without requiring it', T, async () => {
    const cert = selfSigned();
    const withAlpn = await server({ cert: cert.certPem, key: cert.keyPem });
    const without = await server({ cert: cert.certPem, key: cert.keyPem, alpn: [] });
    const t = transport();
    await t.query(queryWire('example.com'), dot(withAlpn.port, 'none'));
    await t.query(queryWire('example.com'), dot(without.port, 'none'));
    assert.deepEqual(withAlpn.alpn, ['dot']);
    assert.deepEqual(without.alpn, ['']);
  });

  it('authenticates by DANE-TA (2 0 1 on the intermediate) with the name checked and SNI sent', T, async () => {
    const s = await server({ cert: pki.chainPem, key: pki.leaf.keyPem });
    const t = transport();
    const ta = tlsaFor(pki.inter, 2, 0, 1);
    const { result, events } = await tlsEvents(() =>
      t.query(queryWire('example.com'), dot(s.port, 'dane', { authName: 'ns.test.', tlsa: [ta] })),
    );
    assert.equal(addressOf(result.wire), '192.0.2.1');
    assert.equal(events[0].authenticatedBy, 'dane-ta');
    assert.deepEqual(s.sni, ['ns.test']);

    const wrongName = await rejectsWith(
      t.query(queryWire('example.com'), dot(s.port, 'dane', { authName: 'other.test', tlsa: [ta] })),
      'tls-auth-failed',
    );
    assert.equal(wrongName.authFailure, 'dane-name');
    const notPresented = await rejectsWith(
      t.query(
        queryWire('example.com'),
        dot(s.port, 'dane', { authName: 'ns.test', tlsa: [tlsaFor(pki.root, 2, 1, 1)] }),
      ),
      'tls-auth-failed',
    );
    assert.equal(notPresented.authFailure, 'dane-mismatch', 'the root is not in the presented chain');
    assert.equal(s.queryLengths.length, 1, 'only the authenticated connection carried a query');
  });

  it('authenticates by DANE-EE on a CA-issued leaf, ignoring the chain and the name', T, async () => {
    const s = await server({ cert: pki.chainPem, key: pki.leaf.keyPem });
    const t = transport();
    const r = await t.query(
      queryWire('example.com'),
      dot(s.port, 'dane', { authName: 'unrelated.test', tlsa: [tlsaFor(pki.leaf, 3, 0, 2)] }),
    );
    assert.equal(addressOf(r.wire), '192.0.2.1');
    assert.deepEqual(s.sni, [''], 'no SNI for DANE-EE');
  });

  it('writes no query bytes to a server that fails DANE', T, async () => {
    const cert = selfSigned();
    const s = await server({ cert: cert.certPem, key: cert.keyPem });
    const t = transport();
    const other = selfSigned();
    await rejectsWith(
      t.query(queryWire('example.com'), dot(s.port, 'dane', { tlsa: [tlsaFor(other, 3, 1, 1)] })),
      'tls-auth-failed',
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.accepted, 1);
    assert.equal(s.bytes, 0, 'nothing was written after the handshake');
    assert.equal(s.queryLengths.length, 0);
    // Control: with the right TLSA set the same server does see the query.
    await t.query(queryWire('example.com'), dot(s.port, 'dane', { tlsa: [tlsaFor(cert, 3, 1, 1)] }));
    assert.ok(s.bytes > 0);
    assert.equal(s.queryLengths.length, 1);
  });

  it('authenticates by PKIX against an injected CA, with SNI, and rejects wrong names and unknown CAs', T, async () => {
    const s = await server({ cert: pki.chainPem, key: pki.leaf.keyPem });
    const t = transport({ tls: { ca: pki.root.certPem } });
    const r = await t.query(queryWire('example.com'), dot(s.port, 'pkix', { authName: 'ns.test' }));
    assert.equal(addressOf(r.wire), '192.0.2.1');
    assert.deepEqual(s.sni, ['ns.test']);
    const wrongName = await rejectsWith(
      t.query(queryWire('example.com'), dot(s.port, 'pkix', { authName: 'other.test' })),
      'tls-auth-failed',
    );
    assert.equal(wrongName.authFailure, 'pkix-name');
    const untrusting = transport({ tls: new TlsContext() });
    const unknownCa = await rejectsWith(
      untrusting.query(queryWire('example.com'), dot(s.port, 'pkix', { authName: 'ns.test' })),
      'tls-auth-failed',
    );
    assert.equal(unknownCa.authFailure, 'pkix-chain');
    await rejectsWith(t.query(queryWire('example.com'), dot(s.port, 'pkix')), 'bad-target');
    assert.equal(s.queryLengths.length, 1);
  });

  it('counts one handshake per connection and resumes from tickets on the server side too', T, async () => {
    const cert = selfSigned();
    const s = await server({ cert: cert.certPem, key: cert.keyPem });
    const t = transport({ stream: { idleTimeoutMs: 100 } });
    const target = dot(s.port, 'dane', { tlsa: [tlsaFor(cert, 3, 1, 1)] });
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.query(queryWire(`q${i}.example`), target)));
    for (let round = 0; round < 2; round++) {
      await waitUntil(() => t.stream.stats.connections === 0, 3000, 'idle close');
      await t.query(queryWire('again.example'), target);
    }
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [1, 2]);
    assert.deepEqual([s.secure, s.resumed], [3, 2]);
    assert.equal(t.tls.stats.ticketsDeclined, 0);
  });
});
