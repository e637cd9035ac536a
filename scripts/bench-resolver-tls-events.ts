// Preloaded into the sealdns process by bench-resolver.ts (`node --import <this file> ... serve`):
// appends the transport's TLS, connect and close events (the diagnostics channels of
// src/transport/diagnostics.ts) to the JSON-lines file named by BENCH_TLS_EVENTS, one line per
// event, with the wall-clock time. The benchmark reads the file after the run and counts full
// handshakes and resumptions (the same events TlsContext counts in `transport.tls.stats`), the
// distinct TLS servers contacted and the connections closed for idleness, within its own time
// windows. Nothing in src/ changes: the channels cost nothing without subscribers, and these
// events come once per connection, never per query.

import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_TLS_EVENTS;

interface ServerRef {
  ip: string;
  port: number;
  protocol: string;
}

/** One line of the events file. */
export interface TlsEventLine {
  /** Date.now() when the event was published. */
  t: number;
  ev: 'tls' | 'connect' | 'close';
  /** Session key (tls) or pool key (connect, close): ip|port|protocol|authName|auth|alpn[|tlsa hash]. */
  key: string;
  server: string;
  ok?: boolean;
  resumed?: boolean;
  offeredTicket?: boolean;
  by?: string;
  error?: string;
  reason?: string;
  answered?: number;
  connectionId?: number;
  durationMs?: number;
}

if (file !== undefined && file !== '') {
  const write = (line: TlsEventLine) => {
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the benchmark notices missing lines; the resolver must not fail for them
    }
  };
  const where = (s: ServerRef) => `${s.ip}#${s.port}/${s.protocol}`;
  const code = (e: unknown) => (e as { code?: string } | undefined)?.code;
  subscribe('sealdns:transport:tls', (m) => {
    const e = m as {
      server: ServerRef;
      key: string;
      ok: boolean;
      resumed: boolean;
      offeredTicket: boolean;
      authenticatedBy?: string;
      error?: unknown;
      durationMs: number;
    };
    write({
      t: Date.now(),
      ev: 'tls',
      key: e.key,
      server: where(e.server),
      ok: e.ok,
      resumed: e.resumed,
      offeredTicket: e.offeredTicket,
      ...(e.authenticatedBy === undefined ? {} : { by: e.authenticatedBy }),
      ...(e.error === undefined ? {} : { error: code(e.error) ?? String(e.error) }),
      durationMs: Math.round(e.durationMs),
    });
  });
  subscribe('sealdns:transport:connect', (m) => {
    const e = m as { server: ServerRef; key: string; ok: boolean; connectionId: number; error?: unknown };
    write({
      t: Date.now(),
      ev: 'connect',
      key: e.key,
      server: where(e.server),
      ok: e.ok,
      connectionId: e.connectionId,
      ...(e.error === undefined ? {} : { error: code(e.error) ?? String(e.error) }),
    });
  });
  subscribe('sealdns:transport:close', (m) => {
    const e = m as { server: ServerRef; key: string; reason: string; answered: number; connectionId: number };
    write({
      t: Date.now(),
      ev: 'close',
      key: e.key,
      server: where(e.server),
      reason: e.reason,
      answered: e.answered,
      connectionId: e.connectionId,
    });
  });
}
