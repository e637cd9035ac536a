// fast-check arbitraries for wire values: names, typed RDATA derived from the RDATA
// table's field kinds (so a new descriptor is covered without touching this file),
// EDNS options and whole messages.

import fc from 'fast-check';
import {
  descriptorOf,
  type EdnsOpt,
  ipv4ToText,
  ipv6ToText,
  type Message,
  Name,
  type RData,
  type RR,
  RRType,
  rdataDescriptors,
  type SvcParams,
} from '../../src/wire/index.js';

export const RUNS = Number(process.env.FC_RUNS ?? (process.env.CI ? 10000 : 1000));

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

const wordLabel = fc.constantFrom(
  'www',
  'example',
  'com',
  'Example',
  'COM',
  'ns1',
  'mail',
  'a',
  '*',
  '_tcp',
  'xn--bcher-kva',
);
const octetLabel = fc.uint8Array({ minLength: 1, maxLength: 12 }).map(latin1);
const longLabel = fc.uint8Array({ minLength: 40, maxLength: 63 }).map(latin1);

/** LDH names of common words (what every DNS library can represent). */
export const ldhNameArb: fc.Arbitrary<Name> = fc
  .array(fc.constantFrom('www', 'example', 'com', 'Example', 'NET', 'ns1', 'mail', 'a', 'b-2', 'x'.repeat(63)), {
    maxLength: 4,
  })
  .filter((labels) => labels.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((labels) => Name.fromLabels(labels));

/** Domain names: mostly common words (so compression has work), some arbitrary octets, some near the limits. */
export const nameArb: fc.Arbitrary<Name> = fc
  .oneof(
    { weight: 6, arbitrary: fc.array(wordLabel, { minLength: 0, maxLength: 4 }) },
    { weight: 3, arbitrary: fc.array(fc.oneof(wordLabel, octetLabel), { minLength: 1, maxLength: 5 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(longLabel, wordLabel), { minLength: 1, maxLength: 5 }) },
  )
  .filter((labels) => labels.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((labels) => Name.fromLabels(labels));

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const charString = bytes(0, 255).map(latin1);
const shortCharString = bytes(0, 30).map(latin1);

const svcParamsArb: fc.Arbitrary<SvcParams> = fc
  .record(
    {
      alpn: fc.array(bytes(1, 12).map(latin1), { minLength: 1, maxLength: 3 }),
      noDefaultAlpn: fc.constant(true),
      port: fc.integer({ min: 0, max: 0xffff }),
      ipv4hint: fc.array(
        bytes(4, 4).map((b) => ipv4ToText(b)),
        { minLength: 1, maxLength: 3 },
      ),
      ech: bytes(1, 40),
      ipv6hint: fc.array(
        bytes(16, 16).map((b) => ipv6ToText(b)),
        { minLength: 1, maxLength: 2 },
      ),
      dohpath: bytes(1, 30).map(latin1),
      ohttp: fc.constant(true),
      unknown: fc
        .uniqueArray(fc.tuple(fc.integer({ min: 9, max: 65534 }), bytes(0, 10)), {
          minLength: 1,
          maxLength: 3,
          selector: (x) => x[0],
        })
        .map((entries) => new Map(entries.sort((a, b) => a[0] - b[0]))),
    },
    { requiredKeys: [] },
  )
  .chain((p) => {
    // no-default-alpn needs alpn; mandatory lists present keys, in increasing order (RFC 9460 8)
    if (p.noDefaultAlpn && !p.alpn) delete p.noDefaultAlpn;
    const present = [
      p.alpn && 1,
      p.noDefaultAlpn && 2,
      p.port !== undefined && 3,
      p.ipv4hint && 4,
      p.ech && 5,
      p.ipv6hint && 6,
      p.dohpath !== undefined && 7,
      p.ohttp && 8,
      ...(p.unknown?.keys() ?? []),
    ].filter((k): k is number => typeof k === 'number');
    if (present.length === 0) return fc.constant(p as SvcParams);
    return fc.subarray(present).map((mandatory) => (mandatory.length > 0 ? { ...p, mandatory } : p) as SvcParams);
  });

/** Options for the record arbitraries (the defaults cover everything the codec accepts). */
export interface ArbOptions {
  /** Names: any octets (default) or LDH words only. */
  names?: fc.Arbitrary<Name>;
  /** Character-strings and CAA values: any octets (default) or printable ASCII. */
  asciiText?: boolean;
  /** Record types to draw from (default: the whole RDATA table). */
  types?: readonly number[];
  /** Also draw types outside the table, with opaque RDATA (default true). */
  opaque?: boolean;
  /** Classes to draw from (default: IN mostly, any 16-bit value). */
  classes?: readonly number[];
  /** Extra constraints on the value of one field, by `TYPE.field` (e.g. DNSKEY.protocol). */
  fields?: Record<string, fc.Arbitrary<unknown>>;
}

const printable = (min: number, max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: max,
  });

/** A value for one field kind of the RDATA table (see src/wire/fields.ts). */
function fieldArb(kind: string, o: ArbOptions): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'u8':
    case 'algorithm':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
    case 'rrtype':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
    case 'time32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'name':
      return o.names ?? nameArb;
    case 'ipv4':
      return bytes(4, 4).map((b) => ipv4ToText(b));
    case 'ipv6':
      return bytes(16, 16).map((b) => ipv6ToText(b));
    case 'charString':
      return o.asciiText ? printable(0, 40) : charString;
    case 'charStrings':
      return fc.array(fc.oneof(shortCharString, charString), { minLength: 1, maxLength: 4 });
    case 'hex':
    case 'base64':
      return bytes(1, 80);
    case 'salt':
      return bytes(0, 20);
    case 'hash32':
      return bytes(1, 32);
    case 'typeBitmap':
      return fc
        .uniqueArray(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 12 })
        .map((t) => t.sort((a, b) => a - b));
    case 'caaTag':
      return fc.string({
        unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
        minLength: 1,
        maxLength: 15,
      });
    case 'restString':
      return o.asciiText ? printable(0, 60) : bytes(0, 60).map(latin1);
    case 'svcParams':
      return svcParamsArb;
    default:
      throw new Error(`no arbitrary for field kind ${kind}`);
  }
}

function rdataArb(type: number, o: ArbOptions): fc.Arbitrary<RData> {
  const d = descriptorOf(type);
  if (d === undefined) return bytes(0, 40).map((raw) => ({ raw }) as RData);
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of d.fields) shape[f.key] = o.fields?.[`${d.mnemonic}.${f.key}`] ?? fieldArb(f.codec.kind, o);
  return fc.record(shape) as unknown as fc.Arbitrary<RData>;
}

/** Type numbers without a descriptor (opaque RDATA), never OPT. */
const unknownType = fc
  .integer({ min: 0, max: 0xffff })
  .filter((t) => t !== RRType.OPT && descriptorOf(t) === undefined);

/** The types of the RDATA table. */
export const knownTypes: number[] = rdataDescriptors().map((d) => d.type);

/** A record of a known type (typed RDATA) or, less often, an unknown one (opaque RDATA). */
export function rrArb(o: ArbOptions = {}): fc.Arbitrary<RR> {
  const types = o.types ?? knownTypes;
  const typeArb =
    o.opaque === false
      ? fc.constantFrom(...types)
      : fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...types) }, { weight: 1, arbitrary: unknownType });
  const classArb = o.classes
    ? fc.constantFrom(...o.classes)
    : fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 0xffff }));
  // one RDATA arbitrary per type, built once (chain() calls its function for every value)
  const dataArbs = new Map<number, fc.Arbitrary<RData>>();
  const opaqueArb = rdataArb(-1, o);
  for (const t of types) dataArbs.set(t, rdataArb(t, o));
  const ttl = fc.integer({ min: 0, max: 0xffffffff });
  return typeArb.chain((type) =>
    fc.record({
      name: o.names ?? nameArb,
      type: fc.constant(type),
      class: classArb,
      ttl,
      data: dataArbs.get(type) ?? opaqueArb,
    }),
  );
}

/** EDNS options that survive a round trip as values. */
export const ednsOptArb: fc.Arbitrary<EdnsOpt> = fc.oneof(
  fc.record({
    kind: fc.constant('ede' as const),
    infoCode: fc.integer({ min: 0, max: 0xffff }),
    extraText: fc.string({ unit: 'grapheme', maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant('padding' as const), length: fc.integer({ min: 0, max: 64 }) }),
  fc.record(
    { kind: fc.constant('cookie' as const), client: bytes(8, 8), server: bytes(8, 32) },
    { requiredKeys: ['kind', 'client'] },
  ),
  fc
    .record({
      family: fc.constantFrom(1, 2),
      sourcePrefix: fc.integer({ min: 0, max: 128 }),
      scopePrefix: fc.integer({ min: 0, max: 255 }),
      address: bytes(16, 16),
    })
    .map(({ family, sourcePrefix, scopePrefix, address }) => {
      const full = family === 1 ? 4 : 16;
      const prefix = sourcePrefix % (full * 8 + 1);
      const a = address.slice(0, full);
      a.fill(0, Math.ceil(prefix / 8));
      return {
        kind: 'ecs' as const,
        family,
        sourcePrefix: prefix,
        scopePrefix,
        address: family === 1 ? ipv4ToText(a) : ipv6ToText(a),
      };
    }),
  fc.record(
    { kind: fc.constant('keepalive' as const), timeout: fc.integer({ min: 0, max: 0xffff }) },
    { requiredKeys: ['kind'] },
  ),
  fc.record({
    kind: fc.constant('raw' as const),
    // not the typed options, nor 14 (edns-key-tag): dns-packet, our oracle, reads it as u16s and throws on odd lengths
    code: fc.integer({ min: 0, max: 0xffff }).filter((c) => ![8, 10, 11, 12, 14, 15].includes(c)),
    data: bytes(0, 20),
  }),
);

/** Whole messages (no truncation: they stay far below 64 KiB). */
export function messageArb(o: ArbOptions = {}): fc.Arbitrary<Message> {
  const section = fc.array(rrArb(o), { maxLength: 6 });
  const names = o.names ?? nameArb;
  const classes = o.classes ? fc.constantFrom(...o.classes) : fc.integer({ min: 0, max: 0xffff });
  return fc
    .record({
      id: fc.integer({ min: 0, max: 0xffff }),
      qr: fc.boolean(),
      opcode: fc.integer({ min: 0, max: 15 }),
      aa: fc.boolean(),
      tc: fc.boolean(),
      rd: fc.boolean(),
      ra: fc.boolean(),
      z: fc.boolean(),
      ad: fc.boolean(),
      cd: fc.boolean(),
      rcode: fc.integer({ min: 0, max: 0xfff }),
      questions: fc.array(
        fc.record({
          name: names,
          type: o.types ? fc.constantFrom(...o.types) : fc.integer({ min: 0, max: 0xffff }),
          class: classes,
        }),
        { maxLength: 2 },
      ),
      answers: section,
      authorities: section,
      additionals: section,
      edns: fc.option(
        fc.record({
          udpSize: fc.integer({ min: 0, max: 0xffff }),
          version: fc.integer({ min: 0, max: 0xff }),
          dnssecOk: fc.boolean(),
          zFlags: fc.integer({ min: 0, max: 0x7fff }),
          options: fc.array(ednsOptArb, { maxLength: 4 }),
        }),
        { nil: undefined },
      ),
    })
    .map((m) => {
      const out = m as Message;
      if (out.edns === undefined) {
        delete out.edns;
        out.rcode &= 0xf;
      }
      return out;
    });
}
