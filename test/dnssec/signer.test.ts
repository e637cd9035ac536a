import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exportBindPrivateKey, keyTag } from '../../src/dnssec/algorithms.js';
import { type DnssecErrorCode, isDnssecError } from '../../src/dnssec/errors.js';
import {
  type DenialOptions,
  dnskeyData,
  dnskeyRecord,
  emptyNonTerminals,
  generateSigningKey,
  makeDs,
  nsec3OwnerName,
  rrsigLabels,
  type SigningKey,
  type SignZoneOptions,
  signingKeyFromBind,
  signingKeyTag,
  signRRset,
  signZone,
  verifyRRsig,
} from '../../src/dnssec/signer.js';
import {
  canonicalRdata,
  type DnskeyData,
  Name,
  type Nsec3Data,
  type Nsec3ParamData,
  type NsecData,
  parseRR,
  type RR,
  RRType,
  type RrsigData,
  rrToText,
  toBase32Hex,
  toHex,
  typeToText,
} from '../../src/wire/index.js';
import { describeRun, runTool, tempDir, toolSkip } from '../helpers/peers.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixture: apex, hosts, a secure delegation (DS) with glue, an unsigned delegation with glue and non-authoritative
// data at the cut, a wildcard, empty non-terminals (wild, ent, deep...) and a deep name.
// ---------------------------------------------------------------------------------------------------------------

const ORIGIN = Name.fromText('example.');
const TOOL_TIMEOUT = 30_000;

const ZONE_TEXT = `$ORIGIN example.
$TTL 3600
@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
@ MX 10 mail
ns1 A 192.0.2.1
www A 192.0.2.2
www AAAA 2001:db8::2
mail A 192.0.2.3
sub NS ns.sub
sub A 192.0.2.9
ns.sub A 192.0.2.10
sec NS ns.sec
sec DS 12345 13 2 ${'ab'.repeat(32)}
ns.sec A 192.0.2.11
ns.sec AAAA 2001:db8::11
*.wild TXT "wildcard"
a.b.c.deep A 192.0.2.12
host.ent A 192.0.2.13
`;

/** Stale DNSSEC records the signer must drop and replace. */
const STALE_TEXT = `@ DNSKEY 256 3 13 ${Buffer.alloc(64, 7).toString('base64')}
www RRSIG A 13 2 3600 20300101000000 20200101000000 1 example. AAAA
www NSEC example. A RRSIG NSEC
@ NSEC3PARAM 1 0 10 abcd
`;

/** Parses zone-file text of one record per line ($ORIGIN/$TTL lines, comments and blank lines skipped). */
function parseZoneText(text: string, origin?: Name): RR[] {
  const out: RR[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('$')) continue;
    out.push(parseRR(line, { origin, defaultTtl: 3600 }));
  }
  return out;
}

const n = (text: string) => Name.fromText(text, ORIGIN);
const FIXTURE = [...parseZoneText(ZONE_TEXT, ORIGIN), ...parseZoneText(STALE_TEXT, ORIGIN)];

/** Authoritative names and delegation points in canonical order (RFC 4034 6.1), worked out by hand. */
const NSEC_ORDER = [
  'example.',
  'a.b.c.deep.example.',
  'host.ent.example.',
  'mail.example.',
  'ns1.example.',
  'sec.example.',
  'sub.example.',
  '*.wild.example.',
  'www.example.',
];
const NSEC_BITMAPS: Record<string, string> = {
  'example.': 'NS SOA MX RRSIG NSEC DNSKEY',
  'a.b.c.deep.example.': 'A RRSIG NSEC',
  'host.ent.example.': 'A RRSIG NSEC',
  'mail.example.': 'A RRSIG NSEC',
  'ns1.example.': 'A RRSIG NSEC',
  'sec.example.': 'NS DS RRSIG NSEC',
  'sub.example.': 'NS RRSIG NSEC',
  '*.wild.example.': 'TXT RRSIG NSEC',
  'www.example.': 'A AAAA RRSIG NSEC',
};
const NSEC3_BITMAPS: Record<string, string> = {
  'example.': 'NS SOA MX RRSIG DNSKEY NSEC3PARAM',
  'a.b.c.deep.example.': 'A RRSIG',
  'host.ent.example.': 'A RRSIG',
  'mail.example.': 'A RRSIG',
  'ns1.example.': 'A RRSIG',
  'sec.example.': 'NS DS RRSIG',
  'sub.example.': 'NS',
  '*.wild.example.': 'TXT RRSIG',
  'www.example.': 'A AAAA RRSIG',
  // empty non-terminals
  'wild.example.': '',
  'ent.example.': '',
  'deep.example.': '',
  'c.deep.example.': '',
  'b.c.deep.example.': '',
};
/** RRsets that must stay unsigned: delegation NS, data at a cut, glue. */
const UNSIGNED = new Set([
  'sub.example./NS',
  'sub.example./A',
  'ns.sub.example./A',
  'sec.example./NS',
  'ns.sec.example./A',
  'ns.sec.example./AAAA',
]);

const now = Math.floor(Date.now() / 1000);
const INCEPTION = now - 3600;
const EXPIRATION = now + 14 * 86400;

function opts(keys: SigningKey[], denial: DenialOptions, extra: Partial<SignZoneOptions> = {}): SignZoneOptions {
  return { origin: ORIGIN, keys, denial, inception: INCEPTION, expiration: EXPIRATION, ...extra };
}

// ---------------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------------

const lowerText = (name: Name) => name.lower().toString();
const rrsetId = (name: Name, type: number) => `${lowerText(name)}/${typeToText(type)}`;
const typesText = (types: number[]) => types.map(typeToText).join(' ');

function groupRRsets(rrs: readonly RR[]): { sets: Map<string, RR[]>; sigs: Map<string, RR[]> } {
  const sets = new Map<string, RR[]>();
  const sigs = new Map<string, RR[]>();
  for (const rr of rrs) {
    const isSig = rr.type === RRType.RRSIG;
    const id = rrsetId(rr.name, isSig ? (rr.data as RrsigData).typeCovered : rr.type);
    const m = isSig ? sigs : sets;
    m.set(id, [...(m.get(id) ?? []), rr]);
  }
  return { sets, sigs };
}

/** Verifies every RRSIG of `rrs` with the apex DNSKEYs; returns how many there were. */
function verifyAllSignatures(rrs: readonly RR[], origin: Name): number {
  const { sets, sigs } = groupRRsets(rrs);
  const dnskeys = (sets.get(rrsetId(origin, RRType.DNSKEY)) ?? []).map((rr) => rr.data as DnskeyData);
  assert.ok(dnskeys.length > 0, 'no DNSKEY at the apex');
  let count = 0;
  for (const [id, list] of sigs) {
    const rrset = sets.get(id);
    assert.ok(rrset, `RRSIG without RRset ${id}`);
    for (const sig of list) {
      const d = sig.data as RrsigData;
      const key = dnskeys.find(
        (k) => k.algorithm === d.algorithm && keyTag(canonicalRdata(RRType.DNSKEY, k)) === d.keyTag,
      );
      assert.ok(key, `no DNSKEY with tag ${d.keyTag} for ${id}`);
      assert.ok(verifyRRsig(rrset, sig, key), `RRSIG does not verify: ${rrToText(sig)}`);
      count++;
    }
  }
  return count;
}

interface Expect {
  keys: SigningKey[];
  zoneTags: number[];
  keyTags: number[];
  nsec3: boolean;
}

function checkSignedZone(out: RR[], e: Expect): void {
  // Stale input records are gone; the DNSKEY RRset is exactly the signing keys, with the SOA TTL.
  const { sets, sigs } = groupRRsets(out);
  const dnskeys = sets.get('example./DNSKEY') ?? [];
  assert.deepEqual(
    dnskeys.map((rr) => toHex(canonicalRdata(RRType.DNSKEY, rr.data))).sort(),
    e.keys.map((k) => toHex(canonicalRdata(RRType.DNSKEY, dnskeyData(k)))).sort(),
  );
  assert.ok(dnskeys.every((rr) => rr.ttl === 3600));
  assert.ok(
    out.every((rr) => rr.type !== RRType.RRSIG || (rr.data as RrsigData).keyTag !== 1 || e.zoneTags.includes(1)),
  );

  // Every RRSIG verifies, with the right fields.
  assert.ok(verifyAllSignatures(out, ORIGIN) > 0);
  for (const [id, list] of sigs) {
    const rrset = sets.get(id)!;
    for (const sig of list) {
      const d = sig.data as RrsigData;
      assert.equal(d.signerName.toString(), 'example.');
      assert.equal(d.inception, INCEPTION);
      assert.equal(d.expiration, EXPIRATION);
      assert.equal(d.originalTtl, rrset[0].ttl);
      assert.equal(sig.ttl, rrset[0].ttl);
      assert.equal(d.labels, id.startsWith('*.') ? rrset[0].name.labelCount - 1 : rrset[0].name.labelCount, id);
    }
  }

  // Who signs what: glue and delegation NS unsigned, DNSKEY by the KSKs, everything else by the ZSKs.
  for (const [id] of sets) {
    const tags = (sigs.get(id) ?? []).map((s) => (s.data as RrsigData).keyTag).sort((a, b) => a - b);
    const want = UNSIGNED.has(id) ? [] : id === 'example./DNSKEY' ? e.keyTags : e.zoneTags;
    assert.deepEqual(
      tags,
      [...want].sort((a, b) => a - b),
      `signers of ${id}`,
    );
  }

  const nsecs = out.filter((rr) => rr.type === RRType.NSEC);
  const nsec3s = out.filter((rr) => rr.type === RRType.NSEC3);
  if (!e.nsec3) {
    assert.equal(nsec3s.length, 0);
    assert.equal(out.filter((rr) => rr.type === RRType.NSEC3PARAM).length, 0);
    // One NSEC per authoritative name and delegation point, in canonical order, linked, wrapping to the apex.
    assert.deepEqual(
      nsecs.map((rr) => lowerText(rr.name)),
      NSEC_ORDER,
    );
    nsecs.forEach((rr, i) => {
      const d = rr.data as NsecData;
      assert.equal(d.next.toString(), NSEC_ORDER[(i + 1) % NSEC_ORDER.length]);
      assert.equal(typesText(d.types), NSEC_BITMAPS[lowerText(rr.name)], `bitmap of ${rr.name}`);
      assert.equal(rr.ttl, 300, 'RFC 9077: min(SOA TTL, SOA MINIMUM)');
    });
    return;
  }
  assert.equal(nsecs.length, 0);
  const params = sets.get('example./NSEC3PARAM') ?? [];
  assert.equal(params.length, 1);
  const p = params[0].data as Nsec3ParamData;
  assert.deepEqual([p.hashAlgorithm, p.flags, p.iterations, p.salt.length], [1, 0, 0, 0]);

  // Independent hash: SHA-1 of the canonical owner wire form, no salt, no extra iterations (RFC 5155 5).
  const expected = Object.keys(NSEC3_BITMAPS).map((name) => {
    const hash = createHash('sha1').update(n(name).toCanonicalBytes()).digest();
    return { name, hash: toBase32Hex(hash) };
  });
  expected.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  assert.deepEqual(
    nsec3s.map((rr) => lowerText(rr.name)),
    expected.map((x) => `${x.hash}.example.`),
    'NSEC3 owners sorted by hash',
  );
  nsec3s.forEach((rr, i) => {
    const d = rr.data as Nsec3Data;
    assert.deepEqual([d.hashAlgorithm, d.flags, d.iterations, d.salt.length], [1, 0, 0, 0]);
    assert.equal(toBase32Hex(d.nextHashed), expected[(i + 1) % expected.length].hash, 'next hashed owner');
    assert.equal(typesText(d.types), NSEC3_BITMAPS[expected[i].name], `bitmap of ${expected[i].name}`);
    assert.equal(rr.ttl, 300);
  });
}

/** Summary of a denial chain for comparisons with other signers: owner, next, bit map (TTLs vary by signer). */
function chainSummary(rrs: readonly RR[]): string[] {
  const out: string[] = [];
  for (const rr of rrs) {
    if (rr.type === RRType.NSEC) {
      const d = rr.data as NsecData;
      out.push(`${lowerText(rr.name)} NSEC ${lowerText(d.next)} ${typesText(d.types)}`);
    } else if (rr.type === RRType.NSEC3) {
      const d = rr.data as Nsec3Data;
      const head = `${d.hashAlgorithm} ${d.flags} ${d.iterations} ${toHex(d.salt)}`;
      out.push(`${lowerText(rr.name)} NSEC3 ${head} ${toBase32Hex(d.nextHashed)} ${typesText(d.types)}`);
    }
  }
  return out.sort();
}

const dnskeySummary = (rrs: readonly RR[]) =>
  rrs
    .filter((rr) => rr.type === RRType.DNSKEY)
    .map((rr) => toHex(canonicalRdata(RRType.DNSKEY, rr.data)))
    .sort();

function expectCode(code: DnssecErrorCode): (err: unknown) => boolean {
  return (err) => isDnssecError(err, code);
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function workDir(): string {
  const d = tempDir('sealdns-signer-');
  dirs.push(d);
  return d;
}

async function mustRun(bin: string, args: string[], cwd: string): Promise<string> {
  const r = await runTool(bin, args, { cwd, timeoutMs: TOOL_TIMEOUT });
  assert.equal(r.code, 0, describeRun(bin, args, r));
  return r.stdout;
}

const LDNS_VERIFY = toolSkip('ldns-verify-zone');
const BIND_VERIFY = toolSkip('dnssec-verify');

interface Case {
  label: string;
  algorithm: number;
  mode: 'ksk+zsk' | 'csk';
  denial: DenialOptions;
}
const CASES: Case[] = [];
for (const algorithm of [13, 15]) {
  for (const mode of ['ksk+zsk', 'csk'] as const) {
    for (const denial of [{ kind: 'nsec' }, { kind: 'nsec3' }] as const) {
      CASES.push({ label: `alg ${algorithm}, ${mode}, ${denial.kind}`, algorithm, mode, denial });
    }
  }
}
CASES.push({ label: 'alg 8, ksk+zsk, nsec3', algorithm: 8, mode: 'ksk+zsk', denial: { kind: 'nsec3' } });

describe('signZone', () => {
  for (const c of CASES) {
    describe(c.label, () => {
      const keys =
        c.mode === 'csk'
          ? [generateSigningKey(c.algorithm, 'csk')]
          : [generateSigningKey(c.algorithm, 'ksk'), generateSigningKey(c.algorithm, 'zsk')];
      const tags = keys.map(signingKeyTag);
      const out = signZone(FIXTURE, opts(keys, c.denial));
      let file: string | undefined;
      const zoneFile = () => {
        if (file === undefined) {
          file = join(workDir(), 'example.zone.signed');
          writeFileSync(file, `${out.map(rrToText).join('\n')}\n`);
        }
        return file;
      };

      it('signs every authoritative RRset, chains every name, leaves glue alone', { timeout: 30_000 }, () => {
        checkSignedZone(out, {
          keys,
          zoneTags: c.mode === 'csk' ? tags : [tags[1]],
          keyTags: [tags[0]],
          nsec3: c.denial.kind === 'nsec3',
        });
      });

      it('is accepted by ldns-verify-zone', { skip: LDNS_VERIFY, timeout: 60_000 }, async () => {
        const f = zoneFile();
        await mustRun('ldns-verify-zone', [f], join(f, '..'));
      });

      it('is accepted by BIND dnssec-verify', { skip: BIND_VERIFY, timeout: 60_000 }, async () => {
        const f = zoneFile();
        // BIND's tools want a non-SEP key unless told (-z) to ignore the KSK flag, which is how they handle a CSK.
        const csk = c.mode === 'csk' ? ['-z'] : [];
        await mustRun('dnssec-verify', [...csk, '-o', 'example.', f], join(f, '..'));
      });
    });
  }

  it('is deterministic and independent of input order (Ed25519 signatures are deterministic)', {
    timeout: 30_000,
  }, () => {
    const keys = [generateSigningKey(15, 'ksk'), generateSigningKey(15, 'zsk')];
    const a = signZone(FIXTURE, opts(keys, { kind: 'nsec3' })).map(rrToText);
    const b = signZone([...FIXTURE].reverse(), opts(keys, { kind: 'nsec3' })).map(rrToText);
    assert.deepEqual(a, b);
    assert.match(a[0], /\tSOA\t/, 'SOA first');
    assert.match(a[1], /\tRRSIG\tSOA /, 'then its RRSIG');
  });

  it('removes duplicate records and gives each RRset its smallest TTL', { timeout: 30_000 }, () => {
    const keys = [generateSigningKey(13, 'csk')];
    const extra = parseZoneText('www 60 A 192.0.2.2\nWWW 3600 A 192.0.2.2\nwww 300 A 192.0.2.99\n', ORIGIN);
    const out = signZone([...FIXTURE, ...extra], opts(keys, { kind: 'nsec' }));
    const a = out.filter((rr) => rr.type === RRType.A && rr.name.equals(n('www')));
    assert.deepEqual(
      a.map((rr) => [rr.ttl, rrToText(rr).split('\t')[4]]),
      [
        [60, '192.0.2.2'],
        [60, '192.0.2.99'],
      ],
    );
    assert.equal(verifyAllSignatures(out, ORIGIN) > 0, true);
  });

  it('uses nsecTtl, custom NSEC3 parameters, and the SOA TTL when it is below MINIMUM', { timeout: 30_000 }, () => {
    const keys = [generateSigningKey(13, 'csk')];
    const salt = Uint8Array.of(0xab, 0xcd);
    const out = signZone(FIXTURE, opts(keys, { kind: 'nsec3', iterations: 3, salt }, { nsecTtl: 42 }));
    const chain = out.filter((rr) => rr.type === RRType.NSEC3);
    assert.ok(chain.every((rr) => rr.ttl === 42));
    const owners = new Set(chain.map((rr) => rr.name.key));
    for (const name of Object.keys(NSEC3_BITMAPS)) {
      let h = createHash('sha1').update(n(name).toCanonicalBytes()).update(salt).digest();
      for (let i = 0; i < 3; i++) h = createHash('sha1').update(h).update(salt).digest();
      assert.ok(owners.has(n(`${toBase32Hex(h)}`).key), `hashed owner of ${name}`);
      assert.ok(owners.has(nsec3OwnerName(n(name), ORIGIN, { iterations: 3, salt }).key));
    }
    verifyAllSignatures(out, ORIGIN);

    const lowSoa = FIXTURE.map((rr) => (rr.type === RRType.SOA ? { ...rr, ttl: 120 } : rr));
    const out2 = signZone(lowSoa, opts(keys, { kind: 'nsec' }));
    assert.ok(
      out2.filter((rr) => rr.type === RRType.NSEC).every((rr) => rr.ttl === 120),
      'RFC 9077',
    );
  });

  it('does not sign or chain names below a DNAME', { timeout: 60_000 }, async () => {
    const keys = [generateSigningKey(13, 'ksk'), generateSigningKey(13, 'zsk')];
    const extra = parseZoneText('dn DNAME target.test.\nx.dn A 192.0.2.50\n', ORIGIN);
    const out = signZone([...FIXTURE, ...extra], opts(keys, { kind: 'nsec' }));
    const { sigs } = groupRRsets(out);
    assert.ok(sigs.has('dn.example./DNAME'));
    assert.ok(!sigs.has('x.dn.example./A'));
    assert.ok(out.some((rr) => rr.type === RRType.NSEC && rr.name.equals(n('dn'))));
    assert.ok(!out.some((rr) => rr.type === RRType.NSEC && rr.name.equals(n('x.dn'))));
    if (LDNS_VERIFY === false && BIND_VERIFY === false) {
      const dir = workDir();
      const file = join(dir, 'dname.signed');
      writeFileSync(file, `${out.map(rrToText).join('\n')}\n`);
      await mustRun('ldns-verify-zone', [file], dir);
      await mustRun('dnssec-verify', ['-o', 'example.', file], dir);
    }
  });

  it('signs with every algorithm of a multi-algorithm key set', { timeout: 30_000 }, () => {
    const keys = [generateSigningKey(13, 'ksk'), generateSigningKey(13, 'zsk'), generateSigningKey(15, 'csk')];
    const out = signZone(FIXTURE, opts(keys, { kind: 'nsec' }));
    const { sigs } = groupRRsets(out);
    const algs = (id: string) => (sigs.get(id) ?? []).map((s) => (s.data as RrsigData).algorithm).sort();
    assert.deepEqual(algs('www.example./A'), [13, 15]);
    assert.deepEqual(algs('example./DNSKEY'), [13, 15]);
    assert.equal(verifyAllSignatures(out, ORIGIN), [...sigs.values()].flat().length);
  });

  it('rejects unusable input', () => {
    const key = generateSigningKey(13, 'csk');
    const noSoa = FIXTURE.filter((rr) => rr.type !== RRType.SOA);
    assert.throws(() => signZone(noSoa, opts([key], { kind: 'nsec' })), expectCode('BAD_ZONE'));
    const outside = parseZoneText('www.example.org. 300 A 192.0.2.1');
    assert.throws(() => signZone([...FIXTURE, ...outside], opts([key], { kind: 'nsec' })), expectCode('BAD_ZONE'));
    const strayDs = parseZoneText(`www DS 1 13 2 ${'00'.repeat(32)}`, ORIGIN);
    assert.throws(() => signZone([...FIXTURE, ...strayDs], opts([key], { kind: 'nsec' })), expectCode('BAD_ZONE'));
    const chaos = [{ ...parseZoneText('www 300 A 192.0.2.1', ORIGIN)[0], class: 3 }];
    assert.throws(() => signZone([...FIXTURE, ...chaos], opts([key], { kind: 'nsec' })), expectCode('BAD_ZONE'));
    assert.throws(() => signZone(FIXTURE, opts([], { kind: 'nsec' })), expectCode('BAD_SIGNING_KEY'));
    const notZoneKey = { ...key, flags: 1 };
    assert.throws(() => signZone(FIXTURE, opts([notZoneKey], { kind: 'nsec' })), expectCode('BAD_SIGNING_KEY'));
    const backwards = opts([key], { kind: 'nsec' }, { inception: EXPIRATION, expiration: INCEPTION });
    assert.throws(() => signZone(FIXTURE, backwards), expectCode('BAD_SIGNER_OPTIONS'));
    const optOut = { kind: 'nsec3', optOut: true } as unknown as DenialOptions;
    assert.throws(() => signZone(FIXTURE, opts([key], optOut)), expectCode('BAD_SIGNER_OPTIONS'));
    const badIterations = { kind: 'nsec3', iterations: 70000 } as const;
    assert.throws(() => signZone(FIXTURE, opts([key], badIterations)), expectCode('BAD_SIGNER_OPTIONS'));
  });

  it('lists empty non-terminals between the apex and each name', () => {
    const names = ['example.', 'a.b.c.deep.example.', 'host.ent.example.', 'sec.example.'].map((t) => n(t));
    assert.deepEqual(emptyNonTerminals(names, ORIGIN).map(String), [
      'deep.example.',
      'c.deep.example.',
      'b.c.deep.example.',
      'ent.example.',
    ]);
  });
});

describe('signRRset / verifyRRsig', () => {
  const zsk = generateSigningKey(13, 'zsk');
  const other = generateSigningKey(13, 'zsk');
  const rrs = parseZoneText('www 300 A 192.0.2.1\nwww 300 A 192.0.2.2', ORIGIN);

  it('signs an RRset that verifies, and rejects tampering and the wrong key', () => {
    const sig = signRRset(rrs, zsk, ORIGIN, INCEPTION, EXPIRATION);
    const d = sig.data as RrsigData;
    assert.deepEqual(
      [d.typeCovered, d.algorithm, d.labels, d.originalTtl, d.keyTag],
      [1, 13, 2, 300, signingKeyTag(zsk)],
    );
    assert.ok(verifyRRsig(rrs, sig, dnskeyData(zsk)));
    assert.ok(verifyRRsig([...rrs].reverse(), sig, dnskeyData(zsk)), 'order of the RRset does not matter');
    assert.ok(
      verifyRRsig(
        rrs.map((rr) => ({ ...rr, ttl: 17 })),
        sig,
        dnskeyData(zsk),
      ),
      'original TTL is signed',
    );
    assert.ok(!verifyRRsig(rrs.slice(1), sig, dnskeyData(zsk)), 'record removed');
    assert.ok(!verifyRRsig(parseZoneText('www 300 A 192.0.2.3', ORIGIN), sig, dnskeyData(zsk)));
    assert.ok(!verifyRRsig(rrs, sig, dnskeyData(other)), 'other key');
    assert.ok(!verifyRRsig(rrs, sig, { ...dnskeyData(zsk), flags: 0 }), 'not a zone key');
    const mangled = { ...sig, data: { ...d, signature: d.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) } };
    assert.ok(!verifyRRsig(rrs, mangled, dnskeyData(zsk)));
    const otherType = rrs.map((rr) => ({ ...rr, type: RRType.AAAA }));
    assert.ok(!verifyRRsig(otherType, sig, dnskeyData(zsk)));
  });

  it('signs a wildcard with the labels field excluding "*", which verifies for an expansion', () => {
    const wild = parseZoneText('*.wild 300 TXT "w"', ORIGIN);
    assert.equal(rrsigLabels(wild[0].name), 2);
    const sig = signRRset(wild, zsk, ORIGIN, INCEPTION, EXPIRATION);
    assert.equal((sig.data as RrsigData).labels, 2);
    assert.ok(verifyRRsig(wild, sig, dnskeyData(zsk)));
    const expanded = wild.map((rr) => ({ ...rr, name: n('a.b.wild') }));
    assert.ok(verifyRRsig(expanded, { ...sig, name: n('a.b.wild') }, dnskeyData(zsk)));
    const tooFew = { ...sig, name: n('a.b.wild'), data: { ...(sig.data as RrsigData), labels: 1 } };
    assert.ok(!verifyRRsig(expanded, tooFew, dnskeyData(zsk)));
  });

  it('accepts overrides for lab zones and rejects non-RRsets', () => {
    const sig = signRRset(rrs, zsk, ORIGIN, EXPIRATION, INCEPTION, { originalTtl: 99, ttl: 5 });
    assert.deepEqual([sig.ttl, (sig.data as RrsigData).originalTtl], [5, 99]);
    assert.ok(verifyRRsig(rrs, sig, dnskeyData(zsk)), 'times are not checked');
    assert.throws(() => signRRset([], zsk, ORIGIN, INCEPTION, EXPIRATION), expectCode('BAD_RRSET'));
    const mixed = [...rrs, ...parseZoneText('mail 300 A 192.0.2.1', ORIGIN)];
    assert.throws(() => signRRset(mixed, zsk, ORIGIN, INCEPTION, EXPIRATION), expectCode('BAD_RRSET'));
    assert.throws(() => signRRset([sig], zsk, ORIGIN, INCEPTION, EXPIRATION), expectCode('BAD_RRSET'));
    assert.throws(() => signRRset(rrs, zsk, ORIGIN, -1, EXPIRATION), expectCode('BAD_SIGNER_OPTIONS'));
  });
});

describe('keys', () => {
  it('generates keys with role flags', () => {
    assert.equal(generateSigningKey(13, 'zsk').flags, 256);
    assert.equal(generateSigningKey(13, 'ksk').flags, 257);
    assert.equal(generateSigningKey(15, 'csk').flags, 257);
    const k = generateSigningKey(15, 'zsk');
    const rr = dnskeyRecord(k, ORIGIN, 3600);
    assert.equal(rrToText(rr).split('\t')[3], 'DNSKEY');
    assert.equal(keyTag(canonicalRdata(RRType.DNSKEY, rr.data)), signingKeyTag(k));
  });

  it('reads BIND private keys, with flags from the .key file, a number, or 257', () => {
    const k = generateSigningKey(13, 'zsk');
    const priv = exportBindPrivateKey(13, k.privateKey);
    const keyFile = `; This is a zone-signing key\nexample. IN DNSKEY ${rrToText(dnskeyRecord(k, ORIGIN, 0)).split('\t')[4]}\n`;
    const fromFile = signingKeyFromBind(priv, keyFile);
    assert.equal(fromFile.flags, 256);
    assert.deepEqual(fromFile.publicKey, k.publicKey);
    assert.equal(signingKeyFromBind(priv).flags, 257);
    assert.equal(signingKeyFromBind(priv, 256).flags, 256);
    const wrong = `example. IN DNSKEY ${rrToText(dnskeyRecord(generateSigningKey(13, 'zsk'), ORIGIN, 0)).split('\t')[4]}`;
    assert.throws(() => signingKeyFromBind(priv, wrong), expectCode('BAD_SIGNING_KEY'));
    assert.throws(() => signingKeyFromBind(priv, 0), expectCode('BAD_SIGNING_KEY'));
  });

  it('makes DS records (RFC 4034 5.4 example)', () => {
    const dnskey = parseRR(
      'dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw== )',
    );
    const ds = makeDs(dnskey.name, dnskey, 1);
    assert.equal(rrToText(ds), 'dskey.example.com.\t86400\tIN\tDS\t60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118');
    assert.equal(makeDs(dnskey.name, dnskey.data as DnskeyData, 2, 60).ttl, 60);
    assert.throws(() => makeDs(dnskey.name, dnskey, 3), expectCode('UNSUPPORTED_DIGEST'));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The reverse direction: zones signed by ldns-signzone and BIND's dnssec-signzone verify here, their keys load,
// their DS records match makeDs, and their denial chains equal the ones signZone builds from the same input.
// ---------------------------------------------------------------------------------------------------------------

const CLEAN_FIXTURE = parseZoneText(ZONE_TEXT, ORIGIN);

async function loadKeyPair(dir: string, base: string): Promise<{ key: SigningKey; keyText: string }> {
  const keyText = readFileSync(join(dir, `${base}.key`), 'utf8');
  const key = signingKeyFromBind(readFileSync(join(dir, `${base}.private`), 'utf8'), keyText);
  return { key, keyText };
}

function dsOf(keyText: string, digestType: number): string {
  const line = keyText.split('\n').find((l) => l.trim() !== '' && !l.startsWith(';'))!;
  const dnskey = parseRR(line.replace(/;.*$/, ''), { defaultTtl: 3600 });
  return rrToText(makeDs(dnskey.name, dnskey, digestType))
    .split('\t')[4]
    .toLowerCase();
}

describe('foreign signers', () => {
  it('ldns-signzone output verifies and matches signZone', {
    skip: toolSkip('ldns-keygen', 'ldns-signzone'),
    timeout: 120_000,
  }, async () => {
    const dir = workDir();
    const ksk = (await mustRun('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', 'example.'], dir)).trim();
    const zsk = (await mustRun('ldns-keygen', ['-a', 'ECDSAP256SHA256', 'example.'], dir)).trim();
    const k = await loadKeyPair(dir, ksk);
    const z = await loadKeyPair(dir, zsk);
    assert.deepEqual([k.key.flags, z.key.flags], [257, 256]);
    const dsFile = readFileSync(join(dir, `${ksk}.ds`), 'utf8');
    assert.equal(dsFile.trim().split(/\s+/).slice(3).join(' ').toLowerCase(), dsOf(k.keyText, 2));
    writeFileSync(join(dir, 'example.zone'), ZONE_TEXT);
    const variants: { args: string[]; denial: DenialOptions }[] = [
      { args: [], denial: { kind: 'nsec' } },
      { args: ['-n', '-t', '0'], denial: { kind: 'nsec3' } },
      {
        args: ['-n', '-t', '2', '-s', 'abcd'],
        denial: { kind: 'nsec3', iterations: 2, salt: Uint8Array.of(0xab, 0xcd) },
      },
    ];
    for (const v of variants) {
      await mustRun('ldns-signzone', [...v.args, 'example.zone', ksk, zsk], dir);
      const theirs = parseZoneText(readFileSync(join(dir, 'example.zone.signed'), 'utf8'));
      assert.ok(verifyAllSignatures(theirs, ORIGIN) > 20);
      const ours = signZone(CLEAN_FIXTURE, opts([k.key, z.key], v.denial));
      assert.deepEqual(dnskeySummary(ours), dnskeySummary(theirs));
      assert.deepEqual(chainSummary(ours), chainSummary(theirs), `chain with ${v.args.join(' ')}`);
    }
  });

  it('dnssec-signzone output verifies and matches signZone', {
    skip: toolSkip('dnssec-keygen', 'dnssec-signzone', 'dnssec-dsfromkey'),
    timeout: 120_000,
  }, async () => {
    const dir = workDir();
    const ksk = (
      await mustRun('dnssec-keygen', ['-q', '-K', dir, '-a', 'ED25519', '-f', 'KSK', 'example.'], dir)
    ).trim();
    const zsk = (await mustRun('dnssec-keygen', ['-q', '-K', dir, '-a', 'ED25519', 'example.'], dir)).trim();
    const k = await loadKeyPair(dir, ksk);
    const z = await loadKeyPair(dir, zsk);
    assert.deepEqual([k.key.flags, z.key.flags], [257, 256]);
    const ds = await mustRun('dnssec-dsfromkey', ['-2', join(dir, `${ksk}.key`)], dir);
    assert.equal(ds.trim().split(/\s+/).slice(3).join(' ').toLowerCase(), dsOf(k.keyText, 2));
    writeFileSync(join(dir, 'example.zone'), ZONE_TEXT);
    const variants: { args: string[]; denial: DenialOptions }[] = [
      { args: [], denial: { kind: 'nsec' } },
      { args: ['-3', '-', '-H', '0'], denial: { kind: 'nsec3' } },
    ];
    for (const v of variants) {
      const args = ['-q', '-K', dir, '-S', '-O', 'full', '-o', 'example.', ...v.args, '-f', 'signed', 'example.zone'];
      await mustRun('dnssec-signzone', args, dir);
      const theirs = parseZoneText(readFileSync(join(dir, 'signed'), 'utf8'));
      assert.ok(verifyAllSignatures(theirs, ORIGIN) > 20);
      const ours = signZone(CLEAN_FIXTURE, opts([k.key, z.key], v.denial));
      assert.deepEqual(dnskeySummary(ours), dnskeySummary(theirs));
      assert.deepEqual(chainSummary(ours), chainSummary(theirs), `chain with ${v.args.join(' ')}`);
    }
  });

  it('a zone signed with ldns-keygen keys by signZone passes both verifiers', {
    skip: toolSkip('ldns-keygen', 'ldns-verify-zone', 'dnssec-verify'),
    timeout: 120_000,
  }, async () => {
    const dir = workDir();
    const csk = (await mustRun('ldns-keygen', ['-a', 'ED25519', '-k', 'example.'], dir)).trim();
    const { key } = await loadKeyPair(dir, csk);
    const out = signZone(FIXTURE, opts([key], { kind: 'nsec3' }));
    const file = join(dir, 'ours.signed');
    writeFileSync(file, `${out.map(rrToText).join('\n')}\n`);
    await mustRun('ldns-verify-zone', [file], dir);
    await mustRun('dnssec-verify', ['-z', '-o', 'example.', file], dir);
  });
});
