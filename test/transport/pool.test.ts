import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, describe, it } from 'node:test';
import {
  Agent,
  type AgentOptions,
  type CloseEvent,
  type ConnectEvent,
  closeChannel,
  connectChannel,
  isTransportError,
  type QueryEvent,
  queryChannel,
  targetKey,
} from '../../src/transport/index.js';
import {
  answerFor,
  type Conn,
  closedTcpPort,
  type FakeTcpServer,
  queryWire,
  rejectsWith,
  sleep,
  target,
  tcpServer,
} from '../helpers/dns-fakes.js';

const T = { timeout: 8000 };

describe('Pool and Agent', () => {
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
  const slowEcho = (ms: number) => (msg: Buffer, conn: Conn) => setTimeout(() => conn.send(answerFor(msg)), ms);

  it('opens at most maxConnections per server', T, async () => {
    const s = await server(slowEcho(30));
    let maxOpen = 0;
    s.server.on('connection', () => (maxOpen = Math.max(maxOpen, s.open.size)));
    const a = agent({ maxConnections: 2, maxInflight: 1 });
    const t = target(s.port, 'tcp');
    const all = Array.from({ length: 6 }, (_, i) => a.query(queryWire(`q${i}.example`), t));
    const pool = a.pool(t)!;
    assert.equal(pool.size, 2);
    assert.equal(pool.running, 2);
    assert.equal(pool.pending, 4);
    await Promise.all(all);
    assert.equal(s.accepted, 2);
    assert.ok(maxOpen <= 2);
    assert.equal(pool.connected, 2);
    assert.equal(pool.free, 2);
  });

  it('defaults to one connection per server (RFC 7766 6.2.2)', T, async () => {
    const s = await server(slowEcho(10));
    const a = agent();
    const t = target(s.port, 'tcp');
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.query(queryWire(`q${i}.example`), t)));
    assert.equal(s.accepted, 1);
  });

  it("fails queries beyond the queue limit with 'too-many-inflight'", T, async () => {
    const s = await server(slowEcho(50));
    const a = agent({ maxConnections: 1, maxInflight: 1, maxQueued: 2 });
    const t = target(s.port, 'tcp');
    const ok = [0, 1, 2].map((i) => a.query(queryWire(`q${i}.example`), t));
    await rejectsWith(a.query(queryWire('q3.example'), t), 'too-many-inflight');
    await Promise.all(ok);
  });

  it('a query that expires in the queue frees its place', T, async () => {
    const s = await server(slowEcho(100));
    const a = agent({ maxConnections: 1, maxInflight: 1, maxQueued: 1 });
    const t = target(s.port, 'tcp');
    const first = a.query(queryWire('q0.example'), t);
    const ac = new AbortController();
    const queued = a.query(queryWire('q1.example'), t, ac.signal);
    assert.equal(a.pool(t)!.pending, 1);
    ac.abort();
    await rejectsWith(queued, 'aborted');
    assert.equal(a.pool(t)!.pending, 0);
    const later = a.query(queryWire('q2.example'), t);
    await Promise.all([first, later]);
  });

  it('at the global cap, closes the longest-idle connection of another server to make room', T, async () => {
    const s1 = await server(echo);
    const s2 = await server(echo);
    const a = agent({ maxConnectionsTotal: 1 });
    await a.query(queryWire('one.example'), target(s1.port, 'tcp'));
    assert.equal(a.stats.connections, 1);
    await a.query(queryWire('two.example'), target(s2.port, 'tcp'));
    await s1.closed(1);
    assert.equal(a.stats.connections, 1);
  });

  it("at the global cap with no idle connection, fails fast with 'connection-limit'", T, async () => {
    const s1 = await server(slowEcho(100));
    const s2 = await server(echo);
    const a = agent({ maxConnectionsTotal: 1 });
    const busy = a.query(queryWire('one.example'), target(s1.port, 'tcp'));
    await rejectsWith(a.query(queryWire('two.example'), target(s2.port, 'tcp')), 'connection-limit');
    await busy;
    assert.equal(s2.accepted, 0);
  });

  it('keeps connections with different security terms apart (the pool key)', T, async () => {
    const s = await server(echo);
    const a = agent();
    const plain = target(s.port, 'tcp');
    const named = { ...plain, authName: 'ns1.example' };
    assert.notEqual(targetKey(plain), targetKey(named));
    await a.query(queryWire('a.example'), plain);
    await a.query(queryWire('b.example'), named);
    assert.equal(s.accepted, 2);
    assert.equal(a.stats.pools, 2);
  });

  it('a failed connection attempt fails the queued queries at once instead of retrying for each', T, async () => {
    const port = await closedTcpPort();
    const a = agent({ maxInflight: 1 });
    const t = target(port, 'tcp');
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => a.query(queryWire('x.example'), t)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(isTransportError((r as PromiseRejectedResult).reason, 'connect-refused'));
    }
    assert.ok(Date.now() - started < 1000);
    assert.equal(a.stats.pools, 0, 'the empty pool is forgotten');
  });

  it("rejects protocols without a connector with 'unsupported-protocol'", T, async () => {
    const a = agent();
    assert.equal(a.supports('dot'), false);
    await rejectsWith(a.query(queryWire('x.example'), target(853, 'dot')), 'unsupported-protocol');
  });

  it('publishes connect, query and close events on the diagnostics channels', T, async () => {
    const connects: ConnectEvent[] = [];
    const queries: QueryEvent[] = [];
    const closes: CloseEvent[] = [];
    const onConnect = (m: unknown) => connects.push(m as ConnectEvent);
    const onQuery = (m: unknown) => queries.push(m as QueryEvent);
    const onClose = (m: unknown) => closes.push(m as CloseEvent);
    subscribe('sealdns:transport:connect', onConnect);
    subscribe('sealdns:transport:query', onQuery);
    subscribe('sealdns:transport:close', onClose);
    try {
      assert.equal(connectChannel.name, 'sealdns:transport:connect');
      assert.equal(queryChannel.name, 'sealdns:transport:query');
      assert.equal(closeChannel.name, 'sealdns:transport:close');
      const s = await server(echo);
      const a = agent({ idleTimeoutMs: 50 });
      const t = target(s.port, 'tcp');
      await a.query(queryWire('a.example'), t);
      await a.query(queryWire('b.example'), t);
      await s.closed(1);
      await sleep(20);
      const refused = await closedTcpPort();
      await a.query(queryWire('c.example'), target(refused, 'tcp')).catch(() => {});

      const mine = (e: { server: { port: number } }) => e.server.port === s.port;
      const ok = connects.filter(mine);
      assert.equal(ok.length, 1);
      assert.equal(ok[0].ok, true);
      assert.equal(ok[0].key, targetKey(t));
      const id = ok[0].connectionId;
      const qs = queries.filter(mine);
      assert.deepEqual(
        qs.map((q) => [q.outcome, q.reused, q.connectionId]),
        [
          ['ok', false, id],
          ['ok', true, id],
        ],
      );
      const cs = closes.filter(mine);
      assert.equal(cs.length, 1);
      assert.equal(cs[0].connectionId, id);
      assert.equal(cs[0].reason, 'idle');
      assert.equal(cs[0].answered, 2);

      const failed = connects.filter((e) => e.server.port === refused);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].ok, false);
      assert.equal(failed[0].error?.code, 'connect-refused');
      const failedQ = queries.filter((e) => e.server.port === refused);
      assert.equal(failedQ[0]?.outcome, 'connect-refused');
    } finally {
      unsubscribe('sealdns:transport:connect', onConnect);
      unsubscribe('sealdns:transport:query', onQuery);
      unsubscribe('sealdns:transport:close', onClose);
    }
  });

  it('graceful close of the agent serves queued queries first', T, async () => {
    const s = await server(slowEcho(20));
    const a = new Agent({ maxInflight: 1 });
    const t = target(s.port, 'tcp');
    const all = Array.from({ length: 4 }, (_, i) => a.query(queryWire(`q${i}.example`), t));
    await a.close();
    const results = await Promise.allSettled(all);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    await s.closed(1);
    assert.equal(a.stats.pools, 0);
  });
});
