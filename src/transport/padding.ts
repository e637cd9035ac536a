/**
 * EDNS(0) padding of raw query bytes (RFC 7830, RFC 8467 4.1 block-length policy), for callers of `query()` that
 * hand the transport wire bytes instead of a Message. Only encrypted transports pad (RFC 7830 6); the Transport
 * facade calls this for 'dot' and 'doh'. It works on the bytes without decoding the message, and it never modifies
 * them: a padded copy is returned, or the same array when nothing is to be done.
 *
 * The query is left as it is when it has no OPT record (padding needs EDNS), already carries a Padding option (the
 * caller chose its padding, e.g. `exchange(..., { padBlock })`), carries TSIG or SIG(0) (their signature covers
 * the OPT record), or cannot be walked (the transport then reports it as it would unpadded bytes).
 */
import { EdnsOption, paddingFor, RRType } from '../wire/index.js';
import { HEADER_LENGTH, MAX_MESSAGE } from './limits.js';

/** Offset just past the (possibly compressed) name at `p`, or -1 if it runs off the end or is invalid. */
function skipName(wire: Uint8Array, p: number): number {
  for (let labels = 0; labels < 128; labels++) {
    if (p >= wire.length) return -1;
    const len = wire[p];
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= wire.length ? p + 2 : -1;
    if (len > 63) return -1;
    p += len + 1;
  }
  return -1;
}

interface OptLocation {
  /** Offset of the OPT record's RDLENGTH field. */
  rdlength: number;
  /** Offset of its RDATA and the RDATA's length. */
  rdata: number;
  length: number;
}

/** Finds the single OPT record; undefined if absent, repeated, or if the message has TSIG/SIG(0) or is malformed. */
function locateOpt(wire: Uint8Array): OptLocation | undefined {
  if (wire.length < HEADER_LENGTH) return undefined;
  const count = (i: number) => (wire[i] << 8) | wire[i + 1];
  const qd = count(4);
  const records = count(6) + count(8);
  const ar = count(10);
  let p = HEADER_LENGTH;
  for (let i = 0; i < qd; i++) {
    p = skipName(wire, p);
    if (p < 0 || p + 4 > wire.length) return undefined;
    p += 4;
  }
  let opt: OptLocation | undefined;
  for (let i = 0; i < records + ar; i++) {
    p = skipName(wire, p);
    if (p < 0 || p + 10 > wire.length) return undefined;
    const type = (wire[p] << 8) | wire[p + 1];
    const rdlength = (wire[p + 8] << 8) | wire[p + 9];
    const rdata = p + 10;
    if (rdata + rdlength > wire.length) return undefined;
    if (i >= records) {
      if (type === RRType.TSIG || type === RRType.SIG) return undefined;
      if (type === RRType.OPT) {
        if (opt !== undefined) return undefined;
        opt = { rdlength: p + 8, rdata, length: rdlength };
      }
    }
    p = rdata + rdlength;
  }
  return p === wire.length ? opt : undefined;
}

/** Whether the OPT RDATA holds a Padding option; undefined if the options do not parse. */
function hasPadding(wire: Uint8Array, opt: OptLocation): boolean | undefined {
  const end = opt.rdata + opt.length;
  for (let p = opt.rdata; p < end; ) {
    if (p + 4 > end) return undefined;
    const code = (wire[p] << 8) | wire[p + 1];
    const len = (wire[p + 2] << 8) | wire[p + 3];
    if (code === EdnsOption.PADDING) return true;
    p += 4 + len;
    if (p > end) return undefined;
  }
  return false;
}

/** `wire` with a Padding option that makes its length a multiple of `block` (see the file comment for exceptions). */
export function padQuery(wire: Uint8Array, block: number): Uint8Array {
  if (!Number.isInteger(block) || block < 2 || wire.length % block === 0) return wire;
  const opt = locateOpt(wire);
  if (opt === undefined || hasPadding(wire, opt) !== false) return wire;
  if (wire.length + 4 > MAX_MESSAGE || opt.length + 4 > 0xffff) return wire;
  const pad = Math.min(paddingFor(wire.length, block, MAX_MESSAGE), 0xffff - opt.length - 4);
  const added = 4 + pad;
  const insertAt = opt.rdata + opt.length;
  const out = new Uint8Array(wire.length + added);
  out.set(wire.subarray(0, insertAt), 0);
  const rdlength = opt.length + added;
  out[opt.rdlength] = rdlength >>> 8;
  out[opt.rdlength + 1] = rdlength & 0xff;
  out[insertAt] = EdnsOption.PADDING >>> 8;
  out[insertAt + 1] = EdnsOption.PADDING & 0xff;
  out[insertAt + 2] = pad >>> 8;
  out[insertAt + 3] = pad & 0xff;
  // The padding octets stay zero (RFC 7830 3).
  out.set(wire.subarray(insertAt), insertAt + added);
  return out;
}
