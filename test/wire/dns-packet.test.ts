// Differential test against dns-packet: what we encode, dns-packet decodes to the same
// fields, and what dns-packet encodes, we decode to the same value. Compared are the
// fields both libraries understand; names case-insensitively in the first direction
// (we compress, so a name may take the case of an earlier occurrence).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, ipv6FromText, type Message, RRType } from '../../src/wire/index.js';
import { DNS_PACKET_TYPES, type Dp, dnsPacket, toDnsPacket } from '../helpers/dns-packet-compat.js';
import { plain, toHex } from '../helpers/wire.js';
import { type ArbOptions, knownTypes, ldhNameArb, messageArb, RUNS } from '../helpers/wire-arbitraries.js';
import { richMessage } from '../helpers/wire-samples.js';

/** Fields holding domain names, per dns-packet type (compared lower-cased). */
const NAME_FIELDS: Record<string, string[]> = {
  MX: ['exchange'],
  SOA: ['mname', 'rname'],
  SRV: ['target'],
  NAPTR: ['replacement'],
  RRSIG: ['signersName'],
  NSEC: ['nextDomain'],
  RP: ['mbox', 'txt'],
};
const NAME_DATA = new Set(['NS', 'CNAME', 'PTR', 'DNAME']);

function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
  if (Array.isArray(v)) return v.map(norm);
  return v;
}

/** A comparable form of one dns-packet answer, restricted to the keys of `like`. */
function normAnswer(a: Dp, like: Dp): unknown {
  const type = a.type as string;
  if (type === 'OPT') {
    return {
      udpPayloadSize: a.udpPayloadSize,
      extendedRcode: a.extendedRcode,
      ednsVersion: a.ednsVersion,
      flags: a.flags,
      options: (a.options as Dp[]).map((o) => ({ code: o.code, data: norm(o.data) })),
    };
  }
  let data: unknown = a.data;
  const likeData = like.data;
  if (type === 'A') data = a.data;
  else if (type === 'AAAA') data = toHex(ipv6FromText(a.data as string));
  else if (NAME_DATA.has(type)) data = (a.data as string).toLowerCase();
  else if (
    likeData !== null &&
    typeof likeData === 'object' &&
    !(likeData instanceof Uint8Array) &&
    !Array.isArray(likeData)
  ) {
    const d = a.data as Dp;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(likeData)) {
      const x = d[k];
      out[k] = NAME_FIELDS[type]?.includes(k) ? (x as string).toLowerCase() : norm(x);
    }
    data = out;
  } else {
    data = norm(a.data);
  }
  return { name: (a.name as string).toLowerCase(), type, class: a.class, ttl: a.ttl, data };
}

function normSection(actual: Dp[], expected: Dp[]): [unknown[], unknown[]] {
  assert.equal(actual.length, expected.length, 'record count');
  return [actual.map((a, i) => normAnswer(a, expected[i])), expected.map((e) => normAnswer(e, e))];
}

/** Encodes with sealdns, decodes with dns-packet, compares with sealdns's value. */
function forward(m: Message): void {
  const wire = encodeMessage(m);
  const got = dnsPacket.decode(Buffer.from(wire)) as unknown as Dp;
  const want = toDnsPacket(m);
  assert.equal(got.id, want.id);
  assert.equal(got.type, want.type);
  assert.equal(got.flags, want.flags, 'flags, opcode and low rcode');
  assert.deepEqual(
    (got.questions as Dp[]).map((q) => ({ ...q, name: (q.name as string).toLowerCase() })),
    (want.questions as Dp[]).map((q) => ({ ...q, name: (q.name as string).toLowerCase() })),
  );
  for (const s of ['answers', 'authorities', 'additionals'] as const) {
    const [a, e] = normSection(got[s] as Dp[], want[s] as Dp[]);
    assert.deepEqual(a, e, s);
  }
}

/** Encodes with dns-packet, decodes with sealdns, compares with the original value. */
function reverse(m: Message): void {
  const wire = dnsPacket.encode(toDnsPacket(m) as never);
  const back = decodeMessage(wire);
  assert.deepEqual(plain(back, true), plain(m, true));
}

/** The RDATA-table types dns-packet keeps opaque (it round-trips their octets unchanged). */
const OPAQUE_TO_DNS_PACKET = knownTypes.filter((t) => !DNS_PACKET_TYPES.has(t));

const DIFF: ArbOptions = {
  names: ldhNameArb,
  asciiText: true,
  classes: [1, 3, 4, 255],
  // SSHFP is left out: dns-packet insists on SHA-1/SHA-256 fingerprint lengths
  types: [...[...DNS_PACKET_TYPES].filter((t) => t !== RRType.SSHFP && t !== RRType.NULL), ...OPAQUE_TO_DNS_PACKET],
  fields: { 'DNSKEY.protocol': fc.constant(3) },
};

describe('sealdns -> dns-packet', () => {
  it('decodes the sample message to the same fields', () => {
    const m = richMessage();
    m.additionals = m.additionals.filter((rr) => rr.class === 1);
    forward(m);
  });

  it('decodes arbitrary messages to the same fields', () => {
    fc.assert(
      fc.property(messageArb(DIFF), (m) => forward(m)),
      { numRuns: RUNS },
    );
  });
});

describe('dns-packet -> sealdns', () => {
  it('decodes the sample message to the same value', () => {
    const m = richMessage();
    for (const s of ['answers', 'authorities', 'additionals'] as const) m[s] = m[s].filter((rr) => rr.class === 1);
    reverse(m);
  });

  it('decodes arbitrary messages to the same value', () => {
    // dns-packet writes a UDP payload size of 0 as 4096
    const arb = messageArb(DIFF).filter((m) => m.edns === undefined || m.edns.udpSize !== 0);
    fc.assert(
      fc.property(arb, (m) => reverse(m)),
      { numRuns: RUNS },
    );
  });

  it('decodes a message built by hand with dns-packet', () => {
    const wire = dnsPacket.encode({
      type: 'response',
      id: 4242,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'www.example.com' }],
      answers: [
        { type: 'A', name: 'www.example.com', ttl: 60, data: '192.0.2.1' },
        { type: 'TXT', name: 'www.example.com', ttl: 60, data: ['hello', 'world'] },
        {
          type: 'CAA',
          name: 'example.com',
          ttl: 60,
          data: { flags: 128, tag: 'issue', value: 'ca.example' },
        },
      ],
    });
    const m = decodeMessage(wire);
    assert.equal(m.id, 4242);
    assert.ok(m.aa && m.rd && m.qr);
    assert.deepEqual(plain(m.answers.map((r) => r.data)), [
      { address: '192.0.2.1' },
      { strings: ['hello', 'world'] },
      { flags: 128, tag: 'issue', value: 'ca.example' },
    ]);
  });
});
