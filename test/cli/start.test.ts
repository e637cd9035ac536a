// `sealdns start` (what `npm start` runs): the lab on its real ports plus the resolver for it,
// printing how to query it, until SIGTERM. Needs the privileged ports 53, 853 and 443.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/peers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROOT = process.getuid?.() === 0 ? false : 'the lab binds ports 53, 853 and 443: run as root';

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sealdns start', { skip: ROOT, timeout: 90_000 }, () => {
  let start: ReturnType<typeof run> | undefined;

  after(() => {
    if (start && start.child.exitCode === null && start.child.signalCode === null) start.child.kill('SIGKILL');
  });

  test('runs the lab and a resolver for it, prints how to query it, stops on SIGTERM', async () => {
    const port = await freePort();
    start = run(['start', '--listen', `127.0.0.1:${port}`]);
    const s = start;
    let exited = false;
    void s.exited.then(() => {
      exited = true;
    });
    await until('the banner', () => exited || /Ctrl-C/.test(s.output()), 45_000);
    assert.equal(exited, false, s.output());
    const out = s.output();
    assert.match(out, new RegExp(`resolver serving on udp 127\\.0\\.0\\.1:${port}, tcp 127\\.0\\.0\\.1:${port}`));
    assert.match(out, new RegExp(`sealdns query www\\.clear\\.test A --server 127\\.0\\.0\\.1:${port}`));
    assert.match(out, new RegExp(`dig @127\\.0\\.0\\.1 -p ${port} www\\.dot\\.test`));

    const q = run(['query', 'www.dot.test', 'A', '--server', `127.0.0.1:${port}`]);
    const qDone = await Promise.race([q.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (qDone === 'timeout') q.child.kill('SIGKILL');
    assert.equal(qDone, 0, q.output());
    assert.match(q.output(), /www\.dot\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.31/, q.output());

    s.child.kill('SIGTERM');
    const code = await Promise.race([s.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    assert.equal(code, 0, s.output());
  });
});
