// The downstream service over DoT and DoH (RFC 7858, RFC 8484 on HTTP/2 and HTTP/1.1), against a
// stand-in resolver that records the client's transport: kdig +tls and +https, curl --http1.1 and
// --http2 (GET and POST), padding of replies to encrypted clients (RFC 8467), TLS 1.2-only clients
// refused (openssl s_client -tls1_2, node with maxVersion TLSv1.2), per-client connection limits,
// idle timeouts, certificate replacement and listener reconfiguration, and the per-query events.

import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { generateCertificate } from '../../src/authority/certgen.js';
import type { ClientInfo } from '../../src/resolver/resolver.js';
import type { ServedEvent } from '../../src/server/served.js';
import { type ResolverService, startResolverService, type TlsCredentials } from '../../src/server/service.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  newMessage,
  RRClass,
  RRType,
} from '../../src/wire/index.js';
import { describeRun, freePort, freePorts, runTool, tempDir, toolSkip } from '../helpers/peers.js';

const T = { timeout: 20_000 };
const ANSWER = '192.0.2.7';

/** A stand-in resolver: answers every A query with ANSWER and records who asked how. */
class StubResolver {
  readonly clients: ClientInfo[] = [];
  readonly stats = { packetHits: 0 };
  /** qnames answered "from the packet cache" (before any await, as the real one does). */
  readonly packetNames = new Set<string>();

  // async like Resolver.handleRaw: everything before the first await runs in the caller's turn
  async handleRaw(raw: Uint8Array, client: ClientInfo): Promise<Uint8Array | undefined> {
    this.clients.push(client);
    const q = decodeMessage(raw);
    const r = newMessage({ id: q.id, qr: true, rd: q.rd, ra: true, questions: q.questions });
    const question = q.questions[0];
    if (question?.type === RRType.A)
      r.answers = [
        { name: question.name, type: RRType.A, class: RRClass.IN, ttl: 300, data: { address: ANSWER } } as never,
      ];
    if (q.edns !== undefined) r.edns = { udpSize: 1232, version: 0, dnssecOk: false, zFlags: 0, options: [] };
    const wire = encodeMessage(r);
    if (question !== undefined && this.packetNames.has(question.name.toString())) {
      this.stats.packetHits++;
      return wire;
    }
    await Promise.resolve();
    return wire;
  }
}

function certFor(dir: string): { creds: TlsCredentials; certFile: string; keyFile: string } {
  const c = generateCertificate({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  writeFileSync(certFile, c.certPem);
  writeFileSync(keyFile, c.keyPem);
  return { creds: { certPem: c.certPem, keyPem: c.keyPem }, certFile, keyFile };
}

function queryWire(name: string, edns = true): Buffer {
  return Buffer.from(encodeMessage(makeQuery(Name.fromText(name), RRType.A, { id: 4321, rd: true, edns })));
}

function aOf(m: Message): string[] {
  return m.answers.map((rr) => (rr.data as { address: string }).address);
}

/** A TLS 1.3 DoT exchange with the test CA; resolves with the reply. */
function dotExchange(port: number, ca: string, wire: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['dot'] });
    let buf = Buffer.alloc(0);
    s.once('secureConnect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(wire.length);
      s.write(Buffer.concat([len, wire]));
    });
    s.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        s.destroy();
      }
    });
    s.once('error', reject);
    s.setTimeout(5_000, () => {
      s.destroy();
      reject(new Error('DoT timeout'));
    });
  });
}

/**
 * Opens a TLS connection (from `localAddress` when given); resolves with the socket once the
 * handshake is done, or the error.
 */
function tlsOpen(port: number, opts: tls.ConnectionOptions & { localAddress?: string }): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const { localAddress, ...rest } = opts;
    const socket = localAddress === undefined ? undefined : net.connect({ host: '127.0.0.1', port, localAddress });
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...rest, ...(socket ? { socket } : {}) });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before the handshake')));
  });
}

describe('resolver service over DoT and DoH', { timeout: 120_000 }, () => {
  const dir = tempDir('sealdns-enc-service-');
  let cert: ReturnType<typeof certFor>;
  let resolver: StubResolver;
  let service: ResolverService;
  let dotPort: number;
  let dohPort: number;
  const extra: ResolverService[] = [];

  before(async () => {
    cert = certFor(dir);
    resolver = new StubResolver();
    [dotPort, dohPort] = await freePorts(2);
    service = await startResolverService({
      listen: [
        { address: '127.0.0.1', port: dotPort, transport: 'dot' },
        { address: '127.0.0.1', port: dohPort, transport: 'doh' },
      ],
      resolver,
      tls: cert.creds,
    });
  });

  after(async () => {
    await service?.close();
    await Promise.all(extra.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('lists its DoT and DoH listeners', () => {
    assert.deepEqual(service.listeners, [
      { address: '127.0.0.1', port: dotPort, transport: 'dot' },
      { address: '127.0.0.1', port: dohPort, transport: 'doh' },
    ]);
  });

  test('kdig +tls gets the answer, padded to 468 octets (RFC 8467)', { ...T, skip: toolSkip('kdig') }, async () => {
    const args = [
      '@127.0.0.1',
      '-p',
      String(dotPort),
      `+tls-ca=${cert.certFile}`,
      '+tls-hostname=localhost',
      'www.example.test',
      'A',
      '+timeout=5',
      '+retry=0',
    ];
    const r = await runTool('kdig', args);
    const why = describeRun('kdig', args, r);
    assert.equal(r.code, 0, why);
    assert.match(r.stdout, /TLS session \(TLS1\.3\)/, why);
    assert.match(r.stdout, /status: NOERROR/, why);
    assert.match(
      r.stdout,
      new RegExp(`www\\.example\\.test\\.\\s+300\\s+IN\\s+A\\s+${ANSWER.replace(/\./g, '\\.')}`),
      why,
    );
    assert.match(r.stdout, /PADDING: \d+ B/, why);
    assert.match(r.stdout, /Received 468 B/, why);
    assert.ok(resolver.clients.some((c) => c.transport === 'dot' && c.address === '127.0.0.1'));
  });

  for (const method of ['POST', 'GET'] as const) {
    test(`kdig +https (${method}, HTTP/2) gets the answer`, { ...T, skip: toolSkip('kdig') }, async () => {
      const args = [
        '@127.0.0.1',
        '-p',
        String(dohPort),
        '+https',
        ...(method === 'GET' ? ['+https-get'] : []),
        `+tls-ca=${cert.certFile}`,
        '+tls-hostname=localhost',
        'www.example.test',
        'A',
        '+timeout=5',
        '+retry=0',
      ];
      const r = await runTool('kdig', args);
      const why = describeRun('kdig', args, r);
      assert.equal(r.code, 0, why);
      assert.match(r.stdout, new RegExp(`HTTP session \\(HTTP/2-${method}\\)`), why);
      assert.match(r.stdout, /status: NOERROR/, why);
      assert.match(r.stdout, new RegExp(`IN\\s+A\\s+${ANSWER.replace(/\./g, '\\.')}`), why);
      assert.match(r.stdout, /Received 468 B/, why);
      assert.ok(resolver.clients.some((c) => c.transport === 'doh'));
    });
  }

  for (const version of ['--http1.1', '--http2'] as const) {
    for (const method of ['GET', 'POST'] as const) {
      test(`curl ${version} ${method} /dns-query gets the answer`, { ...T, skip: toolSkip('curl') }, async () => {
        const out = join(dir, `curl-${version.slice(2)}-${method}.bin`);
        const wire = queryWire('www.example.test.');
        const url =
          method === 'GET'
            ? `https://localhost:${dohPort}/dns-query?dns=${wire.toString('base64url')}`
            : `https://localhost:${dohPort}/dns-query`;
        const args = [
          '-sS',
          version,
          '--cacert',
          cert.certFile,
          '--resolve',
          `localhost:${dohPort}:127.0.0.1`,
          '-o',
          out,
          '-w',
          '%{http_version} %{http_code} %{content_type}',
          ...(method === 'POST'
            ? ['-H', 'content-type: application/dns-message', '--data-binary', `@${join(dir, 'q.bin')}`]
            : []),
          url,
        ];
        writeFileSync(join(dir, 'q.bin'), wire);
        const r = await runTool('curl', args);
        const why = describeRun('curl', args, r);
        assert.equal(r.code, 0, why);
        assert.equal(r.stdout, `${version === '--http2' ? '2' : '1.1'} 200 application/dns-message`, why);
        const reply = decodeMessage(readFileSync(out));
        assert.equal(reply.id, 4321);
        assert.deepEqual(aOf(reply), [ANSWER]);
        assert.equal(readFileSync(out).length % 468, 0, 'padded (RFC 8467)');
      });
    }
  }

  test('HTTP/1.1: wrong path 404, wrong method 405, wrong content type 415', T, async () => {
    const ask = (path: string, method: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port: dohPort,
          ca: cert.creds.certPem,
          servername: 'localhost',
          ALPNProtocols: ['http/1.1'],
        });
        s.once('secureConnect', () => {
          const h = Object.entries({ host: 'localhost', 'content-length': '0', ...headers })
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('');
          s.write(`${method} ${path} HTTP/1.1\r\n${h}connection: close\r\n\r\n`);
        });
        let text = '';
        s.on('data', (b: Buffer) => {
          text += b.toString('latin1');
        });
        s.once('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
        s.once('error', reject);
      });
    assert.equal(await ask('/nope', 'GET'), 404);
    assert.equal(await ask('/dns-query', 'PUT'), 405);
    assert.equal(await ask('/dns-query', 'POST', { 'content-type': 'text/plain' }), 415);
  });

  test('openssl s_client -tls1_2 is refused on DoT and DoH', { ...T, skip: toolSkip('openssl') }, async () => {
    for (const port of [dotPort, dohPort]) {
      const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-servername', 'localhost'];
      const r = await runTool('openssl', args, { input: '' });
      const why = describeRun('openssl', args, r);
      assert.notEqual(r.code, 0, why);
      assert.match(r.stdout + r.stderr, /alert protocol version|Cipher is \(NONE\)/, why);
      // and TLS 1.3 is accepted
      const ok = await runTool('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3'], { input: '' });
      assert.match(ok.stdout, /New, TLSv1\.3, Cipher is/, describeRun('openssl', args, ok));
    }
  });

  test('a node client limited to TLS 1.2 is refused on DoT and DoH', T, async () => {
    for (const port of [dotPort, dohPort]) {
      await assert.rejects(tlsOpen(port, { ca: cert.creds.certPem, maxVersion: 'TLSv1.2' }), (e: Error) => {
        assert.match(e.message, /protocol version|ssl3_read_bytes|alert|closed/i);
        return true;
      });
      const ok = await tlsOpen(port, { ca: cert.creds.certPem });
      assert.equal(ok.getProtocol(), 'TLSv1.3');
      ok.destroy();
    }
  });

  test('the client transport reaches the resolver', T, async () => {
    resolver.clients.length = 0;
    const reply = decodeMessage(await dotExchange(dotPort, cert.creds.certPem, queryWire('a.example.')));
    assert.deepEqual(aOf(reply), [ANSWER]);
    const session = http2.connect(`https://127.0.0.1:${dohPort}`, { ca: cert.creds.certPem, servername: 'localhost' });
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': '/dns-query',
          'content-type': 'application/dns-message',
        });
        const parts: Buffer[] = [];
        req.on('data', (b: Buffer) => parts.push(b));
        req.on('end', () => resolve(Buffer.concat(parts)));
        req.on('error', reject);
        req.end(queryWire('b.example.'));
      });
      assert.deepEqual(aOf(decodeMessage(body)), [ANSWER]);
    } finally {
      session.close();
    }
    assert.deepEqual(
      resolver.clients.map((c) => c.transport),
      ['dot', 'doh'],
    );
  });

  test('no padding without EDNS in the query', T, async () => {
    const reply = await dotExchange(dotPort, cert.creds.certPem, queryWire('c.example.', false));
    assert.equal(decodeMessage(reply).edns, undefined);
    assert.notEqual(reply.length % 468, 0);
  });

  test('per-client connection limit: a client cannot hold more than its share', T, async () => {
    const port = await freePort();
    const s = await startResolverService({
      listen: [{ address: '127.0.0.1', port, transport: 'dot' }],
      resolver,
      tls: cert.creds,
      maxConnectionsPerClient: 2,
    });
    extra.push(s);
    const held = [await tlsOpen(port, { ca: cert.creds.certPem }), await tlsOpen(port, { ca: cert.creds.certPem })];
    await assert.rejects(tlsOpen(port, { ca: cert.creds.certPem }), 'a third connection from 127.0.0.1 is closed');
    // another client address still gets in
    const other = await tlsOpen(port, { ca: cert.creds.certPem, localAddress: '127.0.0.2' });
    other.destroy();
    // a slot freed is a slot usable again
    held[0].destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await tlsOpen(port, { ca: cert.creds.certPem });
    again.destroy();
    held[1].destroy();
  });

  test('idle DoT connections and HTTP/1.1 DoH connections are closed', T, async () => {
    const [p1, p2] = await freePorts(2);
    const s = await startResolverService({
      listen: [
        { address: '127.0.0.1', port: p1, transport: 'dot' },
        { address: '127.0.0.1', port: p2, transport: 'doh' },
      ],
      resolver,
      tls: cert.creds,
      idleTimeoutMs: 300,
    });
    extra.push(s);
    for (const [port, alpn] of [
      [p1, 'dot'],
      [p2, 'http/1.1'],
    ] as const) {
      const sock = await tlsOpen(port, { ca: cert.creds.certPem, ALPNProtocols: [alpn] });
      const started = Date.now();
      await new Promise<void>((resolve) => sock.once('close', () => resolve()));
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 5_000, `${alpn} closed after ${waited} ms`);
    }
  });

  test('a new certificate is used for new connections, still TLS 1.3 only', T, async () => {
    const port = await freePort();
    const s = await startResolverService({
      listen: [{ address: '127.0.0.1', port, transport: 'dot' }],
      resolver,
      tls: cert.creds,
    });
    extra.push(s);
    const next = generateCertificate({ commonName: 'localhost', dnsNames: ['localhost'] });
    await s.reconfigure(s.listeners, { certPem: next.certPem, keyPem: next.keyPem });
    const sock = await tlsOpen(port, { ca: next.certPem });
    assert.equal(sock.getProtocol(), 'TLSv1.3');
    sock.destroy();
    await assert.rejects(tlsOpen(port, { ca: cert.creds.certPem }), 'the old certificate is no longer presented');
    await assert.rejects(tlsOpen(port, { ca: next.certPem, maxVersion: 'TLSv1.2' }));
  });

  test('reconfigure adds and removes listeners; a failure keeps the old set', T, async () => {
    const [a, b] = await freePorts(2);
    const s = await startResolverService({
      listen: [{ address: '127.0.0.1', port: a, transport: 'tcp' }],
      resolver,
      tls: cert.creds,
    });
    extra.push(s);
    await s.reconfigure([
      { address: '127.0.0.1', port: a, transport: 'tcp' },
      { address: '127.0.0.1', port: b, transport: 'dot' },
    ]);
    assert.deepEqual(
      s.listeners.map((l) => `${l.transport}:${l.port}`),
      [`tcp:${a}`, `dot:${b}`],
    );
    assert.deepEqual(aOf(decodeMessage(await dotExchange(b, cert.creds.certPem, queryWire('d.example.')))), [ANSWER]);
    // a port taken by someone else: the reconfiguration fails and nothing changes
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', () => r()));
    try {
      await assert.rejects(
        s.reconfigure([{ address: '127.0.0.1', port: taken, transport: 'tcp' }]),
        (e: Error & { code?: string }) => e.code === 'bind-failed',
      );
      assert.deepEqual(
        s.listeners.map((l) => `${l.transport}:${l.port}`),
        [`tcp:${a}`, `dot:${b}`],
      );
      assert.deepEqual(aOf(decodeMessage(await dotExchange(b, cert.creds.certPem, queryWire('e.example.')))), [ANSWER]);
    } finally {
      blocker.close();
    }
    await s.reconfigure([{ address: '127.0.0.1', port: b, transport: 'dot' }]);
    assert.deepEqual(
      s.listeners.map((l) => `${l.transport}:${l.port}`),
      [`dot:${b}`],
    );
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = net.connect(a, '127.0.0.1', () => resolve(c));
        c.once('error', reject);
      }),
      'the removed TCP listener is closed',
    );
  });

  test('DoT and DoH need a certificate', async () => {
    await assert.rejects(
      startResolverService({ listen: [{ address: '127.0.0.1', port: 0, transport: 'dot' }], resolver }),
      { name: 'ServeError', code: 'bad-option' },
    );
  });

  test('every finished query is published on sealdns:server:request', T, async () => {
    const events: ServedEvent[] = [];
    const onEvent = (m: unknown) => events.push(m as ServedEvent);
    subscribe('sealdns:server:request', onEvent);
    try {
      resolver.packetNames.add('cached.example.');
      await dotExchange(dotPort, cert.creds.certPem, queryWire('cached.example.'));
      await dotExchange(dotPort, cert.creds.certPem, queryWire('fresh.example.'));
    } finally {
      unsubscribe('sealdns:server:request', onEvent);
    }
    assert.equal(events.length, 2);
    assert.deepEqual(
      events.map((e) => [e.transport, e.outcome, e.packetHit, e.rcode]),
      [
        ['dot', 'answered', true, 0],
        ['dot', 'answered', false, 0],
      ],
    );
    assert.ok(events.every((e) => e.durationMs >= 0 && e.client === '127.0.0.1' && e.response !== undefined));
  });
});
