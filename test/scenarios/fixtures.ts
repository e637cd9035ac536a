/** Shared fixtures of the scenario-runner tests (not a test file itself). */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from '../../src/transport/upstream.js';
import { decodeMessage, encodeMessage, type Message, makeQuery, RRType } from '../../src/wire/index.js';
import { parseRpl, parseRplFile } from './rpl.js';
import type { ScenarioResolverFactory } from './runner.js';
import type { Scenario } from './types.js';

export const DATA = fileURLToPath(new URL('../../../test/data/deckard/', import.meta.url));
const rplFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.rpl'))
    .map((f) => join(dir, f));
export const ALL_FILES = [...rplFiles(DATA), ...rplFiles(join(DATA, 'unbound'))];
export const byName = (name: string): Scenario => parseRplFile(join(DATA, name));

export function target(ip: string, protocol: Target['protocol'] = 'udp'): Target {
  return { ip, port: 53, protocol, auth: 'none' };
}

export function queryBytes(name: string, type: number = RRType.A, id = 0x1234): Uint8Array {
  return encodeMessage(makeQuery(name, type, { id }));
}

export function addressOf(wire: Uint8Array): string {
  const rr = decodeMessage(wire).answers[0];
  return (rr?.data as { address?: string } | undefined)?.address ?? '';
}

/** A scenario body around the given ranges/steps, Deckard flavour unless `config` says otherwise. */
export function scenario(body: string, config = 'stub-addr: 192.0.2.1\n'): Scenario {
  return parseRpl(`${config}CONFIG_END\nSCENARIO_BEGIN hand-made\n${body}\nSCENARIO_END\n`, 'hand.rpl');
}

export function aEntry(opts: {
  match: string;
  qname: string;
  address: string;
  adjust?: string;
  reply?: string;
}): string {
  return `ENTRY_BEGIN
MATCH ${opts.match}
ADJUST ${opts.adjust ?? 'copy_id'}
REPLY ${opts.reply ?? 'QR AA NOERROR'}
SECTION QUESTION
${opts.qname} IN A
SECTION ANSWER
${opts.qname} IN A ${opts.address}
ENTRY_END`;
}

export const TINY = `; a forwarder's world: one server, two answers over time
	stub-addr: 192.0.2.1
	query-minimization: off
	val-override-date: "20200101000000"
CONFIG_END

SCENARIO_BEGIN tiny forwarding scenario
RANGE_BEGIN 0 30
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA RD RA NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. IN A 10.0.0.1
ENTRY_END
RANGE_END
RANGE_BEGIN 31 100
	ADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA RD RA NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. 300 IN A 10.0.0.2
ENTRY_END
RANGE_END

STEP 10 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
www.example.com. IN A
ENTRY_END
STEP 20 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR AA RD RA NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. IN A 10.0.0.1
ENTRY_END
STEP 40 TIME_PASSES ELAPSE 60
STEP 50 QUERY
ENTRY_BEGIN
REPLY RD
SECTION QUESTION
www.example.com. IN A
ENTRY_END
STEP 60 CHECK_ANSWER
ENTRY_BEGIN
MATCH all
REPLY QR AA RD RA NOERROR
SECTION QUESTION
www.example.com. IN A
SECTION ANSWER
www.example.com. IN A 10.0.0.2
ENTRY_END
SCENARIO_END
`;

/** Sends the client's query to the root hint's address and returns the reply (ID restored). */
export function forwarder(mangle?: (m: Message) => void): { factory: ScenarioResolverFactory; seenAt: number[] } {
  const seenAt: number[] = [];
  const factory: ScenarioResolverFactory = ({ rootHints, upstream, now }) => {
    const glue = rootHints.find((rr) => rr.type === RRType.A);
    assert.ok(glue);
    const ip = (glue.data as { address: string }).address;
    return {
      async resolve(q: Message): Promise<Message> {
        seenAt.push(now());
        const r = await upstream.query(encodeMessage({ ...q, id: 0x1111 }), target(ip));
        const m = decodeMessage(r.wire);
        m.id = q.id;
        mangle?.(m);
        return m;
      },
    };
  };
  return { factory, seenAt };
}
