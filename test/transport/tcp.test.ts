import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, type AgentOptions, type Connector, isTransportError } from '../../src/transport/index.js';
import {
  addressOf,
  answerFor,
  type Conn,
  closedTcpPort,
  type FakeTcpServer,
  frameOf,
  idOf,
  qnameOf,
  queryWire,
  rejectsWith,
  sleep,
  target,
  tcpServer,
} from '../helpers/dns-fakes.js';

const T = { timeout: 8000 };

describe('StreamClient over TCP (through Agent and Pool)', () => {
  const servers: FakeTcpServer[] = [];
  const agents: Agent[] = [];
  after(async () => {
    for (const a of agents) a.destroy();
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(...args: Parameters<typeof tcpServer>): Promise<FakeTcpServer> {
    const s = await tcpServer(...args);
    servers.push(s);
    return s;
  }
  function agent(opts: AgentOptions = {}): Agent {
    const a = new Agent({ queryTimeoutMs: 2000, connectTimeoutMs: 1000, ...opts });
    agents.push(a);
    return a;
  }
  const echo = (msg: Buffer, conn: Conn) => conn.send(answerFor(msg));

  it('returns the paired answer with the caller ID restored', T, async () => {
    const s = await server(echo);
    const a = agent();
    const wire = queryWire('example.com', 0x4242);
    const copy = Uint8Array.from(wire);
    const reply = await a.query(wire, target(s.port, 'tcp'));
    assert.equal(idOf(reply.wire), 0x4242);
    assert.deepEqual(wire, copy);
    assert.equal(addressOf(reply.wire), '192.0.2.1');
    assert.equal(reply.protocol, 'tcp');
    assert.equal(reply.reused, false);
    const again = await a.query(wire, target(s.port, 'tcp'));
    assert.equal(again.reused, true);
    assert.equal(s.accepted, 1);
  });

  it('pipelines queries and pairs replies sent in reverse order', T, async () => {
    const held: [Buffer, Conn][] = [];
    const s = await server((msg, conn) => {
      held.push([msg, conn]);
      if (held.length === 5)
        for (const [m, c] of held.reverse())
          c.send(answerFor(m, { address: `192.0.2.${qnameOf(m).charCodeAt(0) - 96}` }));
    });
    const a = agent();
    const names = ['a.example.', 'b.example.', 'c.example.', 'd.example.', 'e.example.'];
    const replies = await Promise.all(names.map((n) => a.query(queryWire(n, 0), target(s.port, 'tcp'))));
    assert.deepEqual(
      replies.map((r) => addressOf(r.wire)),
      ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'],
    );
    assert.equal(s.accepted, 1, 'all on one connection');
  });

  it('carries many concurrent queries on one connection with unique IDs', T, async () => {
    const N = 300;
    const held: [Buffer, Conn][] = [];
    const ids = new Set<number>();
    const s = await server((msg, conn) => {
      ids.add(idOf(msg));
      held.push([msg, conn]);
      if (held.length === N) for (const [m, c] of held) c.send(answerFor(m));
    });
    const a = agent({ maxInflight: 1000 });
    // Every caller uses ID 0: uniqueness on the wire is the transport's job.
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) => a.query(queryWire(`q${i}.example`, 0), target(s.port, 'tcp'))),
    );
    assert.equal(replies.length, N);
    assert.equal(ids.size, N, 'IDs in flight on one connection are unique');
    assert.equal(s.accepted, 1);
    for (const r of replies) assert.equal(idOf(r.wire), 0);
  });

  it('queues queries beyond the in-flight cap', T, async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    const s = await server((msg, conn) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      setTimeout(() => {
        outstanding--;
        conn.send(answerFor(msg));
      }, 20);
    });
    const a = agent({ maxInflight: 2, maxConnections: 1 });
    const t = target(s.port, 'tcp');
    const all = Array.from({ length: 7 }, (_, i) => a.query(queryWire(`q${i}.example`), t));
    const pool = a.pool(t)!;
    assert.equal(pool.running, 2);
    assert.equal(pool.pending, 5);
    await Promise.all(all);
    assert.equal(maxOutstanding, 2);
    assert.equal(s.accepted, 1);
  });

  it("fails in-flight queries with 'closed' when the server closes mid-way, then reconnects", T, async () => {
    let received = 0;
    const s = await server((msg, conn) => {
      received++;
      if (conn.n === 1) {
        if (received === 1) conn.send(answerFor(msg));
        if (received === 3) conn.socket.destroy();
        return;
      }
      conn.send(answerFor(msg, { address: '192.0.2.99' }));
    });
    const a = agent();
    const t = target(s.port, 'tcp');
    const results = await Promise.allSettled([1, 2, 3].map((i) => a.query(queryWire(`q${i}.example`), t)));
    assert.equal(results[0].status, 'fulfilled');
    for (const r of results.slice(1)) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(isTransportError(err, 'closed'), String(err));
      assert.equal(err.retryable, true);
    }
    const next = await a.query(queryWire('again.example'), t);
    assert.equal(addressOf(next.wire), '192.0.2.99');
    assert.equal(s.accepted, 2);
  });

  it("drops the connection on a frame shorter than a header ('malformed') and stays usable", T, async () => {
    const s = await server((msg, conn) => {
      if (conn.n === 1) conn.socket.write(Buffer.from([0x00, 0x03, 0x61, 0x62, 0x63]));
      else conn.send(answerFor(msg));
    });
    const a = agent();
    const t = target(s.port, 'tcp');
    const started = Date.now();
    await rejectsWith(a.query(queryWire('example.com'), t), 'malformed');
    assert.ok(Date.now() - started < 1000, 'fails at once, not at the deadline');
    await s.closed(1);
    const ok = await a.query(queryWire('example.com'), t);
    assert.equal(addressOf(ok.wire), '192.0.2.1');
  });

  it('bounds a slow-drip server by the query deadline, drops the stalled connection and recovers', T, async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await server((msg, conn) => {
      if (conn.n === 1) {
        // Announce a 65535-octet reply, then drip one octet every 20 ms.
        conn.socket.write(Buffer.from([0xff, 0xff]));
        const t = setInterval(() => {
          if (!conn.socket.destroyed) conn.socket.write(Buffer.from([0x00]));
        }, 20);
        timers.push(t);
        conn.socket.on('close', () => clearInterval(t));
        return;
      }
      conn.send(answerFor(msg));
    });
    try {
      const a = agent({ queryTimeoutMs: 300 });
      const t = target(s.port, 'tcp');
      const started = Date.now();
      await rejectsWith(a.query(queryWire('example.com'), t), 'timeout');
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
      await s.closed(1);
      const ok = await a.query(queryWire('example.com'), t);
      assert.equal(addressOf(ok.wire), '192.0.2.1');
      assert.equal(s.accepted, 2);
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it("drops a connection that sends too many unpaired frames ('mismatched')", T, async () => {
    const s = await server((msg, conn) => {
      if (conn.n === 1) {
        for (let i = 0; i < 10; i++) conn.send(answerFor(msg, { id: idOf(msg) ^ (i + 1) }));
        return;
      }
      conn.send(answerFor(msg));
    });
    const a = agent({ maxUnmatchedFrames: 5 });
    const t = target(s.port, 'tcp');
    const err = await rejectsWith(a.query(queryWire('example.com'), t), 'mismatched');
    assert.ok((err.mismatched ?? 0) > 5);
    const ok = await a.query(queryWire('example.com'), t);
    assert.equal(addressOf(ok.wire), '192.0.2.1');
  });

  it('ignores a reply with the right ID but the wrong question', T, async () => {
    const s = await server((msg, conn) => {
      conn.send(answerFor(msg, { qname: 'evil.example', address: '198.51.100.1' }));
      conn.send(answerFor(msg));
    });
    const a = agent();
    const reply = await a.query(queryWire('example.com'), target(s.port, 'tcp'));
    assert.equal(addressOf(reply.wire), '192.0.2.1');
    assert.equal(reply.mismatched, 1);
  });

  it('reports TC over TCP to the caller', T, async () => {
    const s = await server((msg, conn) => conn.send(answerFor(msg, { tc: true })));
    const reply = await agent().query(queryWire('example.com'), target(s.port, 'tcp'));
    assert.equal(reply.truncated, true);
  });

  it('closes an idle connection after the idle timeout and forgets the pool', T, async () => {
    const s = await server(echo);
    const a = agent({ idleTimeoutMs: 100 });
    const t = target(s.port, 'tcp');
    await a.query(queryWire('example.com'), t);
    assert.equal(a.stats.connections, 1);
    const started = Date.now();
    await s.closed(1);
    const took = Date.now() - started;
    assert.ok(took >= 50 && took < 2000, `closed after ${took} ms`);
    await sleep(10);
    assert.equal(a.stats.pools, 0);
    await a.query(queryWire('example.com'), t);
    assert.equal(s.accepted, 2);
  });

  it("maps a refused connection to 'connect-refused'", T, async () => {
    const port = await closedTcpPort();
    await rejectsWith(agent().query(queryWire('example.com'), target(port, 'tcp')), 'connect-refused');
  });

  it("bounds a connection that never becomes ready with 'connect-timeout'", T, async () => {
    let aborted = false;
    const hanging: Connector = ({ signal }) =>
      new Promise<Socket>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason);
        });
      });
    const a = agent({ connectors: { tcp: hanging }, connectTimeoutMs: 100 });
    const started = Date.now();
    await rejectsWith(a.query(queryWire('example.com'), target(53, 'tcp')), 'connect-timeout');
    assert.ok(Date.now() - started < 1000);
    assert.equal(aborted, true, 'the connector was told to give up');
  });

  it('close() drains queries in flight before closing; destroy() fails them', T, async () => {
    const s = await server((msg, conn) => setTimeout(() => conn.send(answerFor(msg)), 50));
    const a = new Agent();
    const t = target(s.port, 'tcp');
    const p = a.query(queryWire('example.com'), t);
    await a.close();
    assert.equal(addressOf((await p).wire), '192.0.2.1');
    await rejectsWith(a.query(queryWire('example.com'), t), 'shutdown');
    await s.closed(1);

    const b = new Agent();
    const q = b.query(queryWire('example.com'), t);
    await sleep(10);
    b.destroy();
    await rejectsWith(q, 'shutdown');
  });

  it('keeps the connection after one query times out while others are answered', T, async () => {
    const s = await server((msg, conn) => {
      if (qnameOf(msg) === 'silent.example.') return;
      setTimeout(() => conn.send(answerFor(msg)), 30);
    });
    const a = agent({ queryTimeoutMs: 200 });
    const t = target(s.port, 'tcp');
    const silent = a.query(queryWire('silent.example'), t);
    const ok = a.query(queryWire('ok.example'), t);
    assert.equal(addressOf((await ok).wire), '192.0.2.1');
    await rejectsWith(silent, 'timeout');
    await a.query(queryWire('again.example'), t);
    assert.equal(s.accepted, 1, 'a single unanswered query does not drop a working connection');
  });

  it('tolerates a reply split across many small writes', T, async () => {
    const s = await server((msg, conn) => {
      const f = frameOf(answerFor(msg));
      let i = 0;
      const t = setInterval(() => {
        if (i >= f.length || conn.socket.destroyed) return clearInterval(t);
        conn.socket.write(f.subarray(i, i + 7));
        i += 7;
      }, 1);
    });
    const reply = await agent().query(queryWire('example.com'), target(s.port, 'tcp'));
    assert.equal(addressOf(reply.wire), '192.0.2.1');
  });
});
