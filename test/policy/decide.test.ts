// decide(), rule by rule: the plan for one (nameserver, address) from its signal, the RFC 9539 state of the address
// and the operator's configuration. The property every strict plan must have: no cleartext attempt at all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DecideInput,
  decide,
  defaultPolicyConfig,
  type Plan,
  type PolicyConfig,
} from '../../src/policy/decide.js';
import type { Endpoint, ServerSignal, SignalMode } from '../../src/policy/signals.js';
import { ENC_DEFAULTS, EncStateTable } from '../../src/transport/encstate.js';
import { Name } from '../../src/wire/index.js';

const NS = Name.fromText('ns1.example.');
const ZONE = Name.fromText('example.');
const IP = '127.0.0.53';
const DAY = 86_400_000;
const T0 = 1_800_000_000_000;

const dane = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32) };
const DOT: Endpoint = { protocol: 'dot', port: 853, alpn: 'dot', tlsa: [] };
const DOH: Endpoint = { protocol: 'doh', port: 443, alpn: 'h2', dohPath: '/dns-query{?dns}', tlsa: [] };

function signal(mode: SignalMode, endpoints: Endpoint[] = []): ServerSignal {
  return { ns: NS, mode, endpoints, unsupported: [], security: 'secure', reasons: [`${mode} signal`] };
}

function plan(over: Omit<Partial<DecideInput>, 'config'> & { config?: Partial<PolicyConfig> } = {}): Plan {
  const { config, ...rest } = over;
  return decide({
    ns: NS,
    ip: IP,
    zone: ZONE,
    signal: signal('none'),
    enc: new EncStateTable(),
    now: T0,
    clientEncrypted: false,
    ...rest,
    config: { ...defaultPolicyConfig, ...config },
  });
}

const shape = (p: Plan) =>
  p.attempts.map((a) => `${a.target.protocol}${a.encrypted ? '+enc' : ''}${a.authenticated ? '+auth' : ''}`);
const noCleartext = (p: Plan) => {
  for (const a of p.attempts) {
    assert.equal(a.encrypted, true, `${p.mode}: ${a.why}`);
    assert.ok(a.target.protocol === 'dot' || a.target.protocol === 'doh', a.target.protocol);
  }
};

describe('decide', () => {
  it('strict with a usable TLSA: DANE-authenticated attempts only, authenticated as the NS name', () => {
    const p = plan({
      signal: signal('strict', [
        { ...DOT, tlsa: [dane] },
        { ...DOH, tlsa: [dane] },
      ]),
    });
    assert.equal(p.mode, 'strict');
    assert.deepEqual(shape(p), ['dot+enc+auth', 'doh+enc+auth']);
    noCleartext(p);
    assert.equal(p.attempts[0].target.auth, 'dane');
    assert.equal(p.attempts[0].target.authName, 'ns1.example');
    assert.deepEqual(p.attempts[0].target.tlsa, [dane]);
    assert.equal(p.attempts[1].target.dohPath, '/dns-query{?dns}');
    assert.equal(p.probe, undefined);
  });

  it('strict without a usable TLSA: encrypted, unauthenticated, still no cleartext', () => {
    const p = plan({ signal: signal('strict', [DOT]) });
    assert.equal(p.mode, 'strict');
    assert.deepEqual(shape(p), ['dot+enc']);
    assert.equal(p.attempts[0].target.auth, 'none');
    noCleartext(p);
  });

  it('unusable signal (bogus, TLSA lookup error): no attempt at all', () => {
    const p = plan({ signal: signal('unusable') });
    assert.equal(p.mode, 'unusable');
    assert.deepEqual(p.attempts, []);
  });

  it('operator rules tighten but never weaken strict: encrypt off, probing off, upstream-encryption off or follow-client', () => {
    const strict = signal('strict', [{ ...DOT, tlsa: [dane] }]);
    for (const config of [
      { upstreamEncryption: 'off' },
      { upstreamEncryption: 'follow-client' },
      { rules: [{ suffix: Name.fromText('example.'), encrypt: 'off' }] },
      { rules: [{ suffix: Name.ROOT, probing: false }] },
      { probing: false, bootstrap: 'encrypt-first' },
    ] as Partial<PolicyConfig>[]) {
      const p = plan({ signal: strict, config });
      assert.equal(p.mode, 'strict', JSON.stringify(config));
      assert.deepEqual(shape(p), ['dot+enc+auth']);
      noCleartext(p);
    }
    const damped = new EncStateTable();
    damped.failure(IP, 'dot', T0 - 1000, 'fail');
    assert.deepEqual(shape(plan({ signal: strict, enc: damped })), ['dot+enc+auth'], 'RFC 9539 damping never applies');
    assert.match(
      plan({ signal: strict, config: { upstreamEncryption: 'off' } }).reasons.join(),
      /never weakened/,
      'the override is explained',
    );
  });

  it('operator rule encrypt: required tightens opportunistic and unsignalled servers to encrypted-only', () => {
    const rules = [{ suffix: Name.fromText('example.'), encrypt: 'required' as const }];
    const opp = plan({ signal: signal('opportunistic', [DOT]), config: { rules } });
    assert.equal(opp.mode, 'required');
    noCleartext(opp);
    const nothing = plan({ signal: signal('none'), config: { rules } });
    assert.equal(nothing.mode, 'required');
    assert.deepEqual(shape(nothing), ['dot+enc']);
    noCleartext(nothing);
    // even for a cleartext client under follow-client
    const follow = plan({ signal: signal('none'), config: { rules, upstreamEncryption: 'follow-client' } });
    assert.equal(follow.mode, 'required');
    // the most specific rule wins: a deeper rule elsewhere does not apply, a deeper rule here does
    const deeper = plan({
      signal: signal('none'),
      config: { rules: [...rules, { suffix: Name.fromText('other.example.'), encrypt: 'off' }] },
    });
    assert.equal(deeper.mode, 'required');
  });

  it('operator rule encrypt: opportunistic turns encryption on below its suffix even when upstream-encryption is off', () => {
    const p = plan({
      signal: signal('opportunistic', [DOT]),
      config: { upstreamEncryption: 'off', rules: [{ suffix: ZONE, encrypt: 'opportunistic' }] },
    });
    assert.equal(p.mode, 'opportunistic');
    assert.deepEqual(shape(p), ['dot+enc', 'udp']);
  });

  it('opportunistic: the signalled transports first, cleartext as the fallback', () => {
    const p = plan({ signal: signal('opportunistic', [DOT, DOH]) });
    assert.equal(p.mode, 'opportunistic');
    assert.deepEqual(shape(p), ['dot+enc', 'doh+enc', 'udp']);
    assert.equal(p.attempts[2].why, 'fallback after opportunistic failure');
    assert.equal(p.attempts[0].target.auth, 'none', 'opportunistic never requires authentication');
  });

  it('opportunistic damping: a failed transport is skipped for E-damping, then tried again', () => {
    const enc = new EncStateTable();
    enc.failure(IP, 'dot', T0, 'fail', 'tls-handshake');
    const sig = signal('opportunistic', [DOT, DOH]);
    assert.deepEqual(shape(plan({ signal: sig, enc, now: T0 + 1000 })), ['doh+enc', 'udp']);
    assert.deepEqual(shape(plan({ signal: sig, enc, now: T0 + DAY })), ['doh+enc', 'udp'], 'still damped at 1 day');
    assert.deepEqual(shape(plan({ signal: sig, enc, now: T0 + DAY + 1 })), ['dot+enc', 'doh+enc', 'udp']);
    enc.failure(IP, 'doh', T0, 'timeout');
    const both = plan({ signal: sig, enc, now: T0 + 1 });
    assert.deepEqual(shape(both), ['udp']);
    assert.equal(both.attempts[0].why, 'opportunistic, encryption damped');
  });

  it('upstream-encryption off: cleartext for everything but strict', () => {
    for (const sig of [signal('none'), signal('opportunistic', [DOT]), undefined]) {
      const p = plan({ signal: sig, config: { upstreamEncryption: 'off', bootstrap: 'encrypt-first' } });
      assert.equal(p.mode, 'cleartext');
      assert.deepEqual(shape(p), ['udp']);
      assert.equal(p.probe, undefined, 'no background probe either');
    }
  });

  it('follow-client: TLS upstream only for clients that came encrypted (strict servers excepted)', () => {
    const config = { upstreamEncryption: 'follow-client' as const };
    const sig = signal('opportunistic', [DOT]);
    const clear = plan({ signal: sig, config, clientEncrypted: false });
    assert.equal(clear.mode, 'cleartext');
    assert.match(clear.reasons.join(), /follow-client/);
    assert.deepEqual(shape(plan({ signal: sig, config, clientEncrypted: true })), ['dot+enc', 'udp']);
    const none = plan({ signal: signal('none'), config, clientEncrypted: false });
    assert.deepEqual(shape(none), ['udp']);
    assert.equal(none.probe, undefined, 'no probing for cleartext clients');
    assert.ok(plan({ signal: signal('none'), config, clientEncrypted: true }).probe, 'probing for encrypted clients');
    const strict = plan({ signal: signal('strict', [DOT]), config, clientEncrypted: false });
    assert.equal(strict.mode, 'strict');
    noCleartext(strict);
  });

  it('nothing published, cleartext-first: Do53 now, DoT probed in the background (RFC 9539, never delaying)', () => {
    const p = plan({ signal: signal('none') });
    assert.equal(p.mode, 'cleartext');
    assert.deepEqual(shape(p), ['udp']);
    assert.deepEqual(p.probe, { ip: IP, port: 853, protocol: 'dot', auth: 'none', alpn: 'dot' });
    const off = plan({ signal: signal('none'), config: { probing: false } });
    assert.equal(off.probe, undefined);
    const offHere = plan({ signal: signal('none'), config: { rules: [{ suffix: ZONE, probing: false }] } });
    assert.equal(offHere.probe, undefined, 'probing off for a suffix');
    const port = plan({ signal: signal('none'), config: { probePort: 8853, port53: 5353 } });
    assert.equal(port.probe?.port, 8853);
    assert.equal(port.attempts[0].target.port, 5353);
  });

  it('nothing published, after a DoT success: DoT only, Do53 just as the failure fallback (4.6.1)', () => {
    const enc = new EncStateTable();
    enc.success(IP, 'dot', T0);
    const p = plan({ signal: signal('none'), enc, now: T0 + 1000 });
    assert.equal(p.mode, 'probe');
    assert.deepEqual(shape(p), ['dot+enc', 'udp']);
    assert.equal(p.attempts[1].why, 'fallback after DoT failure');
  });

  it('bootstrap encrypt-first: DoT before cleartext for servers with no known state, signal unknown or none', () => {
    for (const sig of [undefined, signal('none')]) {
      const p = plan({ signal: sig, config: { bootstrap: 'encrypt-first' } });
      assert.equal(p.mode, 'probe');
      assert.deepEqual(shape(p), ['dot+enc', 'udp']);
      assert.equal(p.attempts[0].why, 'bootstrap: encrypt first');
    }
    // damped: cleartext only; probing off: encrypt-first does not probe either
    const enc = new EncStateTable();
    enc.failure(IP, 'dot', T0, 'fail');
    assert.deepEqual(shape(plan({ signal: undefined, enc, now: T0 + 5, config: { bootstrap: 'encrypt-first' } })), [
      'udp',
    ]);
    assert.deepEqual(shape(plan({ signal: undefined, config: { bootstrap: 'encrypt-first', probing: false } })), [
      'udp',
    ]);
  });

  it('cleartext-first while the signal is being fetched: the meta-query says so', () => {
    const p = plan({ signal: undefined });
    assert.equal(p.mode, 'cleartext');
    assert.match(p.attempts[0].why, /^bootstrap: signal not known yet/);
    assert.match(p.reasons.join(), /not known yet/);
  });

  it('timers are configurable (RFC 9539 4.3 encourages publishing them)', () => {
    const enc = new EncStateTable({ dampingMs: 60_000 });
    enc.failure(IP, 'dot', T0, 'fail');
    assert.equal(plan({ signal: signal('none'), enc, now: T0 + 60_000 }).probe, undefined);
    assert.ok(plan({ signal: signal('none'), enc, now: T0 + 60_001 }).probe);
    assert.equal(ENC_DEFAULTS.DAMPING_MS, DAY);
  });
});
