// The infra table: RFC 6298 SRTT/RTO with Unbound's bounds, timeout backoff, down servers and probes, lameness per
// zone, and the order in which a query tries a zone's servers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INFRA, InfraTable } from '../../src/transport/infra.js';

const T0 = 1_800_000_000_000;

describe('InfraTable: RTT and RTO', () => {
  it('an unknown server gets the initial RTO', () => {
    const t = new InfraTable();
    assert.equal(t.rto('192.0.2.1'), INFRA.UNKNOWN_RTO_MS);
    assert.equal(t.peek('192.0.2.1'), undefined, 'rto() does not create entries');
  });

  it('the first sample sets SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR (RFC 6298 2.2)', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 100, T0);
    const s = t.peek('192.0.2.1')!;
    assert.equal(s.srttMs, 100);
    assert.equal(s.rttVarMs, 50);
    assert.equal(s.rtoMs, 300);
    assert.equal(t.rto('192.0.2.1'), 300);
  });

  it('later samples use alpha 1/8 and beta 1/4 (RFC 6298 2.3)', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 100, T0);
    t.reportRtt('192.0.2.1', 20, T0);
    const s = t.peek('192.0.2.1')!;
    assert.equal(s.rttVarMs, 0.75 * 50 + 0.25 * 80);
    assert.equal(s.srttMs, 0.875 * 100 + 0.125 * 20);
    assert.equal(s.rtoMs, s.srttMs + 4 * s.rttVarMs);
  });

  it('the RTO is clamped to [MIN_RTO_MS, MAX_RTO_MS]', () => {
    const t = new InfraTable();
    for (let i = 0; i < 50; i++) t.reportRtt('127.0.0.1', 0.2, T0);
    assert.equal(t.rto('127.0.0.1'), INFRA.MIN_RTO_MS);
    t.reportRtt('192.0.2.9', 60_000, T0);
    assert.equal(t.rto('192.0.2.9'), INFRA.MAX_RTO_MS);
  });

  it('timeouts double the RTO (exponential backoff) up to the cap, and a reply resets the streak', () => {
    const t = new InfraTable();
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      t.reportTimeout('192.0.2.1', T0 + i);
      seen.push(t.rto('192.0.2.1'));
    }
    assert.deepEqual(seen, [752, 1504, 3008, 6016, 12_000, 12_000, 12_000]);
    const s = t.peek('192.0.2.1')!;
    assert.equal(s.timeouts, 7);
    assert.equal(s.timeoutsInRow, 7);
    t.reportRtt('192.0.2.1', 40, T0 + 10);
    assert.equal(s.timeoutsInRow, 0);
    assert.equal(s.downSince, undefined);
    assert.ok(t.rto('192.0.2.1') < 12_000);
  });

  it('errors are remembered without touching the RTT', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 100, T0);
    t.reportError('192.0.2.1', 'malformed', T0 + 5);
    const s = t.peek('192.0.2.1')!;
    assert.equal(s.lastError, 'malformed');
    assert.equal(s.rtoMs, 300);
    t.setEdns('192.0.2.1', 'broken', T0);
    assert.equal(s.edns, 'broken');
  });
});

describe('InfraTable: down servers and probes', () => {
  it(`DOWN_AFTER_TIMEOUTS timeouts in a row make a server down; it is avoided, then probed once per interval`, () => {
    const t = new InfraTable();
    const ip = '192.0.2.1';
    for (let i = 1; i < INFRA.DOWN_AFTER_TIMEOUTS; i++) t.reportTimeout(ip, T0);
    assert.equal(t.usable(ip, T0), true, 'not yet down');
    t.reportTimeout(ip, T0);
    assert.equal(t.peek(ip)?.downSince, T0);
    assert.equal(t.usable(ip, T0), false, 'avoided as soon as it is down');
    assert.equal(t.usable(ip, T0 + INFRA.PROBE_INTERVAL_MS - 1), false);
    const probeAt = T0 + INFRA.PROBE_INTERVAL_MS;
    assert.equal(t.usable(ip, probeAt), true, 'one probe allowed after the interval');
    t.markProbe(ip, probeAt);
    assert.equal(t.usable(ip, probeAt + 1), false, 'only one');
    t.reportTimeout(ip, probeAt + 500);
    assert.equal(t.peek(ip)?.downSince, T0, 'still down since the first time');
    assert.equal(t.usable(ip, probeAt + INFRA.PROBE_INTERVAL_MS), true, 'the next probe');
    t.reportRtt(ip, 30, probeAt + INFRA.PROBE_INTERVAL_MS + 10);
    assert.equal(t.usable(ip, probeAt + INFRA.PROBE_INTERVAL_MS + 11), true, 'a reply brings it back');
  });

  it('a probe from an earlier outage does not let a newly down server through', () => {
    const t = new InfraTable();
    const ip = '192.0.2.1';
    for (let i = 0; i < INFRA.DOWN_AFTER_TIMEOUTS; i++) t.reportTimeout(ip, T0);
    t.markProbe(ip, T0 + INFRA.PROBE_INTERVAL_MS);
    t.reportRtt(ip, 20, T0 + INFRA.PROBE_INTERVAL_MS + 5);
    const again = T0 + 10 * INFRA.PROBE_INTERVAL_MS;
    for (let i = 0; i < INFRA.DOWN_AFTER_TIMEOUTS; i++) t.reportTimeout(ip, again);
    assert.equal(t.usable(ip, again + 1), false);
  });

  it('markProbe only records probes of down servers', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 10, T0);
    t.markProbe('192.0.2.1', T0);
    assert.equal(t.peek('192.0.2.1')?.lastProbe, undefined);
  });
});

describe('InfraTable: lameness', () => {
  it('is per (server, zone) and forgotten after LAME_TTL_MS', () => {
    const t = new InfraTable();
    t.markLame('192.0.2.1', 'clear.test.', T0);
    assert.equal(t.isLame('192.0.2.1', 'clear.test.', T0 + 1), true);
    assert.equal(t.isLame('192.0.2.1', 'other.test.', T0 + 1), false);
    assert.equal(t.isLame('192.0.2.2', 'clear.test.', T0 + 1), false);
    assert.equal(t.isLame('192.0.2.1', 'clear.test.', T0 + INFRA.LAME_TTL_MS - 1), true);
    assert.equal(t.isLame('192.0.2.1', 'clear.test.', T0 + INFRA.LAME_TTL_MS), false);
    assert.ok(INFRA.LAME_TTL_MS <= 300_000, 'RFC 9520 3.2: at most 5 minutes');
  });
});

describe('InfraTable: order()', () => {
  const first = () => 0;
  const last = () => 0.999999;

  it('servers inside the RTT band are shuffled with the injected random', () => {
    const t = new InfraTable();
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    // all unknown: same RTO, one band. Fisher-Yates with j = floor(r * (i + 1)).
    assert.deepEqual(t.order(ips, 'z.', T0, last), ips, 'r ~ 1 keeps the order');
    assert.deepEqual(t.order(ips, 'z.', T0, first), ['192.0.2.2', '192.0.2.3', '192.0.2.1'], 'r = 0 rotates');
    const seen = new Set<string>();
    let x = 0;
    const lcg = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    for (let i = 0; i < 50; i++) seen.add(t.order(ips, 'z.', T0, lcg)[0]);
    assert.equal(seen.size, 3, 'every server gets to go first');
  });

  it('servers outside the band come after, fastest first, and are never shuffled ahead', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 10, T0); // RTO 50 (clamped)
    t.reportRtt('192.0.2.2', 100, T0); // RTO 300: in band (<= 50 + 400)
    t.reportRtt('192.0.2.3', 400, T0); // RTO 1200: out of band
    t.reportRtt('192.0.2.4', 200, T0); // RTO 600: out of band
    for (const r of [first, last]) {
      const order = t.order(['192.0.2.3', '192.0.2.4', '192.0.2.2', '192.0.2.1'], 'z.', T0, r);
      assert.deepEqual(new Set(order.slice(0, 2)), new Set(['192.0.2.1', '192.0.2.2']));
      assert.deepEqual(order.slice(2), ['192.0.2.4', '192.0.2.3']);
    }
  });

  it('lame servers for the zone and down servers go last (still listed, for when nothing else works)', () => {
    const t = new InfraTable();
    t.reportRtt('192.0.2.1', 10, T0);
    t.reportRtt('192.0.2.2', 2000, T0);
    t.markLame('192.0.2.1', 'clear.test.', T0);
    for (let i = 0; i < INFRA.DOWN_AFTER_TIMEOUTS; i++) t.reportTimeout('192.0.2.3', T0);
    const order = t.order(['192.0.2.1', '192.0.2.2', '192.0.2.3'], 'clear.test.', T0, last);
    assert.deepEqual(order, ['192.0.2.2', '192.0.2.1', '192.0.2.3']);
    assert.deepEqual(t.order(['192.0.2.1', '192.0.2.2'], 'other.test.', T0, last), ['192.0.2.1', '192.0.2.2']);
  });
});
