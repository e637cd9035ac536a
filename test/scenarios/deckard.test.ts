// Every Deckard and Unbound testbound scenario (test/data/deckard) that applies to sealdns, replayed against the real
// resolver through the scenario runner, as `node dist/scripts/run-scenarios.js` does. The pass count may only go up:
// raise MIN_PASSED when a fix makes more scenarios pass. The failures are listed in the test output.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createScenarioResolver, scenarioCapabilities } from '../../src/resolver/index.js';
import { applicability } from './applicability.js';
import { parseRplFile } from './rpl.js';
import { runScenario, type ScenarioResolverFactory } from './runner.js';

/** Scenarios passing at the last raise (of 150 files; the others fail or do not apply). */
const MIN_PASSED = 122;

/** The data folder, found from this file (dist/test/scenarios or test/scenarios), whatever the working directory. */
const DATA = fileURLToPath(new URL('../../../test/data/deckard/', import.meta.url));

function scenarioFiles(): string[] {
  const list = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.rpl'))
      .sort()
      .map((f) => join(dir, f));
  return [...list(DATA), ...list(join(DATA, 'unbound'))];
}

describe('Deckard and testbound scenarios', () => {
  it(`at least ${MIN_PASSED} applicable scenarios pass`, { timeout: 60_000 }, async (t) => {
    const passed: string[] = [];
    const failed: string[] = [];
    let notApplicable = 0;
    for (const file of scenarioFiles()) {
      const name = file.slice(DATA.length);
      const scenario = parseRplFile(file);
      if (applicability(scenario, file, scenarioCapabilities) !== undefined) {
        notApplicable++;
        continue;
      }
      const r = await runScenario(scenario, createScenarioResolver as ScenarioResolverFactory, {
        stepTimeoutMs: 10_000,
      });
      if (r.passed) passed.push(name);
      else failed.push(`${name}: ${(r.failure ?? 'failed').replace(/\s*\n\s*/g, ' ').slice(0, 400)}`);
    }
    t.diagnostic(`${passed.length} passed, ${failed.length} failed, ${notApplicable} not applicable`);
    for (const f of failed) t.diagnostic(`FAIL ${f}`);
    assert.ok(
      passed.length >= MIN_PASSED,
      `${passed.length} scenarios passed, fewer than ${MIN_PASSED}; failures:\n${failed.join('\n')}`,
    );
  });
});
