// `sealdns serve` operated as an operator would: a child process resolving the lab with a YAML
// configuration (UDP, TCP, DoT and DoH listeners, a certificate, metrics, a control socket, the
// query log), queried with kdig +tls/+https and curl, scraped with curl, driven with
// `sealdns control` (stats, servers, flush, reload — a good one and a broken one); then the same
// with `--workers 2`: answers from both workers, metrics summed, a dead worker replaced.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCertificate } from '../../src/authority/certgen.js';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { encodeMessage, makeQuery, Name, RRType } from '../../src/wire/index.js';
import { bounded, type Cli, runCli as runCliBase, spawnCli, waitFor as waitForBase } from '../helpers/cli.js';
import { describeRun, freePorts, runTool, tempDir, toolSkip } from '../helpers/peers.js';

const waitFor = (cli: Cli, re: RegExp, ms = 20_000) => waitForBase(cli, re, ms);
const runCli = (args: string[], ms = 20_000) => runCliBase(args, ms);
const T = { timeout: 30_000 };

async function stop(cli: Cli | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (cli === undefined || cli.child.exitCode !== null || cli.child.signalCode !== null)
    return { code: cli?.child.exitCode ?? null, signal: cli?.child.signalCode ?? null };
  cli.child.kill('SIGTERM');
  try {
    return await bounded(cli.exited, 10_000, () => `serve did not exit:\n${cli.output()}`);
  } catch (e) {
    cli.child.kill('SIGKILL');
    throw e;
  }
}

/** The value of one sample of the exposition text, summed over its label sets (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

async function scrape(port: number): Promise<string> {
  const args = ['-sS', `http://127.0.0.1:${port}/metrics`];
  const r = await runTool('curl', args);
  assert.equal(r.code, 0, describeRun('curl', args, r));
  return r.stdout;
}

interface Setup {
  lab: Lab;
  dir: string;
  certFile: string;
  ports: { dns: number; dot: number; doh: number; metrics: number };
  socket: string;
  configFile: string;
  yaml(extra?: string): string;
}

async function setUp(prefix: string): Promise<Setup> {
  const dir = tempDir(prefix);
  const [labDns, labDot, labDoh, dns, dot, doh, metrics] = await freePorts(7);
  const lab = await startLab({ ports: { dns: labDns, dot: labDot, doh: labDoh } });
  const c = generateCertificate({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const certFile = join(dir, 'server.pem');
  writeFileSync(certFile, c.certPem);
  writeFileSync(join(dir, 'server.key'), c.keyPem);
  const socket = join(dir, 'control.sock');
  const configFile = join(dir, 'sealdns.yaml');
  const yaml = (extra = '') => `
listen:
  - 127.0.0.1:${dns}
  - { address: 127.0.0.1, port: ${dot}, transport: dot }
  - { address: 127.0.0.1, port: ${doh}, transport: doh }
tls: { cert: server.pem, key: server.key }
root-hints: ${lab.rootHintsFile}
trust-anchor: ${lab.trustAnchorFile}
upstream-port: ${labDns}
dot-probe-port: ${labDot}
ipv6: false
metrics: 127.0.0.1:${metrics}
control: { socket: control.sock }
query-log: true
log-level: info
${extra}`;
  writeFileSync(configFile, yaml());
  return { lab, dir, certFile, ports: { dns, dot, doh, metrics }, socket, configFile, yaml };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (s === undefined) return;
  await s.lab.close();
  rmSync(s.dir, { recursive: true, force: true });
  rmSync(s.lab.dir, { recursive: true, force: true });
}

async function dig(port: number, name: string, extra: string[] = []): Promise<string> {
  const args = ['@127.0.0.1', '-p', String(port), '+time=5', '+tries=1', ...extra, name, 'A'];
  const r = await runTool('dig', args);
  assert.equal(r.code, 0, describeRun('dig', args, r));
  return r.stdout;
}

describe('sealdns serve, operated', { timeout: 180_000 }, () => {
  let s: Setup;
  let serve: Cli | undefined;

  before(async () => {
    s = await setUp('sealdns-operate-');
    serve = spawnCli(['serve', '--config', s.configFile]);
    await waitFor(serve, /serving on udp .* dot 127\.0\.0\.1:\d+, doh 127\.0\.0\.1:\d+\n/);
    await waitFor(serve, /"msg":"control socket"/);
  });

  after(async () => {
    await stop(serve).catch(() => {});
    await tearDown(s);
  });

  const control = (...args: string[]) => runCli(['control', '--socket', s.socket, ...args]);

  test('kdig +tls and kdig +https get validated lab answers', { ...T, skip: toolSkip('kdig') }, async () => {
    const tlsArgs = [`+tls-ca=${s.certFile}`, '+tls-hostname=localhost', '+timeout=5', '+retry=0'];
    for (const [how, port] of [
      ['+tls', s.ports.dot],
      ['+https', s.ports.doh],
    ] as const) {
      const args = ['@127.0.0.1', '-p', String(port), how, ...tlsArgs, 'www.dot.test', 'A'];
      const r = await runTool('kdig', args);
      const why = describeRun('kdig', args, r);
      assert.equal(r.code, 0, why);
      assert.match(r.stdout, /status: NOERROR/, why);
      assert.match(r.stdout, /flags: qr rd ra ad;/i, why);
      assert.match(r.stdout, /www\.dot\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.31/, why);
      assert.match(r.stdout, /Received 468 B/, `${why}: padded`);
    }
  });

  test('curl --http1.1 gets an answer from /dns-query', { ...T, skip: toolSkip('curl') }, async () => {
    const q = Buffer.from(encodeMessage(makeQuery(Name.fromText('www.nsec3.test.'), RRType.A, { id: 1, rd: true })));
    const args = [
      '-sS',
      '--http1.1',
      '--cacert',
      s.certFile,
      '--resolve',
      `localhost:${s.ports.doh}:127.0.0.1`,
      '-o',
      join(s.dir, 'reply.bin'),
      '-w',
      '%{http_version} %{http_code}',
      `https://localhost:${s.ports.doh}/dns-query?dns=${q.toString('base64url')}`,
    ];
    const r = await runTool('curl', args);
    assert.equal(r.stdout, '1.1 200', describeRun('curl', args, r));
  });

  test('the query log has a line per request with its privacy hops', T, async () => {
    await dig(s.ports.dns, 'www.doh.test');
    await waitFor(serve!, /"msg":"query".*"qname":"www\.doh\.test\."|"qname":"www\.doh\.test\.".*"msg":"query"/);
    const line = serve!
      .output()
      .split('\n')
      .find((l) => l.includes('"qname":"www.doh.test."') && l.includes('"transport":"udp"'));
    assert.ok(line, serve!.output());
    const entry = JSON.parse(line);
    assert.equal(entry.client, '127.0.0.1');
    assert.equal(entry.rcode, 'NOERROR');
    assert.ok(entry.encryptedHops >= 1, line);
    assert.equal(typeof entry.durationMs, 'number');
  });

  test('curl of the metrics endpoint shows encrypted upstream counters', { ...T, skip: toolSkip('curl') }, async () => {
    const text = await scrape(s.ports.metrics);
    assert.ok(sample(text, 'sealdns_upstream_encrypted_queries_total', { protocol: 'dot' }) > 0, text);
    assert.ok(sample(text, 'sealdns_upstream_encrypted_queries_total', { protocol: 'doh' }) > 0, text);
    assert.ok(sample(text, 'sealdns_tls_handshakes_total') > 0, text);
    assert.ok(sample(text, 'sealdns_client_queries_total', { transport: 'dot' }) > 0, text);
    assert.ok(sample(text, 'sealdns_client_queries_total', { transport: 'doh' }) > 0, text);
  });

  test('sealdns control stats and servers', T, async () => {
    const stats = await control('stats');
    assert.equal(stats.code, 0, stats.output);
    assert.match(stats.output, /^queries\.total: \d+$/m, stats.output);
    assert.match(stats.output, /^listeners: udp 127\.0\.0\.1:\d+, tcp .*, dot .*, doh /m, stats.output);
    const json = await control('stats', '--json');
    assert.ok(JSON.parse(json.output).queries.total >= 3, json.output);

    const servers = await control('servers');
    assert.equal(servers.code, 0, servers.output);
    assert.match(servers.output, /^SERVER\s+NAME\s+SIGNAL\s+DECISION\s+DOT\s+DOH/, servers.output);
    assert.match(servers.output, /ns1\.dot\.test\.\s+strict dot:\d+ dane\s+strict\s+ok/, servers.output);
    assert.match(
      servers.output,
      /ns1\.doh\.test\.\s+strict doh:\d+ dane \/dns-query\{\?dns\}\s+strict/,
      servers.output,
    );
    const list = JSON.parse((await control('servers', '--json')).output) as {
      names: string[];
      signal?: { mode: string };
      probe: { dot?: { status: string } };
    }[];
    const dot = list.find((x) => x.names.includes('ns1.dot.test.'));
    assert.equal(dot?.signal?.mode, 'strict');
    assert.equal(dot?.probe.dot?.status, 'ok');
  });

  test('sealdns control flush NAME empties it from the caches', T, async () => {
    await dig(s.ports.dns, 'www.clear.test');
    const before = JSON.parse((await control('stats', '--json')).output);
    const r = await control('flush', 'www.clear.test');
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, 'flushed www.clear.test.\n');
    await dig(s.ports.dns, 'www.clear.test');
    const after = JSON.parse((await control('stats', '--json')).output);
    assert.equal(after.caches.packet.hits, before.caches.packet.hits, 'not answered from the packet cache');
    const bad = await control('flush', 'bad..name');
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /not a domain name/);
  });

  test('reload applies a new configuration; a broken one is reported and the old one keeps running', T, async () => {
    writeFileSync(s.configFile, s.yaml('acl: [ 10.0.0.0/8 ]'));
    const ok = await control('reload');
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /reloaded: acl/, ok.output);
    assert.match(await dig(s.ports.dns, 'www.clear.test'), /status: REFUSED/);

    writeFileSync(s.configFile, `${s.yaml('acl: [ 127.0.0.0/8 ]')}\nlisten: [ oops`);
    const broken = await control('reload');
    assert.equal(broken.code, 1, broken.output);
    assert.match(broken.output, /sealdns\.yaml/, broken.output);
    assert.match(await dig(s.ports.dns, 'www.clear.test'), /status: REFUSED/, 'the old configuration still runs');

    writeFileSync(
      s.configFile,
      s.yaml('tls: { cert: missing.pem, key: server.key }').replace(/^tls: \{ cert: server.pem.*\n/m, ''),
    );
    const missing = await control('reload');
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /tls\.cert: cannot read/, missing.output);

    writeFileSync(s.configFile, s.yaml());
    const back = await control('reload');
    assert.equal(back.code, 0, back.output);
    assert.match(await dig(s.ports.dns, 'www.clear.test'), /status: NOERROR/);
  });

  test('SIGTERM stops it with exit code 0 and removes nothing but its socket', T, async () => {
    const { code, signal } = await stop(serve);
    assert.equal(signal, null, serve!.output());
    assert.equal(code, 0, serve!.output());
    const r = await control('stats');
    assert.equal(r.code, 1);
    assert.match(r.output, /no sealdns control socket/);
  });
});

describe('sealdns serve --workers 2', { timeout: 180_000 }, () => {
  let s: Setup;
  let serve: Cli | undefined;

  before(async () => {
    s = await setUp('sealdns-workers-');
    serve = spawnCli(['serve', '--config', s.configFile, '--workers', '2', '--log-level', 'warn']);
    await waitFor(serve, /serving on udp .* \(2 workers\)\n/, 60_000);
  });

  after(async () => {
    await stop(serve).catch(() => {});
    await tearDown(s);
  });

  const control = (...args: string[]) => runCli(['control', '--socket', s.socket, ...args]);

  test('queries are answered and the metrics endpoint reports the sum of the workers', {
    ...T,
    skip: toolSkip('dig', 'curl'),
  }, async () => {
    const names = ['www.clear.test', 'www.dot.test', 'www.doh.test', 'alias.clear.test', 'www.nsec3.test'];
    let sent = 0;
    for (let i = 0; i < 4; i++)
      for (const name of names) {
        const out = await dig(s.ports.dns, name, i % 2 === 0 ? [] : ['+tcp']);
        assert.match(out, /status: NOERROR/, out);
        sent++;
      }
    const stats = JSON.parse((await control('stats', '--json')).output);
    assert.equal(stats.workers, 2);
    assert.equal(stats.perWorker.length, 2);
    const perWorker = stats.perWorker.map((w: { queries: { total: number } }) => w.queries.total);
    assert.equal(stats.total.queries.total, perWorker[0] + perWorker[1]);
    assert.equal(stats.total.queries.total, sent);
    const text = await scrape(s.ports.metrics);
    assert.equal(sample(text, 'sealdns_client_queries_total'), sent, text);
    assert.equal(sample(text, 'sealdns_client_queries_total', { transport: 'udp' }), sent / 2);
    assert.ok(sample(text, 'sealdns_upstream_encrypted_queries_total') > 0, text);
  });

  test('a worker that dies is replaced', T, async () => {
    const before = JSON.parse((await control('stats', '--json')).output);
    const victim = before.perWorker[0].pid as number;
    process.kill(victim, 'SIGKILL');
    let pids: number[] = [];
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = JSON.parse((await control('stats', '--json')).output);
      pids = now.perWorker.map((w: { pid?: number }) => w.pid).filter((p: number | undefined) => p !== undefined);
      if (pids.length === 2 && !pids.includes(victim)) break;
    }
    assert.equal(pids.length, 2, serve!.output());
    assert.ok(!pids.includes(victim), serve!.output());
    assert.match(await dig(s.ports.dns, 'www.clear.test'), /status: NOERROR/);
  });

  test('control servers, flush and reload reach every worker', T, async () => {
    const servers = await control('servers');
    assert.equal(servers.code, 0, servers.output);
    assert.match(servers.output, /^worker 1:/m);
    assert.match(servers.output, /^worker 2:/m);
    const flush = await control('flush', 'www.clear.test');
    assert.equal(flush.output, 'flushed www.clear.test. in 2 workers\n');
    writeFileSync(s.configFile, s.yaml('acl: [ 10.0.0.0/8 ]'));
    const r = await control('reload');
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /acl/);
    for (let i = 0; i < 4; i++) assert.match(await dig(s.ports.dns, 'www.clear.test'), /status: REFUSED/);
  });

  test('SIGTERM stops the primary and its workers with exit code 0', T, async () => {
    const { code, signal } = await stop(serve);
    assert.equal(signal, null, serve!.output());
    assert.equal(code, 0, serve!.output());
  });
});
