/**
 * The authoritative lookup of RFC 1034 4.3.2 as a pure, synchronous function from a query
 * to a response, over the zones of one server.
 *
 * Per step (one name of a CNAME/DNAME chain): walk from the query name up to the zone apex
 * through the name tree; the highest delegation point (NS below the apex) or DNAME at a
 * proper ancestor decides first (a referral, or DNAME substitution per RFC 6672); else an
 * exact match answers (or yields a CNAME to follow, or NODATA); else the wildcard at the
 * closest encloser is synthesised (RFC 4592: only when the name does not exist, empty
 * non-terminals included); else NXDOMAIN.
 *
 * With the DO bit and a signed zone, RRsets go out with their RRSIGs, referrals carry DS
 * or the proof that there is none, and negative and wildcard answers carry NSEC or NSEC3
 * proofs (see denial.ts).
 *
 * The records in the response are the zone's own objects (wildcard and SOA-TTL copies
 * aside): callers must not mutate them. Truncation is left to the encoder
 * (`encodeMessage` with `maxSize`; glue that must fit: see `isRequiredGlue`).
 */
import {
  type Message,
  type MxData,
  type Name,
  type NameData,
  newMessage,
  Opcode,
  Rcode,
  type RR,
  RRClass,
  RRType,
  type SoaData,
  type SrvData,
  WireError,
} from '../wire/index.js';
import {
  noDsProof,
  nodataProof,
  nxdomainProof,
  wildcardAnswerProof,
  wildcardKey,
  wildcardNodataProof,
} from './denial.js';
import { parentKey, type RRset, type Zone, type ZoneNode } from './zone.js';
import type { ZoneSet } from './zoneset.js';

/** UDP payload size we advertise (DNS flag day 2020). */
export const EDNS_UDP_SIZE = 1232;
/** Longest CNAME/DNAME chain followed in one response (BIND and NSD use comparable bounds). */
export const MAX_CHAIN = 16;

const MAILB = 253;
const MAILA = 254;

export interface AnswerOptions {
  /**
   * Put the zone's NS RRset in the authority section of positive answers, with addresses
   * of in-zone name servers in the additional section (classic RFC 1034 responses, NSD's
   * and BIND's default). Default false: minimal responses.
   */
  authorityNs?: boolean;
  /** Longest CNAME/DNAME chain to follow (default MAX_CHAIN). */
  maxChain?: number;
}

/** Section indexes used for de-duplication keys. */
const ANSWER = 0;
const AUTHORITY = 1;
const ADDITIONAL = 2;

interface Ctx {
  res: Message;
  dnssec: boolean;
  /** `${section}|${owner key}|${type}` of every RRset already placed. */
  placed: Set<string>;
}

type Found =
  | { kind: 'node'; node: ZoneNode; wildcard: false }
  | { kind: 'node'; node: ZoneNode; wildcard: true; ce: ZoneNode; nextCloser: string }
  | { kind: 'referral'; cut: ZoneNode }
  | { kind: 'dname'; node: ZoneNode }
  | { kind: 'nxdomain'; ce: ZoneNode; nextCloser: string };

/**
 * Answers one query from the zones; never throws on any query message. A message with QR set
 * (a response) gets FORMERR: servers should drop those before calling, to avoid loops.
 */
export function answer(zones: ZoneSet, query: Message, opts: AnswerOptions = {}): Message {
  const res = newMessage({ id: query.id, qr: true, opcode: query.opcode, rd: query.rd, cd: query.cd });
  if (query.edns !== undefined) {
    res.edns = { udpSize: EDNS_UDP_SIZE, version: 0, dnssecOk: query.edns.dnssecOk, zFlags: 0, options: [] };
  }
  if (query.opcode !== Opcode.QUERY) {
    res.questions = query.questions.slice(0, 1);
    res.rcode = Rcode.NOTIMP;
    return res;
  }
  if (query.questions.length !== 1 || query.qr) {
    res.rcode = Rcode.FORMERR;
    return res;
  }
  const q = query.questions[0];
  res.questions = [q];
  if (query.edns !== undefined && query.edns.version > 0) {
    res.rcode = Rcode.BADVERS;
    return res;
  }
  switch (q.type) {
    case RRType.OPT:
    case RRType.TSIG:
    case RRType.TKEY:
      res.rcode = Rcode.FORMERR;
      return res;
    case RRType.AXFR:
    case RRType.IXFR:
      // Transfers are served by the transfer code, over TCP, with its own access control.
      res.rcode = Rcode.REFUSED;
      return res;
    case MAILA:
    case MAILB:
      res.rcode = Rcode.NOTIMP;
      return res;
  }
  let zone = zones.find(q.name, q.class, q.type);
  if (zone === undefined || (q.class !== zone.class && q.class !== RRClass.ANY)) {
    res.rcode = Rcode.REFUSED;
    return res;
  }
  const ctx: Ctx = { res, dnssec: query.edns?.dnssecOk === true, placed: new Set() };
  const maxChain = opts.maxChain ?? MAX_CHAIN;
  const qtype = q.type;
  let qname = q.name;
  let visited: Set<string> | undefined;
  for (let step = 0; ; step++) {
    const next = lookupStep(ctx, zone, qname, qtype, step === 0, opts);
    if (next === undefined) break;
    if (step + 1 >= maxChain) break;
    visited ??= new Set([q.name.key]);
    if (visited.has(next.key)) break; // a loop: what we have is the answer
    visited.add(next.key);
    const z = zones.find(next, zone.class, qtype);
    if (z === undefined) break; // the chain leaves our zones: the resolver takes it from here
    zone = z;
    qname = next;
  }
  return res;
}

/** One step of the chain; returns the name to continue with (CNAME/DNAME target), if any. */
function lookupStep(
  ctx: Ctx,
  zone: Zone,
  qname: Name,
  qtype: number,
  first: boolean,
  opts: AnswerOptions,
): Name | undefined {
  const res = ctx.res;
  const f = find(zone, qname.key, qtype);
  switch (f.kind) {
    case 'referral':
      referral(ctx, zone, f.cut);
      return undefined;
    case 'dname': {
      if (first) res.aa = true;
      const dname = f.node.get(RRType.DNAME)!;
      add(ctx, ANSWER, dname);
      const rr = dname.records[0];
      let target: Name;
      try {
        target = qname.replaceSuffix(f.node.name, (rr.data as NameData).target);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        res.rcode = Rcode.YXDOMAIN; // RFC 6672 2.2: the substituted name is too long
        return undefined;
      }
      // RFC 6672 3.1: the synthesised CNAME has the DNAME's TTL and no signature.
      res.answers.push({ name: qname, type: RRType.CNAME, class: rr.class, ttl: dname.ttl, data: { target } });
      return target;
    }
    case 'nxdomain':
      if (first) res.aa = true;
      res.rcode = Rcode.NXDOMAIN;
      negativeSoa(ctx, zone);
      if (ctx.dnssec) nxdomainProof(zone, qname.key, f.ce, f.nextCloser, (s) => add(ctx, AUTHORITY, s));
      return undefined;
    case 'node':
      break;
  }
  if (first) res.aa = true;
  res.rcode = Rcode.NOERROR;
  const node = f.node;
  // Wildcard data takes the query name; so does exact-match data when the case differs, so the
  // answer owner echoes the question as written (0x20-friendly, as NSD and BIND do).
  const owner = f.wildcard || node.name.wire !== qname.wire ? qname : undefined;
  const proveWildcard = () => {
    if (f.wildcard && ctx.dnssec) wildcardAnswerProof(zone, qname.key, f.nextCloser, (s) => add(ctx, AUTHORITY, s));
  };
  let answered = false;
  if (qtype === RRType.ANY) {
    // RFC 8482 4.1: one RRset (the lowest type, as NSD does), not the whole node.
    let pick: RRset | undefined;
    for (const set of node.rrsets.values()) if (pick === undefined || set.type < pick.type) pick = set;
    if (pick !== undefined) {
      add(ctx, ANSWER, pick, owner);
      additionalFor(ctx, zone, pick);
      answered = true;
    }
  } else if (qtype === RRType.RRSIG) {
    if (node.sigs.length > 0) {
      for (const sig of node.sigs) res.answers.push(owner ? { ...sig, name: owner } : sig);
      answered = true;
    }
  } else {
    const set = node.get(qtype);
    if (set !== undefined) {
      add(ctx, ANSWER, set, owner);
      additionalFor(ctx, zone, set);
      answered = true;
    } else {
      const cname = node.get(RRType.CNAME);
      if (cname !== undefined) {
        add(ctx, ANSWER, cname, owner);
        proveWildcard();
        return (cname.records[0].data as NameData).target;
      }
    }
  }
  if (answered) {
    proveWildcard();
    // Not for NS at the apex (already the answer), nor for DS and DNSKEY (NSD's choice: keep
    // the responses validators ask for small).
    if (
      opts.authorityNs &&
      !(qtype === RRType.NS && node.apex) &&
      qtype !== RRType.DS &&
      qtype !== RRType.DNSKEY &&
      qtype !== RRType.ANY
    ) {
      const ns = zone.apex.get(RRType.NS)!;
      add(ctx, AUTHORITY, ns);
      additionalFor(ctx, zone, ns);
    }
    return undefined;
  }
  // NODATA
  negativeSoa(ctx, zone);
  if (ctx.dnssec) {
    const sink = (s: RRset) => add(ctx, AUTHORITY, s);
    if (f.wildcard) wildcardNodataProof(zone, qname.key, f.ce, f.nextCloser, node, sink);
    else nodataProof(zone, node, sink);
  }
  return undefined;
}

/** Walks from `qkey` up to the apex and classifies the name (see the file comment). */
function find(zone: Zone, qkey: string, qtype: number): Found {
  const apexKey = zone.origin.key;
  let k = qkey;
  let prev = '';
  let ce: ZoneNode | undefined;
  let nextCloser = '';
  let stop: ZoneNode | undefined;
  let stopIsCut = false;
  for (;;) {
    const node = zone.nodeByKey(k);
    if (node !== undefined) {
      if (ce === undefined) {
        ce = node;
        nextCloser = prev;
      }
      if (node.cut && !(k === qkey && qtype === RRType.DS)) {
        stop = node; // the parent side answers DS at a delegation point
        stopIsCut = true;
      } else if (k !== qkey && node.has(RRType.DNAME)) {
        stop = node;
        stopIsCut = false;
      }
    }
    if (k.length <= apexKey.length) break;
    prev = k;
    k = parentKey(k);
  }
  if (stop !== undefined) return stopIsCut ? { kind: 'referral', cut: stop } : { kind: 'dname', node: stop };
  // ce is defined: the apex always exists.
  const closest = ce!;
  if (closest.key === qkey) return { kind: 'node', node: closest, wildcard: false };
  const w = zone.nodeByKey(wildcardKey(closest.key));
  if (w !== undefined) return { kind: 'node', node: w, wildcard: true, ce: closest, nextCloser };
  return { kind: 'nxdomain', ce: closest, nextCloser };
}

/** Adds an RRset (and its RRSIGs under DO) to a section once; `owner` renames wildcard data. */
function add(ctx: Ctx, section: number, set: RRset, owner?: Name): void {
  const name = owner ?? set.name;
  const key = `${section}|${name.key}|${set.type}`;
  if (ctx.placed.has(key)) return;
  ctx.placed.add(key);
  const out = section === ANSWER ? ctx.res.answers : section === AUTHORITY ? ctx.res.authorities : ctx.res.additionals;
  if (owner === undefined) {
    for (const rr of set.records) out.push(rr);
    if (ctx.dnssec) for (const rr of set.sigs) out.push(rr);
  } else {
    for (const rr of set.records) out.push({ ...rr, name: owner });
    if (ctx.dnssec) for (const rr of set.sigs) out.push({ ...rr, name: owner });
  }
}

/** The SOA for negative answers, with TTL min(SOA TTL, MINIMUM) (RFC 2308 3). */
function negativeSoa(ctx: Ctx, zone: Zone): void {
  const set = zone.apex.get(RRType.SOA)!;
  const key = `${AUTHORITY}|${set.name.key}|${RRType.SOA}`;
  if (ctx.placed.has(key)) return;
  ctx.placed.add(key);
  const ttl = Math.min(set.ttl, (set.records[0].data as SoaData).minimum);
  for (const rr of set.records) ctx.res.authorities.push(rr.ttl === ttl ? rr : { ...rr, ttl });
  if (ctx.dnssec) for (const rr of set.sigs) ctx.res.authorities.push(rr.ttl === ttl ? rr : { ...rr, ttl });
}

/** A referral to the child zone at `cut` (not authoritative). */
function referral(ctx: Ctx, zone: Zone, cut: ZoneNode): void {
  const ns = cut.get(RRType.NS)!;
  const key = `${AUTHORITY}|${ns.name.key}|${RRType.NS}`;
  if (!ctx.placed.has(key)) {
    ctx.placed.add(key);
    for (const rr of ns.records) ctx.res.authorities.push(rr); // NS at a cut is never signed
  }
  if (ctx.dnssec) {
    const ds = cut.get(RRType.DS);
    if (ds !== undefined) add(ctx, AUTHORITY, ds);
    else noDsProof(zone, cut, (s) => add(ctx, AUTHORITY, s));
  }
  additionalFor(ctx, zone, ns);
}

/** Addresses of in-zone NS, MX and SRV targets (glue only for NS). */
function additionalFor(ctx: Ctx, zone: Zone, set: RRset): void {
  let glue = false;
  switch (set.type) {
    case RRType.NS:
      glue = true;
      break;
    case RRType.MX:
    case RRType.SRV:
      break;
    default:
      return;
  }
  for (const rr of set.records) {
    const target =
      set.type === RRType.NS
        ? (rr.data as NameData).target
        : set.type === RRType.MX
          ? (rr.data as MxData).exchange
          : (rr.data as SrvData).target;
    if (!target.isSubdomainOf(zone.origin)) continue;
    const node = zone.node(target);
    if (node === undefined || (node.occluded && !glue)) continue;
    const inAnswer = (type: number) => ctx.placed.has(`${ANSWER}|${node.key}|${type}`);
    // Not repeated when the answer already holds them.
    const a = inAnswer(RRType.A) ? undefined : node.get(RRType.A);
    const aaaa = inAnswer(RRType.AAAA) ? undefined : node.get(RRType.AAAA);
    if (node.occluded || node.cut) {
      // Glue is not authoritative data and is never signed.
      if (a) addUnsigned(ctx, a);
      if (aaaa) addUnsigned(ctx, aaaa);
    } else {
      if (a) add(ctx, ADDITIONAL, a);
      if (aaaa) add(ctx, ADDITIONAL, aaaa);
    }
  }
}

function addUnsigned(ctx: Ctx, set: RRset): void {
  const key = `${ADDITIONAL}|${set.name.key}|${set.type}`;
  if (ctx.placed.has(key)) return;
  ctx.placed.add(key);
  for (const rr of set.records) ctx.res.additionals.push(rr);
}

/**
 * For `encodeMessage({ required })`: address records of name servers inside the delegated
 * zone (in-domain glue) must fit, or the response is truncated (RFC 9471).
 */
export function isRequiredGlue(res: Message): (rr: RR) => boolean {
  if (res.aa || res.answers.length > 0) return () => false;
  const cuts = res.authorities.filter((r) => r.type === RRType.NS).map((r) => r.name);
  return (rr) => (rr.type === RRType.A || rr.type === RRType.AAAA) && cuts.some((c) => rr.name.isSubdomainOf(c));
}
