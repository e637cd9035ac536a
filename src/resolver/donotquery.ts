import { ipv6FromText, ipv6ToText } from '../wire/index.js';

/**
 * Whether `ip` is a loopback address: 127.0.0.0/8 (RFC 1122 3.2.1.3), ::1 (RFC 4291
 * 2.5.3), or 127.0.0.0/8 written as an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2).
 */
export function isLoopback(ip: string): boolean {
  if (!ip.includes(':')) return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
  let b: Uint8Array;
  try {
    b = ipv6FromText(ip);
  } catch {
    return false;
  }
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  if (b[10] === 0 && b[11] === 0) return b.subarray(12, 15).every((x) => x === 0) && b[15] === 1; // ::1
  return b[10] === 0xff && b[11] === 0xff && b[12] === 127; // ::ffff:127.x.y.z
}

/**
 * The do-not-query-localhost policy (Unbound's and Knot Resolver's default): nameserver
 * addresses learnt from DNS data that point at this host are never queried, so a zone
 * cannot turn the resolver against local services or itself (a loop). The root hints are
 * configuration, not DNS data: their addresses stay usable, and when every root hint is
 * a loopback address (a lab whose whole tree runs on this host) the policy is off.
 */
export class DoNotQuery {
  readonly enabled: boolean;
  readonly #exempt: ReadonlySet<string>;

  constructor(enabled: boolean, hintAddresses: readonly string[]) {
    this.enabled = enabled && !(hintAddresses.length > 0 && hintAddresses.every(isLoopback));
    this.#exempt = new Set(hintAddresses.map(canonical));
  }

  /** Whether the iterator may send queries to `ip`. */
  allows(ip: string): boolean {
    return !this.enabled || !isLoopback(ip) || this.#exempt.has(canonical(ip));
  }
}

/** One text form per address (IPv6 compressed as RFC 5952 writes it), for comparisons. */
function canonical(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return ipv6ToText(ipv6FromText(ip));
  } catch {
    return ip;
  }
}
