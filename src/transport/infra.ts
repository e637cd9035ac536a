/**
 * The infra table: what sealdns knows about each upstream server address (like
 * Unbound's infra cache and RFC 9539's per-server state). Keyed by IP; lameness is
 * keyed by (IP, zone). Every method takes `now` (ms) — no clock reads here.
 *
 * RTT estimation follows RFC 6298 (SRTT/RTTVAR, RTO = SRTT + 4*RTTVAR) with Unbound's
 * bounds: an unknown server starts at 376 ms, timeouts double the RTO (exponential
 * backoff) up to 12 s; a server that timed out repeatedly is probed at most once per
 * `probeIntervalMs` while other servers are available.
 */
export const INFRA = {
  /** RTO for a server never heard from (Unbound's UNKNOWN_SERVER_NICENESS). */
  UNKNOWN_RTO_MS: 376,
  MIN_RTO_MS: 50,
  MAX_RTO_MS: 12_000,
  /** Servers whose RTO is within this band of the best are chosen at random (Unbound's RTT_BAND). */
  RTT_BAND_MS: 400,
  /** After this many timeouts in a row a server is considered down. */
  DOWN_AFTER_TIMEOUTS: 3,
  /** How long a down server is avoided before one probe is allowed. */
  PROBE_INTERVAL_MS: 30_000,
  /** Lame (server, zone) pairs are remembered this long (RFC 9520: at most 5 minutes). */
  LAME_TTL_MS: 300_000,
  /** Entries unused for this long are forgotten. */
  ENTRY_TTL_MS: 15 * 60_000,
  MAX_ENTRIES: 100_000,
} as const;

export type EdnsStatus = 'unknown' | 'ok' | 'broken';

export interface ServerInfo {
  readonly ip: string;
  srttMs: number;
  rttVarMs: number;
  rtoMs: number;
  timeoutsInRow: number;
  /** When the last timeout streak made the server "down" (ms), if it is. */
  downSince?: number;
  lastProbe?: number;
  lastUsed: number;
  edns: EdnsStatus;
  queries: number;
  timeouts: number;
  lastError?: string;
}

export class InfraTable {
  readonly #servers = new Map<string, ServerInfo>();
  readonly #lame = new Map<string, number>();

  get size(): number {
    return this.#servers.size;
  }

  /** The entry for `ip`, creating an unknown one if needed. */
  info(ip: string, now: number): ServerInfo {
    let s = this.#servers.get(ip);
    if (s === undefined) {
      if (this.#servers.size >= INFRA.MAX_ENTRIES) this.#expire(now);
      s = {
        ip,
        srttMs: 0,
        rttVarMs: 0,
        rtoMs: INFRA.UNKNOWN_RTO_MS,
        timeoutsInRow: 0,
        lastUsed: now,
        edns: 'unknown',
        queries: 0,
        timeouts: 0,
      };
      this.#servers.set(ip, s);
    }
    return s;
  }

  peek(ip: string): ServerInfo | undefined {
    return this.#servers.get(ip);
  }

  /** Records a reply that arrived after `rttMs`. */
  reportRtt(ip: string, rttMs: number, now: number): void {
    const s = this.info(ip, now);
    s.queries++;
    s.lastUsed = now;
    s.timeoutsInRow = 0;
    s.downSince = undefined;
    if (s.srttMs === 0) {
      s.srttMs = rttMs;
      s.rttVarMs = rttMs / 2;
    } else {
      s.rttVarMs = 0.75 * s.rttVarMs + 0.25 * Math.abs(s.srttMs - rttMs);
      s.srttMs = 0.875 * s.srttMs + 0.125 * rttMs;
    }
    s.rtoMs = clamp(s.srttMs + 4 * s.rttVarMs, INFRA.MIN_RTO_MS, INFRA.MAX_RTO_MS);
  }

  /** Records a timeout: RTO backs off, and a streak marks the server down. */
  reportTimeout(ip: string, now: number): void {
    const s = this.info(ip, now);
    s.queries++;
    s.timeouts++;
    s.lastUsed = now;
    s.timeoutsInRow++;
    s.lastError = 'timeout';
    s.rtoMs = clamp(s.rtoMs * 2, INFRA.MIN_RTO_MS, INFRA.MAX_RTO_MS);
    if (s.timeoutsInRow >= INFRA.DOWN_AFTER_TIMEOUTS && s.downSince === undefined) s.downSince = now;
  }

  /** Records another failure (REFUSED, SERVFAIL, malformed...). */
  reportError(ip: string, what: string, now: number): void {
    const s = this.info(ip, now);
    s.lastUsed = now;
    s.lastError = what;
  }

  setEdns(ip: string, status: EdnsStatus, now: number): void {
    this.info(ip, now).edns = status;
  }

  markLame(ip: string, zoneKey: string, now: number): void {
    this.#lame.set(`${ip}|${zoneKey}`, now + INFRA.LAME_TTL_MS);
  }

  isLame(ip: string, zoneKey: string, now: number): boolean {
    const k = `${ip}|${zoneKey}`;
    const until = this.#lame.get(k);
    if (until === undefined) return false;
    if (until <= now) {
      this.#lame.delete(k);
      return false;
    }
    return true;
  }

  /**
   * Whether a server may be used now. A down server is avoided for PROBE_INTERVAL_MS from
   * when it went down, then gets one probe per interval (a probe made before it went down
   * does not count).
   */
  usable(ip: string, now: number): boolean {
    const s = this.#servers.get(ip);
    if (s === undefined || s.downSince === undefined) return true;
    const last = Math.max(s.downSince, s.lastProbe ?? Number.NEGATIVE_INFINITY);
    return now - last >= INFRA.PROBE_INTERVAL_MS;
  }

  /** Current RTO for `ip` (the query timeout to use). */
  rto(ip: string): number {
    return this.#servers.get(ip)?.rtoMs ?? INFRA.UNKNOWN_RTO_MS;
  }

  /**
   * Orders candidate addresses for one query: usable and not lame first, by RTO, with
   * those inside RTT_BAND of the best shuffled (spreads load, resists spoofing by
   * predictability, keeps learning about other servers).
   */
  order(ips: readonly string[], zoneKey: string, now: number, random: () => number): string[] {
    const good: { ip: string; rto: number }[] = [];
    const bad: { ip: string; rto: number }[] = [];
    for (const ip of ips) {
      const item = { ip, rto: this.rto(ip) };
      if (this.isLame(ip, zoneKey, now) || !this.usable(ip, now)) bad.push(item);
      else good.push(item);
    }
    good.sort((a, b) => a.rto - b.rto);
    if (good.length > 1) {
      const best = good[0].rto;
      let n = 0;
      while (n < good.length && good[n].rto <= best + INFRA.RTT_BAND_MS) n++;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [good[i], good[j]] = [good[j], good[i]];
      }
    }
    bad.sort((a, b) => a.rto - b.rto);
    return [...good, ...bad].map((x) => x.ip);
  }

  markProbe(ip: string, now: number): void {
    const s = this.#servers.get(ip);
    if (s?.downSince !== undefined) s.lastProbe = now;
  }

  entries(): IterableIterator<ServerInfo> {
    return this.#servers.values();
  }

  #expire(now: number): void {
    for (const [ip, s] of this.#servers) if (now - s.lastUsed > INFRA.ENTRY_TTL_MS) this.#servers.delete(ip);
    if (this.#servers.size >= INFRA.MAX_ENTRIES) {
      // still full: drop the oldest quarter (Map iteration is insertion order)
      let drop = Math.floor(INFRA.MAX_ENTRIES / 4);
      for (const ip of this.#servers.keys()) {
        if (drop-- <= 0) break;
        this.#servers.delete(ip);
      }
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
