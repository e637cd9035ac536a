/** Messages built from entries: client queries (STEP QUERY) and canned answers (RANGE / STEP REPLY). */
import { encodeMessage, type Message, newMessage } from '../../src/wire/index.js';
import type { Entry, Flavour } from './types.js';

/** Payload size of the OPT record the runner sends and mirrors (Deckard's). */
export const EDNS_PAYLOAD = 4096;

export function hasAdjust(entry: Entry, name: Entry['adjust'][number]['name']): boolean {
  return entry.adjust.some((a) => a.name === name);
}

/** The header, question and sections an entry describes (no EDNS). */
export function entryMessage(entry: Entry): Message {
  const f = entry.reply.flags;
  return newMessage({
    qr: f.has('QR'),
    opcode: entry.reply.opcode,
    aa: f.has('AA'),
    tc: f.has('TC'),
    rd: f.has('RD'),
    ra: f.has('RA'),
    ad: f.has('AD'),
    cd: f.has('CD'),
    rcode: entry.reply.rcode,
    questions: entry.question.map((q) => ({ ...q })),
    answers: [...entry.answer],
    authorities: [...entry.authority],
    additionals: [...entry.additional],
  });
}

/**
 * A client query from a STEP QUERY entry: flags as given, Deckard always adds EDNS0
 * (payload 4096, DO from the entry); testbound only when the entry has DO.
 */
export function clientQuery(entry: Entry, flavour: Flavour, id: number): Message {
  const m = entryMessage(entry);
  m.id = id;
  if (flavour === 'deckard' || entry.reply.do)
    m.edns = { udpSize: EDNS_PAYLOAD, version: 0, dnssecOk: entry.reply.do, zFlags: 0, options: [] };
  return m;
}

/**
 * The answer to `query` from a canned entry: RAW bytes (with `raw_id`), or the entry's
 * message with `copy_query` (question from the query), `copy_id` (ID, and the query
 * name's letter case — 0x20 — into the question), and EDNS mirrored from the query
 * (an OPT iff the query had one, with its DO bit). Never truncated to the query's size.
 */
export function answerFor(entry: Entry, query: Message, queryWire: Uint8Array): Uint8Array {
  if (entry.raw !== undefined) {
    const out = entry.raw.slice();
    if (hasAdjust(entry, 'raw_id') && out.length >= 2) {
      out[0] = queryWire[0];
      out[1] = queryWire[1];
    }
    return out;
  }
  const m = entryMessage(entry);
  if (hasAdjust(entry, 'copy_query')) m.questions = query.questions.map((q) => ({ ...q }));
  if (hasAdjust(entry, 'copy_id')) {
    m.id = query.id;
    if (m.questions.length > 0 && query.questions.length > 0)
      m.questions[0] = { ...m.questions[0], name: query.questions[0].name };
  }
  if (query.edns !== undefined || m.rcode > 0xf)
    m.edns = { udpSize: EDNS_PAYLOAD, version: 0, dnssecOk: query.edns?.dnssecOk ?? false, zFlags: 0, options: [] };
  return encodeMessage(m);
}
