import { EdnsOption } from './constants.js';
import { WireError } from './errors.js';
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from './ip.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

/** EDNS(0) options (RFC 6891): typed where sealdns uses them, raw otherwise (kept, never dropped). */
export type EdnsOpt =
  /** Extended DNS Error, RFC 8914. */
  | { kind: 'ede'; infoCode: number; extraText: string }
  /** Padding, RFC 7830: only the length matters (content is zeros). */
  | { kind: 'padding'; length: number }
  /** DNS Cookies, RFC 7873: client cookie 8 octets, server cookie 8-32 octets. */
  | { kind: 'cookie'; client: Uint8Array; server?: Uint8Array }
  /** Client subnet, RFC 7871 (parsed, never sent upstream by sealdns). */
  | { kind: 'ecs'; family: number; sourcePrefix: number; scopePrefix: number; address: string }
  /** edns-tcp-keepalive, RFC 7828: timeout in units of 100 ms. */
  | { kind: 'keepalive'; timeout?: number }
  | { kind: 'raw'; code: number; data: Uint8Array };

export interface Edns {
  /** Requestor's UDP payload size (values below 512 are treated as 512 by users). */
  udpSize: number;
  version: number;
  /** DO bit (RFC 3225). */
  dnssecOk: boolean;
  /** The other 15 flag bits (Z), kept as received. */
  zFlags: number;
  options: EdnsOpt[];
}

export function optionCode(o: EdnsOpt): number {
  switch (o.kind) {
    case 'ede':
      return EdnsOption.EDE;
    case 'padding':
      return EdnsOption.PADDING;
    case 'cookie':
      return EdnsOption.COOKIE;
    case 'ecs':
      return EdnsOption.CLIENT_SUBNET;
    case 'keepalive':
      return EdnsOption.TCP_KEEPALIVE;
    case 'raw':
      return o.code;
  }
}

function bad(reason: string, at: number): WireError {
  return new WireError('bad-opt', reason, at);
}

/** Decodes the options in OPT RDATA [r.pos, end). */
export function decodeOptions(r: WireReader, end: number): EdnsOpt[] {
  const out: EdnsOpt[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const code = r.u16();
    const len = r.u16();
    if (r.pos + len > end) throw bad(`option ${code} overruns OPT RDATA`, at);
    const vend = r.pos + len;
    switch (code) {
      case EdnsOption.EDE: {
        if (len < 2) throw bad('EDE shorter than 2 octets', at);
        const infoCode = r.u16();
        const text = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, vend - r.pos).toString('utf8');
        r.pos = vend;
        out.push({ kind: 'ede', infoCode, extraText: text });
        break;
      }
      case EdnsOption.PADDING:
        r.pos = vend;
        out.push({ kind: 'padding', length: len });
        break;
      case EdnsOption.COOKIE: {
        if (len !== 8 && (len < 16 || len > 40)) throw bad(`cookie of ${len} octets`, at);
        const client = r.bytes(8);
        out.push(len > 8 ? { kind: 'cookie', client, server: r.bytes(len - 8) } : { kind: 'cookie', client });
        break;
      }
      case EdnsOption.CLIENT_SUBNET: {
        if (len < 4) throw bad('client subnet shorter than 4 octets', at);
        const family = r.u16();
        const sourcePrefix = r.u8();
        const scopePrefix = r.u8();
        const addrLen = vend - r.pos;
        const full = family === 1 ? 4 : family === 2 ? 16 : -1;
        if (full < 0) throw bad(`client subnet family ${family}`, at);
        if (addrLen !== Math.ceil(sourcePrefix / 8) || sourcePrefix > full * 8)
          throw bad('client subnet address length', at);
        const a = new Uint8Array(full);
        a.set(r.bytes(addrLen));
        out.push({
          kind: 'ecs',
          family,
          sourcePrefix,
          scopePrefix,
          address: family === 1 ? ipv4ToText(a) : ipv6ToText(a),
        });
        break;
      }
      case EdnsOption.TCP_KEEPALIVE:
        if (len !== 0 && len !== 2) throw bad('tcp-keepalive length', at);
        out.push(len === 2 ? { kind: 'keepalive', timeout: r.u16() } : { kind: 'keepalive' });
        break;
      default:
        out.push({ kind: 'raw', code, data: r.bytes(len) });
    }
    if (r.pos !== vend) throw bad(`option ${code} length mismatch`, at);
  }
  return out;
}

/** Encodes one option (code, length, value). */
export function encodeOption(w: WireWriter, o: EdnsOpt): void {
  w.u16(optionCode(o));
  const lenAt = w.pos;
  w.u16(0);
  const start = w.pos;
  switch (o.kind) {
    case 'ede':
      w.u16(o.infoCode);
      w.bytes(Buffer.from(o.extraText, 'utf8'));
      break;
    case 'padding':
      w.bytes(new Uint8Array(o.length));
      break;
    case 'cookie': {
      const server = o.server?.length ?? 0;
      if (o.client.length !== 8 || (o.server !== undefined && (server < 8 || server > 32)))
        throw new WireError('bad-opt', `cookie of ${o.client.length}+${server} octets (RFC 7873 4)`);
      w.bytes(o.client);
      if (o.server) w.bytes(o.server);
      break;
    }
    case 'ecs': {
      if ((o.family !== 1 && o.family !== 2) || o.sourcePrefix > (o.family === 1 ? 32 : 128))
        throw new WireError('bad-opt', `client subnet family ${o.family} with /${o.sourcePrefix}`);
      w.u16(o.family);
      w.u8(o.sourcePrefix);
      w.u8(o.scopePrefix);
      const bytes = Math.ceil(o.sourcePrefix / 8);
      const addr = o.family === 1 ? ipv4FromText(o.address) : ipv6FromText(o.address);
      w.bytes(addr.subarray(0, bytes));
      break;
    }
    case 'keepalive':
      if (o.timeout !== undefined) w.u16(o.timeout);
      break;
    case 'raw':
      w.bytes(o.data);
      break;
  }
  w.setU16(lenAt, w.pos - start);
}

/** Length of an encoded option, value included. */
export function optionLength(o: EdnsOpt): number {
  switch (o.kind) {
    case 'ede':
      return 6 + Buffer.byteLength(o.extraText, 'utf8');
    case 'padding':
      return 4 + o.length;
    case 'cookie':
      return 4 + 8 + (o.server?.length ?? 0);
    case 'ecs':
      return 8 + Math.ceil(o.sourcePrefix / 8);
    case 'keepalive':
      return o.timeout === undefined ? 4 : 6;
    case 'raw':
      return 4 + o.data.length;
  }
}

/**
 * Padding length for RFC 8467's block-length policy: the padding option (4 octets of
 * header plus the returned value) makes `unpaddedLength + 4 + value` a multiple of
 * `block` (128 for queries, 468 for responses), without exceeding `max`.
 */
export function paddingFor(unpaddedLength: number, block: number, max = 65535): number {
  const withHeader = unpaddedLength + 4;
  let pad = (block - (withHeader % block)) % block;
  if (withHeader + pad > max) pad = Math.max(0, max - withHeader);
  return pad;
}
