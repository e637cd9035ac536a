/**
 * A small signed DNS tree for validation tests: zones written as master-file text are signed with our signer (DS
 * records of signed children are added to their parents first), served by the authority's answer() from one
 * address each on a FakeNet, and resolved by a validating Resolver whose trust anchor is the root's DS. A server
 * may be given a `tamper` hook to forge or strip what it says.
 */
import { answer } from '../../src/authority/answer.js';
import { type AuthServer, startAuthServer } from '../../src/authority/server.js';
import { Zone } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  type DenialOptions,
  dnskeyData,
  generateSigningKey,
  makeDs,
  type SigningKey,
  signZone,
} from '../../src/dnssec/signer.js';
import { Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { FakeClock } from '../../src/transport/clock.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { type Message, makeQuery, Name, type RR, RRType } from '../../src/wire/index.js';
import { FakeNet, rrs } from './fake-authorities.js';

/** Validation time of every world: 2026-05-28T20:26:40Z; signatures are valid an hour before to 30 days after. */
export const WORLD_NOW = 1_780_000_000;

export interface WorldZone {
  /** Absolute origin, e.g. 'example.' or '.'. */
  origin: string;
  /** Master-file text; relative names are under the origin, default TTL 3600. */
  body: string;
  /** Address of the server that serves this zone (several zones may share one). */
  ip: string;
  /**
   * NSEC (default) or NSEC3; 'unsigned' serves the records as written (no keys, no DS in the parent unless `ds`
   * gives some: a zone signed by another tool).
   */
  denial?: DenialOptions | 'unsigned';
  /** Signing keys (default: one ECDSA P-256 CSK generated for the zone). */
  keys?: SigningKey[];
  /** Rewrites the signed records before serving (e.g. to re-sign NSEC3 with Opt-Out). */
  post?: (records: RR[], keys: SigningKey[], origin: Name) => RR[];
  /** DS records to put in the parent instead of those of the SEP keys (computed from the served records). */
  ds?: (records: RR[], origin: Name) => RR[];
}

export interface World {
  net: FakeNet;
  /** Signed records of each zone, by origin text. */
  records: Map<string, RR[]>;
  keys: Map<string, SigningKey[]>;
  /** The root's DS records (the trust anchor). */
  anchors: RR[];
  /** Servers by address: replace or wrap `handlers` entries of `net` to tamper with answers. */
  serve(ip: string, q: Message): Message;
}

const keyPool = new Map<string, SigningKey>();

/** An ECDSA P-256 CSK per zone origin, generated once per test process. */
export function zoneKey(origin: string, slot = 0): SigningKey {
  const id = `${origin}/${slot}`;
  let k = keyPool.get(id);
  if (k === undefined) {
    k = generateSigningKey(13, 'csk');
    keyPool.set(id, k);
  }
  return k;
}

function parentOf(origin: Name, all: Name[]): Name | undefined {
  let best: Name | undefined;
  for (const o of all)
    if (!o.equals(origin) && origin.isSubdomainOf(o) && (best === undefined || o.labelCount > best.labelCount))
      best = o;
  return best;
}

/** Signs the zones (children first), and serves each from its address. `now`: signing time (default WORLD_NOW). */
export function buildWorld(zones: WorldZone[], opts: { now?: number } = {}): World {
  const now = opts.now ?? WORLD_NOW;
  const origins = zones.map((z) => Name.fromText(z.origin));
  const extra = new Map<string, RR[]>(); // DS records added to a parent
  const records = new Map<string, RR[]>();
  const keys = new Map<string, SigningKey[]>();
  const order = zones.map((z, i) => ({ z, o: origins[i] })).sort((a, b) => b.o.labelCount - a.o.labelCount);
  for (const { z, o } of order) {
    const parsed = parseZoneFile(`$TTL 3600\n${z.body}`, { origin: z.origin, file: `${z.origin}zone` });
    const input = [...parsed.records, ...(extra.get(o.key) ?? [])];
    let out: RR[];
    if (z.denial === 'unsigned') {
      // unsigned, or signed elsewhere (by ldns-signzone, dnssec-signzone...): `ds` says what the parent publishes
      out = input;
      const parent = parentOf(o, origins);
      if (z.ds && parent !== undefined) extra.set(parent.key, [...(extra.get(parent.key) ?? []), ...z.ds(out, o)]);
    } else {
      const ks = z.keys ?? [zoneKey(z.origin)];
      keys.set(z.origin, ks);
      out = signZone(input, {
        origin: o,
        keys: ks,
        denial: z.denial ?? { kind: 'nsec' },
        inception: now - 3600,
        expiration: now + 30 * 86400,
      });
      if (z.post) out = z.post(out, ks, o);
      const parent = parentOf(o, origins);
      if (parent !== undefined) {
        const ds = z.ds
          ? z.ds(out, o)
          : ks.filter((k) => (k.flags & 1) === 1).map((k) => makeDs(o, dnskeyData(k), 2, 3600));
        extra.set(parent.key, [...(extra.get(parent.key) ?? []), ...ds]);
      }
    }
    records.set(z.origin, out);
  }
  const byIp = new Map<string, ZoneSet>();
  for (const [i, z] of zones.entries()) {
    const set = byIp.get(z.ip) ?? new ZoneSet();
    set.add(Zone.build(origins[i], records.get(z.origin) ?? []));
    byIp.set(z.ip, set);
  }
  const serve = (ip: string, q: Message): Message => answer(byIp.get(ip) ?? new ZoneSet(), q);
  const net = new FakeNet(Object.fromEntries([...byIp.keys()].map((ip) => [ip, (q: Message) => serve(ip, q)])));
  const rootKeys = keys.get('.') ?? [];
  const anchors = rootKeys.map((k) => makeDs(Name.ROOT, dnskeyData(k), 2, 3600));
  return { net, records, keys, anchors, serve };
}

/** Root hints naming the root zone's server. */
export function worldHints(rootIp: string): RR[] {
  return rrs([`. 3600000 IN NS ns.root.`, `ns.root. 3600000 IN A ${rootIp}`]);
}

export interface WorldClient {
  resolver: Resolver;
  clock: FakeClock;
  /** Asks with RD, EDNS and DO (unless `dnssecOk: false`); `cd` sets Checking Disabled. */
  ask(name: string, type: number, opts?: { dnssecOk?: boolean; cd?: boolean }): Promise<Message>;
}

/** A validating resolver (trust anchor: the world's root DS) at WORLD_NOW, on the world's network. */
export function worldResolver(world: World, rootIp: string, config: Partial<ResolverConfig> = {}): WorldClient {
  const clock = new FakeClock(WORLD_NOW * 1000);
  const resolver = new Resolver(
    { upstream: world.net, clock, random: cryptoRandom, rootHints: worldHints(rootIp), trustAnchors: world.anchors },
    { qnameMinimisation: 'off', ipv6: false, minTimeoutMs: 1, packetCache: false, transportPolicy: false, ...config },
  );
  let id = 1;
  return {
    resolver,
    clock,
    async ask(name, type, opts = {}) {
      const q = makeQuery(Name.fromText(name), type, {
        id: id++,
        rd: true,
        edns: true,
        udpSize: 1232,
        dnssecOk: opts.dnssecOk ?? true,
      });
      if (opts.cd) q.cd = true;
      return (await resolver.handle(q, { transport: 'udp' })).response;
    },
  };
}

/** "owner TYPE" of each record of a section, e.g. for deepEqual on sorted lists. */
export function section(rrsIn: readonly RR[]): string[] {
  return rrsIn.map((rr) => `${rr.name} ${rr.type === RRType.RRSIG ? 'RRSIG' : rr.type}`).sort();
}

export interface LoopbackWorld {
  world: World;
  /** The port every server listens on (UDP and TCP). */
  port: number;
  /** 127.<net>.<host>. */
  ip(host: string): string;
  servers: Map<string, AuthServer>;
  /** Root hints naming the root zone's server (`rootHost`). */
  hints: RR[];
  close(): Promise<void>;
}

/**
 * The world on real sockets, lab-like: every server address is 127.<net>.<host> (`make` gets the address maker and
 * returns the zones), signed at `now` (default: the real time), all on one random high port, UDP and TCP.
 */
export async function startLoopbackWorld(
  make: (ip: (host: string) => string) => WorldZone[] | Promise<WorldZone[]>,
  rootHost: string,
  opts: { now?: number } = {},
): Promise<LoopbackWorld> {
  let last: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const net = 30 + Math.floor(Math.random() * 60); // the embedded lab uses 100..249
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const ip = (host: string) => `127.${net}.${host}`;
    const world = buildWorld(await make(ip), { now: opts.now ?? Math.floor(Date.now() / 1000) });
    const servers = new Map<string, AuthServer>();
    try {
      for (const address of world.net.handlers.keys())
        servers.set(
          address,
          await startAuthServer({
            address,
            udpPort: port,
            tcpPort: port,
            handler: (q) => world.net.handlers.get(address)!(q, address) as Message,
          }),
        );
    } catch (e) {
      last = e;
      await Promise.all([...servers.values()].map((s) => s.close()));
      continue;
    }
    return {
      world,
      port,
      ip,
      servers,
      hints: worldHints(ip(rootHost)),
      close: async () => {
        await Promise.all([...servers.values()].map((s) => s.close()));
      },
    };
  }
  throw last;
}
