import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { type Lab, type LabServerInfo, startLab } from '../../src/authority/lab/lab.js';
import {
  DohClient,
  type DohOptions,
  expandDohPath,
  type Target,
  type TlsaRecord,
  type TlsEvent,
  Transport,
  type TransportOptions,
  tlsChannel,
} from '../../src/transport/index.js';
import { decodeMessage, makeQuery, RRType } from '../../src/wire/index.js';
import { addressOf, answerFor, queryWire, rejectsWith } from '../helpers/dns-fakes.js';
import { dohQuery, dohServer, type FakeDohServer, selfSigned, tlsaFor, waitUntil } from '../helpers/tls-fakes.js';

const T = { timeout: 15_000 };

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

describe('expandDohPath (RFC 6570 with the single variable dns)', () => {
  it('expands {?dns} to nothing for POST and to ?dns= for GET', () => {
    assert.equal(expandDohPath('/dns-query{?dns}'), '/dns-query');
    assert.equal(expandDohPath('/dns-query{?dns}', 'AAAB'), '/dns-query?dns=AAAB');
  });
  it('handles {&dns}, plain {dns}, other variables and templates without dns', () => {
    assert.equal(expandDohPath('/q?ver=1{&dns}', 'AB'), '/q?ver=1&dns=AB');
    assert.equal(expandDohPath('/q?ver=1{&dns}'), '/q?ver=1');
    assert.equal(expandDohPath('/q/{dns}', 'AB'), '/q/AB');
    assert.equal(expandDohPath('/q{?other,dns}', 'AB'), '/q?dns=AB');
    assert.equal(expandDohPath('/q{?other}', 'AB'), '/q?dns=AB');
    assert.equal(expandDohPath('/dns-query', 'AB'), '/dns-query?dns=AB');
    assert.equal(expandDohPath('/dns-query'), '/dns-query');
  });
});

describe('DoH against the lab (ns1.doh.test)', () => {
  let lab: Lab;
  let ns: LabServerInfo;
  let tlsa311: TlsaRecord;
  const closers: { destroy(): void }[] = [];
  before(async () => {
    lab = await startLab({ ports: { dns: 0, dot: 0, doh: 0 } });
    ns = lab.server('ns1.doh.test');
    tlsa311 = { usage: 3, selector: 1, matchingType: 1, data: Buffer.from(ns.spkiSha256!, 'hex') };
  });
  after(async () => {
    for (const c of closers) c.destroy();
    await lab?.close();
  });
  function transport(doh: TransportOptions['doh'] = {}): Transport {
    const t = new Transport({ doh: { queryTimeoutMs: 3000, connectTimeoutMs: 2000, ...doh } });
    closers.push(t);
    return t;
  }
  function doh(auth: Target['auth'], extra: Partial<Target> = {}): Target {
    return {
      ip: ns.ip,
      port: ns.ports.doh!,
      protocol: 'doh',
      auth,
      authName: 'ns1.doh.test',
      alpn: 'h2',
      dohPath: '/dns-query{?dns}',
      ...extra,
    };
  }
  const dohLog = () => ns.server.queryLog.entries({ transport: 'doh' });

  it('answers over DoH (POST) authenticated by DANE-EE 3 1 1', T, async () => {
    const t = transport();
    const { result, events } = await tlsEvents(() =>
      t.exchange(makeQuery('www.doh.test', RRType.A, { id: 4321 }), doh('dane', { tlsa: [tlsa311] })),
    );
    assert.equal(result.message.id, 4321);
    assert.equal(addressOf(result.wire), '192.0.2.41');
    assert.equal(result.reply.protocol, 'doh');
    assert.equal(events[0].authenticatedBy, 'dane-ee');
    assert.equal(events[0].alpn, 'h2');
    assert.equal(events[0].sni, false);
    const seen = dohLog().at(-1)!;
    assert.equal(seen.id, 0, 'RFC 8484 4.1: DNS ID 0 on the wire');
  });

  it('answers over GET and opportunistically with the self-signed certificate', T, async () => {
    const client = new DohClient({ method: 'GET', queryTimeoutMs: 3000 });
    closers.push(client);
    const r = await client.query(queryWire('www.doh.test', 77), doh('none'));
    assert.equal((r.wire[0] << 8) | r.wire[1], 77);
    assert.equal(addressOf(r.wire), '192.0.2.41');
  });

  it('carries many concurrent queries as streams of one session, with one handshake', T, async () => {
    const t = transport();
    const before = dohLog().length;
    const target = doh('dane', { tlsa: [tlsa311] });
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.query(queryWire('www.doh.test', 500 + i), target)),
    );
    for (const [i, r] of replies.entries()) assert.equal((r.wire[0] << 8) | r.wire[1], 500 + i);
    assert.equal(replies.filter((r) => r.reused).length, 0, 'all were dispatched while the session was connecting');
    const more = await t.query(queryWire('www.doh.test'), target);
    assert.equal(more.reused, true);
    assert.equal(t.tls.stats.handshakes, 1);
    assert.equal(t.doh.stats.sessions, 1);
    const seen = dohLog().slice(before);
    assert.equal(seen.length, 31);
    assert.equal(new Set(seen.map((e) => e.client.port)).size, 1, 'one connection');
  });

  it('resumes after the idle close; a changed TLSA set forces a full handshake', T, async () => {
    const t = transport({ idleTimeoutMs: 150 });
    const target = doh('dane', { tlsa: [tlsa311] });
    await t.query(queryWire('www.doh.test'), target);
    await waitUntil(() => t.doh.stats.sessions === 0, 3000, 'idle close');
    const { result, events } = await tlsEvents(() => t.query(queryWire('www.doh.test'), target));
    assert.equal(addressOf(result.wire), '192.0.2.41');
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [1, 1]);
    assert.equal(events[0].authenticatedBy, 'resumed');
    await waitUntil(() => t.doh.stats.sessions === 0, 3000, 'idle close');
    const changed = doh('dane', { tlsa: [tlsa311, { ...tlsa311, matchingType: 0, data: new Uint8Array(91) }] });
    await t.query(queryWire('www.doh.test'), changed);
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [2, 1]);
  });

  it("fails a DANE mismatch with 'tls-auth-failed' and sends no request", T, async () => {
    const t = transport();
    const err = await rejectsWith(
      t.query(queryWire('mismatch.doh.test'), doh('dane', { tlsa: [{ ...tlsa311, data: Buffer.alloc(32, 1) }] })),
      'tls-auth-failed',
    );
    assert.equal(err.authFailure, 'dane-mismatch');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(dohLog().filter((e) => e.qname.startsWith('mismatch.')).length, 0);
  });

  it("reports the lab's 404 for an unknown path as 'http-status'", T, async () => {
    const t = transport();
    const err = await rejectsWith(
      t.query(queryWire('www.doh.test'), doh('none', { dohPath: '/nowhere{?dns}' })),
      'http-status',
    );
    assert.equal(err.status, 404);
  });
});

describe('DoH against in-test HTTP/2 servers', () => {
  const servers: FakeDohServer[] = [];
  const closers: { destroy(): void }[] = [];
  const cert = selfSigned();
  after(async () => {
    for (const c of closers) c.destroy();
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(opts: Partial<Parameters<typeof dohServer>[0]> = {}): Promise<FakeDohServer> {
    const s = await dohServer({ cert: cert.certPem, key: cert.keyPem, ...opts });
    servers.push(s);
    return s;
  }
  function client(opts: DohOptions = {}): DohClient {
    const c = new DohClient({ queryTimeoutMs: 3000, connectTimeoutMs: 2000, ...opts });
    closers.push(c);
    return c;
  }
  function transport(opts: TransportOptions = {}): Transport {
    const t = new Transport(opts);
    closers.push(t);
    return t;
  }
  const doh = (port: number, extra: Partial<Target> = {}): Target => ({
    ip: '127.0.0.1',
    port,
    protocol: 'doh',
    auth: 'none',
    dohPath: '/dns-query{?dns}',
    ...extra,
  });

  it("turns status 500 and 404 into 'http-status' with the status", T, async () => {
    const s = await server({ respond: (req) => ({ status: req.path.startsWith('/gone') ? 404 : 500 }) });
    const c = client();
    assert.equal((await rejectsWith(c.query(queryWire('a.example'), doh(s.port)), 'http-status')).status, 500);
    const gone = await rejectsWith(
      c.query(queryWire('a.example'), doh(s.port, { dohPath: '/gone{?dns}' })),
      'http-status',
    );
    assert.equal(gone.status, 404);
    // The session survives HTTP errors.
    assert.equal(c.stats.sessions, 1);
  });

  it("rejects a wrong content type and an oversized body as 'malformed'", T, async () => {
    const s = await server({
      respond: (req) => (req.path.includes('html') ? { contentType: 'text/html' } : { body: new Uint8Array(4096) }),
    });
    const c = client({ maxResponseBytes: 1024 });
    await rejectsWith(c.query(queryWire('a.example'), doh(s.port, { dohPath: '/html{?dns}' })), 'malformed');
    await rejectsWith(c.query(queryWire('a.example'), doh(s.port)), 'malformed');
  });

  it("rejects a response that does not answer the question as 'mismatched'", T, async () => {
    const s = await server({ respond: (req) => ({ body: answerFor(dohQuery(req), { qname: 'other.example' }) }) });
    await rejectsWith(client().query(queryWire('a.example'), doh(s.port)), 'mismatched');
  });

  it('sends POST with application/dns-message and no identifying headers; GET with unpadded base64url', T, async () => {
    const s = await server();
    await client().query(queryWire('a.example'), doh(s.port));
    await client({ method: 'GET' }).query(queryWire('b.example'), doh(s.port));
    const [post, get] = s.requests;
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/dns-query');
    assert.equal(post.headers['content-type'], 'application/dns-message');
    assert.equal(post.headers.accept, 'application/dns-message');
    assert.equal(post.headers['user-agent'], undefined);
    assert.equal(post.headers.cookie, undefined);
    assert.equal(get.method, 'GET');
    assert.match(get.path, /^\/dns-query\?dns=[A-Za-z0-9_-]+$/);
    assert.equal(decodeMessage(dohQuery(get)).questions[0].name.toString(), 'b.example.');
  });

  it('pads DoH queries with EDNS to a multiple of 128 (POST and GET)', T, async () => {
    const s = await server();
    const t = transport();
    await t.query(queryWire('a.example'), doh(s.port));
    await t.exchange(makeQuery('a-longer-name.example', RRType.AAAA), doh(s.port));
    const get = transport({ doh: { method: 'GET' } });
    await get.query(queryWire('c.example'), doh(s.port));
    assert.equal(s.queryLengths.length, 3);
    for (const len of s.queryLengths) assert.equal(len % 128, 0, `query of ${len} octets`);
  });

  it("refuses a TLS 1.2-only server with 'tls-handshake'", T, async () => {
    const s = await server({ maxVersion: 'TLSv1.2' });
    await rejectsWith(client().query(queryWire('a.example'), doh(s.port)), 'tls-handshake');
    assert.equal(s.requests.length, 0);
  });

  it('authenticates by DANE and resumes the session after the idle close', T, async () => {
    const s = await server();
    const t = transport({ doh: { idleTimeoutMs: 100 } });
    const target = doh(s.port, { auth: 'dane', tlsa: [tlsaFor(cert, 3, 1, 1)] });
    await t.query(queryWire('a.example'), target);
    await waitUntil(() => t.doh.stats.sessions === 0, 3000, 'idle close');
    await t.query(queryWire('b.example'), target);
    assert.deepEqual([t.tls.stats.handshakes, t.tls.stats.resumptions], [1, 1]);
    assert.deepEqual([s.secure, s.resumed], [2, 1]);
    const other = selfSigned();
    await rejectsWith(
      t.query(queryWire('c.example'), doh(s.port, { auth: 'dane', tlsa: [tlsaFor(other, 3, 1, 1)] })),
      'tls-auth-failed',
    );
    assert.equal(s.requests.length, 2);
  });

  it('times a silent server out and drops the stalled session', T, async () => {
    const silent = await server({ respond: () => undefined });
    const c = client({ queryTimeoutMs: 300 });
    await rejectsWith(c.query(queryWire('a.example'), doh(silent.port)), 'timeout');
    assert.equal(c.stats.sessions, 0, 'the stalled session was dropped');
    assert.equal(silent.requests.length, 1);
  });
});
