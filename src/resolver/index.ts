/** Public surface of the resolver layer. */
import type { Clock } from '../transport/clock.js';
import { cryptoRandom } from '../transport/random.js';
import type { Upstream } from '../transport/upstream.js';
import { type Message, Name, type RR, RRClass, RRType } from '../wire/index.js';
import { Resolver, type ResolverConfig } from './resolver.js';

export { LIMITS } from './limits.js';
export { type ClientInfo, defaultResolverConfig, type Handled, Resolver, type ResolverConfig } from './resolver.js';

/**
 * Factory used by the scenario runner (test/scenarios): a resolver wired to the
 * scenario's scripted upstream and clock. Kept here so test tooling never reaches into
 * resolver internals.
 */
export function createScenarioResolver(opts: {
  rootHints: RR[];
  trustAnchors: RR[];
  clock: Clock;
  upstream: Upstream;
  qnameMinimisation: boolean;
  options: Record<string, string>;
  /** The normalised scenario config; `flavour` tells which resolver the file was written for. */
  config?: { flavour: 'deckard' | 'testbound'; stubZones?: { name: Name; addrs: string[] }[] };
}): { resolve(q: Message): Promise<Message> } {
  const config: Partial<ResolverConfig> = {
    qnameMinimisation: opts.qnameMinimisation ? 'relaxed' : 'off',
    // Deckard files script Knot Resolver's minimised queries (QTYPE NS), testbound files Unbound's (QTYPE A)
    qnameMinimisationQtype: opts.config?.flavour === 'deckard' ? 'NS' : 'A',
    minTimeoutMs: 1,
    packetCache: false,
    // scenario files script only the queries of plain iteration: no transport-signal lookups
    transportPolicy: false,
  };
  if (opts.options['do-ip6'] === 'no') config.ipv6 = false;
  if (opts.options['do-ip4'] === 'no') config.ipv4 = false;
  if (/^(no|off|false)$/i.test(opts.options['do-not-query-localhost'] ?? '')) config.doNotQueryLocalhost = false;
  const resolver = new Resolver(
    {
      upstream: opts.upstream,
      clock: opts.clock,
      random: cryptoRandom,
      rootHints: opts.rootHints,
      stubHints: stubHints(opts.config?.stubZones ?? []),
      trustAnchors: opts.trustAnchors,
    },
    config,
  );
  return {
    async resolve(q: Message): Promise<Message> {
      return (await resolver.handle(q, { transport: 'udp' })).response;
    },
  };
}

/**
 * Stub zones of a scenario (`stub-zone:` other than the root) as hint records: one made-up nameserver name per zone
 * (`stub-addr` gives addresses only) with those addresses.
 */
function stubHints(zones: { name: Name; addrs: string[] }[]): RR[] {
  const out: RR[] = [];
  zones.forEach((z, i) => {
    if (z.name.isRoot()) return;
    const ns = Name.fromText(`stub${i}.sealdns-stub.invalid.`);
    out.push({ name: z.name, type: RRType.NS, class: RRClass.IN, ttl: 3600, data: { target: ns } });
    for (const a of z.addrs) {
      const address = a.replace(/@\d+$/, '');
      const type = address.includes(':') ? RRType.AAAA : RRType.A;
      out.push({ name: ns, type, class: RRClass.IN, ttl: 3600, data: { address } });
    }
  });
  return out;
}

/** Capabilities the scenario runner may assume (see test/scenarios/applicability.ts). */
export const scenarioCapabilities: string[] = ['query-localhost', 'qmin-qtype-ns', 'stub-zones', 'aggressive-nsec'];
