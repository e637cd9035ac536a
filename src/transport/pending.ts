/**
 * One query on its way: the promise the caller holds, its deadline (own timer and caller's AbortSignal), and the
 * single place where it settles, so every query ends exactly once and publishes exactly one query event.
 */
import type { Clock } from './clock.js';
import { publishQuery } from './diagnostics.js';
import { TransportError } from './errors.js';
import { type QuerySignature, signatureOf } from './pairing.js';
import { type Target, targetRef, type UpstreamReply } from './upstream.js';

export interface PendingOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  clock: Clock;
}

/** Converts an abort reason into the error the query fails with. */
export function abortError(reason: unknown, target: Target): TransportError {
  if (reason instanceof TransportError) return reason;
  if ((reason as { name?: unknown } | null)?.name === 'TimeoutError')
    return new TransportError(
      'timeout',
      `${target.protocol} ${target.ip}#${target.port}: timed out (caller's signal)`,
      {
        cause: reason,
        target: targetRef(target),
      },
    );
  return new TransportError('aborted', `${target.protocol} ${target.ip}#${target.port}: aborted`, {
    cause: reason,
    target: targetRef(target),
  });
}

export class PendingQuery {
  readonly wire: Uint8Array;
  readonly target: Target;
  readonly sig: QuerySignature;
  readonly startedAt: number;
  readonly promise: Promise<UpstreamReply>;
  /** Replies dropped as unpaired so far. */
  mismatched = 0;
  /** Stream transports: the connection carrying the query. */
  connectionId: number | undefined;
  /**
   * Called when the query settles by its deadline or abort (not by its holder), so the holder can forget it: free
   * the ID, close the socket, judge the connection. Set by whoever currently holds the query.
   */
  detach: ((err: TransportError) => void) | undefined;

  readonly #clock: Clock;
  #settled = false;
  #resolve!: (r: UpstreamReply) => void;
  #reject!: (e: TransportError) => void;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  /** Throws 'bad-query' synchronously if `wire` cannot be paired. */
  constructor(wire: Uint8Array, target: Target, opts: PendingOptions) {
    this.sig = signatureOf(wire);
    this.wire = wire;
    this.target = target;
    this.#clock = opts.clock;
    this.startedAt = opts.clock.now();
    this.promise = new Promise<UpstreamReply>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = opts.signal;
    if (signal?.aborted) {
      this.#expire(abortError(signal.reason, target));
      return;
    }
    const expire = () =>
      this.#expire(
        new TransportError(
          'timeout',
          `${target.protocol} ${target.ip}#${target.port}: no reply in ${opts.timeoutMs} ms`,
          {
            target: targetRef(target),
            mismatched: this.mismatched,
          },
        ),
      );
    // The event loop runs expired timers before it reads the sockets: a reply that came in time but waits to be
    // read while the process was busy would lose to this timer. The deadline takes effect after one round of I/O.
    this.#timer = setTimeout(() => setImmediate(expire), opts.timeoutMs);
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.#expire(abortError(signal.reason, target));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Time since the query started, by the injected clock. */
  elapsed(): number {
    return this.#clock.now() - this.startedAt;
  }

  resolve(reply: UpstreamReply): void {
    if (!this.#finish()) return;
    publishQuery({
      server: targetRef(this.target),
      outcome: 'ok',
      durationMs: reply.rttMs,
      truncated: reply.truncated,
      mismatched: reply.mismatched,
      reused: reply.reused,
      ...(this.connectionId === undefined ? {} : { connectionId: this.connectionId }),
    });
    this.#resolve(reply);
  }

  reject(err: TransportError): void {
    if (!this.#finish()) return;
    publishQuery({
      server: targetRef(this.target),
      outcome: err.code,
      durationMs: this.elapsed(),
      truncated: false,
      mismatched: this.mismatched,
      reused: false,
      error: err,
      ...(this.connectionId === undefined ? {} : { connectionId: this.connectionId }),
    });
    this.#reject(err);
  }

  #expire(err: TransportError): void {
    if (this.#settled) return;
    // A deadline that expires after some replies were dropped is reported as 'mismatched' (RFC 5452 9.3: the
    // resolver may switch to TCP on detected spoofing); the count says how many.
    if (err.code === 'timeout' && this.mismatched > 0)
      err = new TransportError('mismatched', `${err.message}; ${this.mismatched} unpaired replies dropped`, {
        target: targetRef(this.target),
        mismatched: this.mismatched,
        cause: err.cause,
      });
    const detach = this.detach;
    this.detach = undefined;
    detach?.(err);
    this.reject(err);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.detach = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#onAbort = undefined;
    return true;
  }
}
