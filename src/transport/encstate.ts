/**
 * RFC 9539 per-server state for unilateral probing of encrypted transports: one
 * record per (server IP, encrypted transport), all times in ms and passed in (no clock
 * reads here). The predicates implement §4.6.1 (skip Do53 after a recent success) and
 * §4.6.3 (when a new encrypted connection may be attempted: damping after failures).
 */

export type EncProtocol = 'dot' | 'doh';

export interface EncRecord {
  /** Most recent connection attempt (E-initiated). */
  initiated?: number;
  /** Most recent completed (or timed-out) handshake (E-completed). */
  completed?: number;
  /** Outcome of the most recent completed handshake (E-status). */
  status?: 'success' | 'fail' | 'timeout';
  /** Most recent response received over it (E-last-response). */
  lastResponse?: number;
  /** Handshakes and resumptions seen (statistics; tickets themselves live in the transport's session cache). */
  handshakes: number;
  resumptions: number;
  lastError?: string;
}

/** RFC 9539 4.3 Table 1 defaults. */
export const ENC_DEFAULTS = {
  /** E-persistence: remember a success for 3 days. */
  PERSISTENCE_MS: 3 * 86_400_000,
  /** E-damping: after a failure, do not retry for 1 day. */
  DAMPING_MS: 86_400_000,
  /** E-timeout: a pending handshake older than this counts as a timeout. */
  TIMEOUT_MS: 4_000,
  MAX_ENTRIES: 50_000,
} as const;

export interface EncTimers {
  persistenceMs: number;
  dampingMs: number;
  timeoutMs: number;
}

export class EncStateTable {
  readonly #map = new Map<string, EncRecord>();
  readonly timers: EncTimers;

  constructor(timers: Partial<EncTimers> = {}) {
    this.timers = {
      persistenceMs: timers.persistenceMs ?? ENC_DEFAULTS.PERSISTENCE_MS,
      dampingMs: timers.dampingMs ?? ENC_DEFAULTS.DAMPING_MS,
      timeoutMs: timers.timeoutMs ?? ENC_DEFAULTS.TIMEOUT_MS,
    };
  }

  #key(ip: string, p: EncProtocol): string {
    return `${ip}|${p}`;
  }

  get(ip: string, p: EncProtocol): EncRecord | undefined {
    return this.#map.get(this.#key(ip, p));
  }

  #rec(ip: string, p: EncProtocol): EncRecord {
    const k = this.#key(ip, p);
    let r = this.#map.get(k);
    if (r === undefined) {
      if (this.#map.size >= ENC_DEFAULTS.MAX_ENTRIES) {
        const first = this.#map.keys().next().value;
        if (first !== undefined) this.#map.delete(first);
      }
      r = { handshakes: 0, resumptions: 0 };
      this.#map.set(k, r);
    }
    return r;
  }

  /** A connection attempt starts (E-initiated := now). */
  attempt(ip: string, p: EncProtocol, now: number): void {
    this.#rec(ip, p).initiated = now;
  }

  /** The handshake completed (RFC 9539 4.6.4). */
  success(ip: string, p: EncProtocol, now: number, resumed = false): void {
    const r = this.#rec(ip, p);
    r.status = 'success';
    r.completed = now;
    r.lastResponse = now;
    if (resumed) r.resumptions++;
    else r.handshakes++;
  }

  /** A response arrived over the encrypted transport (4.6.9). */
  response(ip: string, p: EncProtocol, now: number): void {
    const r = this.#rec(ip, p);
    r.lastResponse = now;
    if (r.status !== 'success') {
      r.status = 'success';
      r.completed = now;
    }
  }

  /**
   * The handshake or session failed (4.6.5/4.6.6) or timed out. A timeout sets
   * `completed` too, otherwise damping would never apply (standards digest, trap 2).
   */
  failure(ip: string, p: EncProtocol, now: number, kind: 'fail' | 'timeout', why?: string): void {
    const r = this.#rec(ip, p);
    r.status = kind;
    r.completed = now;
    r.lastError = why ?? kind;
  }

  /**
   * The §4.6.3 timer refresh, as a pure view: a connection attempt still pending more than E-timeout after
   * E-initiated counts as a timeout. RFC 9539 sets E-status := timeout at that point but leaves E-completed unset,
   * so damping would never start (standards digest, trap 2): the instant the timer ran out (E-initiated +
   * E-timeout) is taken as E-completed. `refresh` writes the same thing into the record.
   */
  #effective(r: EncRecord | undefined, now: number): Pick<EncRecord, 'status' | 'completed'> | undefined {
    if (r === undefined || !this.#pending(r)) return r;
    const since = now - (r.initiated as number);
    return since > this.timers.timeoutMs
      ? { status: 'timeout', completed: (r.initiated as number) + this.timers.timeoutMs }
      : r;
  }

  /** An attempt started after the last completed handshake (E-session pending). */
  #pending(r: EncRecord): boolean {
    return r.initiated !== undefined && (r.completed === undefined || r.initiated > r.completed);
  }

  /** §4.6.3 timer refresh: a pending attempt older than E-timeout becomes a timeout (and damping starts). */
  refresh(ip: string, p: EncProtocol, now: number): void {
    const r = this.get(ip, p);
    const e = this.#effective(r, now);
    if (r === undefined || e === r || e === undefined) return;
    r.status = e.status;
    r.completed = e.completed;
    r.lastError = 'no handshake within E-timeout';
  }

  /** §4.6.1: true when Do53 should not be used for `ip` because an encrypted transport worked recently. */
  recentSuccess(ip: string, p: EncProtocol, now: number): boolean {
    const r = this.get(ip, p);
    if (r === undefined || this.#effective(r, now)?.status !== 'success') return false;
    return r.lastResponse !== undefined && now - r.lastResponse < this.timers.persistenceMs;
  }

  /**
   * §4.6.3: whether a new encrypted connection to `ip` may be attempted now: never tried; or the last handshake
   * succeeded; or it failed or timed out more than E-damping ago. Not while an attempt is pending (within E-timeout).
   */
  mayAttempt(ip: string, p: EncProtocol, now: number): boolean {
    const rec = this.get(ip, p);
    const r = this.#effective(rec, now);
    if (r === undefined) return true;
    // still pending within E-timeout: wait for it (§4.6.3: no second connection while one is being set up)
    if (rec !== undefined && r === rec && this.#pending(rec)) return false;
    if (r.status === undefined || r.status === 'success') return true;
    return r.completed === undefined || now - r.completed > this.timers.dampingMs;
  }

  /** Whether the last completed attempt failed (or timed out) and damping still applies. */
  damped(ip: string, p: EncProtocol, now: number): boolean {
    const r = this.#effective(this.get(ip, p), now);
    return (
      (r?.status === 'fail' || r?.status === 'timeout') &&
      r.completed !== undefined &&
      now - r.completed <= this.timers.dampingMs
    );
  }

  entries(): IterableIterator<[string, EncRecord]> {
    return this.#map.entries();
  }

  clear(): void {
    this.#map.clear();
  }
}
