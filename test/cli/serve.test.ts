// `sealdns serve` as a user runs it: a child process resolving the lab (started here on high
// ports), queried with kdig, dig and our own `sealdns query`, stopped with SIGTERM (exit 0).
// Bad flags and bad configuration exit 2 with a message naming the culprit.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { bounded, type Cli, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { describeRun, freePort, freePorts, runTool, tempDir, toolSkip } from '../helpers/peers.js';

const T = { timeout: 20_000 };

describe('sealdns serve', { timeout: 120_000 }, () => {
  let lab: Lab;
  let dnsPort: number;
  let port: number;
  let serve: Cli | undefined;
  const dir = tempDir('sealdns-serve-test-');

  before(async () => {
    const [dns, dot, doh] = await freePorts(3);
    dnsPort = dns;
    lab = await startLab({ ports: { dns, dot, doh } });
    port = await freePort();
    serve = spawnCli([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--root-hints',
      lab.rootHintsFile,
      '--trust-anchor',
      lab.trustAnchorFile,
      '--upstream-port',
      String(dnsPort),
      '--log-level',
      'warn',
    ]);
    await waitFor(serve, /serving on udp 127\.0\.0\.1:\d+, tcp 127\.0\.0\.1:\d+/);
  });

  after(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints where it serves', () => {
    assert.match(serve!.output(), new RegExp(`serving on udp 127\\.0\\.0\\.1:${port}, tcp 127\\.0\\.0\\.1:${port}`));
  });

  test('kdig over UDP gets the lab answer with RA', { ...T, skip: toolSkip('kdig') }, async () => {
    const args = [`@127.0.0.1`, '-p', String(port), 'www.clear.test', 'A', '+timeout=5', '+retry=0'];
    const r = await runTool('kdig', args);
    assert.equal(r.code, 0, describeRun('kdig', args, r));
    assert.match(r.stdout, /status: NOERROR/, describeRun('kdig', args, r));
    // validated with the lab's trust anchor: kdig sets AD in queries, so AD comes back too
    assert.match(r.stdout, /flags: qr rd ra ad;/i, describeRun('kdig', args, r));
    assert.match(r.stdout, /www\.clear\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/, describeRun('kdig', args, r));
  });

  test('dig over TCP gets the lab answer', { ...T, skip: toolSkip('dig') }, async () => {
    const args = [`@127.0.0.1`, '-p', String(port), '+tcp', '+time=5', '+tries=1', 'www.dot.test', 'A'];
    const r = await runTool('dig', args);
    assert.equal(r.code, 0, describeRun('dig', args, r));
    assert.match(r.stdout, /status: NOERROR/, describeRun('dig', args, r));
    assert.match(r.stdout, /www\.dot\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.31/, describeRun('dig', args, r));
  });

  test('sealdns query gets the lab answer (UDP and TCP)', T, async () => {
    for (const extra of [[], ['--tcp']]) {
      const r = await runCli(['query', 'alias.clear.test', 'A', '--server', `127.0.0.1:${port}`, ...extra]);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /status: NOERROR/, r.output);
      assert.match(r.output, /alias\.clear\.test\.\s+\d+\s+IN\s+CNAME\s+www\.clear\.test\./, r.output);
      assert.match(r.output, /www\.clear\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/, r.output);
    }
  });

  test('SIGTERM stops it with exit code 0', T, async () => {
    const cli = serve!;
    cli.child.kill('SIGTERM');
    const { code, signal } = await bounded(cli.exited, 10_000, () => `serve did not exit:\n${cli.output()}`);
    assert.equal(signal, null, cli.output());
    assert.equal(code, 0, cli.output());
  });

  test('bad flags exit 2 with a message naming the flag', T, async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--listen', 'nowhere'], /--listen\[0\]: "nowhere" is not an IP address/],
      [
        ['serve', '--listen', '127.0.0.1:0', '--qname-minimisation', 'sometimes'],
        /--qname-minimisation: must be one of/,
      ],
      [['serve', '--listen', '127.0.0.1:0', '--upstream-port', '70000'], /--upstream-port: must be an integer/],
      [['serve', '--no-such-flag'], /unknown option '--no-such-flag'/],
      [['serve', '--listen', '127.0.0.1:0', '--root-hints', join(dir, 'missing.hints')], /root-hints: cannot read/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}:\n${r.output}`);
      assert.match(r.output, re, `${args.join(' ')}:\n${r.output}`);
    }
  });

  test('a bad configuration file exits 2 naming the key path', T, async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen:\n  - { address: 127.0.0.1, port: 5300, proto: udp }\n');
    const r = await runCli(['serve', '--config', file]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /bad\.yaml: listen\[0\]\.proto: unknown key/, r.output);

    const anchor = join(dir, 'anchor.key');
    writeFileSync(anchor, '. 3600 IN NS a.root-servers.test.\n');
    const a = await runCli(['serve', '--listen', '127.0.0.1:0', '--trust-anchor', anchor]);
    assert.equal(a.code, 2, a.output);
    assert.match(a.output, /trust-anchor: .*DS or DNSKEY records only/, a.output);
  });
});
