// Proves the interop harness works: real unbound and nsd on loopback high ports, queried with
// kdig and dig over UDP, TCP, TLS (and HTTPS for unbound).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  describeRun,
  freePort,
  freePorts,
  makeSelfSignedCert,
  probe,
  runTool,
  startNsd,
  startUnbound,
  stopAll,
  tempDir,
  toolSkip,
} from '../helpers/peers.js';

after(stopAll);

const work = tempDir('sealdns-peers-test-');
after(() => rmSync(work, { recursive: true, force: true }));

async function query(bin: 'kdig' | 'dig', args: string[]): Promise<string> {
  const r = await runTool(bin, args, { timeoutMs: 15_000 });
  assert.equal(r.code, 0, describeRun(bin, args, r));
  return r.stdout;
}

describe('harness basics', () => {
  test('freePort gives distinct ports free for UDP and TCP', async () => {
    const ports = await freePorts(3);
    assert.equal(new Set(ports).size, 3);
    for (const p of ports) assert.ok(p > 1024 && p < 65536, String(p));
  });

  test('runTool kills a tool that outlives its timeout', { skip: toolSkip('sleep') }, async () => {
    const t0 = Date.now();
    const r = await runTool('sleep', ['30'], { timeoutMs: 200 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 < 5000);
  });

  test('runTool reports exit code and output', { skip: toolSkip('sh') }, async () => {
    const r = await runTool('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' });
    assert.deepEqual([r.code, r.stdout, r.stderr.trim(), r.timedOut], [3, 'hello', 'err', false]);
  });
});

describe('unbound', () => {
  test('serves local-data to kdig and dig', { skip: toolSkip('unbound', 'kdig', 'dig') }, async (t) => {
    const port = await freePort();
    const u = await startUnbound({
      port,
      testContext: t,
      localZones: [{ name: 'example.com.', type: 'static' }],
      localData: ['www.example.com. 300 IN A 192.0.2.1', 'example.com. 300 IN TXT "hello world"'],
    });
    try {
      const k = await query('kdig', ['@127.0.0.1', '-p', String(port), '+notcp', 'www.example.com', 'A']);
      assert.match(k, /status: NOERROR/, u.logs());
      assert.match(k, /www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1/, k);
      const d = await query('dig', ['@127.0.0.1', '-p', String(port), '+tcp', '+short', 'www.example.com', 'A']);
      assert.equal(d.trim(), '192.0.2.1');
      const txt = await query('kdig', ['@127.0.0.1', '-p', String(port), '+short', 'example.com', 'TXT']);
      assert.equal(txt.trim(), '"hello world"');
      const nx = await query('dig', ['@127.0.0.1', '-p', String(port), 'nope.example.com', 'A']);
      assert.match(nx, /status: NXDOMAIN/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${u.logs()}`);
    } finally {
      await u.stop();
    }
    assert.equal(u.running(), false);
  });

  test('serves DNS-over-TLS and DNS-over-HTTPS', { skip: toolSkip('unbound', 'kdig', 'openssl') }, async (t) => {
    const cert = await makeSelfSignedCert(work, 'unbound.test');
    const [port, tlsPort, httpsPort] = await freePorts(3);
    const u = await startUnbound({
      port,
      testContext: t,
      localZones: [{ name: 'example.com.', type: 'static' }],
      localData: ['www.example.com. 300 IN A 192.0.2.1'],
      tls: { port: tlsPort, keyFile: cert.keyFile, certFile: cert.certFile },
      https: { port: httpsPort },
    });
    const base = ['@127.0.0.1', '+short'];
    const viaTls = await query('kdig', [...base, '-p', String(tlsPort), '+tls', 'www.example.com', 'A']);
    assert.equal(viaTls.trim(), '192.0.2.1', u.logs());
    const viaTlsCa = await query('kdig', [
      ...base,
      '-p',
      String(tlsPort),
      `+tls-ca=${cert.certFile}`,
      '+tls-hostname=unbound.test',
      'www.example.com',
      'A',
    ]);
    assert.equal(viaTlsCa.trim(), '192.0.2.1', u.logs());
    const viaHttps = await query('kdig', [...base, '-p', String(httpsPort), '+https', 'www.example.com', 'A']);
    assert.equal(viaHttps.trim(), '192.0.2.1', u.logs());
    await u.stop();
  });

  test('startup failure reports the log and leaves no process', { skip: toolSkip('unbound') }, async () => {
    const port = await freePort();
    await assert.rejects(
      startUnbound({ port, extraConfig: 'this-is-not-an-option: yes', startTimeoutMs: 5000 }),
      (err: Error) => {
        assert.match(err.message, /unbound on 127\.0\.0\.1@\d+ exited during startup/);
        assert.match(err.message, /this-is-not-an-option/);
        return true;
      },
    );
  });
});

describe('nsd', () => {
  const zoneFile = join(work, 'example.net.zone');
  writeFileSync(
    zoneFile,
    [
      '$ORIGIN example.net.',
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 2024010101 3600 900 604800 300',
      '@ IN NS ns1',
      'ns1 IN A 127.0.0.1',
      'www IN A 192.0.2.2',
      'www IN AAAA 2001:db8::2',
      '',
    ].join('\n'),
  );

  test('serves a zone over UDP and TCP to kdig', { skip: toolSkip('nsd', 'kdig') }, async (t) => {
    const port = await freePort();
    const n = await startNsd({ port, testContext: t, zones: [{ name: 'example.net', file: zoneFile }] });
    const udp = await query('kdig', ['@127.0.0.1', '-p', String(port), '+notcp', '+norec', 'www.example.net', 'A']);
    assert.match(udp, /status: NOERROR/, n.logs());
    assert.match(udp, /flags: qr aa/i, udp);
    assert.match(udp, /www\.example\.net\.\s+300\s+IN\s+A\s+192\.0\.2\.2/, udp);
    const tcp = await query('kdig', ['@127.0.0.1', '-p', String(port), '+tcp', '+short', 'www.example.net', 'AAAA']);
    assert.equal(tcp.trim(), '2001:db8::2');
    const dig = await query('dig', ['@127.0.0.1', '-p', String(port), '+short', 'example.net', 'SOA']);
    assert.match(dig, /^ns1\.example\.net\. hostmaster\.example\.net\. 2024010101 /);
    const r = await probe({ address: '127.0.0.1', port, name: 'nope.example.net', qtype: 1, transport: 'tcp' });
    assert.deepEqual([r.rcode, r.aa], [3, true]);
    await n.stop();
    assert.equal(n.running(), false);
  });

  test('serves DNS-over-TLS to kdig +tls', { skip: toolSkip('nsd', 'kdig', 'openssl') }, async (t) => {
    const cert = await makeSelfSignedCert(work, 'nsd.test');
    const [port, tlsPort] = await freePorts(2);
    const n = await startNsd({
      port,
      testContext: t,
      zones: [{ name: 'example.net', file: zoneFile }],
      tls: { port: tlsPort, keyFile: cert.keyFile, certFile: cert.certFile },
    });
    const out = await query('kdig', [
      '@127.0.0.1',
      '-p',
      String(tlsPort),
      `+tls-ca=${cert.certFile}`,
      '+tls-hostname=nsd.test',
      '+norec',
      'www.example.net',
      'A',
    ]);
    assert.match(out, /TLS session \(TLS1\.[23]\)/, out);
    assert.match(out, /www\.example\.net\.\s+300\s+IN\s+A\s+192\.0\.2\.2/, `${out}\n${n.logs()}`);
    await n.stop();
  });

  test('unbound validates a zone signed by ldns-signzone and served by nsd', {
    skip: toolSkip('nsd', 'unbound', 'ldns-keygen', 'ldns-signzone', 'kdig'),
  }, async (t) => {
    const dir = tempDir('sealdns-signed-');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const keygenArgs = ['-a', 'ECDSAP256SHA256', '-k', 'example.net'];
    const kg = await runTool('ldns-keygen', keygenArgs, { cwd: dir });
    assert.equal(kg.code, 0, describeRun('ldns-keygen', keygenArgs, kg));
    const keyBase = join(dir, kg.stdout.trim());
    const signArgs = ['-f', join(dir, 'example.net.signed'), zoneFile, keyBase];
    const sg = await runTool('ldns-signzone', signArgs);
    assert.equal(sg.code, 0, describeRun('ldns-signzone', signArgs, sg));

    const [authPort, resPort] = await freePorts(2);
    await startNsd({
      port: authPort,
      testContext: t,
      zones: [{ name: 'example.net', file: join(dir, 'example.net.signed') }],
    });
    const u = await startUnbound({
      port: resPort,
      testContext: t,
      trustAnchorFile: `${keyBase}.key`,
      stubZones: [{ name: 'example.net', addrs: [`127.0.0.1@${authPort}`] }],
    });
    const out = await query('kdig', ['@127.0.0.1', '-p', String(resPort), '+dnssec', 'www.example.net', 'A']);
    assert.match(out, /status: NOERROR/, `${out}\n${u.logs()}`);
    assert.match(out, /Flags: qr rd ra ad/, `${out}\n${u.logs()}`);
    assert.match(out, /www\.example\.net\.\s+300\s+IN\s+RRSIG\s+A 13 3 300 /, out);
  });
});
