/**
 * Zone signer: pure functions from a zone's records to the signed zone (RFC 4035 section 2). It works on plain
 * arrays of RR, independent of any zone data structure.
 *
 * What is signed and chained:
 * - every authoritative RRset is signed by the zone-signing keys of each algorithm, the DNSKEY RRset by the
 *   key-signing keys (RFC 4035 2.2, RFC 6840 5.11); a lone key of an algorithm (a CSK) signs everything;
 * - at a delegation point (a name below the apex with NS) only DS is authoritative: the NS RRset and anything else
 *   there is not signed, nor is anything below it (glue and occluded data), and the same holds below a DNAME
 *   (RFC 6672 section 2.3);
 * - the NSEC chain (RFC 4034 section 4) or NSEC3 chain (RFC 5155 7.1, no opt-out) covers the apex, the other
 *   authoritative names and the delegation points (NSEC3 also the empty non-terminals), never glue-only names;
 * - NSEC and NSEC3 TTL: min(SOA TTL, SOA MINIMUM) (RFC 9077 section 3); DNSKEY and NSEC3PARAM: the SOA TTL.
 */

import { canonicalRdata, compareBytes, type Name, type RR, RRType, type SoaData } from '../wire/index.js';
import { algorithmMnemonic, isSupportedAlgorithm } from './algorithms.js';
import { DnssecError } from './errors.js';
import { checkFlags, DnskeyFlag, dnskeyData, type SigningKey } from './keys.js';
import { buildNsecChain, type ChainName } from './nsec.js';
import {
  buildNsec3Chain,
  emptyNonTerminals,
  type Nsec3ChainName,
  type Nsec3Params,
  nsec3ParamRecord,
} from './nsec3chain.js';
import { signRRset } from './rrsig.js';

export * from './keys.js';
export { buildNsecChain, nsecTypes } from './nsec.js';
export { buildNsec3Chain, emptyNonTerminals, nsec3OwnerName, nsec3ParamRecord } from './nsec3chain.js';
export { rrsigLabels, signedOwner, signRRset, verifyRRsig } from './rrsig.js';

/** Authenticated denial of existence: NSEC, or NSEC3 (RFC 9276 defaults: 0 iterations, empty salt, no opt-out). */
export type DenialOptions =
  | { readonly kind: 'nsec' }
  | {
      readonly kind: 'nsec3';
      /** Additional hash iterations; default 0 (RFC 9276 3.1). Other values only for lab zones. */
      readonly iterations?: number;
      /** Default empty (RFC 9276 3.1). */
      readonly salt?: Uint8Array;
      /** Opt-out is not implemented. */
      readonly optOut?: false;
    };

export interface SignZoneOptions {
  /** The zone apex; it must hold the SOA. */
  readonly origin: Name;
  /** KSK(s) + ZSK(s), or one CSK (flags 257) per algorithm. */
  readonly keys: readonly SigningKey[];
  readonly denial: DenialOptions;
  /** Signature inception and expiration, unix seconds (expiration after inception). */
  readonly inception: number;
  readonly expiration: number;
  /** TTL of NSEC/NSEC3 records; default min(SOA TTL, SOA MINIMUM) (RFC 9077). */
  readonly nsecTtl?: number;
}

/** Types the signer makes itself: stale copies in the input are dropped (DNSKEY and NSEC3PARAM only at the apex). */
const GENERATED_ANYWHERE: ReadonlySet<number> = new Set([RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);
const GENERATED_AT_APEX: ReadonlySet<number> = new Set([RRType.DNSKEY, RRType.NSEC3PARAM]);

type NodeKind = 'apex' | 'authoritative' | 'delegation' | 'occluded';

interface ZoneNode {
  readonly name: Name;
  /** RRsets by type, deduplicated, each with one TTL. */
  readonly rrsets: Map<number, RR[]>;
  kind: NodeKind;
}

/**
 * Sign a zone. Returns its records (duplicates removed, each RRset with one TTL — the smallest given — and stale
 * RRSIG/NSEC/NSEC3 records and apex DNSKEY/NSEC3PARAM records dropped) plus the DNSKEY RRset of `keys`, the NSEC
 * or NSEC3 chain (with NSEC3PARAM) and the RRSIGs, sorted by owner in canonical order, then by type with the SOA
 * first and each RRSIG after the RRset it covers, then by canonical RDATA.
 * @throws DnssecError BAD_ZONE (no single SOA at the origin, records outside the zone or of another class, DS at the
 *   apex or away from a delegation), BAD_SIGNING_KEY, BAD_SIGNER_OPTIONS, UNSUPPORTED_ALGORITHM.
 */
export function signZone(records: readonly RR[], opts: SignZoneOptions): RR[] {
  const { origin, inception, expiration } = opts;
  const nsec3 = checkOptions(opts);
  const signers = keyRoles(opts.keys);
  const nodes = groupRecords(records, origin);
  const apex = nodes.get(origin.key);
  const soaSet = apex?.rrsets.get(RRType.SOA);
  if (apex === undefined || soaSet === undefined || soaSet.length !== 1) {
    throw new DnssecError('BAD_ZONE', `zone ${origin} needs exactly one SOA record at its apex`);
  }
  const soa = soaSet[0];
  const rrclass = soa.class;
  for (const node of nodes.values()) {
    for (const rrs of node.rrsets.values()) {
      for (const rr of rrs) {
        if (rr.class !== rrclass) throw new DnssecError('BAD_ZONE', `${rr.name} is not in the SOA's class`);
      }
    }
  }
  classify(nodes, origin);

  const keyRecords = dedupeKeys(opts.keys).map(
    (k): RR => ({ name: origin, type: RRType.DNSKEY, class: rrclass, ttl: soa.ttl, data: dnskeyData(k) }),
  );
  apex.rrsets.set(RRType.DNSKEY, keyRecords);
  const denialTtl = opts.nsecTtl ?? Math.min(soa.ttl, (soa.data as SoaData).minimum);

  const out: RR[] = [];
  const signAll = (rrs: RR[], keys: readonly SigningKey[]) => {
    for (const key of keys) out.push(signRRset(rrs, key, origin, inception, expiration));
  };

  let denial: RR[];
  if (nsec3 === undefined) {
    const names: ChainName[] = [];
    for (const node of nodes.values()) {
      if (node.kind !== 'occluded') names.push({ name: node.name, types: chainTypes(node) });
    }
    denial = buildNsecChain(names, denialTtl, rrclass);
  } else {
    const param = nsec3ParamRecord(origin, nsec3, soa.ttl, rrclass);
    apex.rrsets.set(RRType.NSEC3PARAM, [param]);
    const names: Nsec3ChainName[] = [];
    for (const node of nodes.values()) {
      if (node.kind === 'occluded') continue;
      const signed = node.kind !== 'delegation' || node.rrsets.has(RRType.DS);
      names.push({ name: node.name, types: chainTypes(node), signed });
    }
    const ents = emptyNonTerminals(
      names.map((n) => n.name),
      origin,
    );
    for (const name of ents) names.push({ name, types: [], signed: false });
    denial = buildNsec3Chain(names, origin, nsec3, denialTtl, rrclass);
  }

  for (const node of nodes.values()) {
    for (const [type, rrs] of node.rrsets) {
      out.push(...rrs);
      if (node.kind === 'occluded' || (node.kind === 'delegation' && type !== RRType.DS)) continue;
      signAll(rrs, type === RRType.DNSKEY && node.kind === 'apex' ? signers.keySigners : signers.zoneSigners);
    }
  }
  for (const rr of denial) {
    out.push(rr);
    signAll([rr], signers.zoneSigners);
  }
  return sortZone(out);
}

/** Checks the options; returns the NSEC3 parameters, or undefined for NSEC. */
function checkOptions(opts: SignZoneOptions): Nsec3Params | undefined {
  const bad = (why: string) => new DnssecError('BAD_SIGNER_OPTIONS', why);
  const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  if (!isU32(opts.inception) || !isU32(opts.expiration)) throw bad('inception and expiration must be 32-bit times');
  if (opts.expiration <= opts.inception) throw bad('expiration must be after inception');
  if (opts.nsecTtl !== undefined && !(Number.isInteger(opts.nsecTtl) && opts.nsecTtl >= 0 && opts.nsecTtl < 2 ** 31)) {
    throw bad(`bad NSEC TTL ${opts.nsecTtl}`);
  }
  if (opts.keys.length === 0) throw new DnssecError('BAD_SIGNING_KEY', 'no signing key given');
  for (const key of opts.keys) {
    checkFlags(key.flags);
    if (!isSupportedAlgorithm(key.algorithm)) {
      const name = algorithmMnemonic(key.algorithm);
      throw new DnssecError('UNSUPPORTED_ALGORITHM', `cannot sign with algorithm ${key.algorithm} (${name ?? '?'})`);
    }
  }
  const d = opts.denial;
  if (d.kind === 'nsec') return undefined;
  if (d.kind !== 'nsec3') throw bad(`unknown denial kind ${(d as { kind: unknown }).kind}`);
  if ((d as { optOut?: boolean }).optOut === true) throw bad('NSEC3 opt-out is not supported');
  const iterations = d.iterations ?? 0;
  const salt = d.salt ?? new Uint8Array(0);
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff) throw bad(`bad iterations ${iterations}`);
  if (salt.length > 255) throw bad(`NSEC3 salt of ${salt.length} octets`);
  return { iterations, salt };
}

/**
 * Which keys sign what, per algorithm (every algorithm must sign every RRset, RFC 6840 5.11): the non-SEP keys sign
 * zone data and the SEP keys the DNSKEY RRset; when an algorithm has keys of only one kind, they sign both.
 */
function keyRoles(keys: readonly SigningKey[]): { zoneSigners: SigningKey[]; keySigners: SigningKey[] } {
  const unique = dedupeKeys(keys);
  const algorithms = [...new Set(unique.map((k) => k.algorithm))].sort((a, b) => a - b);
  const zoneSigners: SigningKey[] = [];
  const keySigners: SigningKey[] = [];
  for (const alg of algorithms) {
    const ksks = unique.filter((k) => k.algorithm === alg && (k.flags & DnskeyFlag.SEP) !== 0);
    const zsks = unique.filter((k) => k.algorithm === alg && (k.flags & DnskeyFlag.SEP) === 0);
    zoneSigners.push(...(zsks.length > 0 ? zsks : ksks));
    keySigners.push(...(ksks.length > 0 ? ksks : zsks));
  }
  return { zoneSigners, keySigners };
}

/** Keys with distinct DNSKEY RDATA, in the order given. */
function dedupeKeys(keys: readonly SigningKey[]): SigningKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = bytesKey(canonicalRdata(RRType.DNSKEY, dnskeyData(k)));
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Groups in-zone records into nodes and RRsets, dropping stale DNSSEC records and duplicate RDATA. */
function groupRecords(records: readonly RR[], origin: Name): Map<string, ZoneNode> {
  const nodes = new Map<string, ZoneNode>();
  const seen = new Set<string>();
  /** Smallest TTL per RRset, duplicates included. */
  const ttls = new Map<string, number>();
  for (const rr of records) {
    if (!rr.name.isSubdomainOf(origin)) throw new DnssecError('BAD_ZONE', `${rr.name} is outside the zone ${origin}`);
    if (GENERATED_ANYWHERE.has(rr.type)) continue;
    if (GENERATED_AT_APEX.has(rr.type) && rr.name.equals(origin)) continue;
    const setId = `${rr.name.key}/${rr.type}`;
    ttls.set(setId, Math.min(rr.ttl, ttls.get(setId) ?? rr.ttl));
    const id = `${setId}/${rr.class}/${bytesKey(canonicalRdata(rr.type, rr.data))}`;
    if (seen.has(id)) continue;
    seen.add(id);
    let node = nodes.get(rr.name.key);
    if (node === undefined) {
      node = { name: rr.name, rrsets: new Map(), kind: 'authoritative' };
      nodes.set(rr.name.key, node);
    }
    const set = node.rrsets.get(rr.type);
    if (set === undefined) node.rrsets.set(rr.type, [rr]);
    else set.push(rr);
  }
  for (const [key, node] of nodes) {
    for (const [type, rrs] of node.rrsets) {
      const ttl = ttls.get(`${key}/${type}`)!;
      node.rrsets.set(
        type,
        rrs.map((rr) => (rr.ttl === ttl ? rr : { ...rr, ttl })),
      );
    }
  }
  return nodes;
}

/** Sets each node's kind: apex, delegation point, occluded (below a zone cut or a DNAME), or authoritative. */
function classify(nodes: Map<string, ZoneNode>, origin: Name): void {
  const cuts = new Set<string>();
  const dnames = new Set<string>();
  for (const [key, node] of nodes) {
    if (key !== origin.key && node.rrsets.has(RRType.NS)) cuts.add(key);
    if (node.rrsets.has(RRType.DNAME)) dnames.add(key);
  }
  for (const [key, node] of nodes) {
    if (key === origin.key) {
      node.kind = 'apex';
    } else {
      let occluded = false;
      for (let n = origin.labelCount; n < node.name.labelCount && !occluded; n++) {
        const ancestor = node.name.suffix(n).key;
        occluded = dnames.has(ancestor) || (n > origin.labelCount && cuts.has(ancestor));
      }
      node.kind = occluded ? 'occluded' : cuts.has(key) ? 'delegation' : 'authoritative';
    }
    if (node.rrsets.has(RRType.DS) && (node.kind === 'apex' || node.kind === 'authoritative')) {
      throw new DnssecError('BAD_ZONE', `DS at ${node.name}, which is not a delegation point`);
    }
  }
}

/** The RRset types a chain record lists for a node (before NSEC/RRSIG): at a delegation only NS and DS. */
function chainTypes(node: ZoneNode): number[] {
  const types = [...node.rrsets.keys()];
  if (node.kind !== 'delegation') return types;
  return types.filter((t) => t === RRType.NS || t === RRType.DS);
}

/** Canonical owner order, then type (SOA first, RRSIG right after the type it covers), then canonical RDATA. */
function sortZone(rrs: RR[]): RR[] {
  const owners = new Map<string, Name>();
  for (const rr of rrs) if (!owners.has(rr.name.key)) owners.set(rr.name.key, rr.name);
  const order = new Map([...owners.values()].sort((a, b) => a.compare(b)).map((n, i) => [n.key, i]));
  const rank = (rr: RR): number => {
    const type = rr.type === RRType.RRSIG ? (rr.data as { typeCovered: number }).typeCovered : rr.type;
    return (type === RRType.SOA ? -1 : type) * 2 + (rr.type === RRType.RRSIG ? 1 : 0);
  };
  const keyed = rrs.map((rr) => ({
    rr,
    owner: order.get(rr.name.key)!,
    rank: rank(rr),
    rdata: canonicalRdata(rr.type, rr.data),
  }));
  keyed.sort((a, b) => a.owner - b.owner || a.rank - b.rank || compareBytes(a.rdata, b.rdata));
  return keyed.map((k) => k.rr);
}

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
