import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { QueryLog, type QueryLogEntry } from '../../../src/server/listeners/querylog.js';

function entry(id: number, transport: QueryLogEntry['transport'] = 'udp'): QueryLogEntry {
  return {
    time: id,
    transport,
    listener: transport,
    kind: 'query',
    id,
    opcode: 0,
    qname: `q${id}.test.`,
    qtype: 1,
    qclass: 1,
    client: { address: '127.0.0.1', port: 5300 },
  };
}

describe('QueryLog', () => {
  test('keeps the newest `capacity` entries, oldest first', () => {
    const log = new QueryLog(3);
    for (let i = 1; i <= 5; i++) log.add(entry(i));
    assert.deepEqual(
      log.entries().map((e) => e.id),
      [3, 4, 5],
    );
    assert.equal(log.size, 3);
    assert.equal(log.total, 5);
  });

  test('filters by transport; clear empties it', () => {
    const log = new QueryLog();
    log.add(entry(1, 'udp'));
    log.add(entry(2, 'dot'));
    log.add(entry(3, 'udp'));
    assert.deepEqual(
      log.entries({ transport: 'udp' }).map((e) => e.id),
      [1, 3],
    );
    log.clear();
    assert.deepEqual(log.entries(), []);
    log.add(entry(4));
    assert.deepEqual(
      log.entries().map((e) => e.id),
      [4],
    );
  });

  test('subscribers see every entry and can unsubscribe; a throwing subscriber is ignored', () => {
    const log = new QueryLog(2);
    const seen: number[] = [];
    log.subscribe(() => {
      throw new Error('bug');
    });
    const off = log.subscribe((e) => seen.push(e.id));
    log.add(entry(1));
    off();
    log.add(entry(2));
    assert.deepEqual(seen, [1]);
  });

  test('waitFor finds held entries, waits for new ones, and times out', { timeout: 5_000 }, async () => {
    const log = new QueryLog();
    log.add(entry(1));
    assert.equal((await log.waitFor((e) => e.id === 1)).id, 1);
    const later = log.waitFor((e) => e.id === 2, 1_000);
    log.add(entry(2));
    assert.equal((await later).id, 2);
    await assert.rejects(log.waitFor((e) => e.id === 3, 50));
  });

  test('entries are published on sealdns:authority:query', () => {
    const got: unknown[] = [];
    const onMessage = (m: unknown) => got.push(m);
    diagnostics_channel.subscribe('sealdns:authority:query', onMessage);
    try {
      new QueryLog().add(entry(9));
    } finally {
      diagnostics_channel.unsubscribe('sealdns:authority:query', onMessage);
    }
    assert.equal((got[0] as QueryLogEntry).id, 9);
  });

  test('capacity must be a positive integer', () => {
    assert.throws(() => new QueryLog(0), RangeError);
  });
});
