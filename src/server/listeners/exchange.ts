// The protocol work every listener shares: take one received DNS message, log it, decide whether
// the frame answers it itself (FORMERR, BADVERS, SERVFAIL) or drops it, call the handler, and
// encode the reply for the transport (UDP size limit and TC, RFC 7830/8467 padding on encrypted
// transports, RFC 7828 keepalive on streams).
//
// A server that works on octets (the resolver's packet cache answers without decoding) gives a
// raw handler instead: the frame then only screens the header, logs when a query log is
// configured, and passes the octets through; over DoT and DoH it still pads the reply.

import {
  decodeMessage,
  type Edns,
  type EdnsOpt,
  encodeMessage,
  type Message,
  type Name,
  newMessage,
  Opcode,
  Rcode,
  WireReader,
} from '../../wire/index.js';
import type { QueryKind, QueryLog, ServeTransport } from './querylog.js';

export interface Endpoint {
  address: string;
  port: number;
}

export interface QueryInfo {
  transport: ServeTransport;
  client: Endpoint;
  local: Endpoint;
}

/**
 * Answers one decoded query. `undefined` drops it (no reply; DoH resets the stream). A thrown
 * exception (or a rejected promise) becomes SERVFAIL. The frame fixes the reply's ID and QR bit
 * and its OPT record (present exactly when the query had one), then encodes it for the transport.
 */
export type Handler = (query: Message, info: QueryInfo) => Message | undefined | PromiseLike<Message | undefined>;

/**
 * Answers one query given as received octets, with the largest reply the transport carries
 * (`maxSize`: the server's UDP cap over UDP, 65535 on streams; the handler applies the client's
 * own EDNS limit and sets TC). Returns the reply's octets, which must carry the query's ID, or
 * `undefined` to drop it. It sees every message with QR clear, malformed ones included (it
 * answers FORMERR itself). A thrown exception (or a rejected promise) becomes SERVFAIL.
 */
export type RawHandler = (
  raw: Uint8Array,
  info: QueryInfo,
  maxSize: number,
) => Promise<Uint8Array | undefined> | Uint8Array | undefined;

/** The subset of a pino logger the server uses. */
export interface ServerLogger {
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** DNS header length; anything shorter cannot be answered. */
export const HEADER_LENGTH = 12;
/** RFC 1035 4.2.1: the UDP limit without EDNS. */
export const MIN_UDP_PAYLOAD = 512;
/** DNS Flag Day 2020: the default cap on UDP responses. */
export const DEFAULT_MAX_UDP_PAYLOAD = 1232;
/** RFC 8467 4.1: block length for padding responses. */
export const RESPONSE_PAD_BLOCK = 468;
/** Longest DNS message (the 16-bit length of a stream frame). */
export const MAX_MESSAGE = 65_535;

export interface ExchangeContext {
  /** Decoded-message handler; used when there is no `rawHandler`. */
  handler?: Handler;
  /** Octets-in, octets-out handler; when given it replaces decode → `handler` → encode. */
  rawHandler?: RawHandler;
  /** Every message received, when given; without one the frame logs nothing per query. */
  queryLog: QueryLog | undefined;
  now: () => number;
  /** Cap on UDP responses and the UDP size the server advertises in its OPT record. */
  maxUdpPayload: number;
  /** Stream idle timeout, advertised in edns-tcp-keepalive (RFC 7828). */
  idleTimeoutMs: number;
  log: ServerLogger | undefined;
}

export type DropReason = 'short' | 'response' | 'handler';

export type Outcome =
  | {
      kind: 'reply';
      wire: Uint8Array;
      /** The reply as encoded (before truncation); absent for a raw handler's reply sent as is. */
      response: Message | undefined;
      /** The decoded query; absent when the query was malformed (FORMERR) or not decoded (raw handler). */
      query: Message | undefined;
    }
  | { kind: 'drop'; reason: DropReason };

const DROP_SHORT: Outcome = Object.freeze({ kind: 'drop', reason: 'short' });
const DROP_RESPONSE: Outcome = Object.freeze({ kind: 'drop', reason: 'response' });
const DROP_HANDLER: Outcome = Object.freeze({ kind: 'drop', reason: 'handler' });

/** Processes one received message for `info.transport`. Never throws. */
export async function exchange(ctx: ExchangeContext, wire: Uint8Array, info: QueryInfo): Promise<Outcome> {
  if (wire.length < HEADER_LENGTH) return DROP_SHORT;
  if (ctx.rawHandler !== undefined) return exchangeRaw(ctx, ctx.rawHandler, wire, info);
  const id = (wire[0] << 8) | wire[1];
  const flags = (wire[2] << 8) | wire[3];
  const qr = (flags & 0x8000) !== 0;
  const opcode = (flags >>> 11) & 0xf;

  let query: Message;
  try {
    query = decodeMessage(wire);
  } catch (err) {
    // decodeMessage throws only WireError; anything else is treated the same way.
    logEntry(ctx, info, qr ? 'response' : 'malformed', id, opcode, peekQuestion(wire));
    if (qr) return { kind: 'drop', reason: 'response' };
    ctx.log?.debug?.({ err, transport: info.transport, client: info.client }, 'malformed query: FORMERR');
    const formerr = newMessage({ id, qr: true, opcode, rd: (flags & 0x0100) !== 0, rcode: Rcode.FORMERR });
    return reply(ctx, formerr, undefined, info);
  }
  const q = query.questions[0];
  if (ctx.queryLog !== undefined)
    logEntry(
      ctx,
      info,
      qr ? 'response' : 'query',
      id,
      opcode,
      q && { name: q.name.toString(), type: q.type, class: q.class },
    );
  if (qr) return { kind: 'drop', reason: 'response' };

  if (query.edns !== undefined && query.edns.version !== 0) {
    // RFC 6891 6.1.3: only version 0 is implemented; the OPT in the reply says so.
    return reply(ctx, errorReply(ctx, query, Rcode.BADVERS), query, info);
  }
  if (opcode === Opcode.QUERY && query.questions.length !== 1) {
    // RFC 9619: exactly one question (no server cookies here, so no QDCOUNT=0 cookie queries).
    return reply(ctx, errorReply(ctx, query, Rcode.FORMERR), query, info);
  }

  let response: Message | undefined;
  try {
    if (ctx.handler === undefined) return { kind: 'drop', reason: 'handler' };
    response = await ctx.handler(query, info);
  } catch (err) {
    ctx.log?.warn({ err, transport: info.transport, qname: q?.name.toString() }, 'handler threw: SERVFAIL');
    return reply(ctx, errorReply(ctx, query, Rcode.SERVFAIL), query, info);
  }
  if (response === undefined) return { kind: 'drop', reason: 'handler' };
  return reply(ctx, fixReply(ctx, query, response, info.transport), query, info);
}

/**
 * `exchange` for datagrams: the same outcome, but when a raw handler answers at once (a packet-cache hit) the
 * outcome is returned at once too, without a promise, so the listener can send the reply from the datagram's own
 * event. Never throws.
 */
export function exchangeNow(ctx: ExchangeContext, wire: Uint8Array, info: QueryInfo): Outcome | Promise<Outcome> {
  if (wire.length < HEADER_LENGTH) return DROP_SHORT;
  if (ctx.rawHandler === undefined) return exchange(ctx, wire, info);
  return exchangeRaw(ctx, ctx.rawHandler, wire, info);
}

/** The raw-handler path: header screening, optional logging, the handler's octets as the reply. */
function exchangeRaw(
  ctx: ExchangeContext,
  raw: RawHandler,
  wire: Uint8Array,
  info: QueryInfo,
): Outcome | Promise<Outcome> {
  const qr = (wire[2] & 0x80) !== 0;
  if (ctx.queryLog !== undefined) {
    const opcode = (wire[2] >>> 3) & 0xf;
    logEntry(ctx, info, qr ? 'response' : 'query', (wire[0] << 8) | wire[1], opcode, peekQuestion(wire));
  }
  if (qr) return DROP_RESPONSE;
  let out: ReturnType<RawHandler>;
  try {
    out = raw(wire, info, info.transport === 'udp' ? ctx.maxUdpPayload : MAX_MESSAGE);
  } catch (err) {
    return rawFailed(ctx, wire, info, err);
  }
  if (out === undefined || out instanceof Uint8Array) return rawOutcome(ctx, wire, out, info);
  return out.then(
    (o) => rawOutcome(ctx, wire, o, info),
    (err: unknown) => rawFailed(ctx, wire, info, err),
  );
}

function rawFailed(ctx: ExchangeContext, wire: Uint8Array, info: QueryInfo, err: unknown): Outcome {
  ctx.log?.warn({ err, transport: info.transport, client: info.client }, 'handler threw: SERVFAIL');
  return rawServfail(ctx, wire, info);
}

/** What the frame does with a raw handler's reply: checked, sent as is (padded on encrypted transports). */
function rawOutcome(ctx: ExchangeContext, wire: Uint8Array, out: Uint8Array | undefined, info: QueryInfo): Outcome {
  if (out === undefined) return DROP_HANDLER;
  if (out.length < HEADER_LENGTH || out.length > MAX_MESSAGE) {
    ctx.log?.warn({ transport: info.transport, length: out.length }, 'handler reply has a bad length: dropped');
    return DROP_HANDLER;
  }
  if (info.transport === 'dot' || info.transport === 'doh') return encryptedRaw(ctx, wire, out, info);
  return { kind: 'reply', wire: out, response: undefined, query: undefined };
}

/**
 * A raw reply on an encrypted transport: re-encoded through the decoded path so that it gets
 * RFC 8467 padding and RFC 7828 keepalive like any other (TLS costs more than this anyway).
 */
function encryptedRaw(ctx: ExchangeContext, wire: Uint8Array, out: Uint8Array, info: QueryInfo): Outcome {
  let query: Message;
  let response: Message;
  try {
    query = decodeMessage(wire);
    response = decodeMessage(out);
  } catch {
    // A query the handler answered without it decoding (FORMERR): nothing to pad.
    return { kind: 'reply', wire: out, response: undefined, query: undefined };
  }
  return reply(ctx, fixReply(ctx, query, response, info.transport), query, info);
}

/** SERVFAIL for a query a raw handler failed on: the decoded path's reply when it decodes, else the header's. */
function rawServfail(ctx: ExchangeContext, wire: Uint8Array, info: QueryInfo): Outcome {
  try {
    const query = decodeMessage(wire);
    return reply(ctx, errorReply(ctx, query, Rcode.SERVFAIL), query, info);
  } catch {
    const flags = (wire[2] << 8) | wire[3];
    const m = newMessage({
      id: (wire[0] << 8) | wire[1],
      qr: true,
      opcode: (flags >>> 11) & 0xf,
      rd: (flags & 0x0100) !== 0,
      rcode: Rcode.SERVFAIL,
    });
    return reply(ctx, m, undefined, info);
  }
}

/** The UDP payload limit for a reply to `query` (RFC 6891 6.2.5, capped by the server). */
export function udpLimit(query: Message | undefined, maxUdpPayload: number): number {
  if (query?.edns === undefined) return MIN_UDP_PAYLOAD;
  return Math.max(MIN_UDP_PAYLOAD, Math.min(query.edns.udpSize, maxUdpPayload));
}

function reply(ctx: ExchangeContext, response: Message, query: Message | undefined, info: QueryInfo): Outcome {
  try {
    return { kind: 'reply', wire: encodeFor(ctx, response, query, info.transport), response, query };
  } catch (err) {
    // The handler's message cannot be encoded (bad RDATA, extended rcode without EDNS, ...).
    ctx.log?.warn({ err, transport: info.transport }, 'reply does not encode: SERVFAIL');
    const servfail =
      query === undefined
        ? newMessage({ id: response.id, qr: true, opcode: response.opcode, rcode: Rcode.SERVFAIL })
        : errorReply(ctx, query, Rcode.SERVFAIL);
    try {
      return { kind: 'reply', wire: encodeFor(ctx, servfail, query, info.transport), response: servfail, query };
    } catch {
      return { kind: 'drop', reason: 'handler' };
    }
  }
}

function encodeFor(ctx: ExchangeContext, m: Message, query: Message | undefined, t: ServeTransport): Uint8Array {
  switch (t) {
    case 'udp':
      return encodeMessage(m, { maxSize: udpLimit(query, ctx.maxUdpPayload) });
    case 'tcp':
      return encodeMessage(m);
    case 'dot':
    case 'doh':
      // RFC 8467 4.1: pad responses to a multiple of 468 octets when the client speaks EDNS.
      return encodeMessage(
        m,
        m.edns !== undefined && query?.edns !== undefined ? { padBlock: RESPONSE_PAD_BLOCK } : {},
      );
  }
}

function serverEdns(ctx: ExchangeContext, query: Message): Edns {
  return { udpSize: ctx.maxUdpPayload, version: 0, dnssecOk: query.edns?.dnssecOk ?? false, zFlags: 0, options: [] };
}

/** A reply the frame makes itself: the question echoed, flags copied, OPT when the query had one. */
function errorReply(ctx: ExchangeContext, query: Message, rcode: number): Message {
  const m = newMessage({
    id: query.id,
    qr: true,
    opcode: query.opcode,
    rd: query.rd,
    cd: query.cd,
    rcode,
    questions: query.questions.length === 1 ? query.questions : [],
  });
  if (query.edns !== undefined) m.edns = serverEdns(ctx, query);
  return m;
}

/** The handler's reply with the ID, QR and OPT record the protocol requires. */
function fixReply(ctx: ExchangeContext, query: Message, response: Message, t: ServeTransport): Message {
  const out: Message = { ...response, id: query.id, qr: true };
  if (query.edns === undefined) {
    delete out.edns; // RFC 6891 7: no OPT in replies to queries without one
    return out;
  }
  const edns = out.edns ?? serverEdns(ctx, query);
  let options: EdnsOpt[] = edns.options;
  if (t === 'udp' || t === 'doh') {
    // RFC 7828 3.2.2 (not over UDP) and RFC 8484 5.1 (not over DoH).
    options = options.filter((o) => o.kind !== 'keepalive');
  } else if (query.edns.options.some((o) => o.kind === 'keepalive') && !options.some((o) => o.kind === 'keepalive')) {
    // RFC 7828 3.3.2: a stream query that asked for keepalive is told the idle timeout (100 ms units).
    options = [...options, { kind: 'keepalive', timeout: Math.min(0xffff, Math.ceil(ctx.idleTimeoutMs / 100)) }];
  }
  out.edns = { ...edns, options };
  return out;
}

/** Best-effort first question of a message that did not decode, for the query log. */
function peekQuestion(wire: Uint8Array): { name: string; type: number; class: number } | undefined {
  if (((wire[4] << 8) | wire[5]) === 0) return undefined;
  try {
    const r = new WireReader(wire, HEADER_LENGTH);
    const name: Name = r.name();
    const type = r.u16();
    return { name: name.toString(), type, class: r.u16() };
  } catch {
    return undefined;
  }
}

function logEntry(
  ctx: ExchangeContext,
  info: QueryInfo,
  kind: QueryKind,
  id: number,
  opcode: number,
  q: { name: string; type: number; class: number } | undefined,
): void {
  if (ctx.queryLog === undefined) return;
  ctx.queryLog.add({
    time: ctx.now(),
    transport: info.transport,
    listener: info.transport,
    kind,
    id,
    opcode,
    qname: q?.name ?? '',
    qtype: q?.type ?? -1,
    qclass: q?.class ?? -1,
    client: { address: info.client.address, port: info.client.port },
  });
}
