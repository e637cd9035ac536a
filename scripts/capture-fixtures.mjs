#!/usr/bin/env node
// Captures real DNS response packets for the wire tests (test/wire/packets.test.ts).
//
//   npm run build && node scripts/capture-fixtures.mjs [--out test/data/packets]
//
// Needs Debian's nsd, ldns-keygen, ldns-signzone and kdig (knot-dnsutils); without them it
// says so and exits with status 0 (status 1 under CI). It signs two small zones with many
// RR types (one with NSEC, one with NSEC3), serves them with NSD on a loopback high port,
// sends each query from a small UDP client of our own (EDNS 1232, DO, RD clear) and saves
//   <slug>.hex       the raw response, hex, 64 characters a line
//   <slug>.kdig.txt  kdig's text output for the same query (+dnssec +norec +ignore)
// The helpers (process groups, loopback-only, temp dirs) come from test/helpers/peers.ts.

import dgram from 'node:dgram';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeMessage, encodeMessage, makeQuery, RRClass, typeFromText } from '../dist/src/wire/index.js';
import { freePort, inCI, runTool, startNsd, stopAll, tempDir, which } from '../dist/test/helpers/peers.js';

const TOOLS = ['nsd', 'ldns-keygen', 'ldns-signzone', 'kdig'];
const outArg = process.argv.indexOf('--out');
const OUT = resolve(outArg >= 0 ? process.argv[outArg + 1] : 'test/data/packets');

const hex = (n, seed) => {
  let x = seed >>> 0;
  let s = '';
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += (x >>> 24).toString(16).padStart(2, '0');
  }
  return s.toUpperCase();
};
const b64 = (n, seed) => Buffer.from(hex(n, seed), 'hex').toString('base64');

const MAIN = 'sealdns.test.';
const NSEC3_ZONE = 'nsec3.sealdns.test.';

const mainZone = `$ORIGIN ${MAIN}
$TTL 3600
@       IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
        IN NS ns1
        IN NS ns2.other.test.
        IN MX 10 mail
        IN MX 20 Mail2.Other.Test.
        IN TXT "v=spf1 -all"
        IN TXT "two" "strings \\"quoted\\" \\\\ \\010 \\255 ;semi (paren)"
        IN CAA 0 issue "letsencrypt.org"
        IN CAA 128 tbs "Unknown"
        IN HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1
        IN NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:info@sealdns.test!" _sip._udp
        IN RP admin.sealdns.test. info
        IN SSHFP 4 2 ${hex(32, 1)}
        IN CSYNC 2024010101 3 A NS AAAA
ns1     IN A 192.0.2.53
        IN AAAA 2001:db8::53
mail    IN A 192.0.2.25
info    IN TXT "contact: hostmaster@sealdns.test"
www     IN CNAME host
host    IN A 192.0.2.80
        IN A 192.0.2.81
        IN AAAA 2001:db8::80
        IN HINFO "INTEL-386" "Linux"
_sip._udp IN SRV 10 60 5060 host
_443._tcp.host IN TLSA 3 1 1 ${hex(32, 2)}
_dns    IN SVCB 1 host alpn=dot port=853 ipv4hint=192.0.2.80 key667="hello\\210qoo"
old     IN DNAME new.sealdns.test.
*.wild  IN TXT "wildcard"
child   IN NS ns.child
        IN DS 12345 13 2 ${hex(32, 3)}
ns.child IN A 192.0.2.99
afs     IN AFSDB 1 host
kx      IN KX 10 host
ptr     IN PTR host
big     IN TXT ${Array.from({ length: 6 }, (_, i) => `"${String.fromCharCode(0x61 + i).repeat(255)}"`).join(' ')}
${hex(28, 4).toLowerCase()}._openpgpkey IN OPENPGPKEY ${b64(96, 5)}
${hex(28, 6).toLowerCase()}._smimecert IN SMIMEA 3 0 1 ${hex(32, 7)}
`;

const nsec3Zone = `$ORIGIN ${NSEC3_ZONE}
$TTL 600
@       IN SOA ns1.sealdns.test. hostmaster.sealdns.test. 7 7200 3600 1209600 300
        IN NS ns1.sealdns.test.
a       IN A 192.0.2.1
b       IN AAAA 2001:db8::b
`;

/** name, type, class (default IN): one fixture each. */
const QUERIES = [
  [MAIN, 'SOA'],
  [MAIN, 'NS'],
  [MAIN, 'MX'],
  [MAIN, 'TXT'],
  [MAIN, 'CAA'],
  [MAIN, 'HTTPS'],
  [MAIN, 'NAPTR'],
  [MAIN, 'RP'],
  [MAIN, 'SSHFP'],
  [MAIN, 'CSYNC'],
  [MAIN, 'DNSKEY'],
  [`ns1.${MAIN}`, 'A'],
  [`ns1.${MAIN}`, 'AAAA'],
  [`www.${MAIN}`, 'A'],
  [`host.${MAIN}`, 'HINFO'],
  [`host.${MAIN}`, 'ANY'],
  [`host.${MAIN}`, 'MX'],
  [`_sip._udp.${MAIN}`, 'SRV'],
  [`_443._tcp.host.${MAIN}`, 'TLSA'],
  [`_dns.${MAIN}`, 'SVCB'],
  [`x.old.${MAIN}`, 'A'],
  [`any.wild.${MAIN}`, 'TXT'],
  [`www.child.${MAIN}`, 'A'],
  [`child.${MAIN}`, 'DS'],
  [`nonexistent.${MAIN}`, 'A'],
  [`big.${MAIN}`, 'TXT'],
  [`afs.${MAIN}`, 'AFSDB'],
  [`kx.${MAIN}`, 'KX'],
  [`ptr.${MAIN}`, 'PTR'],
  [`${hex(28, 4).toLowerCase()}._openpgpkey.${MAIN}`, 'OPENPGPKEY'],
  [`${hex(28, 6).toLowerCase()}._smimecert.${MAIN}`, 'SMIMEA'],
  [NSEC3_ZONE, 'NSEC3PARAM'],
  [NSEC3_ZONE, 'DNSKEY'],
  [`missing.${NSEC3_ZONE}`, 'A'],
  [`a.${NSEC3_ZONE}`, 'TXT'],
  ['version.server.', 'TXT', 'CH'],
];

function slug(name, type, klass) {
  // hashed owner labels (OPENPGPKEY, SMIMEA) are shortened to "hash"
  const n = name.slice(0, -1).replace(/^[0-9a-f]{40,}\./, 'hash.');
  return `${n}-${type}${klass ? `-${klass}` : ''}`.toLowerCase();
}

async function must(bin, args, opts) {
  const r = await runTool(bin, args, { timeoutMs: 60_000, ...opts });
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

/** Signs `zone` in `dir`: KSK and ZSK (ECDSA P-256), NSEC or NSEC3. Returns the signed file name. */
async function sign(dir, origin, text, nsec3) {
  const file = join(dir, `${origin}zone`);
  writeFileSync(file, text);
  const ksk = (await must('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', origin], { cwd: dir })).stdout.trim();
  const zsk = (await must('ldns-keygen', ['-a', 'ECDSAP256SHA256', origin], { cwd: dir })).stdout.trim();
  const args = ['-e', '20360101000000', '-i', '20240101000000', '-o', origin];
  if (nsec3) args.push('-n', '-a', '1', '-t', '0', '-s', 'aabbccdd');
  await must('ldns-signzone', [...args, file, ksk, zsk], { cwd: dir });
  return `${file}.signed`;
}

function query(port, name, type, klass, id) {
  const m = makeQuery(name, typeFromText(type), { id, dnssecOk: true, udpSize: 1232 });
  m.questions[0].class = RRClass[klass ?? 'IN'];
  const wire = encodeMessage(m);
  return new Promise((ok, fail) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      fail(new Error(`no answer to ${name} ${type}`));
    }, 5000);
    sock.on('message', (msg) => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      ok(new Uint8Array(msg));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    sock.send(wire, port, '127.0.0.1');
  });
}

async function main() {
  const missing = TOOLS.filter((t) => which(t) === undefined);
  if (missing.length > 0) {
    console.error(`capture-fixtures: not installed: ${missing.join(', ')} (Debian: nsd, ldnsutils, knot-dnsutils)`);
    process.exit(inCI() ? 1 : 0);
  }
  const dir = tempDir('sealdns-fixtures-');
  try {
    const mainSigned = await sign(dir, MAIN, mainZone, false);
    const nsec3Signed = await sign(dir, NSEC3_ZONE, nsec3Zone, true);
    const port = await freePort();
    const nsd = await startNsd({
      port,
      zones: [
        { name: MAIN, file: mainSigned },
        { name: NSEC3_ZONE, file: nsec3Signed },
      ],
    });
    mkdirSync(OUT, { recursive: true });
    for (const f of readdirSync(OUT)) if (f.endsWith('.hex') || f.endsWith('.kdig.txt')) rmSync(join(OUT, f));
    let id = 0x5000;
    for (const [name, type, klass] of QUERIES) {
      const s = slug(name, type, klass);
      const wire = await query(port, name, type, klass, id++);
      decodeMessage(wire); // fail early on anything our codec cannot read
      const lines =
        Buffer.from(wire)
          .toString('hex')
          .match(/.{1,64}/g) ?? [];
      writeFileSync(join(OUT, `${s}.hex`), `${lines.join('\n')}\n`);
      const kdigArgs = [`@127.0.0.1`, '-p', String(port), '+dnssec', '+norec', '+bufsize=1232', '+ignore', '+noidn'];
      if (klass) kdigArgs.push('-c', klass);
      const k = await must('kdig', [...kdigArgs, '-t', type, name]);
      writeFileSync(join(OUT, `${s}.kdig.txt`), k.stdout);
      console.log(`${s}: ${wire.length} octets`);
    }
    await nsd.stop();
    writeFileSync(
      join(OUT, 'zones.txt'),
      `; The zones the fixtures were captured from (before signing), by scripts/capture-fixtures.mjs.\n\n${mainZone}\n${nsec3Zone}`,
    );
    console.log(`wrote ${QUERIES.length} fixtures to ${OUT}`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
