// Property tests of the wire codec (fast-check). Runs: FC_RUNS, else 10000 under CI, else 1000.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  newMessage,
  parseRR,
  plainRdata,
  RRType,
  rdataDescriptors,
  rrToText,
  WireError,
} from '../../src/wire/index.js';
import { assertDecodersAgree, concat, header, plain, u16, u32 } from '../helpers/wire.js';
import { messageArb, RUNS, rrArb } from '../helpers/wire-arbitraries.js';

/**
 * Longest CPU time one decode may take, in ms. Generous (GC pauses count, and the runner
 * may share the machine), but far below what a pathological input (pointer loops,
 * quadratic work) would cost.
 */
const SLOW_MS = 250;

/** CPU time of this process in ms (less sensitive to other load than wall time). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const params = { numRuns: RUNS };

/**
 * Decodes hostile input: only WireError may escape, quickly. When the input is accepted,
 * the value must re-encode and decode to itself.
 */
function decodeHostile(wire: Uint8Array): void {
  const t0 = cpuMs();
  let m: Message | undefined;
  try {
    m = decodeMessage(wire);
  } catch (e) {
    if (!(e instanceof WireError)) throw new Error(`non-WireError escaped: ${String(e)}`, { cause: e });
  }
  const ms = cpuMs() - t0;
  if (ms > SLOW_MS) throw new Error(`decoding ${wire.length} octets took ${ms.toFixed(1)} ms`);
  if (m !== undefined) {
    const again = decodeMessage(encodeMessage(m));
    assert.deepEqual(plain(again), plain(m), 'an accepted message re-encodes to itself');
  }
}

describe('round trips', () => {
  it('encode -> decode gives the same message, and re-encoding the same octets', () => {
    fc.assert(
      fc.property(messageArb(), (m) => {
        const wire = encodeMessage(m);
        const back = decodeMessage(wire);
        assert.deepEqual(plain(back), plain(m));
        assert.deepEqual(encodeMessage(back), wire);
      }),
      params,
    );
  });

  it('without compression, names keep their case exactly', () => {
    fc.assert(
      fc.property(messageArb(), (m) => {
        const back = decodeMessage(encodeMessage(m, { compress: false }));
        assert.deepEqual(plain(back, true), plain(m, true));
      }),
      params,
    );
  });

  it('records of every table type survive presentation form', () => {
    fc.assert(
      fc.property(rrArb(), (rr) => {
        const text = rrToText(rr);
        const again = parseRR(text);
        assert.deepEqual(plain(again, true), plain(rr, true), text);
      }),
      params,
    );
  });

  it('truncation to any size gives a decodable message no larger than asked', () => {
    fc.assert(
      fc.property(messageArb(), fc.integer({ min: 0, max: 2000 }), (m, size) => {
        let wire: Uint8Array;
        try {
          wire = encodeMessage(m, { maxSize: size, padBlock: m.edns ? 128 : undefined });
        } catch (e) {
          // only when not even the question (and OPT) fits
          assert.ok(e instanceof WireError && e.code === 'message-too-long', String(e));
          return;
        }
        assert.ok(wire.length <= Math.max(size, 12));
        decodeMessage(wire);
      }),
      { numRuns: Math.max(100, RUNS / 4) },
    );
  });
});

describe('RDATA decoders', () => {
  const fastTypes = rdataDescriptors()
    .filter((d) => d.decode !== undefined)
    .map((d) => d.type);

  it('the fast paths agree with the field loop on valid and damaged RDATA', () => {
    assert.ok(fastTypes.length >= 8);
    const damage = fc.record({ cut: fc.nat(), flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 2 }) });
    fc.assert(
      fc.property(rrArb({ types: fastTypes, opaque: false }), damage, (rr, d) => {
        const raw = plainRdata(rr.type, rr.data);
        assertDecodersAgree(rr.type, raw);
        const bad = raw.slice(0, raw.length - (d.cut % (raw.length + 1)));
        for (const [at, v] of d.flips) if (bad.length > 0) bad[at % bad.length] = v;
        assertDecodersAgree(rr.type, bad);
      }),
      params,
    );
  });
});

describe('hostile input', () => {
  it('random octets after a plausible header throw only WireError', () => {
    const counts = fc.integer({ min: 0, max: 4 });
    fc.assert(
      fc.property(
        fc.record({ qd: counts, an: counts, ns: counts, ar: counts, flags: fc.integer({ min: 0, max: 0xffff }) }),
        fc.uint8Array({ maxLength: 400 }),
        (h, body) => decodeHostile(concat(header(h), body)),
      ),
      params,
    );
  });

  it('random octet strings throw only WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => decodeHostile(b)),
      params,
    );
  });

  type Mutation =
    | { op: 'flip'; at: number; bit: number }
    | { op: 'set'; at: number; value: number }
    | { op: 'pointer'; at: number; target: number }
    | { op: 'truncate'; at: number }
    | { op: 'insert'; at: number; data: Uint8Array }
    | { op: 'delete'; at: number; n: number }
    | { op: 'splice'; from: number; to: number; n: number };

  const pos = fc.nat({ max: 0xffff });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('set' as const), at: pos, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('pointer' as const), at: pos, target: fc.integer({ min: 0, max: 0x3fff }) }),
    fc.record({ op: fc.constant('truncate' as const), at: pos }),
    fc.record({ op: fc.constant('insert' as const), at: pos, data: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ op: fc.constant('delete' as const), at: pos, n: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ op: fc.constant('splice' as const), from: pos, to: pos, n: fc.integer({ min: 1, max: 24 }) }),
  );

  function mutate(wire: Uint8Array, ms: Mutation[]): Uint8Array {
    let b: Uint8Array = Uint8Array.from(wire);
    for (const m of ms) {
      if (b.length === 0) break;
      switch (m.op) {
        case 'flip':
          b[m.at % b.length] ^= 1 << m.bit;
          break;
        case 'set':
          b[m.at % b.length] = m.value;
          break;
        case 'pointer': {
          const at = m.at % b.length;
          b[at] = 0xc0 | (m.target >> 8);
          if (at + 1 < b.length) b[at + 1] = m.target & 0xff;
          break;
        }
        case 'truncate':
          b = b.slice(0, m.at % (b.length + 1));
          break;
        case 'insert': {
          const at = m.at % (b.length + 1);
          b = concat(b.subarray(0, at), m.data, b.subarray(at));
          break;
        }
        case 'delete': {
          const at = m.at % b.length;
          b = concat(b.subarray(0, at), b.subarray(at + m.n));
          break;
        }
        case 'splice': {
          // copy a run of the message over another place in it (duplicates names, headers, RDATA)
          const from = m.from % b.length;
          const chunk = b.slice(from, from + m.n);
          const to = m.to % b.length;
          b = concat(b.subarray(0, to), chunk, b.subarray(to));
          break;
        }
      }
    }
    return b;
  }

  it('mutated valid messages throw only WireError, and what decodes re-encodes to itself', () => {
    fc.assert(
      fc.property(messageArb(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, ms) => {
        decodeHostile(mutate(encodeMessage(m), ms));
      }),
      params,
    );
  });

  it('a 64 KiB message of long pointer chains decodes quickly', () => {
    // Opaque RDATA holding a chain of 126 pointers, then as many records as fit whose
    // owners enter the chain at different depths.
    const links = 126;
    const rdStart = 12 + 1 + 10;
    const chain: Uint8Array[] = [Uint8Array.of(0)];
    for (let i = 1; i <= links; i++) chain.push(u16(0xc000 | (i === 1 ? rdStart : rdStart + 1 + 2 * (i - 2))));
    const rdata = concat(...chain);
    const records: Uint8Array[] = [];
    let size = 12 + 11 + rdata.length;
    let n = 0;
    while (size + 16 <= 65535) {
      const depth = links - (n % links);
      records.push(
        concat(u16(0xc000 | (rdStart + 1 + 2 * (depth - 1))), u16(RRType.A), u16(1), u32(0), u16(4), u32(n)),
      );
      size += 16;
      n++;
    }
    const wire = concat(
      header({ an: n + 1 }),
      Uint8Array.of(0),
      u16(65280),
      u16(1),
      u32(0),
      u16(rdata.length),
      rdata,
      ...records,
    );
    const t0 = cpuMs();
    const m = decodeMessage(wire);
    const ms = cpuMs() - t0;
    assert.equal(m.answers.length, n + 1);
    assert.ok(ms < SLOW_MS, `took ${ms.toFixed(1)} ms`);
  });

  it('impossible section counts are rejected before any work', () => {
    const e = (() => {
      try {
        decodeMessage(header({ qd: 0xffff, an: 0xffff, ns: 0xffff, ar: 0xffff }));
      } catch (x) {
        return x;
      }
    })();
    assert.ok(e instanceof WireError && e.code === 'truncated');
    assert.equal(decodeMessage(encodeMessage(newMessage({}))).id, 0);
  });
});
