/**
 * A Pool holds up to `maxConnections` stream clients to one server key (like undici's Pool). A query goes to the
 * first open client below its in-flight cap, else to one still connecting, else to a new connection if the per-
 * server and global caps allow; otherwise it waits in a ring-buffer queue until a client drains. Clients are
 * single-use, so "reconnect on the next query" is the pool opening a new client after the last one closed.
 */
import type { Clock } from './clock.js';
import type { Connector } from './connector.js';
import { TransportError } from './errors.js';
import { PendingQuery } from './pending.js';
import type { Random } from './random.js';
import { RingQueue } from './ring.js';
import { StreamClient, type StreamClientOptions } from './tcp.js';
import { shutdownError, type Target, targetRef, type UpstreamReply } from './upstream.js';

export interface PoolSettings {
  /** Connections to this server (RFC 7766 6.2.2 recommends 1). */
  maxConnections: number;
  /** Queries in flight per connection. */
  maxInflight: number;
  /** Queries waiting for a connection slot before new ones fail with 'too-many-inflight'. */
  maxQueued: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Deadline per query (queue wait included) when the caller's signal does not end it first. */
  queryTimeoutMs: number;
  maxUnmatchedFrames: number;
}

export interface PoolOptions extends PoolSettings {
  connector: Connector;
  clock: Clock;
  random: Random;
  /** Asked before opening a connection (the agent's global cap); may free an idle connection elsewhere. */
  admit?: (pool: Pool) => boolean;
  /** The pool has no connection and no queued query left; its owner may forget it. */
  onEmpty?: (pool: Pool) => void;
}

type PoolState = 'open' | 'closing' | 'closed';

export class Pool {
  readonly key: string;
  readonly target: Target;
  readonly #opts: PoolOptions;
  readonly #clients: StreamClient[] = [];
  readonly #queue = new RingQueue<PendingQuery>();
  /** Live (unsettled) queries in the queue; settled ones are skipped when they reach the head. */
  #queued = 0;
  #state: PoolState = 'open';
  #settledWaiter: (() => void) | undefined;
  readonly #whenClosed: (() => void)[] = [];

  constructor(key: string, target: Target, opts: PoolOptions) {
    this.key = key;
    this.target = { ...target };
    this.#opts = opts;
  }

  get state(): PoolState {
    return this.#state;
  }

  /** Clients in any state (connecting, open, closing). */
  get size(): number {
    return this.#clients.length;
  }

  /** Connections that count against the caps: connecting or open, not closing. */
  get connections(): number {
    let n = 0;
    for (const c of this.#clients) if (c.state === 'connecting' || c.state === 'open') n++;
    return n;
  }

  /** Open connections. */
  get connected(): number {
    let n = 0;
    for (const c of this.#clients) if (c.state === 'open') n++;
    return n;
  }

  /** Open connections below their in-flight cap. */
  get free(): number {
    let n = 0;
    for (const c of this.#clients) if (c.state === 'open' && c.accepting) n++;
    return n;
  }

  /** Queries waiting in the queue. */
  get pending(): number {
    return this.#queued;
  }

  /** Queries in flight on the connections. */
  get running(): number {
    let n = 0;
    for (const c of this.#clients) n += c.inflight;
    return n;
  }

  /** The longest-idle open client, if any (for the agent's eviction). */
  idlestClient(): StreamClient | undefined {
    let best: StreamClient | undefined;
    for (const c of this.#clients) if (c.idle && (best === undefined || c.idleSince < best.idleSince)) best = c;
    return best;
  }

  /** One query on a connection of the pool; `timeoutMs` replaces the pool's query timeout. */
  query(wire: Uint8Array, signal?: AbortSignal, timeoutMs?: number): Promise<UpstreamReply> {
    if (this.#state !== 'open')
      return Promise.reject(new TransportError('shutdown', 'pool is closed', { target: targetRef(this.target) }));
    let q: PendingQuery;
    try {
      q = new PendingQuery(wire, this.target, {
        timeoutMs: timeoutMs ?? this.#opts.queryTimeoutMs,
        signal,
        clock: this.#opts.clock,
      });
    } catch (err) {
      return Promise.reject(err);
    }
    if (!q.settled && !this.#place(q)) this.#enqueue(q);
    return q.promise;
  }

  /** Stops accepting, serves the queue and everything in flight, then closes every connection. */
  async close(): Promise<void> {
    if (this.#state !== 'open') {
      if (this.#state === 'closing') await new Promise<void>((r) => this.#whenClosed.push(r));
      return;
    }
    this.#state = 'closing';
    if (this.#queued > 0 || this.running > 0) await new Promise<void>((r) => (this.#settledWaiter = r));
    if (this.#state !== 'closing') return;
    await Promise.all(this.#clients.map((c) => c.close()));
    this.#markClosed();
  }

  /** Fails every queued and in-flight query now and drops every connection. */
  destroy(err?: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const failure = shutdownError(err, this.target);
    for (const q of this.#queue.drain()) q.reject(failure);
    this.#queued = 0;
    for (const c of [...this.#clients]) c.destroy(failure);
    this.#settledWaiter?.();
    this.#markClosed();
  }

  #markClosed(): void {
    this.#state = 'closed';
    for (const r of this.#whenClosed.splice(0)) r();
    this.#opts.onEmpty?.(this);
  }

  /** Hands `q` to a client, opening one if allowed; false when it must wait. */
  #place(q: PendingQuery): boolean {
    for (const c of this.#clients) if (c.state === 'open' && c.dispatch(q)) return true;
    for (const c of this.#clients) if (c.state === 'connecting' && c.dispatch(q)) return true;
    if (this.connections < this.#opts.maxConnections && (this.#opts.admit?.(this) ?? true)) {
      return this.#newClient().dispatch(q);
    }
    return false;
  }

  #enqueue(q: PendingQuery): void {
    if (this.connections === 0 && this.#clients.length === 0) {
      q.reject(
        new TransportError('connection-limit', 'global connection cap reached and no idle connection to release', {
          target: targetRef(this.target),
        }),
      );
      return;
    }
    if (this.#queued >= this.#opts.maxQueued) {
      q.reject(
        new TransportError('too-many-inflight', `${this.#queued} queries already waiting for ${this.key}`, {
          target: targetRef(this.target),
        }),
      );
      return;
    }
    this.#queue.push(q);
    this.#queued++;
    q.detach = () => {
      this.#queued--;
      this.#checkSettled();
    };
  }

  /** Moves queued queries onto clients while there is room. */
  #pump(): void {
    for (let q = this.#queue.peek(); q !== undefined; q = this.#queue.peek()) {
      if (q.settled) {
        this.#queue.shift();
        continue;
      }
      q.detach = undefined;
      if (!this.#place(q)) {
        q.detach = () => {
          this.#queued--;
          this.#checkSettled();
        };
        break;
      }
      this.#queue.shift();
      this.#queued--;
    }
    if (this.#queued > 0 && this.#clients.length === 0) {
      // Nothing will ever drain the queue: no connection exists and none may be opened.
      const failure = new TransportError('connection-limit', 'no connection can be opened for the queued queries', {
        target: targetRef(this.target),
      });
      this.#failQueue(failure);
    }
  }

  #failQueue(err: TransportError): void {
    const waiting = this.#queue.drain();
    this.#queued = 0;
    for (const q of waiting) q.reject(err);
  }

  #newClient(): StreamClient {
    const o = this.#opts;
    const clientOpts: StreamClientOptions = {
      connector: o.connector,
      key: this.key,
      maxInflight: o.maxInflight,
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      maxUnmatchedFrames: o.maxUnmatchedFrames,
      clock: o.clock,
      random: o.random,
    };
    const client = new StreamClient(this.target, clientOpts, {
      onDrain: () => {
        this.#pump();
        this.#checkSettled();
      },
      onClosed: (c, err, wasOpen) => this.#onClientClosed(c, err, wasOpen),
    });
    this.#clients.push(client);
    return client;
  }

  #onClientClosed(client: StreamClient, err: TransportError | undefined, wasOpen: boolean): void {
    const i = this.#clients.indexOf(client);
    if (i >= 0) this.#clients.splice(i, 1);
    if (this.#state === 'closed') return;
    // A failed connection attempt fails the queue too, unless another connection is open to serve it: otherwise
    // every queued query would trigger a fresh attempt against a server that is down.
    if (!wasOpen && err !== undefined && this.connected === 0) this.#failQueue(err);
    else this.#pump();
    this.#checkSettled();
    if (this.#state === 'open' && this.#clients.length === 0 && this.#queued === 0) this.#opts.onEmpty?.(this);
  }

  #checkSettled(): void {
    if (this.#state === 'closing' && this.#queued === 0 && this.running === 0) {
      const w = this.#settledWaiter;
      this.#settledWaiter = undefined;
      w?.();
    }
  }
}
