/**
 * The Agent maps server keys to pools (like undici's Agent) and implements Upstream for stream protocols. The key
 * is the security boundary (convention 7): ip|port|protocol|authName|auth|alpn, so connections made under
 * different authentication terms are never shared. A global cap bounds connections across all pools: at the cap,
 * the longest-idle connection anywhere is closed to make room (RFC 9539 3.4 closes idle ones first), and a pool
 * with no connection at all fails fast with 'connection-limit'. Pools left without connections are dropped.
 */
import { type Clock, systemClock } from './clock.js';
import { type Connector, tcpConnector } from './connector.js';
import { TransportError } from './errors.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_SERVER,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_MAX_QUEUED_PER_SERVER,
  DEFAULT_MAX_UNMATCHED_FRAMES,
  DEFAULT_QUERY_TIMEOUT_MS,
} from './limits.js';
import { Pool, type PoolOptions, type PoolSettings } from './pool.js';
import { cryptoRandom, type Random } from './random.js';
import type { StreamClient } from './tcp.js';
import {
  checkTarget,
  type Protocol,
  shutdownError,
  type Target,
  targetKey,
  targetRef,
  UpstreamBase,
  type UpstreamReply,
} from './upstream.js';

export interface AgentOptions extends Partial<PoolSettings> {
  /** Connection factories by protocol; TCP is built in, DoT registers its TLS connector here. */
  connectors?: Partial<Record<Protocol, Connector>>;
  /** Stream connections across all servers. */
  maxConnectionsTotal?: number;
  clock?: Clock;
  random?: Random;
  /** Builds a pool (tests and alternative pool strategies). */
  poolFactory?: (key: string, target: Target, opts: PoolOptions) => Pool;
}

export interface AgentStats {
  pools: number;
  connections: number;
  connected: number;
  pending: number;
  running: number;
}

export class Agent extends UpstreamBase {
  readonly #pools = new Map<string, Pool>();
  readonly #connectors: Partial<Record<Protocol, Connector>>;
  readonly #settings: PoolSettings;
  readonly #maxTotal: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #factory: (key: string, target: Target, opts: PoolOptions) => Pool;

  constructor(opts: AgentOptions = {}) {
    super();
    this.#connectors = { tcp: tcpConnector, ...opts.connectors };
    this.#settings = {
      maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS_PER_SERVER,
      maxInflight: opts.maxInflight ?? DEFAULT_MAX_INFLIGHT,
      maxQueued: opts.maxQueued ?? DEFAULT_MAX_QUEUED_PER_SERVER,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      queryTimeoutMs: opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      maxUnmatchedFrames: opts.maxUnmatchedFrames ?? DEFAULT_MAX_UNMATCHED_FRAMES,
    };
    this.#maxTotal = opts.maxConnectionsTotal ?? DEFAULT_MAX_CONNECTIONS;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? cryptoRandom;
    this.#factory = opts.poolFactory ?? ((key, target, o) => new Pool(key, target, o));
  }

  /** Whether a connector is registered for `protocol`. */
  supports(protocol: Protocol): boolean {
    return this.#connectors[protocol] !== undefined;
  }

  /** The pool for `target`, if one exists. */
  pool(target: Target): Pool | undefined {
    return this.#pools.get(targetKey(target));
  }

  /** Connections that count against the global cap (connecting or open). */
  get connections(): number {
    let n = 0;
    for (const p of this.#pools.values()) n += p.connections;
    return n;
  }

  get stats(): AgentStats {
    const s: AgentStats = { pools: this.#pools.size, connections: 0, connected: 0, pending: 0, running: 0 };
    for (const p of this.#pools.values()) {
      s.connections += p.connections;
      s.connected += p.connected;
      s.pending += p.pending;
      s.running += p.running;
    }
    return s;
  }

  protected dispatch(
    wire: Uint8Array,
    target: Target,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<UpstreamReply> {
    checkTarget(target);
    const connector = this.#connectors[target.protocol];
    if (connector === undefined)
      throw new TransportError('unsupported-protocol', `no connector for ${target.protocol}`, {
        target: targetRef(target),
      });
    const key = targetKey(target);
    let pool = this.#pools.get(key);
    if (pool === undefined || pool.state !== 'open') {
      pool = this.#factory(key, target, {
        ...this.#settings,
        connector,
        clock: this.#clock,
        random: this.#random,
        admit: () => this.#admit(),
        onEmpty: (p) => {
          if (this.#pools.get(p.key) === p) this.#pools.delete(p.key);
        },
      });
      this.#pools.set(key, pool);
    }
    return pool.query(wire, signal, timeoutMs);
  }

  /** Whether one more connection fits under the global cap, closing the longest-idle one if that makes room. */
  #admit(): boolean {
    if (this.connections < this.#maxTotal) return true;
    let victim: StreamClient | undefined;
    for (const p of this.#pools.values()) {
      const c = p.idlestClient();
      if (c !== undefined && (victim === undefined || c.idleSince < victim.idleSince)) victim = c;
    }
    if (victim === undefined) return false;
    void victim.close('idle');
    return this.connections < this.#maxTotal;
  }

  protected async onClose(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
  }

  protected onDestroy(err?: Error): void {
    for (const p of [...this.#pools.values()]) p.destroy(err ?? shutdownError(undefined, p.target));
    this.#pools.clear();
  }
}
