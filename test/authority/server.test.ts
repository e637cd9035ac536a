// The authoritative server frame over real loopback sockets: UDP and TCP behaviour, the
// frame's own replies (FORMERR, BADVERS, SERVFAIL), drops, and the query log.
// DoT and DoH are in server-tls.test.ts, kdig/dig interop in server-interop.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AuthServer, ServeError, startAuthServer } from '../../src/authority/server.js';
import { decodeMessage, encodeMessage, makeQuery, Rcode, RRType } from '../../src/wire/index.js';
import {
  ANSWER_ADDRESS,
  BIG_COUNT,
  frame,
  MID_COUNT,
  query,
  StreamClient,
  sleep,
  testHandler,
  udpExchange,
} from './serve-helpers.js';

const T = { timeout: 10_000 };

/** Header ID 0x1234, RD, QDCOUNT 1, then a question whose name runs off the end. */
const GARBAGE_WITH_HEADER = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0x61, 0x62]);

describe('authoritative server: UDP', () => {
  let server: AuthServer;
  before(async () => {
    server = await startAuthServer({ address: '127.0.0.1', udpPort: 0, tcpPort: 0, handler: testHandler });
  });
  after(() => server.close());

  test('answers A and reports ports', T, async () => {
    assert.ok(server.ports.udp! > 0 && server.ports.tcp! > 0);
    assert.equal(server.ports.dot, undefined);
    const r = decodeMessage((await udpExchange(server.ports.udp!, query('www.example.test', { id: 77 })))!);
    assert.equal(r.id, 77);
    assert.equal(r.qr, true);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(
      r.answers.map((rr) => rr.data),
      [{ address: ANSWER_ADDRESS }],
    );
    assert.ok(r.edns, 'OPT added to the reply of an EDNS query');
    assert.equal(r.edns.udpSize, 1232);
    const e = await server.queryLog.waitFor((x) => x.id === 77);
    assert.equal(e.transport, 'udp');
    assert.equal(e.listener, 'udp');
    assert.equal(e.qname, 'www.example.test.');
    assert.equal(e.qtype, RRType.A);
    assert.equal(e.kind, 'query');
    assert.equal(e.client.address, '127.0.0.1');
  });

  test('no OPT in the reply to a query without EDNS', T, async () => {
    const r = decodeMessage((await udpExchange(server.ports.udp!, query('a.test', { edns: false })))!);
    assert.equal(r.edns, undefined);
    assert.equal(r.answers.length, 1);
  });

  test('TC when the answer exceeds 512 without EDNS, and the cap of 1232 with EDNS 4096', T, async () => {
    // Truncation drops whole RRsets: a reply that cannot hold the RRset keeps only the question.
    const plain = (await udpExchange(server.ports.udp!, query('mid.test', { edns: false })))!;
    assert.ok(plain.length <= 512, String(plain.length));
    const m1 = decodeMessage(plain);
    assert.equal(m1.tc, true);
    assert.equal(m1.answers.length, 0);
    assert.equal(m1.questions[0].name.toString(), 'mid.test.');
    const mid = (await udpExchange(server.ports.udp!, query('mid.test', { udpSize: 4096 })))!;
    assert.ok(mid.length > 512 && mid.length <= 1232, String(mid.length));
    assert.equal(decodeMessage(mid).tc, false);
    assert.equal(decodeMessage(mid).answers.length, MID_COUNT);
    const big = (await udpExchange(server.ports.udp!, query('big.test', { udpSize: 4096 })))!;
    assert.ok(big.length <= 1232, String(big.length));
    assert.equal(decodeMessage(big).tc, true);
    const small = decodeMessage((await udpExchange(server.ports.udp!, query('mid.test', { udpSize: 100 })))!);
    assert.equal(small.tc, true, 'EDNS sizes below 512 count as 512');
  });

  test('the full answer over TCP', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    try {
      c.send(query('big.test', { udpSize: 4096 }));
      const r = await c.nextMessage();
      assert.equal(r.tc, false);
      assert.equal(r.answers.length, BIG_COUNT);
    } finally {
      c.destroy();
    }
  });

  test('FORMERR for garbage with a readable header, logged as malformed', T, async () => {
    const r = decodeMessage((await udpExchange(server.ports.udp!, GARBAGE_WITH_HEADER))!);
    assert.equal(r.id, 0x1234);
    assert.equal(r.qr, true);
    assert.equal(r.rd, true);
    assert.equal(r.rcode, Rcode.FORMERR);
    const e = await server.queryLog.waitFor((x) => x.id === 0x1234);
    assert.equal(e.kind, 'malformed');
  });

  test('dropped: shorter than a header, a response (QR set), and the handler said so', T, async () => {
    assert.equal(await udpExchange(server.ports.udp!, GARBAGE_WITH_HEADER.subarray(0, 11), 300), undefined);
    const resp = makeQuery('qr.test', RRType.A, { id: 99 });
    resp.qr = true;
    assert.equal(await udpExchange(server.ports.udp!, encodeMessage(resp), 300), undefined);
    assert.equal((await server.queryLog.waitFor((x) => x.id === 99)).kind, 'response');
    assert.equal(await udpExchange(server.ports.udp!, query('drop.test', { id: 98 }), 300), undefined);
    assert.equal((await server.queryLog.waitFor((x) => x.id === 98)).qname, 'drop.test.', 'dropped queries are logged');
  });

  test('REFUSED from the handler, and SERVFAIL when the handler throws', T, async () => {
    const refused = decodeMessage((await udpExchange(server.ports.udp!, query('refused.test')))!);
    assert.equal(refused.rcode, Rcode.REFUSED);
    const failed = decodeMessage((await udpExchange(server.ports.udp!, query('throw.test', { id: 5 })))!);
    assert.equal(failed.id, 5);
    assert.equal(failed.rcode, Rcode.SERVFAIL);
    assert.equal(failed.questions[0].name.toString(), 'throw.test.');
    assert.ok(failed.edns);
    // and the server still serves
    const ok = decodeMessage((await udpExchange(server.ports.udp!, query('after.test')))!);
    assert.equal(ok.rcode, Rcode.NOERROR);
  });

  test('BADVERS for EDNS version 1, FORMERR for two questions', T, async () => {
    const q = makeQuery('v1.test', RRType.A, { id: 6 });
    q.edns!.version = 1;
    const r = decodeMessage((await udpExchange(server.ports.udp!, encodeMessage(q)))!);
    assert.equal(r.rcode, Rcode.BADVERS);
    assert.equal(r.edns?.version, 0);
    const two = makeQuery('one.test', RRType.A, { id: 7 });
    two.questions.push(makeQuery('two.test', RRType.A).questions[0]);
    const f = decodeMessage((await udpExchange(server.ports.udp!, encodeMessage(two)))!);
    assert.equal(f.rcode, Rcode.FORMERR);
  });
});

describe('authoritative server: TCP', () => {
  let server: AuthServer;
  before(async () => {
    server = await startAuthServer({
      address: '127.0.0.1',
      tcpPort: 0,
      handler: testHandler,
      idleTimeoutMs: 400,
      maxTcpConnections: 3,
    });
  });
  after(() => server.close());

  test('pipelining: several queries in one write', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    try {
      const ids = [101, 102, 103, 104];
      c.write(Buffer.concat(ids.map((id) => frame(query(`p${id}.test`, { id })))));
      const got = [];
      for (const _ of ids) got.push((await c.nextMessage()).id);
      assert.deepEqual(got.sort(), ids);
      assert.equal(server.queryLog.entries({ transport: 'tcp' }).filter((e) => ids.includes(e.id)).length, 4);
    } finally {
      c.destroy();
    }
  });

  test('replies leave as they are ready (out of order)', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    try {
      c.write(Buffer.concat([frame(query('slow.test', { id: 1 })), frame(query('fast.test', { id: 2 }))]));
      assert.equal((await c.nextMessage()).id, 2);
      assert.equal((await c.nextMessage()).id, 1);
    } finally {
      c.destroy();
    }
  });

  test('a query split across writes, then a FORMERR that keeps the connection open', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    try {
      const f = frame(query('split.test', { id: 3 }));
      c.write(f.subarray(0, 1));
      await sleep(30);
      c.write(f.subarray(1, 9));
      await sleep(30);
      c.write(f.subarray(9));
      assert.equal((await c.nextMessage()).id, 3);
      c.send(GARBAGE_WITH_HEADER);
      assert.equal((await c.nextMessage()).rcode, Rcode.FORMERR);
      c.send(query('again.test', { id: 4 }));
      assert.equal((await c.nextMessage()).id, 4);
    } finally {
      c.destroy();
    }
  });

  test('idle timeout closes the connection', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    c.send(query('idle.test'));
    await c.nextMessage();
    const t0 = Date.now();
    assert.equal(await c.closesWithin(3_000), true);
    assert.ok(Date.now() - t0 >= 300, 'not before the idle timeout');
  });

  test('a length prefix shorter than a header closes the connection', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    c.write(Buffer.from([0x00, 0x03, 1, 2, 3]));
    assert.equal(await c.closesWithin(2_000), true);
    const z = await StreamClient.connectTcp(server.ports.tcp!);
    z.write(Buffer.from([0x00, 0x00]));
    assert.equal(await z.closesWithin(2_000), true);
  });

  test('a length of 65535 with a few octets is buffered, then the connection times out', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    c.write(Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(100, 0x41)]));
    assert.equal(await c.closesWithin(3_000), true);
  });

  test('a client that half-closes after its queries still gets the replies', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    c.write(Buffer.concat([frame(query('slow.test', { id: 8 })), frame(query('b.test', { id: 9 }))]));
    c.socket.end();
    const ids = [(await c.nextMessage()).id, (await c.nextMessage()).id];
    assert.deepEqual(ids.sort(), [8, 9]);
    assert.equal(await c.closesWithin(2_000), true);
  });

  test('edns-tcp-keepalive is answered with the idle timeout', T, async () => {
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    try {
      const q = makeQuery('ka.test', RRType.A, { id: 10 });
      q.edns!.options.push({ kind: 'keepalive' });
      c.send(encodeMessage(q));
      const r = await c.nextMessage();
      assert.deepEqual(r.edns?.options, [{ kind: 'keepalive', timeout: 4 }]);
    } finally {
      c.destroy();
    }
  });

  test('max connections: the connection over the limit is closed, and a slot frees on close', T, async () => {
    const open = [await StreamClient.connectTcp(server.ports.tcp!), await StreamClient.connectTcp(server.ports.tcp!)];
    open.push(await StreamClient.connectTcp(server.ports.tcp!));
    try {
      for (const c of open) {
        c.send(query('slot.test'));
        await c.nextMessage();
      }
      const over = await StreamClient.connectTcp(server.ports.tcp!);
      assert.equal(await over.closesWithin(2_000), true);
      open.pop()!.destroy();
      await sleep(100);
      const next = await StreamClient.connectTcp(server.ports.tcp!);
      open.push(next);
      next.send(query('slot.test', { id: 11 }));
      assert.equal((await next.nextMessage()).id, 11);
    } finally {
      for (const c of open) c.destroy();
    }
  });
});

describe('authoritative server: lifecycle', () => {
  test('close() ends open connections and is idempotent', T, async () => {
    const server = await startAuthServer({ address: '127.0.0.1', udpPort: 0, tcpPort: 0, handler: testHandler });
    const c = await StreamClient.connectTcp(server.ports.tcp!);
    c.send(query('x.test'));
    await c.nextMessage();
    await Promise.all([server.close(), server.close()]);
    assert.equal(await c.closesWithin(1_000), true);
    await server.close();
  });

  test('bad options are rejected before anything binds', T, async () => {
    await assert.rejects(
      startAuthServer({ address: '127.0.0.1', dotPort: 0, handler: testHandler }),
      (e: unknown) => e instanceof ServeError && e.code === 'bad-option',
    );
    await assert.rejects(
      startAuthServer({ address: '127.0.0.1', udpPort: 70000, handler: testHandler }),
      (e: unknown) => e instanceof ServeError && e.code === 'bad-option',
    );
  });

  test('a port already in use fails with bind-failed and closes what started', T, async () => {
    const first = await startAuthServer({ address: '127.0.0.1', tcpPort: 0, handler: testHandler });
    try {
      await assert.rejects(
        startAuthServer({ address: '127.0.0.1', udpPort: 0, tcpPort: first.ports.tcp, handler: testHandler }),
        (e: unknown) => e instanceof ServeError && e.code === 'bind-failed' && e.listener === 'tcp',
      );
    } finally {
      await first.close();
    }
  });

  test('a custom maxUdpPayload caps UDP replies', T, async () => {
    const server = await startAuthServer({
      address: '127.0.0.1',
      udpPort: 0,
      handler: testHandler,
      maxUdpPayload: 600,
    });
    try {
      const r = decodeMessage((await udpExchange(server.ports.udp!, query('mid.test', { udpSize: 4096 })))!);
      assert.equal(r.tc, true);
      assert.equal(r.edns?.udpSize, 600);
      const ok = decodeMessage((await udpExchange(server.ports.udp!, query('a.test', { udpSize: 4096 })))!);
      assert.equal(ok.tc, false);
    } finally {
      await server.close();
    }
  });
});
