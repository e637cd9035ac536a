// The embedded lab (src/authority/lab) checked from the outside: Debian's kdig and dig query its
// servers over UDP, TCP, DoT and DoH; openssl and node:tls check that TLS 1.2 is refused; an
// unbound configured with nothing but the lab's root hints and trust anchor resolves every name
// of LAB_EXPECTATIONS; ldns-verify-zone checks the signed zone files; garbage never takes a lab
// server down; startup is fast and labs on different nets run side by side.
//
// The lab binds ports 53, 853 and 443 on 127.<net>.x.y (unbound's normal iteration needs 53), so
// the suite needs root or CAP_NET_BIND_SERVICE (skipped locally without, failing under CI).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS, LAB_SERVERS, LAB_ZONES } from '../../src/authority/lab/topology.js';
import { loadZoneFile, ZoneFileError } from '../../src/authority/zonefile.js';
import { decodeMessage, encodeMessage, makeQuery, Rcode, RRType } from '../../src/wire/index.js';
import { dataOf, lowPortSkip, parseDig } from '../helpers/lab.js';
import {
  describeRun,
  freePort,
  type PeerHandle,
  probe,
  runTool,
  startUnbound,
  stopAll,
  tempDir,
  toolSkip,
} from '../helpers/peers.js';

after(stopAll);

const T = { timeout: 30_000 };
const STARTUP_BUDGET_MS = 3000;
const LOW_PORTS = await lowPortSkip();

async function run(bin: string, args: string[], expectCode: number | undefined = 0): Promise<string> {
  const r = await runTool(bin, args, { timeoutMs: 15_000 });
  if (expectCode !== undefined) assert.equal(r.code, expectCode, describeRun(bin, args, r));
  return r.stdout;
}

const zoneFileName = (origin: string) => `${origin === '.' ? 'root.' : origin}zone`;

/** Sends one datagram and returns the first datagram back, or undefined after `waitMs`. */
function udpExchange(ip: string, port: number, msg: Uint8Array, waitMs = 400): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      s.close();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    s.on('message', (b) => done(b));
    s.on('error', () => done(undefined));
    s.send(msg, port, ip);
  });
}

/**
 * Writes `data` on a fresh TCP connection and collects what comes back until the server closes,
 * `frames` complete length-prefixed messages have arrived, or `waitMs` has passed.
 */
function tcpExchange(
  ip: string,
  port: number,
  data: Uint8Array,
  waitMs = 1000,
  frames = Number.POSITIVE_INFINITY,
): Promise<{ received: Buffer; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host: ip, port });
    let finished = false;
    const done = (closedByServer: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer });
    };
    const timer = setTimeout(() => done(false), waitMs);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      if (unframe(Buffer.concat(chunks)).length >= frames) done(false);
    });
    sock.on('end', () => done(true));
    sock.on('close', () => done(true));
    sock.on('error', () => done(true));
  });
}

function frame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

/** Splits a stream of 2-octet length-prefixed messages. */
function unframe(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (b.length - off >= 2 && b.length - off - 2 >= b.readUInt16BE(off)) {
    out.push(b.subarray(off + 2, off + 2 + b.readUInt16BE(off)));
    off += 2 + b.readUInt16BE(off);
  }
  return out;
}

const rcodeOf = (wire: Uint8Array) => wire[3] & 0x0f;
const idOf = (wire: Uint8Array) => (wire[0] << 8) | wire[1];

function tlsConnect(opts: tls.ConnectionOptions, timeoutMs = 5000): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect(opts);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('TLS connect timed out'));
    }, timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
  });
}

/** One query over an established DoT connection. */
function dotQuery(sock: tls.TLSSocket, wire: Uint8Array, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('DoT query timed out')), timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const msgs = unframe(buf);
      if (msgs.length > 0) {
        clearTimeout(timer);
        resolve(msgs[0]);
      }
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.write(frame(wire));
  });
}

/** Connects an HTTP/2 session (resolves once TLS and the SETTINGS exchange are done). */
function h2Connect(
  url: string,
  opts: http2.SecureClientSessionOptions,
  timeoutMs = 5000,
): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, opts);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error('HTTP/2 connect timed out'));
    }, timeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      resolve(session);
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    });
  });
}

function dohPost(session: http2.ClientHttp2Session, wire: Uint8Array, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/dns-query',
      'content-type': 'application/dns-message',
      accept: 'application/dns-message',
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      req.close();
      reject(new Error('DoH request timed out'));
    }, timeoutMs);
    req.on('response', (h) => {
      if (h[':status'] !== 200) reject(new Error(`DoH status ${h[':status']}`));
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(wire);
  });
}

describe('embedded lab', { skip: LOW_PORTS }, () => {
  let dir: string;
  let lab: Lab;
  let startupMs: number;

  before(async () => {
    dir = tempDir('sealdns-lab-interop-');
    const t0 = performance.now();
    lab = await startLab({ dir: join(dir, 'lab') });
    startupMs = performance.now() - t0;
  });
  after(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ip = (name: string) => lab.server(name).ip;
  const caFile = (name: string) => join(lab.dir, `${name}.pem`);
  const dig = (server: string, ...args: string[]) =>
    run('dig', [`@${ip(server)}`, '+time=3', '+tries=1', '+norecurse', ...args]);
  const kdig = (server: string, ...args: string[]) =>
    run('kdig', [`@${ip(server)}`, '+timeout=3', '+retry=0', '+norecurse', ...args]);
  const kdigTls = (server: string, ...args: string[]) =>
    kdig(server, `+tls-ca=${caFile(server)}`, `+tls-hostname=${server}`, ...args);

  test('starts in under 3 s and writes its files', (t) => {
    t.diagnostic(`startLab() took ${startupMs.toFixed(0)} ms (net ${lab.net})`);
    assert.ok(startupMs < STARTUP_BUDGET_MS, `startLab() took ${startupMs.toFixed(0)} ms`);
    assert.equal(lab.servers.length, LAB_SERVERS.length);
    for (const s of lab.servers) {
      assert.match(s.ip, new RegExp(`^127\\.${lab.net}\\.\\d+\\.\\d+$`));
      assert.equal(s.ports.udp, 53);
      assert.equal(s.ports.tcp, 53);
    }
    assert.ok(lab.files.includes(lab.rootHintsFile) && lab.files.includes(lab.trustAnchorFile));
    for (const z of LAB_ZONES) assert.ok(lab.files.includes(join(lab.dir, zoneFileName(z.origin))), z.origin);
    assert.match(readFileSync(lab.trustAnchorFile, 'utf8'), /^\.\s+\d+\s+IN\s+DS\s+\d+ 13 2 [0-9A-F]{64}\s*$/);
    assert.match(
      readFileSync(lab.rootHintsFile, 'utf8'),
      new RegExp(`a\\.root-servers\\.test\\.\\s+\\d+\\s+IN\\s+A\\s+127\\.${lab.net}\\.0\\.1`),
    );
  });

  test('dig over UDP and TCP: answers, referrals and keys with the AA bit where due', {
    ...T,
    skip: toolSkip('dig'),
  }, async () => {
    const udp = parseDig(await dig('ns1.clear.test', 'www.clear.test', 'A'));
    assert.equal(udp.status, 'NOERROR');
    assert.ok(udp.flags.includes('aa'), udp.flags.join());
    assert.deepEqual(dataOf(udp.answer, 'A'), ['192.0.2.1']);

    const tcp = parseDig(await dig('ns1.clear.test', '+tcp', '+dnssec', 'mail.clear.test', 'MX'));
    assert.equal(tcp.status, 'NOERROR');
    assert.ok(tcp.flags.includes('aa'));
    assert.deepEqual(dataOf(tcp.answer, 'MX'), ['10 mx.clear.test.']);
    assert.equal(dataOf(tcp.answer, 'RRSIG').length, 1, 'signed answer');

    // The TLD delegates with NS, glue and DS (a signed delegation), without AA.
    const ref = parseDig(await dig('ns1.nic.test', '+dnssec', 'www.clear.test', 'A'));
    assert.equal(ref.status, 'NOERROR');
    assert.ok(!ref.flags.includes('aa'), 'a referral is not authoritative');
    assert.deepEqual(dataOf(ref.authority, 'NS'), ['ns1.clear.test.']);
    assert.equal(dataOf(ref.authority, 'DS').length, 1);
    assert.deepEqual(dataOf(ref.additional, 'A'), [ip('ns1.clear.test')]);

    const keys = parseDig(await dig('a.root-servers.test', '+tcp', '.', 'DNSKEY'));
    assert.ok(keys.flags.includes('aa'));
    assert.deepEqual(
      dataOf(keys.answer, 'DNSKEY').map((d) => d.split(' ')[0]),
      ['256', '257'],
      'root KSK and ZSK',
    );
    const nx = parseDig(await dig('ns1.nsec3.test', '+dnssec', 'nothing.nsec3.test', 'A'));
    assert.equal(nx.status, 'NXDOMAIN');
    assert.ok(nx.flags.includes('aa'));
    assert.ok(dataOf(nx.authority, 'NSEC3').length >= 2, 'NSEC3 proof');

    const log = lab.server('ns1.clear.test').server.queryLog;
    assert.ok(log.entries({ transport: 'udp' }).some((e) => e.qname === 'www.clear.test.'));
    assert.ok(log.entries({ transport: 'tcp' }).some((e) => e.qname === 'mail.clear.test.'));
  });

  test('kdig over UDP and TCP', { ...T, skip: toolSkip('kdig') }, async () => {
    const udp = parseDig(await kdig('ns1.clear.test', 'alias.clear.test', 'A'));
    assert.equal(udp.status, 'NOERROR');
    assert.ok(udp.flags.includes('aa'));
    assert.deepEqual(dataOf(udp.answer, 'CNAME'), ['www.clear.test.']);
    assert.deepEqual(dataOf(udp.answer, 'A'), ['192.0.2.1']);
    const tcp = parseDig(await kdig('ns1.clear.test', '+tcp', 'txt.clear.test', 'TXT'));
    assert.ok(tcp.flags.includes('aa'));
    assert.deepEqual(dataOf(tcp.answer, 'TXT'), ['"sealdns lab" "clear.test"']);
    const lame = parseDig(await kdig('ns1.lame.test', 'www.lame.test', 'A'));
    assert.equal(lame.status, 'REFUSED', 'the lame server serves nothing');
  });

  test('kdig over DoT: every DoT listener answers its zone with TLS 1.3', {
    ...T,
    skip: toolSkip('kdig'),
  }, async () => {
    const out = await kdigTls('ns1.dot.test', '+tls', 'www.dot.test', 'A');
    assert.match(out, /TLS1\.3/);
    const www = parseDig(out);
    assert.equal(www.status, 'NOERROR');
    assert.ok(www.flags.includes('aa'));
    assert.deepEqual(dataOf(www.answer, 'A'), ['192.0.2.31']);
    const e = await lab.server('ns1.dot.test').server.queryLog.waitFor((x) => x.qname === 'www.dot.test.');
    assert.equal(e.transport, 'dot');

    const dotServers = LAB_SERVERS.filter((s) => s.dot);
    assert.ok(dotServers.length >= 5);
    for (const s of dotServers) {
      const soa = parseDig(await kdigTls(s.name, '+tls', s.zones[0], 'SOA'));
      assert.equal(soa.status, 'NOERROR', s.name);
      assert.ok(soa.flags.includes('aa'), s.name);
      assert.equal(dataOf(soa.answer, 'SOA').length, 1, s.name);
    }
  });

  test('kdig over DoH: POST and GET at ns1.doh.test', { ...T, skip: toolSkip('kdig') }, async () => {
    const post = await kdigTls('ns1.doh.test', '+https', 'www.doh.test', 'A');
    assert.match(post, /HTTP\/2-POST/);
    assert.match(post, /TLS1\.3/);
    const p = parseDig(post);
    assert.equal(p.status, 'NOERROR');
    assert.ok(p.flags.includes('aa'));
    assert.deepEqual(dataOf(p.answer, 'A'), ['192.0.2.41']);
    const get = await kdigTls('ns1.doh.test', '+https-get', '+dnssec', 'doh.test', 'SOA');
    assert.match(get, /HTTP\/2-GET/);
    const g = parseDig(get);
    assert.ok(g.flags.includes('aa'));
    assert.equal(dataOf(g.answer, 'SOA').length, 1);
    assert.equal(dataOf(g.answer, 'RRSIG').length, 1);
    const doh = lab
      .server('ns1.doh.test')
      .server.queryLog.entries({ transport: 'doh' })
      .map((x) => x.qname);
    assert.ok(doh.includes('www.doh.test.') && doh.includes('doh.test.'), doh.join());
  });

  test('openssl: TLS 1.2 is refused on DoT and DoH, TLS 1.3 is accepted', {
    ...T,
    skip: toolSkip('openssl'),
  }, async () => {
    for (const [server, port, alpn] of [
      ['ns1.dot.test', 853, 'dot'],
      ['ns1.doh.test', 443, 'h2'],
    ] as const) {
      const base = ['s_client', '-connect', `${ip(server)}:${port}`, '-servername', server, '-alpn', alpn];
      const r12 = await runTool('openssl', [...base, '-tls1_2'], { timeoutMs: 10_000 });
      assert.notEqual(r12.code, 0, describeRun('openssl', [...base, '-tls1_2'], r12));
      assert.match(r12.stdout + r12.stderr, /protocol version|no protocols available|handshake failure/i);
      assert.doesNotMatch(r12.stdout, /New, TLSv1\.2, Cipher is (?!\(NONE\))/);

      const args13 = [
        ...base,
        '-tls1_3',
        '-CAfile',
        caFile(server),
        '-verify_return_error',
        '-verify_hostname',
        server,
      ];
      const r13 = await runTool('openssl', args13, { timeoutMs: 10_000 });
      assert.equal(r13.code, 0, describeRun('openssl', args13, r13));
      assert.match(r13.stdout, /New, TLSv1\.3, Cipher is TLS_/);
      assert.match(r13.stdout, /Verify return code: 0 \(ok\)/);
      assert.match(r13.stdout, new RegExp(`ALPN protocol: ${alpn}`));
    }
  });

  test('node:tls: TLS 1.2 is refused on DoT and DoH, TLS 1.3 answers', T, async () => {
    for (const [server, port] of [
      ['ns1.dot.test', 853],
      ['ns1.doh.test', 443],
    ] as const) {
      const ca = readFileSync(caFile(server), 'utf8');
      await assert.rejects(
        tlsConnect({ host: ip(server), port, servername: server, ca, maxVersion: 'TLSv1.2' }),
        (err: NodeJS.ErrnoException) => {
          assert.match(String(err.code), /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/, String(err));
          return true;
        },
        `${server}:${port} must refuse TLS 1.2`,
      );
    }

    const sock = await tlsConnect({
      host: ip('ns1.dot.test'),
      port: 853,
      servername: 'ns1.dot.test',
      ca: readFileSync(caFile('ns1.dot.test'), 'utf8'),
      ALPNProtocols: ['dot'],
      minVersion: 'TLSv1.3',
    });
    try {
      assert.equal(sock.getProtocol(), 'TLSv1.3');
      assert.equal(sock.alpnProtocol, 'dot');
      const reply = decodeMessage(
        await dotQuery(sock, encodeMessage(makeQuery('www.dot.test', RRType.A, { id: 4242 }))),
      );
      assert.equal(reply.id, 4242);
      assert.equal(reply.rcode, Rcode.NOERROR);
      assert.ok(reply.aa);
      assert.equal(reply.answers.length, 1);
    } finally {
      sock.destroy();
    }

    await assert.rejects(
      h2Connect(`https://${ip('ns1.doh.test')}:443`, {
        servername: 'ns1.doh.test',
        ca: readFileSync(caFile('ns1.doh.test'), 'utf8'),
        maxVersion: 'TLSv1.2',
      }),
      (err: NodeJS.ErrnoException) => /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/.test(String(err.code)),
    );
    const session = await h2Connect(`https://${ip('ns1.doh.test')}:443`, {
      servername: 'ns1.doh.test',
      ca: readFileSync(caFile('ns1.doh.test'), 'utf8'),
    });
    try {
      assert.equal((session.socket as tls.TLSSocket).getProtocol(), 'TLSv1.3');
      const reply = decodeMessage(await dohPost(session, encodeMessage(makeQuery('www.doh.test', RRType.A))));
      assert.equal(reply.rcode, Rcode.NOERROR);
      assert.ok(reply.aa);
      assert.equal(reply.answers.length, 1);
    } finally {
      session.destroy();
    }

    // ns1.closed853.test signals DoT but has nothing listening on 853.
    const closed = await tcpExchange(ip('ns1.closed853.test'), 853, Buffer.alloc(0), 2000);
    assert.ok(closed.closedByServer && closed.received.length === 0, 'port 853 of ns1.closed853.test is closed');
  });

  test('unbound with the lab root hints and trust anchor resolves every LAB_EXPECTATIONS entry', {
    timeout: 90_000,
    skip: toolSkip('unbound', 'dig'),
  }, async (t) => {
    const port = await freePort();
    const unbound: PeerHandle = await startUnbound({
      port,
      rootHints: lab.rootHintsFile,
      trustAnchorFile: lab.trustAnchorFile,
      // unbound serves test. itself (RFC 6761 default local zone); the lab's TLD must be iterated.
      localZones: [{ name: 'test.', type: 'nodefault' }],
      extraConfig: 'ede: yes',
      testContext: t,
    });
    const problems: string[] = [];
    const t0 = performance.now();
    for (const e of LAB_EXPECTATIONS) {
      const args = ['@127.0.0.1', '-p', String(port), '+time=5', '+tries=1', '+dnssec', `${e.name}.`, e.type];
      const r = await runTool('dig', args, { timeoutMs: 15_000 });
      if (r.code !== 0) {
        problems.push(describeRun('dig', args, r));
        continue;
      }
      const out = parseDig(r.stdout);
      const what = `${e.name} ${e.type}`;
      if (out.status !== e.rcode) problems.push(`${what}: rcode ${out.status}, expected ${e.rcode}`);
      if (out.flags.includes('ad') !== e.secure)
        problems.push(`${what}: AD=${out.flags.includes('ad')}, expected ${e.secure}`);
      const got = dataOf(out.answer, e.type);
      const want = [...(e.data ?? [])].sort();
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`${what}: data ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      // Why the validator failed: a broken signature is Bogus (6), an expired one Signature Expired (7).
      if (e.name === 'www.bogus.test' && !out.ede.includes(6)) problems.push(`${what}: EDE ${out.ede}, expected 6`);
      if (e.name === 'www.expired.test' && !out.ede.includes(7)) problems.push(`${what}: EDE ${out.ede}, expected 7`);
    }
    t.diagnostic(`${LAB_EXPECTATIONS.length} names resolved by unbound in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(problems, [], `${problems.join('\n')}\n${unbound.logs()}`);

    // Only the deliberately broken zones fail validation.
    const failures = unbound
      .logs()
      .split('\n')
      .filter((l) => l.includes('validation failure'));
    for (const l of failures) assert.match(l, /<www\.(bogus|expired)\.test\. A IN>/, l);
    assert.ok(failures.length >= 2, unbound.logs());
    // unbound iterated from the lab's root servers (it had nothing else).
    const roots = ['a.root-servers.test', 'b.root-servers.test'].flatMap((n) =>
      lab
        .server(n)
        .server.queryLog.entries()
        .filter((x) => x.client.address === '127.0.0.1'),
    );
    assert.ok(roots.length > 0, 'unbound queried the lab root');
    await unbound.stop();
  });

  test('ldns-verify-zone accepts the signed zone files and rejects the broken ones', {
    ...T,
    skip: toolSkip('ldns-verify-zone'),
  }, async () => {
    for (const z of LAB_ZONES) {
      const file = join(lab.dir, zoneFileName(z.origin));
      if (z.signing === 'unsigned') {
        assert.doesNotMatch(readFileSync(file, 'utf8'), /\sIN\s+(RRSIG|DNSKEY|NSEC3?)\s/, `${z.origin} is unsigned`);
        continue;
      }
      const r = await runTool('ldns-verify-zone', [file], { timeoutMs: 15_000 });
      const text = describeRun('ldns-verify-zone', [file], r);
      if (z.signing === 'bogus') {
        assert.notEqual(r.code, 0, text);
        assert.match(r.stdout + r.stderr, /Bogus DNSSEC signature for www\.bogus\.test\.\s+A/, text);
      } else if (z.signing === 'expired') {
        assert.notEqual(r.code, 0, text);
        assert.match(r.stdout + r.stderr, /signature has expired/i, text);
      } else {
        assert.equal(r.code, 0, text);
        assert.match(r.stdout, /Zone is verified and complete/, text);
      }
    }
  });

  test('the zone files it writes load back; parse errors name file, line and reason', async () => {
    for (const z of LAB_ZONES) {
      const file = join(lab.dir, zoneFileName(z.origin));
      const parsed = await loadZoneFile(file, { origin: z.origin });
      assert.equal(parsed.records.length, lab.zoneTexts.get(z.origin)!.trim().split('\n').length, z.origin);
    }
    const good = readFileSync(join(lab.dir, 'clear.test.zone'), 'utf8').trimEnd().split('\n');
    // A quoted string and parentheses may span lines, so an unterminated one is reported where
    // the tokenizer gives up; the quote case is on the last line to keep its location exact.
    const cases: { line: number; text: string; code: string; reason: RegExp }[] = [
      {
        line: 3,
        text: 'www.clear.test. 3600 IN A 192.0.2.300',
        code: 'bad-record',
        reason: /192\.0\.2\.300|IPv4|address/i,
      },
      { line: 5, text: 'www.clear.test. 3600 IN NOSUCHTYPE x', code: 'unknown-type', reason: /NOSUCHTYPE/i },
      { line: 7, text: 'www.clear.test. 3600 IN A 192.0.2.1 )', code: 'syntax', reason: /\)/ },
      { line: 9, text: '$ORIGN clear.test.', code: 'bad-directive', reason: /ORIGN/ },
      {
        line: 11,
        text: 'www.clear.test. 3600 IN MX ten mx.clear.test.',
        code: 'bad-record',
        reason: /ten|number|preference|integer/i,
      },
      { line: good.length, text: 'www.clear.test. 3600 IN TXT "unterminated', code: 'syntax', reason: /quote/i },
    ];
    for (const c of cases) {
      const lines = [...good];
      lines[c.line - 1] = c.text;
      const file = join(dir, `broken-${c.code}-${c.line}.zone`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      await assert.rejects(loadZoneFile(file, { origin: 'clear.test.' }), (e: unknown) => {
        assert.ok(e instanceof ZoneFileError, String(e));
        assert.equal(e.code, c.code, e.message);
        assert.equal(e.file, file);
        assert.equal(e.line, c.line, e.message);
        assert.match(e.reason, c.reason);
        assert.equal(e.message, `${file}:${c.line}: ${e.reason}`);
        return true;
      });
    }
    copyFileSync(join(lab.dir, 'clear.test.zone'), join(dir, 'copy.zone'));
    await loadZoneFile(join(dir, 'copy.zone'), { origin: 'clear.test.' });
  });

  test('malformed queries get FORMERR or are dropped; the servers keep answering', T, async () => {
    const target = lab.server('ns1.clear.test');
    const good = encodeMessage(makeQuery('www.clear.test', RRType.A, { id: 0x1234 }));
    const header = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0) => {
      const b = Buffer.alloc(12);
      b.writeUInt16BE(id, 0);
      b.writeUInt16BE(flags, 2);
      b.writeUInt16BE(qd, 4);
      b.writeUInt16BE(an, 6);
      b.writeUInt16BE(ns, 8);
      b.writeUInt16BE(ar, 10);
      return b;
    };
    const q = (name: Buffer) => Buffer.concat([name, Buffer.from([0, 1, 0, 1])]);
    const cases: { what: string; wire: Buffer; expect: 'drop' | 'formerr' }[] = [
      { what: 'empty datagram', wire: Buffer.alloc(0), expect: 'drop' },
      { what: 'shorter than a header', wire: Buffer.from([1, 2, 3, 4, 5]), expect: 'drop' },
      { what: 'a response (QR=1)', wire: Buffer.concat([header(1, 0x8000, 1), q(Buffer.from([0]))]), expect: 'drop' },
      { what: 'QDCOUNT=1 without a question', wire: header(2, 0x0100, 1), expect: 'formerr' },
      { what: 'QDCOUNT=0', wire: header(3, 0, 0), expect: 'formerr' },
      {
        what: 'QDCOUNT=2',
        wire: Buffer.concat([header(4, 0, 2), q(Buffer.from([0])), q(Buffer.from([0]))]),
        expect: 'formerr',
      },
      {
        what: 'label longer than 63',
        wire: Buffer.concat([header(5, 0, 1), q(Buffer.from([64, ...Buffer.alloc(64, 97), 0]))]),
        expect: 'formerr',
      },
      {
        what: 'compression pointer loop',
        wire: Buffer.concat([header(6, 0, 1), q(Buffer.from([0xc0, 12]))]),
        expect: 'formerr',
      },
      {
        what: 'reserved label type',
        wire: Buffer.concat([header(7, 0, 1), q(Buffer.from([0x80, 0]))]),
        expect: 'formerr',
      },
      {
        what: 'ANCOUNT with no records',
        wire: Buffer.concat([header(8, 0, 1, 5), q(Buffer.from([0]))]),
        expect: 'formerr',
      },
      {
        what: 'truncated question',
        wire: Buffer.concat([header(9, 0, 1), Buffer.from([3, 119, 119])]),
        expect: 'formerr',
      },
    ];
    for (const c of cases) {
      const r = await udpExchange(target.ip, 53, c.wire);
      if (c.expect === 'drop') assert.equal(r, undefined, `${c.what}: expected no reply over UDP`);
      else {
        assert.ok(r, `${c.what}: expected FORMERR over UDP, got nothing`);
        assert.equal(rcodeOf(r), Rcode.FORMERR, `${c.what} over UDP`);
        assert.equal(idOf(r), idOf(c.wire), `${c.what}: ID echoed`);
      }
      if (c.wire.length >= 12) {
        // Over TCP the same message, framed: FORMERR on the stream, or nothing for a response.
        const t = await tcpExchange(target.ip, 53, frame(c.wire), c.expect === 'drop' ? 400 : 3000, 1);
        const msgs = unframe(t.received);
        if (c.expect === 'drop') assert.equal(msgs.length, 0, `${c.what} over TCP`);
        else {
          assert.equal(msgs.length, 1, `${c.what}: expected FORMERR over TCP`);
          assert.equal(rcodeOf(msgs[0]), Rcode.FORMERR, `${c.what} over TCP`);
        }
      }
    }

    // Stream garbage: a length prefix below a header's size ends the connection.
    const tiny = await tcpExchange(target.ip, 53, Buffer.from([0, 3, 1, 2, 3]));
    assert.ok(tiny.closedByServer && tiny.received.length === 0, 'connection closed on a 3-octet frame');
    // Random bytes, seeded, over UDP and TCP (and raw bytes where TLS is expected).
    let seed = 0x5eed;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >>> 16;
    };
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd() & 0xff));
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 500; i++) {
      const b = noise(1 + (rnd() % 300));
      if (i % 2 === 0 && b.length >= 3) b[2] &= 0x7f; // half of them look like queries (QR=0)
      sock.send(b, 53, target.ip);
    }
    await new Promise((r) => setTimeout(r, 200));
    sock.close();
    await tcpExchange(target.ip, 53, noise(4096), 300);
    await tcpExchange(target.ip, 53, Buffer.concat([frame(good), Buffer.from([0xff, 0xff, 1, 2])]), 300);
    await tcpExchange(ip('ns1.dot.test'), 853, noise(2048), 300);
    await tcpExchange(ip('ns1.doh.test'), 443, noise(2048), 300);

    // Still serving, on every transport.
    const udp = await probe({ address: target.ip, port: 53, name: 'www.clear.test', qtype: 1 });
    assert.deepEqual([udp.rcode, udp.aa, udp.ancount], [0, true, 1]);
    const tcp = await probe({ address: target.ip, port: 53, name: 'www.clear.test', qtype: 1, transport: 'tcp' });
    assert.deepEqual([tcp.rcode, tcp.aa, tcp.ancount], [0, true, 1]);
    const dot = await tlsConnect({
      host: ip('ns1.dot.test'),
      port: 853,
      servername: 'ns1.dot.test',
      ca: readFileSync(caFile('ns1.dot.test'), 'utf8'),
    });
    try {
      const reply = await dotQuery(dot, encodeMessage(makeQuery('www.dot.test', RRType.A)));
      assert.deepEqual([rcodeOf(reply), decodeMessage(reply).answers.length], [Rcode.NOERROR, 1]);
    } finally {
      dot.destroy();
    }
    const malformed = target.server.queryLog.entries().filter((e) => e.kind === 'malformed');
    assert.ok(malformed.length >= 5, `query log records malformed queries (${malformed.length})`);
  });

  test('two labs run side by side on different nets; a taken net is refused', T, async (t) => {
    const t0 = performance.now();
    const second = await startLab({ dir: join(dir, 'lab2') });
    const ms = performance.now() - t0;
    try {
      t.diagnostic(`second startLab() took ${ms.toFixed(0)} ms (net ${second.net})`);
      assert.ok(ms < STARTUP_BUDGET_MS, `second startLab() took ${ms.toFixed(0)} ms`);
      assert.notEqual(second.net, lab.net);
      assert.notEqual(second.trustAnchor, lab.trustAnchor, 'each lab has its own keys');
      for (const l of [lab, second]) {
        const s = l.server('ns1.clear.test');
        const before = s.server.queryLog.entries().length;
        const r = await probe({ address: s.ip, port: 53, name: 'www.clear.test', qtype: 1 });
        assert.deepEqual([r.rcode, r.aa, r.ancount], [0, true, 1], `lab ${l.net}`);
        assert.equal(s.server.queryLog.entries().length, before + 1, 'each lab logs its own queries');
      }
      await assert.rejects(startLab({ net: lab.net, dir: join(dir, 'lab3') }), /EADDRINUSE|bind/);
      const still = await probe({ address: ip('ns1.clear.test'), port: 53, name: 'www.clear.test', qtype: 1 });
      assert.equal(still.ancount, 1);
    } finally {
      await second.close();
    }
    // Closed: its addresses are free again.
    await assert.rejects(probe({ address: second.ip('2.1'), port: 53, name: 'www.clear.test', timeoutMs: 300 }));
  });
});
