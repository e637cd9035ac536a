// Interop: the same zone files served by NSD and by our answer(); for each query the rcode,
// the AA bit and the three sections (ignoring order within a section) must agree. The zones
// are also signed with ldns-signzone (NSEC and NSEC3) and queried with DO, which checks the
// choice of RRSIGs and denial proofs against NSD's.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { answer } from '../../src/authority/answer.js';
import { Zone } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  rcodeToText,
  rrToText,
  typeFromText,
} from '../../src/wire/index.js';
import {
  describeRun,
  freePort,
  type PeerHandle,
  runTool,
  startNsd,
  stopAll,
  tempDir,
  toolSkip,
} from '../helpers/peers.js';

after(stopAll);

const EXAMPLE = `$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
@ NS ns2.example.net.
@ MX 10 mail
@ MX 20 mail.example.net.
ns1 A 192.0.2.1
ns1 AAAA 2001:db8::1
mail A 192.0.2.25
www A 192.0.2.80
alias CNAME www
chain1 CNAME chain2
chain2 CNAME www
dangling CNAME nothere
out CNAME www.example.net.
tochild CNAME www.child
todeleg CNAME host.deleg
loop1 CNAME loop2
loop2 CNAME loop1
_sip._tcp SRV 0 5 5060 sip
sip AAAA 2001:db8::5
*.wild TXT "wild"
*.wild MX 10 mail
*.cwild CNAME www
a.b.c TXT "deep"
*.c A 192.0.2.99
dn DNAME example.org.
long DNAME ${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.
deleg NS ns.deleg
deleg NS ns.other.net.
ns.deleg A 192.0.2.53
ns.deleg AAAA 2001:db8::53
child NS ns.child
ns.child A 192.0.2.54
child DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
`;
const CHILD = `$TTL 600
@ SOA ns host 1 2 3 4 60
@ NS ns
ns A 192.0.2.54
www A 192.0.2.81
`;
const ORG = `$TTL 900
@ SOA ns.example. host 1 2 3 4 900
@ NS ns.example.
www A 192.0.2.90
`;

const QUERIES: [string, string][] = [
  ['www.example.', 'A'],
  ['WwW.ExAmPlE.', 'A'],
  ['example.', 'NS'],
  ['example.', 'SOA'],
  ['example.', 'MX'],
  ['_sip._tcp.example.', 'SRV'],
  ['www.example.', 'TXT'],
  ['nothere.example.', 'A'],
  ['x.www.example.', 'A'],
  ['b.c.example.', 'A'],
  ['c.example.', 'TXT'],
  ['x.c.example.', 'A'],
  ['y.b.c.example.', 'A'],
  ['alias.example.', 'A'],
  ['alias.example.', 'CNAME'],
  ['alias.example.', 'TXT'],
  ['chain1.example.', 'A'],
  ['dangling.example.', 'A'],
  ['out.example.', 'A'],
  ['tochild.example.', 'A'],
  ['dn.example.', 'DNAME'],
  ['dn.example.', 'A'],
  ['foo.wild.example.', 'TXT'],
  ['a.b.wild.example.', 'TXT'],
  ['foo.wild.example.', 'MX'],
  ['foo.wild.example.', 'A'],
  ['*.wild.example.', 'TXT'],
  ['z.cwild.example.', 'A'],
  ['deleg.example.', 'A'],
  ['host.deleg.example.', 'A'],
  ['ns.deleg.example.', 'A'],
  ['deleg.example.', 'NS'],
  ['deleg.example.', 'DS'],
  ['www.child.example.', 'A'],
  ['child.example.', 'NS'],
  ['child.example.', 'SOA'],
  ['child.example.', 'DS'],
  ['nothere.child.example.', 'A'],
  ['www.example.org.', 'A'],
  ['www.example.com.', 'A'],
  ['todeleg.example.', 'A'],
  ['loop1.example.', 'A'],
  ['ns.child.example.', 'A'],
  ['a.b.c.example.', 'TXT'],
  ['example.', 'DS'],
  ['ns1.example.', 'ANY'],
  ['x.wild.example.', 'ANY'],
  ['nothere.example.', 'RRSIG'],
  ['www.example.', 'RRSIG'],
];

/** DNAME answers: compared only where both servers synthesise (see the note in the test). */
const DNAME_QUERIES: [string, string][] = [
  ['www.dn.example.', 'A'],
  ['a.b.dn.example.', 'A'],
  [`${'q'.repeat(60)}.${'r'.repeat(60)}.long.example.`, 'A'],
];

function tcpQuery(port: number, query: Message, timeoutMs = 5000): Promise<Message> {
  const wire = encodeMessage(query);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('query timed out'));
    }, timeoutMs);
    const done = (err: Error | undefined, m?: Message) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(m!);
    };
    sock.on('error', (e) => done(e));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(wire.length);
      sock.write(Buffer.concat([len, wire]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        try {
          done(undefined, decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0)))));
        } catch (e) {
          done(e as Error);
        }
      }
    });
    sock.on('end', () => done(new Error('connection closed before a response')));
  });
}

/** What is compared: rcode, AA, and each section as sorted presentation lines. */
function summary(m: Message): string {
  const sec = (title: string, rrs: Message['answers']) => [`;; ${title}`, ...rrs.map(rrToText).sort()];
  return [
    `rcode=${rcodeToText(m.rcode)} aa=${m.aa} do=${m.edns?.dnssecOk ?? '-'}`,
    ...sec('answer', m.answers),
    ...sec('authority', m.authorities),
    ...sec('additional', m.additionals),
  ].join('\n');
}

function load(dir: string, file: string, origin: string): Zone {
  return Zone.fromParsed(parseZoneFile(readFileSync(join(dir, file), 'latin1'), { origin, file }));
}

interface Served {
  nsd: PeerHandle;
  zones: ZoneSet;
}

async function serve(dir: string, files: { origin: string; file: string }[]): Promise<Served> {
  const port = await freePort();
  const nsd = await startNsd({
    port,
    zones: files.map((f) => ({ name: f.origin, file: join(dir, f.file) })),
    // NSD's default (minimal-responses: no) matches answer() with authorityNs.
    startTimeoutMs: 20_000,
  });
  const zones = new ZoneSet(files.map((f) => load(dir, f.file, f.origin)));
  return { nsd, zones };
}

async function compare(s: Served, name: string, type: string, dnssecOk: boolean): Promise<void> {
  const qtype = typeFromText(type)!;
  const q = makeQuery(Name.fromText(name), qtype, { id: 1234, dnssecOk, udpSize: 4096 });
  const theirs = await tcpQuery(s.nsd.port, q);
  const ours = answer(s.zones, q, { authorityNs: true });
  // NSD's name compression points into the question, so a mixed-case query name shows up in
  // other owners too: compare such answers case-insensitively.
  const fold = (t: string) => (name === name.toLowerCase() ? t : t.toLowerCase());
  assert.equal(fold(summary(ours)), fold(summary(theirs)), `${name} ${type}${dnssecOk ? ' +dnssec' : ''}`);
}

const skipNsd = toolSkip('nsd');
const skipSigned = skipNsd || toolSkip('ldns-keygen', 'ldns-signzone');

describe('authority answers agree with NSD', { skip: skipNsd, timeout: 120_000 }, () => {
  const dir = tempDir('sealdns-authority-nsd-');
  after(() => rmSync(dir, { recursive: true, force: true }));
  let s: Served;
  before(async () => {
    writeFileSync(join(dir, 'example.zone'), EXAMPLE);
    writeFileSync(join(dir, 'child.zone'), CHILD);
    writeFileSync(join(dir, 'org.zone'), ORG);
    s = await serve(dir, [
      { origin: 'example.', file: 'example.zone' },
      { origin: 'child.example.', file: 'child.zone' },
      { origin: 'example.org.', file: 'org.zone' },
    ]);
  });
  after(() => s?.nsd.stop());

  for (const [name, type] of QUERIES) {
    it(`${name} ${type}`, () => compare(s, name, type, false));
  }
  for (const [name, type] of DNAME_QUERIES) {
    it(`${name} ${type} (DNAME)`, () => compare(s, name, type, false));
  }
});

async function signZone(dir: string, file: string, origin: string, nsec3: boolean): Promise<string> {
  const kg = ['-a', 'ECDSAP256SHA256', '-k', origin];
  const k = await runTool('ldns-keygen', kg, { cwd: dir, timeoutMs: 20_000 });
  assert.equal(k.code, 0, describeRun('ldns-keygen', kg, k));
  const key = k.stdout.trim();
  const out = `${file}.${nsec3 ? 'nsec3' : 'nsec'}.signed`;
  const args = [
    ...(nsec3 ? ['-n', '-a', '1', '-t', '1', '-s', 'beef'] : []),
    '-e',
    '20990101000000',
    '-i',
    '20200101000000',
    '-o',
    origin,
    '-f',
    out,
    file,
    key,
  ];
  const r = await runTool('ldns-signzone', args, { cwd: dir, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun('ldns-signzone', args, r));
  return out;
}

for (const nsec3 of [false, true]) {
  const kind = nsec3 ? 'NSEC3' : 'NSEC';
  describe(`signed (${kind}) answers agree with NSD`, { skip: skipSigned, timeout: 120_000 }, () => {
    const dir = tempDir(`sealdns-authority-nsd-${kind.toLowerCase()}-`);
    after(() => rmSync(dir, { recursive: true, force: true }));
    let s: Served;
    before(async () => {
      writeFileSync(join(dir, 'example.zone'), EXAMPLE);
      writeFileSync(join(dir, 'child.zone'), CHILD);
      const ex = await signZone(dir, 'example.zone', 'example.', nsec3);
      const ch = await signZone(dir, 'child.zone', 'child.example.', nsec3);
      s = await serve(dir, [
        { origin: 'example.', file: ex },
        { origin: 'child.example.', file: ch },
      ]);
      assert.equal(s.zones.get(Name.fromText('example.'))!.denial, nsec3 ? 'nsec3' : 'nsec');
    });
    after(() => s?.nsd.stop());

    for (const [name, type] of QUERIES) {
      if (name.endsWith('example.org.')) continue;
      it(`${name} ${type} +dnssec`, () => compare(s, name, type, true));
    }
    it('RRSIG and DNSKEY queries', async () => {
      await compare(s, 'example.', 'DNSKEY', true);
      await compare(s, 'www.example.', 'RRSIG', true);
      await compare(s, 'example.', 'NSEC3PARAM', true);
    });
    it('the same answers without DO', async () => {
      for (const [name, type] of QUERIES.slice(0, 12)) await compare(s, name, type, false);
    });
  });
}
