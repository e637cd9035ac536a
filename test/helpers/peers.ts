// Interop-test harness: runs real DNS peers from Debian (unbound, nsd) and command-line
// tools (kdig, dig, ldns-signzone, dnssec-verify, openssl, ...) on loopback high ports,
// without root-only features.
//
// Safety rules this module enforces:
// - every peer listens on a loopback address only and on a port the caller gives it;
// - unbound only sends queries from loopback source addresses (outgoing-interface) and,
//   unless the caller gives root hints or a stub for ".", its root hints point at
//   127.0.0.1, so it never tries to reach the real root servers;
// - every process is started in its own process group and is killed (the whole group)
//   by `stop()`, by `stopAll()`, by the test context's `after` hook when one is given,
//   and in any case when the test process exits.

import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// ---------------------------------------------------------------------------
// Tools

const EXTRA_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Whether CI is running: then a missing tool is an error, never a silent skip. */
export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Absolute path of an executable found in PATH (plus the sbin directories), or undefined. */
export function which(bin: string): string | undefined {
  if (bin.includes('/')) return isExecutable(bin) ? bin : undefined;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, ...EXTRA_BIN_DIRS]) {
    const p = join(dir, bin);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that a tool is installed. Returns undefined when it is, a skip reason when it is
 * not; under CI (process.env.CI set) a missing tool throws instead, so CI fails loudly.
 */
export function requireTool(bin: string): string | undefined {
  if (which(bin) !== undefined) return undefined;
  const reason = `${bin} is not installed (see .ci/run for the Debian packages)`;
  if (inCI()) throw new Error(`CI: required tool missing: ${reason}`);
  return reason;
}

/** For `test(name, { skip: toolSkip('unbound', 'kdig') }, fn)`: false when all tools exist. */
export function toolSkip(...bins: string[]): string | false {
  const reasons = bins.map((b) => requireTool(b)).filter((r): r is string => r !== undefined);
  return reasons.length === 0 ? false : reasons.join('; ');
}

/** Absolute path of a tool, or throws (for code that already checked with toolSkip). */
export function toolPath(bin: string): string {
  const p = which(bin);
  if (p === undefined) throw new Error(`${bin} is not installed`);
  return p;
}

export interface RunResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Kill the process (SIGKILL) after this long. Default 10 s. */
  timeoutMs?: number;
  /** Written to the tool's standard input, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a tool to completion (bounded by a timeout that kills it) and collects its output. */
export function runTool(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const path = which(bin);
  if (path === undefined) return Promise.reject(new Error(`${bin} is not installed`));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));
    child.stdin!.on('error', () => {}); // the tool may exit without reading its input
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

/** A one-line description of a tool run for assertion messages. */
export function describeRun(bin: string, args: string[], r: RunResult): string {
  return `${bin} ${args.join(' ')} -> code=${r.code} signal=${r.signal} timedOut=${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

// ---------------------------------------------------------------------------
// Ports

function tryBindPair(address: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    udp.once('error', () => {
      udp.close();
      resolve(undefined);
    });
    udp.bind(port, address, () => {
      const got = udp.address().port;
      const tcp = net.createServer();
      tcp.once('error', () => {
        udp.close();
        resolve(undefined);
      });
      tcp.listen({ port: got, host: address, exclusive: true }, () => {
        tcp.close(() => udp.close(() => resolve(got)));
      });
    });
  });
}

const handedOut = new Set<number>();

/**
 * A port number that is free for both UDP and TCP on `address` right now (found by binding
 * port 0 over UDP and then the same number over TCP). The same process never gets the same
 * number twice.
 */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tryBindPair(address, 0);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free UDP+TCP port found on ${address}`);
}

/** `n` distinct free ports (see freePort). */
export async function freePorts(n: number, address = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(address));
  return out;
}

function assertLoopback(address: string): void {
  if (address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) return;
  throw new Error(`peers may only listen on loopback addresses, not ${address}`);
}

// ---------------------------------------------------------------------------
// A tiny DNS probe (hand-built query) used to wait for peers to be ready

export interface ProbeOptions {
  address: string;
  port: number;
  name: string;
  /** RR type number; default 6 (SOA). */
  qtype?: number;
  /** Class number; default 1 (IN); 3 is CH. */
  qclass?: number;
  transport?: 'udp' | 'tcp';
  timeoutMs?: number;
}

export interface ProbeResult {
  rcode: number;
  /** Authoritative Answer bit. */
  aa: boolean;
  tc: boolean;
  ancount: number;
  bytes: number;
}

function encodeQuery(id: number, name: string, qtype: number, qclass: number): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  parts.push(header);
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long: ${l}`);
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(qclass, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

function decodeHeader(id: number, msg: Buffer): ProbeResult | undefined {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) return undefined;
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return undefined;
  return {
    rcode: flags & 0x000f,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    ancount: msg.readUInt16BE(6),
    bytes: msg.length,
  };
}

/** Sends one query and returns the response header; rejects on timeout or socket error. */
export function probe(opts: ProbeOptions): Promise<ProbeResult> {
  const id = Math.floor(Math.random() * 0x10000);
  const query = encodeQuery(id, opts.name, opts.qtype ?? 6, opts.qclass ?? 1);
  const timeoutMs = opts.timeoutMs ?? 500;
  if ((opts.transport ?? 'udp') === 'udp') {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket(opts.address.includes(':') ? 'udp6' : 'udp4');
      const done = (err: Error | undefined, r?: ProbeResult) => {
        clearTimeout(timer);
        sock.close();
        if (err) reject(err);
        else resolve(r!);
      };
      const timer = setTimeout(() => done(new Error('probe timed out')), timeoutMs);
      sock.on('error', (err) => done(err));
      sock.on('message', (msg) => {
        const r = decodeHeader(id, msg);
        if (r) done(undefined, r);
      });
      sock.send(query, opts.port, opts.address);
    });
  }
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: opts.address, port: opts.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, r?: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(r!);
    };
    const timer = setTimeout(() => done(new Error('probe timed out')), timeoutMs);
    sock.on('error', (err) => done(err));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const r = decodeHeader(id, buf.subarray(2, 2 + buf.readUInt16BE(0)));
        done(r ? undefined : new Error('bad TCP response'), r);
      }
    });
    sock.on('end', () => done(new Error('connection closed before a response')));
  });
}

/** Resolves when a TCP connection to address:port succeeds. */
function tcpConnects(address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
  });
}

// ---------------------------------------------------------------------------
// Peer processes

export interface PeerHandle {
  /** 'unbound' or 'nsd'. */
  readonly kind: string;
  readonly address: string;
  /** Plain DNS port (UDP and TCP). */
  readonly port: number;
  /** DNS-over-TLS port, when enabled. */
  readonly tlsPort?: number;
  /** DNS-over-HTTPS port, when enabled (unbound only). */
  readonly httpsPort?: number;
  readonly pid: number;
  /** The temporary directory holding the configuration, log, pid file, ... */
  readonly dir: string;
  readonly configFile: string;
  readonly configText: string;
  /** Whether the process is still running. */
  running(): boolean;
  /** Captured stdout/stderr plus the log file, for failure messages. */
  logs(): string;
  /** Kills the process group (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Anything with an `after` hook: node:test's TestContext or SuiteContext. */
export interface CleanupContext {
  after(fn: () => unknown): unknown;
}

export interface CommonPeerOptions {
  port: number;
  address?: string;
  /** How long to wait for readiness. Default 15 s. */
  startTimeoutMs?: number;
  /** When given, `stop()` is registered with `testContext.after`. */
  testContext?: CleanupContext;
}

/** Running peer processes and not yet removed temp dirs, for the exit hook. */
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const c of live) killGroup(c, 'SIGKILL');
    live.clear();
    if (!process.env.SEALDNS_KEEP_PEER_DIRS) for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
    liveDirs.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

const handles = new Set<PeerHandle>();

/** Stops every peer this process started (for a top-level `after(stopAll)`). */
export async function stopAll(): Promise<void> {
  await Promise.all([...handles].map((h) => h.stop()));
}

const MAX_CAPTURE = 256 * 1024;

interface SpawnPeerSpec {
  kind: string;
  bin: string;
  args: string[];
  dir: string;
  configFile: string;
  configText: string;
  logFile?: string;
  address: string;
  port: number;
  tlsPort?: number;
  httpsPort?: number;
  startTimeoutMs: number;
  testContext?: CleanupContext;
  /** Resolves once the peer serves what it should; rejects (is retried) before that. */
  ready: () => Promise<void>;
}

async function spawnPeer(spec: SpawnPeerSpec): Promise<PeerHandle> {
  const path = toolPath(spec.bin);
  installExitHook();
  const child = spawn(path, spec.args, { cwd: spec.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  liveDirs.add(spec.dir);
  // Do not let a forgotten peer keep the test process alive; the exit hook still kills it.
  child.unref();
  let captured = '';
  const capture = (b: Buffer) => {
    captured += b.toString('utf8');
    if (captured.length > MAX_CAPTURE) captured = captured.slice(-MAX_CAPTURE);
  };
  for (const s of [child.stdout, child.stderr]) {
    s?.on('data', capture);
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exited ??= { code: null, signal: null };
      live.delete(child);
      resolve();
    });
  });

  let finalLogs: string | undefined;
  const readLogs = (): string => {
    if (finalLogs !== undefined) return finalLogs;
    let logText = '';
    if (spec.logFile) {
      try {
        logText = readFileSync(spec.logFile, 'utf8');
      } catch {
        logText = '(no log file)';
      }
    }
    const status = exited ? `exited code=${exited.code} signal=${exited.signal}` : 'running';
    return `[${spec.kind} pid=${child.pid} ${status} dir=${spec.dir}]\n--- output\n${captured}\n--- log\n${logText}${spawnError ? `\n--- spawn error\n${spawnError.message}` : ''}`;
  };

  let stopping: Promise<void> | undefined;
  const handle: PeerHandle = {
    kind: spec.kind,
    address: spec.address,
    port: spec.port,
    tlsPort: spec.tlsPort,
    httpsPort: spec.httpsPort,
    pid: child.pid ?? -1,
    dir: spec.dir,
    configFile: spec.configFile,
    configText: spec.configText,
    running: () => exited === undefined,
    logs: readLogs,
    stop: () => {
      stopping ??= (async () => {
        if (exited === undefined) {
          killGroup(child, 'SIGTERM');
          const t = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
          await exitPromise;
          clearTimeout(t);
        }
        // Children of the peer (nsd forks) share its process group: make sure none is left.
        killGroup(child, 'SIGKILL');
        finalLogs = readLogs();
        handles.delete(handle);
        liveDirs.delete(spec.dir);
        if (!process.env.SEALDNS_KEEP_PEER_DIRS) rmSync(spec.dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  handles.add(handle);
  spec.testContext?.after(() => handle.stop());

  const deadline = Date.now() + spec.startTimeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    try {
      await spec.ready();
      return handle;
    } catch (err) {
      lastErr = err;
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exitPromise]);
  }
  const why = exited !== undefined ? 'exited during startup' : `not ready after ${spec.startTimeoutMs} ms`;
  const logs = readLogs();
  await handle.stop();
  throw new Error(
    `${spec.kind} on ${spec.address}@${spec.port} ${why} (last probe: ${String(lastErr)})\n${logs}\n--- config\n${spec.configText}`,
  );
}

function makeTempDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `sealdns-${kind}-`));
}

function q(s: string): string {
  if (s.includes('"')) {
    if (s.includes("'")) throw new Error(`cannot quote both kinds of quotes in a config value: ${s}`);
    return `'${s}'`;
  }
  return `"${s}"`;
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

// ---------------------------------------------------------------------------
// unbound

export interface TlsServiceOptions {
  port: number;
  keyFile: string;
  certFile: string;
}

export interface UpstreamZone {
  name: string;
  /** Upstream addresses, each "ip" or "ip@port" — loopback only. */
  addrs: string[];
  /** stub-first / forward-first. Default false. */
  first?: boolean;
  /** stub-prime (stub zones only). Default false. */
  prime?: boolean;
  /** Query the upstream over TLS (forward-tls-upstream / stub-tls-upstream). */
  tlsUpstream?: boolean;
}

export interface UnboundOptions extends CommonPeerOptions {
  /** Root hints file path. Default: a generated file whose only root server is 127.0.0.1. */
  rootHints?: string;
  /** Static trust anchor file (turns on the validator module). */
  trustAnchorFile?: string;
  /** Inline trust anchors ("trust-anchor:" lines; turn on the validator module). */
  trustAnchors?: string[];
  stubZones?: UpstreamZone[];
  forwardZones?: UpstreamZone[];
  /** local-zone entries, e.g. { name: 'example.com.', type: 'static' }. */
  localZones?: { name: string; type: string }[];
  /** local-data RRs, e.g. 'www.example.com. 300 IN A 192.0.2.1'. */
  localData?: string[];
  /** Default true (unbound's default). */
  qnameMinimisation?: boolean;
  /** Extra lines appended to the server: clause. */
  extraConfig?: string;
  /** Extra top-level clauses appended after everything else. */
  extraClauses?: string;
  threads?: number;
  verbosity?: number;
  /** DNS-over-TLS service on its own port. */
  tls?: TlsServiceOptions;
  /** DNS-over-HTTPS service (needs `tls` for the key and certificate unless `noTls`). */
  https?: { port: number; endpoint?: string; noTls?: boolean };
}

function assertLoopbackUpstream(addr: string): void {
  const host = addr.replace(/@\d+$/, '');
  assertLoopback(host);
}

/** Starts unbound (foreground, as the current user) and waits until it answers queries. */
export async function startUnbound(opts: UnboundOptions): Promise<PeerHandle> {
  const address = opts.address ?? '127.0.0.1';
  assertLoopback(address);
  const dir = makeTempDir('unbound');
  const configFile = join(dir, 'unbound.conf');
  const logFile = join(dir, 'unbound.log');
  const validating = opts.trustAnchorFile !== undefined || (opts.trustAnchors?.length ?? 0) > 0;
  const hasRootStub = [...(opts.stubZones ?? []), ...(opts.forwardZones ?? [])].some((z) => fqdn(z.name) === '.');
  let rootHints = opts.rootHints;
  if (rootHints === undefined && !hasRootStub) {
    rootHints = join(dir, 'root.hints');
    writeFileSync(rootHints, '.\t3600000\tNS\tloopback-root.invalid.\nloopback-root.invalid.\t3600000\tA\t127.0.0.1\n');
  }

  const L: string[] = ['server:'];
  const s = (line: string) => L.push(`  ${line}`);
  s(`verbosity: ${opts.verbosity ?? 1}`);
  s(`num-threads: ${opts.threads ?? 1}`);
  s(`interface: ${address}@${opts.port}`);
  s(`port: ${opts.port}`);
  if (opts.tls) {
    s(`interface: ${address}@${opts.tls.port}`);
    s(`tls-port: ${opts.tls.port}`);
  }
  if (opts.https) {
    s(`interface: ${address}@${opts.https.port}`);
    s(`https-port: ${opts.https.port}`);
    s(`http-endpoint: ${q(opts.https.endpoint ?? '/dns-query')}`);
    if (opts.https.noTls) s('http-notls-downstream: yes');
  }
  if (opts.tls) {
    s(`tls-service-key: ${q(opts.tls.keyFile)}`);
    s(`tls-service-pem: ${q(opts.tls.certFile)}`);
  }
  s('interface-automatic: no');
  s('so-reuseport: no');
  // Only ever send queries from loopback: a packet to any other address cannot leave.
  s('outgoing-interface: 127.0.0.1');
  s('outgoing-interface: ::1');
  s('do-ip4: yes');
  s('do-ip6: yes');
  s('do-udp: yes');
  s('do-tcp: yes');
  s('access-control: 127.0.0.0/8 allow');
  s('access-control: ::1/128 allow');
  s('username: ""');
  s('chroot: ""');
  s(`directory: ${q(dir)}`);
  s(`pidfile: ${q(join(dir, 'unbound.pid'))}`);
  s('do-daemonize: no');
  s('use-syslog: no');
  s(`logfile: ${q(logFile)}`);
  s('log-time-ascii: yes');
  s('do-not-query-localhost: no');
  s(`qname-minimisation: ${opts.qnameMinimisation === false ? 'no' : 'yes'}`);
  s('harden-glue: yes');
  s('harden-dnssec-stripped: yes');
  s('harden-below-nxdomain: yes');
  s('harden-referral-path: no');
  s('harden-algo-downgrade: no');
  s('val-log-level: 2');
  s('msg-cache-size: 4m');
  s('rrset-cache-size: 8m');
  s('key-cache-size: 4m');
  s('neg-cache-size: 1m');
  s('outgoing-range: 64');
  s('num-queries-per-thread: 32');
  s(`module-config: ${validating ? '"validator iterator"' : '"iterator"'}`);
  if (opts.trustAnchorFile) s(`trust-anchor-file: ${q(opts.trustAnchorFile)}`);
  for (const ta of opts.trustAnchors ?? []) s(`trust-anchor: ${q(ta)}`);
  if (rootHints !== undefined) s(`root-hints: ${q(rootHints)}`);
  for (const lz of opts.localZones ?? []) s(`local-zone: ${q(fqdn(lz.name))} ${lz.type}`);
  for (const ld of opts.localData ?? []) s(`local-data: ${q(ld)}`);
  if (opts.extraConfig) for (const line of opts.extraConfig.split('\n')) s(line.trim());
  L.push('remote-control:', '  control-enable: no');
  for (const z of opts.stubZones ?? []) {
    L.push('stub-zone:', `  name: ${q(fqdn(z.name))}`);
    for (const a of z.addrs) {
      assertLoopbackUpstream(a);
      L.push(`  stub-addr: ${a}`);
    }
    L.push(`  stub-prime: ${z.prime ? 'yes' : 'no'}`, `  stub-first: ${z.first ? 'yes' : 'no'}`);
    if (z.tlsUpstream) L.push('  stub-tls-upstream: yes');
  }
  for (const z of opts.forwardZones ?? []) {
    L.push('forward-zone:', `  name: ${q(fqdn(z.name))}`);
    for (const a of z.addrs) {
      assertLoopbackUpstream(a);
      L.push(`  forward-addr: ${a}`);
    }
    L.push(`  forward-first: ${z.first ? 'yes' : 'no'}`);
    if (z.tlsUpstream) L.push('  forward-tls-upstream: yes');
  }
  if (opts.extraClauses) L.push(opts.extraClauses);
  const configText = `${L.join('\n')}\n`;
  writeFileSync(configFile, configText);

  return spawnPeer({
    kind: 'unbound',
    bin: 'unbound',
    args: ['-d', '-c', configFile],
    dir,
    configFile,
    configText,
    logFile,
    address,
    port: opts.port,
    tlsPort: opts.tls?.port,
    httpsPort: opts.https?.port,
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    testContext: opts.testContext,
    ready: async () => {
      // version.server CH TXT is answered by unbound itself, without recursion.
      await probe({ address, port: opts.port, name: 'version.server', qtype: 16, qclass: 3 });
      await tcpConnects(address, opts.port, 500);
      if (opts.tls) await tcpConnects(address, opts.tls.port, 500);
      if (opts.https) await tcpConnects(address, opts.https.port, 500);
    },
  });
}

// ---------------------------------------------------------------------------
// nsd

export interface NsdZone {
  name: string;
  /** Zone file path (absolute, or relative to the peer's temp dir). */
  file: string;
  /** Extra lines for this zone: clause (e.g. 'provide-xfr: 127.0.0.1 NOKEY'). */
  extra?: string[];
}

export interface NsdOptions extends CommonPeerOptions {
  zones: NsdZone[];
  /** DNS-over-TLS service on its own port. */
  tls?: TlsServiceOptions;
  verbosity?: number;
  /** Extra lines appended to the server: clause. */
  extraConfig?: string;
  /** Extra top-level clauses appended after everything else. */
  extraClauses?: string;
  /**
   * Wait until every zone answers SOA authoritatively (default true). Set false for tests
   * that expect a zone to fail loading.
   */
  waitForZones?: boolean;
}

/** Starts nsd (foreground, as the current user) and waits until every zone is served. */
export async function startNsd(opts: NsdOptions): Promise<PeerHandle> {
  const address = opts.address ?? '127.0.0.1';
  assertLoopback(address);
  const dir = makeTempDir('nsd');
  const configFile = join(dir, 'nsd.conf');
  const logFile = join(dir, 'nsd.log');
  const L: string[] = ['server:'];
  const s = (line: string) => L.push(`  ${line}`);
  s(`ip-address: ${address}@${opts.port}`);
  if (opts.tls) {
    s(`ip-address: ${address}@${opts.tls.port}`);
    s(`tls-port: ${opts.tls.port}`);
    s(`tls-service-key: ${q(opts.tls.keyFile)}`);
    s(`tls-service-pem: ${q(opts.tls.certFile)}`);
  }
  s(`port: ${opts.port}`);
  s('server-count: 1');
  s('reuseport: no');
  s(`verbosity: ${opts.verbosity ?? 2}`);
  s('username: ""');
  s('chroot: ""');
  s(`zonesdir: ${q(dir)}`);
  s('database: ""');
  s(`zonelistfile: ${q(join(dir, 'zone.list'))}`);
  s(`pidfile: ${q(join(dir, 'nsd.pid'))}`);
  s(`logfile: ${q(logFile)}`);
  s(`xfrdfile: ${q(join(dir, 'xfrd.state'))}`);
  s(`xfrdir: ${q(dir)}`);
  s(`cookie-secret-file: ${q(join(dir, 'cookiesecrets.txt'))}`);
  s('hide-version: no');
  if (opts.extraConfig) for (const line of opts.extraConfig.split('\n')) s(line.trim());
  L.push('remote-control:', '  control-enable: no');
  for (const z of opts.zones) {
    L.push('zone:', `  name: ${q(fqdn(z.name))}`, `  zonefile: ${q(z.file)}`);
    for (const e of z.extra ?? []) L.push(`  ${e}`);
  }
  if (opts.extraClauses) L.push(opts.extraClauses);
  const configText = `${L.join('\n')}\n`;
  writeFileSync(configFile, configText);

  const waitForZones = opts.waitForZones ?? true;
  return spawnPeer({
    kind: 'nsd',
    bin: 'nsd',
    args: ['-d', '-c', configFile],
    dir,
    configFile,
    configText,
    logFile,
    address,
    port: opts.port,
    tlsPort: opts.tls?.port,
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    testContext: opts.testContext,
    ready: async () => {
      if (waitForZones && opts.zones.length > 0) {
        for (const z of opts.zones) {
          const r = await probe({ address, port: opts.port, name: fqdn(z.name), qtype: 6 });
          if (r.rcode !== 0 || !r.aa || r.ancount === 0) {
            throw new Error(`zone ${z.name} not served yet (rcode=${r.rcode} aa=${r.aa} ancount=${r.ancount})`);
          }
        }
      } else {
        await probe({ address, port: opts.port, name: 'version.server', qtype: 16, qclass: 3 });
      }
      await tcpConnects(address, opts.port, 500);
      if (opts.tls) await tcpConnects(address, opts.tls.port, 500);
    },
  });
}

// ---------------------------------------------------------------------------
// Certificates

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
}

/**
 * A self-signed P-256 certificate made with openssl for `commonName` (also a DNS SAN, plus
 * IP SANs 127.0.0.1 and ::1), written to `dir`.
 */
export async function makeSelfSignedCert(dir: string, commonName = 'localhost'): Promise<SelfSignedCert> {
  const keyFile = join(dir, `${commonName}.key`);
  const certFile = join(dir, `${commonName}.pem`);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    `subjectAltName=DNS:${commonName},IP:127.0.0.1,IP:::1`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ];
  const r = await runTool('openssl', args, { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`openssl failed: ${describeRun('openssl', args, r)}`);
  return { keyFile, certFile };
}

/** A fresh temporary directory (removed by the caller, e.g. in `after`). */
export function tempDir(prefix = 'sealdns-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
