/**
 * Text the scenario files contain that the project codec rejects. The parser tries the
 * codec first, unchanged; only when that fails does it apply these rewrites and retry,
 * and it records a warning on the Scenario, so the gaps stay visible (see rpl.test.ts).
 *
 * - Algorithm mnemonics in DS/DNSKEY/RRSIG (`RRSIG DNSKEY DSA 2 …`): RFC 4034 2.2, 3.2
 *   and 5.3 allow "an unsigned decimal integer or an algorithm mnemonic".
 * - Over-padded base64 (`UNUSABLE==`: 8 characters plus 2 `=`), which dnspython and
 *   ldns accept and decode as if the excess padding were absent.
 */
import { algorithmMnemonic } from '../../src/dnssec/algorithms.js';
import {
  classFromText,
  Name,
  parseRRTokens,
  parseTtl,
  type RR,
  RRType,
  type Token,
  tokenize,
  typeFromText,
} from '../../src/wire/index.js';

const EXTRA_MNEMONICS: Record<string, number> = { INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254 };

function algorithmNumber(s: string): number | undefined {
  const u = s.toUpperCase();
  if (u in EXTRA_MNEMONICS) return EXTRA_MNEMONICS[u];
  for (let n = 0; n < 256; n++) if (algorithmMnemonic(n) === u) return n;
  return undefined;
}

/** Index of the algorithm field in the RDATA tokens, and whether a base64 tail follows. */
const LAYOUT: Record<number, { alg: number; base64From?: number }> = {
  [RRType.DS]: { alg: 1 },
  [RRType.CDS]: { alg: 1 },
  [RRType.DNSKEY]: { alg: 2, base64From: 3 },
  [RRType.CDNSKEY]: { alg: 2, base64From: 3 },
  [RRType.RRSIG]: { alg: 1, base64From: 8 },
};

/** Rewritten tokens and what was changed, or undefined when nothing applies. */
export function lenientTokens(tokens: Token[]): { tokens: Token[]; changes: string[] } | undefined {
  // owner [ttl] [class] type rdata…
  let i = 1;
  let type: number | undefined;
  for (let k = 0; k < 3 && i < tokens.length; k++, i++) {
    const t = tokens[i].text;
    if (parseTtl(t) !== undefined || classFromText(t) !== undefined) continue;
    type = typeFromText(t);
    break;
  }
  const layout = type === undefined ? undefined : LAYOUT[type];
  if (layout === undefined) return undefined;
  const head = tokens.slice(0, i + 1);
  const rdata = tokens.slice(i + 1).map((t) => ({ ...t }));
  const changes: string[] = [];
  const alg = rdata[layout.alg];
  if (alg !== undefined && !/^\d+$/.test(alg.text)) {
    const n = algorithmNumber(alg.text);
    if (n !== undefined) {
      changes.push(`algorithm mnemonic ${alg.text} read as ${n}`);
      alg.text = String(n);
    }
  }
  if (layout.base64From !== undefined && rdata.length > layout.base64From) {
    const b64 = rdata
      .slice(layout.base64From)
      .map((t) => t.text)
      .join('');
    const bare = b64.replace(/=+$/, '');
    const padded = bare.length % 4 === 0 ? bare : bare + '='.repeat(4 - (bare.length % 4));
    if (padded !== b64 && bare.length % 4 !== 1) {
      changes.push(`over-padded base64 "${b64.slice(0, 20)}" read as "${padded.slice(0, 20)}"`);
      rdata.splice(layout.base64From, rdata.length - layout.base64From, { text: padded, quoted: false });
    }
  }
  return changes.length > 0 ? { tokens: [...head, ...rdata], changes } : undefined;
}

/**
 * Parses one record line (default TTL 3600, class IN, relative names under the root).
 * Codec first; on failure, the rewrites above, reporting what was changed via `warn`.
 */
export function parseRecordText(text: string, warn: (change: string) => void): RR {
  const entries = tokenize(text);
  if (entries.length !== 1) throw new Error(`expected one record, found ${entries.length}`);
  const ctx = { origin: Name.ROOT, defaultTtl: 3600, defaultClass: 1 };
  try {
    return parseRRTokens(entries[0].tokens, false, ctx);
  } catch (err) {
    const alt = lenientTokens(entries[0].tokens);
    if (alt === undefined) throw err;
    let rr: RR;
    try {
      rr = parseRRTokens(alt.tokens, false, ctx);
    } catch {
      throw err;
    }
    warn(`the codec rejects "${text.trim()}" (${(err as Error).message}); parsed after: ${alt.changes.join(', ')}`);
    return rr;
  }
}
