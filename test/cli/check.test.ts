// `sealdns check` against the embedded lab (high ports, no root needed): the right verdict for every
// lab nameserver — strict (ns1.dot.test DoT, ns1.doh.test DoH), opportunistic, broken TLSA, closed
// 853, TLS 1.2 only (ns1.tls12.test), unsigned signal, no signal — the exit code, and --json from the
// command line.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { LAB_SERVERS, LAB_ZONES, type LabServer } from '../../src/authority/lab/topology.js';
import { type CheckFlags, runCheck } from '../../src/cli/check.js';
import type { CheckReport } from '../../src/cli/checker.js';
import type { Verdict } from '../../src/policy/check.js';
import { freePorts } from '../helpers/peers.js';

/** The verdicts the issue names, by nameserver. */
const NAMED: Record<string, Verdict> = {
  'ns1.dot.test': 'ok-strict',
  'ns1.doh.test': 'ok-strict',
  'ns1.opportunistic.test': 'ok-opportunistic',
  'ns1.badtlsa.test': 'broken-tlsa',
  'ns1.closed853.test': 'closed-port',
  'ns1.tls12.test': 'tls12-only',
  'ns1.unsigned.test': 'unsigned-signal',
  'ns1.clear.test': 'no-signal',
};

/** What the topology implies for any lab nameserver (so servers added later are covered too). */
function expected(s: LabServer): Verdict | 'zone-error' {
  const signing = LAB_ZONES.find((z) => z.origin === s.zones[0])?.signing;
  if (signing === 'expired') return 'zone-error';
  if (s.tls12Only) return 'tls12-only';
  const sig = s.signal;
  if (sig.kind === 'none') return 'no-signal';
  if (sig.kind === 'bad-tlsa') return 'broken-tlsa';
  const listening = sig.protocols.every((p) => (p === 'dot' ? s.dot : s.doh));
  if (!listening) return 'closed-port';
  if (signing === 'unsigned') return 'unsigned-signal';
  return sig.kind === 'strict' ? 'ok-strict' : 'ok-opportunistic';
}

describe('sealdns check against the lab', { timeout: 180_000 }, () => {
  let lab: Lab;
  let flags: CheckFlags;
  const reports = new Map<string, CheckReport>();

  before(async () => {
    const [dns, dot, doh] = await freePorts(3);
    lab = await startLab({ ports: { dns, dot, doh } });
    flags = {
      rootHints: lab.rootHintsFile,
      trustAnchor: lab.trustAnchorFile,
      upstreamPort: String(dns),
      ipv6: false,
      timeout: '3000',
    };
  });

  after(async () => {
    await lab?.close();
    if (lab) await rm(lab.dir, { recursive: true, force: true });
  });

  async function check(zone: string): Promise<CheckReport> {
    let r = reports.get(zone);
    if (r === undefined) {
      r = (await runCheck(zone, flags)).report;
      reports.set(zone, r);
    }
    return r;
  }

  const nsOf = (r: CheckReport, name: string) => {
    const ns = r.nameservers.find((n) => n.name === `${name}.`);
    assert.ok(ns, `${name} in the report of ${r.zone}: ${JSON.stringify(r.problems)}`);
    return ns;
  };

  test('the verdicts the issue names', async () => {
    for (const [name, verdict] of Object.entries(NAMED)) {
      const s = LAB_SERVERS.find((x) => x.name === name)!;
      const ns = nsOf(await check(s.zones[0]), name);
      assert.equal(ns.verdict, verdict, `${name}: ${ns.problems.join('; ')}`);
    }
  });

  test('every lab nameserver gets the verdict its topology implies', async () => {
    for (const s of LAB_SERVERS) {
      if (s.zones.length === 0) continue; // lame: serves nothing
      const want = expected(s);
      const r = await check(s.zones[0]);
      if (want === 'zone-error') {
        // an expired zone: the report is an error, and whatever nameservers it lists are bogus
        assert.equal(r.severity, 'error', s.name);
        for (const ns of r.nameservers) assert.equal(ns.verdict, 'bogus', `${s.name}: ${ns.name}`);
        continue;
      }
      const ns = nsOf(r, s.name);
      assert.equal(ns.verdict, want, `${s.name} (${s.zones[0]}): ${ns.problems.join('; ')}`);
    }
  });

  test('strict DoT: secure signals, TLS 1.3, DANE match, the same SOA as Do53, in-bailiwick loop broken by DNSSEC', async () => {
    const ns = nsOf(await check('dot.test'), 'ns1.dot.test');
    assert.equal(ns.severity, 'ok');
    assert.equal(ns.svcb.security, 'secure');
    assert.equal(ns.tlsa[0].security, 'secure');
    assert.equal(ns.tlsa[0].records[0], `3 1 1 ${lab.server('ns1.dot.test').spkiSha256}`);
    assert.equal(ns.signal.mode, 'strict');
    assert.equal(ns.inBailiwick, true);
    assert.ok(ns.notes.some((n) => /here it does/.test(n)));
    const [e] = ns.endpoints;
    assert.deepEqual(
      [e.protocol, e.port, e.tls, e.dane, e.agrees],
      ['dot', lab.server('ns1.dot.test').ports.dot, 'tls13', 'match', true],
    );
    assert.equal(e.encrypted?.aa, true);
    assert.deepEqual(e.encrypted?.soa, e.do53?.soa);
  });

  test('strict DoH: the h2 endpoint with its dohpath', async () => {
    const ns = nsOf(await check('doh.test'), 'ns1.doh.test');
    const [e] = ns.endpoints;
    assert.deepEqual(
      [e.protocol, e.dohPath, e.tls, e.dane, e.agrees],
      ['doh', '/dns-query{?dns}', 'tls13', 'match', true],
    );
  });

  test('exit codes: errors fail, warnings and no-signal pass', async () => {
    for (const [zone, code] of [
      ['dot.test', 0],
      ['opportunistic.test', 0],
      ['unsigned.test', 0],
      ['clear.test', 0],
      ['badtlsa.test', 1],
      ['closed853.test', 1],
      ['tls12.test', 1],
    ] as const) {
      const r = await runCheck(zone, flags);
      assert.equal(r.exitCode, code, `${zone}: ${r.text}`);
    }
    const tls12 = await runCheck('tls12.test', flags);
    assert.match(tls12.text, /ns1\.tls12\.test\. {2}verdict: tls12-only \(ERROR\)/);
    assert.match(tls12.text, /TLS 1\.3 refused, only TLSv1\.2/);
    assert.match(tls12.text, /FAIL$/m);
  });

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => (stdout += b));
      child.stderr.on('data', (b) => (stderr += b));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('the command line: --json for machines, exit 1 on errors, 2 on usage errors', async () => {
    const common = [
      '--root-hints',
      lab.rootHintsFile,
      '--trust-anchor',
      lab.trustAnchorFile,
      '--upstream-port',
      flags.upstreamPort!,
      '--no-ipv6',
    ];
    const ok = await cli(['check', 'dot.test', '--json', ...common]);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as CheckReport;
    assert.equal(report.zone, 'dot.test.');
    assert.equal(report.severity, 'ok');
    assert.equal(report.nameservers[0].verdict, 'ok-strict');
    const bad = await cli(['check', 'closed853.test', ...common]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stdout, /verdict: closed-port/);
    const usage = await cli(['check', 'dot.test', '--upstream-port', 'x']);
    assert.equal(usage.code, 2);
  });
});
