/**
 * Built-in root hints: the thirteen root server names and their addresses, as IANA publishes
 * them in named.root (https://www.internic.net/domain/named.root; b.root-servers.net renumbered
 * on 2023-11-27). The resolver only needs them to find one root server that answers: priming
 * (RFC 9609) replaces them with the root's own NS RRset.
 */
import { Name, type NameData, type RR, RRClass, RRType } from '../wire/index.js';

/** named.root's TTL for every record (RFC 9609 3: the hints' TTLs do not matter). */
export const ROOT_HINTS_TTL = 3_600_000;

/** [letter, IPv4, IPv6] of each root server, a through m. */
export const IANA_ROOT_SERVERS: readonly (readonly [string, string, string])[] = [
  ['a', '198.41.0.4', '2001:503:ba3e::2:30'],
  ['b', '170.247.170.2', '2801:1b8:10::b'],
  ['c', '192.33.4.12', '2001:500:2::c'],
  ['d', '199.7.91.13', '2001:500:2d::d'],
  ['e', '192.203.230.10', '2001:500:a8::e'],
  ['f', '192.5.5.241', '2001:500:2f::f'],
  ['g', '192.112.36.4', '2001:500:12::d0d'],
  ['h', '198.97.190.53', '2001:500:1::53'],
  ['i', '192.36.148.17', '2001:7fe::53'],
  ['j', '192.58.128.30', '2001:503:c27::2:30'],
  ['k', '193.0.14.129', '2001:7fd::1'],
  ['l', '199.7.83.42', '2001:500:9f::42'],
  ['m', '202.12.27.33', '2001:dc3::35'],
];

/** The IANA root hints as records: NS for the root, then A and AAAA for each server. */
export function builtinRootHints(): RR[] {
  const root = Name.ROOT;
  const ns: RR[] = [];
  const glue: RR[] = [];
  for (const [letter, v4, v6] of IANA_ROOT_SERVERS) {
    const host = Name.fromText(`${letter}.root-servers.net.`);
    ns.push({ name: root, type: RRType.NS, class: RRClass.IN, ttl: ROOT_HINTS_TTL, data: { target: host } });
    glue.push({ name: host, type: RRType.A, class: RRClass.IN, ttl: ROOT_HINTS_TTL, data: { address: v4 } });
    glue.push({ name: host, type: RRType.AAAA, class: RRClass.IN, ttl: ROOT_HINTS_TTL, data: { address: v6 } });
  }
  return [...ns, ...glue];
}

/**
 * Why a set of records cannot serve as root hints, or undefined when it can: it needs NS records
 * owned by the root and an A or AAAA record for at least one of their targets.
 */
export function rootHintsProblem(rrs: readonly RR[]): string | undefined {
  const targets = new Set<string>();
  for (const rr of rrs) {
    if (rr.type === RRType.NS && rr.name.isRoot()) targets.add((rr.data as NameData).target.key);
  }
  if (targets.size === 0) return 'no NS records for the root (.)';
  const reachable = rrs.some((rr) => (rr.type === RRType.A || rr.type === RRType.AAAA) && targets.has(rr.name.key));
  if (!reachable) return 'no A or AAAA record for any root NS name';
  return undefined;
}
