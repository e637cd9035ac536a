// cache-partition: by-privacy against the lab — an encrypted client (DoT/DoH) is never served an answer learnt over
// cleartext, from the RRset caches or from the packet cache; all-encrypted resolutions fill its partition (and
// the shared one); `shared` (the default) serves everyone from one cache, which is what the partition prevents.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/authority/lab/lab.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { resolveConfig } from '../../src/cli/config.js';
import type { PolicyRule } from '../../src/policy/decide.js';
import {
  countedHops,
  decodeSummary,
  PRIVACY_EDE_CODE,
  PRIVACY_OPTION_CODE,
  PrivacyFlag,
  PrivacyLevel,
  type PrivacySummary,
} from '../../src/resolver/privacy.js';
import { type ClientInfo, Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { Transport } from '../../src/transport/client.js';
import { systemClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { decodeMessage, encodeMessage, type Message, makeQuery, Name, Rcode, type RR } from '../../src/wire/index.js';

const UDP: ClientInfo = { transport: 'udp', address: '127.0.0.1' };
const DOT: ClientInfo = { transport: 'dot', address: '127.0.0.1' };
const DOH: ClientInfo = { transport: 'doh', address: '127.0.0.1' };

/**
 * Encryption required for the root and test. (the lab serves them over DoT from b.root-servers.test and
 * ns2.nic.test only), opportunistic for clear.test (ns1.clear.test has no DoT: its answers are learnt in cleartext).
 */
const RULES: PolicyRule[] = [
  { suffix: Name.ROOT, encrypt: 'required' },
  { suffix: Name.fromText('clear.test.'), encrypt: 'opportunistic' },
];

function query(name: string, id = 7): Message {
  const m = makeQuery(name, 1, { id, rd: true, ad: true });
  m.edns?.options.push({ kind: 'raw', code: PRIVACY_OPTION_CODE, data: new Uint8Array(0) });
  return m;
}

function summaryOf(m: Message): PrivacySummary {
  const o = m.edns?.options.find((x) => x.kind === 'raw' && x.code === PRIVACY_OPTION_CODE);
  assert.ok(o?.kind === 'raw', 'the privacy option');
  const s = decodeSummary(o.data);
  assert.ok(s);
  return s;
}

describe('cache-partition by-privacy against the lab', { timeout: 120_000 }, () => {
  let lab: Lab;
  let port: number;
  let hints: RR[];
  let anchors: RR[];
  const transports: Transport[] = [];

  before(async () => {
    let last: unknown;
    for (let attempt = 0; attempt < 5 && lab === undefined; attempt++) {
      port = 20_000 + Math.floor(Math.random() * 30_000);
      try {
        lab = await startLab({ ports: { dns: port, dot: port + 1, doh: port + 2 } });
      } catch (e) {
        last = e;
      }
    }
    if (lab === undefined) throw last;
    hints = parseZoneFile(lab.rootHints, { origin: '.' }).records;
    anchors = parseZoneFile(lab.trustAnchor, { origin: '.' }).records;
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    if (lab) {
      await lab.close();
      await rm(lab.dir, { recursive: true, force: true });
    }
  });

  function resolver(config: Partial<ResolverConfig> = {}): Resolver {
    const transport = new Transport();
    transports.push(transport);
    return new Resolver(
      { upstream: transport, clock: systemClock, random: cryptoRandom, rootHints: hints, trustAnchors: anchors },
      { upstreamPort: port, dotProbePort: port + 1, ipv6: false, policyRules: RULES, ...config },
    );
  }

  /** How many times ns1.clear.test was asked for www.clear.test. */
  const asked = () =>
    lab
      .server('ns1.clear.test')
      .server.queryLog.entries()
      .filter((e) => e.qname.toLowerCase() === 'www.clear.test.' && e.qtype === 1).length;

  it('is a configuration key: cache-partition shared (default) | by-privacy', () => {
    assert.equal(resolveConfig({}).resolver.cachePartition, 'shared');
    assert.equal(resolveConfig({ flags: { 'cache-partition': 'by-privacy' } }).resolver.cachePartition, 'by-privacy');
    assert.equal(
      resolveConfig({ file: { path: 'sealdns.yaml', text: 'cache-partition: by-privacy\n' } }).resolver.cachePartition,
      'by-privacy',
    );
    assert.throws(() => resolveConfig({ flags: { 'cache-partition': 'split' } }), /cache-partition: must be one of/);
  });

  it('an answer learnt over cleartext is never served to an encrypted client from the cache', async () => {
    const r = resolver({ cachePartition: 'by-privacy' });
    const before = asked();
    // a cleartext client: ns1.clear.test has no DoT, so the answer is learnt in cleartext
    const a = await r.handle(query('www.clear.test'), UDP);
    assert.equal(a.response.rcode, Rcode.NOERROR);
    assert.ok(a.state?.hops.some((h) => h.server === 'ns1.clear.test.' && !h.encrypted));
    // an encrypted client: not from the cache; resolved again (and that resolution needs cleartext too)
    for (const client of [DOT, DOH, DOT]) {
      const b = await r.handle(query('www.clear.test'), client);
      assert.equal(b.response.rcode, Rcode.NOERROR);
      assert.equal(b.cacheHit, false, `${client.transport}: not from the cache`);
      const s = summaryOf(b.response);
      assert.ok(s.cleartext > 0 && s.level <= PrivacyLevel.SOME, 'the report says cleartext was needed');
      assert.equal(s.flags & PrivacyFlag.CACHE, 0);
    }
    assert.equal(asked() - before, 4, 'the server was asked once per resolution');
    // the cleartext client is served from the shared cache
    const c = await r.handle(query('www.clear.test'), UDP);
    assert.equal(c.cacheHit, true);
    assert.equal(summaryOf(c.response).level, PrivacyLevel.NO_UPSTREAM);
    assert.equal(asked() - before, 4);
  });

  it('an all-encrypted resolution fills the encrypted partition (and the shared one)', async () => {
    const r = resolver({ cachePartition: 'by-privacy' });
    const a = await r.handle(query('www.dot.test'), DOT);
    assert.equal(a.response.rcode, Rcode.NOERROR);
    assert.equal(a.response.ad, true);
    const hops = countedHops(a.state?.hops ?? []);
    assert.ok(hops.length > 0);
    assert.deepEqual(
      hops.filter((h) => !h.encrypted).map((h) => `${h.server} ${h.qname}`),
      [],
      'every hop encrypted',
    );
    assert.ok(summaryOf(a.response).level >= PrivacyLevel.ENCRYPTED);
    assert.ok(r.partitions!.stats.cleanWrites > 0);
    const b = await r.handle(query('www.dot.test'), DOH);
    assert.equal(b.cacheHit, true, 'served from the encrypted partition');
    const s = summaryOf(b.response);
    assert.equal(s.level, PrivacyLevel.NO_UPSTREAM);
    assert.equal(s.flags, PrivacyFlag.CACHE | PrivacyFlag.ENCRYPTED_PARTITION);
    const text = b.response.edns?.options.find((o) => o.kind === 'ede' && o.infoCode === PRIVACY_EDE_CODE);
    assert.ok(text?.kind === 'ede');
    assert.match(text.extraText, /encrypted-only partition/);
    const c = await r.handle(query('www.dot.test'), UDP);
    assert.equal(c.cacheHit, true, 'data learnt encrypted is good for cleartext clients too');
  });

  it('the packet cache is partitioned as well (raw path)', async () => {
    const r = resolver({ cachePartition: 'by-privacy' });
    const raw = (name: string, id: number) => encodeMessage(makeQuery(name, 1, { id, rd: true }));
    const before = asked();
    const first = await r.handleRaw(raw('www.clear.test', 1), UDP, 1232);
    assert.ok(first);
    const hits = r.stats.packetHits;
    assert.ok(await r.handleRaw(raw('www.clear.test', 2), UDP, 1232));
    assert.equal(r.stats.packetHits, hits + 1, 'the cleartext client gets a packet-cache hit');
    for (const id of [3, 4]) {
      const m = decodeMessage((await r.handleRaw(raw('www.clear.test', id), DOT, 65535))!);
      assert.equal(m.rcode, Rcode.NOERROR);
      assert.equal(m.id, id);
    }
    assert.equal(r.stats.packetHits, hits + 1, 'never a packet-cache hit for the DoT client');
    assert.equal(asked() - before, 3, 'each DoT query was resolved again');
    // all-encrypted answers do reach the encrypted client's packet cache
    await r.handleRaw(raw('www.dot.test', 5), DOT, 65535);
    const h2 = r.stats.packetHits;
    const m = decodeMessage((await r.handleRaw(raw('www.dot.test', 6), DOT, 65535))!);
    assert.equal(m.rcode, Rcode.NOERROR);
    assert.equal(r.stats.packetHits, h2 + 1);
  });

  it('shared (the default): the encrypted client gets the cleartext-learnt answer from the cache', async () => {
    const r = resolver();
    await r.handle(query('www.clear.test'), UDP);
    const b = await r.handle(query('www.clear.test'), DOT);
    assert.equal(b.cacheHit, true, 'this is what by-privacy prevents');
  });
});
