// The operating side of a running `sealdns serve` (one process, or one worker under --workers):
// Prometheus metrics and their endpoint, the query log and debug log, the upstream-server view,
// the control socket (stats, flush, servers, reload), and reload itself: a new configuration is
// read and checked in full, the parts that can fail (files, new listeners, the new metrics
// endpoint) are prepared first, and only then is anything switched over — an error leaves the
// old configuration running and is reported to the operator.

import type { Logger } from 'pino';
import { type ControlServer, startControlServer } from '../observe/control.js';
import { startDebugLog, startQueryLog } from '../observe/log.js';
import { Metrics, shareWithPrimary } from '../observe/metrics.js';
import { type MetricsEndpoint, type MetricsSource, startMetricsEndpoint } from '../observe/metrics-http.js';
import { type ServerState, ServerTracker } from '../observe/servers.js';
import { Acl } from '../server/acl.js';
import type { TlsCredentials } from '../server/service.js';
import { systemClock } from '../transport/clock.js';
import { Name, type RR, rrToText } from '../wire/index.js';
import type { Config } from './config.js';
import { buildResolver, loadRecordsFile, readTlsCredentials, type Serving } from './serve.js';

export interface OperationsOptions {
  /** Reads the configuration again (file and flags), for `reload`. */
  reloadConfig: () => Promise<Config>;
  /**
   * 'single': this process serves clients, scrapes and the control socket. 'worker': one of
   * several processes: the primary has the metrics endpoint and the control socket, this process
   * shares its metrics with the primary.
   */
  role?: 'single' | 'worker';
}

/** What a reload did. */
export interface ReloadReport {
  /** What was switched over, e.g. "listeners", "resolver (caches emptied)", "acl". */
  applied: string[];
  /** Options that changed but take effect only at the next start. */
  restartNeeded: string[];
}

export interface Stats {
  pid: number;
  uptimeS: number;
  listeners: readonly { address: string; port: number; transport: string }[];
  queries: { total: number; cacheHits: number; packetHits: number; servfail: number; refused: number };
  aclRefused: number;
  caches: {
    packet: { entries: number; hits: number; misses: number };
    rrset: { entries: number; hits: number; misses: number };
    negative: { entries: number };
  };
  policy: Record<string, number> | undefined;
  upstream: { servers: number; connections: number; tls: Record<string, unknown> };
  reloads: number;
}

export interface Operations {
  readonly metrics: Metrics | undefined;
  readonly tracker: ServerTracker;
  readonly endpoint: MetricsEndpoint | undefined;
  readonly control: ControlServer | undefined;
  stats(): Stats;
  servers(): ServerState[];
  /** Removes `name` (all types) from every cache. */
  flush(name: string): { flushed: string };
  /** Reads the configuration again and applies it; throws (old configuration kept) on errors. */
  reload(): Promise<ReloadReport>;
  /** Applies an already loaded configuration (see reload). */
  apply(next: Config): Promise<ReloadReport>;
  /** Logs where the metrics endpoint and the control socket are (after the "serving" line). */
  announce(): void;
  close(): Promise<void>;
}

/** Stable text of a configuration value for comparisons (Names by text, octets as numbers). */
export function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Uint8Array) return Array.from(x);
    if (x instanceof Name) return x.toString();
    return x;
  });
}

const recordsKey = (rrs: readonly RR[]) => rrs.map(rrToText).join('\n');

/** Starts metrics, logs, the server tracker and (role 'single') the endpoint and control socket. */
export async function startOperations(serving: Serving, opts: OperationsOptions): Promise<Operations> {
  const role = opts.role ?? 'single';
  const log: Logger = serving.log;
  const started = Date.now();
  const tracker = new ServerTracker();
  // only `sealdns control servers` reads it: no control socket, no subscription
  if (serving.config.control !== undefined) tracker.start();
  let metrics: Metrics | undefined;
  let endpoint: MetricsEndpoint | undefined;
  let control: ControlServer | undefined;
  let stopQueryLog: (() => void) | undefined;
  let stopDebugLog = startDebugLog(log);
  let reloads = 0;
  let tlsKey = stableKey(await readTlsCredentials(serving.config));

  const ensureMetrics = (): Metrics => {
    if (metrics === undefined) {
      metrics = new Metrics({ resolver: () => serving.resolver }).start();
      if (role === 'worker') shareWithPrimary(metrics);
    }
    return metrics;
  };
  const setQueryLog = (on: boolean) => {
    if (on && stopQueryLog === undefined) stopQueryLog = startQueryLog(log);
    if (!on && stopQueryLog !== undefined) {
      stopQueryLog();
      stopQueryLog = undefined;
    }
  };

  const ops: Operations = {
    get metrics() {
      return metrics;
    },
    tracker,
    get endpoint() {
      return endpoint;
    },
    get control() {
      return control;
    },
    stats: () => statsOf(serving, started, reloads),
    servers: () => tracker.snapshot(serving.resolver, systemClock.now()),
    flush: (text) => {
      const name = parseName(text);
      serving.resolver.flush(name);
      log.info({ name: name.toString() }, 'flushed from every cache');
      return { flushed: name.toString() };
    },
    reload: async () => ops.apply(await opts.reloadConfig()),
    apply: async (next) => {
      const report = await applyConfig(next);
      reloads++;
      log.info(report, 'configuration reloaded');
      return report;
    },
    announce: () => {
      if (endpoint !== undefined)
        log.info({ metrics: `http://${hostPort(endpoint.address, endpoint.port)}/metrics` }, 'metrics endpoint');
      if (control !== undefined) log.info({ socket: control.path }, 'control socket');
    },
    close: async () => {
      setQueryLog(false);
      stopDebugLog();
      tracker.stop();
      metrics?.stop();
      await Promise.all([endpoint?.close(), control?.close()]);
    },
  };

  /** The reload itself: prepare what can fail, then switch over. */
  async function applyConfig(next: Config): Promise<ReloadReport> {
    const cur = serving.config;
    const applied: string[] = [];
    const restartNeeded: string[] = [];
    // 1. everything read from files, checked before anything changes
    const rootHints =
      next.rootHintsFile === undefined ? serving.rootHints : await loadRecordsFile('root-hints', next.rootHintsFile);
    const trustAnchor =
      next.trustAnchorFile === undefined ? [] : await loadRecordsFile('trust-anchor', next.trustAnchorFile);
    const creds: TlsCredentials | undefined = await readTlsCredentials(next);
    const newTlsKey = stableKey(creds);
    const listenersChanged = stableKey(next.listen) !== stableKey(cur.listen) || newTlsKey !== tlsKey;
    const resolverChanged =
      stableKey(next.resolver) !== stableKey(cur.resolver) ||
      next.rootHintsFile !== cur.rootHintsFile ||
      recordsKey(rootHints) !== recordsKey(serving.rootHints) ||
      recordsKey(trustAnchor) !== recordsKey(serving.trustAnchor);
    // 2. what can fail: a new metrics endpoint, then the new listeners
    let newEndpoint: MetricsEndpoint | undefined;
    const metricsChanged = role === 'single' && stableKey(next.metrics) !== stableKey(cur.metrics);
    if (metricsChanged && next.metrics !== undefined) {
      ensureMetrics();
      newEndpoint = await startEndpoint(next.metrics, log, () => metrics);
    }
    if (listenersChanged) {
      try {
        await serving.service.reconfigure(next.listen, creds);
      } catch (e) {
        await newEndpoint?.close();
        throw e;
      }
      tlsKey = newTlsKey;
      applied.push(stableKey(next.listen) !== stableKey(cur.listen) ? 'listeners' : 'tls certificate');
    }
    // 3. the rest cannot fail
    if (metricsChanged) {
      const old = endpoint;
      endpoint = newEndpoint;
      await old?.close();
      applied.push(next.metrics === undefined ? 'metrics endpoint closed' : 'metrics endpoint');
    }
    if (role === 'worker' && next.metrics !== undefined) ensureMetrics();
    if (resolverChanged) {
      const old = serving.upstream;
      const { resolver, upstream } = buildResolver(next, rootHints, trustAnchor);
      serving.service.setResolver(resolver);
      serving.resolver = resolver;
      serving.upstream = upstream;
      serving.rootHints = rootHints;
      serving.trustAnchor = trustAnchor;
      // queries in flight finish with the old resolver; its connections close when they are done
      void old.close().catch(() => old.destroy());
      applied.push('resolver (caches emptied)');
    }
    if (stableKey(next.acl) !== stableKey(cur.acl)) {
      serving.service.setAcl(new Acl(next.acl));
      applied.push('acl');
    }
    if (next.logLevel !== cur.logLevel) {
      log.level = next.logLevel;
      stopDebugLog();
      stopDebugLog = startDebugLog(log);
      applied.push('log-level');
    }
    if (next.queryLog !== cur.queryLog) {
      setQueryLog(next.queryLog);
      applied.push(next.queryLog ? 'query log on' : 'query log off');
    }
    // 4. what only a restart changes: kept as it is, and said so
    const kept: Partial<Config> = {};
    const keep = <K extends keyof Config>(key: K, label: string) => {
      if (stableKey(next[key]) === stableKey(cur[key])) return;
      kept[key] = cur[key];
      restartNeeded.push(label);
    };
    if (role === 'single') keep('control', 'control');
    keep('workers', 'workers');
    keep('downstream', 'idle-timeout-ms/max-connections/max-connections-per-client/doh-path');
    const handled = new Set<string>([
      'listen',
      'tls',
      'acl',
      'rootHintsFile',
      'trustAnchorFile',
      'logLevel',
      'resolver',
      'metrics',
      'queryLog',
      'control',
      'workers',
      'downstream',
    ]);
    for (const key of Object.keys(next) as (keyof Config)[]) if (!handled.has(key)) keep(key, String(key));
    serving.config = { ...next, ...kept };
    return { applied, restartNeeded };
  }

  try {
    if (serving.config.metrics !== undefined) {
      ensureMetrics();
      if (role === 'single') endpoint = await startEndpoint(serving.config.metrics, log, () => metrics);
    }
    setQueryLog(serving.config.queryLog);
    if (role === 'single' && serving.config.control !== undefined) {
      const { socket, explicit } = serving.config.control;
      try {
        control = await startControlServer(socket, controlHandlers(ops), log);
      } catch (e) {
        // the default socket being taken (another sealdns) is not worth failing the start for
        if (explicit) throw e;
        log.warn({ socket, err: (e as Error).message }, 'no control socket');
      }
    }
  } catch (e) {
    await ops.close();
    throw e;
  }
  return ops;
}

/** The control commands served by this process's Operations. */
export function controlHandlers(ops: Operations) {
  return {
    stats: () => ops.stats(),
    servers: () => ops.servers(),
    flush: (name: string) => ops.flush(name),
    reload: () => ops.reload(),
  };
}

async function startEndpoint(
  where: { address: string; port: number },
  log: Logger,
  metrics: () => Metrics | undefined,
): Promise<MetricsEndpoint> {
  const source: MetricsSource = {
    get contentType() {
      return metrics()?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
    },
    text: () => metrics()?.text() ?? Promise.resolve(''),
  };
  return startMetricsEndpoint(where.address, where.port, source, log);
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A name as typed by the operator: absolute or not, the trailing dot is optional. */
export function parseName(text: string): Name {
  const t = text.trim();
  try {
    return Name.fromText(t.endsWith('.') ? t : `${t}.`);
  } catch (e) {
    throw new Error(`"${text}" is not a domain name: ${(e as Error).message}`);
  }
}

function statsOf(serving: Serving, started: number, reloads: number): Stats {
  const r = serving.resolver;
  const tls = serving.upstream.tls.stats as unknown as Record<string, unknown>;
  return {
    pid: process.pid,
    uptimeS: Math.round((Date.now() - started) / 1000),
    listeners: serving.service.listeners,
    queries: {
      total: r.stats.queries,
      cacheHits: r.stats.cacheHits,
      packetHits: r.stats.packetHits,
      servfail: r.stats.servfail,
      refused: r.stats.refused,
    },
    aclRefused: serving.service.stats.refused,
    caches: {
      packet: { entries: r.packets.size, hits: r.packets.hits, misses: r.packets.misses },
      rrset: { entries: r.cache.size, hits: r.cache.hits, misses: r.cache.misses },
      negative: { entries: r.negative.size },
    },
    policy: r.policy === undefined ? undefined : { ...r.policy.stats },
    upstream: { servers: r.infra.size, connections: serving.upstream.stream.connections, tls: { ...tls } },
    reloads,
  };
}
