// The privacy report's format (src/resolver/privacy.ts): levels and counts from a request's hops, the 11-octet
// option data, the one-line EDE text, and the option surviving the wire in both directions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addPrivacyReport,
  decodeSummary,
  encodeSummary,
  PRIVACY_EDE_CODE,
  PRIVACY_OPTION_CODE,
  PRIVACY_SUMMARY_LENGTH,
  PrivacyFlag,
  PrivacyLevel,
  summarise,
  summaryText,
  wantsPrivacyReport,
} from '../../src/resolver/privacy.js';
import type { Hop } from '../../src/resolver/request.js';
import { responseFor } from '../../src/resolver/respond.js';
import { decodeMessage, EDE, EdnsOption, encodeMessage, makeQuery, Rcode } from '../../src/wire/index.js';

function hop(over: Partial<Hop>): Hop {
  return {
    zone: '.',
    server: 'a.root-servers.test.',
    ip: '127.0.0.1',
    port: 53,
    qname: 'test.',
    qtype: 1,
    protocol: 'udp',
    encrypted: false,
    authenticated: false,
    why: 'no signal, no known encrypted transport',
    outcome: 'rcode 0',
    ...over,
  };
}
const dot = (over: Partial<Hop> = {}) =>
  hop({
    protocol: 'dot',
    port: 853,
    encrypted: true,
    server: 'ns2.nic.test.',
    why: 'probe: recent DoT success',
    ...over,
  });
const dane = (over: Partial<Hop> = {}) =>
  dot({ authenticated: true, server: 'ns1.dot.test.', why: 'strict signal (DANE)', ...over });

describe('privacy summary', () => {
  it('uses the documented codes: option 65430 (RFC 6891 local/experimental), EDE 65430 (RFC 8914 private use)', () => {
    assert.equal(PRIVACY_OPTION_CODE, 65430);
    assert.equal(EdnsOption.SEALDNS_PRIVACY, 65430);
    assert.ok(PRIVACY_OPTION_CODE >= 65001 && PRIVACY_OPTION_CODE <= 65534);
    assert.equal(PRIVACY_EDE_CODE, 65430);
    assert.ok(PRIVACY_EDE_CODE >= 49152 && PRIVACY_EDE_CODE <= 65535);
  });

  it('levels: none, some, all encrypted, all encrypted and authenticated, no upstream', () => {
    assert.equal(summarise([hop({}), hop({})]).level, PrivacyLevel.NONE);
    assert.equal(summarise([hop({}), dot()]).level, PrivacyLevel.SOME);
    assert.equal(summarise([dot(), dane()]).level, PrivacyLevel.ENCRYPTED);
    assert.equal(summarise([dane(), dane()]).level, PrivacyLevel.AUTHENTICATED);
    assert.equal(summarise([]).level, PrivacyLevel.NO_UPSTREAM);
    const cached = summarise([], { fromCache: true });
    assert.equal(cached.level, 255);
    assert.equal(cached.flags, PrivacyFlag.CACHE);
    assert.equal(summarise([], { fromCache: true, encryptedPartition: true }).flags, 0x03);
    assert.equal(summarise([], { encryptedPartition: true }).flags, 0, 'the partition flag only with a cache hit');
  });

  it('counts every hop but race losers; a failed cleartext query still counts as cleartext', () => {
    const s = summarise([
      dot({ outcome: 'connect-refused' }),
      hop({ outcome: 'timeout' }),
      dane({ outcome: 'aborted' }),
      dane(),
      hop({ protocol: 'tcp', why: 'fallback: no DoT; TCP after TC' }),
    ]);
    assert.deepEqual(s, {
      version: 1,
      level: PrivacyLevel.SOME,
      flags: 0,
      hops: 4,
      encrypted: 2,
      authenticated: 1,
      cleartext: 2,
    });
  });

  it('encodes to 11 octets (version, level, flags, four u16 counts) and back', () => {
    const s = { version: 1, level: 1, flags: 0, hops: 7, encrypted: 5, authenticated: 2, cleartext: 2 };
    const b = encodeSummary(s);
    assert.equal(b.length, PRIVACY_SUMMARY_LENGTH);
    assert.deepEqual([...b], [1, 1, 0, 0, 7, 0, 5, 0, 2, 0, 2]);
    assert.deepEqual(decodeSummary(b), s);
    const big = encodeSummary({ ...s, hops: 70_000 });
    assert.equal(decodeSummary(big)?.hops, 65535, 'counts saturate');
    assert.equal(decodeSummary(new Uint8Array([2, ...b.subarray(1)])), undefined, 'unknown version');
    assert.equal(decodeSummary(b.subarray(0, 10)), undefined, 'short');
  });

  it('one line for humans: counts, then where cleartext went and why', () => {
    const hops = [
      hop({}),
      dot(),
      dot(),
      dane(),
      dane(),
      dot({ server: 'b.root-servers.test.' }),
      hop({ server: 'a.root-servers.test.' }),
    ];
    assert.equal(
      summaryText(summarise(hops), hops),
      'privacy: 5/7 upstream hops encrypted, 2 authenticated; cleartext to a.root-servers.test (no signal)',
    );
    const all = [dot(), dane()];
    assert.equal(
      summaryText(summarise(all), all),
      'privacy: 2/2 upstream hops encrypted, 1 authenticated; no cleartext',
    );
    const many = ['a', 'b', 'c', 'd', 'e'].map((x) =>
      hop({ server: `ns.${x}.test.`, why: 'policy: encryption not wanted' }),
    );
    assert.match(
      summaryText(summarise(many), many),
      /cleartext to ns\.a\.test \(policy: encryption not wanted\), .* and 2 more$/,
    );
    assert.equal(
      summaryText(summarise([], { fromCache: true })),
      'privacy: answered from cache (no upstream query for this request)',
    );
    assert.match(summaryText(summarise([], { fromCache: true, encryptedPartition: true })), /encrypted-only partition/);
    assert.equal(summaryText(summarise([])), 'privacy: no upstream query');
    const long = Array.from({ length: 3 }, (_, i) => hop({ server: `${'x'.repeat(60)}${i}.test.` }));
    assert.ok(summaryText(summarise(long), long).length <= 240);
  });

  it('asked for with the (empty) option; the report survives the wire next to other EDEs', () => {
    const q = makeQuery('www.badtlsa.test', 1, { rd: true });
    assert.equal(wantsPrivacyReport(q), false);
    q.edns!.options.push({ kind: 'raw', code: PRIVACY_OPTION_CODE, data: new Uint8Array(0) });
    const wireQ = decodeMessage(encodeMessage(q));
    assert.equal(wantsPrivacyReport(wireQ), true, 'the empty option decodes');
    assert.equal(wantsPrivacyReport(makeQuery('x.test', 1, { edns: false })), false);

    const r = responseFor(wireQ, Rcode.SERVFAIL, {
      code: EDE.NO_REACHABLE_AUTHORITY,
      text: 'strict server unreachable',
    });
    const hops = [hop({}), dane({ outcome: 'tls-auth-failed' })];
    addPrivacyReport(r, summarise(hops), hops);
    const back = decodeMessage(encodeMessage(r));
    const opt = back.edns?.options.find((o) => o.kind === 'raw' && o.code === PRIVACY_OPTION_CODE);
    assert.ok(opt?.kind === 'raw');
    assert.deepEqual(decodeSummary(opt.data), summarise(hops));
    const ede = back.edns?.options.filter((o) => o.kind === 'ede').map((o) => (o.kind === 'ede' ? o.infoCode : 0));
    assert.deepEqual(ede, [EDE.NO_REACHABLE_AUTHORITY, PRIVACY_EDE_CODE]);
  });
});
