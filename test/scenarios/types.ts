/**
 * Typed form of a resolver scenario (.rpl), for both flavours: CZ.NIC Deckard and
 * NLnet Labs Unbound testbound. Produced by `parseRpl` (rpl.ts), consumed by the fake
 * network (mocknet.ts) and the step runner (runner.ts). Format notes:
 * test/data/deckard/README.md.
 */
import type { Name, Question, RR } from '../../src/wire/index.js';

/** `deckard`: flat `key: value` config. `testbound`: unbound.conf clauses (`server:`, `stub-zone:` …). */
export type Flavour = 'deckard' | 'testbound';

/** A config option the parser did not normalise, kept as written (quotes removed). */
export interface RawOption {
  /** '' for Deckard's flat config; `server`, `stub-zone`, `forward-zone` … for testbound. */
  clause: string;
  key: string;
  value: string;
  line: number;
}

/** A stub zone: Deckard's `stub-addr`/`stub-name` (always "."), or a testbound `stub-zone:` clause. */
export interface StubZone {
  name: Name;
  addrs: string[];
  /** `stub-name` / `stub-host`; Deckard's default for the root is k.root-servers.net. */
  hosts: Name[];
  line: number;
}

/** `on`/`off` as configured; `unspecified` = Deckard runs the file both ways. */
export type QminSetting = 'on' | 'off' | 'unspecified';

export interface ScenarioConfig {
  flavour: Flavour;
  /** `. NS <host>` plus `<host> A|AAAA <addr>` for the root stub (TTL 3600000); empty without one. */
  rootHints: RR[];
  /** Every stub zone, the root's included. */
  stubZones: StubZone[];
  /** DS or DNSKEY records from `trust-anchor:`. */
  trustAnchors: RR[];
  /** `val-override-date` / `val-override-timestamp` as unix seconds; absent = real time. */
  valOverrideDate?: number;
  qnameMinimisation: QminSetting;
  /** Everything else, in file order (repeatable keys appear repeatedly). */
  options: RawOption[];
}

/** MATCH element names: Deckard's, then testbound's additions. */
export const MATCH_NAMES = [
  'opcode',
  'qtype',
  'qname',
  'qcase',
  'subdomain',
  'flags',
  'rcode',
  'question',
  'answer',
  'authority',
  'additional',
  'edns',
  'nsid',
  'all',
  'ttl',
  'DO',
  'noedns',
  'TCP',
  'UDP',
  'ede',
  'client_cookie',
  'server_cookie',
  'ednsdata',
  'serial',
  'all_noedns',
] as const;
export type MatchName = (typeof MATCH_NAMES)[number];

/** One MATCH element; `ede=N`/`ede=any` and `serial=N` carry a value. */
export interface MatchElement {
  name: MatchName;
  value?: number | 'any';
}

export const ADJUST_NAMES = [
  'copy_id',
  'copy_query',
  'raw_id',
  'do_not_answer',
  'sleep',
  'packet_sleep',
  'copy_ednsdata_assume_clientsubnet',
  'increment_ecs_scope',
] as const;
export type AdjustName = (typeof ADJUST_NAMES)[number];

export interface AdjustElement {
  name: AdjustName;
  /** `sleep=N`, `packet_sleep=N`. */
  value?: number;
}

export type HeaderFlag = 'QR' | 'AA' | 'TC' | 'RD' | 'RA' | 'AD' | 'CD';
export const HEADER_FLAGS: readonly HeaderFlag[] = ['QR', 'AA', 'TC', 'RD', 'RA', 'AD', 'CD'];

/** The `REPLY` (alias `FLAGS`) line(s): the header of the message the entry describes. */
export interface ReplySpec {
  /** Defaults to QUERY (0). */
  opcode: number;
  /** Full (extended) rcode; defaults to NOERROR. */
  rcode: number;
  flags: ReadonlySet<HeaderFlag>;
  /** EDNS DO bit. */
  do: boolean;
}

/** ENTRY_BEGIN … ENTRY_END: a message template plus how to match and adjust it. */
export interface Entry {
  /** Line of ENTRY_BEGIN. */
  line: number;
  /** The MATCH elements, or the flavour's default when the entry has no MATCH line. */
  match: MatchElement[];
  /** Whether the entry had a MATCH line. */
  matchGiven: boolean;
  /** The ADJUST elements, or the flavour's default when the entry has no ADJUST line. */
  adjust: AdjustElement[];
  reply: ReplySpec;
  question: Question[];
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** `RAW` / `HEX_ANSWER_BEGIN` packet bytes. */
  raw?: Uint8Array;
  /** `HEX_EDNSDATA_BEGIN` bytes (testbound). */
  ednsData?: Uint8Array;
  mandatory: boolean;
  tsig?: { keyName: string; secret: string };
  /** Entry features the runner cannot reproduce (`EXTRA_PACKET` …), for `applicability`. */
  unsupported: string[];
}

export interface Range {
  line: number;
  from: number;
  to: number;
  /** Server addresses this range answers for; empty = any address. */
  addresses: string[];
  entries: Entry[];
}

/** testbound step kinds with no Deckard equivalent. */
export const TESTBOUND_STEP_KINDS = [
  'TRAFFIC',
  'TIMEOUT',
  'NOTHING',
  'ASSIGN',
  'FLUSH_MESSAGE',
  'EXPIRE_MESSAGE',
  'INFRA_RTT',
  'CHECK_AUTOTRUST',
  'CHECK_TEMPFILE',
  'ERROR',
] as const;
export type TestboundStepKind = (typeof TESTBOUND_STEP_KINDS)[number];

interface StepBase {
  id: number;
  line: number;
  /** Words after the step kind on the STEP line (e.g. testbound's `ADDRESS ip`). */
  args: string[];
}

export type Step =
  | (StepBase & { kind: 'QUERY'; entry: Entry })
  | (StepBase & { kind: 'CHECK_ANSWER'; entry: Entry })
  | (StepBase & { kind: 'REPLY'; entry: Entry })
  | (StepBase & { kind: 'CHECK_OUT_QUERY'; entry: Entry })
  /** `ELAPSE n` seconds; undefined when the step uses another form (testbound `EVAL`). */
  | (StepBase & { kind: 'TIME_PASSES'; elapse: number | undefined })
  | (StepBase & { kind: 'testbound'; name: TestboundStepKind; entry?: Entry; block?: string[] });

export type StepKind = Step['kind'];

export interface Scenario {
  /** The path given to the parser (used in messages). */
  file: string;
  /** Text after SCENARIO_BEGIN. */
  description: string;
  config: ScenarioConfig;
  ranges: Range[];
  /** In file order (ids increase). */
  steps: Step[];
  /** Records the codec rejected and the parser read only after a documented rewrite (lenient.ts). */
  warnings: string[];
}
