/**
 * Replays resolver scenarios (.rpl, Deckard or Unbound testbound) against sealdns.
 *
 *   node dist/scripts/run-scenarios.js [options] FILE.rpl...
 *
 * Prints one line per file — `PASS name`, `FAIL name: reason` or `N/A name: reason` —
 * then `N not applicable` and `N passed, N failed`. Exit code 0 when nothing failed.
 *
 * The resolver comes from src/resolver/index.ts, export `createScenarioResolver` (a
 * ScenarioResolverFactory, see test/scenarios/runner.ts); an optional export
 * `scenarioCapabilities: string[]` opts into scenarios that need more than the defaults
 * (see test/scenarios/applicability.ts).
 */
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { applicability } from '../test/scenarios/applicability.js';
import { parseRplFile } from '../test/scenarios/rpl.js';
import { type RunOptions, runScenario, type ScenarioResolverFactory } from '../test/scenarios/runner.js';
import type { Scenario } from '../test/scenarios/types.js';

const USAGE = `usage: run-scenarios [options] FILE.rpl...
  --capability NAME   declare a resolver capability (repeatable; adds to scenarioCapabilities)
  --all               run the files the README marks as relying on another resolver's behaviour, and
                      those needing undeclared options (they count as passed/failed, not N/A)
  --warn-unanswered   report queries the scenario does not answer as warnings instead of failures
  --resolver MODULE   load the factory from MODULE instead of dist/src/resolver/index.js
  --verbose           print the failing answer and warnings under each FAIL line
  --help              this text`;

interface Args {
  files: string[];
  capabilities: string[];
  all: boolean;
  warnUnanswered: boolean;
  verbose: boolean;
  resolver?: string;
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = { files: [], capabilities: [], all: false, warnUnanswered: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--capability' || x === '--resolver') {
      const v = argv[++i];
      if (v === undefined) return `${x} needs a value`;
      if (x === '--capability') a.capabilities.push(v);
      else a.resolver = v;
    } else if (x === '--all') a.all = true;
    else if (x === '--warn-unanswered') a.warnUnanswered = true;
    else if (x === '--verbose') a.verbose = true;
    else if (x === '--help' || x === '-h') return '';
    else if (x.startsWith('--')) return `unknown option ${x}`;
    else a.files.push(x);
  }
  return a.files.length === 0 ? 'no scenario files given' : a;
}

interface ResolverModule {
  createScenarioResolver?: unknown;
  scenarioCapabilities?: unknown;
}

async function loadResolver(
  path: string | undefined,
): Promise<{ factory: ScenarioResolverFactory; capabilities: string[] } | string> {
  const url = path ? pathToFileURL(resolvePath(path)).href : new URL('../src/resolver/index.js', import.meta.url).href;
  let mod: ResolverModule;
  try {
    mod = (await import(url)) as ResolverModule;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && (e.message ?? '').includes(url.replace(/^file:\/\//, '')))
      return `the resolver module is missing: ${url} (src/resolver/index.ts exporting createScenarioResolver)`;
    return `cannot load the resolver module ${url}: ${e.message ?? String(err)}`;
  }
  if (typeof mod.createScenarioResolver !== 'function')
    return `${url} does not export a function createScenarioResolver`;
  const caps = Array.isArray(mod.scenarioCapabilities)
    ? mod.scenarioCapabilities.filter((c): c is string => typeof c === 'string')
    : [];
  return { factory: mod.createScenarioResolver as ScenarioResolverFactory, capabilities: caps };
}

function displayName(file: string): string {
  const dir = basename(dirname(file));
  return dir === 'unbound' ? `unbound/${basename(file)}` : basename(file);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    if (args !== '') console.error(args);
    console.error(USAGE);
    return args === '' ? 0 : 2;
  }
  const loaded = await loadResolver(args.resolver);
  if (typeof loaded === 'string') {
    console.error(loaded);
    return 1;
  }
  const capabilities = [...loaded.capabilities, ...args.capabilities];
  const opts: RunOptions = { unanswered: args.warnUnanswered ? 'warn' : 'fail' };
  let passed = 0;
  let failed = 0;
  let notApplicable = 0;
  for (const file of args.files) {
    const name = displayName(file);
    let scenario: Scenario;
    try {
      scenario = parseRplFile(file);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${oneLine((err as Error).message)}`);
      continue;
    }
    const why = args.all ? undefined : applicability(scenario, file, capabilities);
    if (why !== undefined) {
      notApplicable++;
      console.log(`N/A ${name}: ${oneLine(why)}`);
      continue;
    }
    const result = await runScenario(scenario, loaded.factory, opts);
    if (result.passed) {
      passed++;
      console.log(`PASS ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${oneLine(result.failure ?? 'failed')}`);
      if (args.verbose && result.detail) console.log(result.detail.replace(/^/gm, '    '));
    }
    if (args.verbose) for (const r of result.runs) for (const w of r.warnings) console.log(`    warning: ${w}`);
  }
  console.log(`${notApplicable} not applicable`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
