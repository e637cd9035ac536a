// `sealdns dnstap-read FILE`: prints a dnstap capture (a Frame Streams file, as written by sealdns
// or by fstrm_capture) one message per line, with our own reader and schema. Unlike older builds of
// dnstap-ldns it names the DOT and DOH socket protocols, and it shows sealdns's annotation (the
// Dnstap `extra` field: encrypted, authenticated, why, outcome). `--json` prints one JSON object a line.

import { readFile } from 'node:fs/promises';
import { DNSTAP_CONTENT_TYPE, type Dnstap, decodeDnstap } from '../observe/dnstap-schema.js';
import { readDataFrames } from '../observe/fstrm.js';
import { decodeMessage, ipv6ToText, typeToText } from '../wire/index.js';
import { UsageError } from './args.js';

const TYPES = ['', 'AQ', 'AR', 'RQ', 'RR', 'CQ', 'CR', 'FQ', 'FR', 'SQ', 'SR', 'TQ', 'TR', 'UQ', 'UR'];
const PROTOCOLS = ['', 'UDP', 'TCP', 'DOT', 'DOH', 'DNSCryptUDP', 'DNSCryptTCP', 'DOQ'];

const addr = (b: Uint8Array | undefined) =>
  b === undefined ? '-' : b.length === 4 ? [...b].join('.') : b.length === 16 ? ipv6ToText(b) : '?';

function time(sec: number | undefined, nsec: number | undefined): string {
  if (sec === undefined) return '-';
  return `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(nsec ?? 0)
    .padStart(9, '0')
    .slice(0, 6)}Z`;
}

function question(wire: Uint8Array | undefined): string {
  if (wire === undefined) return '';
  try {
    const q = decodeMessage(wire).questions[0];
    return q ? `${q.name} ${typeToText(q.type)}` : '';
  } catch {
    return '(undecodable)';
  }
}

/** One line per message: time, type, peer, protocol, port, size, question, annotation. */
export function formatDnstap(d: Dnstap): string {
  const m = d.message;
  const query = m.type % 2 === 1;
  const peer = m.type >= 5 && m.type <= 6 ? m.queryAddress : m.responseAddress;
  const port = m.type >= 5 && m.type <= 6 ? m.queryPort : m.responsePort;
  const wire = query ? m.queryMessage : m.responseMessage;
  const t = query ? time(m.queryTimeSec, m.queryTimeNsec) : time(m.responseTimeSec, m.responseTimeNsec);
  const extra = d.extra === undefined ? '' : ` ${Buffer.from(d.extra).toString()}`;
  return `${t} ${TYPES[m.type] ?? m.type} ${addr(peer)}#${port ?? '-'} ${PROTOCOLS[m.socketProtocol ?? 0] ?? m.socketProtocol} ${wire?.length ?? 0}b ${question(m.queryMessage)}${extra}`;
}

function parseExtra(extra: Uint8Array): unknown {
  const text = Buffer.from(extra).toString();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function runDnstapRead(file: string, opts: { json?: boolean }): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const payload of readDataFrames(bytes, DNSTAP_CONTENT_TYPE)) {
    const d = decodeDnstap(payload);
    if (!opts.json) {
      out.push(formatDnstap(d));
      continue;
    }
    const m = d.message;
    out.push(
      JSON.stringify({
        type: TYPES[m.type],
        socketProtocol: PROTOCOLS[m.socketProtocol ?? 0],
        queryAddress: m.queryAddress && addr(m.queryAddress),
        queryPort: m.queryPort,
        responseAddress: m.responseAddress && addr(m.responseAddress),
        responsePort: m.responsePort,
        question: question(m.queryMessage),
        identity: d.identity && Buffer.from(d.identity).toString(),
        extra: d.extra && parseExtra(d.extra),
      }),
    );
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
