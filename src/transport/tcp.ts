/**
 * A stream client owns one connection to one server (like undici's Client): RFC 7766 framing, pipelining (queries
 * leave without waiting for earlier replies), out-of-order replies paired by (ID, question), and an ID that is
 * random and unique among the queries in flight on this connection (rewritten in the outgoing copy, restored in
 * the reply; RFC 7766 6.2.1, like hickory's multiplexer). The client is single-use: once its connection is gone
 * it is 'closed' for good, and the pool opens a new one for the next query.
 *
 * Nothing a server sends can wedge it or grow its memory: the frame decoder holds at most one 64 KiB frame; a
 * frame shorter than a header drops the connection ('malformed'); too many unpaired frames drop it ('mismatched');
 * and a query that reaches its deadline with no reply paired on the connection since it was written drops the
 * connection as stalled (slow drip, silent server), failing the others with 'closed' so they can be retried.
 */
import type { Socket } from 'node:net';
import type { Clock } from './clock.js';
import type { Connector } from './connector.js';
import { type CloseReason, newConnectionId, publishClose, publishConnect } from './diagnostics.js';
import { fromSocketError, TransportError } from './errors.js';
import { FrameDecoder, frame } from './framing.js';
import { CLOSE_GRACE_MS } from './limits.js';
import { pairReply, setId } from './pairing.js';
import type { PendingQuery } from './pending.js';
import type { Random } from './random.js';
import { shutdownError, type Target, targetRef } from './upstream.js';

export interface StreamClientOptions {
  connector: Connector;
  /** Pool key, for diagnostics. */
  key: string;
  /** Queries in flight on the connection (1..65536). */
  maxInflight: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxUnmatchedFrames: number;
  clock: Clock;
  random: Random;
}

/** How a client tells its pool what happened (typed callbacks instead of positional EventEmitter arguments). */
export interface StreamClientHooks {
  /** The client can take more queries: it just connected, or a query in flight settled. */
  onDrain(client: StreamClient): void;
  /** The client is finished; `err` says why when it was not a clean close. */
  onClosed(client: StreamClient, err: TransportError | undefined, wasOpen: boolean): void;
}

export type StreamClientState = 'connecting' | 'open' | 'closing' | 'closed';

interface Entry {
  q: PendingQuery;
  sentId: number;
  written: boolean;
  sentAt: number;
  /** Replies paired on the connection when this query was written (stall detection). */
  pairedAtWrite: number;
  reused: boolean;
}

export class StreamClient {
  /** Process-unique, shared by this client's connect, query and close events. */
  readonly id = newConnectionId();
  readonly target: Target;
  readonly #opts: StreamClientOptions;
  readonly #hooks: StreamClientHooks;
  #state: StreamClientState = 'connecting';
  #socket: Socket | undefined;
  readonly #inflight = new Map<number, Entry>();
  readonly #decoder = new FrameDecoder((f) => this.#onFrame(f));
  readonly #connectAbort = new AbortController();
  #connectTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #closeReason: CloseReason = 'graceful';
  #closed: Promise<void>;
  #markClosed!: () => void;
  #connectStartedAt: number;
  #openedAt = 0;
  #idleSince = 0;
  #paired = 0;
  #unmatched = 0;

  constructor(target: Target, opts: StreamClientOptions, hooks: StreamClientHooks) {
    this.target = target;
    this.#opts = { ...opts, maxInflight: Math.max(1, Math.min(opts.maxInflight, 0x10000)) };
    this.#hooks = hooks;
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
    this.#connectStartedAt = opts.clock.now();
    this.#connect();
  }

  get state(): StreamClientState {
    return this.#state;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  /** Connecting or open, and below the in-flight cap. */
  get accepting(): boolean {
    return (this.#state === 'open' || this.#state === 'connecting') && this.#inflight.size < this.#opts.maxInflight;
  }

  /** Open with nothing in flight. */
  get idle(): boolean {
    return this.#state === 'open' && this.#inflight.size === 0;
  }

  /** When the client last became idle (by the injected clock). */
  get idleSince(): number {
    return this.#idleSince;
  }

  /** Replies paired on this connection. */
  get answered(): number {
    return this.#paired;
  }

  /** Takes a query if accepting; returns false otherwise (the pool queues it). */
  dispatch(q: PendingQuery): boolean {
    if (!this.accepting || q.settled) return false;
    const entry: Entry = {
      q,
      sentId: this.#allocId(),
      written: false,
      sentAt: 0,
      pairedAtWrite: 0,
      reused: this.#state === 'open',
    };
    this.#inflight.set(entry.sentId, entry);
    q.connectionId = this.id;
    q.detach = (err) => this.#onExpired(entry, err);
    this.#clearIdle();
    if (this.#state === 'open') this.#write(entry);
    return true;
  }

  /**
   * Graceful close: stops accepting, lets the queries in flight finish, ends the connection and waits for the
   * server's close (bounded by a grace period).
   */
  close(reason: 'graceful' | 'idle' = 'graceful'): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return this.#closed;
    this.#closeReason = reason;
    this.#clearIdle();
    if (this.#state === 'connecting' && this.#inflight.size === 0) {
      this.#finish(undefined, reason);
      return this.#closed;
    }
    this.#state = 'closing';
    if (this.#inflight.size === 0) this.#end();
    return this.#closed;
  }

  /** Fails everything in flight now and drops the connection. */
  destroy(err?: Error): void {
    this.#finish(shutdownError(err, this.target), 'destroyed');
  }

  #allocId(): number {
    // The map never holds more than maxInflight <= 65536 IDs, so a free one exists; with the default cap of 100 the
    // expected number of draws is below 1.002.
    for (;;) {
      const id = this.#opts.random.int(0x10000);
      if (!this.#inflight.has(id)) return id;
    }
  }

  #connect(): void {
    const { connector, connectTimeoutMs, clock } = this.#opts;
    const target = this.target;
    const signal = this.#connectAbort.signal;
    this.#connectTimer = setTimeout(() => {
      this.#connectAbort.abort(
        new TransportError(
          'connect-timeout',
          `${target.protocol} ${target.ip}#${target.port}: not ready in ${connectTimeoutMs} ms`,
          {
            target: targetRef(target),
          },
        ),
      );
    }, connectTimeoutMs);
    let attempt: Promise<Socket>;
    try {
      attempt = connector({ target, signal });
    } catch (err) {
      attempt = Promise.reject(err);
    }
    attempt.then(
      (socket) => this.#onConnected(socket),
      (err: unknown) => {
        clearTimeout(this.#connectTimer);
        if (this.#state === 'closed') return;
        const e = fromSocketError(err, 'connect', target);
        publishConnect({
          server: targetRef(target),
          key: this.#opts.key,
          connectionId: this.id,
          ok: false,
          error: e,
          durationMs: clock.now() - this.#connectStartedAt,
        });
        this.#finish(e, 'error');
      },
    );
  }

  #onConnected(socket: Socket): void {
    clearTimeout(this.#connectTimer);
    if (this.#state === 'closed') {
      socket.destroy();
      return;
    }
    if (socket.destroyed || !socket.writable) {
      this.#finish(
        new TransportError('closed', `${this.target.ip}#${this.target.port}: closed as soon as it was ready`, {
          target: targetRef(this.target),
        }),
        'error',
      );
      return;
    }
    const now = this.#opts.clock.now();
    this.#socket = socket;
    this.#openedAt = now;
    this.#idleSince = now;
    if (this.#state === 'connecting') this.#state = 'open';
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#finish(fromSocketError(err, 'established', this.target), 'error'));
    socket.on('end', () => this.#onPeerClosed());
    socket.on('close', () => this.#onPeerClosed());
    publishConnect({
      server: targetRef(this.target),
      key: this.#opts.key,
      connectionId: this.id,
      ok: true,
      durationMs: now - this.#connectStartedAt,
      ...(socket.localPort === undefined ? {} : { localPort: socket.localPort }),
    });
    for (const entry of this.#inflight.values()) if (!entry.written) this.#write(entry);
    if (this.#inflight.size === 0) {
      if (this.#state === 'closing') this.#end();
      else this.#armIdle();
    }
    if (this.accepting) this.#hooks.onDrain(this);
  }

  #write(entry: Entry): void {
    entry.written = true;
    entry.sentAt = this.#opts.clock.now();
    entry.pairedAtWrite = this.#paired;
    this.#socket!.write(frame(entry.q.wire, entry.sentId));
  }

  #onData(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    try {
      this.#decoder.push(chunk, () => this.#state === 'closed');
    } catch (err) {
      this.#finish(
        err instanceof TransportError
          ? new TransportError(err.code, `${this.target.ip}#${this.target.port}: ${err.message}`, {
              target: targetRef(this.target),
            })
          : fromSocketError(err, 'established', this.target),
        'error',
      );
    }
  }

  #onFrame(f: Uint8Array): void {
    const sentId = (f[0] << 8) | f[1];
    const entry = this.#inflight.get(sentId);
    if (entry === undefined || !entry.written) {
      this.#onUnmatched();
      return;
    }
    if (pairReply(f, entry.q.sig, sentId) !== 'ok') {
      entry.q.mismatched++;
      this.#onUnmatched();
      return;
    }
    this.#inflight.delete(sentId);
    this.#paired++;
    setId(f, entry.q.sig.id);
    entry.q.resolve({
      wire: f,
      rttMs: this.#opts.clock.now() - entry.sentAt,
      protocol: this.target.protocol,
      truncated: (f[2] & 0x02) !== 0,
      mismatched: entry.q.mismatched,
      reused: entry.reused,
    });
    this.#afterSettle();
  }

  #onUnmatched(): void {
    this.#unmatched++;
    if (this.#unmatched > this.#opts.maxUnmatchedFrames)
      this.#finish(
        new TransportError('mismatched', `${this.target.ip}#${this.target.port}: ${this.#unmatched} unpaired frames`, {
          target: targetRef(this.target),
          mismatched: this.#unmatched,
        }),
        'error',
      );
  }

  /** A query held here reached its deadline or was aborted. */
  #onExpired(entry: Entry, err: TransportError): void {
    if (this.#inflight.get(entry.sentId) !== entry) return;
    this.#inflight.delete(entry.sentId);
    const stalled =
      (err.code === 'timeout' || err.code === 'mismatched') &&
      entry.written &&
      this.#paired === entry.pairedAtWrite &&
      this.#state !== 'closed';
    if (stalled) {
      // Nothing was paired on this connection for the whole time this query waited: a silent, dripping or
      // garbage-sending server. Drop the connection so the next query gets a fresh one.
      this.#finish(
        new TransportError('closed', `${this.target.ip}#${this.target.port}: connection stalled`, {
          target: targetRef(this.target),
        }),
        'error',
      );
      return;
    }
    this.#afterSettle();
  }

  #afterSettle(): void {
    if (this.#state === 'closed') return;
    if (this.#inflight.size === 0) {
      this.#idleSince = this.#opts.clock.now();
      if (this.#state === 'closing') {
        this.#end();
        return;
      }
      if (this.#state === 'open') this.#armIdle();
    }
    if (this.accepting) this.#hooks.onDrain(this);
  }

  #armIdle(): void {
    this.#clearIdle();
    this.#idleTimer = setTimeout(() => this.close('idle'), this.#opts.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Half-closes our side; the connection is finished when the server closes its side (or the grace ends). */
  #end(): void {
    const socket = this.#socket;
    if (socket === undefined) {
      this.#finish(undefined, this.#closeReason);
      return;
    }
    socket.end();
    this.#graceTimer = setTimeout(() => this.#finish(undefined, this.#closeReason), CLOSE_GRACE_MS);
    this.#graceTimer.unref();
  }

  #onPeerClosed(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'closing' && this.#inflight.size === 0) {
      this.#finish(undefined, this.#closeReason);
      return;
    }
    this.#finish(
      new TransportError('closed', `${this.target.ip}#${this.target.port}: server closed the connection`, {
        target: targetRef(this.target),
      }),
      'peer',
    );
  }

  /** The one way out: settles everything still in flight with `err` and releases the connection. */
  #finish(err: TransportError | undefined, reason: CloseReason): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#socket !== undefined;
    this.#state = 'closed';
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.#clearIdle();
    if (!this.#connectAbort.signal.aborted)
      this.#connectAbort.abort(
        err ?? new TransportError('shutdown', 'client closed', { target: targetRef(this.target) }),
      );
    this.#socket?.destroy();
    const failure =
      err ??
      new TransportError('closed', 'connection closed with queries in flight', { target: targetRef(this.target) });
    const entries = [...this.#inflight.values()];
    this.#inflight.clear();
    for (const entry of entries) entry.q.reject(failure);
    if (wasOpen)
      publishClose({
        server: targetRef(this.target),
        key: this.#opts.key,
        connectionId: this.id,
        reason,
        ...(err === undefined ? {} : { error: err }),
        answered: this.#paired,
        durationMs: this.#opts.clock.now() - this.#openedAt,
      });
    this.#markClosed();
    this.#hooks.onClosed(this, err, wasOpen);
  }
}
