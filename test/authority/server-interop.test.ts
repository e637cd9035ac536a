// The authoritative server frame queried by Debian's kdig and dig over UDP, TCP, DoT and DoH
// (skipped locally when the tools are missing, failing under CI).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCertificate } from '../../src/authority/certgen.js';
import { type AuthServer, startAuthServer } from '../../src/authority/server.js';
import { describeRun, freePort, runTool, tempDir, toolSkip } from '../helpers/peers.js';
import { BIG_COUNT, testHandler } from './serve-helpers.js';

const T = { timeout: 30_000 };
const HOST = 'dns.test';

async function run(bin: 'kdig' | 'dig', args: string[]): Promise<string> {
  const r = await runTool(bin, args, { timeoutMs: 15_000 });
  assert.equal(r.code, 0, describeRun(bin, args, r));
  return r.stdout;
}

const answerCount = (out: string): number => Number(/ANSWER: (\d+)/.exec(out)?.[1] ?? -1);

describe('authoritative server: interop with kdig and dig', () => {
  let server: AuthServer;
  let dir: string;
  let caFile: string;
  let port: number;
  before(async () => {
    dir = tempDir('sealdns-auth-interop-');
    const cert = generateCertificate({ commonName: HOST, dnsNames: [HOST], ipAddresses: ['127.0.0.1'] });
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, cert.certPem);
    port = await freePort(); // UDP and TCP on the same port, so dig can retry over TCP on TC
    server = await startAuthServer({
      address: '127.0.0.1',
      udpPort: port,
      tcpPort: port,
      dotPort: 0,
      dohPort: 0,
      tls: cert,
      handler: testHandler,
    });
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const kdig = (...args: string[]) =>
    run('kdig', ['@127.0.0.1', '+timeout=3', '+retry=0', '+noall', '+header', '+answer', ...args]);
  const dig = (...args: string[]) => run('dig', ['@127.0.0.1', '-p', String(port), '+time=3', '+tries=1', ...args]);

  test('kdig over UDP and TCP', { ...T, skip: toolSkip('kdig') }, async () => {
    const udp = await kdig('-p', String(port), 'www.example.test', 'A');
    assert.match(udp, /status: NOERROR/);
    assert.match(udp, /www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.1/);
    const tcp = await kdig('-p', String(port), '+tcp', 'tcp.example.test', 'A');
    assert.match(tcp, /192\.0\.2\.1/);
    const refused = await kdig('-p', String(port), 'refused.test', 'A');
    assert.match(refused, /status: REFUSED/);
    const failed = await kdig('-p', String(port), 'throw.test', 'A');
    assert.match(failed, /status: SERVFAIL/);
    const log = server.queryLog.entries();
    assert.ok(log.some((e) => e.qname === 'www.example.test.' && e.transport === 'udp'));
    assert.ok(log.some((e) => e.qname === 'tcp.example.test.' && e.transport === 'tcp'));
  });

  test('kdig sees TC over UDP (+ignore), dig falls back to TCP', { ...T, skip: toolSkip('kdig', 'dig') }, async () => {
    const tc = await kdig('-p', String(port), '+ignore', 'big.test', 'A');
    assert.match(tc, /Flags: [^;]*\btc\b/);
    const full = await dig('big.test', 'A');
    assert.equal(answerCount(full), BIG_COUNT, full);
    assert.ok(
      server.queryLog.entries({ transport: 'tcp' }).some((e) => e.qname === 'big.test.'),
      'dig retried over TCP',
    );
  });

  test('dig over UDP and TCP', { ...T, skip: toolSkip('dig') }, async () => {
    const udp = await dig('+short', 'dig.example.test', 'A');
    assert.equal(udp.trim(), '192.0.2.1');
    const tcp = await dig('+tcp', 'mid.test', 'A');
    assert.equal(answerCount(tcp), 50, tcp);
    assert.match(await dig('nx.test', 'A'), /status: NXDOMAIN/);
  });

  test('kdig over DoT (TLS 1.3, CA and host name checked), padded', { ...T, skip: toolSkip('kdig') }, async () => {
    const out = await kdig(
      '-p',
      String(server.ports.dot),
      '+tls',
      `+tls-ca=${caFile}`,
      `+tls-hostname=${HOST}`,
      '+edns',
      '+opt',
      'dot.example.test',
      'A',
    );
    assert.match(out, /TLS1\.3/);
    assert.match(out, /192\.0\.2\.1/);
    assert.match(out, /Received 468 B|PADDING/);
    const e = await server.queryLog.waitFor((x) => x.qname === 'dot.example.test.');
    assert.equal(e.transport, 'dot');
  });

  test('kdig over DoH, POST and GET', { ...T, skip: toolSkip('kdig') }, async () => {
    const tlsArgs = ['-p', String(server.ports.doh), `+tls-ca=${caFile}`, `+tls-hostname=${HOST}`];
    const postOut = await kdig(...tlsArgs, '+https', 'post.example.test', 'A');
    assert.match(postOut, /HTTP\/2-POST/);
    assert.match(postOut, /192\.0\.2\.1/);
    const getOut = await kdig(...tlsArgs, '+https-get', 'get.example.test', 'A');
    assert.match(getOut, /HTTP\/2-GET/);
    assert.match(getOut, /192\.0\.2\.1/);
    const doh = server.queryLog.entries({ transport: 'doh' }).map((e) => e.qname);
    assert.ok(doh.includes('post.example.test.') && doh.includes('get.example.test.'), doh.join());
  });

  test('kdig over DoT fails against the wrong host name', { ...T, skip: toolSkip('kdig') }, async () => {
    const args = ['@127.0.0.1', '+timeout=3', '+retry=0', '-p', String(server.ports.dot), '+tls', `+tls-ca=${caFile}`];
    const r = await runTool('kdig', [...args, '+tls-hostname=other.test', 'x.test', 'A'], { timeoutMs: 15_000 });
    assert.ok(r.code !== 0 || !/NOERROR/.test(r.stdout), describeRun('kdig', args, r));
  });
});
