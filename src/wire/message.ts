import { RRType } from './constants.js';
import { decodeOptions, type Edns, encodeOption, optionLength, paddingFor } from './edns.js';
import { WireError } from './errors.js';
import { NameMode } from './fields.js';
import { Name } from './name.js';
import { decodeRdata, encodeRdata, type RData } from './rdata.js';
import { WireReader } from './reader.js';
import { WireWriter } from './writer.js';

export interface Question {
  name: Name;
  type: number;
  class: number;
}

export interface RR {
  name: Name;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

/**
 * A DNS message. `rcode` is the full (extended, 12-bit) response code: its upper
 * 8 bits travel in the OPT record. The OPT pseudo-RR is not in `additionals`; it is
 * `edns`.
 */
export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The reserved Z bit (must be zero; kept as received). */
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: Question[];
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
  edns?: Edns;
}

/** A message with every field defaulted; override what you need. */
export function newMessage(init: Partial<Message> = {}): Message {
  return {
    id: 0,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...init,
  };
}

/** Decodes a whole message. Any malformation throws WireError (never anything else). */
export function decodeMessage(data: Uint8Array): Message {
  if (data.length < 12)
    throw new WireError('truncated', `message of ${data.length} octets is shorter than a header`, 0);
  if (data.length > 65535) throw new WireError('message-too-long', `message of ${data.length} octets`, 0);
  const r = new WireReader(data);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  const ar = r.u16();
  // Each question takes at least 5 octets and each record at least 11: reject impossible
  // counts before allocating for them (a 12-octet packet must not cost 4 arrays of 65535).
  if (qd * 5 + (an + ns + ar) * 11 > data.length - 12)
    throw new WireError('truncated', `counts ${qd}/${an}/${ns}/${ar} do not fit in ${data.length} octets`, 4);
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const name = r.name();
    const type = r.u16();
    questions.push({ name, type, class: r.u16() });
  }
  const answers = decodeSection(r, an, false);
  const authorities = decodeSection(r, ns, false);
  const additionals: RR[] = [];
  let edns: Edns | undefined;
  let rcode = flags & 0xf;
  for (let i = 0; i < ar; i++) {
    const at = r.pos;
    const name = r.name();
    const type = r.u16();
    if (type === RRType.OPT) {
      if (edns !== undefined) throw new WireError('bad-opt', 'more than one OPT record', at);
      if (!name.isRoot()) throw new WireError('bad-opt', 'OPT owner is not the root', at);
      const udpSize = r.u16();
      const ttl = r.u32();
      const rdlen = r.u16();
      const end = r.pos + rdlen;
      if (end > r.end) throw new WireError('truncated', 'OPT RDATA', at);
      rcode |= (ttl >>> 24) << 4;
      edns = {
        udpSize,
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
        zFlags: ttl & 0x7fff,
        options: decodeOptions(r, end),
      };
      continue;
    }
    additionals.push(decodeRR(r, name, type));
  }
  if (r.pos !== data.length)
    throw new WireError('trailing-data', `${data.length - r.pos} octets after the last record`, r.pos);
  const msg: Message = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode,
    questions,
    answers,
    authorities,
    additionals,
  };
  if (edns !== undefined) msg.edns = edns;
  return msg;
}

function decodeSection(r: WireReader, count: number, _additional: boolean): RR[] {
  const out: RR[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const name = r.name();
    const type = r.u16();
    if (type === RRType.OPT) throw new WireError('bad-opt', 'OPT outside the additional section', at);
    out[i] = decodeRR(r, name, type);
  }
  return out;
}

function decodeRR(r: WireReader, name: Name, type: number): RR {
  const klass = r.u16();
  const ttl = r.u32();
  const rdlen = r.u16();
  const end = r.pos + rdlen;
  if (end > r.end) throw new WireError('truncated', `RDATA of ${rdlen} octets overruns the message`, r.pos);
  return { name, type, class: klass, ttl, data: decodeRdata(type, r, end) };
}

export interface EncodeOptions {
  /** Compress names (default true). */
  compress?: boolean;
  /**
   * Size limit: records that do not fit are left out, whole RRsets at a time, and TC is
   * set when the answer (or, for answers without records, the authority) section lost
   * records or a `required` additional record did not fit (RFC 2181 9, RFC 9471).
   */
  maxSize?: number;
  /** Additional records whose absence must set TC (in-domain glue, RFC 9471). */
  required?: (rr: RR) => boolean;
  /** EDNS padding block (RFC 8467: 128 for queries, 468 for responses); needs `edns`. */
  padBlock?: number;
}

function flagsOf(m: Message, rcodeLow: number): number {
  return (
    (m.qr ? 0x8000 : 0) |
    ((m.opcode & 0xf) << 11) |
    (m.aa ? 0x0400 : 0) |
    (m.tc ? 0x0200 : 0) |
    (m.rd ? 0x0100 : 0) |
    (m.ra ? 0x0080 : 0) |
    (m.z ? 0x0040 : 0) |
    (m.ad ? 0x0020 : 0) |
    (m.cd ? 0x0010 : 0) |
    rcodeLow
  );
}

function encodeRR(w: WireWriter, rr: RR, compress: boolean): void {
  w.name(rr.name, compress);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.pos;
  w.u16(0);
  const start = w.pos;
  encodeRdata(rr.type, rr.data, w, compress ? NameMode.Compress : NameMode.Plain);
  const len = w.pos - start;
  if (len > 0xffff) throw new WireError('bad-rdata', 'RDATA longer than 65535 octets');
  w.setU16(lenAt, len);
}

/** Writes one RR; false (with the writer past `budget` or the message limit) when it does not fit. */
function encodeRRWithin(w: WireWriter, rr: RR, compress: boolean, budget: number): boolean {
  try {
    encodeRR(w, rr, compress);
  } catch (e) {
    if (e instanceof WireError && e.code === 'message-too-long') return false;
    throw e;
  }
  return w.pos <= budget;
}

function optLength(m: Message, padBlock: number | undefined): number {
  if (m.edns === undefined) return 0;
  let n = 11;
  for (const o of m.edns.options) if (o.kind !== 'padding' || !padBlock) n += optionLength(o);
  if (padBlock) n += 4;
  return n;
}

/** Encodes a message. See EncodeOptions for truncation and padding. */
export function encodeMessage(m: Message, opts: EncodeOptions = {}): Uint8Array {
  const compress = opts.compress !== false;
  const maxSize = opts.maxSize ?? 65535;
  if (m.rcode > 0xf && m.edns === undefined)
    throw new WireError('bad-opt', `rcode ${m.rcode} needs EDNS (extended rcode)`);
  const w = new WireWriter({ compress, limit: 65535 });
  try {
    const optLen = optLength(m, opts.padBlock);
    const budget = maxSize - optLen;
    w.u16(m.id);
    w.u16(0); // flags, patched below
    w.u16(m.questions.length);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    for (const q of m.questions) {
      w.name(q.name, compress);
      w.u16(q.type);
      w.u16(q.class);
    }
    if (w.pos > budget) throw new WireError('message-too-long', `question does not fit in ${maxSize} octets`);
    let tc = m.tc;
    const counts = [0, 0, 0];
    const sections = [m.answers, m.authorities, m.additionals];
    let stop = false;
    for (let s = 0; s < 3 && !stop; s++) {
      const rrs = sections[s];
      let setStart = w.mark();
      let setCount = 0;
      for (let i = 0; i < rrs.length; i++) {
        const rr = rrs[i];
        const prev = i > 0 ? rrs[i - 1] : undefined;
        if (prev === undefined || prev.type !== rr.type || prev.class !== rr.class || !prev.name.equals(rr.name)) {
          setStart = w.mark();
          setCount = counts[s];
        }
        if (!encodeRRWithin(w, rr, compress, budget)) {
          // Whole RRsets only (RFC 2181 9): drop the part of this RRset already written.
          w.rollback(setStart);
          counts[s] = setCount;
          if (s === 0 || (s === 1 && m.answers.length === 0) || (s === 2 && opts.required?.(rr))) tc = true;
          stop = true;
          break;
        }
        counts[s]++;
      }
    }
    if (m.edns !== undefined) {
      const e = m.edns;
      w.u8(0);
      w.u16(RRType.OPT);
      w.u16(e.udpSize);
      w.u32(
        (((m.rcode >>> 4) & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.dnssecOk ? 0x8000 : 0) | (e.zFlags & 0x7fff),
      );
      const rdlenAt = w.pos;
      w.u16(0);
      const start = w.pos;
      for (const o of e.options) if (o.kind !== 'padding' || !opts.padBlock) encodeOption(w, o);
      if (opts.padBlock) {
        const pad = paddingFor(w.pos, opts.padBlock, maxSize);
        encodeOption(w, { kind: 'padding', length: pad });
      }
      w.setU16(rdlenAt, w.pos - start);
      counts[2]++;
    }
    w.setU16(2, flagsOf(m, m.rcode & 0xf) | (tc ? 0x0200 : 0));
    w.setU16(6, counts[0]);
    w.setU16(8, counts[1]);
    w.setU16(10, counts[2]);
    return w.finish();
  } catch (e) {
    w.release();
    throw e;
  }
}

/** Builds a query message. */
export function makeQuery(
  name: Name | string,
  type: number,
  opts: {
    id?: number;
    rd?: boolean;
    cd?: boolean;
    ad?: boolean;
    dnssecOk?: boolean;
    udpSize?: number;
    edns?: boolean;
  } = {},
): Message {
  const n = typeof name === 'string' ? Name.fromText(name.endsWith('.') ? name : `${name}.`) : name;
  const m = newMessage({
    id: opts.id ?? 0,
    rd: opts.rd ?? false,
    cd: opts.cd ?? false,
    ad: opts.ad ?? false,
    questions: [{ name: n, type, class: 1 }],
  });
  if (opts.edns !== false)
    m.edns = { udpSize: opts.udpSize ?? 1232, version: 0, dnssecOk: opts.dnssecOk ?? false, zFlags: 0, options: [] };
  return m;
}
