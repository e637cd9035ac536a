import { WireError } from './errors.js';

/** IPv4 dotted quad from 4 octets. */
export function ipv4ToText(b: Uint8Array, o = 0): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export function ipv4FromText(s: string): Uint8Array {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new WireError('bad-text', `bad IPv4 address "${s}"`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1]);
    if (v > 255 || (m[i + 1].length > 1 && m[i + 1][0] === '0'))
      throw new WireError('bad-text', `bad IPv4 address "${s}"`);
    out[i] = v;
  }
  return out;
}

/** RFC 5952 text form of 16 octets (lower case, longest zero run of 2+ groups as ::). */
export function ipv6ToText(b: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

export function ipv6FromText(s: string): Uint8Array {
  const bad = () => new WireError('bad-text', `bad IPv6 address "${s}"`);
  let text = s;
  const out = new Uint8Array(16);
  let v4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    v4 = ipv4FromText(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const parts = text.split('::');
  if (parts.length > 2) throw bad();
  const parse = (p: string) => (p === '' ? [] : p.split(':'));
  const head = parse(parts[0]);
  const tail = parts.length === 2 ? parse(parts[1]) : [];
  const total = head.length + tail.length;
  if (parts.length === 1 ? total !== 8 : total > 7) throw bad();
  const groups = [...head, ...new Array(8 - total).fill('0'), ...tail];
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) throw bad();
    const v = Number.parseInt(groups[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}
