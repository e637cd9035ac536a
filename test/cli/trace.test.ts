// `sealdns query NAME TYPE --trace`: resolves in the CLI process (no server) against the embedded lab and prints the
// answer and the privacy report, one upstream hop per row.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { formatTable } from '../../src/cli/trace.js';
import { parseDig } from '../helpers/lab.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = promisify(execFile);

async function sealdns(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** The rows of the hop table, split on runs of two or more spaces. */
function hopRows(out: string): Record<string, string>[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => /^\s*#\s+server\s+address/.test(l));
  assert.ok(start >= 0, out);
  const header = lines[start].trim().split(/\s{2,}/);
  const rows: Record<string, string>[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!/^\s*\d+\s/.test(l)) break;
    const cells = l.trim().split(/\s{2,}/);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  }
  return rows;
}

describe('sealdns query --trace', { timeout: 120_000 }, () => {
  let lab: Lab;
  let port: number;

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
  });

  after(async () => {
    if (lab) {
      await lab.close();
      await rm(lab.dir, { recursive: true, force: true });
    }
  });

  const labArgs = () => [
    '--trace',
    '--root-hints',
    lab.rootHintsFile,
    '--trust-anchor',
    lab.trustAnchorFile,
    '--upstream-port',
    String(port),
    '--dot-probe-port',
    String(port + 1),
  ];

  it('prints the answer and one row per hop: the strict server over DoT with DANE', async () => {
    const r = await sealdns('query', 'www.dot.test', 'A', ...labArgs(), '--bootstrap', 'encrypt-first');
    assert.equal(r.code, 0, r.stderr);
    const msg = parseDig(r.stdout);
    assert.equal(msg.status, 'NOERROR');
    assert.ok(msg.flags.includes('ad') || /DNSSEC validation on/.test(r.stdout));
    assert.deepEqual(
      msg.answer.filter((x) => x.type === 'A').map((x) => x.data),
      ['192.0.2.31'],
    );
    assert.match(r.stdout, /^;; PRIVACY: (some encrypted|all encrypted)/m);
    assert.match(r.stdout, /^; EDE: 65430 \(privacy: \d+\/\d+ upstream hops encrypted/m);
    const rows = hopRows(r.stdout);
    assert.ok(rows.length > 3);
    const ip = lab.server('ns1.dot.test').ip;
    const last = rows.find((x) => x.query === 'www.dot.test./A' && x.outcome === 'rcode 0');
    assert.ok(last, r.stdout);
    assert.equal(last.server, 'ns1.dot.test');
    assert.equal(last.address, ip);
    assert.equal(last.zone, 'dot.test.');
    assert.equal(last.transport, `dot/${port + 1}`);
    assert.equal(last.encrypted, 'yes');
    assert.equal(last.authenticated, 'yes');
    assert.equal(last.why, 'strict signal (DANE)');
    assert.match(last.rtt, /^\d+\.\d ms$/);
    // the root was asked too, and the table says how
    assert.ok(rows.some((x) => x.zone === '.' && /^(udp|dot)\//.test(x.transport)));
    assert.match(r.stdout, new RegExp(`^;; UPSTREAM HOPS \\(${rows.length}\\):`, 'm'));
  });

  it('a strict server that cannot be authenticated: SERVFAIL, EDE 22 naming it, and no cleartext for the name', async () => {
    const r = await sealdns('query', 'www.badtlsa.test', 'A', ...labArgs());
    assert.equal(r.code, 0, r.stderr);
    const msg = parseDig(r.stdout);
    assert.equal(msg.status, 'SERVFAIL');
    assert.ok(msg.ede.includes(22), r.stdout);
    assert.match(r.stdout, /EDE: 22 \(.*ns1\.badtlsa\.test/);
    const rows = hopRows(r.stdout);
    const toBad = rows.filter((x) => x.server === 'ns1.badtlsa.test');
    assert.ok(
      toBad.some((x) => /tls-auth-failed/.test(x.outcome)),
      r.stdout,
    );
    assert.ok(!rows.some((x) => x.query === 'www.badtlsa.test./A' && x.encrypted === 'no'));
  });

  it('--server stays required without --trace; bad --bootstrap is a usage error', async () => {
    const none = await sealdns('query', 'www.dot.test', 'A');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--server/);
    const bad = await sealdns('query', 'www.dot.test', 'A', ...labArgs(), '--bootstrap', 'sometimes');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--bootstrap: must be one of cleartext-first, encrypt-first/);
  });

  it('formats columns to their widest cell', () => {
    assert.equal(
      formatTable(
        ['#', 'server', 'rtt'],
        [
          ['1', 'a', '1.0 ms'],
          ['10', 'bbb', '-'],
        ],
      ),
      [' #  server     rtt', ' 1  a       1.0 ms', '10  bbb          -'].join('\n'),
    );
  });
});
