// dnstap messages built from the observation points, written through Frame Streams to a file and
// decoded back with our own reader and schema: RESOLVER_QUERY/RESPONSE with the real socket
// protocol (DOT, DOH...), query_zone in wire form, addresses, ports and times; CLIENT_QUERY and
// CLIENT_RESPONSE; `extra` with sealdns's annotation; bounded output.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { clientMessages, DnstapLogger, resolverMessages, timeParts } from '../../src/observe/dnstap.js';
import {
  DNSTAP_CONTENT_TYPE,
  decodeDnstap,
  encodeDnstap,
  MessageType,
  SocketFamily,
  SocketProtocol,
} from '../../src/observe/dnstap-schema.js';
import { readDataFrames } from '../../src/observe/fstrm.js';
import type { UpstreamExchangeEvent } from '../../src/resolver/diagnostics.js';
import type { ClientExchangeEvent } from '../../src/server/diagnostics.js';
import { encodeMessage, makeQuery, Name, RRType } from '../../src/wire/index.js';
import { tempDir } from '../helpers/peers.js';

const dir = tempDir('sealdns-dnstap-');
after(() => rm(dir, { recursive: true, force: true }));

const query = encodeMessage(makeQuery(Name.fromText('www.dot.test.'), RRType.A, { id: 7 }));
const reply = Uint8Array.from(query);
reply[2] |= 0x80;

function upstreamEvent(over: Partial<UpstreamExchangeEvent> = {}): UpstreamExchangeEvent {
  return {
    zone: 'dot.test.',
    server: 'ns1.dot.test.',
    ip: '127.0.3.1',
    port: 853,
    protocol: 'dot',
    encrypted: true,
    authenticated: true,
    why: 'strict signal (DANE)',
    outcome: 'ok',
    query,
    response: reply,
    sentAt: 1_700_000_000_123.25,
    endedAt: 1_700_000_000_125.5,
    ...over,
  };
}

function clientEvent(over: Partial<ClientExchangeEvent> = {}): ClientExchangeEvent {
  return {
    transport: 'udp',
    client: { address: '127.0.0.1', port: 40000 },
    local: { address: '127.0.0.1', port: 5300 },
    query,
    response: reply,
    receivedAt: 1_700_000_001_000,
    respondedAt: 1_700_000_001_002.25,
    ...over,
  };
}

describe('dnstap messages', () => {
  test('times split into seconds and nanoseconds', () => {
    assert.deepEqual(timeParts(1_700_000_000_123.25), { sec: 1_700_000_000, nsec: 123_250_000 });
    assert.deepEqual(timeParts(1000), { sec: 1, nsec: 0 });
  });

  test('an upstream DoT exchange: RESOLVER_QUERY and RESOLVER_RESPONSE with socket protocol DOT', () => {
    const [q, r] = resolverMessages(upstreamEvent());
    assert.equal(q.type, MessageType.RESOLVER_QUERY);
    assert.equal(q.socketProtocol, SocketProtocol.DOT);
    assert.equal(q.socketFamily, SocketFamily.INET);
    assert.deepEqual(q.responseAddress, Uint8Array.from([127, 0, 3, 1]));
    assert.equal(q.responsePort, 853);
    assert.deepEqual(q.queryZone, Name.fromText('dot.test.').toBytes());
    assert.equal(q.queryTimeSec, 1_700_000_000);
    assert.equal(q.queryTimeNsec, 123_250_000);
    assert.equal(q.responseMessage, undefined);
    assert.equal(r.type, MessageType.RESOLVER_RESPONSE);
    assert.equal(r.responseTimeNsec, 125_500_000);
    assert.deepEqual(r.responseMessage, reply);
  });

  test('DoH, TCP, UDP and IPv6; a timeout has no RESOLVER_RESPONSE', () => {
    const doh = resolverMessages(upstreamEvent({ protocol: 'doh', port: 443 }))[0];
    assert.equal(doh.socketProtocol, SocketProtocol.DOH);
    assert.equal(doh.httpProtocol, 2);
    assert.equal(resolverMessages(upstreamEvent({ protocol: 'tcp' }))[0].socketProtocol, SocketProtocol.TCP);
    const v6 = resolverMessages(upstreamEvent({ protocol: 'udp', ip: '::1' }))[0];
    assert.equal(v6.socketProtocol, SocketProtocol.UDP);
    assert.equal(v6.socketFamily, SocketFamily.INET6);
    assert.equal(v6.responseAddress?.length, 16);
    const lost = resolverMessages(upstreamEvent({ response: undefined, outcome: 'timeout' }));
    assert.deepEqual(
      lost.map((m) => m.type),
      [MessageType.RESOLVER_QUERY],
    );
    assert.deepEqual(resolverMessages(upstreamEvent({ ip: 'not-an-ip' })), []);
  });

  test('a client exchange: CLIENT_QUERY and CLIENT_RESPONSE with both endpoints', () => {
    const [q, r] = clientMessages(clientEvent({ transport: 'tcp' }));
    assert.equal(q.type, MessageType.CLIENT_QUERY);
    assert.equal(q.socketProtocol, SocketProtocol.TCP);
    assert.deepEqual(q.queryAddress, Uint8Array.from([127, 0, 0, 1]));
    assert.equal(q.queryPort, 40000);
    assert.equal(q.responsePort, 5300);
    assert.equal(r.type, MessageType.CLIENT_RESPONSE);
    assert.equal(r.responseTimeNsec, 2_250_000);
    assert.deepEqual(
      clientMessages(clientEvent({ response: undefined })).map((m) => m.type),
      [MessageType.CLIENT_QUERY],
    );
  });

  test('the schema round-trips and rejects a payload without the required type', () => {
    const [message] = resolverMessages(upstreamEvent());
    const d = decodeDnstap(encodeDnstap({ identity: Buffer.from('id'), version: Buffer.from('v'), message }));
    assert.equal(d.type, 1);
    assert.equal(Buffer.from(d.identity!).toString(), 'id');
    assert.equal(d.message.socketProtocol, SocketProtocol.DOT);
    assert.equal(d.message.queryTimeSec, 1_700_000_000);
    assert.deepEqual(Uint8Array.from(d.message.queryMessage!), query);
    assert.throws(() => decodeDnstap(Uint8Array.from([0x0a, 0x01, 0x41])), /missing required/);
  });
});

describe('DnstapLogger', () => {
  test('writes what the channels publish to a file our reader decodes', async () => {
    const file = join(dir, 'log.fstrm');
    const logger = new DnstapLogger({ output: { file }, identity: 'lab', version: 'sealdns-test' }).start();
    channel('sealdns:resolver:upstream').publish(upstreamEvent());
    channel('sealdns:resolver:upstream').publish(upstreamEvent({ protocol: 'udp', port: 53, response: undefined }));
    channel('sealdns:server:exchange').publish(clientEvent());
    await logger.close();
    // after close, nothing more is written
    channel('sealdns:server:exchange').publish(clientEvent());
    const frames = readDataFrames(await readFile(file), DNSTAP_CONTENT_TYPE).map(decodeDnstap);
    assert.deepEqual(
      frames.map((f) => [f.message.type, f.message.socketProtocol]),
      [
        [MessageType.RESOLVER_QUERY, SocketProtocol.DOT],
        [MessageType.RESOLVER_RESPONSE, SocketProtocol.DOT],
        [MessageType.RESOLVER_QUERY, SocketProtocol.UDP],
        [MessageType.CLIENT_QUERY, SocketProtocol.UDP],
        [MessageType.CLIENT_RESPONSE, SocketProtocol.UDP],
      ],
    );
    assert.equal(Buffer.from(frames[0].identity!).toString(), 'lab');
    assert.equal(Buffer.from(frames[0].version!).toString(), 'sealdns-test');
    const extra = JSON.parse(Buffer.from(frames[0].extra!).toString());
    assert.deepEqual(extra, {
      ns: 'ns1.dot.test.',
      encrypted: true,
      authenticated: true,
      why: 'strict signal (DANE)',
      outcome: 'ok',
    });
    assert.equal(frames[3].extra, undefined, 'client messages carry no annotation');
    assert.deepEqual(logger.stats, { messages: 5, dropped: 0, skipped: 0, written: 5, queued: 0 });
  });

  test('message selection, and a full queue drops without encoding', async () => {
    const file = join(dir, 'sel.fstrm');
    const logger = new DnstapLogger({
      output: { file },
      client: false,
      writer: { maxQueuedFrames: 3 },
    }).start();
    channel('sealdns:server:exchange').publish(clientEvent());
    // the file is not open yet: everything waits in the queue of 3
    for (let i = 0; i < 4; i++) channel('sealdns:resolver:upstream').publish(upstreamEvent());
    assert.equal(logger.stats.messages, 3);
    assert.equal(logger.stats.dropped, 5);
    await logger.close();
    const frames = readDataFrames(await readFile(file), DNSTAP_CONTENT_TYPE).map(decodeDnstap);
    assert.equal(frames.length, 3);
    assert.ok(frames.every((f) => f.message.type !== MessageType.CLIENT_QUERY));
  });
});
