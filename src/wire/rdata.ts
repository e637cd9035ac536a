import { RRType, typeToText } from './constants.js';
import { fromHex, toHex } from './encoding.js';
import { WireError } from './errors.js';
import * as F from './fields.js';
import { type FieldCodec, NameMode } from './fields.js';
import { ipv4ToText, ipv6ToText } from './ip.js';
import type { Name } from './name.js';
import type { WireReader } from './reader.js';
import { type SvcParams, svcParams } from './svcb.js';
import type { TokenCursor } from './tokenizer.js';
import type { WireWriter } from './writer.js';

// ---- typed RDATA -------------------------------------------------------------------------------
export interface AData {
  address: string;
}
export interface NameData {
  /** NS nsdname, CNAME/DNAME target, PTR ptrdname. */
  target: Name;
}
export interface SoaData {
  mname: Name;
  rname: Name;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface MxData {
  preference: number;
  exchange: Name;
}
export interface TxtData {
  /** Each <character-string> as latin1 octets. */
  strings: string[];
}
export interface HinfoData {
  cpu: string;
  os: string;
}
export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: Name;
}
export interface NaptrData {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: Name;
}
export interface CaaData {
  flags: number;
  tag: string;
  value: string;
}
export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Uint8Array;
}
export interface DnskeyData {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Uint8Array;
}
export interface RrsigData {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: Name;
  signature: Uint8Array;
}
export interface NsecData {
  next: Name;
  types: number[];
}
export interface Nsec3Data {
  hashAlgorithm: number;
  flags: number;
  iterations: number;
  salt: Uint8Array;
  nextHashed: Uint8Array;
  types: number[];
}
export interface Nsec3ParamData {
  hashAlgorithm: number;
  flags: number;
  iterations: number;
  salt: Uint8Array;
}
export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  data: Uint8Array;
}
export interface SshfpData {
  algorithm: number;
  fpType: number;
  fingerprint: Uint8Array;
}
export interface SvcbData {
  priority: number;
  target: Name;
  params: SvcParams;
}
export interface ZonemdData {
  serial: number;
  scheme: number;
  hashAlgorithm: number;
  digest: Uint8Array;
}
/** Any type without a descriptor: RFC 3597 opaque octets. */
export interface OpaqueData {
  raw: Uint8Array;
}

export type RData =
  | AData
  | NameData
  | SoaData
  | MxData
  | TxtData
  | HinfoData
  | SrvData
  | NaptrData
  | CaaData
  | DsData
  | DnskeyData
  | RrsigData
  | NsecData
  | Nsec3Data
  | Nsec3ParamData
  | TlsaData
  | SshfpData
  | SvcbData
  | ZonemdData
  | OpaqueData;

// ---- descriptors ---------------------------------------------------------------------------------
interface Field {
  readonly key: string;
  readonly codec: FieldCodec<unknown>;
}

/**
 * A hand-written decoder for a frequent type: exactly what the field loop gives, without
 * its per-field dispatch. It returns undefined (or throws) when the RDATA is not
 * well-formed; the field loop then runs and reports the error.
 */
type FastDecode = (r: WireReader, end: number) => RData | undefined;

/** One RR type: its fields, in wire order. Wire, length, text and canonical forms derive from them. */
export interface RdataDescriptor {
  readonly type: number;
  readonly mnemonic: string;
  readonly fields: readonly Field[];
  /** Optional fast path for decoding (see FastDecode); tests hold it equal to the field loop. */
  readonly decode?: FastDecode;
}

const f = <V>(key: string, codec: FieldCodec<V>): Field => ({ key, codec: codec as FieldCodec<unknown> });

const table = new Map<number, RdataDescriptor>();

function define(type: number, fields: Field[], decode?: FastDecode): void {
  table.set(
    type,
    decode ? { type, mnemonic: typeToText(type), fields, decode } : { type, mnemonic: typeToText(type), fields },
  );
}

// ---- fast paths for the types of nearly every response -----------------------------------------
const fastA: FastDecode = (r, end) => {
  if (end - r.pos !== 4) return undefined;
  const address = ipv4ToText(r.buf, r.pos);
  r.pos = end;
  return { address };
};
const fastAAAA: FastDecode = (r, end) => {
  if (end - r.pos !== 16) return undefined;
  const address = ipv6ToText(r.buf, r.pos);
  r.pos = end;
  return { address };
};
const fastTarget: FastDecode = (r, end) => (r.pos < end ? { target: r.name(end) } : undefined);
const fastMX: FastDecode = (r, end) => {
  if (end - r.pos < 3) return undefined;
  const preference = r.u16();
  return { preference, exchange: r.name(end) };
};
const fastSOA: FastDecode = (r, end) => {
  if (r.pos >= end) return undefined;
  const mname = r.name(end);
  if (r.pos >= end) return undefined;
  const rname = r.name(end);
  if (end - r.pos !== 20) return undefined;
  return { mname, rname, serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
};
const fastDS: FastDecode = (r, end) => {
  if (end - r.pos < 4) return undefined;
  const keyTag = r.u16();
  const algorithm = r.u8();
  const digestType = r.u8();
  return { keyTag, algorithm, digestType, digest: r.bytes(end - r.pos) };
};
const fastDNSKEY: FastDecode = (r, end) => {
  if (end - r.pos < 4) return undefined;
  const flags = r.u16();
  const protocol = r.u8();
  const algorithm = r.u8();
  return { flags, protocol, algorithm, publicKey: r.bytes(end - r.pos) };
};
const fastRRSIG: FastDecode = (r, end) => {
  if (end - r.pos < 19) return undefined;
  const typeCovered = r.u16();
  const algorithm = r.u8();
  const labels = r.u8();
  const originalTtl = r.u32();
  const expiration = r.u32();
  const inception = r.u32();
  const keyTag = r.u16();
  const signerName = r.name(end);
  return {
    typeCovered,
    algorithm,
    labels,
    originalTtl,
    expiration,
    inception,
    keyTag,
    signerName,
    signature: r.bytes(end - r.pos),
  };
};

define(RRType.A, [f('address', F.ipv4)], fastA);
define(RRType.AAAA, [f('address', F.ipv6)], fastAAAA);
define(RRType.NS, [f('target', F.cname)], fastTarget);
define(RRType.CNAME, [f('target', F.cname)], fastTarget);
define(RRType.PTR, [f('target', F.cname)], fastTarget);
define(RRType.DNAME, [f('target', F.lname)], fastTarget);
define(
  RRType.SOA,
  [
    f('mname', F.cname),
    f('rname', F.cname),
    f('serial', F.u32),
    f('refresh', F.u32),
    f('retry', F.u32),
    f('expire', F.u32),
    f('minimum', F.u32),
  ],
  fastSOA,
);
define(RRType.MX, [f('preference', F.u16), f('exchange', F.cname)], fastMX);
define(RRType.TXT, [f('strings', F.charStrings)]);
define(RRType.HINFO, [f('cpu', F.charString), f('os', F.charString)]);
define(RRType.RP, [f('mbox', F.lname), f('txt', F.lname)]);
define(RRType.AFSDB, [f('subtype', F.u16), f('hostname', F.lname)]);
define(RRType.KX, [f('preference', F.u16), f('exchanger', F.lname)]);
define(RRType.SRV, [f('priority', F.u16), f('weight', F.u16), f('port', F.u16), f('target', F.lname)]);
define(RRType.NAPTR, [
  f('order', F.u16),
  f('preference', F.u16),
  f('flags', F.charString),
  f('services', F.charString),
  f('regexp', F.charString),
  f('replacement', F.lname),
]);
define(RRType.CAA, [f('flags', F.u8), f('tag', F.caaTag), f('value', F.restString)]);
const dsFields = [f('keyTag', F.u16), f('algorithm', F.algorithm), f('digestType', F.u8), f('digest', F.hex)];
define(RRType.DS, dsFields, fastDS);
define(RRType.CDS, dsFields, fastDS);
const keyFields = [f('flags', F.u16), f('protocol', F.u8), f('algorithm', F.algorithm), f('publicKey', F.base64)];
define(RRType.DNSKEY, keyFields, fastDNSKEY);
define(RRType.CDNSKEY, keyFields, fastDNSKEY);
define(
  RRType.RRSIG,
  [
    f('typeCovered', F.rrtype),
    f('algorithm', F.algorithm),
    f('labels', F.u8),
    f('originalTtl', F.u32),
    f('expiration', F.time32),
    f('inception', F.time32),
    f('keyTag', F.u16),
    f('signerName', F.lname),
    f('signature', F.base64),
  ],
  fastRRSIG,
);
define(RRType.NSEC, [f('next', F.pname), f('types', F.typeBitmap)]);
define(RRType.NSEC3, [
  f('hashAlgorithm', F.u8),
  f('flags', F.u8),
  f('iterations', F.u16),
  f('salt', F.salt),
  f('nextHashed', F.hash32),
  f('types', F.typeBitmap),
]);
define(RRType.NSEC3PARAM, [f('hashAlgorithm', F.u8), f('flags', F.u8), f('iterations', F.u16), f('salt', F.salt)]);
const tlsaFields = [f('usage', F.u8), f('selector', F.u8), f('matchingType', F.u8), f('data', F.hex)];
define(RRType.TLSA, tlsaFields);
define(RRType.SMIMEA, tlsaFields);
define(RRType.SSHFP, [f('algorithm', F.u8), f('fpType', F.u8), f('fingerprint', F.hex)]);
const svcbFields = [f('priority', F.u16), f('target', F.pname), f('params', svcParams)];
define(RRType.SVCB, svcbFields);
define(RRType.HTTPS, svcbFields);
define(RRType.ZONEMD, [f('serial', F.u32), f('scheme', F.u8), f('hashAlgorithm', F.u8), f('digest', F.hex)]);
define(RRType.OPENPGPKEY, [f('key', F.base64)]);
define(RRType.CSYNC, [f('serial', F.u32), f('flags', F.u16), f('types', F.typeBitmap)]);

export function descriptorOf(type: number): RdataDescriptor | undefined {
  return table.get(type);
}

/** Every descriptor in the table, by ascending type number (test harnesses iterate over it). */
export function rdataDescriptors(): RdataDescriptor[] {
  return [...table.values()].sort((a, b) => a.type - b.type);
}

/** Types whose RDATA names are lower-cased in canonical form (RFC 4034 6.2 as amended by RFC 6840 5.1). */
export function hasCanonicalNames(type: number): boolean {
  const d = table.get(type);
  return d?.fields.some((x) => x.codec.isName && x.codec !== F.pname) === true;
}

// ---- generic codec -----------------------------------------------------------------------------
/** Decodes RDATA of `type` occupying [r.pos, end). Exactly RDLENGTH octets must be consumed. */
export function decodeRdata(type: number, r: WireReader, end: number): RData {
  const d = table.get(type);
  const start = r.pos;
  if (d === undefined) return { raw: r.bytes(end - start) };
  if (d.decode !== undefined) {
    try {
      const v = d.decode(r, end);
      if (v !== undefined && r.pos === end) return v;
    } catch {
      // malformed: the field loop below finds out how, and says so
    }
    r.pos = start;
  }
  return decodeFields(d, r, end);
}

/**
 * The generic decoder: RDATA of a table type, field by field (exported so that tests
 * can hold the fast paths equal to it).
 */
export function decodeRdataFields(type: number, r: WireReader, end: number): RData {
  const d = table.get(type);
  if (d === undefined) return { raw: r.bytes(end - r.pos) };
  return decodeFields(d, r, end);
}

function decodeFields(d: RdataDescriptor, r: WireReader, end: number): RData {
  const out: Record<string, unknown> = {};
  const fields = d.fields;
  try {
    for (let i = 0; i < fields.length; i++) {
      const fl = fields[i];
      if (r.pos >= end && !fl.codec.rest)
        throw new WireError('truncated', `${d.mnemonic}.${fl.key}: RDATA too short`, r.pos);
      out[fl.key] = fl.codec.decode(r, end);
      if (r.pos > end) throw new WireError('rdlength-mismatch', `${d.mnemonic}.${fl.key} runs past RDLENGTH`, r.pos);
    }
  } catch (e) {
    if (e instanceof WireError && !e.message.startsWith(d.mnemonic)) {
      throw new WireError(e.code, `${d.mnemonic}: ${e.message}`, e.offset);
    }
    throw e;
  }
  if (r.pos !== end)
    throw new WireError('rdlength-mismatch', `${d.mnemonic}: ${end - r.pos} octets left in RDATA`, r.pos);
  return out as unknown as RData;
}

export function encodeRdata(type: number, data: RData, w: WireWriter, mode: NameMode): void {
  const d = table.get(type);
  if (d === undefined || (data as OpaqueData).raw !== undefined) {
    const raw = (data as OpaqueData).raw;
    if (raw === undefined) throw new WireError('bad-rdata', `${typeToText(type)}: no fields and no raw octets`);
    w.bytes(raw);
    return;
  }
  const o = data as unknown as Record<string, unknown>;
  for (const fl of d.fields) {
    const v = o[fl.key];
    if (v === undefined) throw new WireError('bad-rdata', `${d.mnemonic}.${fl.key} is missing`);
    fl.codec.encode(w, v, mode);
  }
}

/** Presentation form of RDATA; unknown types use RFC 3597 `\# len hex`. */
export function rdataToText(type: number, data: RData): string {
  const d = table.get(type);
  const raw = (data as OpaqueData).raw;
  if (d === undefined || raw !== undefined) {
    if (raw === undefined) return '';
    return raw.length === 0 ? '\\# 0' : `\\# ${raw.length} ${toHex(raw).toUpperCase()}`;
  }
  const o = data as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const fl of d.fields) {
    const t = fl.codec.toText(o[fl.key]);
    if (t !== '') parts.push(t);
  }
  return parts.join(' ');
}

/**
 * Parses presentation-form RDATA. `\#` generic form (RFC 3597 5) is accepted for
 * every type; for known types the octets are then decoded into typed fields.
 */
export function rdataFromText(
  type: number,
  c: TokenCursor,
  origin: Name | undefined,
  decodeGeneric: (type: number, raw: Uint8Array) => RData,
): RData {
  const first = c.peek();
  if (first && !first.quoted && first.text === '\\#') {
    c.next('\\#');
    const lenTok = c.next('RDATA length').text;
    if (!/^\d+$/.test(lenTok)) throw new WireError('bad-text', `bad RDATA length "${lenTok}"`);
    const raw = fromHex(
      c
        .rest()
        .map((t) => t.text)
        .join(''),
    );
    if (raw.length !== Number(lenTok))
      throw new WireError('bad-text', `RDATA length ${lenTok} but ${raw.length} octets given`);
    if (!table.has(type)) return { raw };
    try {
      return decodeGeneric(type, raw);
    } catch (e) {
      if (e instanceof WireError) throw new WireError('bad-text', `${typeToText(type)} in \\# form: ${e.message}`);
      throw e;
    }
  }
  const d = table.get(type);
  if (d === undefined) throw new WireError('bad-text', `type ${typeToText(type)} needs the \\# generic form`);
  const out: Record<string, unknown> = {};
  for (const fl of d.fields) {
    try {
      out[fl.key] = fl.codec.fromText(c, origin);
    } catch (e) {
      if (e instanceof WireError) throw new WireError('bad-text', `${d.mnemonic} ${fl.key}: ${e.message}`);
      throw e;
    }
  }
  if (!c.done()) throw new WireError('bad-text', `${d.mnemonic}: unexpected "${c.peek()!.text}" after RDATA`);
  return out as unknown as RData;
}

export { NameMode };
