import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeMessage, type Message, makeQuery, RRType } from '../../src/wire/index.js';
import { aEntry, DATA, forwarder, scenario, TINY, target } from './fixtures.js';
import { parseRpl } from './rpl.js';
import { runScenario, type ScenarioResolverFactory } from './runner.js';

describe('scenario runner', () => {
  it('passes a correct resolver, moving the clock with TIME_PASSES', async () => {
    const s = parseRpl(TINY, 'tiny.rpl');
    const { factory, seenAt } = forwarder();
    const r = await runScenario(s, factory);
    assert.equal(r.failure, undefined);
    assert.equal(r.passed, true);
    assert.deepEqual(
      r.steps.map((x) => `${x.id} ${x.kind} ${x.status}`),
      ['10 QUERY ok', '20 CHECK_ANSWER ok', '40 TIME_PASSES ok', '50 QUERY ok', '60 CHECK_ANSWER ok'],
    );
    const start = Date.UTC(2020, 0, 1);
    assert.deepEqual(seenAt, [start, start + 60_000]);
    assert.equal(r.runs[0].queries.length, 2);
  });

  it('fails a wrong resolver, naming the step and the records that differ', async () => {
    const s = parseRpl(TINY, 'tiny.rpl');
    const { factory } = forwarder((m) => {
      if (m.answers[0]) m.answers[0] = { ...m.answers[0], data: { address: '10.9.9.9' } };
    });
    const r = await runScenario(s, factory);
    assert.equal(r.passed, false);
    assert.match(r.failure ?? '', /^step 20 CHECK_ANSWER \(tiny\.rpl:39\): answer to www\.example\.com\. IN A differs/);
    assert.match(r.failure ?? '', /missing: www\.example\.com\.\t3600\tIN\tA\t10\.0\.0\.1/);
    assert.match(r.failure ?? '', /unexpected: www\.example\.com\.\t3600\tIN\tA\t10\.9\.9\.9/);
    assert.match(r.detail ?? '', /ANSWER SECTION/);
    assert.equal(r.steps.at(-1)?.status, 'failed');
  });

  it('fails on flags and on queries the scenario does not answer', async () => {
    const s = parseRpl(TINY, 'tiny.rpl');
    const noRa = await runScenario(s, forwarder((m) => (m.ra = false)).factory);
    assert.match(noRa.failure ?? '', /step 20 .*flags: expected "QR AA RD RA", got "QR AA RD"/);
    const wrongServer: ScenarioResolverFactory = ({ upstream }) => ({
      async resolve(q) {
        await upstream.query(encodeMessage(q), target('192.0.2.1')).catch(() => undefined);
        await upstream.query(encodeMessage(makeQuery('other.example.', RRType.A)), target('192.0.2.1')).catch(() => 0);
        return { ...q, qr: true };
      },
    });
    const r = await runScenario(s, wrongServer);
    assert.match(
      r.failure ?? '',
      /^step 10 QUERY \(tiny\.rpl:33\): the scenario defines no answer for 1 query .*other\.example\. IN A to 192\.0\.2\.1 \(udp\) at step 10/,
    );
    const warned = await runScenario(s, wrongServer, { unanswered: 'warn' });
    assert.match(warned.failure ?? '', /step 20 CHECK_ANSWER/);
    assert.equal(warned.runs[0].warnings.length, 1);
  });

  it('runs both ways when QNAME minimisation is unspecified, and stops a hung resolver', async () => {
    const s = parseRpl(TINY.replace('\tquery-minimization: off\n', ''), 'tiny.rpl');
    const modes: boolean[] = [];
    const { factory } = forwarder();
    const r = await runScenario(s, (o) => {
      modes.push(o.qnameMinimisation);
      return factory(o);
    });
    assert.equal(r.passed, true);
    assert.deepEqual(modes, [true, false]);
    const hung = await runScenario(s, () => ({ resolve: () => new Promise<Message>(() => {}) }), { stepTimeoutMs: 50 });
    assert.match(hung.failure ?? '', /^qmin on: step 10 QUERY .*did not settle within 50 ms/);
  });

  it('checks testbound CHECK_OUT_QUERY against the queries sent, in order', async () => {
    const cfg = 'server:\n\tqname-minimisation: yes\nstub-zone:\n\tname: "."\n\tstub-addr: 192.0.2.1\n';
    const body = (first: string, second: string) => `RANGE_BEGIN 0 100
${aEntry({ match: 'opcode subdomain', qname: '.', address: '10.0.0.1', adjust: 'copy_id copy_query' })}
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
a.b.example. IN A
ENTRY_END
STEP 2 CHECK_OUT_QUERY
ENTRY_BEGIN
MATCH qname qtype
SECTION QUESTION
${first} IN A
ENTRY_END
STEP 3 CHECK_OUT_QUERY
ENTRY_BEGIN
MATCH qname qtype
SECTION QUESTION
${second} IN A
ENTRY_END`;
    const minimiser: ScenarioResolverFactory = ({ upstream }) => ({
      async resolve(q) {
        for (const n of ['example.', 'b.example.', 'a.b.example.'])
          await upstream.query(encodeMessage(makeQuery(n, RRType.A, { id: 5 })), target('192.0.2.1'));
        return { ...q, qr: true };
      },
    });
    assert.equal((await runScenario(scenario(body('example.', 'b.example.'), cfg), minimiser)).passed, true);
    const r = await runScenario(scenario(body('b.example.', 'example.'), cfg), minimiser);
    assert.match(r.failure ?? '', /^step 3 CHECK_OUT_QUERY .*expected the resolver to have sent example\. IN A/);
    assert.match(r.failure ?? '', /it sent: a\.b\.example\. IN A/);
  });
});

describe('run-scenarios CLI', () => {
  it('prints one line per file and the totals; a missing resolver module exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealdns-scn-'));
    try {
      const wire = new URL('../../src/wire/index.js', import.meta.url).href;
      writeFileSync(
        join(dir, 'fwd.mjs'),
        `import { decodeMessage, encodeMessage } from '${wire}';
export const createScenarioResolver = ({ rootHints, upstream }) => ({
  async resolve(q) {
    const ip = rootHints.find((rr) => rr.type === 1).data.address;
    const r = await upstream.query(encodeMessage(q), { ip, port: 53, protocol: 'udp', auth: 'none' });
    return decodeMessage(r.wire);
  },
});
`,
      );
      writeFileSync(join(dir, 'tiny.rpl'), TINY);
      writeFileSync(join(dir, 'broken.rpl'), TINY.replace('CONFIG_END', 'CONFIG_EN'));
      const script = fileURLToPath(new URL('../../scripts/run-scenarios.js', import.meta.url));
      const files = [join(dir, 'tiny.rpl'), join(dir, 'broken.rpl'), join(DATA, 'black_data.rpl')];
      const r = spawnSync(process.execPath, [script, '--resolver', join(dir, 'fwd.mjs'), ...files], {
        encoding: 'utf8',
      });
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'PASS tiny.rpl');
      assert.match(lines[1], /^FAIL broken\.rpl: .*broken\.rpl:\d+: no CONFIG_END line$/);
      assert.match(lines[2], /^N\/A black_data\.rpl: relies on another resolver's private behaviour/);
      assert.deepEqual(lines.slice(3), ['1 not applicable', '1 passed, 1 failed']);
      assert.equal(r.status, 1);
      const missing = spawnSync(process.execPath, [script, '--resolver', join(dir, 'nope.mjs'), files[0]], {
        encoding: 'utf8',
      });
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /resolver module is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
