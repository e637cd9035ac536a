// dnstap for sealdns (issue 7 item 3, M6): what the resolver says to its clients and to the
// authoritative servers, with the real transport of every upstream exchange, so operators can
// see inside the encryption they run.
//
// Subscribes to the observation points lower layers publish on node:diagnostics_channel (they
// never import this file):
// - `sealdns:server:exchange` (src/server/diagnostics.ts): CLIENT_QUERY / CLIENT_RESPONSE;
// - `sealdns:resolver:upstream` (src/resolver/diagnostics.ts): RESOLVER_QUERY /
//   RESOLVER_RESPONSE with socket_protocol UDP, TCP, DOT or DOH, the server's address and port,
//   query_zone (the zone the server was asked as, in wire form) and, in the Dnstap `extra`
//   field, sealdns's own annotation as JSON: encrypted, authenticated, why this transport
//   (strict or opportunistic signal, probe, fallback) and the outcome (standards 10.3: the
//   schema has no field for the authentication result or the privacy decision).
//
// Frames go through an FstrmWriter (file or unix socket), bounded: when the output is slow or
// gone, messages are dropped and counted, never queued without limit, and resolution never
// waits for dnstap.

import cluster from 'node:cluster';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { UpstreamExchangeEvent } from '../resolver/diagnostics.js';
import type { ClientExchangeEvent } from '../server/diagnostics.js';
import { ipv4FromText, ipv6FromText, Name } from '../wire/index.js';
import {
  DNSTAP_CONTENT_TYPE,
  type DnstapMessage,
  encodeDnstap,
  HttpProtocol,
  MessageType,
  SocketFamily,
  SocketProtocol,
} from './dnstap-schema.js';
import { type FstrmOutput, FstrmWriter, type FstrmWriterOptions } from './fstrm.js';

export const CLIENT_CHANNEL = 'sealdns:server:exchange';
export const RESOLVER_CHANNEL = 'sealdns:resolver:upstream';

export interface DnstapOptions {
  output: FstrmOutput;
  /** Dnstap `identity` (default: the host name). */
  identity?: string;
  /** Dnstap `version` (default: "sealdns"). */
  version?: string;
  /** Log CLIENT_QUERY / CLIENT_RESPONSE (default true). */
  client?: boolean;
  /** Log RESOLVER_QUERY / RESOLVER_RESPONSE (default true). */
  resolver?: boolean;
  /** Writer limits and error callback. */
  writer?: Omit<FstrmWriterOptions, 'contentType'>;
}

export interface DnstapStats {
  /** Dnstap messages handed to the writer. */
  messages: number;
  /** Messages dropped (writer queue full or output gone). */
  dropped: number;
  /** Events that could not be turned into a message (bad address...). */
  skipped: number;
  written: number;
  queued: number;
}

const PROTOCOL: Record<string, number> = {
  udp: SocketProtocol.UDP,
  tcp: SocketProtocol.TCP,
  dot: SocketProtocol.DOT,
  doh: SocketProtocol.DOH,
};

/** An IP literal as dnstap wants it: 4 or 16 octets, with its socket family. */
export function addressBytes(ip: string): { family: number; bytes: Uint8Array } | undefined {
  const v = isIP(ip);
  if (v === 4) return { family: SocketFamily.INET, bytes: ipv4FromText(ip) };
  if (v === 6) return { family: SocketFamily.INET6, bytes: ipv6FromText(ip.replace(/%.*$/, '')) };
  return undefined;
}

/** Epoch milliseconds (fractional) as dnstap seconds + nanoseconds. */
export function timeParts(ms: number): { sec: number; nsec: number } {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.min(999_999_999, Math.max(0, Math.round((ms - sec * 1000) * 1e6)));
  return { sec, nsec };
}

/** RESOLVER_QUERY, plus RESOLVER_RESPONSE when a reply arrived, for one upstream exchange. */
export function resolverMessages(ev: UpstreamExchangeEvent): DnstapMessage[] {
  const server = addressBytes(ev.ip);
  if (server === undefined) return [];
  let zone: Uint8Array | undefined;
  try {
    zone = Name.fromText(ev.zone.endsWith('.') ? ev.zone : `${ev.zone}.`).toBytes();
  } catch {
    zone = undefined;
  }
  const q = timeParts(ev.sentAt);
  const base: Omit<DnstapMessage, 'type'> = {
    socketFamily: server.family,
    socketProtocol: PROTOCOL[ev.protocol],
    responseAddress: server.bytes,
    responsePort: ev.port,
    queryTimeSec: q.sec,
    queryTimeNsec: q.nsec,
    queryMessage: ev.query,
    ...(zone === undefined ? {} : { queryZone: zone }),
    ...(ev.protocol === 'doh' ? { httpProtocol: HttpProtocol.HTTP2 } : {}),
  };
  const out: DnstapMessage[] = [{ type: MessageType.RESOLVER_QUERY, ...base }];
  if (ev.response !== undefined) {
    const r = timeParts(ev.endedAt);
    out.push({
      type: MessageType.RESOLVER_RESPONSE,
      ...base,
      responseTimeSec: r.sec,
      responseTimeNsec: r.nsec,
      responseMessage: ev.response,
    });
  }
  return out;
}

/** sealdns's annotation of an upstream exchange (the Dnstap `extra` field), as JSON. */
export function resolverExtra(ev: UpstreamExchangeEvent): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      ns: ev.server,
      encrypted: ev.encrypted,
      authenticated: ev.authenticated,
      why: ev.why,
      outcome: ev.outcome,
    }),
  );
}

/** CLIENT_QUERY, plus CLIENT_RESPONSE when the service replied, for one client exchange. */
export function clientMessages(ev: ClientExchangeEvent): DnstapMessage[] {
  const client = addressBytes(ev.client.address);
  const local = addressBytes(ev.local.address);
  if (client === undefined) return [];
  const q = timeParts(ev.receivedAt);
  const base: Omit<DnstapMessage, 'type'> = {
    socketFamily: client.family,
    socketProtocol: PROTOCOL[ev.transport],
    queryAddress: client.bytes,
    queryPort: ev.client.port,
    ...(local === undefined ? {} : { responseAddress: local.bytes, responsePort: ev.local.port }),
    queryTimeSec: q.sec,
    queryTimeNsec: q.nsec,
    queryMessage: ev.query,
    ...(ev.transport === 'doh' ? { httpProtocol: HttpProtocol.HTTP2 } : {}),
  };
  const out: DnstapMessage[] = [{ type: MessageType.CLIENT_QUERY, ...base }];
  if (ev.response !== undefined) {
    const r = timeParts(ev.respondedAt ?? ev.receivedAt);
    out.push({
      type: MessageType.CLIENT_RESPONSE,
      ...base,
      responseTimeSec: r.sec,
      responseTimeNsec: r.nsec,
      responseMessage: ev.response,
    });
  }
  return out;
}

/** Subscribes to the observation points and writes dnstap frames until closed. */
export class DnstapLogger {
  readonly writer: FstrmWriter;
  readonly #identity: Uint8Array;
  readonly #version: Uint8Array;
  readonly #client: boolean;
  readonly #resolver: boolean;
  readonly #counts = { messages: 0, dropped: 0, skipped: 0 };
  #subscribed = false;
  readonly #onClient = (m: unknown) => this.#emit(clientMessages(m as ClientExchangeEvent));
  readonly #onResolver = (m: unknown) => {
    const ev = m as UpstreamExchangeEvent;
    this.#emit(resolverMessages(ev), resolverExtra(ev));
  };

  constructor(opts: DnstapOptions) {
    this.#identity = Buffer.from(opts.identity ?? hostname());
    this.#version = Buffer.from(opts.version ?? 'sealdns');
    this.#client = opts.client ?? true;
    this.#resolver = opts.resolver ?? true;
    this.writer = new FstrmWriter(opts.output, { ...opts.writer, contentType: DNSTAP_CONTENT_TYPE });
  }

  /** Starts listening on the channels (idempotent). */
  start(): this {
    if (this.#subscribed) return this;
    this.#subscribed = true;
    if (this.#client) subscribe(CLIENT_CHANNEL, this.#onClient);
    if (this.#resolver) subscribe(RESOLVER_CHANNEL, this.#onResolver);
    return this;
  }

  /** Stops listening (frames already queued are still written). */
  stop(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    if (this.#client) unsubscribe(CLIENT_CHANNEL, this.#onClient);
    if (this.#resolver) unsubscribe(RESOLVER_CHANNEL, this.#onResolver);
  }

  /** Stops listening, writes what is queued and the closing frames. */
  async close(): Promise<void> {
    this.stop();
    await this.writer.close();
  }

  get stats(): DnstapStats {
    const w = this.writer.stats;
    return { ...this.#counts, written: w.written, queued: w.queued };
  }

  #emit(messages: DnstapMessage[], extra?: Uint8Array): void {
    if (messages.length === 0) {
      this.#counts.skipped++;
      return;
    }
    for (const message of messages) {
      // a full queue costs a comparison, not an encoding
      if (!this.writer.accepting) {
        this.writer.countDropped();
        this.#counts.dropped++;
        continue;
      }
      let payload: Uint8Array;
      try {
        payload = encodeDnstap({
          identity: this.#identity,
          version: this.#version,
          ...(extra === undefined ? {} : { extra }),
          message,
        });
      } catch {
        this.#counts.skipped++;
        continue;
      }
      if (this.writer.write(payload)) this.#counts.messages++;
      else this.#counts.dropped++;
    }
  }
}

/**
 * Creates and starts a DnstapLogger. In a cluster worker (`serve --workers N`) a file output gets the
 * worker's number appended (`PATH.worker<n>`), since workers cannot share one Frame Streams file; a
 * socket is shared as is (the collector takes one connection per worker).
 */
export function startDnstap(opts: DnstapOptions): DnstapLogger {
  const output =
    cluster.isWorker && 'file' in opts.output && cluster.worker !== undefined
      ? { file: `${opts.output.file}.worker${cluster.worker.id}` }
      : opts.output;
  return new DnstapLogger({ ...opts, output }).start();
}
