import type { PolicyRule } from '../policy/decide.js';
import { Name } from '../wire/index.js';
// The `sealdns serve` configuration in three steps (style anchors 7.18): parse the YAML text,
// validate it against a strict zod schema (unknown keys are errors) into typed values, then
// normalise into `Config`, a separate type with every default filled in. Command-line flags use
// the same keys and schema and override the file key by key. Every problem is reported with the
// path of the offending key (`listen[1].port`, `--upstream-port`) and exits with code 2.

import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { type ZodType, z } from 'zod';
import { defaultResolverConfig, type ResolverConfig } from '../resolver/resolver.js';
import { type Cidr, LOOPBACK_ACL, parseCidr } from '../server/acl.js';
import type { ListenSpec, ServiceTransport } from '../server/service.js';
import { parseServer, UsageError } from './args.js';
import { normaliseOperate, type OperateConfig, operateOptions, resolveOperatePaths } from './config-operate.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The normalised configuration: what `sealdns serve` runs with (operating options: config-operate.ts). */
export interface Config extends OperateConfig {
  /** One entry per listener (a `listen` entry without a transport gives a UDP and a TCP one). */
  listen: ListenSpec[];
  /** Clients served. */
  acl: Cidr[];
  /** Root hints file; undefined means the built-in IANA hints. */
  rootHintsFile: string | undefined;
  /** Trust anchor file (DS or DNSKEY records); undefined means none was configured. */
  trustAnchorFile: string | undefined;
  logLevel: LogLevel;
  resolver: ResolverConfig;
  /** dnstap output (`dnstap:`); undefined means none. */
  dnstap: DnstapSettings | undefined;
}

/** The `dnstap:` section, normalised: where frames go and which messages are written. */
export interface DnstapSettings {
  output: { socket: string } | { file: string };
  identity: string | undefined;
  version: string | undefined;
  /** CLIENT_QUERY / CLIENT_RESPONSE. */
  client: boolean;
  /** RESOLVER_QUERY / RESOLVER_RESPONSE. */
  resolver: boolean;
  /** Frames held while the output is slow or reconnecting; beyond it they are dropped and counted. */
  queueSize: number | undefined;
}

export const DEFAULT_LISTEN = '127.0.0.1:53';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export interface ConfigProblem {
  /** Key path, e.g. `listen[1].port` (or `--upstream-port` for a flag). */
  path: string;
  message: string;
}

/** A bad configuration file or flag; a UsageError, so the CLI exits with code 2. */
export class ConfigError extends UsageError {
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
    super(lines.length === 1 ? `${source}: ${lines[0]}` : `${source}:\n  ${lines.join('\n  ')}`);
    this.source = source;
    this.problems = problems;
  }
}

// --- schema -----------------------------------------------------------------------------------

function intIn(min: number, max: number): ZodType<number> {
  const error = `must be an integer in ${min}..${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

const bool = z.boolean({ error: 'must be true or false' });
const path = z.string({ error: 'must be a file name' }).min(1, { error: 'must be a file name' });
/** RFC 2181 8: TTLs are 31-bit. */
const ttl = intIn(0, 0x7fffffff);

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** A byte count: an integer, or a string with a k/m/g suffix ("128m"). */
const SIZE_ERROR = 'must be a size of at least 64k (bytes, or with a k/m/g suffix)';
const size = z.union([z.int(), z.string()], { error: SIZE_ERROR }).transform((v, ctx) => {
  const m = typeof v === 'number' ? [String(v), String(v), ''] : /^(\d+)\s*([kmg]?)b?$/i.exec(v.trim());
  const n = m === null ? Number.NaN : Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
  if (!Number.isSafeInteger(n) || n < 65_536) {
    ctx.addIssue({ code: 'custom', message: SIZE_ERROR });
    return z.NEVER;
  }
  return n;
});

interface ListenInput {
  address: string;
  port: number;
  transport: ServiceTransport | undefined;
}

const listenEntry = z.union(
  [
    z.string().transform((v, ctx): ListenInput => {
      try {
        return parseListen(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
    z
      .strictObject({
        address: z
          .string({ error: 'must be an IP address' })
          .refine((v) => isIP(v) !== 0, { error: 'must be an IP address' }),
        port: intIn(0, 65535),
        transport: oneOf(['udp', 'tcp', 'dot', 'doh']).optional(),
      })
      .transform((v): ListenInput => ({ address: v.address, port: v.port, transport: v.transport })),
  ],
  { error: 'must be IP:PORT or a mapping {address, port, transport}' },
);

const cidr = z.string({ error: 'must be an address or CIDR block' }).transform((v, ctx) => {
  try {
    return parseCidr(v.trim());
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** An operator transport rule: `{ suffix: example.com, encrypt: required, probing: false }`. */
const policyRule = z
  .strictObject({
    suffix: z.string({ error: 'must be a domain name' }),
    encrypt: oneOf(['required', 'opportunistic', 'off']).optional(),
    probing: bool.optional(),
  })
  .transform((v, ctx): PolicyRule => {
    try {
      const suffix = Name.fromText(v.suffix.endsWith('.') ? v.suffix : `${v.suffix}.`);
      return {
        suffix,
        ...(v.encrypt ? { encrypt: v.encrypt } : {}),
        ...(v.probing === undefined ? {} : { probing: v.probing }),
      };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `bad suffix: ${(e as Error).message}` });
      return z.NEVER;
    }
  });

/** Every option of ResolverConfig, by its config key. */
const resolverOptions = {
  'qname-minimisation': oneOf(['off', 'relaxed', 'strict']),
  'qname-minimisation-qtype': oneOf(['A', 'NS']),
  'upstream-port': intIn(1, 65535),
  ipv4: bool,
  ipv6: bool,
  'min-timeout-ms': intIn(1, 60_000),
  'cache-min-ttl': ttl,
  'cache-max-ttl': ttl,
  'cache-max-bytes': size,
  'negative-max-ttl': ttl,
  'aggressive-nsec': bool,
  'serve-stale': bool,
  'stale-seconds': ttl,
  'stale-reply-ttl': ttl,
  'packet-cache': bool,
  'max-concurrent': intIn(1, 1_000_000),
  'do-not-query-localhost': bool,
  'transport-policy': bool,
  'upstream-encryption': oneOf(['always', 'follow-client', 'off']),
  probing: bool,
  bootstrap: oneOf(['cleartext-first', 'encrypt-first']),
  'svcb-secure-is-strict': bool,
  'attempt-delay-ms': intIn(100, 2000),
  'dot-probe-port': intIn(1, 65535),
  'policy-rules': z.array(policyRule, { error: 'must be a list of {suffix, encrypt?, probing?}' }),
  'cache-partition': oneOf(['shared', 'by-privacy']),
} as const;

/** Config key → ResolverConfig field. */
const RESOLVER_KEYS = {
  'qname-minimisation': 'qnameMinimisation',
  'qname-minimisation-qtype': 'qnameMinimisationQtype',
  'upstream-port': 'upstreamPort',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  'min-timeout-ms': 'minTimeoutMs',
  'cache-min-ttl': 'cacheMinTtl',
  'cache-max-ttl': 'cacheMaxTtl',
  'cache-max-bytes': 'cacheMaxBytes',
  'negative-max-ttl': 'negativeMaxTtl',
  'aggressive-nsec': 'aggressiveNsec',
  'serve-stale': 'serveStale',
  'stale-seconds': 'staleSeconds',
  'stale-reply-ttl': 'staleReplyTtl',
  'packet-cache': 'packetCache',
  'max-concurrent': 'maxConcurrent',
  'do-not-query-localhost': 'doNotQueryLocalhost',
  'transport-policy': 'transportPolicy',
  'upstream-encryption': 'upstreamEncryption',
  probing: 'probing',
  bootstrap: 'bootstrap',
  'svcb-secure-is-strict': 'svcbSecureIsStrict',
  'attempt-delay-ms': 'attemptDelayMs',
  'dot-probe-port': 'dotProbePort',
  'policy-rules': 'policyRules',
  'cache-partition': 'cachePartition',
} as const satisfies { [K in keyof typeof resolverOptions]: keyof ResolverConfig };

/** Fails to compile when ResolverConfig gains a field the config file cannot set. */
type UnmappedResolverField = Exclude<keyof ResolverConfig, (typeof RESOLVER_KEYS)[keyof typeof RESOLVER_KEYS]>;
const everyResolverFieldMapped: [UnmappedResolverField] extends [never] ? true : UnmappedResolverField = true;
void everyResolverFieldMapped;

/** `dnstap: { socket: PATH }` or `{ file: PATH }`, with optional identity, version and message selection. */
const dnstapSection = z
  .strictObject(
    {
      socket: path.optional(),
      file: path.optional(),
      identity: z.string({ error: 'must be a string' }).max(255, { error: 'at most 255 characters' }).optional(),
      version: z.string({ error: 'must be a string' }).max(255, { error: 'at most 255 characters' }).optional(),
      'client-messages': bool.optional(),
      'resolver-messages': bool.optional(),
      'queue-size': intIn(1, 1_000_000).optional(),
    },
    {
      error:
        'must be a mapping {socket | file, identity?, version?, client-messages?, resolver-messages?, queue-size?}',
    },
  )
  .refine((v) => (v.socket === undefined) !== (v.file === undefined), {
    error: 'needs exactly one of socket (a unix socket path) or file',
  });

const configSchema = z
  .strictObject({
    listen: z.array(listenEntry, { error: 'must be a list of IP:PORT or {address, port, transport}' }).min(1, {
      error: 'must not be empty',
    }),
    acl: z.array(cidr, { error: 'must be a list of addresses or CIDR blocks' }),
    'root-hints': path,
    'trust-anchor': path,
    'log-level': oneOf(LOG_LEVELS),
    ...operateOptions,
    dnstap: dnstapSection,
    ...resolverOptions,
  })
  .partial();

/** A validated configuration layer (file or flags): typed values, keys as written, all optional. */
export type ConfigInput = z.output<typeof configSchema>;

/** The option keys (the same for the file and, with `--`, for flags). */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);

// --- parse, validate, normalise ---------------------------------------------------------------

/** Step 1: YAML text to plain data. An empty file is an empty mapping. */
export function parseConfigText(text: string, source: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // The first line of a yaml error names the problem and its line and column.
    const problems = doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0].replace(/:$/, '') }));
    throw new ConfigError(source, problems);
  }
  return doc.toJS() ?? {};
}

/**
 * Step 2: checks plain data against the schema. `flags` reports paths as `--key` (the command
 * line uses the file's keys as flags).
 */
export function validateConfig(data: unknown, source: string, opts: { flags?: boolean } = {}): ConfigInput {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(source, [{ path: '', message: 'must be a mapping of options (key: value)' }]);
  const r = configSchema.safeParse(data);
  if (r.success) return r.data;
  // Reported in the order the keys were written.
  const order = Object.keys(data);
  const rank = (p: { path: PropertyKey[] }) => order.indexOf(String(p.path[0]));
  const problems = flattenIssues(r.error.issues as readonly Issue[])
    .sort((a, b) => rank(a) - rank(b))
    .map((p) => ({ path: formatPath(p.path, opts.flags === true), message: p.message }));
  throw new ConfigError(source, problems);
}

/** Step 3: defaults filled in, listen entries expanded per transport, cross-key checks. */
export function normaliseConfig(input: ConfigInput, source = 'configuration'): Config {
  const resolver: ResolverConfig = { ...defaultResolverConfig };
  const set = resolver as unknown as Record<string, unknown>;
  for (const key of Object.keys(RESOLVER_KEYS) as (keyof typeof RESOLVER_KEYS)[]) {
    const v = input[key];
    if (v !== undefined) set[RESOLVER_KEYS[key]] = v;
  }
  const problems: ConfigProblem[] = [];
  if (resolver.cacheMinTtl > resolver.cacheMaxTtl)
    problems.push({
      path: 'cache-min-ttl',
      message: `${resolver.cacheMinTtl} is above cache-max-ttl ${resolver.cacheMaxTtl}`,
    });
  if (!resolver.ipv4 && !resolver.ipv6)
    problems.push({ path: 'ipv6', message: 'ipv4 and ipv6 cannot both be false (no way to reach upstreams)' });
  if (problems.length > 0) throw new ConfigError(source, problems);

  const listen: ListenSpec[] = [];
  for (const l of input.listen ?? [parseListen(DEFAULT_LISTEN)]) {
    for (const transport of l.transport === undefined ? (['udp', 'tcp'] as const) : [l.transport])
      listen.push({ address: l.address, port: l.port, transport });
  }
  const operate = normaliseOperate(input, listen);
  if (operate.problems.length > 0) throw new ConfigError(source, operate.problems);
  return {
    ...operate.config,
    listen,
    acl: input.acl ?? LOOPBACK_ACL.map(parseCidr),
    rootHintsFile: input['root-hints'],
    trustAnchorFile: input['trust-anchor'],
    logLevel: input['log-level'] ?? DEFAULT_LOG_LEVEL,
    resolver,
    dnstap: normaliseDnstap(input.dnstap),
  };
}

function normaliseDnstap(d: ConfigInput['dnstap']): DnstapSettings | undefined {
  if (d === undefined) return undefined;
  return {
    output: d.socket !== undefined ? { socket: d.socket } : { file: d.file! },
    identity: d.identity,
    version: d.version,
    client: d['client-messages'] ?? true,
    resolver: d['resolver-messages'] ?? true,
    queueSize: d['queue-size'],
  };
}

/** `IP`, `IP:PORT` or `[IPv6]:PORT` (default port 53); port 0 lets the kernel choose. */
function parseListen(text: string): ListenInput {
  const zero = /^(.*):0$/.exec(text);
  if (zero !== null && isIP(text) === 0) {
    const { ip } = parseServer(`${zero[1]}:53`, 53);
    return { address: ip, port: 0, transport: undefined };
  }
  const { ip, port } = parseServer(text, 53);
  return { address: ip, port, transport: undefined };
}

export interface ConfigSources {
  /** The configuration file's text and name (its relative file names are relative to its directory). */
  file?: { path: string; text: string };
  /** Flag values under the config keys (`'upstream-port': 5353`); undefined values are ignored. */
  flags?: Record<string, unknown>;
}

/** The whole pipeline: the file, then the flags over it, key by key. */
export function resolveConfig(sources: ConfigSources): Config {
  let merged: ConfigInput = {};
  if (sources.file !== undefined) {
    const { path: file, text } = sources.file;
    const fromFile = validateConfig(parseConfigText(text, file), file);
    const base = dirname(resolve(file));
    for (const key of ['root-hints', 'trust-anchor'] as const) {
      const p = fromFile[key];
      if (p !== undefined) fromFile[key] = resolve(base, p);
    }
    resolveOperatePaths(fromFile, base);
    const dt = fromFile.dnstap;
    if (dt !== undefined)
      fromFile.dnstap = {
        ...dt,
        ...(dt.socket === undefined ? {} : { socket: resolve(base, dt.socket) }),
        ...(dt.file === undefined ? {} : { file: resolve(base, dt.file) }),
      };
    merged = fromFile;
  }
  if (sources.flags !== undefined) {
    const given = Object.fromEntries(Object.entries(sources.flags).filter(([, v]) => v !== undefined));
    merged = { ...merged, ...validateConfig(given, 'command line', { flags: true }) };
  }
  return normaliseConfig(merged, sources.file?.path ?? 'command line');
}

// --- issue formatting -------------------------------------------------------------------------

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: Issue[][];
}

/**
 * zod issues with absolute paths: unknown keys get one problem each (with a suggestion when a
 * known key is close), and a union reports the branch that matched the value's shape, or its
 * own message when none did.
 */
function flattenIssues(issues: readonly Issue[], base: PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    const at = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys ?? []) {
        const hint = at.length === 0 ? nearest(k, CONFIG_KEYS) : undefined;
        out.push({ path: [...at, k], message: `unknown key${hint ? ` (did you mean ${hint}?)` : ''}` });
      }
      continue;
    }
    const branch =
      issue.code === 'invalid_union'
        ? issue.errors?.find((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === 0))
        : undefined;
    if (branch !== undefined) out.push(...flattenIssues(branch, at));
    else out.push({ path: at, message: issue.message });
  }
  return out;
}

function formatPath(path: PropertyKey[], flags: boolean): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return flags && s !== '' ? `--${s}` : s;
}

/** The known key closest to `key` (edit distance at most 2), if any. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
