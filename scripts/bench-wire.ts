// Wire codec benchmark: decode and encode throughput (messages/s) of sealdns's codec and of
// dns-packet on the same three messages, in the same process.
//
//   npm run bench:wire                 # build, then run with the defaults
//   node dist/scripts/bench-wire.js --rounds 9 --round-ms 300 --check
//
// Each measurement warms up first, then runs several timed rounds and reports the median.
// --check exits with status 1 when a target is missed (decode >= 2x, encode >= 1.5x dns-packet).

import { decodeMessage, encodeMessage, type Message, Name, newMessage, parseRR, type RR } from '../src/wire/index.js';
import { dnsPacket, toDnsPacket } from '../test/helpers/dns-packet-compat.js';

const DECODE_TARGET = 2;
const ENCODE_TARGET = 1.5;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROUNDS = arg('rounds', 7);
const ROUND_MS = arg('round-ms', 200);
const WARMUP_MS = arg('warmup-ms', 300);
const CHECK = process.argv.includes('--check');

// ---- deterministic filler for keys and signatures ------------------------------------------------
let seed = 0x5eed;
function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = seed >>> 24;
  }
  return out;
}
const b64 = (n: number) => Buffer.from(bytes(n)).toString('base64');
const hex = (n: number) => Buffer.from(bytes(n)).toString('hex').toUpperCase();
const rr = (text: string): RR => parseRR(text);

// ---- the three messages ----------------------------------------------------------------------------
const EXP = '20260101000000';
const INC = '20251201000000';

/** A root server's referral for example.com (like a real .com referral with DO). */
function referral(): Message {
  const letters = 'abcdefghijklm'.split('');
  const authorities: RR[] = letters.map((l) => rr(`com. 172800 IN NS ${l}.gtld-servers.net.`));
  authorities.push(rr(`com. 86400 IN DS 19718 13 2 ${hex(32)}`));
  authorities.push(rr(`com. 86400 IN RRSIG DS 8 1 86400 ${EXP} ${INC} 46780 . ${b64(256)}`));
  const additionals: RR[] = [];
  for (const [i, l] of letters.entries()) additionals.push(rr(`${l}.gtld-servers.net. 172800 IN A 192.${i + 5}.6.30`));
  for (const [i, l] of letters.entries())
    additionals.push(rr(`${l}.gtld-servers.net. 172800 IN AAAA 2001:503:${(i + 0xa8).toString(16)}::2:30`));
  return newMessage({
    id: 0x1234,
    qr: true,
    questions: [{ name: Name.fromText('example.com.'), type: 1, class: 1 }],
    authorities,
    additionals,
    edns: { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] },
  });
}

/** A validated answer with its signatures and the zone's DNSKEYs (RSA-2048 KSK, two ECDSA ZSKs). */
function signedAnswer(): Message {
  return newMessage({
    id: 0xbeef,
    qr: true,
    rd: true,
    ra: true,
    ad: true,
    questions: [{ name: Name.fromText('www.example.com.'), type: 1, class: 1 }],
    answers: [
      rr('www.example.com. 300 IN A 192.0.2.10'),
      rr('www.example.com. 300 IN A 192.0.2.11'),
      rr(`www.example.com. 300 IN RRSIG A 13 3 300 ${EXP} ${INC} 31589 example.com. ${b64(64)}`),
    ],
    authorities: [
      rr('example.com. 3600 IN NS ns1.example.com.'),
      rr('example.com. 3600 IN NS ns2.example.com.'),
      rr(`example.com. 3600 IN RRSIG NS 13 2 3600 ${EXP} ${INC} 31589 example.com. ${b64(64)}`),
    ],
    additionals: [
      rr(`example.com. 3600 IN DNSKEY 257 3 8 ${b64(260)}`),
      rr(`example.com. 3600 IN DNSKEY 256 3 13 ${b64(64)}`),
      rr(`example.com. 3600 IN DNSKEY 256 3 13 ${b64(64)}`),
      rr(`example.com. 3600 IN RRSIG DNSKEY 8 2 3600 ${EXP} ${INC} 20326 example.com. ${b64(256)}`),
      rr(`example.com. 3600 IN RRSIG DNSKEY 13 2 3600 ${EXP} ${INC} 31589 example.com. ${b64(64)}`),
      rr('ns1.example.com. 3600 IN A 192.0.2.53'),
      rr('ns2.example.com. 3600 IN AAAA 2001:db8::53'),
    ],
    edns: { udpSize: 1232, version: 0, dnssecOk: true, zFlags: 0, options: [] },
  });
}

/** The smallest common case: one A record with EDNS. */
function cacheHit(): Message {
  return newMessage({
    id: 7,
    qr: true,
    rd: true,
    ra: true,
    questions: [{ name: Name.fromText('www.example.com.'), type: 1, class: 1 }],
    answers: [rr('www.example.com. 60 IN A 93.184.215.14')],
    edns: { udpSize: 1232, version: 0, dnssecOk: false, zFlags: 0, options: [] },
  });
}

// ---- measurement -----------------------------------------------------------------------------------
let sink = 0;

function opsPerSecond(fn: () => number, ms: number): number {
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 256; i++) sink += fn();
    n += 256;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return n / (Number(elapsed) / 1e9);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Pair {
  ours: number;
  theirs: number;
  ratio: number;
}

/**
 * Measures two functions in alternating rounds (so that load from elsewhere on the
 * machine hits both alike) and reports the median throughput of each and the median of
 * the per-round ratios.
 */
function measurePair(ours: () => number, theirs: () => number): Pair {
  opsPerSecond(ours, WARMUP_MS);
  opsPerSecond(theirs, WARMUP_MS);
  const a: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const x = opsPerSecond(ours, ROUND_MS);
    const y = opsPerSecond(theirs, ROUND_MS);
    a.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { ours: median(a), theirs: median(b), ratio: median(r) };
}

interface Row {
  name: string;
  size: number;
  decode: Pair;
  encode: Pair;
}

function bench(name: string, m: Message): Row {
  const wire = encodeMessage(m);
  const wireBuf = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
  // Both decoders read the same (compressed) octets; each encoder works from its own object model.
  // biome-ignore lint/suspicious/noExplicitAny: dns-packet's typings do not cover every field used here
  const dpObj = toDnsPacket(m) as any;
  const dpDecoded = dnsPacket.decode(wireBuf);
  if (dpDecoded.answers?.length !== m.answers.length) throw new Error(`${name}: dns-packet disagrees`);
  return {
    name,
    size: wire.length,
    decode: measurePair(
      () => decodeMessage(wire).id,
      () => dnsPacket.decode(wireBuf).id ?? 0,
    ),
    encode: measurePair(
      () => encodeMessage(m).length,
      () => dnsPacket.encode(dpObj).length,
    ),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);
const times = (r: number) => `${r.toFixed(2)}x`.padStart(7);

const rows = [
  bench('root referral (.com, DO)', referral()),
  bench('signed answer + DNSKEYs', signedAnswer()),
  bench('cache hit (1 A, EDNS)', cacheHit()),
];

console.log(`wire codec benchmark — node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, median msgs/s\n`);
console.log(
  `${'message'.padEnd(26)}${'bytes'.padStart(6)} │${'decode ours'.padStart(12)}${'dns-packet'.padStart(12)}${'ratio'.padStart(8)} │${'encode ours'.padStart(12)}${'dns-packet'.padStart(12)}${'ratio'.padStart(8)}`,
);
console.log('─'.repeat(26 + 6 + 2 + 32 + 2 + 32));
let ok = true;
for (const r of rows) {
  if (r.decode.ratio < DECODE_TARGET || r.encode.ratio < ENCODE_TARGET) ok = false;
  console.log(
    `${r.name.padEnd(26)}${String(r.size).padStart(6)} │${fmt(r.decode.ours)} ${fmt(r.decode.theirs)} ${times(r.decode.ratio)} │${fmt(r.encode.ours)} ${fmt(r.encode.theirs)} ${times(r.encode.ratio)}`,
  );
}
console.log(
  `\nratio = median of per-round ratios; targets: decode >= ${DECODE_TARGET}x, encode >= ${ENCODE_TARGET}x dns-packet — ${ok ? 'met' : 'NOT met'} (sink ${sink % 10})`,
);
if (CHECK && !ok) process.exit(1);
