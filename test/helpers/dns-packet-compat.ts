// Maps sealdns wire values to and from dns-packet's object model, for the differential
// test (test/wire/dns-packet.test.ts) and the codec benchmark (scripts/bench-wire.ts).
// Only the fields and types both libraries understand are mapped; names must be plain
// LDH names (dns-packet neither escapes nor compresses them).

import { createRequire } from 'node:module';
import dnsPacket from 'dns-packet';
import { encodeOption } from '../../src/wire/edns.js';
import {
  type EdnsOpt,
  type Message,
  type Name,
  optionCode,
  plainRdata,
  type RR,
  RRType,
  toHex,
} from '../../src/wire/index.js';
import { WireWriter } from '../../src/wire/writer.js';

export { dnsPacket };

interface CodeTable {
  toString(n: number): string;
  toType?(s: string): number;
  toClass?(s: string): number;
}
const require = createRequire(import.meta.url);
/** dns-packet's own type and class names ("UNKNOWN_n" for numbers it does not know). */
const dpTypes = require('dns-packet/types.js') as CodeTable;
const dpClasses = require('dns-packet/classes.js') as CodeTable;

export const dpType = (t: number): string => dpTypes.toString(t);
export const dpClass = (c: number): string => dpClasses.toString(c);

/** A dns-packet object (its typings are loose, so plain records are used here). */
export type Dp = Record<string, unknown>;

/** The types whose RDATA dns-packet decodes into fields (others stay opaque Buffers). */
export const DNS_PACKET_TYPES: ReadonlySet<number> = new Set([
  RRType.A,
  RRType.AAAA,
  RRType.NS,
  RRType.CNAME,
  RRType.PTR,
  RRType.DNAME,
  RRType.MX,
  RRType.SOA,
  RRType.TXT,
  RRType.HINFO,
  RRType.SRV,
  RRType.NAPTR,
  RRType.CAA,
  RRType.DS,
  RRType.DNSKEY,
  RRType.RRSIG,
  RRType.NSEC,
  RRType.NSEC3,
  RRType.TLSA,
  RRType.SSHFP,
  RRType.RP,
  RRType.NULL,
]);

/** dns-packet's name form: no trailing dot, "." for the root. */
export function dpName(n: Name): string {
  return n.isRoot() ? '.' : n.toString().slice(0, -1);
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** dns-packet `data` for one of our records (types outside DNS_PACKET_TYPES give their RDATA octets). */
export function dpData(rr: RR): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: the RDATA union is narrowed by rr.type
  const d = rr.data as any;
  if (d.raw !== undefined) return buf(d.raw);
  switch (rr.type) {
    case RRType.A:
    case RRType.AAAA:
      return d.address;
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME:
      return dpName(d.target);
    case RRType.MX:
      return { preference: d.preference, exchange: dpName(d.exchange) };
    case RRType.SOA:
      return {
        mname: dpName(d.mname),
        rname: dpName(d.rname),
        serial: d.serial,
        refresh: d.refresh,
        retry: d.retry,
        expire: d.expire,
        minimum: d.minimum,
      };
    case RRType.TXT:
      return (d.strings as string[]).map(latin1);
    case RRType.HINFO:
      return { cpu: d.cpu, os: d.os };
    case RRType.SRV:
      return { priority: d.priority, weight: d.weight, port: d.port, target: dpName(d.target) };
    case RRType.NAPTR:
      return {
        order: d.order,
        preference: d.preference,
        flags: d.flags,
        services: d.services,
        regexp: d.regexp,
        replacement: dpName(d.replacement),
      };
    case RRType.CAA:
      return { flags: d.flags, tag: d.tag, value: d.value };
    case RRType.DS:
      return { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: buf(d.digest) };
    case RRType.DNSKEY:
      return { flags: d.flags, algorithm: d.algorithm, key: buf(d.publicKey) };
    case RRType.RRSIG:
      return {
        typeCovered: dpType(d.typeCovered),
        algorithm: d.algorithm,
        labels: d.labels,
        originalTTL: d.originalTtl,
        expiration: d.expiration,
        inception: d.inception,
        keyTag: d.keyTag,
        signersName: dpName(d.signerName),
        signature: buf(d.signature),
      };
    case RRType.NSEC:
      return { nextDomain: dpName(d.next), rrtypes: (d.types as number[]).map(dpType) };
    case RRType.NSEC3:
      return {
        algorithm: d.hashAlgorithm,
        flags: d.flags,
        iterations: d.iterations,
        salt: buf(d.salt),
        nextDomain: buf(d.nextHashed),
        rrtypes: (d.types as number[]).map(dpType),
      };
    case RRType.SSHFP:
      return { algorithm: d.algorithm, hash: d.fpType, fingerprint: toHex(d.fingerprint).toUpperCase() };
    case RRType.TLSA:
      return { usage: d.usage, selector: d.selector, matchingType: d.matchingType, certificate: buf(d.data) };
    case RRType.RP:
      return { mbox: dpName(d.mbox), txt: dpName(d.txt) };
    default:
      return Buffer.from(plainRdata(rr.type, rr.data));
  }
}

function optionData(o: EdnsOpt): Buffer {
  const w = new WireWriter({ compress: false });
  try {
    encodeOption(w, o);
    return Buffer.from(w.finish().subarray(4));
  } finally {
    w.release();
  }
}

/** A dns-packet answer for one of our records. */
export function dpAnswer(rr: RR): Dp {
  return {
    type: dpType(rr.type),
    name: dpName(rr.name),
    class: dpClass(rr.class),
    ttl: rr.ttl,
    data: dpData(rr),
  };
}

/** A dns-packet packet equivalent to `m` (flags, questions, records, OPT with raw options). */
export function toDnsPacket(m: Message): Dp {
  const flags =
    ((m.opcode & 0xf) << 11) |
    (m.aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    (m.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) |
    (m.rd ? dnsPacket.RECURSION_DESIRED : 0) |
    (m.ra ? dnsPacket.RECURSION_AVAILABLE : 0) |
    (m.z ? 0x40 : 0) |
    (m.ad ? dnsPacket.AUTHENTIC_DATA : 0) |
    (m.cd ? dnsPacket.CHECKING_DISABLED : 0) |
    (m.rcode & 0xf);
  const additionals = m.additionals.map(dpAnswer);
  if (m.edns) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: m.edns.udpSize,
      extendedRcode: (m.rcode >>> 4) & 0xff,
      ednsVersion: m.edns.version,
      flags: (m.edns.dnssecOk ? 0x8000 : 0) | m.edns.zFlags,
      options: m.edns.options.map((o) => ({ code: optionCode(o), data: optionData(o) })),
    });
  }
  return {
    id: m.id,
    type: m.qr ? 'response' : 'query',
    flags,
    questions: m.questions.map((q) => ({
      name: dpName(q.name),
      type: dpType(q.type),
      class: dpClass(q.class),
    })),
    answers: m.answers.map(dpAnswer),
    authorities: m.authorities.map(dpAnswer),
    additionals,
  };
}
