// `sealdns serve`: load the configuration (file, then flags over it), read the root hints and
// trust anchor, start the resolver and its downstream service, and run until SIGINT/SIGTERM.
// `start` (the lab demo) reuses `startServe` in-process.

import { readFile } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { type DnstapLogger, startDnstap } from '../observe/dnstap.js';
import { Resolver } from '../resolver/resolver.js';
import { builtinRootHints, rootHintsProblem } from '../resolver/root-hints.js';
import { Acl } from '../server/acl.js';
import { type ResolverService, startResolverService } from '../server/service.js';
import { Transport } from '../transport/client.js';
import { systemClock } from '../transport/clock.js';
import { cryptoRandom } from '../transport/random.js';
import { parseRecordsFile, type RR, RRClass, RRType, TextError } from '../wire/index.js';
import { type Config, ConfigError, resolveConfig } from './config.js';

/** Options as commander hands them over (every value still text). */
export interface ServeFlags {
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
  config: Config;
  resolver: Resolver;
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

/** Reads `--config` (when given) and applies the flags over it. ConfigError on any problem. */
export async function loadServeConfig(flags: ServeFlags): Promise<Config> {
  let file: { path: string; text: string } | undefined;
  if (flags.config !== undefined) {
    try {
      file = { path: flags.config, text: await readFile(flags.config, 'utf8') };
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
  return pino({ level, base: { name: 'sealdns' } }, pino.destination({ fd: 2, sync: true }));
}

/** Starts the resolver and its listeners as `config` says. */
export async function startServe(config: Config, log: Logger = makeLogger(config.logLevel)): Promise<Serving> {
  const rootHints =
    config.rootHintsFile === undefined ? builtinRootHints() : await loadRecordsFile('root-hints', config.rootHintsFile);
  const trustAnchor =
    config.trustAnchorFile === undefined ? [] : await loadRecordsFile('trust-anchor', config.trustAnchorFile);
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
    });
  } catch (e) {
    upstream.destroy();
    await dnstap?.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    resolver,
    service,
    trustAnchor,
    rootHints,
    log,
    dnstap,
    close: () => {
      closing ??= service
        .close()
        .then(() => upstream.destroy())
        .then(() => dnstap?.close());
      return closing;
    },
  };
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
  const config = await loadServeConfig(flags);
  const log = makeLogger(config.logLevel);
  const serving = await startServe(config, log);
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
  const sig = await untilSignal();
  log.info({ signal: sig }, 'stopping');
  await serving.close();
}
