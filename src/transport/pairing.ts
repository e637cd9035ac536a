/**
 * Pairing a reply with its query (RFC 5452 9.1, RFC 7766 7): same ID, QR set, same opcode, same question
 * (QNAME compared case-insensitively, QTYPE and QCLASS exactly). It runs on raw bytes, before anything decodes the
 * reply, so a spoofed or stray datagram costs a few comparisons and is never parsed (like Knot's
 * `is_paired_to_query`). 0x20 case checks, if any, belong to the resolver, which sees the decoded name's case.
 */
import { TransportError } from './errors.js';
import { HEADER_LENGTH, MAX_MESSAGE } from './limits.js';

/** What a reply must echo; computed once per query. */
export interface QuerySignature {
  /** The ID the caller put in the query. */
  readonly id: number;
  readonly opcode: number;
  /** 0 or 1. */
  readonly qdcount: number;
  /** QNAME in wire form, ASCII lower-cased (empty when qdcount is 0). */
  readonly qname: Uint8Array;
  readonly qtype: number;
  readonly qclass: number;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** Reads what pairing needs from an outgoing query; throws 'bad-query' for bytes that cannot be paired. */
export function signatureOf(wire: Uint8Array): QuerySignature {
  if (wire.length < HEADER_LENGTH)
    throw new TransportError('bad-query', `query of ${wire.length} octets is shorter than a header`);
  if (wire.length > MAX_MESSAGE) throw new TransportError('bad-query', `query of ${wire.length} octets`);
  if ((wire[2] & 0x80) !== 0) throw new TransportError('bad-query', 'QR is set: not a query');
  const id = (wire[0] << 8) | wire[1];
  const opcode = (wire[2] >>> 3) & 0xf;
  const qdcount = (wire[4] << 8) | wire[5];
  if (qdcount > 1) throw new TransportError('bad-query', `${qdcount} questions (at most one can be paired)`);
  if (qdcount === 0) return { id, opcode, qdcount, qname: new Uint8Array(0), qtype: 0, qclass: 0 };
  let p = HEADER_LENGTH;
  for (;;) {
    if (p >= wire.length) throw new TransportError('bad-query', 'question name runs past the end');
    const len = wire[p];
    if (len === 0) break;
    if (len > 63)
      throw new TransportError('bad-query', `compressed or invalid label (0x${len.toString(16)}) in question`);
    p += len + 1;
    if (p - HEADER_LENGTH > 255) throw new TransportError('bad-query', 'question name longer than 255 octets');
  }
  p++;
  if (p + 4 > wire.length) throw new TransportError('bad-query', 'question type and class run past the end');
  const qname = new Uint8Array(p - HEADER_LENGTH);
  for (let i = 0; i < qname.length; i++) qname[i] = lower(wire[HEADER_LENGTH + i]);
  return {
    id,
    opcode,
    qdcount,
    qname,
    qtype: (wire[p] << 8) | wire[p + 1],
    qclass: (wire[p + 2] << 8) | wire[p + 3],
  };
}

/** Why a reply was not paired ('ok' when it was). */
export type PairResult = 'ok' | 'short' | 'id' | 'not-response' | 'question';

/**
 * Checks a reply against a query signature. `sentId` is the ID actually on the wire (transports randomise it);
 * the reply must echo that, not the caller's.
 */
export function pairReply(reply: Uint8Array, sig: QuerySignature, sentId: number): PairResult {
  if (reply.length < HEADER_LENGTH) return 'short';
  if (((reply[0] << 8) | reply[1]) !== sentId) return 'id';
  const flags = reply[2];
  if ((flags & 0x80) === 0 || ((flags >>> 3) & 0xf) !== sig.opcode) return 'not-response';
  const qdcount = (reply[4] << 8) | reply[5];
  if (qdcount !== sig.qdcount) return 'question';
  if (qdcount === 0) return 'ok';
  const q = sig.qname;
  const end = HEADER_LENGTH + q.length;
  if (end + 4 > reply.length) return 'question';
  // Label lengths are <= 63, below 'A', so lower-casing every name octet never changes a length octet.
  for (let i = 0; i < q.length; i++) if (lower(reply[HEADER_LENGTH + i]) !== q[i]) return 'question';
  if (((reply[end] << 8) | reply[end + 1]) !== sig.qtype) return 'question';
  if (((reply[end + 2] << 8) | reply[end + 3]) !== sig.qclass) return 'question';
  return 'ok';
}

/** A copy of `wire` with its ID replaced (the caller's bytes are never modified). */
export function withId(wire: Uint8Array, id: number): Uint8Array {
  const out = new Uint8Array(wire.length);
  out.set(wire);
  out[0] = id >>> 8;
  out[1] = id & 0xff;
  return out;
}

/** Writes `id` into `wire` in place. */
export function setId(wire: Uint8Array, id: number): void {
  wire[0] = id >>> 8;
  wire[1] = id & 0xff;
}
