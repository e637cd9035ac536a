// Structured logs: pino, JSON lines on stderr, at the configured level. The query log (off by
// default, `query-log: true`) writes one `info` line per client request from the diagnostics
// channels: the resolver's finished requests (`sealdns:resolver:request`, with DNSSEC status and
// the privacy hop counts: upstream exchanges, how many encrypted, how many authenticated) and
// what only the service sees (`sealdns:server:request`: packet-cache hits and ACL refusals).
// At `debug`, failed upstream exchanges and TLS handshakes are logged too.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pino, { type Logger } from 'pino';
import type { RequestEvent, UpstreamExchangeEvent } from '../resolver/diagnostics.js';
import type { ServedEvent } from '../server/served.js';
import type { TlsEvent } from '../transport/diagnostics.js';
import { decodeMessage, rcodeToText, typeToText } from '../wire/index.js';
import { edeLabel } from './metrics.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino logger writing JSON lines to stderr (synchronously, so nothing is lost at exit). */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { name: 'sealdns', ...bindings } }, pino.destination({ fd: 2, sync: true }));
}

/** One line of the query log (what `msg: "query"` lines hold besides pino's own fields). */
export interface QueryLogLine {
  client: string | undefined;
  transport: string;
  qname: string;
  qtype: string;
  rcode: string;
  ede?: number;
  edeName?: string;
  durationMs: number;
  /** packet: a whole reply from the packet cache; hit: the RRset/negative caches; miss: resolved; refused: the ACL. */
  cache: 'packet' | 'hit' | 'miss' | 'refused';
  security?: string;
  /** Upstream exchanges made for this request: all, encrypted, and authenticated ones. */
  hops: number;
  encryptedHops: number;
  authenticatedHops: number;
}

type Sub = [string, (m: unknown) => void];

function on<T>(subs: Sub[], name: string, fn: (ev: T) => void): void {
  const h = (m: unknown) => {
    try {
      fn(m as T);
    } catch {
      // a logging bug must not break serving
    }
  };
  subscribe(name, h);
  subs.push([name, h]);
}

/** Starts the query log on `log` (lines with `msg: "query"`); returns the function that stops it. */
export function startQueryLog(log: Logger): () => void {
  const subs: Sub[] = [];
  const write = (line: QueryLogLine) => log.info(line, 'query');
  on<RequestEvent>(subs, 'sealdns:resolver:request', (ev) =>
    write({
      client: ev.client,
      transport: ev.transport,
      qname: ev.qname,
      qtype: typeToText(ev.qtype),
      rcode: rcodeToText(ev.rcode),
      ...(ev.ede === undefined ? {} : { ede: ev.ede, edeName: edeLabel(ev.ede) }),
      durationMs: round2(ev.durationMs),
      cache: ev.cacheHit ? 'hit' : 'miss',
      ...(ev.security === undefined ? {} : { security: ev.security }),
      hops: ev.hops,
      encryptedHops: ev.encryptedHops,
      authenticatedHops: ev.authenticatedHops,
    }),
  );
  on<ServedEvent>(subs, 'sealdns:server:request', (ev) => {
    // requests the resolver handled are logged from its own event above
    if (!ev.packetHit && ev.outcome !== 'refused') return;
    let qname = '';
    let qtype = '';
    try {
      const q = decodeMessage(ev.query).questions[0];
      if (q !== undefined) {
        qname = q.name.toString();
        qtype = typeToText(q.type);
      }
    } catch {
      // an undecodable query refused by the ACL: logged without its question
    }
    write({
      client: ev.client,
      transport: ev.transport,
      qname,
      qtype,
      rcode: ev.rcode === undefined ? 'none' : rcodeToText(ev.rcode),
      ...(ev.outcome === 'refused' ? { ede: 18, edeName: edeLabel(18) } : {}),
      durationMs: round2(ev.durationMs),
      cache: ev.outcome === 'refused' ? 'refused' : 'packet',
      hops: 0,
      encryptedHops: 0,
      authenticatedHops: 0,
    });
  });
  return () => {
    for (const [name, h] of subs.splice(0)) unsubscribe(name, h);
  };
}

/**
 * Debug lines for upstream trouble: failed exchanges (with the transport and why it was chosen)
 * and failed TLS handshakes. Only subscribes when `debug` is enabled; returns the stop function.
 */
export function startDebugLog(log: Logger): () => void {
  const subs: Sub[] = [];
  if (!log.isLevelEnabled('debug')) return () => {};
  on<UpstreamExchangeEvent>(subs, 'sealdns:resolver:upstream', (ev) => {
    if (ev.outcome === 'ok' || ev.outcome === 'aborted') return;
    log.debug(
      {
        server: ev.server,
        ip: ev.ip,
        port: ev.port,
        protocol: ev.protocol,
        zone: ev.zone,
        why: ev.why,
        outcome: ev.outcome,
        ms: round2(ev.endedAt - ev.sentAt),
      },
      'upstream exchange failed',
    );
  });
  on<TlsEvent>(subs, 'sealdns:transport:tls', (ev) => {
    if (ev.ok) return;
    log.debug(
      {
        ip: ev.server.ip,
        port: ev.server.port,
        protocol: ev.server.protocol,
        auth: ev.auth,
        reason: ev.error?.metricLabel,
        err: ev.error?.message,
      },
      'upstream TLS failed',
    );
  });
  return () => {
    for (const [name, h] of subs.splice(0)) unsubscribe(name, h);
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
