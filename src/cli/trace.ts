// `sealdns query NAME [TYPE] --trace`: resolves in this process (a Resolver and its upstream Transport, no server)
// and prints the answer, then the privacy report: one row per upstream exchange — which server (name, address,
// zone), what was asked, over which transport, encrypted or not, authenticated or not, why that transport (strict
// signal, opportunistic signal, probe, fallback, policy, bootstrap) and how it ended.

import { levelName, PRIVACY_OPTION_CODE, summarise, summaryText } from '../resolver/privacy.js';
import type { Hop } from '../resolver/request.js';
import { defaultResolverConfig, Resolver } from '../resolver/resolver.js';
import { builtinRootHints } from '../resolver/root-hints.js';
import { Transport } from '../transport/client.js';
import { systemClock } from '../transport/clock.js';
import { cryptoRandom } from '../transport/random.js';
import { makeQuery, messageToText, Name, typeFromText, typeToText } from '../wire/index.js';
import { parseIntOption, UsageError } from './args.js';
import { loadRecordsFile } from './serve.js';

export interface TraceOptions {
  rootHints?: string;
  trustAnchor?: string;
  bootstrap?: string;
  upstreamEncryption?: string;
  upstreamPort?: string;
  dotProbePort?: string;
  dnssec?: boolean;
  cd?: boolean;
  /** IPv6 upstream (default on, as in `serve`). */
  ipv6?: boolean;
}

const ALIGN_RIGHT = new Set(['#', 'rtt']);

/** Text table, columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (ALIGN_RIGHT.has(header[i]) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The hop table: one row per upstream exchange, in the order they were sent. */
export function hopTable(hops: readonly Hop[]): string {
  const header = [
    '#',
    'server',
    'address',
    'zone',
    'query',
    'transport',
    'encrypted',
    'authenticated',
    'why',
    'outcome',
    'rtt',
  ];
  const rows = hops.map((h, i) => [
    String(i + 1),
    (h.server ?? '-').replace(/\.$/, '') || '.',
    h.ip,
    h.zone,
    `${h.qname}/${typeToText(h.qtype)}`,
    `${h.protocol}/${h.port}`,
    h.encrypted ? 'yes' : 'no',
    h.authenticated ? 'yes' : 'no',
    h.why,
    h.outcome + (h.detail && h.outcome !== 'aborted' ? ` (${h.detail})` : ''),
    h.rttMs === undefined ? '-' : `${h.rttMs.toFixed(1)} ms`,
  ]);
  return formatTable(header, rows);
}

function oneOf<T extends string>(flag: string, v: string | undefined, values: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new UsageError(`${flag}: must be one of ${values.join(', ')}`);
  return v as T;
}

/** Resolves (name, type) in-process and returns the answer and the hop table as text. */
export async function runTrace(
  nameText: string,
  typeText: string | undefined,
  opts: TraceOptions,
): Promise<{ text: string; rcode: number; hops: Hop[] }> {
  let name: Name;
  try {
    name = Name.fromText(nameText.endsWith('.') ? nameText : `${nameText}.`);
  } catch (e) {
    throw new UsageError(`bad name "${nameText}": ${(e as Error).message}`);
  }
  const type = typeFromText(typeText ?? 'A');
  if (type === undefined) throw new UsageError(`unknown type "${typeText}"`);
  const bootstrap = oneOf('--bootstrap', opts.bootstrap, ['cleartext-first', 'encrypt-first'] as const);
  const upstreamEncryption = oneOf('--upstream-encryption', opts.upstreamEncryption, [
    'always',
    'follow-client',
    'off',
  ] as const);
  const upstreamPort =
    opts.upstreamPort === undefined ? 53 : parseIntOption('--upstream-port', opts.upstreamPort, 1, 65535);
  const dotProbePort =
    opts.dotProbePort === undefined ? 853 : parseIntOption('--dot-probe-port', opts.dotProbePort, 1, 65535);
  const rootHints =
    opts.rootHints === undefined ? builtinRootHints() : await loadRecordsFile('root-hints', opts.rootHints);
  const anchors = opts.trustAnchor === undefined ? [] : await loadRecordsFile('trust-anchor', opts.trustAnchor);

  const transport = new Transport({ clock: systemClock, random: cryptoRandom });
  const resolver = new Resolver(
    {
      upstream: transport,
      clock: systemClock,
      random: cryptoRandom,
      rootHints,
      trustAnchors: anchors.length > 0 ? anchors : undefined,
    },
    {
      upstreamPort,
      dotProbePort,
      ipv6: opts.ipv6 ?? defaultResolverConfig.ipv6,
      packetCache: false,
      ...(bootstrap ? { bootstrap } : {}),
      ...(upstreamEncryption ? { upstreamEncryption } : {}),
    },
  );
  const query = makeQuery(name, type, {
    id: cryptoRandom.int(0x10000),
    rd: true,
    cd: opts.cd ?? false,
    dnssecOk: opts.dnssec ?? false,
  });
  // ask for the privacy report the way a client would: the EDNS option (its answer shows in the OPT section)
  query.edns?.options.push({ kind: 'raw', code: PRIVACY_OPTION_CODE, data: new Uint8Array(0) });
  const started = performance.now();
  try {
    const h = await resolver.handle(query, { transport: 'internal' });
    const ms = Math.round(performance.now() - started);
    const hops = h.state?.hops ?? [];
    const summary = summarise(hops, { fromCache: h.cacheHit });
    const lines = [
      messageToText(h.response),
      '',
      `;; Query time: ${ms} msec (resolved in-process${anchors.length > 0 ? ', DNSSEC validation on' : ', no trust anchor: DNSSEC validation off'})`,
      `;; PRIVACY: ${levelName(summary.level)} (level ${summary.level}): ${summaryText(summary, hops).replace(/^privacy: /, '')}`,
      '',
      `;; UPSTREAM HOPS (${hops.length}):`,
      hops.length > 0 ? hopTable(hops) : ';; none',
    ];
    const notes = h.state?.explain.filter((e) => e.stage === 'transport') ?? [];
    if (notes.length > 0) lines.push('', ';; TRANSPORT NOTES:', ...notes.map((e) => `;; ${e.text}`));
    return { text: lines.join('\n'), rcode: h.response.rcode, hops };
  } finally {
    // background RFC 9539 probes may still be connecting: nothing more is needed from them
    transport.destroy();
  }
}
