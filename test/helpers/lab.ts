// Helpers for tests that run the embedded lab (src/authority/lab) on its real ports 53, 853
// and 443, and for reading dig-like output (dig, kdig, `sealdns query`).

import dgram from 'node:dgram';
import { inCI } from './peers.js';

/**
 * Whether this process may bind the lab's privileged ports. Returns false when it can, a skip
 * reason when it cannot; under CI it throws instead, so CI never skips silently.
 */
export async function lowPortSkip(): Promise<string | false> {
  if (process.getuid?.() === 0) return false;
  // Not root: CAP_NET_BIND_SERVICE or net.ipv4.ip_unprivileged_port_start may still allow it.
  const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      resolve(e);
    });
    // An address no lab uses (labs take 127.<net>.<x>.<y> with x <= 14).
    s.bind(53, '127.254.254.254', () => s.close(() => resolve(undefined)));
  });
  if (err === undefined || err.code !== 'EACCES') return false;
  const reason = 'the lab binds ports 53, 853 and 443: run as root or with CAP_NET_BIND_SERVICE';
  if (inCI()) throw new Error(`CI: ${reason}`);
  return reason;
}

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigOutput {
  status: string | undefined;
  /** Header flags, e.g. ['qr', 'aa', 'rd']. */
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** Extended DNS Error lines (dig: `; EDE: 6 (DNSSEC Bogus): ...`), info codes only. */
  ede: number[];
}

const RECORD = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s*(.*)$/;

/** Parses the text of dig, kdig or `sealdns query` (one message). */
export function parseDig(text: string): DigOutput {
  const out: DigOutput = {
    // dig: `opcode: QUERY, status: NOERROR`; kdig: `opcode: QUERY; status: NOERROR`.
    status: /opcode: \w+[,;] status: ([A-Z0-9]+)/.exec(text)?.[1],
    flags: (/flags: ([^;]*);/i.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean),
    answer: [],
    authority: [],
    additional: [],
    ede: [...text.matchAll(/EDE: (\d+)/g)].map((m) => Number(m[1])),
  };
  let section: DigRecord[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header) {
      section = header[1] === 'ANSWER' ? out.answer : header[1] === 'AUTHORITY' ? out.authority : out.additional;
      continue;
    }
    if (line === '' || line.startsWith(';')) {
      if (line === '' || line.startsWith(';;')) section = undefined;
      continue;
    }
    const m = RECORD.exec(line);
    if (section && m) section.push({ name: m[1].toLowerCase(), ttl: Number(m[2]), type: m[3], data: m[4].trim() });
  }
  return out;
}

/** RDATA of the records of `type` in a section, sorted. */
export function dataOf(records: DigRecord[], type: string): string[] {
  return records
    .filter((r) => r.type === type)
    .map((r) => r.data)
    .sort();
}
