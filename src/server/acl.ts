// Who the resolver service answers: a list of CIDR blocks (RFC 4632 for IPv4, RFC 4291 2.3 for
// IPv6 prefixes). Clients outside every block are refused (REFUSED with EDE 18 "Prohibited",
// RFC 8914 4.19). IPv4-mapped IPv6 clients (::ffff:a.b.c.d, seen on dual-stack sockets) are
// matched against the IPv4 blocks.

import { isIPv4, isIPv6 } from 'node:net';
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from '../wire/index.js';
import { ServeError } from './listeners/errors.js';

export interface Cidr {
  family: 4 | 6;
  /** The network address (host bits zero): 4 or 16 octets. */
  bytes: Uint8Array;
  prefix: number;
}

/** The default: only the host itself (RFC 1122 3.2.1.3 loopback and RFC 4291 2.5.3 ::1). */
export const LOOPBACK_ACL: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** Decisions remembered per client address; the memo is emptied when it reaches this size. */
const MEMO_SIZE = 4096;

/**
 * Parses `ADDRESS/PREFIX` or a bare address (a /32 or /128). Host bits must be zero, so a typo
 * such as 10.1.2.3/8 is an error instead of silently meaning 10.0.0.0/8.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) throw bad(text, `"${addr}" is not an IP address`);
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw bad(text, `prefix length must be 0..${max}`);
    prefix = Number(p);
  }
  const bytes = family === 4 ? ipv4FromText(addr) : ipv6FromText(addr);
  const masked = mask(bytes, prefix);
  if (!masked.every((b, i) => b === bytes[i]))
    throw bad(text, `host bits are set (the network is ${cidrToText({ family, bytes: masked, prefix })})`);
  return { family, bytes: masked, prefix };
}

export function cidrToText(c: Cidr): string {
  return `${c.family === 4 ? ipv4ToText(c.bytes) : ipv6ToText(c.bytes)}/${c.prefix}`;
}

function bad(text: string, why: string): ServeError {
  return new ServeError('bad-option', `bad ACL entry "${text}": ${why}`);
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] &= (0xff00 >> bits) & 0xff;
  }
  return out;
}

function v4Number(b: Uint8Array, off = 0): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** An allow-list of CIDR blocks. */
export class Acl {
  /** IPv4 blocks as [network, mask] 32-bit pairs. */
  readonly #v4: [number, number][] = [];
  readonly #v6: Cidr[] = [];
  readonly #memo = new Map<string, boolean>();
  #lastAddress = '';
  #lastVerdict = false;
  readonly blocks: readonly Cidr[];

  constructor(blocks: readonly Cidr[]) {
    this.blocks = blocks;
    for (const b of blocks) {
      if (b.family === 4) this.#v4.push([v4Number(b.bytes), b.prefix === 0 ? 0 : (~0 << (32 - b.prefix)) >>> 0]);
      else this.#v6.push(b);
    }
  }

  /** An ACL from text entries (see parseCidr); throws ServeError 'bad-option' naming the entry. */
  static parse(entries: readonly (string | Cidr)[]): Acl {
    return new Acl(entries.map((e) => (typeof e === 'string' ? parseCidr(e) : e)));
  }

  /** Whether a client at `address` (as the socket reports it) is served. Unparseable addresses are not. */
  allows(address: string): boolean {
    // the same client as the last datagram's (the common case under load): a string comparison, no map lookup
    if (address === this.#lastAddress) return this.#lastVerdict;
    let verdict = this.#memo.get(address);
    if (verdict === undefined) {
      verdict = this.#decide(address);
      if (this.#memo.size >= MEMO_SIZE) this.#memo.clear();
      this.#memo.set(address, verdict);
    }
    this.#lastAddress = address;
    this.#lastVerdict = verdict;
    return verdict;
  }

  #decide(address: string): boolean {
    const pct = address.indexOf('%'); // link-local zone index (fe80::1%eth0)
    const addr = pct < 0 ? address : address.slice(0, pct);
    if (isIPv4(addr)) return this.#allowsV4(v4Number(ipv4FromText(addr)));
    if (!isIPv6(addr)) return false;
    const b = ipv6FromText(addr);
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff && this.#allowsV4(v4Number(b, 12)))
      return true;
    return this.#v6.some((c) => mask(b, c.prefix).every((x, i) => x === c.bytes[i]));
  }

  #allowsV4(a: number): boolean {
    for (const [net, m] of this.#v4) if ((a & m) >>> 0 === net) return true;
    return false;
  }
}
