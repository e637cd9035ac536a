// Resolver benchmark: sealdns against Debian's unbound (1 thread), both resolving from the same
// embedded lab on loopback, measured by Debian's dnsperf over UDP.
//
//   npm run bench:resolver
//   BENCH_SECONDS=5 BENCH_COLD_NAMES=5000 BENCH_PROFILE=1 node dist/scripts/bench-resolver.js
//
// Modes, each on a fresh resolver process:
// - warm: a few hundred names, resolved once (primed), then queried by dnsperf for BENCH_SECONDS;
// - cold: BENCH_COLD_NAMES distinct names under the lab's *.bench.clear.test wildcard, each sent
//   once (`dnsperf -n 1`): every query is a cache miss needing an upstream query (the delegations
//   and keys above are primed first, so only the names are cold). unbound runs with
//   aggressive-nsec off, else it would synthesise every answer from the wildcard's NSEC proof.
// Resolvers: sealdns; unbound validating with the lab's trust anchor; unbound without validation
// (the like-for-like comparison while sealdns does not validate).
// Prints a table (qps, latency, lost, lab queries per client query, resolver CPU time per query)
// and the ratios sealdns/unbound, and writes dist/bench-resolver.json. With BENCH_PROFILE=1,
// sealdns runs under `node --cpu-prof` and the hottest functions of each mode are printed (and
// kept in the JSON). The host's load average is reported: other work on the host moves qps a lot
// (use BENCH_ROUNDS); CPU time per query moves much less.
//
// Environment (defaults in brackets):
//   BENCH_SECONDS [10]          length of the warm-cache run
//   BENCH_ROUNDS [1]            interleaved rounds; the table shows each median run
//   BENCH_WARM_NAMES [300]      names in the warm query file
//   BENCH_COLD_NAMES [20000]    names in the cold query file
//   BENCH_COLD_LIMIT [180]      upper bound (s) of one cold run
//   BENCH_CLIENTS [10]          dnsperf -c
//   BENCH_OUTSTANDING [100]     dnsperf -q (queries in flight)
//   BENCH_MAX_QPS [unlimited]   dnsperf -Q
//   BENCH_SEALDNS [auto]        'serve' (sealdns serve), 'child' (scripts/bench-resolver-server), auto: serve if it exists
//   BENCH_SEALDNS_ARGS ['']     extra arguments for sealdns serve (e.g. '--qname-minimisation off')
//   BENCH_RESOLVERS [sealdns,unbound,unbound-novalidate]  which to run (unbound-novalidate: module-config "iterator")
//   BENCH_PROFILE [0]           profile the sealdns process (node --cpu-prof)
//
// Everything listens on loopback only; every run is bounded in count and time. The lab binds
// port 53 on 127.<net>.x.y (root, or CAP_NET_BIND_SERVICE, is needed: unbound cannot be told
// another port for servers it finds by referral).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, startLab } from '../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS } from '../src/authority/lab/topology.js';
import { freePort, type PeerHandle, probe, runTool, startUnbound, toolSkip } from '../test/helpers/peers.js';

function envInt(name: string, dflt: number, min: number, max: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name}=${v}: expected an integer in ${min}..${max}`);
  return n;
}

const SECONDS = envInt('BENCH_SECONDS', 10, 1, 600);
const ROUNDS = envInt('BENCH_ROUNDS', 1, 1, 20);
const WARM_NAMES = envInt('BENCH_WARM_NAMES', 300, 1, 10_000);
const COLD_NAMES = envInt('BENCH_COLD_NAMES', 20_000, 1, 1_000_000);
const COLD_LIMIT = envInt('BENCH_COLD_LIMIT', 180, 5, 3600);
const CLIENTS = envInt('BENCH_CLIENTS', 10, 1, 1000);
const OUTSTANDING = envInt('BENCH_OUTSTANDING', 100, 1, 10_000);
const MAX_QPS = envInt('BENCH_MAX_QPS', 0, 0, 10_000_000);
const PROFILE = process.env.BENCH_PROFILE === '1';
const RESOLVERS = (process.env.BENCH_RESOLVERS ?? 'sealdns,unbound,unbound-novalidate').split(',').map((s) => s.trim());
const SEALDNS_MODE = process.env.BENCH_SEALDNS ?? 'auto';
const SEALDNS_ARGS = (process.env.BENCH_SEALDNS_ARGS ?? '').split(' ').filter((a) => a !== '');

const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const distDir = resolve(here, '..');
const cliMain = join(distDir, 'src/cli/main.js');
const childServer = join(here, 'bench-resolver-server.js');

// ---------------------------------------------------------------------------------------------
// dnsperf

interface PerfResult {
  sent: number;
  completed: number;
  lost: number;
  rcodes: Record<string, number>;
  runTimeS: number;
  qps: number;
  avgLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  stdDevLatencyMs: number;
}

function parseDnsperf(out: string): PerfResult {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf output lacks ${re}:\n${out}`);
    return Number(m[1]);
  };
  const rcodes: Record<string, number> = {};
  const rc = /Response codes:\s+(.*)/.exec(out);
  if (rc) for (const m of rc[1].matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]] = Number(m[2]);
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(out);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    rcodes,
    runTimeS: num(/Run time \(s\):\s+([\d.]+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: lat ? Number(lat[1]) * 1000 : Number.NaN,
    minLatencyMs: lat ? Number(lat[2]) * 1000 : Number.NaN,
    maxLatencyMs: lat ? Number(lat[3]) * 1000 : Number.NaN,
    stdDevLatencyMs: /Latency StdDev \(s\):\s+([\d.]+)/.test(out)
      ? Number(/Latency StdDev \(s\):\s+([\d.]+)/.exec(out)![1]) * 1000
      : Number.NaN,
  };
}

async function dnsperf(
  port: number,
  file: string,
  opts: { seconds?: number; once?: boolean; clients?: number; outstanding?: number; limitS: number },
): Promise<PerfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-T', '1'];
  args.push('-c', String(opts.clients ?? CLIENTS), '-q', String(opts.outstanding ?? OUTSTANDING), '-t', '5');
  if (opts.once) args.push('-n', '1', '-l', String(opts.limitS));
  else args.push('-l', String(opts.seconds ?? opts.limitS));
  if (MAX_QPS > 0) args.push('-Q', String(MAX_QPS));
  const r = await runTool('dnsperf', args, { timeoutMs: (opts.limitS + 30) * 1000 });
  if (r.code !== 0 || r.timedOut)
    throw new Error(
      `dnsperf ${args.join(' ')} failed (code ${r.code}, timedOut ${r.timedOut}):\n${r.stdout}\n${r.stderr}`,
    );
  return parseDnsperf(r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Resolvers under test

interface Running {
  port: number;
  /** The resolver's process id, for its CPU time. */
  pid: number;
  stop(): Promise<string>;
}

/** CPU seconds (user, system) used so far by a process and all its threads, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number): { user: number; system: number } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux)
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return undefined;
  }
}

interface Contender {
  name: string;
  start(lab: Lab, tag: string): Promise<Running>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.pid !== undefined) c.kill('SIGKILL');
});

function serveAvailable(): boolean {
  const r = spawnSync(process.execPath, [cliMain, 'serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.includes('--listen');
}

async function waitReady(port: number, alive: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline && alive()) {
    try {
      const r = await probe({ address: '127.0.0.1', port, name: 'www.clear.test', qtype: 1, timeoutMs: 2000 });
      if (r.rcode === 0 && r.ancount > 0) return;
      last = new Error(`rcode ${r.rcode}, ${r.ancount} answers`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`resolver on port ${port} not ready: ${String(last)}\n${log()}`);
}

function sealdns(frontEnd: 'serve' | 'child', profileDir: string | undefined): Contender {
  return {
    name: 'sealdns',
    async start(lab, tag) {
      const port = await freePort();
      const listen = `127.0.0.1:${port}`;
      const files = ['--root-hints', lab.rootHintsFile, '--trust-anchor', lab.trustAnchorFile];
      // like unbound at verbosity 0: warnings and errors only
      const script =
        frontEnd === 'serve'
          ? [cliMain, 'serve', '--listen', listen, '--log-level', 'warn', ...SEALDNS_ARGS]
          : [childServer, '--listen', listen];
      const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, tag)] : [];
      const child = spawn(process.execPath, [...prof, ...script, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      const keep = (b: Buffer) => {
        out = (out + b.toString('utf8')).slice(-64 * 1024);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      let exited = false;
      const exit = new Promise<void>((res) =>
        child.once('exit', () => {
          exited = true;
          children.delete(child);
          res();
        }),
      );
      try {
        await waitReady(
          port,
          () => !exited,
          () => out,
        );
      } catch (e) {
        child.kill('SIGKILL');
        throw e;
      }
      return {
        port,
        pid: child.pid ?? -1,
        async stop() {
          if (!exited) {
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exit;
            clearTimeout(t);
          }
          return out;
        },
      };
    },
  };
}

function unbound(validating: boolean): Contender {
  return {
    name: validating ? 'unbound' : 'unbound-novalidate',
    async start(lab) {
      const port = await freePort();
      const h: PeerHandle = await startUnbound({
        port,
        threads: 1,
        rootHints: lab.rootHintsFile,
        ...(validating ? { trustAnchorFile: lab.trustAnchorFile } : {}),
        verbosity: 0,
        // unbound answers the special-use "test." itself (RFC 6761) unless told not to
        localZones: [{ name: 'test.', type: 'nodefault' }],
        // The harness's test defaults are small; these are unbound's own defaults, or larger caches.
        extraConfig: [
          'msg-cache-size: 128m',
          'rrset-cache-size: 256m',
          'key-cache-size: 16m',
          'neg-cache-size: 16m',
          'outgoing-range: 4096',
          'num-queries-per-thread: 1024',
          'val-log-level: 0',
          // RFC 8198 synthesis would answer every cold name from the wildcard's NSEC proof without
          // asking the lab; real cold misses are distinct existing names, so it is turned off.
          'aggressive-nsec: no',
        ].join('\n'),
      });
      await waitReady(
        port,
        () => h.running(),
        () => h.logs(),
      );
      return {
        port,
        pid: h.pid,
        async stop() {
          await h.stop();
          return '';
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface HotSpot {
  function: string;
  where: string;
  selfPct: number;
}

function summariseProfile(dir: string, top = 15): { hot: HotSpot[]; gcPct: number; idlePct: number } | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const self = new Map<string, number>();
  let total = 0;
  let gc = 0;
  let idle = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[] };
    for (const n of p.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const { functionName, url, lineNumber } = n.callFrame;
      if (functionName === '(idle)') idle += hits;
      if (functionName === '(garbage collector)') gc += hits;
      const file = url.replace(/^file:\/\//, '').replace(`${distDir}/`, 'dist/');
      const key = `${functionName || '(anonymous)'}\t${file ? `${file}:${lineNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + hits);
    }
  }
  const busy = total - idle;
  const hot = [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => {
      const [fn, where] = k.split('\t');
      return { function: fn, where, selfPct: (100 * v) / Math.max(1, busy) };
    });
  return { hot, gcPct: (100 * gc) / Math.max(1, busy), idlePct: (100 * idle) / Math.max(1, total) };
}

// ---------------------------------------------------------------------------------------------
// Main

interface Row extends PerfResult {
  resolver: string;
  mode: 'warm' | 'cold';
  round: number;
  names: number;
  /** Queries the lab's servers received during the measured run, per completed client query. */
  upstreamPerQuery: number;
  /** CPU time of the resolver process (all threads) during the run, per completed query (NaN without /proc). */
  cpuUserUsPerQuery: number;
  cpuSystemUsPerQuery: number;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/**
 * The run with the median qps of each (resolver, mode), in first-seen order, with the qps range and the
 * median CPU time per query (user + system) over the rounds.
 */
function medians(rows: Row[]): (Row & { qpsMin: number; qpsMax: number; cpuUsPerQuery: number })[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.resolver}|${r.mode}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g].sort((a, b) => a.qps - b.qps);
    const cpu = g.map((r) => r.cpuUserUsPerQuery + r.cpuSystemUsPerQuery).sort((a, b) => a - b);
    return {
      ...sorted[(sorted.length - 1) >> 1],
      qpsMin: sorted[0].qps,
      qpsMax: sorted[sorted.length - 1].qps,
      cpuUsPerQuery: cpu[(cpu.length - 1) >> 1],
    };
  });
}

async function main(): Promise<number> {
  const skip = toolSkip('dnsperf', 'unbound');
  if (skip) {
    process.stderr.write(`bench:resolver: ${skip}\n`);
    return 1;
  }
  const frontEnd: 'serve' | 'child' =
    SEALDNS_MODE === 'serve' || SEALDNS_MODE === 'child' ? SEALDNS_MODE : serveAvailable() ? 'serve' : 'child';
  const work = mkdtempSync(join(tmpdir(), 'sealdns-bench-'));
  const profileDir = PROFILE ? join(work, 'profiles') : undefined;
  const loadBefore = loadavg()[0];
  if (loadBefore > 0.5)
    process.stderr.write(`warning: load average ${loadBefore.toFixed(2)}: other work on this host skews the figures\n`);

  // The query files. Warm: the lab's names that resolve (NOERROR/NXDOMAIN), then wildcard names.
  // names every contender answers: sealdns's strict policy fails some closed (privacyRcode) where unbound answers
  const labNames = LAB_EXPECTATIONS.filter((e) => e.rcode !== 'SERVFAIL' && e.privacyRcode !== 'SERVFAIL').map(
    (e) => `${e.name} ${e.type}`,
  );
  const warm = [...labNames];
  for (let i = 0; warm.length < WARM_NAMES; i++) warm.push(`w${i}.bench.clear.test A`);
  warm.length = WARM_NAMES;
  const warmFile = join(work, 'warm.txt');
  writeFileSync(warmFile, `${warm.join('\n')}\n`);
  const nonce = Date.now().toString(36);
  const cold: string[] = [];
  for (let i = 0; i < COLD_NAMES; i++) cold.push(`c${nonce}-${i}.bench.clear.test A`);
  const coldFile = join(work, 'cold.txt');
  writeFileSync(coldFile, `${cold.join('\n')}\n`);

  process.stderr.write('starting the lab...\n');
  const lab = await startLab();
  const contenders = [sealdns(frontEnd, profileDir), unbound(true), unbound(false)].filter((c) =>
    RESOLVERS.includes(c.name),
  );
  if (contenders.length === 0) throw new Error(`BENCH_RESOLVERS=${RESOLVERS.join(',')}: nothing to run`);
  const rows: Row[] = [];
  const notes: string[] = [];
  const labQueries = () => lab.servers.reduce((n, s) => n + s.server.queryLog.total, 0);
  const measure = async (pid: number, run: () => Promise<PerfResult>) => {
    const before = labQueries();
    const cpu0 = cpuSeconds(pid);
    const p = await run();
    const cpu1 = cpuSeconds(pid);
    const n = Math.max(1, p.completed);
    const perQuery = (k: 'user' | 'system') => (cpu0 && cpu1 ? ((cpu1[k] - cpu0[k]) * 1e6) / n : Number.NaN);
    return {
      ...p,
      upstreamPerQuery: (labQueries() - before) / n,
      cpuUserUsPerQuery: perQuery('user'),
      cpuSystemUsPerQuery: perQuery('system'),
    };
  };
  // the counters bench-resolver-server prints when it stops (sealdns serve logs other things)
  const stats = (s: string) => s.split('\n').find((l) => l.startsWith('stats ')) ?? '';
  try {
    // Rounds interleave the resolvers, so that a burst of other work on the host hits all of them.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of contenders) {
        // warm: fresh process, every name resolved once, a second pass (all hits), then the measured run
        process.stderr.write(`round ${round}/${ROUNDS} ${c.name}: warm (${warm.length} names, ${SECONDS} s)...\n`);
        let r = await c.start(lab, 'warm');
        try {
          for (let pass = 1; pass <= 2; pass++) {
            const p = await dnsperf(r.port, warmFile, { once: true, clients: 1, outstanding: 20, limitS: 60 });
            if (p.completed !== warm.length)
              notes.push(`${c.name} round ${round}: priming pass ${pass} completed ${p.completed}/${warm.length}`);
          }
          const w = await measure(r.pid, () => dnsperf(r.port, warmFile, { seconds: SECONDS, limitS: SECONDS }));
          rows.push({ resolver: c.name, mode: 'warm', round, names: warm.length, ...w });
        } finally {
          const log = await r.stop();
          if (stats(log)) notes.push(`sealdns warm round ${round}: ${stats(log)}`);
        }
        // cold: fresh process; one query primes the delegations and keys, then every name once
        process.stderr.write(`round ${round}/${ROUNDS} ${c.name}: cold (${cold.length} names)...\n`);
        r = await c.start(lab, 'cold');
        try {
          await probe({
            address: '127.0.0.1',
            port: r.port,
            name: `p${nonce}.bench.clear.test`,
            qtype: 1,
            timeoutMs: 5000,
          });
          const k = await measure(r.pid, () => dnsperf(r.port, coldFile, { once: true, limitS: COLD_LIMIT }));
          rows.push({ resolver: c.name, mode: 'cold', round, names: cold.length, ...k });
        } finally {
          const log = await r.stop();
          if (stats(log)) notes.push(`sealdns cold round ${round}: ${stats(log)}`);
        }
      }
    }
  } finally {
    await lab.close();
  }

  // Report: the median run of each (resolver, mode)
  const summary = medians(rows);
  const pick = (res: string, mode: string) => summary.find((x) => x.resolver === res && x.mode === mode);
  // Ratios of the median runs, and of the best runs (the least disturbed by other work on the host).
  const ratios: Record<string, number> = {};
  const ratiosBest: Record<string, number> = {};
  // CPU efficiency: the other's CPU time per query over sealdns's (above 1: sealdns needs less CPU per query)
  const cpuRatios: Record<string, number> = {};
  for (const [other, suffix] of [
    ['unbound', ''],
    ['unbound-novalidate', 'VsNoValidate'],
  ] as const) {
    for (const mode of ['warm', 'cold'] as const) {
      const a = pick('sealdns', mode);
      const b = pick(other, mode);
      if (a === undefined || b === undefined) continue;
      ratios[`${mode}${suffix}`] = a.qps / b.qps;
      ratiosBest[`${mode}${suffix}`] = a.qpsMax / b.qpsMax;
      cpuRatios[`${mode}${suffix}`] = b.cpuUsPerQuery / a.cpuUsPerQuery;
    }
  }
  const cols: [string, number][] = [
    ['resolver', -20],
    ['mode', -6],
    ['qps', 9],
    [ROUNDS > 1 ? 'qps range' : '', ROUNDS > 1 ? 15 : 0],
    ['avg ms', 9],
    ['max ms', 9],
    ['lost', 7],
    ['completed', 17],
    ['up/q', 6],
    ['cpu us/q', 10],
  ];
  const fmt = (cells: string[]) => cells.map((c, i) => pad(c, Math.abs(cols[i][1]), cols[i][1] > 0)).join('');
  const head = `${fmt(cols.map((c) => c[0]))}  rcodes`;
  const lines = [head, '-'.repeat(head.length + 24)];
  for (const x of summary) {
    const rc = Object.entries(x.rcodes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `${fmt([
        x.resolver,
        x.mode,
        x.qps.toFixed(0),
        ROUNDS > 1 ? `${x.qpsMin.toFixed(0)}-${x.qpsMax.toFixed(0)}` : '',
        x.avgLatencyMs.toFixed(3),
        x.maxLatencyMs.toFixed(1),
        String(x.lost),
        `${x.completed}/${x.sent}`,
        x.upstreamPerQuery.toFixed(2),
        x.cpuUsPerQuery.toFixed(1),
      ])}  ${rc}`,
    );
  }
  lines.push('');
  if (ROUNDS > 1) lines.push(`median of ${ROUNDS} interleaved rounds; "best": ratio of each resolver's best run`);
  lines.push('up/q: queries the lab received per client query; cpu us/q: resolver CPU (user+system) per query');
  const ratio = (k: string) =>
    `${ratios[k]?.toFixed(2) ?? '-'}x${ROUNDS > 1 ? ` (best ${ratiosBest[k]?.toFixed(2) ?? '-'}x)` : ''}, CPU/query ${cpuRatios[k]?.toFixed(2) ?? '-'}x`;
  if (ratios.warm !== undefined || ratios.cold !== undefined)
    lines.push(`sealdns/unbound (validating, 1 thread): warm ${ratio('warm')}, cold ${ratio('cold')}`);
  if (ratios.warmVsNoValidate !== undefined || ratios.coldVsNoValidate !== undefined)
    lines.push(
      `sealdns/unbound (no validation, 1 thread): warm ${ratio('warmVsNoValidate')}, cold ${ratio('coldVsNoValidate')}`,
    );
  lines.push(`sealdns front end: ${frontEnd === 'serve' ? 'sealdns serve' : 'scripts/bench-resolver-server (UDP)'}`);
  const loadAfter = loadavg()[0];
  lines.push(`load average before/after: ${loadBefore.toFixed(2)}/${loadAfter.toFixed(2)} on ${cpus().length} CPUs`);
  for (const x of rows) {
    const good = (x.rcodes.NOERROR ?? 0) + (x.rcodes.NXDOMAIN ?? 0);
    const bad = x.completed - good;
    if (bad > x.completed / 100)
      notes.push(
        `${x.resolver} ${x.mode} round ${x.round}: ${((100 * bad) / x.completed).toFixed(1)}% of the answers were neither NOERROR nor NXDOMAIN (its qps counts them)`,
      );
  }
  for (const n of notes) lines.push(`note: ${n}`);

  const profiles: Record<string, ReturnType<typeof summariseProfile>> = {};
  if (profileDir) {
    for (const mode of ['warm', 'cold']) {
      const s = summariseProfile(join(profileDir, mode));
      profiles[mode] = s;
      if (!s) continue;
      lines.push(
        '',
        `sealdns CPU profile, ${mode} (self time, % of busy samples; GC ${s.gcPct.toFixed(1)}%, idle ${s.idlePct.toFixed(1)}% of all)`,
      );
      for (const h of s.hot) lines.push(`  ${pad(h.selfPct.toFixed(1), 5, true)}%  ${pad(h.function, 36)} ${h.where}`);
    }
    lines.push('', `profiles kept in ${profileDir}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const report = {
    date: new Date().toISOString(),
    host: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    config: {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmNames: warm.length,
      coldNames: cold.length,
      clients: CLIENTS,
      outstanding: OUTSTANDING,
      maxQps: MAX_QPS || null,
      sealdnsFrontEnd: frontEnd,
      sealdnsArgs: SEALDNS_ARGS,
      unbound: { threads: 1, aggressiveNsec: false },
    },
    summary,
    ratios,
    ratiosBest,
    cpuRatios,
    runs: rows,
    notes,
    ...(profileDir ? { profiles } : {}),
  };
  mkdirSync(distDir, { recursive: true });
  writeFileSync(join(distDir, 'bench-resolver.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`results written to ${join(distDir, 'bench-resolver.json')}\n`);
  if (!profileDir) rmSync(work, { recursive: true, force: true });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:resolver: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
