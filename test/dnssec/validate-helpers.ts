/**
 * Fixtures for the validator tests: zones signed with our signer and served by the authority's answer(), so the
 * tests see the records an authoritative server would return (DO set).
 */
import assert from 'node:assert/strict';
import { answer } from '../../src/authority/answer.js';
import { Zone } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  type DenialOptions,
  dnskeyData,
  generateSigningKey,
  type KeyRole,
  makeDs,
  type SigningKey,
  signZone,
} from '../../src/dnssec/signer.js';
import { type RRsetVerdict, verifyRRset } from '../../src/dnssec/validate/rrset.js';
import { ValidationBudget } from '../../src/dnssec/validate/types.js';
import {
  type DnskeyData,
  type DsData,
  type Message,
  makeQuery,
  Name,
  type RR,
  RRType,
  type RrsigData,
} from '../../src/wire/index.js';

/** The validation time of every fixture: 2026-05-28T20:26:40Z. */
export const NOW = 1_780_000_000;
export const INCEPTION = NOW - 3600;
export const EXPIRATION = NOW + 30 * 86400;

export const n = (s: string): Name => Name.fromText(s);

const keyCache = new Map<string, SigningKey>();

/** A signing key, generated once per (algorithm, role, slot) for the whole test file. */
export function key(algorithm: number, role: KeyRole, slot = 0): SigningKey {
  const id = `${algorithm}/${role}/${slot}`;
  let k = keyCache.get(id);
  if (k === undefined) {
    k = generateSigningKey(algorithm, role, { rsaModulusBits: 1024 });
    keyCache.set(id, k);
  }
  return k;
}

export interface Signed {
  readonly origin: Name;
  readonly keys: readonly SigningKey[];
  /** Every record of the signed zone. */
  readonly records: RR[];
  readonly zone: Zone;
  /** The published DNSKEY RDATA (what verifyDnskeySet would return). */
  readonly dnskeys: DnskeyData[];
  /** SHA-256 DS of the SEP keys (or of every key when none has the SEP bit). */
  readonly ds: DsData[];
}

export interface SignOptions {
  readonly keys: readonly SigningKey[];
  readonly denial?: DenialOptions;
  readonly inception?: number;
  readonly expiration?: number;
}

/** Parses zone text (with $ORIGIN/$TTL), signs it and builds the authority's Zone. */
export function signText(origin: string, text: string, opts: SignOptions): Signed {
  const o = n(origin);
  const parsed = parseZoneFile(text, { origin, file: `${origin}zone` });
  const records = signZone(parsed.records, {
    origin: o,
    keys: opts.keys,
    denial: opts.denial ?? { kind: 'nsec' },
    inception: opts.inception ?? INCEPTION,
    expiration: opts.expiration ?? EXPIRATION,
  });
  const sep = opts.keys.filter((k) => (k.flags & 1) === 1);
  const dsKeys = sep.length > 0 ? sep : opts.keys;
  return {
    origin: o,
    keys: opts.keys,
    records,
    zone: Zone.build(o, records),
    dnskeys: records.filter((r) => r.type === RRType.DNSKEY).map((r) => r.data as DnskeyData),
    ds: dsKeys.map((k) => makeDs(o, dnskeyData(k), 2).data as DsData),
  };
}

/** The response of `zones` to a query with DO set. */
export function ask(zones: ZoneSet | Zone, name: string, type: number): Message {
  const set = zones instanceof ZoneSet ? zones : new ZoneSet([zones]);
  return answer(set, makeQuery(n(name), type, { id: 1, dnssecOk: true }));
}

/** The records of `section` with owner `name` (case-insensitive) and `type`. */
export function rrsetOf(section: readonly RR[], name: string | Name, type: number): RR[] {
  const owner = typeof name === 'string' ? n(name) : name;
  return section.filter((r) => r.type === type && r.name.equals(owner));
}

/** The RRSIGs of `section` covering (`name`, `type`). */
export function sigsOf(section: readonly RR[], name: string | Name, type: number): RR[] {
  const owner = typeof name === 'string' ? n(name) : name;
  return section.filter(
    (r) => r.type === RRType.RRSIG && r.name.equals(owner) && (r.data as RrsigData).typeCovered === type,
  );
}

/** Copy of an RRSIG record with some RDATA fields replaced. */
export function withSig(rr: RR, patch: Partial<RrsigData>): RR {
  return { ...rr, data: { ...(rr.data as RrsigData), ...patch } };
}

/**
 * The NSEC or NSEC3 records of a response's authority section, each RRset first verified as a resolver would
 * (asserting it is secure).
 */
export function verifiedDenial(
  res: Message,
  type: number,
  zone: Name,
  keys: readonly DnskeyData[],
  budget = new ValidationBudget(),
): RR[] {
  const out: RR[] = [];
  const owners = new Map<string, Name>();
  for (const r of res.authorities) if (r.type === type) owners.set(r.name.key, r.name);
  for (const owner of owners.values()) {
    const set = rrsetOf(res.authorities, owner, type);
    const v = verifyRRset(set, sigsOf(res.authorities, owner, type), keys, zone, NOW, budget);
    assert.equal(v.status, 'secure', `${owner}: ${v.reason}`);
    out.push(...set);
  }
  return out;
}

/** Verify one RRset from a section with the zone's published keys (fresh budget unless given). */
export function verifyFrom(
  section: readonly RR[],
  name: string,
  type: number,
  signed: Signed,
  budget = new ValidationBudget(),
): RRsetVerdict {
  return verifyRRset(
    rrsetOf(section, name, type),
    sigsOf(section, name, type),
    signed.dnskeys,
    signed.origin,
    NOW,
    budget,
  );
}

/** Flip one bit of a copy of `bytes`. */
export function flipped(bytes: Uint8Array, index = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] ^= 0x01;
  return out;
}

/** The parent zone of the fixtures: hosts, an empty non-terminal, a wildcard, CNAME, DNAME, two delegations. */
export const PARENT_TEXT = `$ORIGIN example.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.2
www AAAA 2001:db8::2
a A 192.0.2.10
x.b TXT "x"
*.w TXT "wild"
cn CNAME www
dn DNAME example.org.
deleg NS ns.deleg
ns.deleg A 192.0.2.53
sdeleg NS ns.sdeleg
ns.sdeleg A 192.0.2.54
`;

/** The signed child zone of the secure delegation. */
export const CHILD_TEXT = `$ORIGIN sdeleg.example.
$TTL 600
@ SOA ns hostmaster 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.54
www A 192.0.2.80
`;

/** Signs the child, then the parent with the child's DS at the secure delegation. */
export function parentAndChild(
  algorithm: number,
  denial: DenialOptions,
): { parent: Signed; child: Signed; zones: ZoneSet } {
  const child = signText('sdeleg.example.', CHILD_TEXT, { keys: [key(algorithm, 'ksk', 1), key(algorithm, 'zsk', 1)] });
  const dsText = child.records
    .filter((r) => r.type === RRType.DNSKEY && ((r.data as DnskeyData).flags & 1) === 1)
    .map((r) => {
      const ds = makeDs(child.origin, r.data as DnskeyData, 2).data as DsData;
      return `sdeleg DS ${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${Buffer.from(ds.digest).toString('hex')}`;
    })
    .join('\n');
  const parent = signText('example.', `${PARENT_TEXT}${dsText}\n`, {
    keys: [key(algorithm, 'ksk'), key(algorithm, 'zsk')],
    denial,
  });
  return { parent, child, zones: new ZoneSet([parent.zone, child.zone]) };
}
