// Deckard nsec_aggr_cache, replayed although the applicability rules mark it "kresd query pattern" (it answers only
// the queries Knot Resolver sent): sealdns answers its later steps from validated NSEC records alone (RFC 8198) —
// NODATA at the apex, NXDOMAIN, wildcard NODATA and a wildcard CNAME expansion — so every query it sends is defined.
// A regression test of the aggressive cache against real .cz data (algorithms 13, 5, 8).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createScenarioResolver } from '../../src/resolver/index.js';
import { parseRplFile } from '../scenarios/rpl.js';
import { runScenario, type ScenarioResolverFactory } from '../scenarios/runner.js';

const FILE = fileURLToPath(new URL('../../../test/data/deckard/nsec_aggr_cache.rpl', import.meta.url));

describe('Deckard nsec_aggr_cache (RFC 8198 on real data)', () => {
  it('passes with QNAME minimisation on and off', { timeout: 60_000 }, async () => {
    const r = await runScenario(parseRplFile(FILE), createScenarioResolver as ScenarioResolverFactory, {
      stepTimeoutMs: 10_000,
    });
    assert.ok(r.passed, `${r.runs.find((x) => !x.passed)?.failure}`);
    assert.equal(r.runs.length, 2);
  });
});
