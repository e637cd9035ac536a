/**
 * Runs a parsed scenario against a resolver built by a factory: the resolver gets the
 * scenario's root hints, trust anchors, clock and fake network (mocknet.ts); the runner
 * plays the steps in order and stops at the first failure, which names the step, its
 * line and what differed. With QNAME minimisation unspecified (Deckard), the scenario
 * runs twice, on and off; both must pass.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { type Clock, FakeClock } from '../../src/transport/clock.js';
import type { Upstream } from '../../src/transport/upstream.js';
import { decodeMessage, type Message, messageToText, questionToText, type RR } from '../../src/wire/index.js';
import { clientQuery } from './build.js';
import { diffMessage, effectiveMatch, matches } from './match.js';
import { describeQuery, type RecordedQuery, ScenarioUpstream } from './mocknet.js';
import type { Entry, Scenario, ScenarioConfig, Step } from './types.js';

export { applicability, PRIVATE_BEHAVIOUR } from './applicability.js';

/** What the runner needs from the resolver under test. */
export interface ScenarioResolver {
  /** Answers one client query (as the server layer would hand it over). */
  resolve(query: Message): Promise<Message>;
  /**
   * Optional: raw client bytes (STEP QUERY with RAW). Resolves with the answer bytes, or
   * undefined when the resolver drops the packet. Without it, RAW queries that decode
   * are given to `resolve` and the others are not delivered.
   */
  resolveWire?(wire: Uint8Array): Promise<Uint8Array | undefined>;
  close?(): Promise<void> | void;
}

export interface ScenarioResolverOptions {
  /** `. NS host` and the host's address records, from `stub-addr`/`stub-name` or `stub-zone: name: "."`. */
  rootHints: RR[];
  /** DS/DNSKEY records from `trust-anchor:`. */
  trustAnchors: RR[];
  /** The scenario clock, ms since the epoch: starts at val-override-date, moves only with TIME_PASSES. */
  now: () => number;
  /** The same clock as a Clock. */
  clock: Clock;
  /** The fake network: every query must go through it. */
  upstream: Upstream;
  qnameMinimisation: boolean;
  /**
   * Other config options: `key` for Deckard and testbound `server:` options, `clause.key`
   * for other clauses; repeated keys are joined with "\n".
   */
  options: Record<string, string>;
  /** The whole normalised config (flavour, stub zones, options with line numbers). */
  config: ScenarioConfig;
}

export type ScenarioResolverFactory = (opts: ScenarioResolverOptions) => ScenarioResolver | Promise<ScenarioResolver>;

export interface StepResult {
  id: number;
  kind: string;
  line: number;
  status: 'ok' | 'failed' | 'skipped';
  detail?: string;
  qnameMinimisation: boolean;
}

export interface RunResult {
  qnameMinimisation: boolean;
  passed: boolean;
  steps: StepResult[];
  /** One line: the step (file:line) and what differed. */
  failure?: string;
  /** More about the failure (the answer received, a stack), possibly several lines. */
  detail?: string;
  /** Every query the resolver sent upstream. */
  queries: RecordedQuery[];
  /** Unanswered queries in `unanswered: 'warn'` mode, and the like. */
  warnings: string[];
}

export interface ScenarioResult {
  passed: boolean;
  /** The steps of every run, in order. */
  steps: StepResult[];
  /** One line, prefixed with "qmin on/off: " when the scenario ran both ways. */
  failure?: string;
  detail?: string;
  runs: RunResult[];
}

export interface RunOptions {
  /** A query no entry answers: fail the scenario (Deckard, default) or only warn (triage). */
  unanswered?: 'fail' | 'warn';
  /** Real-time limit for one resolver call (default 10 s); the scenario clock never moves by itself. */
  stepTimeoutMs?: number;
  /** Scenario time an upstream timeout costs (default 0). */
  timeoutMs?: number;
  /** Runs to make, overriding the config (e.g. [true] to run only with minimisation). */
  qnameMinimisation?: boolean[];
}

/** Runs the scenario once per QNAME-minimisation setting it calls for. */
export async function runScenario(
  scenario: Scenario,
  factory: ScenarioResolverFactory,
  opts: RunOptions = {},
): Promise<ScenarioResult> {
  const q = scenario.config.qnameMinimisation;
  const modes = opts.qnameMinimisation ?? (q === 'unspecified' ? [true, false] : [q === 'on']);
  const runs: RunResult[] = [];
  for (const mode of modes) runs.push(await runOnce(scenario, factory, mode, opts));
  const failed = runs.find((r) => !r.passed);
  const result: ScenarioResult = { passed: failed === undefined, steps: runs.flatMap((r) => r.steps), runs };
  if (failed !== undefined) {
    result.failure =
      modes.length > 1 ? `qmin ${failed.qnameMinimisation ? 'on' : 'off'}: ${failed.failure}` : failed.failure;
    result.detail = failed.detail;
  }
  return result;
}

/** `key` or `clause.key` → value, repeated keys joined with "\n". */
export function optionRecord(config: ScenarioConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of config.options) {
    const k = o.clause === '' || o.clause === 'server' ? o.key : `${o.clause}.${o.key}`;
    out[k] = k in out ? `${out[k]}\n${o.value}` : o.value;
  }
  return out;
}

/** A step failed: `message` is one line; `detail` may hold more (the whole answer). */
class StepFailure extends Error {
  readonly detail: string | undefined;
  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

async function runOnce(
  scenario: Scenario,
  factory: ScenarioResolverFactory,
  qmin: boolean,
  opts: RunOptions,
): Promise<RunResult> {
  const cfg = scenario.config;
  const start = cfg.valOverrideDate ?? Math.floor(Date.now() / 1000);
  const clock = new FakeClock(start * 1000);
  const upstream = new ScenarioUpstream(scenario, { clock, timeoutMs: opts.timeoutMs ?? 0 });
  const run: RunResult = { qnameMinimisation: qmin, passed: false, steps: [], queries: upstream.queries, warnings: [] };
  const guardMs = opts.stepTimeoutMs ?? 10_000;
  let resolver: ScenarioResolver | undefined;
  let current: Step | undefined;
  try {
    const made = factory({
      rootHints: cfg.rootHints,
      trustAnchors: cfg.trustAnchors,
      now: () => clock.now(),
      clock,
      upstream,
      qnameMinimisation: qmin,
      options: optionRecord(cfg),
      config: cfg,
    });
    resolver = await guard(Promise.resolve(made), guardMs, 'the resolver factory');
    const state: PlayState = { lastAnswer: undefined, lastQuery: undefined, outCursor: 0, nextId: 0x5eed };
    for (const step of scenario.steps) {
      current = step;
      upstream.step = step.id;
      const seen = upstream.queries.length;
      const r = await play(step, scenario, resolver, upstream, clock, state, guardMs);
      run.steps.push({ id: step.id, kind: stepName(step), line: step.line, qnameMinimisation: qmin, ...r });
      const missing = upstream.queries
        .slice(seen)
        .filter((x) => x.outcome.kind === 'unanswered' || x.outcome.kind === 'malformed');
      if (missing.length > 0) {
        const text = `the scenario defines no answer for ${missing.length} ${missing.length === 1 ? 'query' : 'queries'} the resolver sent: ${missing
          .slice(0, 5)
          .map(describeQuery)
          .join('; ')}${missing.length > 5 ? '; …' : ''}`;
        if (opts.unanswered === 'warn') run.warnings.push(`${where(step, scenario)}: ${text}`);
        else throw new StepFailure(text);
      }
    }
    current = undefined;
    const unused = upstream.unusedMandatory();
    if (unused.length > 0)
      throw new StepFailure(
        `MANDATORY entries never used: ${unused.map((e) => `line ${e.line} (${e.question.map(questionText).join(', ')})`).join('; ')}`,
      );
    run.passed = true;
  } catch (err) {
    const reason = err instanceof StepFailure ? err.message : `runner error: ${(err as Error)?.message ?? String(err)}`;
    run.failure = current === undefined ? reason : `${where(current, scenario)}: ${reason}`;
    run.detail = err instanceof StepFailure ? err.detail : (err as Error)?.stack;
    if (current !== undefined) {
      const last = run.steps.at(-1);
      if (last !== undefined && last.id === current.id) {
        last.status = 'failed';
        last.detail = reason;
      } else
        run.steps.push({
          id: current.id,
          kind: stepName(current),
          line: current.line,
          status: 'failed',
          detail: reason,
          qnameMinimisation: qmin,
        });
    }
  } finally {
    try {
      if (resolver?.close !== undefined) await guard(Promise.resolve(resolver.close()), guardMs, 'close()');
    } catch (err) {
      if (run.passed) {
        run.passed = false;
        run.failure = (err as Error).message;
      }
    } finally {
      upstream.destroy();
    }
  }
  return run;
}

interface PlayState {
  lastAnswer: Message | undefined;
  lastQuery: Message | undefined;
  /** testbound CHECK_OUT_QUERY: index of the first query not yet checked off. */
  outCursor: number;
  nextId: number;
}

type Outcome = { status: StepResult['status']; detail?: string };

async function play(
  step: Step,
  scenario: Scenario,
  resolver: ScenarioResolver,
  upstream: ScenarioUpstream,
  clock: FakeClock,
  state: PlayState,
  guardMs: number,
): Promise<Outcome> {
  switch (step.kind) {
    case 'QUERY':
      return query(step.entry, scenario, resolver, state, guardMs);
    case 'CHECK_ANSWER': {
      if (state.lastAnswer === undefined) throw new StepFailure('no answer to check (no QUERY with an answer before)');
      const diffs = diffMessage(step.entry, state.lastAnswer);
      if (diffs.length > 0) {
        const elements = effectiveMatch(step.entry).map((m) => m.name);
        throw new StepFailure(
          `answer to ${state.lastQuery?.questions.map(questionText).join(', ') ?? 'the query'} differs ` +
            `(MATCH ${elements.join(' ')}): ${diffs.join('; ')}`,
          messageToText(state.lastAnswer),
        );
      }
      return { status: 'ok' };
    }
    case 'TIME_PASSES':
      if (step.elapse === undefined) throw new StepFailure(`only TIME_PASSES ELAPSE is supported`);
      clock.advance(step.elapse * 1000);
      return { status: 'ok', detail: `clock +${step.elapse} s` };
    case 'REPLY':
      return { status: 'skipped', detail: 'one-shot answer for the fake network' };
    case 'CHECK_OUT_QUERY':
      if (scenario.config.flavour === 'deckard') return { status: 'skipped', detail: 'ignored, as Deckard does' };
      return checkOutQuery(step.entry, upstream, state);
    case 'testbound':
      if (step.name === 'NOTHING') return { status: 'ok' };
      if (step.name === 'TRAFFIC') {
        await tick();
        return { status: 'ok', detail: 'pending traffic settled' };
      }
      throw new StepFailure(`testbound step ${step.name} cannot be reproduced by the in-process runner`);
  }
}

async function query(
  entry: Entry,
  scenario: Scenario,
  resolver: ScenarioResolver,
  state: PlayState,
  guardMs: number,
): Promise<Outcome> {
  if (entry.raw !== undefined) {
    // A RAW query is sent as is and no answer is awaited (the last answer stays).
    if (resolver.resolveWire !== undefined) {
      await guard(resolver.resolveWire(entry.raw), guardMs, 'resolveWire()');
      return { status: 'ok', detail: 'raw query delivered' };
    }
    let msg: Message;
    try {
      msg = decodeMessage(entry.raw);
    } catch (err) {
      return { status: 'skipped', detail: `raw query does not decode (${(err as Error).message}); not delivered` };
    }
    await guard(resolver.resolve(msg), guardMs, 'resolve()');
    return { status: 'ok', detail: 'raw query delivered decoded' };
  }
  state.nextId = (state.nextId * 1103515245 + 12345) >>> 0;
  const q = clientQuery(entry, scenario.config.flavour, (state.nextId >>> 16) & 0xffff);
  state.lastQuery = q;
  state.lastAnswer = undefined;
  state.lastAnswer = await guard(resolver.resolve(q), guardMs, 'resolve()');
  return { status: 'ok', detail: q.questions.map(questionText).join(', ') };
}

function checkOutQuery(entry: Entry, upstream: ScenarioUpstream, state: PlayState): Outcome {
  const qs = upstream.queries;
  for (let i = state.outCursor; i < qs.length; i++) {
    const m = qs[i].message;
    if (m !== undefined && matches(entry, m, qs[i].transport)) {
      state.outCursor = i + 1;
      return { status: 'ok', detail: describeQuery(qs[i]) };
    }
  }
  const since = qs.slice(state.outCursor).map(describeQuery);
  throw new StepFailure(
    `expected the resolver to have sent ${entry.question.map(questionText).join(', ')} ` +
      `(MATCH ${effectiveMatch(entry)
        .map((m) => m.name)
        .join(' ')}); after the previous check it sent: ${since.length > 0 ? since.join('; ') : 'nothing'}`,
  );
}

async function guard<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StepFailure(
            `${what} did not settle within ${ms} ms of real time (the scenario clock moves only with TIME_PASSES)`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([p, limit]);
  } catch (err) {
    if (err instanceof StepFailure) throw err;
    throw new StepFailure(`${what} rejected: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

function stepName(step: Step): string {
  return step.kind === 'testbound' ? step.name : step.kind;
}

function where(step: Step, scenario: Scenario): string {
  return `step ${step.id} ${stepName(step)} (${scenario.file}:${step.line})`;
}

function questionText(q: Message['questions'][number]): string {
  return questionToText(q).replace(/^;/, '').replace(/\s+/g, ' ');
}
