// The issue's "Done when", against the embedded lab with a validating Resolver and the real Transport (UDP, TCP,
// DoT, DoH on loopback): what each lab server received, over which transport, is read from its own query log, and
// ordered against the resolver's decisions and TLS events with one sequence counter fed synchronously by every
// source (lab query-log listeners, diagnostics channels, and a wrapper that sees each query the moment it is sent).
//
// (a) zero cleartext to a server once its strict signal is known; with bootstrap encrypt-first, zero cleartext to
//     any server with a DoT listener; (b) badtlsa (TLSA mismatch) is never used; (c) an opportunistic server whose
//     certificate no one vouches for is still used, encrypted; (d) closed853 (opportunistic, 853 closed) is used in
//     cleartext while closedstrict (strict, 853 closed) fails closed; (e) TLS 1.3 only; (f) handshakes per many
//     resolutions stay at one per TLS server plus reconnects, which resume; (g) follow-client.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { rm } from 'node:fs/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import tls from 'node:tls';
import { type Lab, type LabServerInfo, startLab } from '../../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS, LAB_SERVERS, type LabExpectation } from '../../src/authority/lab/topology.js';
import type { QueryLogEntry } from '../../src/authority/server.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import type { DecisionEvent } from '../../src/resolver/diagnostics.js';
import {
  countedHops,
  decodeSummary,
  PRIVACY_EDE_CODE,
  PRIVACY_OPTION_CODE,
  PrivacyFlag,
  PrivacyLevel,
} from '../../src/resolver/privacy.js';
import type { Hop, RequestState } from '../../src/resolver/request.js';
import { Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { Transport, type TransportOptions } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import type { CloseEvent, TlsEvent } from '../../src/transport/diagnostics.js';
import { cryptoRandom } from '../../src/transport/random.js';
import type { Target, Upstream, UpstreamReply } from '../../src/transport/upstream.js';
import { EDE, type Message, makeQuery, Name, Rcode, type RR, rrToText, typeFromText } from '../../src/wire/index.js';

const RCODES: Record<string, number> = { NOERROR: Rcode.NOERROR, NXDOMAIN: Rcode.NXDOMAIN, SERVFAIL: Rcode.SERVFAIL };
const CLEARTEXT = new Set(['udp', 'tcp']);
const USER_NAMES = new Set(LAB_EXPECTATIONS.map((e) => `${e.name}.`.toLowerCase()));

/** Everything observed, in one order. */
class Recorder {
  seq = 0;
  readonly lab: { seq: number; server: LabServerInfo; e: QueryLogEntry }[] = [];
  readonly decisions: { seq: number; ev: DecisionEvent }[] = [];
  readonly tls: { seq: number; ev: TlsEvent }[] = [];
  readonly closes: CloseEvent[] = [];
  readonly sends: { seq: number; target: Target }[] = [];
  readonly #offs: (() => void)[] = [];

  constructor(lab: Lab) {
    for (const server of lab.servers)
      this.#offs.push(server.server.queryLog.subscribe((e) => this.lab.push({ seq: ++this.seq, server, e })));
    this.#on('sealdns:resolver:decision', (ev) => this.decisions.push({ seq: ++this.seq, ev: ev as DecisionEvent }));
    this.#on('sealdns:transport:tls', (ev) => this.tls.push({ seq: ++this.seq, ev: ev as TlsEvent }));
    this.#on('sealdns:transport:close', (ev) => this.closes.push(ev as CloseEvent));
  }

  #on(name: string, fn: (m: unknown) => void): void {
    subscribe(name, fn);
    this.#offs.push(() => unsubscribe(name, fn));
  }

  sent(target: Target): void {
    this.sends.push({ seq: ++this.seq, target });
  }

  stop(): void {
    for (const off of this.#offs) off();
  }

  /** Seq of the first decision that treated `ns` as strict (its strict signal was known from then on). */
  strictKnown(ns: string): number | undefined {
    return this.decisions.find((d) => d.ev.ns === `${ns}.` && d.ev.mode === 'strict')?.seq;
  }

  labOf(s: LabServerInfo) {
    return this.lab.filter((x) => x.server === s && x.e.kind === 'query');
  }
}

/** The resolver's upstream, seen by the recorder the moment each query leaves. */
class RecordingUpstream implements Upstream {
  constructor(
    readonly inner: Transport,
    readonly rec: () => Recorder | undefined,
  ) {}
  query(wire: Uint8Array, target: Target, signal?: AbortSignal): Promise<UpstreamReply> {
    this.rec()?.sent(target);
    return this.inner.query(wire, target, signal);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  destroy(err?: Error): void {
    this.inner.destroy(err);
  }
}

const fqdn = (name: string) => Name.fromText(name.endsWith('.') ? name : `${name}.`);
const rdataText = (rr: RR) => rrToText(rr).split('\t').slice(4).join('\t');

function query(name: string, type = 'A', report = true): Message {
  const m = makeQuery(fqdn(name), typeFromText(type)!, { id: 4242, rd: true, ad: true });
  if (report) m.edns?.options.push({ kind: 'raw', code: PRIVACY_OPTION_CODE, data: new Uint8Array(0) });
  return m;
}

function edes(m: Message): { code: number; text: string }[] {
  return (m.edns?.options ?? []).flatMap((o) => (o.kind === 'ede' ? [{ code: o.infoCode, text: o.extraText }] : []));
}

interface Resolved {
  e: LabExpectation;
  response: Message;
  state?: RequestState;
  cacheHit: boolean;
}

describe('privacy of upstream transport, against the lab', { timeout: 240_000 }, () => {
  let lab: Lab;
  let port: number;
  let hints: RR[];
  let anchors: RR[];
  let recorder: Recorder | undefined;
  const transports: Transport[] = [];

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
    hints = parseZoneFile(lab.rootHints, { origin: '.' }).records;
    anchors = parseZoneFile(lab.trustAnchor, { origin: '.' }).records;
  });

  after(async () => {
    recorder?.stop();
    await Promise.all(transports.map((t) => t.close()));
    if (lab) {
      await lab.close();
      await rm(lab.dir, { recursive: true, force: true });
    }
  });

  function resolver(config: Partial<ResolverConfig> = {}, topts: TransportOptions = {}): Resolver {
    const transport = new Transport(topts);
    transports.push(transport);
    return new Resolver(
      {
        upstream: new RecordingUpstream(transport, () => recorder),
        clock: systemClock,
        random: cryptoRandom,
        rootHints: hints,
        trustAnchors: anchors,
      },
      { upstreamPort: port, dotProbePort: port + 1, ipv6: false, ...config },
    );
  }
  const transportOf = (r: Resolver) => (r.iterator.deps.upstream as RecordingUpstream).inner;

  function record(): Recorder {
    recorder?.stop();
    for (const s of lab.servers) s.server.queryLog.clear();
    recorder = new Recorder(lab);
    return recorder;
  }

  async function resolveAll(r: Resolver): Promise<Resolved[]> {
    const out: Resolved[] = [];
    for (const e of LAB_EXPECTATIONS) {
      const h = await r.handle(query(e.name, e.type), { transport: 'internal' });
      out.push({ e, response: h.response, state: h.state, cacheHit: h.cacheHit });
    }
    return out;
  }

  /** Every name gets sealdns's answer: the plain resolver's, except where strict privacy fails closed. */
  function checkAnswers(results: Resolved[]): void {
    for (const { e, response } of results) {
      const what = `${e.name} ${e.type}`;
      const rcode = e.privacyRcode ?? e.rcode;
      assert.equal(response.rcode, RCODES[rcode], `${what}: ${JSON.stringify(edes(response))}`);
      if (rcode !== 'SERVFAIL') {
        assert.equal(response.ad, e.secure, `${what}: AD`);
        if (e.data) {
          const t = typeFromText(e.type);
          const got = response.answers
            .filter((rr) => rr.type === t)
            .map(rdataText)
            .sort();
          assert.deepEqual(got, [...e.data].sort(), what);
        }
      }
    }
  }

  /** The privacy report each response carries agrees with the hops the request recorded. */
  function checkReports(results: Resolved[]): void {
    for (const { e, response, state, cacheHit } of results) {
      const opt = response.edns?.options.find((o) => o.kind === 'raw' && o.code === PRIVACY_OPTION_CODE);
      assert.ok(opt?.kind === 'raw', `${e.name}: the privacy option`);
      const s = decodeSummary(opt.data);
      assert.ok(s, e.name);
      const hops = countedHops(state?.hops ?? []);
      assert.equal(s.hops, hops.length, e.name);
      assert.equal(s.encrypted, hops.filter((h) => h.encrypted).length, e.name);
      assert.equal(s.authenticated, hops.filter((h) => h.authenticated).length, e.name);
      assert.equal(s.cleartext, hops.filter((h) => !h.encrypted).length, e.name);
      if (cacheHit) {
        assert.equal(s.level, PrivacyLevel.NO_UPSTREAM, e.name);
        assert.equal(s.flags & PrivacyFlag.CACHE, PrivacyFlag.CACHE);
      } else if (s.cleartext === 0) assert.ok(s.level >= PrivacyLevel.ENCRYPTED, e.name);
      else assert.ok(s.level <= PrivacyLevel.SOME, e.name);
      const text = edes(response).find((x) => x.code === PRIVACY_EDE_CODE)?.text ?? '';
      assert.match(text, /^privacy: /, e.name);
    }
  }

  const strictServers = () => lab.servers.filter((s) => s.signal.kind === 'strict' || s.signal.kind === 'bad-tlsa');

  /**
   * (a) From the moment a strict server's signal is known, nothing is sent to it in cleartext — from the resolver's
   * side (the sends) and from the server's side (its query log: what arrived in cleartext after that moment was
   * already on its way). And never a user name in cleartext.
   */
  function checkStrict(rec: Recorder, t: TestContext): void {
    for (const s of strictServers()) {
      const known = rec.strictKnown(s.name);
      assert.ok(known !== undefined, `${s.name}: its strict signal was learnt`);
      const clearSends = rec.sends.filter((x) => x.target.ip === s.ip && CLEARTEXT.has(x.target.protocol));
      const late = clearSends.filter((x) => x.seq > known);
      assert.deepEqual(late, [], `${s.name}: cleartext sent after its strict signal was known`);
      const clear = rec.labOf(s).filter((x) => CLEARTEXT.has(x.e.transport));
      assert.equal(clear.length, clearSends.length, `${s.name}: every cleartext query it got was one sent before`);
      const inFlight = clearSends.length - clear.filter((x) => x.seq < known).length;
      const arrivedLate = clear.filter((x) => x.seq > known);
      assert.ok(arrivedLate.length <= inFlight, `${s.name}: ${arrivedLate.length} cleartext queries after the signal`);
      for (const x of clear)
        assert.ok(!USER_NAMES.has(x.e.qname.toLowerCase()), `${s.name} got ${x.e.qname} in cleartext`);
      t.diagnostic(
        `${s.name}: ${clear.length} cleartext meta-queries before its signal (${clear.map((x) => `${x.e.qname}/${x.e.qtype}`).join(' ')}), ` +
          `${rec.labOf(s).length - clear.length} encrypted, 0 cleartext after`,
      );
    }
  }

  function hopStats(results: Resolved[]): string {
    const hops = results.flatMap((r) => countedHops(r.state?.hops ?? []));
    const enc = hops.filter((h) => h.encrypted).length;
    const auth = hops.filter((h) => h.authenticated).length;
    return `${results.length} names: ${hops.length} upstream hops, ${enc} encrypted, ${auth} authenticated, ${hops.length - enc} cleartext`;
  }

  function checkTls(rec: Recorder): void {
    assert.ok(rec.tls.length > 0);
    for (const { ev } of rec.tls) {
      if (ev.ok) assert.equal(ev.version, 'TLSv1.3', `${ev.server.ip}#${ev.server.port}`);
      if (ev.version !== undefined) assert.equal(ev.version, 'TLSv1.3');
    }
  }

  function badtlsaChecks(rec: Recorder, results: Resolved[]): void {
    const bad = lab.server('ns1.badtlsa.test');
    const dane = rec.tls.filter((x) => x.ev.server.ip === bad.ip && x.ev.auth === 'dane');
    assert.ok(dane.length > 0, 'a DANE handshake was tried');
    for (const { ev } of dane) {
      assert.equal(ev.ok, false, 'never authenticated');
      assert.equal(ev.error?.code, 'tls-auth-failed');
    }
    const failedAt = dane[0].seq;
    const after = rec.labOf(bad).filter((x) => x.seq > failedAt);
    assert.deepEqual(
      after.map((x) => `${x.e.transport} ${x.e.qname}`),
      [],
      'nothing reached ns1.badtlsa.test after the DANE check failed',
    );
    assert.ok(
      rec.labOf(bad).every((x) => x.e.qname.toLowerCase() !== 'www.badtlsa.test.'),
      'www.badtlsa.test never reached its server',
    );
    const r = results.find((x) => x.e.name === 'www.badtlsa.test')!;
    assert.equal(r.response.rcode, Rcode.SERVFAIL);
    const ede22 = edes(r.response).find((x) => x.code === EDE.NO_REACHABLE_AUTHORITY);
    assert.ok(ede22, 'EDE 22');
    assert.match(ede22.text, /ns1\.badtlsa\.test/);
    assert.match(ede22.text, /TLSA/);
  }

  function closedChecks(rec: Recorder, results: Resolved[], resolverUsed: Resolver): void {
    // closed853: opportunistic, DoT refused, cleartext used
    const closed = lab.server('ns1.closed853.test');
    const www = rec.labOf(closed).filter((x) => x.e.qname.toLowerCase() === 'www.closed853.test.');
    assert.ok(www.length > 0 && www.every((x) => CLEARTEXT.has(x.e.transport)), 'www.closed853.test over cleartext');
    const hops = results.flatMap((x) => x.state?.hops ?? []).filter((h) => h.ip === closed.ip);
    const wwwHop = hops.find((h) => h.qname.toLowerCase() === 'www.closed853.test.' && h.outcome === 'rcode 0');
    assert.ok(wwwHop && !wwwHop.encrypted, 'answered over cleartext');
    // DoT was tried: by this very query (then the cleartext hop is the fallback), or by an earlier attempt or
    // RFC 9539 probe whose failure now damps it
    assert.match(wwwHop.why, /^(fallback after opportunistic failure|opportunistic, encryption damped)$/);
    assert.ok(
      hops.some((h) => h.protocol === 'dot' && h.outcome === 'connect-refused') ||
        resolverUsed.policy?.enc.get(closed.ip, 'dot')?.status === 'fail',
      'DoT to ns1.closed853.test was tried and refused',
    );
    // closedstrict: strict, DoT refused, never asked in cleartext for the user name: SERVFAIL EDE 22
    const strict = lab.server('ns1.closedstrict.test');
    assert.ok(rec.labOf(strict).every((x) => x.e.qname.toLowerCase() !== 'www.closedstrict.test.'));
    const r = results.find((x) => x.e.name === 'www.closedstrict.test')!;
    assert.equal(r.response.rcode, Rcode.SERVFAIL);
    const ede22 = edes(r.response).find((x) => x.code === EDE.NO_REACHABLE_AUTHORITY);
    assert.ok(ede22);
    assert.match(ede22.text, /ns1\.closedstrict\.test/);
    assert.match(ede22.text, /ECONNREFUSED|connect-refused/);
  }

  function opportunisticChecks(rec: Recorder, results: Resolved[]): void {
    const opp = lab.server('ns1.opportunistic.test');
    const www = rec.labOf(opp).filter((x) => x.e.qname.toLowerCase() === 'www.opportunistic.test.');
    assert.ok(www.length > 0, 'asked');
    assert.deepEqual(
      [...new Set(www.map((x) => x.e.transport))],
      ['dot'],
      'www.opportunistic.test reached its server over DoT only',
    );
    const hop = results
      .find((x) => x.e.name === 'www.opportunistic.test')!
      .state!.hops.find((h) => h.qname.toLowerCase() === 'www.opportunistic.test.' && h.outcome === 'rcode 0');
    assert.ok(hop);
    assert.equal(hop.encrypted, true);
    assert.equal(hop.authenticated, false);
    assert.equal(hop.why, 'opportunistic signal');
    for (const { ev } of rec.tls.filter((x) => x.ev.server.ip === opp.ip))
      assert.ok(ev.authenticatedBy === 'unauthenticated' || ev.authenticatedBy === 'resumed', ev.authenticatedBy);
  }

  it('(a)-(e) cleartext-first: strict servers get no cleartext once their signal is known; badtlsa and closedstrict fail closed', async (t) => {
    const rec = record();
    const r = resolver();
    const results = await resolveAll(r);
    checkAnswers(results);
    checkReports(results);
    checkStrict(rec, t);
    badtlsaChecks(rec, results);
    closedChecks(rec, results, r);
    opportunisticChecks(rec, results);
    checkTls(rec);
    t.diagnostic(`cleartext-first: ${hopStats(results)}`);
    t.diagnostic(`TLS: ${JSON.stringify(transportOf(r).tls.stats)}`);
  });

  it('(a) encrypt-first: zero cleartext queries to any server with a DoT listener, strict or not', async (t) => {
    const rec = record();
    const r = resolver({ bootstrap: 'encrypt-first' });
    const results = await resolveAll(r);
    checkAnswers(results);
    checkReports(results);
    checkStrict(rec, t);
    // a DoT listener that only speaks TLS 1.2 does not offer encryption to sealdns (TLS 1.3 only)
    const tls13 = (s: LabServerInfo) =>
      !(LAB_SERVERS.find((x) => x.name === s.name) as { tls12Only?: boolean } | undefined)?.tls12Only;
    const dotServers = lab.servers.filter((s) => s.ports.dot !== undefined && tls13(s));
    assert.ok(dotServers.length >= 6, dotServers.map((s) => s.name).join());
    for (const s of dotServers) {
      const byTransport = rec.labOf(s).map((x) => x.e.transport);
      assert.ok(byTransport.length > 0, `${s.name} was asked`);
      assert.deepEqual(
        byTransport.filter((x) => CLEARTEXT.has(x)),
        [],
        `${s.name} got cleartext`,
      );
      t.diagnostic(`${s.name}: ${byTransport.length} queries, all over DoT`);
    }
    badtlsaChecks(rec, results);
    closedChecks(rec, results, r);
    opportunisticChecks(rec, results);
    checkTls(rec);
    t.diagnostic(`encrypt-first: ${hopStats(results)}`);
    t.diagnostic(`TLS: ${JSON.stringify(transportOf(r).tls.stats)}`);
  });

  it('(c) the opportunistic server certificate would fail PKIX: no CA vouches for it, and it is used anyway', async () => {
    const opp = lab.server('ns1.opportunistic.test');
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = tls.connect({ host: opp.ip, port: opp.ports.dot!, servername: opp.name, minVersion: 'TLSv1.3' });
      s.once('secureConnect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.once('error', (e) => {
        s.destroy();
        resolve(e);
      });
    });
    assert.ok(err, 'PKIX validation against the system trust store fails');
    assert.match(String((err as NodeJS.ErrnoException).code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  /** Resolves every lab name `rounds` times from a cold cache (caches, keys and signals flushed; TLS tickets kept). */
  async function rounds(r: Resolver, n: number, pauseMs: number): Promise<number> {
    let resolutions = 0;
    for (let i = 0; i < n; i++) {
      r.flush();
      r.validator?.flushKeys();
      r.policy?.flush();
      for (const e of LAB_EXPECTATIONS) {
        await r.handle(query(e.name, e.type, false), { transport: 'internal' });
        resolutions++;
      }
      if (pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
    }
    return resolutions;
  }

  function tlsFigures(rec: Recorder, r: Resolver) {
    const stats = transportOf(r).tls.stats;
    const ok = rec.tls.filter((x) => x.ev.ok);
    const endpoints = new Set(ok.map((x) => x.ev.key));
    const closes = rec.closes.filter((c) => c.server.protocol === 'dot' || c.server.protocol === 'doh');
    return { stats, connections: ok.length, endpoints: endpoints.size, closes: closes.length };
  }

  it('(f) handshakes over many resolutions: one per TLS endpoint while connections stay open', async (t) => {
    const rec = record();
    const r = resolver({ bootstrap: 'encrypt-first' });
    const n = await rounds(r, 8, 0);
    const f = tlsFigures(rec, r);
    t.diagnostic(
      `${n} cold-cache resolutions: ${f.stats.handshakes} full handshakes, ${f.stats.resumptions} resumptions, ` +
        `${f.endpoints} TLS endpoints (address, port, protocol, authentication), ${f.closes} TLS connections closed, ` +
        `${f.stats.handshakeFailures} failed attempts (probes of servers without DoT, closedstrict), ${f.stats.authFailures} DANE failures (badtlsa)`,
    );
    assert.equal(f.stats.handshakes + f.stats.resumptions, f.connections, 'the counters match the TLS events');
    assert.ok(f.stats.handshakes <= f.endpoints + f.closes, `${f.stats.handshakes} full handshakes`);
    assert.ok(f.connections <= f.endpoints + f.closes, 'a new connection only after one closed');
    checkTls(rec);
  });

  it('(f) reconnects after the idle timeout resume the session: handshakes <= TLS endpoints + reconnects', async (t) => {
    const rec = record();
    // idle connections close after 150 ms and each round waits longer: every round reconnects
    const r = resolver({ bootstrap: 'encrypt-first' }, { stream: { idleTimeoutMs: 150 }, doh: { idleTimeoutMs: 150 } });
    const n = await rounds(r, 8, 400);
    const f = tlsFigures(rec, r);
    t.diagnostic(
      `${n} cold-cache resolutions, idle timeout 150 ms: ${f.stats.handshakes} full handshakes, ${f.stats.resumptions} resumptions ` +
        `(tickets offered ${f.stats.ticketsOffered}, declined ${f.stats.ticketsDeclined}, stored ${f.stats.ticketsStored}), ` +
        `${f.endpoints} TLS endpoints, ${f.closes} TLS connections closed (reconnects)`,
    );
    assert.equal(f.stats.handshakes + f.stats.resumptions, f.connections);
    assert.ok(f.connections <= f.endpoints + f.closes, 'a new connection only after one closed');
    assert.ok(f.stats.handshakes <= f.endpoints + f.closes);
    assert.ok(f.stats.resumptions > 0, 'reconnects resume');
    assert.equal(f.stats.ticketsDeclined, 0, 'every ticket offered was accepted');
    // each ticket is used once (RFC 8446 C.4); the lab's servers (Node/OpenSSL) issue two per full handshake and none
    // on resumption, so at most two of every three connections resume
    assert.ok(f.stats.resumptions >= Math.floor((f.connections - f.endpoints) / 2), 'every ticket was used');
    checkTls(rec);
  });

  it('(g) follow-client: a UDP client gets cleartext-only upstream for unsignalled servers; strict stays encrypted', async (t) => {
    const rec = record();
    const r = resolver({ upstreamEncryption: 'follow-client' });
    const names = ['www.dot.test', 'www.nsec3.test', 'www.opportunistic.test'];
    const hops: Hop[] = [];
    for (const name of names) {
      const h = await r.handle(query(name), { transport: 'udp', address: '127.0.0.1' });
      assert.equal(h.response.rcode, Rcode.NOERROR, name);
      hops.push(...(h.state?.hops ?? []));
    }
    const unsignalled = new Set(lab.servers.filter((s) => s.signal.kind === 'none').map((s) => s.ip));
    const toUnsignalled = hops.filter((h) => unsignalled.has(h.ip));
    assert.ok(toUnsignalled.length > 0);
    assert.deepEqual(
      toUnsignalled.filter((h) => h.encrypted).map((h) => `${h.server} ${h.qname}`),
      [],
      'no encryption to unsignalled servers for a cleartext client',
    );
    const opp = lab.server('ns1.opportunistic.test');
    assert.ok(
      hops.filter((h) => h.ip === opp.ip).every((h) => !h.encrypted),
      'nor to opportunistic ones',
    );
    const dot = lab.server('ns1.dot.test');
    const strictHop = hops.find((h) => h.ip === dot.ip && h.qname.toLowerCase() === 'www.dot.test.');
    assert.ok(strictHop?.encrypted && strictHop.authenticated, 'the strict server is still asked over DoT with DANE');
    // no RFC 9539 probe either: the DoT-capable unsignalled servers got nothing over DoT
    await new Promise((res) => setTimeout(res, 200));
    for (const name of ['b.root-servers.test', 'ns2.nic.test']) {
      const s = lab.server(name);
      assert.deepEqual(
        rec.labOf(s).filter((x) => !CLEARTEXT.has(x.e.transport)).length,
        0,
        `${name}: no DoT for a cleartext client`,
      );
    }
    // the same names for a client that came over DoT: encryption is spent upstream
    const r2 = resolver({ upstreamEncryption: 'follow-client' });
    const h = await r2.handle(query('www.opportunistic.test'), { transport: 'dot', address: '127.0.0.1' });
    assert.equal(h.response.rcode, Rcode.NOERROR);
    const oppHop = h.state!.hops.find((x) => x.ip === opp.ip && x.qname.toLowerCase() === 'www.opportunistic.test.');
    assert.ok(oppHop?.encrypted, 'an encrypted client gets the opportunistic server over DoT');
    const probed = await lab
      .server('ns2.nic.test')
      .server.queryLog.waitFor((x) => x.transport === 'dot', 5000)
      .then(() => true)
      .catch(() => false);
    assert.ok(probed, 'and unsignalled DoT-capable servers are probed for it (RFC 9539)');
    t.diagnostic(`follow-client, UDP client: ${hops.length} hops, ${hops.filter((x) => x.encrypted).length} encrypted`);
  });
});
