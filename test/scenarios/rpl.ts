/**
 * Parser for resolver scenario files (.rpl) in both flavours: Deckard and Unbound's
 * testbound. Records are parsed with the project codec (`parseRRTokens`, default TTL
 * 3600, class IN, relative names completed with the root as Deckard does). Every error
 * names file:line.
 */
import { readFileSync } from 'node:fs';
import { classFromText, Name, Opcode, type Question, Rcode, type RR, typeFromText } from '../../src/wire/index.js';
import { parseConfig } from './config.js';
import { parseRecordText } from './lenient.js';
import { hexBytes, type Line, LineCursor, parenDepth, RplError, stripComment, words } from './lines.js';
import {
  ADJUST_NAMES,
  type AdjustElement,
  type AdjustName,
  type Entry,
  type Flavour,
  HEADER_FLAGS,
  type HeaderFlag,
  MATCH_NAMES,
  type MatchElement,
  type MatchName,
  type Range,
  type ReplySpec,
  type Scenario,
  type Step,
  TESTBOUND_STEP_KINDS,
  type TestboundStepKind,
} from './types.js';

export { RplError } from './lines.js';

/** Reads and parses one .rpl file. */
export function parseRplFile(path: string): Scenario {
  return parseRpl(readFileSync(path, 'latin1'), path);
}

/** Parses the text of a .rpl file; `file` is used in error messages and kept on the Scenario. */
export function parseRpl(text: string, file: string): Scenario {
  const raw = text.split(/\r?\n/);
  const configEnd = raw.findIndex((l) => stripComment(l, false).trim() === 'CONFIG_END');
  if (configEnd < 0) throw new RplError(file, raw.length, 'no CONFIG_END line');
  const warnings: string[] = [];
  const config = parseConfig(raw.slice(0, configEnd), file, warnings);
  const cur = new LineCursor(file, raw, configEnd + 1);
  const begin = cur.expect('SCENARIO_BEGIN');
  const [kw, ...desc] = words(begin.text);
  if (kw !== 'SCENARIO_BEGIN') throw cur.error(begin.no, `expected SCENARIO_BEGIN, got "${begin.text}"`);
  const p = new BodyParser(cur, config.flavour, warnings);
  const scenario: Scenario = { file, description: desc.join(' '), config, ranges: [], steps: [], warnings };
  for (;;) {
    const l = cur.expect('SCENARIO_END');
    const w = words(l.text);
    if (w[0] === 'SCENARIO_END') break;
    if (w[0] === 'RANGE_BEGIN') scenario.ranges.push(p.range(l, w));
    else if (w[0] === 'STEP') {
      const step = p.step(l, w);
      const prev = scenario.steps.at(-1);
      if (prev !== undefined && step.id < prev.id)
        throw cur.error(l.no, `STEP ${step.id} comes after STEP ${prev.id} (ids must increase)`);
      scenario.steps.push(step);
    } else throw cur.error(l.no, `unexpected "${w[0]}" in the scenario body`);
  }
  return scenario;
}

type SectionName = 'question' | 'answer' | 'authority' | 'additional';
const SECTIONS: Record<string, SectionName> = {
  QUESTION: 'question',
  ANSWER: 'answer',
  AUTHORITY: 'authority',
  ADDITIONAL: 'additional',
  // RFC 2136 names of the same four sections (UPDATE messages).
  ZONE: 'question',
  PREREQ: 'answer',
  UPDATE: 'authority',
};

/** Keywords that cannot appear inside an ENTRY: seeing one means ENTRY_END is missing. */
const STRUCTURE = new Set(['ENTRY_BEGIN', 'RANGE_BEGIN', 'RANGE_END', 'STEP', 'SCENARIO_END', 'SCENARIO_BEGIN']);
const ENTRY_STEPS = new Set(['QUERY', 'CHECK_ANSWER', 'REPLY', 'CHECK_OUT_QUERY']);
const RCODE_ALIASES: Record<string, number> = { NOTIMPL: Rcode.NOTIMP, YXRRSET: Rcode.YXRRSET };

class BodyParser {
  readonly cur: LineCursor;
  readonly flavour: Flavour;
  readonly warnings: string[];

  constructor(cur: LineCursor, flavour: Flavour, warnings: string[]) {
    this.cur = cur;
    this.flavour = flavour;
    this.warnings = warnings;
  }

  range(l: Line, w: string[]): Range {
    const from = this.int(l, w[1], 'RANGE_BEGIN start step');
    const to = this.int(l, w[2], 'RANGE_BEGIN end step');
    if (to < from) throw this.cur.error(l.no, `RANGE_BEGIN ${from} ${to}: end before start`);
    const range: Range = { line: l.no, from, to, addresses: [], entries: [] };
    // Addresses may follow on the RANGE_BEGIN line itself, with or without ADDRESS.
    for (let i = 3; i < w.length; i++) {
      if (w[i] === 'ADDRESS') continue;
      if (!/^[0-9a-fA-F:.]+$/.test(w[i])) throw this.cur.error(l.no, `unexpected "${w[i]}" after RANGE_BEGIN`);
      range.addresses.push(w[i]);
    }
    for (;;) {
      const x = this.cur.expect('RANGE_END');
      const xw = words(x.text);
      if (xw[0] === 'RANGE_END') return range;
      if (xw[0] === 'ADDRESS') {
        if (xw.length < 2) throw this.cur.error(x.no, 'ADDRESS without an address');
        range.addresses.push(...xw.slice(1));
      } else if (xw[0] === 'ENTRY_BEGIN') range.entries.push(this.entry(x));
      else throw this.cur.error(x.no, `unexpected "${xw[0]}" in a RANGE`);
    }
  }

  step(l: Line, w: string[]): Step {
    const id = this.int(l, w[1], 'STEP id');
    const kind = w[2];
    if (kind === undefined) throw this.cur.error(l.no, 'STEP without a kind');
    const base = { id, line: l.no, args: w.slice(3) };
    if (ENTRY_STEPS.has(kind)) {
      const e = this.cur.expect('ENTRY_BEGIN');
      if (words(e.text)[0] !== 'ENTRY_BEGIN') throw this.cur.error(e.no, `STEP ${kind} must be followed by an ENTRY`);
      const entry = this.entry(e);
      return { ...base, kind: kind as 'QUERY' | 'CHECK_ANSWER' | 'REPLY' | 'CHECK_OUT_QUERY', entry };
    }
    if (kind === 'TIME_PASSES') {
      let elapse: number | undefined;
      if (base.args[0] === 'ELAPSE') {
        elapse = Number(base.args[1]);
        if (!Number.isFinite(elapse) || elapse < 0) throw this.cur.error(l.no, `bad ELAPSE "${base.args[1]}"`);
      }
      return { ...base, kind: 'TIME_PASSES', elapse };
    }
    if ((TESTBOUND_STEP_KINDS as readonly string[]).includes(kind)) {
      const step: Step = { ...base, kind: 'testbound', name: kind as TestboundStepKind };
      const next = this.cur.peek();
      const nw = next === undefined ? [] : words(next.text);
      if (nw[0] === 'ENTRY_BEGIN') step.entry = this.entry(this.cur.expect('ENTRY_BEGIN'));
      else if (nw[0] === 'FILE_BEGIN') step.block = this.block(this.cur.expect('FILE_BEGIN'), 'FILE_END');
      return step;
    }
    throw this.cur.error(l.no, `unknown STEP kind "${kind}"`);
  }

  /** Lines up to `end`, kept as written (CHECK_AUTOTRUST / CHECK_TEMPFILE contents). */
  block(start: Line, end: string): string[] {
    const out: string[] = [];
    for (;;) {
      const l = this.cur.next();
      if (l === undefined) throw this.cur.error(start.no, `no ${end}`);
      if (l.text === end) return out;
      out.push(l.text);
    }
  }

  entry(begin: Line): Entry {
    const cur = this.cur;
    let match: string[] | undefined;
    let adjust: string[] | undefined;
    const replyWords: { no: number; w: string }[] = [];
    const e: Entry = {
      line: begin.no,
      match: [],
      matchGiven: false,
      adjust: [],
      reply: { opcode: Opcode.QUERY, rcode: Rcode.NOERROR, flags: new Set(), do: false },
      question: [],
      answer: [],
      authority: [],
      additional: [],
      mandatory: false,
      unsupported: [],
    };
    let section: SectionName | undefined;
    let discard = false; // records of an EXTRA_PACKET (not reproduced)
    for (;;) {
      const l = cur.expect('ENTRY_END');
      const w = words(l.text);
      switch (w[0]) {
        case 'ENTRY_END':
          e.match = this.matchElements(match);
          e.matchGiven = match !== undefined;
          e.adjust = this.adjustElements(adjust);
          e.reply = this.reply(replyWords);
          return e;
        case 'MATCH':
          match = [...(match ?? []), ...w.slice(1).map((x) => `${l.no} ${x}`)];
          break;
        case 'ADJUST':
          adjust = [...(adjust ?? []), ...w.slice(1).map((x) => `${l.no} ${x}`)];
          break;
        case 'REPLY':
        case 'FLAGS':
          for (const x of w.slice(1)) replyWords.push({ no: l.no, w: x });
          break;
        case 'SECTION': {
          const s = SECTIONS[w[1]?.toUpperCase() ?? ''];
          if (s === undefined) throw cur.error(l.no, `unknown SECTION "${w[1] ?? ''}"`);
          section = s;
          break;
        }
        case 'RAW': {
          let hex = '';
          for (let n = cur.peek(); n !== undefined && /^[0-9a-fA-F\s]+$/.test(n.text); n = cur.peek()) {
            cur.next();
            hex += n.text;
          }
          e.raw = this.hex(l, hex);
          break;
        }
        case 'HEX_ANSWER_BEGIN':
          e.raw = this.hex(l, this.block(l, 'HEX_ANSWER_END').join(''));
          break;
        case 'HEX_EDNSDATA_BEGIN':
          e.ednsData = this.hex(l, this.block(l, 'HEX_EDNSDATA_END').join(''));
          break;
        case 'EXTRA_PACKET':
          e.unsupported.push('EXTRA_PACKET');
          discard = true;
          break;
        case 'MANDATORY':
          e.mandatory = true;
          break;
        case 'TSIG':
          if (w.length < 3) throw cur.error(l.no, 'TSIG needs a key name and a secret');
          e.tsig = { keyName: w[1], secret: w[2] };
          e.unsupported.push('TSIG');
          break;
        default: {
          if (STRUCTURE.has(w[0]))
            throw cur.error(l.no, `${w[0]} inside an ENTRY (no ENTRY_END for the ENTRY at line ${begin.no})`);
          if (section === undefined) throw cur.error(l.no, `unexpected "${w[0]}" in an ENTRY before any SECTION`);
          const text = this.joinParens(l);
          if (discard) break;
          if (section === 'question') e.question.push(this.question(l, text));
          else e[section].push(this.record(l, text));
        }
      }
    }
  }

  /** A record line, joined with the following lines while a "(" is open. */
  joinParens(l: Line): string {
    let text = l.text;
    while (parenDepth(text) > 0) {
      const n = this.cur.next();
      if (n === undefined) throw this.cur.error(l.no, 'unbalanced "("');
      text += ` ${n.text}`;
    }
    return text;
  }

  record(l: Line, text: string): RR {
    try {
      return parseRecordText(text, (w) => this.warnings.push(`${this.cur.file}:${l.no}: ${w}`));
    } catch (err) {
      throw this.cur.error(l.no, `cannot parse record "${text}": ${(err as Error).message}`, err);
    }
  }

  /** `owner [class] type` (a TTL, if present, is ignored). */
  question(l: Line, text: string): Question {
    const w = words(text);
    let type: number | undefined;
    let klass: number | undefined;
    for (const x of w.slice(1)) {
      if (/^\d+$/.test(x) && type === undefined && klass === undefined) continue;
      const c = klass === undefined && type === undefined ? classFromText(x) : undefined;
      if (c !== undefined) klass = c;
      else if (type === undefined && typeFromText(x) !== undefined) type = typeFromText(x);
      else throw this.cur.error(l.no, `unexpected "${x}" in question "${text}"`);
    }
    if (type === undefined) throw this.cur.error(l.no, `question without a type: "${text}"`);
    try {
      return { name: Name.fromText(w[0], Name.ROOT), type, class: klass ?? 1 };
    } catch (err) {
      throw this.cur.error(l.no, `bad name in question "${text}": ${(err as Error).message}`, err);
    }
  }

  matchElements(given: string[] | undefined): MatchElement[] {
    // Deckard's default is opcode qtype qname; testbound's is to match anything.
    if (given === undefined)
      return this.flavour === 'deckard' ? [{ name: 'opcode' }, { name: 'qtype' }, { name: 'qname' }] : [];
    return given.map((x) => {
      const [no, word] = x.split(' ');
      const [key, val] = word.split('=');
      const name = lookup(MATCH_NAMES, key);
      if (name === undefined) throw this.cur.error(Number(no), `unknown MATCH element "${word}"`);
      if (name === 'ede') {
        if (val === 'any') return { name, value: 'any' };
        if (val !== undefined && /^\d+$/.test(val)) return { name, value: Number(val) };
        throw this.cur.error(Number(no), `MATCH ede needs =N or =any, got "${word}"`);
      }
      if (name === 'serial') {
        if (val === undefined || !/^\d+$/.test(val)) throw this.cur.error(Number(no), `MATCH serial needs =N`);
        return { name, value: Number(val) };
      }
      if (val !== undefined) throw this.cur.error(Number(no), `MATCH ${key} takes no value`);
      return { name: name as MatchName };
    });
  }

  adjustElements(given: string[] | undefined): AdjustElement[] {
    if (given === undefined) return this.flavour === 'deckard' ? [{ name: 'copy_id' }] : [];
    return given.map((x) => {
      const [no, word] = x.split(' ');
      const [key, val] = word.split('=');
      const name = lookup(ADJUST_NAMES, key) as AdjustName | undefined;
      if (name === undefined) throw this.cur.error(Number(no), `unknown ADJUST element "${word}"`);
      if (name === 'sleep' || name === 'packet_sleep') {
        if (val === undefined || !/^\d+$/.test(val)) throw this.cur.error(Number(no), `ADJUST ${key} needs =N`);
        return { name, value: Number(val) };
      }
      if (val !== undefined) throw this.cur.error(Number(no), `ADJUST ${key} takes no value`);
      return { name };
    });
  }

  reply(ws: { no: number; w: string }[]): ReplySpec {
    const flags = new Set<HeaderFlag>();
    const r: ReplySpec = { opcode: Opcode.QUERY, rcode: Rcode.NOERROR, flags, do: false };
    for (const { no, w } of ws) {
      const u = w.toUpperCase();
      if ((HEADER_FLAGS as readonly string[]).includes(u)) flags.add(u as HeaderFlag);
      else if (u === 'DO') r.do = true;
      else if (u in Rcode) r.rcode = Rcode[u as keyof typeof Rcode];
      else if (u in RCODE_ALIASES) r.rcode = RCODE_ALIASES[u];
      else if (u in Opcode) r.opcode = Opcode[u as keyof typeof Opcode];
      else throw this.cur.error(no, `unknown REPLY word "${w}"`);
    }
    return r;
  }

  hex(l: Line, text: string): Uint8Array {
    const b = hexBytes(text);
    if (b === undefined) throw this.cur.error(l.no, 'bad hex packet');
    return b;
  }

  int(l: Line, s: string | undefined, what: string): number {
    if (s === undefined || !/^\d+$/.test(s)) throw this.cur.error(l.no, `${what}: expected a number, got "${s ?? ''}"`);
    return Number(s);
  }
}

function lookup<T extends string>(names: readonly T[], key: string): T | undefined {
  return names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
}
