import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTransportError, pairReply, signatureOf, withId } from '../../src/transport/index.js';
import { encodeMessage, makeQuery, newMessage, RRType } from '../../src/wire/index.js';
import { answerFor, queryWire } from '../helpers/dns-fakes.js';

describe('pairing (RFC 5452 9.1)', () => {
  const query = queryWire('Example.COM', 0x1111);
  const sig = signatureOf(query);

  it('pairs on ID, QR, opcode and question, with the name case-insensitive', () => {
    assert.equal(pairReply(answerFor(query, { id: 0x2222 }), sig, 0x2222), 'ok');
    assert.equal(pairReply(answerFor(query, { id: 0x2222, qname: 'EXAMPLE.com' }), sig, 0x2222), 'ok');
    assert.equal(pairReply(answerFor(query, { id: 0x2223 }), sig, 0x2222), 'id');
    assert.equal(pairReply(answerFor(query, { id: 0x2222, qname: 'example.net' }), sig, 0x2222), 'question');
    assert.equal(pairReply(answerFor(query, { id: 0x2222, qtype: RRType.AAAA }), sig, 0x2222), 'question');
    assert.equal(pairReply(withId(query, 0x2222), sig, 0x2222), 'not-response');
    assert.equal(pairReply(new Uint8Array(11), sig, 0), 'short');
  });

  it('does not case-fold QTYPE octets (type 65 is not type 97)', () => {
    const https = signatureOf(queryWire('a.example', 1, 65));
    const q97 = queryWire('a.example', 1, 97);
    const reply = answerFor(q97, { id: 5 });
    assert.equal(pairReply(reply, https, 5), 'question');
  });

  it('requires a question-less reply for a question-less query', () => {
    const bare = encodeMessage(newMessage({ id: 3 }));
    const s = signatureOf(bare);
    assert.equal(pairReply(encodeMessage(newMessage({ id: 3, qr: true })), s, 3), 'ok');
    assert.equal(pairReply(answerFor(query, { id: 3 }), s, 3), 'question');
  });

  it("rejects bytes that cannot be paired with 'bad-query'", () => {
    for (const bad of [
      new Uint8Array(4),
      withId(answerFor(query), 1), // QR set
      encodeMessage(
        newMessage({
          questions: [
            { name: makeQuery('a.example', 1).questions[0].name, type: 1, class: 1 },
            { name: makeQuery('b.example', 1).questions[0].name, type: 1, class: 1 },
          ],
        }),
      ),
      query.subarray(0, query.length - 20),
    ])
      assert.throws(
        () => signatureOf(bad),
        (e) => isTransportError(e, 'bad-query'),
      );
  });
});
