/**
 * The fake network of a scenario: an Upstream that answers each query the resolver sends
 * from the scenario's RANGE entries (and one-shot STEP REPLY entries), as Deckard's mock
 * servers and testbound's fake_event do, and records every query it received.
 *
 * Selection for a query to IP at current step S: every RANGE with from <= S <= to whose
 * ADDRESS list contains IP (no ADDRESS = any address; Deckard flavour: an IP that appears
 * in no ADDRESS list at all is matched against every range), in file order; within them
 * the first ENTRY whose MATCH elements match the query. If none matches, STEP REPLY
 * entries with id >= S are tried in order and the first match is used once. Deckard
 * uses only the first eligible range and tries REPLY steps only when no range is
 * eligible; this is a superset of that, so a file that passes under Deckard's rule
 * passes here too.
 *
 * No match, `ADJUST do_not_answer`: the query fails with TransportError 'timeout' at once
 * (optionally charging `timeoutMs` to the scenario clock); no real time is spent.
 */
import { isIP } from 'node:net';
import type { FakeClock } from '../../src/transport/clock.js';
import { TransportError } from '../../src/transport/errors.js';
import { pairReply, signatureOf, withId } from '../../src/transport/pairing.js';
import { type Target, targetRef, UpstreamBase, type UpstreamReply } from '../../src/transport/upstream.js';
import {
  decodeMessage,
  ipv6FromText,
  ipv6ToText,
  type Message,
  questionToText,
  WireError,
} from '../../src/wire/index.js';
import { answerFor, hasAdjust } from './build.js';
import { matches, type Transport } from './match.js';
import type { Entry, Range, Scenario, Step } from './types.js';

/** How a recorded query was dealt with. */
export type QueryOutcome =
  | { kind: 'answered'; entry: Entry; range?: Range; step?: Step }
  /** The matching entry says `do_not_answer`: the resolver saw a timeout. */
  | { kind: 'dropped'; entry: Entry; range?: Range; step?: Step }
  /** An entry answered, but the answer does not pair with the query (ID or question): a real transport drops it. */
  | { kind: 'mismatched'; entry: Entry; range?: Range; step?: Step; why: string }
  /** No entry matched: the scenario does not define this answer (Deckard fails the scenario). */
  | { kind: 'unanswered' }
  /** The query bytes did not decode. */
  | { kind: 'malformed'; why: string };

export interface RecordedQuery {
  /** Step id current when the query arrived. */
  step: number;
  /** Scenario clock, ms. */
  at: number;
  target: Target;
  transport: Transport;
  wire: Uint8Array;
  message?: Message;
  /** Deckard flavour: the IP is in no RANGE's ADDRESS list, so every range was eligible. */
  unknownAddress: boolean;
  outcome: QueryOutcome;
}

export interface ScenarioUpstreamOptions {
  /** The scenario clock: read for `at`, advanced by `timeoutMs` when a query times out. */
  clock?: FakeClock;
  /** Scenario time a timeout costs (default 0: the clock does not move). */
  timeoutMs?: number;
  /** RTT reported for answered queries (default 10 ms). */
  rttMs?: number;
}

/** Canonical text of an IP (IPv6 compressed, lower case); other strings unchanged. */
export function canonicalIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(bare) !== 6) return bare;
  try {
    return ipv6ToText(ipv6FromText(bare));
  } catch {
    return bare;
  }
}

export class ScenarioUpstream extends UpstreamBase {
  readonly scenario: Scenario;
  /** The step the runner is at; ranges and REPLY steps are selected by it. */
  step = 0;
  /** Every query received, in order. */
  readonly queries: RecordedQuery[] = [];
  /** How often each entry answered (or dropped) a query; for MANDATORY. */
  readonly used = new Map<Entry, number>();
  readonly #opts: ScenarioUpstreamOptions;
  readonly #rangeAddrs: Set<string>[];
  readonly #knownAddrs: Set<string>;
  readonly #consumed = new Set<Step>();

  constructor(scenario: Scenario, opts: ScenarioUpstreamOptions = {}) {
    super();
    this.scenario = scenario;
    this.#opts = opts;
    this.#rangeAddrs = scenario.ranges.map((r) => new Set(r.addresses.map(canonicalIp)));
    this.#knownAddrs = new Set(this.#rangeAddrs.flatMap((s) => [...s]));
  }

  /** Queries no entry answered, and queries that did not decode. */
  unanswered(): RecordedQuery[] {
    return this.queries.filter((q) => q.outcome.kind === 'unanswered' || q.outcome.kind === 'malformed');
  }

  /** MANDATORY entries that never answered a query. */
  unusedMandatory(): Entry[] {
    const all = [
      ...this.scenario.ranges.flatMap((r) => r.entries),
      ...this.scenario.steps.flatMap((s) => (s.kind === 'REPLY' ? [s.entry] : [])),
    ];
    return all.filter((e) => e.mandatory && !this.used.has(e));
  }

  protected async dispatch(wire: Uint8Array, target: Target, signal?: AbortSignal): Promise<UpstreamReply> {
    if (signal?.aborted) {
      const timeout = (signal.reason as Error | undefined)?.name === 'TimeoutError';
      throw new TransportError(timeout ? 'timeout' : 'aborted', 'aborted before sending', {
        target: targetRef(target),
      });
    }
    const ip = canonicalIp(target.ip);
    const transport: Transport = target.protocol === 'udp' ? 'udp' : 'tcp';
    const rec: RecordedQuery = {
      step: this.step,
      at: this.#opts.clock?.now() ?? 0,
      target: { ...target },
      transport,
      wire: wire.slice(),
      unknownAddress: this.scenario.config.flavour === 'deckard' && !this.#knownAddrs.has(ip),
      outcome: { kind: 'unanswered' },
    };
    this.queries.push(rec);
    let query: Message;
    try {
      query = decodeMessage(wire);
    } catch (err) {
      rec.outcome = { kind: 'malformed', why: err instanceof WireError ? err.message : String(err) };
      throw this.#timeout(target, `query does not decode: ${rec.outcome.why}`);
    }
    rec.message = query;
    let sig: ReturnType<typeof signatureOf>;
    try {
      sig = signatureOf(wire);
    } catch (err) {
      rec.outcome = { kind: 'malformed', why: (err as Error).message };
      throw err;
    }
    const found = this.#select(query, ip, transport, rec.unknownAddress);
    if (found === undefined) throw this.#timeout(target, `no entry answers ${describeQuery(rec)}`);
    const { entry, range, step } = found;
    this.used.set(entry, (this.used.get(entry) ?? 0) + 1);
    if (hasAdjust(entry, 'do_not_answer')) {
      rec.outcome = { kind: 'dropped', entry, range, step };
      throw this.#timeout(target, `entry at line ${entry.line} does not answer (do_not_answer)`);
    }
    let reply = answerFor(entry, query, wire);
    // testbound hands canned answers straight to the resolver, whatever their ID.
    if (this.scenario.config.flavour === 'testbound') reply = withId(reply, query.id);
    const paired = pairReply(reply, sig, query.id);
    if (paired !== 'ok') {
      rec.outcome = { kind: 'mismatched', entry, range, step, why: paired };
      throw new TransportError('mismatched', `answer from entry at line ${entry.line} is not paired (${paired})`, {
        target: targetRef(target),
        mismatched: 1,
      });
    }
    rec.outcome = { kind: 'answered', entry, range, step };
    return {
      wire: reply,
      rttMs: this.#opts.rttMs ?? 10,
      protocol: target.protocol,
      truncated: reply.length >= 3 && (reply[2] & 0x02) !== 0,
      mismatched: 0,
      reused: false,
    };
  }

  #select(
    query: Message,
    ip: string,
    transport: Transport,
    anyAddress: boolean,
  ): { entry: Entry; range?: Range; step?: Step } | undefined {
    const s = this.step;
    const ranges = this.scenario.ranges;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      if (s < r.from || s > r.to) continue;
      const addrs = this.#rangeAddrs[i];
      if (addrs.size > 0 && !anyAddress && !addrs.has(ip)) continue;
      const entry = r.entries.find((e) => matches(e, query, transport));
      if (entry !== undefined) return { entry, range: r };
    }
    for (const step of this.scenario.steps) {
      if (step.kind !== 'REPLY' || step.id < s || this.#consumed.has(step)) continue;
      if (matches(step.entry, query, transport)) {
        this.#consumed.add(step);
        return { entry: step.entry, step };
      }
    }
    return undefined;
  }

  #timeout(target: Target, why: string): TransportError {
    const ms = this.#opts.timeoutMs ?? 0;
    if (ms > 0) this.#opts.clock?.advance(ms);
    return new TransportError('timeout', `${target.ip}: ${why}`, { target: targetRef(target), elapsedMs: ms });
  }

  protected async onClose(): Promise<void> {}

  protected onDestroy(): void {}
}

/** `www.example.com. IN A to 192.0.2.1 (udp) at step 10`. */
export function describeQuery(q: RecordedQuery): string {
  const question = q.message?.questions[0];
  const what =
    q.outcome.kind === 'malformed'
      ? `a malformed query (${q.outcome.why})`
      : question === undefined
        ? 'a query without question'
        : questionToText(question).replace(/^;/, '');
  return `${what.replace(/\s+/g, ' ')} to ${q.target.ip} (${q.target.protocol}) at step ${q.step}`;
}
