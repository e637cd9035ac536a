// sealdns and Debian's unbound side by side on the embedded lab (its real ports, its root hints and trust anchor):
// for every LAB_EXPECTATIONS name, and for further DNSSEC cases (denials in NSEC and NSEC3 zones, wildcards,
// DNSKEY and DS queries, CNAMEs into unsigned zones), both resolvers must give the same rcode and the same AD bit
// (and the same answer data). unbound runs with `local-zone: "test." nodefault` so that it iterates the lab's TLD.
// Skipped without root (ports 53/853/443) or without unbound/dig; under CI a missing tool fails the test.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { LAB_EXPECTATIONS } from '../../src/authority/lab/topology.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { Resolver } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { makeQuery, Name, type RR, rcodeToText, rrToText, typeFromText } from '../../src/wire/index.js';
import { dataOf, lowPortSkip, parseDig } from '../helpers/lab.js';
import {
  describeRun,
  freePort,
  type PeerHandle,
  runTool,
  startUnbound,
  stopAll,
  tempDir,
  toolSkip,
} from '../helpers/peers.js';

after(stopAll);

const LOW_PORTS = await lowPortSkip();
const SKIP = LOW_PORTS || toolSkip('unbound', 'dig');

/** Beyond LAB_EXPECTATIONS: DNSSEC cases whose rcode/AD both resolvers must agree on. */
const EXTRA: [string, string][] = [
  ['nosuch.clear.test', 'A'],
  ['nosuch.clear.test', 'AAAA'],
  ['zz.wild.clear.test', 'A'],
  ['zz.wild.clear.test', 'TXT'],
  ['www.clear.test', 'DS'],
  ['clear.test', 'DNSKEY'],
  ['clear.test', 'DS'],
  ['clear.test', 'SOA'],
  ['unsigned.test', 'DS'],
  ['www.unsigned.test', 'AAAA'],
  ['nosuch.unsigned.test', 'A'],
  ['nsec3.test', 'DNSKEY'],
  ['nsec3.test', 'NSEC3PARAM'],
  ['www.nsec3.test', 'TXT'],
  ['nosuch.nsec3.test', 'TXT'],
  ['a.b.nosuch.nsec3.test', 'A'],
  ['zz.wild.nsec3.test', 'TXT'],
  ['ent.nsec3.test', 'A'],
  ['test', 'DNSKEY'],
  ['test', 'NS'],
  ['.', 'DNSKEY'],
  ['www.bogus.test', 'AAAA'],
  ['bogus.test', 'DNSKEY'],
];

/** RDATA texts without blanks (dig splits long base64 and hex fields), sorted. */
const squeezed = (data: string[]) => data.map((d) => d.replace(/\s+/g, '')).sort();

interface Outcome {
  rcode: string;
  ad: boolean;
  data: string[];
}

describe('sealdns and unbound agree on the lab', { skip: SKIP, timeout: 180_000 }, () => {
  let dir: string;
  let lab: Lab;
  let unbound: PeerHandle;
  let unboundPort: number;
  let transport: Transport;
  let sealdns: Resolver;

  before(async () => {
    dir = tempDir('sealdns-lab-vs-unbound-');
    lab = await startLab({ dir: join(dir, 'lab') });
    unboundPort = await freePort();
    unbound = await startUnbound({
      port: unboundPort,
      rootHints: lab.rootHintsFile,
      trustAnchorFile: lab.trustAnchorFile,
      localZones: [{ name: 'test.', type: 'nodefault' }],
      extraConfig: 'ede: yes',
    });
    transport = new Transport();
    sealdns = new Resolver(
      {
        upstream: transport,
        clock: systemClock,
        random: cryptoRandom,
        rootHints: parseZoneFile(lab.rootHints, { origin: '.' }).records,
        trustAnchors: parseZoneFile(lab.trustAnchor, { origin: '.' }).records,
      },
      // cleartext like unbound: this compares validation, not the transport policy (test/interop/lab.test.ts does)
      { ipv6: false, transportPolicy: false },
    );
  });

  after(async () => {
    await transport?.close();
    await unbound?.stop();
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function fromUnbound(name: string, type: string): Promise<Outcome> {
    const args = [
      '@127.0.0.1',
      '-p',
      String(unboundPort),
      '+time=5',
      '+tries=1',
      '+dnssec',
      name.endsWith('.') ? name : `${name}.`,
      type,
    ];
    const r = await runTool('dig', args, { timeoutMs: 15_000 });
    assert.equal(r.code, 0, describeRun('dig', args, r));
    const out = parseDig(r.stdout);
    return { rcode: out.status ?? 'none', ad: out.flags.includes('ad'), data: squeezed(dataOf(out.answer, type)) };
  }

  async function fromSealdns(name: string, type: string): Promise<Outcome> {
    const t = typeFromText(type);
    assert.ok(t !== undefined, type);
    const q = makeQuery(Name.fromText(name.endsWith('.') ? name : `${name}.`), t, {
      id: 7,
      rd: true,
      edns: true,
      dnssecOk: true,
    });
    const { response } = await sealdns.handle(q, { transport: 'udp' });
    const data = response.answers
      .filter((rr: RR) => rr.type === t)
      .map((rr) => rrToText(rr).split('\t').slice(4).join('\t'))
      .sort();
    return { rcode: rcodeToText(response.rcode), ad: response.ad, data: squeezed(data) };
  }

  test('every LAB_EXPECTATIONS name: same rcode, AD bit and data (and as the lab expects)', async () => {
    const problems: string[] = [];
    for (const e of LAB_EXPECTATIONS) {
      const [u, s] = [await fromUnbound(e.name, e.type), await fromSealdns(e.name, e.type)];
      const what = `${e.name} ${e.type}`;
      if (u.rcode !== s.rcode) problems.push(`${what}: rcode unbound ${u.rcode}, sealdns ${s.rcode}`);
      if (u.ad !== s.ad) problems.push(`${what}: AD unbound ${u.ad}, sealdns ${s.ad}`);
      if (s.rcode !== e.rcode || s.ad !== e.secure) problems.push(`${what}: sealdns ${s.rcode}/AD=${s.ad}`);
      if (JSON.stringify(u.data) !== JSON.stringify(s.data))
        problems.push(`${what}: data unbound ${JSON.stringify(u.data)}, sealdns ${JSON.stringify(s.data)}`);
    }
    assert.deepEqual(problems, [], `${problems.join('\n')}\n${unbound.logs()}`);
  });

  test('further DNSSEC cases: same rcode and AD bit', async (t) => {
    const problems: string[] = [];
    for (const [name, type] of EXTRA) {
      const [u, s] = [await fromUnbound(name, type), await fromSealdns(name, type)];
      t.diagnostic(`${name} ${type}: ${s.rcode} AD=${s.ad}`);
      if (u.rcode !== s.rcode) problems.push(`${name} ${type}: rcode unbound ${u.rcode}, sealdns ${s.rcode}`);
      if (u.ad !== s.ad) problems.push(`${name} ${type}: AD unbound ${u.ad}, sealdns ${s.ad}`);
      if (u.rcode === 'NOERROR' && JSON.stringify(u.data) !== JSON.stringify(s.data))
        problems.push(`${name} ${type}: data unbound ${JSON.stringify(u.data)}, sealdns ${JSON.stringify(s.data)}`);
    }
    assert.deepEqual(problems, [], `${problems.join('\n')}\n${unbound.logs()}`);
  });
});
