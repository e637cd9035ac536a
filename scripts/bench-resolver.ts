// Resolver benchmark: sealdns against Debian's unbound (1 thread) and PowerDNS Recursor (1 thread),
// all resolving from the same embedded lab on loopback, measured by Debian's dnsperf over UDP.
//
//   npm run bench:resolver
//   BENCH_SECONDS=5 BENCH_COLD_NAMES=5000 BENCH_PROFILE=1 node dist/scripts/bench-resolver.js
//
// Modes, each on a fresh resolver process:
// - warm: a few hundred names, resolved once (primed), then queried by dnsperf for BENCH_SECONDS;
// - cold: BENCH_COLD_NAMES distinct names under the lab's *.bench.clear.test wildcard, each sent
//   once (`dnsperf -n 1`): every query is a cache miss needing an upstream query (the delegations
//   and keys above are primed first, so only the names are cold). Every resolver runs with RFC 8198
//   aggressive NSEC off (unbound aggressive-nsec, sealdns aggressive-nsec, pdns
//   aggressive-nsec-cache-size), else it would synthesise every answer from the wildcard's NSEC proof.
// - cold-dot, cold-opp (the encrypted modes): like cold, with the names under *.bench.dot.test
//   (ns1.dot.test: strict DoT, DANE) or *.bench.opportunistic.test (ns1.opportunistic.test:
//   opportunistic DoT), so that every cache miss is an upstream query to a DoT-capable server.
// Resolvers: sealdns (default policy); unbound validating with the lab's trust anchor; unbound
// without validation; and for the encrypted modes: sealdns-enc (default policy with `bootstrap:
// encrypt-first`), sealdns-off (`upstream-encryption: off`: opportunistic and probe encryption off;
// a strict server stays encrypted by design, so it only runs cold-opp), pdns (PowerDNS Recursor,
// validating, cleartext) and pdns-dot (the same with `dot-to-auth-names` = the lab's DoT servers;
// it does not check certificates, so the DoT is unauthenticated even to ns1.dot.test). unbound runs
// the encrypted modes' names in cleartext, as a reference. pdns-recursor is optional (`apt-get
// install pdns-recursor`); without it its rows are skipped with a note.
// For every run the lab's servers count the queries they receive per transport (enc%: the share
// over DoT/DoH) and the DoT/DoH connections (distinct client ports). For sealdns the TLS events of
// the transport (diagnostics channels, recorded by bench-resolver-tls-events.js preloaded with
// `node --import`) give full handshakes, resumptions, failed attempts, the distinct TLS servers
// contacted and the reconnections after an idle close, over the process's life.
// Prints a table (qps, latency, lost, lab queries per client query, resolver CPU time per query),
// the TLS figures, and the ratios sealdns/unbound, sealdns-enc/sealdns-off and sealdns-enc/pdns-dot,
// and writes dist/bench-resolver.json. With BENCH_PROFILE=1,
// sealdns runs under `node --cpu-prof` and the hottest functions of each mode are printed (and
// kept in the JSON). The host's load average is reported: other work on the host moves qps a lot
// (use BENCH_ROUNDS); CPU time per query moves much less.
//
// Environment (defaults in brackets):
//   BENCH_SECONDS [10]          length of the warm-cache run
//   BENCH_ROUNDS [1]            interleaved rounds; the table shows each median run
//   BENCH_WARM_NAMES [300]      names in the warm query file
//   BENCH_COLD_NAMES [20000]    names in each cold query file (cold, cold-dot, cold-opp)
//   BENCH_COLD_LIMIT [180]      upper bound (s) of one cold run
//   BENCH_CLIENTS [10]          dnsperf -c
//   BENCH_OUTSTANDING [100]     dnsperf -q (queries in flight)
//   BENCH_MAX_QPS [unlimited]   dnsperf -Q
//   BENCH_SEALDNS [auto]        'serve' (sealdns serve), 'child' (scripts/bench-resolver-server), auto: serve if it exists
//   BENCH_SEALDNS_ARGS ['']     extra arguments for sealdns serve (e.g. '--qname-minimisation off')
//   BENCH_RESOLVERS [sealdns,unbound,unbound-novalidate,sealdns-enc,sealdns-off,pdns,pdns-dot]  which to run
//                               (unbound-novalidate: module-config "iterator")
//   BENCH_MODES [warm,cold,cold-dot,cold-opp]  which modes to run (each resolver runs those it takes part in)
//   BENCH_PROFILE [0]           profile the sealdns process (node --cpu-prof)
//
// Everything listens on loopback only; every run is bounded in count and time. The lab binds
// port 53 on 127.<net>.x.y (root, or CAP_NET_BIND_SERVICE, is needed: unbound cannot be told
// another port for servers it finds by referral).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Lab, startLab } from '../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS, LAB_SERVERS } from '../src/authority/lab/topology.js';
import { freePort, type PeerHandle, probe, runTool, startUnbound, toolSkip, which } from '../test/helpers/peers.js';
import type { TlsEventLine } from './bench-resolver-tls-events.js';

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
const RESOLVERS = (
  process.env.BENCH_RESOLVERS ?? 'sealdns,unbound,unbound-novalidate,sealdns-enc,sealdns-off,pdns,pdns-dot'
)
  .split(',')
  .map((s) => s.trim());
const SEALDNS_MODE = process.env.BENCH_SEALDNS ?? 'auto';
const SEALDNS_ARGS = (process.env.BENCH_SEALDNS_ARGS ?? '').split(' ').filter((a) => a !== '');

type Mode = 'warm' | 'cold' | 'cold-dot' | 'cold-opp' | 'cold-unsigned';
type ColdMode = Exclude<Mode, 'warm'>;
const ALL_MODES: Mode[] = ['warm', 'cold', 'cold-dot', 'cold-opp', 'cold-unsigned'];
/** Where each cold mode's names live: a wildcard in a lab zone (src/authority/lab/topology.ts). */
const COLD_ZONES: Record<ColdMode, { suffix: string; about: string }> = {
  cold: { suffix: 'bench.clear.test', about: 'ns1.clear.test, no DoT' },
  'cold-dot': { suffix: 'bench.dot.test', about: 'ns1.dot.test, strict DoT (SVCB + TLSA: DANE)' },
  'cold-opp': {
    suffix: 'bench.opportunistic.test',
    about: 'ns1.opportunistic.test, opportunistic DoT (SVCB, no TLSA)',
  },
  // the validation cost: the same cold names in an unsigned (insecure) zone, compared with `cold` (signed)
  'cold-unsigned': { suffix: 'bench.unsigned.test', about: 'ns1.unsigned.test, unsigned zone (no validation work)' },
};
const MODES = (process.env.BENCH_MODES ?? ALL_MODES.join(',')).split(',').map((s) => s.trim()) as Mode[];
for (const m of MODES) if (!ALL_MODES.includes(m)) throw new Error(`BENCH_MODES: unknown mode ${m}`);

const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const distDir = resolve(here, '..');
const cliMain = join(distDir, 'src/cli/main.js');
const childServer = join(here, 'bench-resolver-server.js');
const tlsEventsPreload = pathToFileURL(join(here, 'bench-resolver-tls-events.js')).href;

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
  /** sealdns: the transport's TLS, connect and close events so far (read after stop for all of them). */
  tlsEvents?(): TlsEventLine[];
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
  /** The modes this resolver takes part in. */
  modes: Mode[];
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

/**
 * sealdns as `name`, with `config` (YAML, for `serve --config`, after `aggressive-nsec: false`)
 * for its transport policy. The child front end takes no configuration: it runs the plain
 * 'sealdns' only.
 */
function sealdns(
  frontEnd: 'serve' | 'child',
  profileDir: string | undefined,
  work: string,
  name = 'sealdns',
  modes: Mode[] = ['warm', 'cold'],
  config = '',
): Contender {
  return {
    name,
    modes,
    async start(lab, tag) {
      const port = await freePort();
      const listen = `127.0.0.1:${port}`;
      const files = ['--root-hints', lab.rootHintsFile, '--trust-anchor', lab.trustAnchorFile];
      // RFC 8198 synthesis would answer every cold name from the wildcard's NSEC proof without asking the lab
      // (as for unbound and pdns, it is turned off)
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, `aggressive-nsec: false\n${config}`);
      const configArgs = ['--config', file];
      // like unbound at verbosity 0: warnings and errors only
      const script =
        frontEnd === 'serve'
          ? [cliMain, 'serve', ...configArgs, '--listen', listen, '--log-level', 'warn', ...SEALDNS_ARGS]
          : [childServer, '--listen', listen];
      const profTag = name === 'sealdns' ? tag : `${name}-${tag}`;
      const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, profTag)] : [];
      const eventsFile = join(work, `tls-events-${name}-${tag}-${Date.now()}.jsonl`);
      const child = spawn(process.execPath, [...prof, '--import', tlsEventsPreload, ...script, ...files], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BENCH_TLS_EVENTS: eventsFile },
      });
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
        tlsEvents() {
          let text = '';
          try {
            text = readFileSync(eventsFile, 'utf8');
          } catch {
            return []; // no TLS connection was ever attempted
          }
          return text
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as TlsEventLine);
        },
      };
    },
  };
}

function unbound(validating: boolean): Contender {
  return {
    name: validating ? 'unbound' : 'unbound-novalidate',
    // validating unbound also resolves the encrypted modes' names, in cleartext (it has no DoT to authorities)
    modes: validating ? ['warm', 'cold', 'cold-dot', 'cold-opp', 'cold-unsigned'] : ['warm', 'cold'],
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

/** The lab's nameservers with a DoT listener: what pdns-dot is told to reach over DoT. */
const LAB_DOT_NAMES = LAB_SERVERS.filter((s) => s.dot).map((s) => s.name);

/**
 * PowerDNS Recursor (Debian's pdns-recursor, 4.x), 1 thread, validating with the lab's trust
 * anchor; with `dot`, `dot-to-auth-names` lists the lab's DoT servers (its DoT does not check
 * certificates, so it works with the lab's self-signed ones, unauthenticated). Aggressive NSEC is
 * off, as for unbound.
 */
function pdns(dot: boolean): Contender {
  return {
    name: dot ? 'pdns-dot' : 'pdns',
    modes: ['cold-dot', 'cold-opp'],
    async start(lab) {
      const bin = which('pdns_recursor');
      if (bin === undefined) throw new Error('pdns_recursor is not installed');
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'sealdns-bench-pdns-'));
      // the lab's trust anchor is one DS line (". 3600 IN DS tag alg digest-type digest")
      const ds = lab.trustAnchor
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length >= 8 && f[3] === 'DS')
        .map((f) => f.slice(4).join(' '));
      if (ds.length === 0) throw new Error(`no DS in the lab's trust anchor:\n${lab.trustAnchor}`);
      writeFileSync(join(dir, 'recursor.lua'), `clearTA('.')\n${ds.map((d) => `addTA('.', '${d}')`).join('\n')}\n`);
      const conf = [
        'local-address=127.0.0.1',
        `local-port=${port}`,
        'allow-from=127.0.0.0/8',
        // the default refuses to query 127.0.0.0/8, where the lab is
        'dont-query=',
        `hint-file=${lab.rootHintsFile}`,
        'dnssec=validate',
        `lua-config-file=${join(dir, 'recursor.lua')}`,
        'threads=1',
        'daemon=no',
        `socket-dir=${dir}`,
        'write-pid=no',
        'disable-syslog=yes',
        'loglevel=3',
        // no security polling (it would ask the lab for secpoll.powerdns.com)
        'security-poll-suffix=',
        'aggressive-nsec-cache-size=0',
        'max-cache-entries=2000000',
        'max-packetcache-entries=1000000',
        ...(dot ? [`dot-to-auth-names=${LAB_DOT_NAMES.join(',')}`] : []),
      ];
      writeFileSync(join(dir, 'recursor.conf'), `${conf.join('\n')}\n`);
      const child = spawn(bin, [`--config-dir=${dir}`], {
        cwd: dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
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
      const kill = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          // gone already
        }
      };
      try {
        await waitReady(
          port,
          () => !exited,
          () => out,
        );
      } catch (e) {
        kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return {
        port,
        pid: child.pid ?? -1,
        async stop() {
          if (!exited) {
            kill('SIGTERM');
            const t = setTimeout(() => kill('SIGKILL'), 5_000);
            await exit;
            clearTimeout(t);
          }
          rmSync(dir, { recursive: true, force: true });
          return out;
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
  mode: Mode;
  round: number;
  names: number;
  /** Queries the lab's servers received during the measured run, per completed client query. */
  upstreamPerQuery: number;
  /** CPU time of the resolver process (all threads) during the run, per completed query (NaN without /proc). */
  cpuUserUsPerQuery: number;
  cpuSystemUsPerQuery: number;
  /** Queries the lab received during the measured run, per transport (udp, tcp, dot, doh). */
  labTransports: Record<string, number>;
  /** Share of those that came over DoT or DoH. */
  encryptedShare: number;
  /** CPU of the lab (this process) during the run, in cores (1: one core busy all the time); NaN without /proc. */
  labCpu: number;
  /** DoT/DoH connections (distinct client ports) that carried queries to the lab during the resolver's life. */
  labTlsConnections: number;
  /** Lab servers that received DoT/DoH queries during the resolver's life. */
  labTlsServers: string[];
  /** sealdns only: its TLS events over its life (readiness probe, priming, measured run). */
  tls?: TlsSummary;
}

/** What the lab saw: queries per transport, and the encrypted connections they came on. */
interface LabObservation {
  transports: Record<string, number>;
  tlsConnections: Set<string>;
  tlsServers: Set<string>;
}

function newObservation(): LabObservation {
  return { transports: {}, tlsConnections: new Set(), tlsServers: new Set() };
}

/** sealdns's TLS connections, from the transport's events (bench-resolver-tls-events.ts). */
interface TlsSummary {
  /** Client queries the process answered over its life (setup queries included). */
  resolutions: number;
  /** Full handshakes that succeeded (TlsContext's `handshakes`). */
  handshakes: number;
  /** Sessions resumed from a ticket (TlsContext's `resumptions`). */
  resumptions: number;
  /** Attempts that failed (TCP refused, handshake or authentication failures). */
  failed: number;
  /** Of those, during the measured run. */
  runHandshakes: number;
  runResumptions: number;
  /** Distinct servers (address, port, protocol) with a successful TLS connection. */
  servers: number;
  /** Distinct session keys: servers times the authentication terms they were used under (none, DANE). */
  keys: number;
  /** TLS connections opened on a key after one of its connections was closed idle (ours) or by the peer. */
  idleReconnects: number;
  /** TLS connections closed, by reason (idle, peer, error, graceful, destroyed). */
  closes: Record<string, number>;
  /** Full handshakes and resumptions per 10,000 resolutions. */
  handshakesPer10k: number;
  resumptionsPer10k: number;
  /** keys + idleReconnects: the connections a pool that never loses one needs. */
  bound: number;
  perServer: Record<string, { handshakes: number; resumptions: number; failed: number; keys: string[] }>;
}

/** The session key of a pool key (a pool key appends the TLSA set hash). */
function sessionKeyOf(poolKey: string): string {
  return poolKey.slice(0, poolKey.lastIndexOf('|'));
}

function summariseTls(events: TlsEventLine[], resolutions: number, run: { from: number; to: number }): TlsSummary {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const tls = sorted.filter((e) => e.ev === 'tls');
  const ok = tls.filter((e) => e.ok);
  const closes: Record<string, number> = {};
  const perServer: TlsSummary['perServer'] = {};
  const idleClosed = new Map<string, number>();
  let idleReconnects = 0;
  for (const e of sorted) {
    const encrypted = e.server.endsWith('/dot') || e.server.endsWith('/doh');
    if (e.ev === 'close' && encrypted) {
      closes[e.reason ?? '?'] = (closes[e.reason ?? '?'] ?? 0) + 1;
      if (e.reason === 'idle' || e.reason === 'peer') {
        const k = sessionKeyOf(e.key);
        idleClosed.set(k, (idleClosed.get(k) ?? 0) + 1);
      }
    }
    if (e.ev !== 'tls') continue;
    const ps = (perServer[e.server] ??= { handshakes: 0, resumptions: 0, failed: 0, keys: [] });
    if (!e.ok) {
      ps.failed++;
      continue;
    }
    if (e.resumed) ps.resumptions++;
    else ps.handshakes++;
    const auth = e.key.split('|')[4] ?? '?';
    if (!ps.keys.includes(auth)) ps.keys.push(auth);
    const pending = idleClosed.get(e.key) ?? 0;
    if (pending > 0) {
      idleReconnects++;
      idleClosed.set(e.key, pending - 1);
    }
  }
  const inRun = ok.filter((e) => e.t >= run.from && e.t <= run.to);
  const handshakes = ok.filter((e) => !e.resumed).length;
  const resumptions = ok.length - handshakes;
  const keys = new Set(ok.map((e) => e.key)).size;
  const n = Math.max(1, resolutions);
  return {
    resolutions,
    handshakes,
    resumptions,
    failed: tls.length - ok.length,
    runHandshakes: inRun.filter((e) => !e.resumed).length,
    runResumptions: inRun.filter((e) => e.resumed).length,
    servers: new Set(ok.map((e) => e.server)).size,
    keys,
    idleReconnects,
    closes,
    handshakesPer10k: (handshakes * 10_000) / n,
    resumptionsPer10k: (resumptions * 10_000) / n,
    bound: keys + idleReconnects,
    perServer,
  };
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
  const coldFiles = {} as Record<ColdMode, string>;
  for (const mode of Object.keys(COLD_ZONES) as ColdMode[]) {
    const cold: string[] = [];
    for (let i = 0; i < COLD_NAMES; i++) cold.push(`c${nonce}-${i}.${COLD_ZONES[mode].suffix} A`);
    coldFiles[mode] = join(work, `${mode}.txt`);
    writeFileSync(coldFiles[mode], `${cold.join('\n')}\n`);
  }

  process.stderr.write('starting the lab...\n');
  const lab = await startLab();
  const notes: string[] = [];
  const all = [
    sealdns(frontEnd, profileDir, work),
    unbound(true),
    unbound(false),
    sealdns(frontEnd, profileDir, work, 'sealdns-enc', ['cold-dot', 'cold-opp'], 'bootstrap: encrypt-first\n'),
    // a strict server (dot.test) stays encrypted whatever the setting, so only the opportunistic names
    // also the validation cost: signed (cold) vs unsigned (cold-unsigned) names, both in cleartext
    sealdns(
      frontEnd,
      profileDir,
      work,
      'sealdns-off',
      ['cold', 'cold-opp', 'cold-unsigned'],
      'upstream-encryption: "off"\n',
    ),
    pdns(false),
    pdns(true),
  ];
  const contenders = all.filter((c) => {
    if (!RESOLVERS.includes(c.name)) return false;
    if (c.name.startsWith('pdns') && which('pdns_recursor') === undefined) {
      const msg = `${c.name} skipped: pdns_recursor is not installed (apt-get install pdns-recursor)`;
      process.stderr.write(`${msg}\n`);
      notes.push(msg);
      return false;
    }
    if (c.name !== 'sealdns' && c.name.startsWith('sealdns') && frontEnd !== 'serve') {
      notes.push(`${c.name} skipped: it needs sealdns serve (--config), not the child front end`);
      return false;
    }
    return c.modes.some((m) => MODES.includes(m));
  });
  if (contenders.length === 0)
    throw new Error(`BENCH_RESOLVERS=${RESOLVERS.join(',')} BENCH_MODES=${MODES.join(',')}: nothing to run`);
  const rows: Row[] = [];
  // What the lab receives: per transport, and the DoT/DoH connections (client ports) it comes on,
  // over the current resolver's life and over the measured run.
  let life = newObservation();
  let run = newObservation();
  for (const s of lab.servers)
    s.server.queryLog.subscribe((e) => {
      for (const o of [life, run]) {
        o.transports[e.transport] = (o.transports[e.transport] ?? 0) + 1;
        if (e.transport === 'dot' || e.transport === 'doh') {
          o.tlsConnections.add(`${s.ip}|${e.transport}|${e.client.address}|${e.client.port}`);
          o.tlsServers.add(s.name);
        }
      }
    });
  const measure = async (pid: number, perf: () => Promise<PerfResult>) => {
    run = newObservation();
    const cpu0 = cpuSeconds(pid);
    const lab0 = cpuSeconds(process.pid);
    const from = Date.now();
    const p = await perf();
    const to = Date.now();
    const cpu1 = cpuSeconds(pid);
    const lab1 = cpuSeconds(process.pid);
    const n = Math.max(1, p.completed);
    const perQuery = (k: 'user' | 'system') => (cpu0 && cpu1 ? ((cpu1[k] - cpu0[k]) * 1e6) / n : Number.NaN);
    // the lab runs in this process: its CPU share of the run (1 = one core busy all the time)
    const labCpu =
      lab0 && lab1
        ? Math.max(0, lab1.user + lab1.system - lab0.user - lab0.system) / Math.max(0.001, (to - from) / 1000)
        : Number.NaN;
    const upstream = Object.values(run.transports).reduce((a, b) => a + b, 0);
    const enc = (run.transports.dot ?? 0) + (run.transports.doh ?? 0);
    return {
      ...p,
      upstreamPerQuery: upstream / n,
      cpuUserUsPerQuery: perQuery('user'),
      cpuSystemUsPerQuery: perQuery('system'),
      labTransports: { ...run.transports },
      encryptedShare: upstream === 0 ? 0 : enc / upstream,
      labCpu,
      window: { from, to },
    };
  };
  /** After the resolver stopped: what the lab saw over its life, and sealdns's TLS events. */
  const finish = (r: Running, setupQueries: number, m: Awaited<ReturnType<typeof measure>>) => {
    const { window, ...rest } = m;
    return {
      ...rest,
      labTlsConnections: life.tlsConnections.size,
      labTlsServers: [...life.tlsServers].sort(),
      ...(r.tlsEvents ? { tls: summariseTls(r.tlsEvents(), setupQueries + m.completed, window) } : {}),
    };
  };
  // the counters bench-resolver-server prints when it stops (sealdns serve logs other things)
  const stats = (s: string) => s.split('\n').find((l) => l.startsWith('stats ')) ?? '';
  try {
    // Rounds interleave the resolvers, so that a burst of other work on the host hits all of them.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of contenders) {
        for (const mode of c.modes.filter((m) => MODES.includes(m))) {
          if (mode === 'warm') {
            // warm: fresh process, every name resolved once, a second pass (all hits), then the measured run
            process.stderr.write(`round ${round}/${ROUNDS} ${c.name}: warm (${warm.length} names, ${SECONDS} s)...\n`);
            life = newObservation();
            const r = await c.start(lab, 'warm');
            let m: Awaited<ReturnType<typeof measure>> | undefined;
            try {
              for (let pass = 1; pass <= 2; pass++) {
                const p = await dnsperf(r.port, warmFile, { once: true, clients: 1, outstanding: 20, limitS: 60 });
                if (p.completed !== warm.length)
                  notes.push(`${c.name} round ${round}: priming pass ${pass} completed ${p.completed}/${warm.length}`);
              }
              m = await measure(r.pid, () => dnsperf(r.port, warmFile, { seconds: SECONDS, limitS: SECONDS }));
            } finally {
              const log = await r.stop();
              if (stats(log)) notes.push(`sealdns warm round ${round}: ${stats(log)}`);
            }
            rows.push({ resolver: c.name, mode, round, names: warm.length, ...finish(r, 1 + 2 * warm.length, m!) });
            continue;
          }
          // cold modes: fresh process; one query primes the delegations, keys and transport signals, then every
          // name once
          const zone = COLD_ZONES[mode];
          process.stderr.write(
            `round ${round}/${ROUNDS} ${c.name}: ${mode} (${COLD_NAMES} names *.${zone.suffix})...\n`,
          );
          life = newObservation();
          const r = await c.start(lab, mode);
          let m: Awaited<ReturnType<typeof measure>> | undefined;
          try {
            const primed = await probe({
              address: '127.0.0.1',
              port: r.port,
              name: `p${nonce}.${zone.suffix}`,
              qtype: 1,
              timeoutMs: 5000,
            });
            if (primed.rcode !== 0 || primed.ancount === 0)
              notes.push(`${c.name} ${mode} round ${round}: priming query answered rcode ${primed.rcode}`);
            m = await measure(r.pid, () => dnsperf(r.port, coldFiles[mode], { once: true, limitS: COLD_LIMIT }));
          } finally {
            const log = await r.stop();
            if (stats(log)) notes.push(`sealdns ${mode} round ${round}: ${stats(log)}`);
          }
          rows.push({ resolver: c.name, mode, round, names: COLD_NAMES, ...finish(r, 2, m!) });
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
  // The encrypted modes: [key, numerator (resolver, mode), denominator (resolver, mode)]
  const encPairs: [string, [string, Mode], [string, Mode]][] = [
    ['encOverOff', ['sealdns-enc', 'cold-opp'], ['sealdns-off', 'cold-opp']],
    ['encDaneOverOff', ['sealdns-enc', 'cold-dot'], ['sealdns-off', 'cold-opp']],
    ['encOverPdnsDot:cold-dot', ['sealdns-enc', 'cold-dot'], ['pdns-dot', 'cold-dot']],
    ['encOverPdnsDot:cold-opp', ['sealdns-enc', 'cold-opp'], ['pdns-dot', 'cold-opp']],
    ['encOverUnbound:cold-dot', ['sealdns-enc', 'cold-dot'], ['unbound', 'cold-dot']],
    ['encOverUnbound:cold-opp', ['sealdns-enc', 'cold-opp'], ['unbound', 'cold-opp']],
    ['offOverUnbound:cold-opp', ['sealdns-off', 'cold-opp'], ['unbound', 'cold-opp']],
    ['pdnsDotOverPdns:cold-dot', ['pdns-dot', 'cold-dot'], ['pdns', 'cold-dot']],
    ['pdnsDotOverPdns:cold-opp', ['pdns-dot', 'cold-opp'], ['pdns', 'cold-opp']],
    // validation cost: throughput on signed names relative to unsigned names (1 = free), and sealdns vs unbound
    ['signedOverUnsigned:sealdns', ['sealdns-off', 'cold'], ['sealdns-off', 'cold-unsigned']],
    ['signedOverUnsigned:unbound', ['unbound', 'cold'], ['unbound', 'cold-unsigned']],
    ['offOverUnbound:cold-unsigned', ['sealdns-off', 'cold-unsigned'], ['unbound', 'cold-unsigned']],
    ['offOverUnbound:cold', ['sealdns-off', 'cold'], ['unbound', 'cold']],
  ];
  for (const [k, [an, am], [bn, bm]] of encPairs) {
    const a = pick(an, am);
    const b = pick(bn, bm);
    if (a === undefined || b === undefined) continue;
    ratios[k] = a.qps / b.qps;
    ratiosBest[k] = a.qpsMax / b.qpsMax;
    cpuRatios[k] = b.cpuUsPerQuery / a.cpuUsPerQuery;
  }
  const cols: [string, number][] = [
    ['resolver', -19],
    ['mode', -9],
    ['qps', 9],
    [ROUNDS > 1 ? 'qps range' : '', ROUNDS > 1 ? 15 : 0],
    ['avg ms', 9],
    ['max ms', 9],
    ['lost', 7],
    ['completed', 17],
    ['up/q', 6],
    ['cpu us/q', 10],
    ['enc%', 6],
    ['tls conns', 10],
    ['lab cpu', 8],
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
        (100 * x.encryptedShare).toFixed(0),
        String(x.labTlsConnections),
        x.labCpu.toFixed(2),
      ])}  ${rc}`,
    );
  }
  lines.push('');
  if (ROUNDS > 1) lines.push(`median of ${ROUNDS} interleaved rounds; "best": ratio of each resolver's best run`);
  lines.push('up/q: queries the lab received per client query; cpu us/q: resolver CPU (user+system) per query');
  lines.push(
    "enc%: share of the lab's queries that came over DoT/DoH; tls conns: DoT/DoH connections that carried queries to the lab over the resolver's life;",
    'lab cpu: CPU of the lab (the benchmark process) during the run, in cores',
  );
  const coldModes = (Object.keys(COLD_ZONES) as ColdMode[]).filter((m) => MODES.includes(m));
  lines.push(`names: ${coldModes.map((m) => `${m} *.${COLD_ZONES[m].suffix} (${COLD_ZONES[m].about})`).join('; ')}`);
  const withTls = summary.filter((x) => x.tls !== undefined && x.tls.handshakes + x.tls.resumptions + x.tls.failed > 0);
  if (withTls.length > 0) {
    const tcols: [string, number][] = [
      ['resolver', -19],
      ['mode', -9],
      ['resolutions', 12],
      ['handshakes', 11],
      ['resumed', 8],
      ['failed', 7],
      ['in run', 7],
      ['hs/10k', 8],
      ['res/10k', 8],
      ['servers', 8],
      ['keys', 5],
      ['idle re', 8],
      ['bound', 6],
    ];
    const tfmt = (cells: string[]) => cells.map((c, i) => pad(c, Math.abs(tcols[i][1]), tcols[i][1] > 0)).join('');
    const thead = `${tfmt(tcols.map((c) => c[0]))}  closes`;
    lines.push('', 'sealdns TLS connections over the process life (readiness probe, priming and run):', thead);
    lines.push('-'.repeat(thead.length + 20));
    for (const x of withTls) {
      const t = x.tls!;
      lines.push(
        `${tfmt([
          x.resolver,
          x.mode,
          String(t.resolutions),
          String(t.handshakes),
          String(t.resumptions),
          String(t.failed),
          `${t.runHandshakes}+${t.runResumptions}`,
          t.handshakesPer10k.toFixed(2),
          t.resumptionsPer10k.toFixed(2),
          String(t.servers),
          String(t.keys),
          String(t.idleReconnects),
          String(t.bound),
        ])}  ${Object.entries(t.closes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
    lines.push(
      'handshakes: full TLS handshakes (transport.tls.stats handshakes); resumed: ticket resumptions; failed: attempts that',
      'failed (TCP refused by servers without DoT included); in run: handshakes+resumptions during the measured run;',
      'servers: distinct address#port/protocol reached over TLS; keys: distinct (server, authentication) session keys;',
      "idle re: TLS connections reopened after an idle close (ours or the server's); bound: keys + idle re",
    );
  }
  const ratio = (k: string) =>
    `${ratios[k]?.toFixed(2) ?? '-'}x${ROUNDS > 1 ? ` (best ${ratiosBest[k]?.toFixed(2) ?? '-'}x)` : ''}, CPU/query ${cpuRatios[k]?.toFixed(2) ?? '-'}x`;
  if (ratios.warm !== undefined || ratios.cold !== undefined)
    lines.push(`sealdns/unbound (validating, 1 thread): warm ${ratio('warm')}, cold ${ratio('cold')}`);
  if (ratios.warmVsNoValidate !== undefined || ratios.coldVsNoValidate !== undefined)
    lines.push(
      `sealdns/unbound (no validation, 1 thread): warm ${ratio('warmVsNoValidate')}, cold ${ratio('coldVsNoValidate')}`,
    );
  const encRatio = (k: string) =>
    ratios[k] === undefined
      ? '-'
      : `${ratios[k].toFixed(2)}x${ROUNDS > 1 ? ` (best ${ratiosBest[k].toFixed(2)}x)` : ''}, CPU/query ${cpuRatios[k].toFixed(2)}x`;
  if (encPairs.some(([k]) => ratios[k] !== undefined)) {
    lines.push(
      `sealdns-enc/sealdns-off, cold-opp (same names; encrypted vs cleartext): ${encRatio('encOverOff')} (target >= 0.8)`,
    );
    lines.push(`sealdns-enc cold-dot (DANE) / sealdns-off cold-opp (cleartext): ${encRatio('encDaneOverOff')}`);
    lines.push(
      `sealdns-enc/pdns-dot (both DoT): cold-dot ${encRatio('encOverPdnsDot:cold-dot')}, cold-opp ${encRatio('encOverPdnsDot:cold-opp')} (target > 1)`,
    );
    lines.push(
      `sealdns-enc/unbound (cleartext): cold-dot ${encRatio('encOverUnbound:cold-dot')}, cold-opp ${encRatio('encOverUnbound:cold-opp')}`,
    );
    lines.push(`sealdns-off/unbound (cleartext both), cold-opp: ${encRatio('offOverUnbound:cold-opp')}`);
    lines.push(
      `pdns-dot/pdns (its own DoT cost): cold-dot ${encRatio('pdnsDotOverPdns:cold-dot')}, cold-opp ${encRatio('pdnsDotOverPdns:cold-opp')}`,
    );
  }
  if (ratios['signedOverUnsigned:sealdns'] !== undefined || ratios['signedOverUnsigned:unbound'] !== undefined) {
    lines.push(
      `validation cost, signed/unsigned cold names (cleartext): sealdns ${encRatio('signedOverUnsigned:sealdns')}, unbound ${encRatio('signedOverUnsigned:unbound')}`,
    );
    lines.push(
      `sealdns-off/unbound: unsigned names ${encRatio('offOverUnbound:cold-unsigned')}, signed names ${encRatio('offOverUnbound:cold')}`,
    );
  }
  for (const x of withTls) {
    const t = x.tls!;
    const opened = t.handshakes + t.resumptions;
    lines.push(
      `${x.resolver} ${x.mode}: ${opened} TLS connections (${t.handshakesPer10k.toFixed(2)} handshakes + ${t.resumptionsPer10k.toFixed(2)} resumptions per 10,000 resolutions) for ${t.keys} session keys on ${t.servers} servers + ${t.idleReconnects} idle reconnects: ${opened <= t.bound ? 'within' : 'ABOVE'} the bound ${t.bound}`,
    );
  }
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
  for (const x of rows)
    if (x.mode !== 'warm' && x.upstreamPerQuery < 0.9)
      notes.push(
        `${x.resolver} ${x.mode} round ${x.round}: only ${x.upstreamPerQuery.toFixed(2)} lab queries per client query: answers came from somewhere else than the lab (a cache, RFC 8198 synthesis): not a cold-cache figure`,
      );
  for (const n of notes) lines.push(`note: ${n}`);

  const profiles: Record<string, ReturnType<typeof summariseProfile>> = {};
  if (profileDir) {
    const dirs = readdirSync(profileDir).sort((a, b) => (a === 'warm' ? -1 : b === 'warm' ? 1 : a.localeCompare(b)));
    for (const mode of dirs) {
      const s = summariseProfile(join(profileDir, mode));
      profiles[mode] = s;
      if (!s) continue;
      lines.push(
        '',
        `CPU profile, ${mode.startsWith('sealdns') ? mode : `sealdns ${mode}`} (self time, % of busy samples; GC ${s.gcPct.toFixed(1)}%, idle ${s.idlePct.toFixed(1)}% of all)`,
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
      coldNames: COLD_NAMES,
      modes: MODES,
      coldZones: COLD_ZONES,
      clients: CLIENTS,
      outstanding: OUTSTANDING,
      maxQps: MAX_QPS || null,
      sealdnsFrontEnd: frontEnd,
      sealdnsArgs: SEALDNS_ARGS,
      sealdnsAggressiveNsec: false,
      unbound: { threads: 1, aggressiveNsec: false },
      sealdnsEnc: 'bootstrap: encrypt-first',
      sealdnsOff: 'upstream-encryption: off',
      pdns: { threads: 1, aggressiveNsecCacheSize: 0, dotToAuthNames: LAB_DOT_NAMES },
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
