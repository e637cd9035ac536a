// `sealdns serve`: load the configuration (file, then flags over it), read the root hints and
// trust anchor, start the resolver and its downstream service, and run until SIGINT/SIGTERM.
// `start` (the lab demo) reuses `startServe` in-process. The operating side (metrics, query log,
// control socket, reload) is operate.ts; `--workers N` is cluster.ts.

import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { type DnstapLogger, startDnstap } from '../observe/dnstap.js';
import { createLogger } from '../observe/log.js';
import { Resolver } from '../resolver/resolver.js';
import { builtinRootHints, rootHintsProblem } from '../resolver/root-hints.js';
import { Acl } from '../server/acl.js';
import { type ResolverService, startResolverService, type TlsCredentials } from '../server/service.js';
import { Transport } from '../transport/client.js';
import { systemClock } from '../transport/clock.js';
import { cryptoRandom } from '../transport/random.js';
import { parseRecordsFile, type RR, RRClass, RRType, TextError } from '../wire/index.js';
import { type Config, ConfigError, resolveConfig } from './config.js';
import { type OperateFlags, operateFlags } from './config-operate.js';

/** Options as commander hands them over (every value still text). */
export interface ServeFlags extends OperateFlags {
  config?: string;
  listen?: string[];
  acl?: string[];
  rootHints?: string;
  trustAnchor?: string;
  qnameMinimisation?: string;
  upstreamPort?: string;
  logLevel?: string;
}

/** The running resolver: what `startServe` started, and how to stop it. */
export interface Serving {
  /** The configuration in force (replaced by a successful reload). */
  config: Config;
  /** The resolver queries go to now (a reload may replace it, and `upstream` with it). */
  resolver: Resolver;
  upstream: Transport;
  service: ResolverService;
  /** Trust anchor records read from the configured file (empty without one). */
  trustAnchor: RR[];
  /** Root hints in use (the built-in IANA hints when no file was configured). */
  rootHints: RR[];
  log: Logger;
  /** The dnstap output, when `dnstap:` is configured. */
  dnstap: DnstapLogger | undefined;
  /** Stops serving, then fails whatever upstream work is still in flight. Idempotent. */
  close(): Promise<void>;
}

/**
 * Reads `--config` (when given) and applies the flags over it. ConfigError on any problem.
 * `fileText` stands for the file's content when it was read already (workers get it from the primary).
 */
export async function loadServeConfig(flags: ServeFlags, fileText?: string): Promise<Config> {
  let file: { path: string; text: string } | undefined;
  if (flags.config !== undefined) {
    try {
      file = { path: flags.config, text: fileText ?? (await readFile(flags.config, 'utf8')) };
    } catch (e) {
      throw new ConfigError('command line', [{ path: '--config', message: (e as Error).message }]);
    }
  }
  return resolveConfig({
    file,
    flags: {
      listen: flags.listen,
      acl: flags.acl,
      'root-hints': flags.rootHints,
      'trust-anchor': flags.trustAnchor,
      'qname-minimisation': flags.qnameMinimisation,
      'upstream-port': numberIfDigits(flags.upstreamPort),
      'log-level': flags.logLevel,
      ...operateFlags(flags),
    },
  });
}

/** Digits become a number; anything else stays text for the schema to reject by name. */
function numberIfDigits(v: string | undefined): number | string | undefined {
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : v;
}

/**
 * Reads a records file of the configuration: root hints (`root-hints`) or a trust anchor
 * (`trust-anchor`), and checks what it holds. Problems are ConfigErrors naming the key.
 */
export async function loadRecordsFile(key: 'root-hints' | 'trust-anchor', file: string): Promise<RR[]> {
  const fail = (message: string): never => {
    throw new ConfigError(file, [{ path: key, message }]);
  };
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    fail(`cannot read: ${(e as Error).message}`);
  }
  let rrs: RR[] = [];
  try {
    rrs = parseRecordsFile(text, { defaultTtl: key === 'root-hints' ? 3_600_000 : 0 });
  } catch (e) {
    if (!(e instanceof TextError)) throw e;
    fail(e.message);
  }
  const foreign = rrs.find((rr) => rr.class !== RRClass.IN);
  if (foreign) fail(`${foreign.name}: only class IN records are accepted`);
  if (key === 'root-hints') {
    const problem = rootHintsProblem(rrs);
    if (problem !== undefined) fail(problem);
  } else {
    const other = rrs.find((rr) => rr.type !== RRType.DS && rr.type !== RRType.DNSKEY);
    if (other) fail(`${other.name}: a trust anchor holds DS or DNSKEY records only`);
    if (rrs.length === 0) fail('no DS or DNSKEY record');
  }
  return rrs;
}

export function makeLogger(level: Config['logLevel']): Logger {
  return createLogger(level);
}

/** A resolver (and the transport it sends with) as `config` says. */
export function buildResolver(
  config: Config,
  rootHints: RR[],
  trustAnchor: RR[],
): { resolver: Resolver; upstream: Transport } {
  const upstream = new Transport({ clock: systemClock, random: cryptoRandom });
  const resolver = new Resolver(
    {
      upstream,
      clock: systemClock,
      random: cryptoRandom,
      rootHints,
      trustAnchors: trustAnchor.length > 0 ? trustAnchor : undefined,
    },
    config.resolver,
  );
  return { resolver, upstream };
}

/** Reads the certificate chain and key of the DoT/DoH listeners (ConfigError naming `tls`). */
export async function readTlsCredentials(config: Config): Promise<TlsCredentials | undefined> {
  if (config.tls === undefined) return undefined;
  const read = async (key: 'cert' | 'key', file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, [{ path: `tls.${key}`, message: `cannot read: ${(e as Error).message}` }]);
    }
  };
  const creds = { certPem: await read('cert', config.tls.certFile), keyPem: await read('key', config.tls.keyFile) };
  try {
    tls.createSecureContext({ cert: creds.certPem, key: creds.keyPem });
  } catch (e) {
    throw new ConfigError(config.tls.certFile, [
      { path: 'tls', message: `certificate and key do not load: ${(e as Error).message}` },
    ]);
  }
  return creds;
}

/** Starts the resolver and its listeners as `config` says. */
export async function startServe(config: Config, log: Logger = makeLogger(config.logLevel)): Promise<Serving> {
  const rootHints =
    config.rootHintsFile === undefined ? builtinRootHints() : await loadRecordsFile('root-hints', config.rootHintsFile);
  const trustAnchor =
    config.trustAnchorFile === undefined ? [] : await loadRecordsFile('trust-anchor', config.trustAnchorFile);
  const tlsCreds = await readTlsCredentials(config);
  const { resolver, upstream } = buildResolver(config, rootHints, trustAnchor);
  const dnstap =
    config.dnstap === undefined
      ? undefined
      : startDnstap({
          output: config.dnstap.output,
          identity: config.dnstap.identity,
          version: config.dnstap.version ?? 'sealdns',
          client: config.dnstap.client,
          resolver: config.dnstap.resolver,
          writer: {
            ...(config.dnstap.queueSize === undefined ? {} : { maxQueuedFrames: config.dnstap.queueSize }),
            onError: (err) => log.warn({ err }, 'dnstap output'),
          },
        });
  let service: ResolverService;
  try {
    service = await startResolverService({
      listen: config.listen,
      resolver,
      acl: new Acl(config.acl),
      log,
      ...(tlsCreds === undefined ? {} : { tls: tlsCreds }),
      dohPath: config.downstream.dohPath,
      idleTimeoutMs: config.downstream.idleTimeoutMs,
      maxTcpConnections: config.downstream.maxConnections,
      ...(config.downstream.maxConnectionsPerClient === undefined
        ? {}
        : { maxConnectionsPerClient: config.downstream.maxConnectionsPerClient }),
    });
  } catch (e) {
    upstream.destroy();
    await dnstap?.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const serving: Serving = {
    config,
    resolver,
    upstream,
    service,
    trustAnchor,
    rootHints,
    log,
    dnstap,
    close: () => {
      closing ??= service
        .close()
        .then(() => serving.upstream.destroy())
        .then(() => dnstap?.close());
      return closing;
    },
  };
  return serving;
}

/** "udp 127.0.0.1:5300, tcp 127.0.0.1:5300" */
export function describeListeners(service: ResolverService): string {
  return service.listeners
    .map((l) => `${l.transport} ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`)
    .join(', ');
}

/** Resolves with the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(sig);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

/** The `serve` command: runs until SIGINT/SIGTERM, then closes everything (exit code 0). */
export async function runServe(flags: ServeFlags): Promise<void> {
  if (cluster.isWorker) {
    const { runWorker } = await import('./cluster.js');
    return runWorker(flags);
  }
  const config = await loadServeConfig(flags);
  if (config.workers > 1) {
    const { runPrimary } = await import('./cluster.js');
    return runPrimary(flags, config);
  }
  const log = makeLogger(config.logLevel);
  const serving = await startServe(config, log);
  const { startOperations } = await import('./operate.js');
  let ops: Awaited<ReturnType<typeof startOperations>>;
  try {
    ops = await startOperations(serving, { reloadConfig: () => loadServeConfig(flags) });
  } catch (e) {
    await serving.close();
    throw e;
  }
  if (serving.trustAnchor.length === 0)
    log.warn('no trust anchor configured (--trust-anchor): DNSSEC validation is off');
  log.info(
    {
      listen: describeListeners(serving.service),
      rootHints: config.rootHintsFile ?? 'built-in (IANA)',
      trustAnchor: config.trustAnchorFile,
    },
    'serving',
  );
  process.stdout.write(`sealdns: serving on ${describeListeners(serving.service)}\n`);
  ops.announce();
  const sig = await untilSignal();
  log.info({ signal: sig }, 'stopping');
  await ops.close();
  await serving.close();
}
