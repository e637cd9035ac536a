// The frame's raw fast path: octets in, octets out, no decoding on UDP/TCP, the query log only
// when configured, SERVFAIL for a failing handler, padding kept on encrypted transports.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ExchangeContext,
  exchange,
  exchangeNow,
  MAX_MESSAGE,
  type QueryInfo,
  type RawHandler,
  RESPONSE_PAD_BLOCK,
} from '../../../src/server/listeners/exchange.js';
import { QueryLog } from '../../../src/server/listeners/querylog.js';
import { decodeMessage, encodeMessage, makeQuery, newMessage, Rcode, RRType } from '../../../src/wire/index.js';

const endpoint = { address: '127.0.0.1', port: 5300 };
const info = (transport: QueryInfo['transport']): QueryInfo => ({ transport, client: endpoint, local: endpoint });

function ctx(rawHandler: RawHandler, queryLog?: QueryLog): ExchangeContext {
  return { rawHandler, queryLog, now: () => 1, maxUdpPayload: 1232, idleTimeoutMs: 10_000, log: undefined };
}

const QUERY = encodeMessage(makeQuery('www.example.test', RRType.A, { id: 0x4242, rd: true }));

/** A NOERROR reply to `raw` with one A record, built by decoding (the handler's business). */
function answerTo(raw: Uint8Array): Uint8Array {
  const q = decodeMessage(raw);
  const r = newMessage({ id: q.id, qr: true, rd: q.rd, ra: true, questions: q.questions });
  r.answers.push({ name: q.questions[0].name, type: RRType.A, class: 1, ttl: 60, data: { address: '192.0.2.1' } });
  if (q.edns) r.edns = { ...q.edns, options: [] };
  return encodeMessage(r);
}

describe('exchange with a raw handler', () => {
  test('hands over the octets with the transport limit and returns the reply unchanged', async () => {
    const seen: { raw: Uint8Array; max: number; transport: string }[] = [];
    const reply = answerTo(QUERY);
    const c = ctx((raw, i, max) => {
      seen.push({ raw, max, transport: i.transport });
      return reply;
    });
    for (const t of ['udp', 'tcp'] as const) {
      const out = await exchange(c, QUERY, info(t));
      assert.equal(out.kind, 'reply');
      if (out.kind === 'reply') {
        assert.equal(out.wire, reply, 'the same buffer: no re-encoding');
        assert.equal(out.response, undefined);
      }
    }
    assert.deepEqual(
      seen.map((s) => [s.transport, s.max, s.raw === QUERY]),
      [
        ['udp', 1232, true],
        ['tcp', MAX_MESSAGE, true],
      ],
    );
  });

  test('exchangeNow: a handler that answers at once gets its outcome at once, without a promise', async () => {
    const reply = answerTo(QUERY);
    const sync = exchangeNow(
      ctx(() => reply),
      QUERY,
      info('udp'),
    );
    assert.ok(!(sync instanceof Promise));
    assert.deepEqual(sync, { kind: 'reply', wire: reply, response: undefined, query: undefined });
    assert.deepEqual(
      exchangeNow(
        ctx(() => reply),
        QUERY.subarray(0, 5),
        info('udp'),
      ),
      { kind: 'drop', reason: 'short' },
    );
    const thrown = exchangeNow(
      ctx(() => {
        throw new Error('bug');
      }),
      QUERY,
      info('udp'),
    );
    assert.ok(!(thrown instanceof Promise) && thrown.kind === 'reply', 'SERVFAIL at once');
    // a handler that resolves later: a promise of the same outcome as exchange()
    const later = exchangeNow(
      ctx(() => Promise.resolve(reply)),
      QUERY,
      info('udp'),
    );
    assert.ok(later instanceof Promise);
    assert.deepEqual(
      await later,
      await exchange(
        ctx(() => Promise.resolve(reply)),
        QUERY,
        info('udp'),
      ),
    );
  });

  test('drops short messages and responses without calling the handler', async () => {
    let calls = 0;
    const c = ctx(() => {
      calls++;
      return undefined;
    });
    assert.deepEqual(await exchange(c, QUERY.subarray(0, 11), info('udp')), { kind: 'drop', reason: 'short' });
    const response = Uint8Array.from(QUERY);
    response[2] |= 0x80;
    assert.deepEqual(await exchange(c, response, info('udp')), { kind: 'drop', reason: 'response' });
    assert.equal(calls, 0);
    assert.deepEqual(await exchange(c, QUERY, info('udp')), { kind: 'drop', reason: 'handler' });
    assert.equal(calls, 1);
  });

  test('a handler reply shorter than a header is dropped', async () => {
    const out = await exchange(
      ctx(() => new Uint8Array(5)),
      QUERY,
      info('udp'),
    );
    assert.deepEqual(out, { kind: 'drop', reason: 'handler' });
  });

  test('a throwing handler gives SERVFAIL with the question, or the bare header when the query does not decode', async () => {
    const c = ctx(() => {
      throw new Error('bug');
    });
    const out = await exchange(c, QUERY, info('udp'));
    assert.equal(out.kind, 'reply');
    if (out.kind !== 'reply') return;
    const m = decodeMessage(out.wire);
    assert.equal(m.id, 0x4242);
    assert.equal(m.rcode, Rcode.SERVFAIL);
    assert.equal(m.questions[0].name.toString(), 'www.example.test.');

    const broken = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77]);
    const rejected = ctx(() => Promise.reject(new Error('async bug')));
    const out2 = await exchange(rejected, broken, info('tcp'));
    assert.equal(out2.kind, 'reply');
    if (out2.kind !== 'reply') return;
    const m2 = decodeMessage(out2.wire);
    assert.equal(m2.id, 0x1234);
    assert.equal(m2.rcode, Rcode.SERVFAIL);
    assert.equal(m2.rd, true);
    assert.equal(m2.questions.length, 0);
  });

  test('logs nothing without a query log, and every message with one', async () => {
    const none = ctx(answerTo);
    assert.equal(none.queryLog, undefined);
    assert.equal((await exchange(none, QUERY, info('udp'))).kind, 'reply');

    const log = new QueryLog(8);
    const c = ctx(answerTo, log);
    await exchange(c, QUERY, info('tcp'));
    const response = Uint8Array.from(QUERY);
    response[2] |= 0x80;
    await exchange(c, response, info('udp'));
    assert.deepEqual(
      log.entries().map((e) => [e.transport, e.kind, e.id, e.qname, e.qtype]),
      [
        ['tcp', 'query', 0x4242, 'www.example.test.', RRType.A],
        ['udp', 'response', 0x4242, 'www.example.test.', RRType.A],
      ],
    );
  });

  test('on DoT the raw reply is padded like any other (RFC 8467)', async () => {
    const out = await exchange(ctx(answerTo), QUERY, info('dot'));
    assert.equal(out.kind, 'reply');
    if (out.kind !== 'reply') return;
    assert.equal(out.wire.length % RESPONSE_PAD_BLOCK, 0);
    const m = decodeMessage(out.wire);
    assert.equal(m.id, 0x4242);
    assert.equal(m.answers.length, 1);
  });
});
