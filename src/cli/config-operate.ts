// The operating options of `sealdns serve` (README "Operations"): the certificate of the DoT and
// DoH listeners, downstream connection limits, the Prometheus endpoint, the query log, the
// control socket and the number of worker processes. config.ts merges these keys into its schema
// and its normalised Config; the three steps (parse, validate, normalise) are the same.
//
//   tls: { cert: server.pem, key: server.key }
//   metrics: 127.0.0.1:9153                 # or { address: 127.0.0.1, port: 9153 }
//   query-log: true
//   control: { socket: /run/sealdns/control.sock }   # or false (default: $XDG_RUNTIME_DIR/sealdns.sock)
//   workers: 4
//   idle-timeout-ms: 10000
//   max-connections: 256
//   max-connections-per-client: 16
//   doh-path: /dns-query

import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type ZodType, z } from 'zod';
import { defaultControlSocket } from '../observe/control.js';
import type { ListenSpec } from '../server/service.js';
import { parseServer } from './args.js';

/** The operating part of the normalised Config. */
export interface OperateConfig {
  /** Certificate chain and key files of the DoT and DoH listeners. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Prometheus endpoint; undefined means none. */
  metrics: { address: string; port: number } | undefined;
  /** One log line per client request. */
  queryLog: boolean;
  /** Control socket; undefined means none. `explicit` is false for the default path. */
  control: { socket: string; explicit: boolean } | undefined;
  /** Worker processes (1: the server runs in the process itself). */
  workers: number;
  downstream: {
    idleTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerClient: number | undefined;
    dohPath: string;
  };
}

export const DEFAULT_METRICS_PORT = 9153;
export const MAX_WORKERS = 64;

function intIn(min: number, max: number): ZodType<number> {
  const error = `must be an integer in ${min}..${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

const file = z.string({ error: 'must be a file name' }).min(1, { error: 'must be a file name' });

const address = z
  .string({ error: 'must be an IP address' })
  .refine((v) => isIP(v) !== 0, { error: 'must be an IP address' });

const endpoint = z.union(
  [
    z.string().transform((v, ctx) => {
      try {
        const { ip, port } = parseServer(v, DEFAULT_METRICS_PORT);
        return { address: ip, port };
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
    z.strictObject({ address, port: intIn(0, 65535) }),
  ],
  { error: 'must be IP:PORT or a mapping {address, port}' },
);

/** The schema entries config.ts spreads into its own. */
export const operateOptions = {
  tls: z.strictObject({ cert: file, key: file }, { error: 'must be a mapping {cert: FILE, key: FILE}' }),
  metrics: endpoint,
  'query-log': z.boolean({ error: 'must be true or false' }),
  // the mapping first: its unknown keys are reported by name
  control: z.union(
    [z.strictObject({ socket: file }), z.literal(false, { error: 'must be a mapping {socket: PATH}, or false' })],
    { error: 'must be a mapping {socket: PATH}, or false' },
  ),
  workers: intIn(1, MAX_WORKERS),
  'idle-timeout-ms': intIn(100, 3_600_000),
  'max-connections': intIn(1, 1_000_000),
  'max-connections-per-client': intIn(1, 1_000_000),
  'doh-path': z
    .string({ error: 'must be a URL path' })
    .refine((v) => v.startsWith('/') && !v.includes('?') && !/\s/.test(v), {
      error: 'must be a URL path such as /dns-query',
    }),
} as const;

type OperateInput = Partial<{ -readonly [K in keyof typeof operateOptions]: z.output<(typeof operateOptions)[K]> }>;

/** Relative file names of the configuration file are relative to its directory. */
export function resolveOperatePaths(fromFile: OperateInput, base: string): void {
  if (fromFile.tls !== undefined)
    fromFile.tls = { cert: resolve(base, fromFile.tls.cert), key: resolve(base, fromFile.tls.key) };
  if (fromFile.control !== undefined && fromFile.control !== false)
    fromFile.control = { socket: resolve(base, fromFile.control.socket) };
}

/** Defaults and cross-key checks; problems are returned for config.ts to report with its own. */
export function normaliseOperate(
  input: OperateInput,
  listen: readonly ListenSpec[],
): { config: OperateConfig; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = [];
  const encrypted = listen.find((l) => l.transport === 'dot' || l.transport === 'doh');
  if (encrypted !== undefined && input.tls === undefined)
    problems.push({
      path: 'tls',
      message: `a ${encrypted.transport} listener (${encrypted.address}:${encrypted.port}) needs tls: { cert: FILE, key: FILE }`,
    });
  const control =
    input.control === false
      ? undefined
      : input.control === undefined
        ? { socket: defaultControlSocket(), explicit: false }
        : { socket: input.control.socket, explicit: true };
  return {
    problems,
    config: {
      tls: input.tls === undefined ? undefined : { certFile: input.tls.cert, keyFile: input.tls.key },
      metrics: input.metrics,
      queryLog: input['query-log'] ?? false,
      control,
      workers: input.workers ?? 1,
      downstream: {
        idleTimeoutMs: input['idle-timeout-ms'] ?? 10_000,
        maxConnections: input['max-connections'] ?? 256,
        maxConnectionsPerClient: input['max-connections-per-client'],
        dohPath: input['doh-path'] ?? '/dns-query',
      },
    },
  };
}

/** The command-line flags of the operating options (commander hands over text). */
export interface OperateFlags {
  listen?: string[];
  listenDot?: string[];
  listenDoh?: string[];
  tlsCert?: string;
  tlsKey?: string;
  metrics?: string;
  queryLog?: boolean;
  controlSocket?: string;
  workers?: string;
}

/**
 * The flags under their config keys. `--listen` (UDP and TCP), `--listen-dot` and `--listen-doh`
 * together make the `listen` list, replacing the file's.
 */
export function operateFlags(f: OperateFlags): Record<string, unknown> {
  const listen = [
    ...(f.listen ?? []),
    ...listenFlags(f.listenDot, 'dot', 853),
    ...listenFlags(f.listenDoh, 'doh', 443),
  ];
  return {
    listen: listen.length > 0 ? listen : undefined,
    tls:
      f.tlsCert === undefined && f.tlsKey === undefined
        ? undefined
        : {
            ...(f.tlsCert === undefined ? {} : { cert: f.tlsCert }),
            ...(f.tlsKey === undefined ? {} : { key: f.tlsKey }),
          },
    metrics: f.metrics,
    'query-log': f.queryLog,
    control:
      f.controlSocket === undefined ? undefined : f.controlSocket === 'off' ? false : { socket: f.controlSocket },
    workers: f.workers !== undefined && /^\d{1,4}$/.test(f.workers) ? Number(f.workers) : f.workers,
  };
}

/** `IP[:PORT]` of a --listen-dot/--listen-doh flag as a listen entry (an unparseable one is left for the schema). */
function listenFlags(values: string[] | undefined, transport: 'dot' | 'doh', defaultPort: number): unknown[] {
  return (values ?? []).map((v) => {
    try {
      const zero = /^(.*):0$/.exec(v);
      const { ip, port } =
        zero !== null && isIP(v) === 0 ? { ...parseServer(zero[1], 1), port: 0 } : parseServer(v, defaultPort);
      return { address: ip, port, transport };
    } catch {
      return v;
    }
  });
}
