// Real packets: responses NSD sent for signed zones with many RR types (captured by
// scripts/capture-fixtures.mjs), each checked against kdig's text of the same query.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  classFromText,
  decodeMessage,
  encodeMessage,
  type Message,
  parseRR,
  type RR,
  rcodeToText,
  rrToText,
  typeFromText,
  typeToText,
} from '../../src/wire/index.js';
import { hex, plain } from '../helpers/wire.js';

const DIR = new URL('../../../test/data/packets/', import.meta.url);

interface KdigOutput {
  status: string;
  flags: string[];
  counts: { query: number; answer: number; authority: number; additional: number };
  edns?: { version: number; do: boolean; udpSize: number };
  question?: { name: string; class: string; type: string };
  sections: Record<'ANSWER' | 'AUTHORITY' | 'ADDITIONAL', string[]>;
}

/** Reads kdig's default output: header, flags, EDNS pseudo-section, question and record sections. */
function parseKdig(text: string): KdigOutput {
  const out: KdigOutput = {
    status: '',
    flags: [],
    counts: { query: 0, answer: 0, authority: 0, additional: 0 },
    sections: { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] },
  };
  let section: string | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^;; ->>HEADER<<- opcode: \w+; status: (\w+);/.exec(line))) out.status = m[1];
    else if ((m = /^;; Flags:([^;]*); QUERY: (\d+); ANSWER: (\d+); AUTHORITY: (\d+); ADDITIONAL: (\d+)/.exec(line))) {
      out.flags = m[1].trim().split(/\s+/).filter(Boolean);
      out.counts = { query: +m[2], answer: +m[3], authority: +m[4], additional: +m[5] };
    } else if ((m = /^;; Version: (\d+); flags:([^;]*); UDP size: (\d+) B/.exec(line))) {
      out.edns = { version: +m[1], do: m[2].includes('do'), udpSize: +m[3] };
    } else if ((m = /^;; (\w+) SECTION:/.exec(line))) {
      section = m[1];
    } else if (line.trim() === '') {
      section = undefined;
    } else if (section === 'QUESTION' && (m = /^;; (\S+)\s+(\S+)\s+(\S+)$/.exec(line))) {
      out.question = { name: m[1], class: m[2], type: m[3] };
    } else if (section && section in out.sections && !line.startsWith(';')) {
      out.sections[section as keyof KdigOutput['sections']].push(line);
    }
  }
  return out;
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('captured packets (NSD, compared with kdig)', () => {
  it('has fixtures', () => {
    assert.ok(fixtures.length >= 30, `only ${fixtures.length} fixtures in ${DIR.pathname}`);
  });

  const seenTypes = new Set<string>();

  for (const name of fixtures) {
    it(name, () => {
      const wire = hex(readFileSync(new URL(`${name}.hex`, DIR), 'utf8'));
      const kdig = parseKdig(readFileSync(new URL(`${name}.kdig.txt`, DIR), 'utf8'));
      const m: Message = decodeMessage(wire);

      // header
      assert.equal(rcodeToText(m.rcode), kdig.status);
      for (const f of ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const)
        assert.equal(m[f], kdig.flags.includes(f), f);
      assert.deepEqual(
        {
          query: m.questions.length,
          answer: m.answers.length,
          authority: m.authorities.length,
          additional: m.additionals.length + (m.edns ? 1 : 0),
        },
        kdig.counts,
      );
      assert.deepEqual(m.edns && { version: m.edns.version, do: m.edns.dnssecOk, udpSize: m.edns.udpSize }, kdig.edns);
      const q = m.questions[0];
      assert.ok(kdig.question);
      assert.ok(q.name.equals(parseRR(`${kdig.question.name} 0 ${kdig.question.class} TXT ""`).name));
      assert.equal(q.type, typeFromText(kdig.question.type));
      assert.equal(q.class, classFromText(kdig.question.class));

      // records: kdig's text parsed by us equals what we decoded from the octets
      const sections: [string, RR[], string[]][] = [
        ['answer', m.answers, kdig.sections.ANSWER],
        ['authority', m.authorities, kdig.sections.AUTHORITY],
        ['additional', m.additionals, kdig.sections.ADDITIONAL],
      ];
      for (const [title, rrs, lines] of sections) {
        assert.equal(rrs.length, lines.length, `${title} count`);
        for (let i = 0; i < rrs.length; i++) {
          const fromText = parseRR(lines[i]);
          assert.deepEqual(
            plain(rrs[i], true),
            plain(fromText, true),
            `${title} ${i}: ${lines[i]}\n  ours: ${rrToText(rrs[i])}`,
          );
          seenTypes.add(typeToText(fromText.type));
        }
      }

      // what we decoded, we re-encode to an equal message (our compression may differ from NSD's)
      const again = encodeMessage(m);
      assert.deepEqual(plain(decodeMessage(again)), plain(m));
      assert.ok(again.length <= wire.length + 16, `re-encoded ${again.length} vs ${wire.length} octets`);
    });
  }

  it('covered the record types the zone was built with', () => {
    for (const t of [
      'SOA',
      'NS',
      'A',
      'AAAA',
      'MX',
      'TXT',
      'CAA',
      'HTTPS',
      'SVCB',
      'NAPTR',
      'RP',
      'SSHFP',
      'CSYNC',
      'DNSKEY',
      'RRSIG',
      'NSEC',
      'NSEC3',
      'NSEC3PARAM',
      'CNAME',
      'DNAME',
      'HINFO',
      'SRV',
      'TLSA',
      'DS',
      'AFSDB',
      'KX',
      'PTR',
      'OPENPGPKEY',
      'SMIMEA',
    ])
      assert.ok(seenTypes.has(t), `no ${t} record in the fixtures`);
  });
});
