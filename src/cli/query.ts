import {
  decodeMessage,
  encodeMessage,
  makeQuery,
  messageToText,
  Name,
  typeFromText,
  WireError,
} from '../wire/index.js';
import { parseIntOption, parseServer, UsageError } from './args.js';

export interface QueryOptions {
  server: string;
  tcp?: boolean;
  dnssec?: boolean;
  cd?: boolean;
  norecurse?: boolean;
  timeout?: string;
}

/** Sends one stub query and returns dig-like text. Transport errors and bad answers throw. */
export async function runQuery(
  nameText: string,
  typeText: string | undefined,
  opts: QueryOptions,
  send: (
    wire: Uint8Array,
    target: { ip: string; port: number; protocol: 'udp' | 'tcp' },
    timeoutMs: number,
  ) => Promise<Uint8Array>,
): Promise<{ text: string; rcode: number }> {
  let name: Name;
  try {
    name = Name.fromText(nameText.endsWith('.') ? nameText : `${nameText}.`);
  } catch (e) {
    throw new UsageError(`bad name "${nameText}": ${(e as Error).message}`);
  }
  const type = typeFromText(typeText ?? 'A');
  if (type === undefined) throw new UsageError(`unknown type "${typeText}"`);
  const server = parseServer(opts.server, 53);
  const timeoutMs = opts.timeout === undefined ? 5000 : parseIntOption('--timeout', opts.timeout, 1, 60000);
  const query = makeQuery(name, type, {
    rd: !opts.norecurse,
    cd: opts.cd ?? false,
    dnssecOk: opts.dnssec ?? false,
  });
  const protocol = opts.tcp ? 'tcp' : 'udp';
  const started = performance.now();
  let wire = await send(encodeMessage(query), { ...server, protocol }, timeoutMs);
  let reply = decodeMessage(wire);
  let via: 'udp' | 'tcp' = protocol;
  if (reply.tc && protocol === 'udp') {
    wire = await send(encodeMessage(query), { ...server, protocol: 'tcp' }, timeoutMs);
    reply = decodeMessage(wire);
    via = 'tcp';
  }
  const ms = Math.round(performance.now() - started);
  const text = [
    messageToText(reply),
    '',
    `;; Query time: ${ms} msec`,
    `;; SERVER: ${server.ip}#${server.port}(${via.toUpperCase()})`,
    `;; MSG SIZE  rcvd: ${wire.length}`,
  ].join('\n');
  return { text, rcode: reply.rcode };
}

export { WireError };
