// interpretSignal, rule by rule: what a nameserver's SVCB at _dns.<ns> and TLSA at _<port>._tcp.<ns> (with their
// DNSSEC status) make of it — strict, opportunistic, none or unusable (standards digest §3.4, §3.5, §4.3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultSignalOptions,
  interpretSignal,
  type Lookup,
  type SignalInputs,
  usableTlsa,
} from '../../src/policy/signals.js';
import { Name, type SvcbData, type SvcParams, type TlsaData } from '../../src/wire/index.js';

const NS = Name.fromText('ns1.example.');
const spki = new Uint8Array(32).fill(7);

function svcb(params: SvcParams, priority = 1): SvcbData {
  return { priority, target: NS, params };
}
const tlsa = (usage: number, selector = 1, matchingType = 1): TlsaData => ({
  usage,
  selector,
  matchingType,
  data: spki,
});

const records = <T>(rs: T[], security: Lookup<T>['security'] = 'secure'): Lookup<T> => ({
  kind: 'records',
  records: rs,
  security: security ?? 'secure',
});
const none = <T>(security: 'secure' | 'insecure' = 'secure'): Lookup<T> => ({ kind: 'none', security });

function inputs(over: Partial<SignalInputs> = {}): SignalInputs {
  return {
    ns: NS,
    svcb: none(),
    tlsaDot: none(),
    tlsaDoh: none(),
    nsAuthentic: true,
    ...over,
  };
}

const DOT = svcb({ alpn: ['dot'] });

describe('interpretSignal', () => {
  it('nothing published: none (RFC 9539 probing decides)', () => {
    const s = interpretSignal(inputs());
    assert.equal(s.mode, 'none');
    assert.deepEqual(s.endpoints, []);
  });

  it('strict: SVCB dot + secure TLSA with a usable record (DANE-EE 3 1 1) authenticates with DANE', () => {
    const s = interpretSignal(inputs({ svcb: records([DOT]), tlsaDot: records([tlsa(3)]) }));
    assert.equal(s.mode, 'strict');
    assert.equal(s.endpoints.length, 1);
    assert.deepEqual(
      { protocol: s.endpoints[0].protocol, port: s.endpoints[0].port, alpn: s.endpoints[0].alpn },
      { protocol: 'dot', port: 853, alpn: 'dot' },
    );
    assert.equal(s.endpoints[0].tlsa.length, 1);
    assert.equal(s.endpoints[0].tlsa[0].usage, 3);
    assert.match(s.reasons.join(), /authenticate with DANE/);
  });

  it('strict without a usable TLSA record (PKIX usages 0/1 only): encrypt, no authentication, still never cleartext', () => {
    const s = interpretSignal(inputs({ svcb: records([DOT]), tlsaDot: records([tlsa(1), tlsa(0)]) }));
    assert.equal(s.mode, 'strict');
    assert.deepEqual(s.endpoints[0].tlsa, []);
    assert.match(s.reasons.join(), /no usable record: strict, encrypt without authentication/);
  });

  it('a secure TLSA alone commits to DoT on 853 even without an SVCB', () => {
    const s = interpretSignal(inputs({ tlsaDot: records([tlsa(3)]) }));
    assert.equal(s.mode, 'strict');
    assert.equal(s.endpoints[0].protocol, 'dot');
    assert.equal(s.endpoints[0].port, 853);
  });

  it('usableTlsa keeps DANE-TA(2) and DANE-EE(3) with known selectors and matching types only', () => {
    const kept = usableTlsa([tlsa(0), tlsa(1), tlsa(2), tlsa(3), tlsa(3, 2), tlsa(3, 1, 3), tlsa(2, 0, 0)]);
    assert.deepEqual(
      kept.map((r) => `${r.usage} ${r.selector} ${r.matchingType}`),
      ['2 1 1', '3 1 1', '2 0 0'],
    );
  });

  it('bogus anywhere in the signal: unusable (never a downgrade)', () => {
    for (const over of [
      { svcb: records([DOT], 'bogus') },
      { tlsaDot: records([tlsa(3)], 'bogus') },
      { tlsaDoh: none<TlsaData>('secure'), svcb: records([DOT]), tlsaDot: { kind: 'none', security: 'bogus' } },
    ] as Partial<SignalInputs>[]) {
      const s = interpretSignal(inputs(over));
      assert.equal(s.mode, 'unusable', JSON.stringify(Object.keys(over)));
      assert.deepEqual(s.endpoints, []);
      assert.equal(s.security, 'bogus');
    }
  });

  it('a TLSA lookup that failed cannot rule out strict: unusable (RFC 7672 2.2 table)', () => {
    const dot = interpretSignal(inputs({ svcb: records([DOT]), tlsaDot: { kind: 'error', reason: 'SERVFAIL' } }));
    assert.equal(dot.mode, 'unusable');
    assert.match(dot.reasons.join(), /_853\._tcp\.ns1\.example\. failed \(SERVFAIL\)/);
    const doh = interpretSignal(inputs({ tlsaDoh: { kind: 'error', reason: 'timeout' } }));
    assert.equal(doh.mode, 'unusable');
  });

  it('insecure zone: SVCB without a secure TLSA is opportunistic (even with a TLSA, which cannot be trusted)', () => {
    const plain = interpretSignal(inputs({ svcb: records([DOT], 'insecure'), tlsaDot: none('insecure') }));
    assert.equal(plain.mode, 'opportunistic');
    assert.deepEqual(plain.endpoints[0].tlsa, []);
    const withTlsa = interpretSignal(
      inputs({ svcb: records([DOT], 'insecure'), tlsaDot: records([tlsa(3)], 'insecure') }),
    );
    assert.equal(withTlsa.mode, 'opportunistic');
    assert.deepEqual(withTlsa.endpoints[0].tlsa, []);
  });

  it('signed zone, secure SVCB, no TLSA: opportunistic by default; strict with svcbSecureIsStrict (RFC 9461 8.2)', () => {
    const inp = inputs({ svcb: records([DOT]), tlsaDot: none('secure') });
    assert.equal(interpretSignal(inp).mode, 'opportunistic');
    const strict = interpretSignal(inp, { ...defaultSignalOptions, svcbSecureIsStrict: true });
    assert.equal(strict.mode, 'strict');
    assert.deepEqual(strict.endpoints[0].tlsa, [], 'no TLSA: encrypted, not authenticated');
    // only a secure SVCB counts, and only for an authentic NS name
    const insecure = inputs({ svcb: records([DOT], 'insecure'), tlsaDot: none('insecure') });
    assert.equal(
      interpretSignal(insecure, { ...defaultSignalOptions, svcbSecureIsStrict: true }).mode,
      'opportunistic',
    );
    assert.equal(
      interpretSignal({ ...inp, nsAuthentic: false }, { ...defaultSignalOptions, svcbSecureIsStrict: true }).mode,
      'opportunistic',
    );
  });

  it('NS name not authentic: a strict signal counts as opportunistic at most, without DANE material (§3.5)', () => {
    const s = interpretSignal(inputs({ svcb: records([DOT]), tlsaDot: records([tlsa(3)]), nsAuthentic: false }));
    assert.equal(s.mode, 'opportunistic');
    assert.deepEqual(s.endpoints[0].tlsa, []);
    assert.match(s.reasons.join(), /not authenticated/);
  });

  it('port allow-list (RFC 9461 4.2): 853, 443 and >= 1024 only', () => {
    for (const [port, ok] of [
      [853, true],
      [443, true],
      [8853, true],
      [1024, true],
      [53, false],
      [80, false],
      [1023, false],
    ] as const) {
      const s = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['dot'], port })]) }));
      if (ok) {
        assert.equal(s.mode, 'opportunistic', `port ${port}`);
        assert.equal(s.endpoints[0].port, port);
      } else {
        assert.equal(s.mode, 'none', `port ${port}`);
        assert.deepEqual(s.unsupported, [`dot:${port}`]);
      }
    }
    const custom = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['dot'], port: 53 })]) }), {
      ...defaultSignalOptions,
      allowedPort: (p) => p === 53,
    });
    assert.equal(custom.mode, 'opportunistic', 'the allow-list is an option');
  });

  it('DoH needs a usable dohpath: relative, with the dns variable (RFC 9461 5)', () => {
    for (const [path, ok] of [
      ['/dns-query{?dns}', true],
      ['/q{dns}', true],
      ['/q{?dns,ct}', true],
      ['/q{?ct,dns}', true],
      [undefined, false],
      ['/dns-query', false],
      ['dns-query{?dns}', false],
      ['https://evil.example/{?dns}', false],
    ] as const) {
      const s = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['h2'], dohpath: path })]) }));
      assert.equal(s.mode, ok ? 'opportunistic' : 'none', `dohpath ${path}`);
      if (ok) {
        assert.equal(s.endpoints[0].protocol, 'doh');
        assert.equal(s.endpoints[0].port, 443);
        assert.equal(s.endpoints[0].dohPath, path);
      } else assert.match(s.reasons.join(), /dohpath/);
    }
  });

  it('strict DoH: SVCB h2 with dohpath + secure TLSA at _443._tcp', () => {
    const s = interpretSignal(
      inputs({ svcb: records([svcb({ alpn: ['h2'], dohpath: '/dns-query{?dns}' })]), tlsaDoh: records([tlsa(3)]) }),
    );
    assert.equal(s.mode, 'strict');
    assert.equal(s.endpoints[0].protocol, 'doh');
    assert.equal(s.endpoints[0].tlsa.length, 1);
    // a TLSA for DoH without a usable DoH SVCB commits to nothing usable
    const noPath = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['h2'] })]), tlsaDoh: records([tlsa(3)]) }));
    assert.equal(noPath.mode, 'none');
    assert.match(noPath.reasons.join(), /no usable DoH SVCB/);
  });

  it('doq, h3 and unknown ALPNs are recorded as unsupported, never used', () => {
    const only = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['doq', 'h3', 'future-proto'] })]) }));
    assert.equal(only.mode, 'none');
    assert.deepEqual(only.unsupported, ['doq', 'h3', 'future-proto']);
    const mixed = interpretSignal(inputs({ svcb: records([svcb({ alpn: ['doq', 'dot'] })]) }));
    assert.equal(mixed.mode, 'opportunistic');
    assert.deepEqual(
      mixed.endpoints.map((e) => e.protocol),
      ['dot'],
    );
    assert.deepEqual(mixed.unsupported, ['doq']);
  });

  it('incompatible records are skipped: no alpn, unknown mandatory key, AliasMode', () => {
    const noAlpn = interpretSignal(inputs({ svcb: records([svcb({ port: 853 })]) }));
    assert.equal(noAlpn.mode, 'none');
    assert.match(noAlpn.reasons.join(), /without alpn/);
    const unknown = interpretSignal(
      inputs({
        svcb: records([svcb({ alpn: ['dot'], mandatory: [65000], unknown: new Map([[65000, new Uint8Array([1])]]) })]),
      }),
    );
    assert.equal(unknown.mode, 'none');
    assert.match(unknown.reasons.join(), /unknown mandatory key/);
    const alias = interpretSignal(inputs({ svcb: records([svcb({}, 0)]) }));
    assert.equal(alias.mode, 'none');
    assert.match(alias.reasons.join(), /AliasMode/);
  });

  it('endpoints follow SvcPriority, one per (protocol, port)', () => {
    const s = interpretSignal(
      inputs({
        svcb: records([
          svcb({ alpn: ['h2'], dohpath: '/q{?dns}' }, 2),
          svcb({ alpn: ['dot'] }, 1),
          svcb({ alpn: ['dot'] }, 3),
        ]),
      }),
    );
    assert.deepEqual(
      s.endpoints.map((e) => e.protocol),
      ['dot', 'doh'],
    );
  });

  it('the security of the signal is the weakest of its lookups', () => {
    const s = interpretSignal(inputs({ svcb: records([DOT], 'insecure'), tlsaDot: none('secure') }));
    assert.equal(s.security, 'insecure');
  });
});
