/**
 * The authoritative zone model: records grouped into RRsets by (owner, type) on the nodes
 * of a name tree keyed by `Name.key`. Every name between an owner and the apex has a node,
 * so empty non-terminals exist. RRSIGs hang off the RRset whose type they cover. NSEC3
 * records (and their RRSIGs) live in a separate hash-ordered chain, not in the name tree,
 * so their owner names never answer ordinary queries.
 *
 * Node flags: `cut` (NS below the apex: a delegation point), `occluded` (below a cut or
 * below a DNAME: glue or unreachable data, never served as authoritative).
 *
 * Validation on build: records outside the zone or of another class are rejected; the apex
 * needs exactly one SOA and an NS RRset; CNAME may only share its owner with RRSIG and
 * NSEC (and there is one CNAME per owner); one DNAME per owner. Duplicate records are
 * dropped and TTLs differing within an RRset are lowered to the smallest, with warnings.
 */
import {
  canonicalRdata,
  classToText,
  type Name,
  type Nsec3Data,
  type Nsec3ParamData,
  type RR,
  RRType,
  type RrsigData,
  type SoaData,
  typeToText,
} from '../wire/index.js';
import type { ParsedZoneFile, SourceLocation } from './zonefile.js';

export type ZoneErrorCode =
  | 'out-of-zone'
  | 'class-mismatch'
  | 'missing-soa'
  | 'multiple-soa'
  | 'soa-not-at-apex'
  | 'missing-apex-ns'
  | 'cname-and-other-data'
  | 'multiple-cname'
  | 'multiple-dname'
  | 'bad-nsec3';

/** A zone content error: which owner, which rule, and where the record came from when known. */
export class ZoneError extends Error {
  override readonly name = 'ZoneError';
  readonly code: ZoneErrorCode;
  readonly owner: Name;
  readonly location: SourceLocation | undefined;
  readonly reason: string;
  constructor(code: ZoneErrorCode, owner: Name, reason: string, location?: SourceLocation) {
    super(location ? `${location.file}:${location.line}: ${reason}` : reason);
    this.code = code;
    this.owner = owner;
    this.location = location;
    this.reason = reason;
  }
}

export type ZoneWarningCode = 'ttl-mismatch' | 'duplicate';

export interface ZoneWarning {
  code: ZoneWarningCode;
  owner: Name;
  type: number;
  message: string;
  location?: SourceLocation;
}

/** Records of one (owner, type), with the RRSIGs covering them. */
export interface RRset {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  /** The TTL of every record (normalised to the lowest when they differed). */
  readonly ttl: number;
  readonly records: readonly RR[];
  readonly sigs: readonly RR[];
}

interface MutableRRset {
  name: Name;
  type: number;
  class: number;
  ttl: number;
  records: RR[];
  sigs: RR[];
}

export class ZoneNode {
  readonly name: Name;
  /** `name.key`. */
  readonly key: string;
  /** A string whose code-unit order is the RFC 4034 6.1 canonical order of names. */
  readonly sortKey: string;
  /** RRsets by type. RRSIGs are not an entry here: see `sigs` and each RRset's `sigs`. */
  readonly rrsets = new Map<number, RRset>();
  /** Every RRSIG at this owner, whatever it covers. */
  readonly sigs: RR[] = [];
  /** The zone apex. */
  apex = false;
  /** A delegation point: NS at a name below the apex. */
  cut = false;
  /** Below a delegation point or below a DNAME: glue or unreachable data. */
  occluded = false;

  constructor(name: Name) {
    this.name = name;
    this.key = name.key;
    this.sortKey = canonicalSortKey(this.key);
  }

  /** No records at all here: an empty non-terminal (exists only because of descendants). */
  get isEmptyNonTerminal(): boolean {
    return this.rrsets.size === 0 && this.sigs.length === 0;
  }

  get(type: number): RRset | undefined {
    return this.rrsets.get(type);
  }

  has(type: number): boolean {
    return this.rrsets.has(type);
  }
}

/** An NSEC3 record of the chain, keyed by its hash (the first owner label, lower-case base32hex). */
export interface Nsec3Entry {
  readonly hash: string;
  readonly rrset: RRset;
}

export interface Nsec3Params {
  hashAlgorithm: number;
  iterations: number;
  salt: Uint8Array;
}

export interface BuildZoneOptions {
  /** Where each record came from (parallel to `records`), for error messages. */
  locations?: readonly (SourceLocation | undefined)[];
}

/**
 * Sort key for a canonical name key (lower-cased wire form): labels right to left, each
 * octet shifted up by one and labels separated by 0, so that plain string comparison gives
 * RFC 4034 6.1 order (shorter label first when one is a prefix of the other, ancestors first).
 */
export function canonicalSortKey(key: string): string {
  const labels: string[] = [];
  let p = 0;
  for (;;) {
    const len = key.charCodeAt(p);
    if (len === 0 || Number.isNaN(len)) break;
    let l = '';
    for (let i = p + 1; i <= p + len; i++) l += String.fromCharCode(key.charCodeAt(i) + 1);
    labels.push(l);
    p += len + 1;
  }
  labels.reverse();
  return labels.join('\0');
}

/** Parent key of a non-root name key (string slice, no allocation of a Name). */
export function parentKey(key: string): string {
  return key.slice(key.charCodeAt(0) + 1);
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function rrsigCovered(rr: RR): number {
  return (rr.data as RrsigData).typeCovered;
}

export class Zone {
  readonly origin: Name;
  readonly class: number;
  readonly apex: ZoneNode;
  /** The apex SOA record. */
  readonly soa: RR;
  readonly warnings: readonly ZoneWarning[];
  /** Contains RRSIG records. */
  readonly signed: boolean;
  /** Which denial-of-existence records the zone carries. */
  readonly denial: 'nsec' | 'nsec3' | 'none';
  /** From NSEC3PARAM at the apex, else from the first NSEC3 record. */
  readonly nsec3Params: Nsec3Params | undefined;
  readonly #nodes: Map<string, ZoneNode>;
  readonly #sorted: ZoneNode[];
  readonly #nsecNodes: ZoneNode[];
  readonly #nsec3: Nsec3Entry[];

  private constructor(
    origin: Name,
    klass: number,
    nodes: Map<string, ZoneNode>,
    nsec3: Nsec3Entry[],
    warnings: ZoneWarning[],
    signed: boolean,
  ) {
    this.origin = origin;
    this.class = klass;
    this.#nodes = nodes;
    this.apex = nodes.get(origin.key)!;
    this.soa = this.apex.get(RRType.SOA)!.records[0];
    this.warnings = warnings;
    this.signed = signed;
    this.#sorted = [...nodes.values()].sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    this.#nsecNodes = this.#sorted.filter((n) => n.has(RRType.NSEC) && !n.occluded);
    this.#nsec3 = nsec3.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    this.denial = this.#nsec3.length > 0 ? 'nsec3' : this.#nsecNodes.length > 0 ? 'nsec' : 'none';
    let params: Nsec3Params | undefined;
    const p = this.apex.get(RRType.NSEC3PARAM)?.records[0]?.data as Nsec3ParamData | undefined;
    if (p) params = { hashAlgorithm: p.hashAlgorithm, iterations: p.iterations, salt: p.salt };
    else if (this.#nsec3.length > 0) {
      const d = this.#nsec3[0].rrset.records[0].data as Nsec3Data;
      params = { hashAlgorithm: d.hashAlgorithm, iterations: d.iterations, salt: d.salt };
    }
    this.nsec3Params = params;
  }

  /** Builds a zone from a parsed master file. */
  static fromParsed(parsed: ParsedZoneFile): Zone {
    return Zone.build(parsed.origin, parsed.records, { locations: parsed.locations });
  }

  /** Builds and validates a zone. Throws ZoneError. */
  static build(origin: Name, records: readonly RR[], opts: BuildZoneOptions = {}): Zone {
    const locs = opts.locations;
    const at = (i: number) => locs?.[i];
    const warnings: ZoneWarning[] = [];
    const nodes = new Map<string, ZoneNode>();
    const nsec3Sets = new Map<string, { rrset: MutableRRset; loc: SourceLocation | undefined }>();
    const seen = new Map<string, { rrset: MutableRRset; rdatas: Set<string> }>();
    let klass: number | undefined;
    let signed = false;

    const nodeFor = (name: Name): ZoneNode => {
      let n = nodes.get(name.key);
      if (n) return n;
      n = new ZoneNode(name);
      nodes.set(n.key, n);
      // Create every ancestor up to the apex (empty non-terminals).
      let k = n.key;
      let cur = name;
      while (k.length > origin.key.length) {
        k = parentKey(k);
        cur = cur.parent();
        if (nodes.has(k)) break;
        nodes.set(k, new ZoneNode(cur));
      }
      return n;
    };
    nodeFor(origin).apex = true;

    for (let i = 0; i < records.length; i++) {
      const rr = records[i];
      if (!rr.name.isSubdomainOf(origin)) {
        throw new ZoneError('out-of-zone', rr.name, `${rr.name} is outside the zone ${origin}`, at(i));
      }
      if (klass === undefined) klass = rr.class;
      else if (rr.class !== klass) {
        throw new ZoneError(
          'class-mismatch',
          rr.name,
          `${rr.name}: class ${classToText(rr.class)} differs from ${classToText(klass)}`,
          at(i),
        );
      }
      // Duplicates and TTL normalisation per (owner, type[, covered type]).
      const isSig = rr.type === RRType.RRSIG;
      const setKey = `${rr.name.key}/${rr.type}${isSig ? `/${rrsigCovered(rr)}` : ''}`;
      const rdata = latin1(canonicalRdata(rr.type, rr.data));
      let group = seen.get(setKey);
      const typeName = isSig ? `RRSIG(${typeToText(rrsigCovered(rr))})` : typeToText(rr.type);
      if (group) {
        if (group.rdatas.has(rdata)) {
          warnings.push({
            code: 'duplicate',
            owner: rr.name,
            type: rr.type,
            message: `${rr.name} ${typeName}: duplicate record removed`,
            location: at(i),
          });
          continue;
        }
        const set = group.rrset;
        if (rr.ttl !== set.ttl) {
          const ttl = Math.min(rr.ttl, set.ttl);
          warnings.push({
            code: 'ttl-mismatch',
            owner: rr.name,
            type: rr.type,
            message: `${rr.name} ${typeName}: TTL ${rr.ttl} differs from ${set.ttl} in the same RRset; using ${ttl}`,
            location: at(i),
          });
          if (ttl !== set.ttl) {
            set.ttl = ttl;
            for (const r of set.records) r.ttl = ttl;
          }
        }
        const copy = { ...rr, ttl: set.ttl };
        set.records.push(copy);
        group.rdatas.add(rdata);
      } else {
        const copy = { ...rr };
        const set: MutableRRset = {
          name: rr.name,
          type: rr.type,
          class: rr.class,
          ttl: rr.ttl,
          records: [copy],
          sigs: [],
        };
        group = { rrset: set, rdatas: new Set([rdata]) };
        seen.set(setKey, group);
        if (rr.type === RRType.NSEC3) {
          nsec3Sets.set(rr.name.key, { rrset: set, loc: at(i) });
        } else if (!isSig) {
          nodeFor(rr.name).rrsets.set(rr.type, set);
        }
      }
      if (isSig) signed = true;
    }

    // Attach signatures now that every RRset exists (a signature may precede its RRset).
    for (const [setKey, g] of seen) {
      const set = g.rrset;
      if (set.type !== RRType.RRSIG) continue;
      const covered = Number(setKey.slice(setKey.lastIndexOf('/') + 1));
      if (covered === RRType.NSEC3) {
        // RRSIG(NSEC3) without its NSEC3 is dropped.
        nsec3Sets.get(set.name.key)?.rrset.sigs.push(...set.records);
        continue;
      }
      const node = nodeFor(set.name);
      node.sigs.push(...set.records);
      const target = node.rrsets.get(covered) as MutableRRset | undefined;
      if (target) target.sigs.push(...set.records);
    }

    const nsec3: Nsec3Entry[] = [];
    for (const [key, e] of nsec3Sets) {
      if (parentKey(key) !== origin.key) {
        throw new ZoneError(
          'bad-nsec3',
          e.rrset.name,
          `NSEC3 owner ${e.rrset.name} is not directly below the apex`,
          e.loc,
        );
      }
      nsec3.push({ hash: key.slice(1, 1 + key.charCodeAt(0)), rrset: e.rrset });
    }

    const locOf = (name: Name, type: number): SourceLocation | undefined => {
      if (!locs) return undefined;
      const i = records.findIndex((r) => r.type === type && r.name.equals(name));
      return i >= 0 ? locs[i] : undefined;
    };

    // Apex checks.
    const apex = nodes.get(origin.key)!;
    const soa = apex.get(RRType.SOA);
    if (!soa) throw new ZoneError('missing-soa', origin, `zone ${origin} has no SOA record at its apex`);
    if (soa.records.length > 1) {
      throw new ZoneError(
        'multiple-soa',
        origin,
        `zone ${origin} has ${soa.records.length} SOA records`,
        locOf(origin, RRType.SOA),
      );
    }
    if (!apex.has(RRType.NS))
      throw new ZoneError('missing-apex-ns', origin, `zone ${origin} has no NS records at its apex`);

    // Per-node checks and flags, parents before children.
    const byDepth = [...nodes.values()].sort((a, b) => a.key.length - b.key.length);
    for (const node of byDepth) {
      if (!node.apex) {
        const parent = nodes.get(parentKey(node.key))!;
        node.occluded = parent.occluded || parent.cut || parent.has(RRType.DNAME);
        node.cut = node.has(RRType.NS);
        if (node.has(RRType.SOA)) {
          throw new ZoneError(
            'soa-not-at-apex',
            node.name,
            `SOA record at ${node.name}, not at the apex ${origin}`,
            locOf(node.name, RRType.SOA),
          );
        }
      }
      const cname = node.get(RRType.CNAME);
      if (cname) {
        if (cname.records.length > 1) {
          throw new ZoneError(
            'multiple-cname',
            node.name,
            `${node.name} has ${cname.records.length} CNAME records`,
            locOf(node.name, RRType.CNAME),
          );
        }
        for (const t of node.rrsets.keys()) {
          if (t !== RRType.CNAME && t !== RRType.NSEC) {
            throw new ZoneError(
              'cname-and-other-data',
              node.name,
              `${node.name} has a CNAME and other data (${typeToText(t)})`,
              locOf(node.name, RRType.CNAME),
            );
          }
        }
      }
      const dname = node.get(RRType.DNAME);
      if (dname && dname.records.length > 1) {
        throw new ZoneError(
          'multiple-dname',
          node.name,
          `${node.name} has ${dname.records.length} DNAME records`,
          locOf(node.name, RRType.DNAME),
        );
      }
    }

    return new Zone(origin, klass ?? soa.class, nodes, nsec3, warnings, signed);
  }

  /** The node of a name (ENTs included), or undefined. */
  node(name: Name): ZoneNode | undefined {
    return this.#nodes.get(name.key);
  }

  /** The node of a canonical key (`Name.key`). */
  nodeByKey(key: string): ZoneNode | undefined {
    return this.#nodes.get(key);
  }

  rrset(name: Name, type: number): RRset | undefined {
    return this.#nodes.get(name.key)?.get(type);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Every node (empty non-terminals and occluded names included) in canonical order. */
  nodes(): readonly ZoneNode[] {
    return this.#sorted;
  }

  /** Nodes carrying an NSEC RRset (not occluded), in canonical order. */
  nsecNodes(): readonly ZoneNode[] {
    return this.#nsecNodes;
  }

  /** The NSEC3 chain in hash order. */
  nsec3Chain(): readonly Nsec3Entry[] {
    return this.#nsec3;
  }

  /** Every record: names in canonical order, the SOA first, then types ascending, RRSIGs after what they cover; NSEC3 last. */
  *records(): Generator<RR> {
    for (const node of this.#sorted) {
      const types = [...node.rrsets.keys()].sort((a, b) => a - b);
      if (node.apex) {
        const i = types.indexOf(RRType.SOA);
        types.splice(i, 1);
        types.unshift(RRType.SOA);
      }
      for (const t of types) yield* node.rrsets.get(t)!.records;
      yield* node.sigs;
    }
    for (const e of this.#nsec3) {
      yield* e.rrset.records;
      yield* e.rrset.sigs;
    }
  }

  /** The SOA's data. */
  get soaData(): SoaData {
    return this.soa.data as SoaData;
  }

  /** The NSEC3 entry whose hash is `hash` (lower-case base32hex), or undefined. */
  nsec3Matching(hash: string): Nsec3Entry | undefined {
    const c = this.#nsec3;
    let lo = 0;
    let hi = c.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const h = c[mid].hash;
      if (h === hash) return c[mid];
      if (h < hash) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The NSEC3 entry covering `hash`: the last one with a smaller hash, wrapping to the last of the chain. */
  nsec3Covering(hash: string): Nsec3Entry | undefined {
    const c = this.#nsec3;
    if (c.length === 0) return undefined;
    const i = lastBelow(c.length, (k) => c[k].hash < hash);
    return c[i < 0 ? c.length - 1 : i];
  }

  /** The NSEC node covering a name's sort key: the last one before it, wrapping to the last of the chain. */
  nsecCovering(sortKey: string): ZoneNode | undefined {
    const c = this.#nsecNodes;
    if (c.length === 0) return undefined;
    const i = lastBelow(c.length, (k) => c[k].sortKey < sortKey);
    return c[i < 0 ? c.length - 1 : i];
  }
}

/** Index of the last element for which `below` holds (a monotone prefix), or -1. */
function lastBelow(n: number, below: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
