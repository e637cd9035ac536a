/**
 * DNS over UDP (RFC 1035 4.2.1) with the RFC 5452 defences: a fresh socket per query, bound by the OS to a random
 * ephemeral port and connected to the server (so the kernel drops datagrams from any other address, and ICMP port
 * unreachable surfaces as 'connect-refused'; the "SAD DNS" hardening), a CSPRNG query ID, and pairing on source,
 * ID and question. Unpaired replies are dropped and counted while the query keeps waiting for the right one.
 * TC is reported in the reply; retrying over TCP is the resolver's decision.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { ipv6FromText, ipv6ToText } from '../wire/index.js';
import { type Clock, systemClock } from './clock.js';
import { fromSocketError } from './errors.js';
import { DEFAULT_QUERY_TIMEOUT_MS } from './limits.js';
import { pairReply, setId, withId } from './pairing.js';
import { PendingQuery } from './pending.js';
import { cryptoRandom, type Random } from './random.js';
import { checkTarget, shutdownError, type Target, UpstreamBase, type UpstreamReply } from './upstream.js';

export interface UdpOptions {
  /** Deadline per query when the caller's signal does not end it first. */
  timeoutMs?: number;
  clock?: Clock;
  random?: Random;
}

/** Canonical text of an IP literal, so "::1", "0::1" and a socket's rinfo compare equal. */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return ipv6ToText(ipv6FromText(ip));
  } catch {
    return ip.toLowerCase();
  }
}

/**
 * The sockets' address lookup: the server (checked by checkTarget) and the wildcard bind address are IP literals,
 * which dgram would otherwise pass through dns.lookup, each answered on a later tick, before binding and connecting.
 */
function literalLookup(
  host: string,
  _opts: unknown,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  cb(null, host, host.includes(':') ? 6 : 4);
}

interface UdpExchange {
  q: PendingQuery;
  socket: Socket;
  stop(): void;
}

export class UdpClient extends UpstreamBase {
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #inflight = new Set<UdpExchange>();

  constructor(opts: UdpOptions = {}) {
    super();
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? cryptoRandom;
  }

  /** Queries waiting for a reply (each holds one socket). */
  get inflight(): number {
    return this.#inflight.size;
  }

  protected dispatch(
    wire: Uint8Array,
    target: Target,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply> {
    const family = checkTarget(target);
    const q = new PendingQuery(wire, target, { timeoutMs: timeoutMs ?? this.#timeoutMs, signal, clock: this.#clock });
    if (!q.settled) this.#start(q, family);
    return q.promise;
  }

  #start(q: PendingQuery, family: 4 | 6): void {
    const target = q.target;
    const clock = this.#clock;
    const sentId = this.#random.int(0x10000);
    const out = withId(q.wire, sentId);
    const server = canonicalIp(target.ip);
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
    let sentAt = 0;
    let stopped = false;
    const ex: UdpExchange = {
      q,
      socket,
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.#inflight.delete(ex);
        socket.removeAllListeners('message');
        try {
          socket.close();
        } catch {
          // already closed
        }
      },
    };
    this.#inflight.add(ex);
    q.detach = () => ex.stop();

    socket.on('error', (err) => {
      ex.stop();
      q.reject(fromSocketError(err, 'connect', target));
    });
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (q.settled) return;
      // The socket is connected, so the kernel already filters by source; this check is defence in depth.
      if (rinfo.port !== target.port || canonicalIp(rinfo.address) !== server) {
        q.mismatched++;
        return;
      }
      if (pairReply(msg, q.sig, sentId) !== 'ok') {
        q.mismatched++;
        return;
      }
      const rttMs = clock.now() - sentAt;
      setId(msg, q.sig.id);
      ex.stop();
      q.resolve({
        wire: msg,
        rttMs,
        protocol: 'udp',
        truncated: (msg[2] & 0x02) !== 0,
        mismatched: q.mismatched,
        reused: false,
      });
    });
    try {
      socket.connect(target.port, target.ip, (err?: Error) => {
        if (stopped) return;
        if (err) {
          ex.stop();
          q.reject(fromSocketError(err, 'connect', target));
          return;
        }
        sentAt = clock.now();
        socket.send(out, (err) => {
          if (err) {
            ex.stop();
            q.reject(fromSocketError(err, 'connect', target));
          }
        });
      });
    } catch (err) {
      ex.stop();
      q.reject(fromSocketError(err, 'connect', target));
    }
  }

  protected async onClose(): Promise<void> {
    // Nothing is in flight once the base class calls this; sockets are per query.
  }

  protected onDestroy(err?: Error): void {
    for (const ex of [...this.#inflight]) {
      ex.stop();
      ex.q.reject(shutdownError(err, ex.q.target));
    }
  }
}
