import { isIP } from 'node:net';

/** A command-line usage error: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address. */
export function parseServer(s: string, defaultPort: number): { ip: string; port: number } {
  let ip = s;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    ip = bracket[1];
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (isIP(s) === 0) {
    const i = s.lastIndexOf(':');
    if (i > 0 && isIP(s.slice(0, i)) === 4) {
      ip = s.slice(0, i);
      port = /^\d+$/.test(s.slice(i + 1)) ? Number(s.slice(i + 1)) : Number.NaN;
    }
  }
  if (isIP(ip) === 0) throw new UsageError(`"${s}" is not an IP address (use IP, IP:PORT or [IPv6]:PORT)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`bad port in "${s}"`);
  return { ip, port };
}

/** Parses a positive integer option within bounds. */
export function parseIntOption(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name}: "${v}" is not a number`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name}: ${n} is outside ${min}..${max}`);
  return n;
}
