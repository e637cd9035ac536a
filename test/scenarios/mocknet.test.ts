import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError } from '../../src/transport/errors.js';
import { decodeMessage, encodeMessage, makeQuery, RRType } from '../../src/wire/index.js';
import { addressOf, aEntry, queryBytes, scenario, target } from './fixtures.js';
import { ScenarioUpstream } from './mocknet.js';

describe('mock network', () => {
  it('qname matches the exact name, subdomain the name and everything below it', async () => {
    const s = scenario(`RANGE_BEGIN 0 100
${aEntry({ match: 'opcode qtype qname', qname: 'example.com.', address: '10.0.0.1' })}
${aEntry({ match: 'opcode subdomain', qname: 'example.com.', address: '10.0.0.2', adjust: 'copy_id copy_query' })}
RANGE_END`);
    const up = new ScenarioUpstream(s);
    assert.equal(addressOf((await up.query(queryBytes('example.com.'), target('192.0.2.1'))).wire), '10.0.0.1');
    assert.equal(addressOf((await up.query(queryBytes('www.example.com.'), target('192.0.2.1'))).wire), '10.0.0.2');
    assert.equal(addressOf((await up.query(queryBytes('EXAMPLE.com.'), target('192.0.2.1'))).wire), '10.0.0.1');
    await assert.rejects(up.query(queryBytes('example.net.'), target('192.0.2.1')), { code: 'timeout' });
    assert.equal(up.queries.length, 4);
    assert.equal(up.unanswered().length, 1);
  });

  it('copy_id copies the ID and the 0x20 letter case of the query name; qcase compares case', async () => {
    const s = scenario(`RANGE_BEGIN 0 100
${aEntry({ match: 'opcode qtype qname qcase', qname: 'wWw.ExAmPle.CoM.', address: '10.0.0.9' })}
${aEntry({ match: 'opcode qtype qname', qname: 'www.example.com.', address: '10.0.0.1' })}
RANGE_END`);
    const up = new ScenarioUpstream(s);
    const r = await up.query(queryBytes('WwW.eXaMpLe.cOm.', RRType.A, 0xbeef), target('192.0.2.1'));
    const m = decodeMessage(r.wire);
    assert.equal(m.id, 0xbeef);
    assert.equal(m.questions[0].name.toString(), 'WwW.eXaMpLe.cOm.');
    assert.equal(addressOf(r.wire), '10.0.0.1'); // qcase: the first entry wants other letter case
    const exact = await up.query(queryBytes('wWw.ExAmPle.CoM.', RRType.A, 7), target('192.0.2.1'));
    assert.equal(addressOf(exact.wire), '10.0.0.9');
  });

  it('do_not_answer and unmatched queries time out at once, on the scenario clock only', async () => {
    const { FakeClock } = await import('../../src/transport/clock.js');
    const s = scenario(`RANGE_BEGIN 0 100
${aEntry({ match: 'opcode qtype qname', qname: 'slow.example.', address: '10.0.0.1', adjust: 'copy_id do_not_answer' })}
RANGE_END`);
    const clock = new FakeClock(1_000_000);
    const up = new ScenarioUpstream(s, { clock, timeoutMs: 1500 });
    const t0 = performance.now();
    await assert.rejects(
      up.query(queryBytes('slow.example.'), target('192.0.2.1')),
      (e: unknown) => e instanceof TransportError && e.code === 'timeout',
    );
    assert.ok(performance.now() - t0 < 500);
    assert.equal(clock.now(), 1_001_500);
    assert.equal(up.queries[0].outcome.kind, 'dropped');
    assert.equal(up.unanswered().length, 0);
  });

  it('selects ranges by step window and by ADDRESS', async () => {
    const s = scenario(`RANGE_BEGIN 0 10
  ADDRESS 192.0.2.1
${aEntry({ match: 'opcode qtype qname', qname: 'x.example.', address: '10.0.0.1' })}
RANGE_END
RANGE_BEGIN 11 100
  ADDRESS 192.0.2.1
${aEntry({ match: 'opcode qtype qname', qname: 'x.example.', address: '10.0.0.2' })}
RANGE_END
RANGE_BEGIN 0 100
  ADDRESS 2001:db8::1
  ADDRESS 192.0.2.7
${aEntry({ match: 'opcode qtype qname', qname: 'x.example.', address: '10.0.0.3' })}
RANGE_END`);
    const up = new ScenarioUpstream(s);
    const ask = async (ip: string) => addressOf((await up.query(queryBytes('x.example.'), target(ip))).wire);
    up.step = 5;
    assert.equal(await ask('192.0.2.1'), '10.0.0.1');
    assert.equal(await ask('192.0.2.7'), '10.0.0.3');
    assert.equal(await ask('2001:db8:0:0::1'), '10.0.0.3'); // IPv6 compared in canonical form
    up.step = 11;
    assert.equal(await ask('192.0.2.1'), '10.0.0.2');
    up.step = 101;
    await assert.rejects(ask('192.0.2.1'), { code: 'timeout' });
    // Deckard: an address in no ADDRESS list is matched against every eligible range.
    up.step = 50;
    assert.equal(await ask('198.51.100.1'), '10.0.0.2');
    assert.equal(up.queries.at(-1)?.unknownAddress, true);
  });

  it('testbound: an address in no list gets no answer; a range without ADDRESS answers all', async () => {
    const cfg = 'server:\n\tqname-minimisation: no\nstub-zone:\n\tname: "."\n\tstub-addr: 192.0.2.1\n';
    const s = scenario(
      `RANGE_BEGIN 0 100
  ADDRESS 192.0.2.1
${aEntry({ match: 'opcode qtype qname', qname: 'x.example.', address: '10.0.0.1' })}
RANGE_END`,
      cfg,
    );
    assert.equal(s.config.flavour, 'testbound');
    const up = new ScenarioUpstream(s);
    await assert.rejects(up.query(queryBytes('x.example.'), target('198.51.100.1')), { code: 'timeout' });
    const any = scenario(
      `RANGE_BEGIN 0 100\n${aEntry({ match: 'opcode qtype qname', qname: 'x.example.', address: '10.0.0.5' })}\nRANGE_END`,
      cfg,
    );
    const r = await new ScenarioUpstream(any).query(queryBytes('x.example.'), target('198.51.100.1'));
    assert.equal(addressOf(r.wire), '10.0.0.5');
  });

  it('STEP REPLY entries answer once; TCP/UDP, raw_id and unpaired answers', async () => {
    const s = scenario(`RANGE_BEGIN 0 100
${aEntry({ match: 'opcode qtype qname TCP', qname: 'tcp.example.', address: '10.0.0.6' })}
${aEntry({ match: 'opcode qtype qname', qname: 'nocopy.example.', address: '10.0.0.7', adjust: 'copy_query' })}
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST raw_id
SECTION QUESTION
raw.example. IN A
RAW
ffff8180000100000000000003726177076578616d706c650000010001
ENTRY_END
RANGE_END
STEP 20 REPLY
${aEntry({ match: 'opcode qtype qname', qname: 'once.example.', address: '10.0.0.8' })}`);
    const up = new ScenarioUpstream(s);
    up.step = 10;
    assert.equal(addressOf((await up.query(queryBytes('once.example.'), target('192.0.2.1'))).wire), '10.0.0.8');
    await assert.rejects(up.query(queryBytes('once.example.'), target('192.0.2.1')), { code: 'timeout' });
    await assert.rejects(up.query(queryBytes('tcp.example.'), target('192.0.2.1', 'udp')), { code: 'timeout' });
    assert.equal(addressOf((await up.query(queryBytes('tcp.example.'), target('192.0.2.1', 'tcp'))).wire), '10.0.0.6');
    const raw = await up.query(queryBytes('raw.example.', RRType.A, 0x4242), target('192.0.2.1'));
    assert.equal(decodeMessage(raw.wire).id, 0x4242);
    // Without copy_id the answer keeps ID 0: a real transport would drop it.
    await assert.rejects(up.query(queryBytes('nocopy.example.', RRType.A, 99), target('192.0.2.1')), {
      code: 'mismatched',
    });
    assert.equal(up.queries.at(-1)?.outcome.kind, 'mismatched');
  });

  it('mirrors EDNS: an OPT in the answer iff the query had one, with its DO bit', async () => {
    const s = scenario(`RANGE_BEGIN 0 100
${aEntry({ match: 'opcode qtype qname', qname: 'e.example.', address: '10.0.0.1' })}
RANGE_END`);
    const up = new ScenarioUpstream(s);
    const withDo = encodeMessage(makeQuery('e.example.', RRType.A, { id: 1, dnssecOk: true }));
    const noEdns = encodeMessage(makeQuery('e.example.', RRType.A, { id: 2, edns: false }));
    assert.equal(decodeMessage((await up.query(withDo, target('192.0.2.1'))).wire).edns?.dnssecOk, true);
    assert.equal(decodeMessage((await up.query(noEdns, target('192.0.2.1'))).wire).edns, undefined);
  });
});
