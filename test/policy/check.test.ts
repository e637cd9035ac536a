// The checker's verdicts (src/policy/check.ts) from synthetic findings: one test per verdict,
// their order of precedence, the severity rules (unsigned-signal is an error only with a TLSA), the
// in-bailiwick note, and the RFC 9539 3 comparison of answers.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AnswerReport,
  answersAgree,
  type EndpointReport,
  judgeNameserver,
  type LookupReport,
  type NameserverFindings,
  worstSeverity,
} from '../../src/policy/check.js';
import type { ServerSignal } from '../../src/policy/signals.js';
import { Name } from '../../src/wire/index.js';

const NS = 'ns1.example.';
const lk = (type: string, over: Partial<LookupReport> = {}): LookupReport => ({
  name: type === 'SVCB' ? `_dns.${NS}` : type === 'TLSA' ? `_853._tcp.${NS}` : NS,
  type,
  result: 'records',
  security: 'secure',
  records: type === 'A' ? ['192.0.2.53'] : type === 'SVCB' ? [`1 ${NS} alpn="dot"`] : ['3 1 1 AB'],
  ...over,
});
const none = (type: string, security: LookupReport['security'] = 'secure') =>
  lk(type, { result: 'none', records: [], security });

const soa: AnswerReport = { ok: true, rcode: 'NOERROR', aa: true, soa: ['ns1.example. h.example. 1 2 3 4 5'] };

function endpoint(over: Partial<EndpointReport> = {}): EndpointReport {
  return {
    protocol: 'dot',
    ip: '192.0.2.53',
    port: 853,
    tls: 'tls13',
    encrypted: soa,
    do53: soa,
    agrees: true,
    dane: 'match',
    ...over,
  };
}

function signal(mode: ServerSignal['mode']): ServerSignal {
  return { ns: Name.fromText(NS), mode, endpoints: [], unsupported: [], security: 'secure', reasons: [`${mode}`] };
}

function findings(over: Partial<NameserverFindings> = {}): NameserverFindings {
  return {
    name: NS,
    inBailiwick: false,
    nsAuthentic: true,
    addresses: [lk('A')],
    svcb: lk('SVCB'),
    tlsa: [lk('TLSA')],
    signal: signal('strict'),
    endpoints: [endpoint()],
    ...over,
  };
}

const verdictOf = (over: Partial<NameserverFindings>) => {
  const j = judgeNameserver(findings(over));
  return `${j.verdict}/${j.severity}`;
};

describe('judgeNameserver', () => {
  test('ok-strict: secure TLSA, TLS 1.3, DANE match, same answers', () => {
    const j = judgeNameserver(findings());
    assert.equal(j.verdict, 'ok-strict');
    assert.equal(j.severity, 'ok');
    assert.deepEqual(j.problems, []);
  });

  test('ok-opportunistic: SVCB only in a signed zone', () => {
    assert.equal(
      verdictOf({ tlsa: [none('TLSA')], signal: signal('opportunistic'), endpoints: [endpoint({ dane: 'no-tlsa' })] }),
      'ok-opportunistic/ok',
    );
  });

  test('no-signal: nothing published', () => {
    assert.equal(
      verdictOf({ svcb: none('SVCB'), tlsa: [none('TLSA')], signal: signal('none'), endpoints: [] }),
      'no-signal/ok',
    );
  });

  test('broken-tlsa: strict and the certificate does not match', () => {
    const j = judgeNameserver(findings({ endpoints: [endpoint({ dane: 'mismatch', daneDetail: 'dane-mismatch' })] }));
    assert.equal(`${j.verdict}/${j.severity}`, 'broken-tlsa/error');
    assert.match(j.problems[0], /does not match the TLSA.*strict resolvers will not use this server/);
  });

  test('a mismatch without a strict signal is only a note', () => {
    const j = judgeNameserver(
      findings({ signal: signal('opportunistic'), nsAuthentic: false, endpoints: [endpoint({ dane: 'mismatch' })] }),
    );
    assert.equal(j.verdict, 'ok-opportunistic');
    assert.ok(j.notes.some((n) => /not DNSSEC-secure, so not enforced/.test(n)));
    assert.ok(j.notes.some((n) => /NS name is not authenticated/.test(n)));
  });

  test('closed-port and tls12-only (TLS 1.2 only wins when both occur)', () => {
    assert.equal(verdictOf({ endpoints: [endpoint({ tls: 'closed', encrypted: undefined })] }), 'closed-port/error');
    assert.equal(verdictOf({ endpoints: [endpoint({ tls: 'tls12-only', encrypted: undefined })] }), 'tls12-only/error');
    assert.equal(
      verdictOf({
        endpoints: [
          endpoint({ tls: 'closed', encrypted: undefined }),
          endpoint({ tls: 'tls12-only', ip: '192.0.2.54' }),
        ],
      }),
      'tls12-only/error',
    );
  });

  test('broken-transport: no TLS, failed query, not authoritative, answers differ from Do53', () => {
    assert.equal(verdictOf({ endpoints: [endpoint({ tls: 'no-tls' })] }), 'broken-transport/error');
    assert.equal(
      verdictOf({ endpoints: [endpoint({ encrypted: { ok: false, error: 'timeout' }, agrees: undefined })] }),
      'broken-transport/error',
    );
    assert.equal(verdictOf({ endpoints: [endpoint({ encrypted: { ...soa, aa: false } })] }), 'broken-transport/error');
    const j = judgeNameserver(findings({ endpoints: [endpoint({ agrees: false })] }));
    assert.equal(j.verdict, 'broken-transport');
    assert.match(j.problems[0], /differs from Do53/);
  });

  test('unsigned-signal: a warning for an SVCB, an error for a TLSA (strict needs DNSSEC)', () => {
    const insecure = { security: 'insecure' as const };
    assert.equal(
      verdictOf({
        addresses: [lk('A', insecure)],
        svcb: lk('SVCB', insecure),
        tlsa: [none('TLSA', 'insecure')],
        signal: signal('opportunistic'),
        endpoints: [endpoint({ dane: 'no-tlsa' })],
      }),
      'unsigned-signal/warning',
    );
    const j = judgeNameserver(
      findings({
        inBailiwick: true,
        nsAuthentic: false,
        addresses: [lk('A', insecure)],
        svcb: lk('SVCB', insecure),
        tlsa: [lk('TLSA', insecure)],
        signal: signal('opportunistic'),
      }),
    );
    assert.equal(`${j.verdict}/${j.severity}`, 'unsigned-signal/error');
    assert.ok(j.problems.some((p) => /in-bailiwick loop cannot be broken without DNSSEC/.test(p)));
    assert.ok(j.notes.some((n) => /in-bailiwick.*here it does not/.test(n)));
  });

  test('bogus beats everything; lookup failures and missing addresses are errors', () => {
    assert.equal(
      verdictOf({ tlsa: [lk('TLSA', { security: 'bogus', error: 'RRSIG does not verify' })] }),
      'bogus/error',
    );
    assert.equal(verdictOf({ addresses: [lk('A', { security: 'bogus' })] }), 'bogus/error');
    assert.equal(verdictOf({ addresses: [none('A')], endpoints: [] }), 'no-address/error');
    assert.equal(
      verdictOf({ tlsa: [lk('TLSA', { result: 'error', security: undefined, records: [], error: 'SERVFAIL' })] }),
      'lookup-failed/error',
    );
    assert.equal(verdictOf({ signal: signal('unusable') }), 'lookup-failed/error');
  });

  test('in-bailiwick with a signed zone: a note that DNSSEC breaks the loop', () => {
    const j = judgeNameserver(findings({ inBailiwick: true }));
    assert.equal(j.verdict, 'ok-strict');
    assert.ok(j.notes.some((n) => /in-bailiwick.*here it does: the data validates as secure/.test(n)));
  });
});

describe('answers and severities', () => {
  test('answers agree on rcode, AA and the SOA set', () => {
    assert.equal(answersAgree(soa, { ...soa }), true);
    assert.equal(answersAgree(soa, { ...soa, soa: ['ns1.example. h.example. 2 2 3 4 5'] }), false);
    assert.equal(answersAgree(soa, { ...soa, aa: false }), false);
    assert.equal(answersAgree(soa, { ok: false, error: 'timeout' }), false);
  });

  test('the worst severity decides the exit code', () => {
    assert.equal(worstSeverity(['ok', 'warning']), 'warning');
    assert.equal(worstSeverity(['ok', 'error', 'warning']), 'error');
    assert.equal(worstSeverity([]), 'ok');
  });
});
