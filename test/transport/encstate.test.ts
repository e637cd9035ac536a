// RFC 9539 per-address state for unilateral probing, driven by a fake clock: E-persistence (3 days), E-damping
// (1 day), E-timeout (4 s), the 4.6.3 timer refresh of a pending attempt, "a recent success means no Do53" (4.6.1)
// and "a failure damps encryption for a day, then it is tried again" — through the EncStateTable predicates, the
// pure decide(), and the TransportPolicy that the resolver drives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, defaultPolicyConfig, type Plan } from '../../src/policy/decide.js';
import { type SignalLookup, TransportPolicy } from '../../src/policy/policy.js';
import { FakeClock } from '../../src/transport/clock.js';
import { ENC_DEFAULTS, EncStateTable } from '../../src/transport/encstate.js';
import { Name } from '../../src/wire/index.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const IP = '127.0.0.9';
const NS = Name.fromText('ns.unsignalled.example.');
const ZONE = Name.fromText('unsignalled.example.');
const START = Date.UTC(2026, 10, 27);

/** The plan for a server that publishes nothing, as the resolver would get it at `clock.now()`. */
function planAt(enc: EncStateTable, clock: FakeClock): Plan {
  return decide({
    ns: NS,
    ip: IP,
    zone: ZONE,
    signal: { ns: NS, mode: 'none', endpoints: [], unsupported: [], security: 'insecure', reasons: [] },
    enc,
    now: clock.now(),
    config: defaultPolicyConfig,
    clientEncrypted: false,
  });
}
const usesDo53First = (p: Plan) => !p.attempts[0].encrypted;

describe('RFC 9539 state with a fake clock', () => {
  it('publishes the RFC 9539 4.3 defaults: persistence 3 days, damping 1 day, timeout 4 s', () => {
    assert.equal(ENC_DEFAULTS.PERSISTENCE_MS, 3 * DAY);
    assert.equal(ENC_DEFAULTS.DAMPING_MS, DAY);
    assert.equal(ENC_DEFAULTS.TIMEOUT_MS, 4 * SECOND);
    assert.deepEqual(new EncStateTable().timers, { persistenceMs: 3 * DAY, dampingMs: DAY, timeoutMs: 4 * SECOND });
  });

  it('never tried: an attempt is allowed, nothing is damped, no success to rely on', () => {
    const enc = new EncStateTable();
    const clock = new FakeClock(START);
    assert.equal(enc.mayAttempt(IP, 'dot', clock.now()), true);
    assert.equal(enc.damped(IP, 'dot', clock.now()), false);
    assert.equal(enc.recentSuccess(IP, 'dot', clock.now()), false);
    const p = planAt(enc, clock);
    assert.ok(usesDo53First(p), 'Do53 now');
    assert.ok(p.probe, 'and a background probe');
  });

  it('E-timeout: a pending attempt blocks a second one for 4 s, then the timer refresh makes it a timeout and damps', () => {
    const enc = new EncStateTable();
    const clock = new FakeClock(START);
    enc.attempt(IP, 'dot', clock.now());
    clock.advance(4 * SECOND);
    assert.equal(enc.mayAttempt(IP, 'dot', clock.now()), false, 'still pending at exactly E-timeout');
    assert.equal(planAt(enc, clock).probe, undefined, 'no second probe while one is pending');
    assert.equal(enc.damped(IP, 'dot', clock.now()), false);
    clock.advance(1);
    // 4.6.3: pending and T0 - E-initiated > E-timeout => status := timeout; E-completed taken as the expiry
    assert.equal(enc.damped(IP, 'dot', clock.now()), true, 'a timeout starts damping');
    assert.equal(enc.mayAttempt(IP, 'dot', clock.now()), false);
    enc.refresh(IP, 'dot', clock.now());
    const rec = enc.get(IP, 'dot')!;
    assert.equal(rec.status, 'timeout');
    assert.equal(rec.completed, START + 4 * SECOND);
    assert.match(rec.lastError ?? '', /E-timeout/);
    // damping runs from the expiry: blocked until 1 day after it, allowed just after
    clock.set(START + 4 * SECOND + DAY);
    assert.equal(enc.mayAttempt(IP, 'dot', clock.now()), false);
    clock.advance(1);
    assert.equal(enc.mayAttempt(IP, 'dot', clock.now()), true);
    assert.ok(planAt(enc, clock).probe, 'probed again after a day');
  });

  it('a refresh does nothing to attempts that completed or are still within E-timeout', () => {
    const enc = new EncStateTable();
    enc.attempt(IP, 'dot', START);
    enc.refresh(IP, 'dot', START + 2 * SECOND);
    assert.equal(enc.get(IP, 'dot')?.status, undefined);
    enc.success(IP, 'dot', START + 3 * SECOND);
    enc.refresh(IP, 'dot', START + DAY);
    assert.equal(enc.get(IP, 'dot')?.status, 'success');
  });

  it('success => no Do53 (4.6.1) for E-persistence after the last response, then back to probing', () => {
    const enc = new EncStateTable();
    const clock = new FakeClock(START);
    enc.attempt(IP, 'dot', clock.now());
    clock.advance(30);
    enc.success(IP, 'dot', clock.now());
    const lastResponse = clock.now();
    for (const after of [1, HOUR, DAY, 3 * DAY - 1]) {
      clock.set(lastResponse + after);
      assert.equal(enc.recentSuccess(IP, 'dot', clock.now()), true, `+${after} ms`);
      const p = planAt(enc, clock);
      assert.equal(p.attempts[0].encrypted, true, `DoT first at +${after} ms`);
      assert.equal(p.attempts[0].target.protocol, 'dot');
      assert.equal(p.probe, undefined);
    }
    clock.set(lastResponse + 3 * DAY);
    assert.equal(enc.recentSuccess(IP, 'dot', clock.now()), false, 'persistence over');
    const p = planAt(enc, clock);
    assert.ok(usesDo53First(p));
    assert.ok(p.probe, 'a success still allows a new attempt (4.6.3)');
  });

  it('every response extends persistence (E-last-response)', () => {
    const enc = new EncStateTable();
    enc.success(IP, 'dot', START);
    enc.response(IP, 'dot', START + 2 * DAY);
    assert.equal(enc.recentSuccess(IP, 'dot', START + 4 * DAY), true);
    assert.equal(enc.recentSuccess(IP, 'dot', START + 5 * DAY), false);
  });

  it('failure => damping: no DoT for a day (Do53 only, no probe), then one retry; a second failure damps again', () => {
    const enc = new EncStateTable();
    const clock = new FakeClock(START);
    enc.attempt(IP, 'dot', clock.now());
    clock.advance(20);
    enc.failure(IP, 'dot', clock.now(), 'fail', 'connect-refused');
    const failedAt = clock.now();
    for (const after of [0, SECOND, HOUR, DAY]) {
      clock.set(failedAt + after);
      assert.equal(enc.damped(IP, 'dot', clock.now()), true, `+${after}`);
      const p = planAt(enc, clock);
      assert.deepEqual(
        p.attempts.map((a) => a.target.protocol),
        ['udp'],
      );
      assert.equal(p.probe, undefined, `no probe at +${after} ms`);
    }
    clock.set(failedAt + DAY + 1);
    assert.equal(enc.damped(IP, 'dot', clock.now()), false);
    const retry = planAt(enc, clock);
    assert.ok(retry.probe, 'retried after E-damping');
    enc.attempt(IP, 'dot', clock.now());
    assert.equal(planAt(enc, clock).probe, undefined, 'one retry at a time');
    clock.advance(100);
    enc.failure(IP, 'dot', clock.now(), 'fail');
    clock.advance(HOUR);
    assert.equal(planAt(enc, clock).probe, undefined, 'damped again');
    // a success after damping clears it
    clock.advance(DAY);
    enc.attempt(IP, 'dot', clock.now());
    enc.success(IP, 'dot', clock.now() + 10);
    clock.advance(20);
    assert.equal(enc.damped(IP, 'dot', clock.now()), false);
    assert.equal(planAt(enc, clock).attempts[0].target.protocol, 'dot');
  });

  it('state is per address and per transport', () => {
    const enc = new EncStateTable();
    enc.failure(IP, 'dot', START, 'fail');
    assert.equal(enc.damped('127.0.0.10', 'dot', START), false);
    assert.equal(enc.damped(IP, 'doh', START), false);
    enc.success(IP, 'doh', START);
    assert.equal(enc.recentSuccess(IP, 'dot', START), false);
    assert.equal(enc.recentSuccess(IP, 'doh', START), true);
  });

  it('through TransportPolicy: probe outcomes reported with the fake clock drive the next plans', async () => {
    const clock = new FakeClock(START);
    const policy = new TransportPolicy(defaultPolicyConfig, new EncStateTable(), () => clock.now());
    // the NS publishes nothing: SVCB NODATA in an unsigned zone (one lookup; no TLSA lookups in insecure zones)
    const asked: string[] = [];
    const lookup: SignalLookup = async (name, type) => {
      asked.push(`${name} ${type}`);
      return { kind: 'none', security: 'insecure', ttl: 30 * 86_400 };
    };
    const inProgress = new Set<string>();
    const ctx = {
      lookup,
      busy: (k: string) => inProgress.has(k),
      mark: (k: string, on: boolean) => void (on ? inProgress.add(k) : inProgress.delete(k)),
      clientEncrypted: false,
    };
    const first = await policy.plan(NS, IP, ZONE, ctx);
    assert.equal(first.mode, 'cleartext');
    assert.ok(first.probe);
    assert.deepEqual(asked, ['_dns.ns.unsignalled.example. 64']);
    // the iterator marks the probe as initiated; it never completes (a black hole on 853)
    policy.enc.attempt(IP, 'dot', clock.now());
    clock.advance(4 * SECOND + 1);
    const second = await policy.plan(NS, IP, ZONE, ctx);
    assert.equal(second.probe, undefined, 'the pending probe timed out: damped');
    assert.equal(policy.enc.get(IP, 'dot')?.status, 'timeout', 'plan() applied the timer refresh');
    clock.advance(DAY);
    const third = await policy.plan(NS, IP, ZONE, ctx);
    assert.ok(third.probe, 'probed again a day after the timeout');
    policy.enc.attempt(IP, 'dot', clock.now());
    clock.advance(50);
    policy.report(NS, third.probe!, 'ok', false);
    const fourth = await policy.plan(NS, IP, ZONE, ctx);
    assert.equal(fourth.mode, 'probe');
    assert.equal(fourth.attempts[0].target.protocol, 'dot', 'no Do53 after a success');
    assert.ok(
      asked.every((a) => a.startsWith('_dns.')),
      'only the SVCB was asked: no TLSA in an insecure zone',
    );
  });

  it('failures that say nothing about DoT capability do not damp: auth failure, clean close, local limits', () => {
    const clock = new FakeClock(START);
    const policy = new TransportPolicy(defaultPolicyConfig, new EncStateTable(), () => clock.now());
    const target = { ip: IP, port: 853, protocol: 'dot' as const, auth: 'none' as const };
    for (const code of ['tls-auth-failed', 'closed', 'connection-limit', 'too-many-inflight', 'aborted'])
      policy.report(NS, target, 'fail', false, code, false, code);
    assert.equal(policy.enc.damped(IP, 'dot', clock.now()), false);
    policy.report(NS, target, 'fail', false, 'refused', false, 'connect-refused');
    assert.equal(policy.enc.damped(IP, 'dot', clock.now()), true);
  });
});
