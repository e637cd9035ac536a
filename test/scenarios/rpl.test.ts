import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RRType, rrToText } from '../../src/wire/index.js';
import { applicability } from './applicability.js';
import { ALL_FILES, byName, DATA, scenario } from './fixtures.js';
import { parseRpl, parseRplFile, RplError } from './rpl.js';

describe('rpl parser', () => {
  it('parses every shared scenario file (134 Deckard + 16 testbound)', () => {
    assert.equal(ALL_FILES.length, 150);
    for (const f of ALL_FILES) {
      const s = parseRplFile(f);
      assert.ok(s.steps.length > 0, f);
      assert.equal(s.config.flavour, f.includes('/unbound/') ? 'testbound' : 'deckard', f);
    }
  });

  it('reports the records the codec rejects (parsed only after a documented rewrite)', () => {
    const warned = ALL_FILES.filter((f) => parseRplFile(f).warnings.length > 0).map((f) => f.slice(DATA.length));
    // val_unknown_algorithm_insecure: over-padded base64 "UNUSABLE==" (the codec is strict about base64).
    // Algorithm mnemonics (val_secds_nosig: DSA, RSASHA1) are accepted by the codec itself (RFC 4034 2.2).
    assert.deepEqual(warned.sort(), ['val_unknown_algorithm_insecure.rpl']);
    assert.deepEqual(byName('val_secds_nosig.rpl').warnings, []);
  });

  it('counts ranges, entries and steps as written (checked by hand)', () => {
    const r = byName('iter_resolve.rpl');
    assert.equal(r.ranges.length, 3);
    assert.equal(
      r.ranges.reduce((n, x) => n + x.entries.length, 0),
      15,
    );
    assert.deepEqual(
      r.steps.map((s) => [s.id, s.kind]),
      [
        [1, 'QUERY'],
        [10, 'CHECK_ANSWER'],
      ],
    );
    assert.deepEqual(r.ranges[0].addresses, ['193.0.14.129']);
    assert.deepEqual([r.ranges[0].from, r.ranges[0].to], [0, 100]);

    const tc = byName('iter_tcbit.rpl');
    assert.equal(tc.ranges.length, 0);
    assert.deepEqual(
      tc.steps.map((s) => `${s.id} ${s.kind}`),
      ['10 QUERY', '30 REPLY', '50 REPLY', '60 REPLY', '70 REPLY', '100 CHECK_ANSWER'],
    );
    const trunc = tc.steps[3];
    assert.ok(trunc.kind === 'REPLY' && trunc.entry.reply.flags.has('TC') && trunc.entry.reply.flags.has('AA'));

    const raw = byName('iter_badraw.rpl');
    assert.equal(raw.ranges.length, 3);
    assert.equal(raw.steps.length, 3093);
    assert.equal(raw.steps.filter((s) => s.kind === 'QUERY' && s.entry.raw !== undefined).length, 3091);

    const tq = byName('iter_timeouted_ns.rpl');
    assert.equal(tq.ranges.length, 6);
    assert.deepEqual(
      tq.steps.flatMap((s) => (s.kind === 'TIME_PASSES' ? [[s.id, s.elapse, s.line]] : [])),
      [[5, 15, 298]],
    );
    const dropped = tq.ranges.flatMap((x) => x.entries).filter((e) => e.adjust.some((a) => a.name === 'do_not_answer'));
    assert.equal(dropped.length, 1);

    const m = byName('unbound/iter_resolve_minimised.rpl');
    assert.equal(m.ranges.length, 3);
    assert.deepEqual(
      m.steps.map((s) => s.kind),
      ['QUERY', 'CHECK_OUT_QUERY', 'CHECK_OUT_QUERY', 'CHECK_OUT_QUERY', 'CHECK_OUT_QUERY', 'CHECK_ANSWER'],
    );
  });

  it('normalises Deckard config: root hints, trust anchors, date, qmin', () => {
    const s = byName('iter_tcbit.rpl');
    assert.deepEqual(s.config.rootHints.map(rrToText), [
      '.\t3600000\tIN\tNS\tk.root-servers.net.',
      'k.root-servers.net.\t3600000\tIN\tA\t193.0.14.129',
    ]);
    assert.equal(s.config.qnameMinimisation, 'unspecified');
    assert.deepEqual(
      s.config.options.map((o) => `${o.key}=${o.value}`),
      ['do-ip6=no'],
    );
    const v = byName('val_adbit.rpl');
    assert.equal(v.config.qnameMinimisation, 'off');
    assert.ok(v.config.trustAnchors.length > 0);
    assert.ok(v.config.trustAnchors.every((rr) => rr.type === RRType.DS || rr.type === RRType.DNSKEY));
    const sentinel = byName('val_ta_sentinel.rpl');
    assert.deepEqual(sentinel.config.rootHints.map(rrToText), [
      '.\t3600000\tIN\tNS\trootns.',
      'rootns.\t3600000\tIN\tAAAA\t2001:503:ba3e::2:30',
    ]);
    assert.equal(v.config.valOverrideDate, Date.UTC(2018, 10, 30, 12, 18, 14) / 1000); // "20181130121814"
    const unquoted = byName('val_unknown_algorithm_insecure.rpl'); // val-override-date: 20170801000000
    assert.equal(unquoted.config.valOverrideDate, Date.UTC(2017, 7, 1) / 1000);
  });

  it('normalises testbound config: clauses, stub zones, qmin default on', () => {
    const m = byName('unbound/iter_resolve_minimised.rpl');
    assert.equal(m.config.qnameMinimisation, 'on');
    assert.equal(m.config.rootHints.length, 2);
    const s = byName('unbound/stop_nxdomain_minimised.rpl');
    assert.deepEqual(
      s.config.stubZones.map((z) => `${z.name} ${z.addrs.join(',')}`),
      ['. 193.0.14.129', 'anotherexample.local. 10.20.30.40'],
    );
    assert.equal(s.config.valOverrideDate, Date.UTC(2007, 8, 16, 13, 42, 26) / 1000);
    assert.equal(s.config.trustAnchors[0].type, RRType.DNSKEY);
    const off = byName('unbound/iter_auth_tc.rpl');
    assert.equal(off.config.qnameMinimisation, 'off');
    assert.ok(
      off.config.options.some((o) => o.clause === 'server' && o.key === 'minimal-responses' && o.value === 'no'),
    );
    const ttl = byName('unbound/val_negcache_ttl.rpl');
    const check = ttl.steps.find((x) => x.kind === 'CHECK_ANSWER');
    assert.ok(check?.kind === 'CHECK_ANSWER' && check.entry.match.some((e) => e.name === 'ttl'));
  });

  it('names file:line in parse errors', () => {
    const bad = (body: string, re: RegExp) =>
      assert.throws(
        () => scenario(body),
        (e: unknown) => e instanceof RplError && re.test(e.message),
      );
    bad(
      'STEP 1 QUERY\nENTRY_BEGIN\nSECTION QUESTION\nexample.com. IN BOGUSTYPE\nENTRY_END',
      /^hand\.rpl:7: unexpected "BOGUSTYPE" in question/,
    );
    bad(
      'RANGE_BEGIN 0 10\nENTRY_BEGIN\nMATCH qname sparkle\nENTRY_END\nRANGE_END',
      /^hand\.rpl:6: unknown MATCH element "sparkle"/,
    );
    bad(
      'STEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION ANSWER\nexample.com. IN A 1.2.3\nENTRY_END',
      /^hand\.rpl:8: cannot parse record "example\.com\. IN A 1\.2\.3"/,
    );
    bad('STEP 5 WIGGLE', /^hand\.rpl:4: unknown STEP kind "WIGGLE"/);
    bad(
      'STEP 5 QUERY\nENTRY_BEGIN\nSECTION QUESTION\nexample.com. IN A',
      /^hand\.rpl:8: SCENARIO_END inside an ENTRY \(no ENTRY_END for the ENTRY at line 5\)/,
    );
    assert.throws(
      () => parseRpl('stub-addr 1.2.3.4\nCONFIG_END\n', 'c.rpl'),
      /^RplError|c\.rpl:1: expected "key: value"/,
    );
  });

  it('reads entries: defaults, RAW hex, REPLY words, multi-line parentheses', () => {
    const s = scenario(`RANGE_BEGIN 0 100 10.0.0.1
ENTRY_BEGIN
SECTION QUESTION
example.com. IN SOA
SECTION ANSWER
example.com. 300 SOA ns.example.com. host.example.com. (
    1 2 3
    4 5 )
ENTRY_END
ENTRY_BEGIN
ADJUST raw_id
RAW
; comment line
00010000000000000000 0000
ENTRY_END
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
REPLY RD CD DO
FLAGS AD
SECTION QUESTION
example.com. CH TXT
ENTRY_END`);
    const [soa, raw] = s.ranges[0].entries;
    assert.deepEqual(s.ranges[0].addresses, ['10.0.0.1']);
    assert.deepEqual(
      soa.match.map((m) => m.name),
      ['opcode', 'qtype', 'qname'],
    );
    assert.deepEqual(
      soa.adjust.map((a) => a.name),
      ['copy_id'],
    );
    assert.equal(rrToText(soa.answer[0]), 'example.com.\t300\tIN\tSOA\tns.example.com. host.example.com. 1 2 3 4 5');
    assert.equal(Buffer.from(raw.raw ?? []).toString('hex'), '000100000000000000000000');
    const q = s.steps[0];
    assert.ok(q.kind === 'QUERY');
    assert.deepEqual([...q.entry.reply.flags].sort(), ['AD', 'CD', 'RD']);
    assert.equal(q.entry.reply.do, true);
    assert.equal(q.entry.question[0].class, 3);
  });
});

describe('applicability', () => {
  it('quotes the README for files relying on another resolver', () => {
    const why = applicability(byName('black_data.rpl'), join(DATA, 'black_data.rpl'));
    assert.match(why ?? '', /private behaviour — README: "Unbound \\"blacklist\\": after a bogus answer/);
    assert.match(applicability(byName('val_adcopy.rpl')) ?? '', /needs DSA|Five files need DSA/);
    assert.match(applicability(byName('world_mx_nic_www.rpl')) ?? '', /Knot Resolver's query pattern/);
    assert.equal(applicability(byName('val_adcopy.rpl'), undefined, ['dsa']), undefined);
  });

  it('marks options and steps the runner or resolver lacks, and passes plain files', () => {
    assert.equal(applicability(byName('iter_resolve.rpl')), undefined);
    assert.equal(applicability(byName('unbound/ttl_zero_cacherep.rpl')), undefined);
    const minimised = byName('unbound/iter_resolve_minimised.rpl');
    assert.match(applicability(minimised) ?? '', /minimal-responses: no .*"minimal-responses-off"/);
    assert.equal(applicability(minimised, undefined, ['minimal-responses-off']), undefined);
    assert.match(
      applicability(byName('unbound/val_negcache_nxdomain.rpl')) ?? '',
      /stub zone for testzone\.nlnetlabs\.nl\./,
    );
    assert.match(applicability(byName('iter_cycle_noh.rpl')) ?? '', /harden-glue/);
    const tb = scenario(
      'STEP 1 FLUSH_MESSAGE example.com. IN A',
      'server:\nstub-zone:\n\tname: "."\n\tstub-addr: 1.2.3.4\n',
    );
    assert.match(applicability(tb) ?? '', /testbound step FLUSH_MESSAGE \(line \d+\) cannot be reproduced/);
    const counts = { applicable: 0, not: 0 };
    for (const f of ALL_FILES) counts[applicability(parseRplFile(f), f) === undefined ? 'applicable' : 'not']++;
    assert.ok(counts.applicable >= 110, JSON.stringify(counts));
  });
});
