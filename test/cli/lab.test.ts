// `sealdns lab` as a user runs it: a child process that prints the lab's root hints, trust
// anchor, servers and example commands, serves until a signal, then exits 0. One lab server is
// queried with `sealdns query` (our own stub client) and, when kdig is installed, with the
// DoT/DoH example commands the lab printed.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dataOf, lowPortSkip, parseDig } from '../helpers/lab.js';
import { freePorts, runTool, tempDir, toolSkip } from '../helpers/peers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const T = { timeout: 30_000 };
const LOW_PORTS = await lowPortSkip();

interface Running {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Waits until the output matches `re`; rejects when the process exits first or after `timeoutMs`. */
async function waitForOutput(r: Running, re: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void r.exited.then(() => {
    gone = true;
  });
  while (!re.test(r.output())) {
    if (gone) throw new Error(`sealdns lab exited before printing ${re}:\n${r.output()}`);
    if (Date.now() > deadline)
      throw new Error(`sealdns lab did not print ${re} within ${timeoutMs} ms:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 25));
  }
  return r.output();
}

/** Waits (bounded) for the process to exit. */
async function waitExit(r: Running, timeoutMs = 10_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`sealdns lab did not exit within ${timeoutMs} ms:\n${r.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Signals the process and waits (bounded) for it to exit. */
function stopCli(r: Running, signal: NodeJS.Signals) {
  r.child.kill(signal);
  return waitExit(r);
}

function killIfRunning(r: Running | undefined): void {
  if (r && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
}

/** Runs `sealdns query ...` to completion. */
function sealdnsQuery(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'query', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function serverIp(output: string, name: string): string {
  const m = new RegExp(`^\\s+${name.replaceAll('.', '\\.')}\\s+(127\\.\\d+\\.\\d+\\.\\d+)\\s`, 'm').exec(output);
  assert.ok(m, `${name} is listed with its IP:\n${output}`);
  return m[1];
}

describe('sealdns lab (default ports)', { skip: LOW_PORTS }, () => {
  let dir: string;
  let lab: Running;
  let output: string;

  before(async () => {
    dir = tempDir('sealdns-cli-lab-');
    lab = startCli(['lab', '--dir', dir]);
    output = await waitForOutput(lab, /Lab running/);
  });
  after(() => {
    killIfRunning(lab);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('prints root hints, trust anchor, servers, files and examples', () => {
    assert.match(output, /^Root hints \(.*root\.hints\):\n\s+\.\s+\d+\s+IN\s+NS\s+a\.root-servers\.test\./m);
    assert.match(output, /^Trust anchor \(.*root\.key\):\n\s+\.\s+\d+\s+IN\s+DS\s+\d+ 13 2 [0-9A-F]{64}$/m);
    const net = /on 127\.(\d+)\.0\.0\/16/.exec(output)?.[1];
    assert.ok(net, output);
    assert.equal(serverIp(output, 'a.root-servers.test'), `127.${net}.0.1`);
    assert.match(output, /^\s+ns1\.dot\.test\s+\S+\s+udp\/53 tcp\/53 dot\/853\s+strict \(dot\)/m);
    assert.match(output, /^\s+ns1\.doh\.test\s+\S+\s+udp\/53 tcp\/53 doh\/443\s+strict \(doh\)/m);
    assert.match(output, /^\s+ns1\.closed853\.test\s+\S+\s+udp\/53 tcp\/53\s+opportunistic \(dot\)/m);
    for (const f of ['root.hints', 'root.key', 'root.zone', 'clear.test.zone', 'ns1.dot.test.pem']) {
      assert.match(output, new RegExp(`^\\s+${f.replaceAll('.', '\\.')}$`, 'm'), f);
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.equal(readFileSync(join(dir, 'root.key'), 'utf8').trim(), /^Trust anchor.*\n\s+(.*)$/m.exec(output)?.[1]);
    assert.ok(
      output.includes(`sealdns query www.clear.test A --server ${serverIp(output, 'ns1.clear.test')}\n`),
      output,
    );
    assert.match(
      output,
      /kdig @\S+ -p 853 \+tls \+tls-ca=\S+ns1\.dot\.test\.pem \+tls-hostname=ns1\.dot\.test www\.dot\.test A/,
    );
    assert.match(
      output,
      /kdig @\S+ -p 443 \+https \+tls-ca=\S+ns1\.doh\.test\.pem \+tls-hostname=ns1\.doh\.test www\.doh\.test A/,
    );
  });

  test('sealdns query gets the authoritative answer from ns1.clear.test', T, async () => {
    const ip = serverIp(output, 'ns1.clear.test');
    for (const extra of [[], ['--tcp']]) {
      const r = await sealdnsQuery(['www.clear.test', 'A', '--server', ip, ...extra]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const m = parseDig(r.stdout);
      assert.equal(m.status, 'NOERROR', r.stdout);
      assert.ok(m.flags.includes('aa'), r.stdout);
      assert.deepEqual(dataOf(m.answer, 'A'), ['192.0.2.1']);
      assert.match(
        r.stdout,
        new RegExp(`SERVER: ${ip.replaceAll('.', '\\.')}#53\\(${extra.length ? 'TCP' : 'UDP'}\\)`),
      );
    }
    const nx = await sealdnsQuery(['nothing.clear.test', 'A', '--server', ip]);
    assert.equal(parseDig(nx.stdout).status, 'NXDOMAIN', nx.stdout);
  });

  test('the printed kdig DoT and DoH examples work', { ...T, skip: toolSkip('kdig') }, async () => {
    for (const [re, data] of [
      [/kdig (@\S+ -p 853 \+tls .*www\.dot\.test A)$/m, '192.0.2.31'],
      [/kdig (@\S+ -p 443 \+https .*www\.doh\.test A)$/m, '192.0.2.41'],
    ] as const) {
      const args = re.exec(output)![1].split(' ');
      const r = await runTool('kdig', ['+timeout=3', '+retry=0', ...args], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const m = parseDig(r.stdout);
      assert.ok(m.flags.includes('aa'), r.stdout);
      assert.deepEqual(dataOf(m.answer, 'A'), [data]);
    }
  });

  test('SIGTERM closes the lab and exits 0, keeping the --dir files', T, async () => {
    const { code, signal } = await stopCli(lab, 'SIGTERM');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, lab.output());
    assert.match(lab.output(), /SIGTERM: stopping the lab\.\.\.\nLab stopped\.\n$/);
    assert.ok(existsSync(join(dir, 'root.hints')), '--dir is kept');
    // Its servers are gone.
    const r = await sealdnsQuery([
      'www.clear.test',
      'A',
      '--server',
      serverIp(output, 'ns1.clear.test'),
      '--tcp',
      '--timeout',
      '500',
    ]);
    assert.notEqual(r.code, 0, r.stdout);
  });
});

describe('sealdns lab (options)', () => {
  let lab: Running | undefined;
  after(() => killIfRunning(lab));

  test('--net and high ports; SIGINT exits 0 and removes the temporary directory', T, async () => {
    const [dns, dot, doh] = await freePorts(3);
    // Nets below the range startLab picks at random (100..249), so parallel tests do not collide.
    const net = 20 + Math.floor(Math.random() * 70);
    lab = startCli([
      'lab',
      '--net',
      String(net),
      '--dns-port',
      String(dns),
      '--dot-port',
      String(dot),
      '--doh-port',
      String(doh),
    ]);
    const output = await waitForOutput(lab, /Lab running/);
    const ip = serverIp(output, 'ns1.clear.test');
    assert.equal(ip, `127.${net}.2.1`);
    assert.match(output, new RegExp(`^\\s+ns1\\.dot\\.test\\s+\\S+\\s+udp/${dns} tcp/${dns} dot/${dot}\\s`, 'm'));
    assert.match(output, new RegExp(`^\\s+ns1\\.doh\\.test\\s+\\S+\\s+udp/${dns} tcp/${dns} doh/${doh}\\s`, 'm'));
    assert.ok(output.includes(`sealdns query www.clear.test A --server ${ip}:${dns}\n`), output);
    const tmp = /^Files written in (\S+) \(temporary/m.exec(output)?.[1];
    assert.ok(tmp && existsSync(join(tmp, 'root.key')), output);

    const r = await sealdnsQuery(['www.dot.test', 'A', '--server', `127.${net}.3.1:${dns}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(dataOf(parseDig(r.stdout).answer, 'A'), ['192.0.2.31']);

    const { code, signal } = await stopCli(lab, 'SIGINT');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, lab.output());
    assert.ok(!existsSync(tmp), 'the temporary directory is removed on exit');
  });

  test('bad options are usage errors (exit 2)', T, async () => {
    for (const args of [
      ['--net', '0'],
      ['--net', 'x'],
      ['--dns-port', '70000'],
      ['--dot-port', '53'],
    ]) {
      const r = startCli(['lab', ...args]);
      const { code } = await waitExit(r).finally(() => killIfRunning(r));
      assert.equal(code, 2, `lab ${args.join(' ')}: ${r.output()}`);
      assert.match(r.output(), /^sealdns: --/);
    }
  });
});
