// The packet cache: the raw query scan that keys it, and answers patched for ID, QNAME case and elapsed TTLs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketCache, type QueryKey, scanQuery } from '../../src/cache/packet-cache.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  newMessage,
  parseRR,
  RRType,
} from '../../src/wire/index.js';

const T0 = 1_800_000_000_000;
const S = 1000;

type QueryOpts = Parameters<typeof makeQuery>[2];
const query = (name: string, type: number = RRType.A, opts: QueryOpts = {}) =>
  encodeMessage(makeQuery(Name.fromText(name), type, { rd: true, ...opts }));
const key = (wire: Uint8Array): QueryKey => {
  const k = scanQuery(wire);
  assert.ok(k, 'the query scans');
  return k;
};

function responseTo(q: Uint8Array, answers: string[], extra: Partial<Message> = {}): Uint8Array {
  const m = decodeMessage(q);
  return encodeMessage(
    newMessage({
      id: m.id,
      qr: true,
      rd: m.rd,
      ra: true,
      questions: m.questions,
      answers: answers.map((t) => parseRR(t)),
      edns: m.edns ? { ...m.edns, options: [] } : undefined,
      ...extra,
    }),
  );
}

describe('scanQuery', () => {
  it('folds the QNAME case (0x20 clients share entries) and keeps type and class apart', () => {
    const lower = key(query('www.clear.test.'));
    assert.equal(key(query('WwW.cLeAr.TEST.')).key, lower.key);
    assert.notEqual(key(query('www.clear.test.', RRType.AAAA)).key, lower.key);
    assert.notEqual(key(query('www.clear.tesu.')).key, lower.key);
    const chaos = query('www.clear.test.');
    chaos[chaos.length - 11 - 1] = 3; // QCLASS low octet (before the 11-octet OPT): CH
    assert.notEqual(key(chaos).key, lower.key);
  });

  it('keys on RD, CD, DO, AD and the presence of EDNS', () => {
    const base = key(query('www.clear.test.')).key;
    const variants = [
      query('www.clear.test.', RRType.A, { rd: false }),
      query('www.clear.test.', RRType.A, { cd: true }),
      query('www.clear.test.', RRType.A, { dnssecOk: true }),
      query('www.clear.test.', RRType.A, { ad: true }),
      query('www.clear.test.', RRType.A, { edns: false }),
    ].map((w) => key(w).key);
    assert.equal(new Set([base, ...variants]).size, 6);
  });

  it('reports the client UDP size (512 without EDNS, at least 512 with it) and the question end', () => {
    const noEdns = key(query('www.clear.test.', RRType.A, { edns: false }));
    assert.equal(noEdns.edns, false);
    assert.equal(noEdns.udpSize, 512);
    assert.equal(noEdns.qnameEnd, 12 + 16 + 4);
    const edns = key(query('www.clear.test.', RRType.A, { udpSize: 4096 }));
    assert.equal(edns.edns, true);
    assert.equal(edns.udpSize, 4096);
    assert.equal(key(query('www.clear.test.', RRType.A, { udpSize: 100 })).udpSize, 512);
    assert.equal(key(query('www.clear.test.', RRType.A, { udpSize: 1232 })).udpSize, 1232);
  });

  it('leaves anything unusual to the slow path', () => {
    const ok = query('www.clear.test.');
    const mutate = (f: (w: Uint8Array) => void) => {
      const w = Uint8Array.from(ok);
      f(w);
      return scanQuery(w);
    };
    assert.equal(
      mutate((w) => (w[2] |= 0x80)),
      undefined,
      'a response',
    );
    assert.equal(
      mutate((w) => (w[2] |= 0x08)),
      undefined,
      'opcode other than QUERY',
    );
    assert.equal(
      mutate((w) => (w[5] = 2)),
      undefined,
      'two questions',
    );
    assert.equal(
      mutate((w) => (w[7] = 1)),
      undefined,
      'an answer record in a query',
    );
    assert.equal(
      mutate((w) => (w[ok.length - 5] = 1)),
      undefined,
      'EDNS version 1 (BADVERS)',
    );
    assert.equal(scanQuery(ok.subarray(0, ok.length - 3)), undefined, 'truncated OPT');
    assert.equal(scanQuery(ok.subarray(0, 14)), undefined, 'truncated question');
    assert.equal(scanQuery(new Uint8Array(600)), undefined, 'too long for a plain query');
    const withOption = encodeMessage({
      ...makeQuery('www.clear.test.', RRType.A, { rd: true }),
      edns: { udpSize: 1232, version: 0, dnssecOk: false, zFlags: 0, options: [{ kind: 'keepalive' }] },
    });
    assert.equal(scanQuery(withOption), undefined, 'EDNS options (cookies, padding...) need the slow path');
    const pointer = Uint8Array.from([...ok.subarray(0, 12), 0xc0, 0x0c, 0, 1, 0, 1]);
    pointer[11] = 0;
    assert.equal(scanQuery(pointer), undefined, 'a compression pointer in the question');
    const trailing = Uint8Array.from([...query('www.clear.test.', RRType.A, { edns: false }), 0]);
    assert.equal(scanQuery(trailing), undefined, 'octets after the question');
  });
});

describe('PacketCache', () => {
  it('answers with the client ID and QNAME case, and TTLs lowered by the time spent in the cache', () => {
    const pc = new PacketCache();
    const q1 = query('www.clear.test.', RRType.A, { id: 0x1111 });
    const r1 = responseTo(q1, ['www.clear.test. 300 IN A 192.0.2.1', 'www.clear.test. 60 IN A 192.0.2.2']);
    pc.store(key(q1), r1, 60, T0);
    const q2 = query('WWW.Clear.TEST.', RRType.A, { id: 0xbeef });
    const out = pc.answer(q2, key(q2), T0 + 10 * S + 999, 1232);
    assert.ok(out);
    const m = decodeMessage(out);
    assert.equal(m.id, 0xbeef);
    assert.equal(m.questions[0].name.wire, Name.fromText('WWW.Clear.TEST.').wire, 'the client case, octet for octet');
    assert.deepEqual(
      m.answers.map((r) => r.ttl),
      [290, 50],
    );
    assert.ok(m.answers[0].name.equals(Name.fromText('www.clear.test.')), 'owners point at the question');
    assert.equal(pc.hits, 1);
    assert.deepEqual(decodeMessage(r1).answers[0].ttl, 300, 'the stored octets are not modified');
  });

  it('within the first second the stored octets are returned with only ID and case patched', () => {
    const pc = new PacketCache();
    const q = query('www.clear.test.', RRType.A, { id: 1 });
    pc.store(key(q), responseTo(q, ['www.clear.test. 300 IN A 192.0.2.1']), 300, T0);
    const out = pc.answer(q, key(q), T0 + 999, 1232);
    assert.equal(decodeMessage(out!).answers[0].ttl, 300);
  });

  it('misses on expiry and forgets the entry', () => {
    const pc = new PacketCache();
    const q = query('www.clear.test.');
    pc.store(key(q), responseTo(q, ['www.clear.test. 30 IN A 192.0.2.1']), 30, T0);
    assert.ok(pc.answer(q, key(q), T0 + 29 * S, 1232));
    assert.equal(pc.answer(q, key(q), T0 + 30 * S, 1232), undefined);
    assert.equal(pc.size, 0);
  });

  it('misses when the stored response is larger than the client can take', () => {
    const pc = new PacketCache();
    const q = query('big.clear.test.', RRType.TXT);
    const txt = Array.from({ length: 8 }, (_, i) => `big.clear.test. 300 IN TXT "${String(i).repeat(100)}"`);
    const r = responseTo(q, txt);
    assert.ok(r.length > 512 && r.length < 1232, `${r.length} octets`);
    pc.store(key(q), r, 300, T0);
    assert.equal(pc.answer(q, key(q), T0, 512), undefined, 'a 512-octet client misses');
    assert.ok(pc.answer(q, key(q), T0, 1232));
    assert.ok(pc.answer(q, key(q), T0, 65535), 'TCP');
  });

  it('never stores zero-TTL responses or ones it cannot walk', () => {
    const pc = new PacketCache();
    const q = query('www.clear.test.');
    pc.store(key(q), responseTo(q, ['www.clear.test. 0 IN A 192.0.2.1']), 0, T0);
    assert.equal(pc.size, 0);
    const broken = responseTo(q, ['www.clear.test. 300 IN A 192.0.2.1']).subarray(0, 40);
    pc.store(key(q), broken, 300, T0);
    assert.equal(pc.size, 0);
    assert.equal(pc.answer(q, key(q), T0, 1232), undefined);
  });

  it('keeps entries for different keys apart and stays within its byte bound', () => {
    const pc = new PacketCache(4000);
    for (let i = 0; i < 100; i++) {
      const q = query(`host${i}.clear.test.`);
      pc.store(key(q), responseTo(q, [`host${i}.clear.test. 300 IN A 192.0.2.1`]), 300, T0);
    }
    assert.ok(pc.size < 100);
    const last = query('host99.clear.test.');
    assert.ok(pc.answer(last, key(last), T0, 1232));
    const first = query('host0.clear.test.');
    assert.equal(pc.answer(first, key(first), T0, 1232), undefined);
    const cdq = query('host99.clear.test.', RRType.A, { cd: true });
    assert.equal(pc.answer(cdq, key(cdq), T0, 1232), undefined, 'CD is another key');
  });
});
