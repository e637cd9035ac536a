// A server's query log: a bounded ring buffer of every query the listeners received (answered,
// refused, dropped or malformed alike), written before the handler runs. Tests read it to prove
// what crossed the wire and in which transport; live subscribers and a diagnostics channel
// (`sealdns:authority:query` by default, `sealdns:server:query` for the resolver service) see
// each entry as it is written. Servers that need no per-query cost run without one.

import diagnostics_channel from 'node:diagnostics_channel';

export type ServeTransport = 'udp' | 'tcp' | 'dot' | 'doh';

/** What the server could read of a message before it decided what to do with it. */
export type QueryKind =
  /** Decoded query (QR clear); handed to the handler unless the frame answered it itself. */
  | 'query'
  /** Decoded message with QR set: dropped. */
  | 'response'
  /** Did not decode but the header was readable: answered FORMERR. qname/qtype are best effort. */
  | 'malformed';

export interface QueryLogEntry {
  /** Milliseconds since the epoch, from the server's clock. */
  time: number;
  /** DNS transport the message arrived on. */
  transport: ServeTransport;
  /** Listener that received it (the same kind as `transport`; one listener per transport). */
  listener: ServeTransport;
  kind: QueryKind;
  /** Message ID. */
  id: number;
  opcode: number;
  /** First question's name in presentation form ('' when there is none or it was unreadable). */
  qname: string;
  /** First question's type (-1 when there is none or it was unreadable). */
  qtype: number;
  /** First question's class (-1 when there is none or it was unreadable). */
  qclass: number;
  client: { address: string; port: number };
}

export type QueryLogListener = (entry: QueryLogEntry) => void;

/** The authoritative server's entries are published here (the default); observe/ subscribes. */
export const queryChannel = diagnostics_channel.channel('sealdns:authority:query');
/** The resolver service's entries are published here. */
export const serverQueryChannel = diagnostics_channel.channel('sealdns:server:query');

export const DEFAULT_QUERY_LOG_CAPACITY = 10_000;

export class QueryLog {
  readonly capacity: number;
  readonly #ring: (QueryLogEntry | undefined)[];
  /** Index where the next entry goes. */
  #next = 0;
  #size = 0;
  #total = 0;
  readonly #listeners = new Set<QueryLogListener>();
  readonly #channel: diagnostics_channel.Channel;

  constructor(capacity = DEFAULT_QUERY_LOG_CAPACITY, channel: diagnostics_channel.Channel = queryChannel) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`query log capacity ${capacity}`);
    this.capacity = capacity;
    this.#channel = channel;
    this.#ring = new Array(capacity);
  }

  /** Entries currently held, oldest first, optionally only those of one transport. */
  entries(filter: { transport?: ServeTransport } = {}): QueryLogEntry[] {
    const out: QueryLogEntry[] = [];
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) {
      const e = this.#ring[(start + i) % this.capacity]!;
      if (filter.transport === undefined || e.transport === filter.transport) out.push(e);
    }
    return out;
  }

  /** Entries held right now. */
  get size(): number {
    return this.#size;
  }

  /** Entries ever written (including those the ring has since overwritten or `clear` removed). */
  get total(): number {
    return this.#total;
  }

  clear(): void {
    this.#ring.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }

  add(entry: QueryLogEntry): void {
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
    this.#total++;
    for (const l of this.#listeners) {
      try {
        l(entry);
      } catch {
        // a subscriber's bug must not break serving
      }
    }
    if (this.#channel.hasSubscribers) this.#channel.publish(entry);
  }

  /** Calls `listener` for each new entry; returns the unsubscribe function. */
  subscribe(listener: QueryLogListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first entry, already held or written later, that matches `predicate`;
   * rejects after `timeoutMs` (for tests).
   */
  waitFor(predicate: (e: QueryLogEntry) => boolean, timeoutMs = 5_000): Promise<QueryLogEntry> {
    const held = this.entries().find(predicate);
    if (held !== undefined) return Promise.resolve(held);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching query log entry within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.subscribe((e) => {
        if (!predicate(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}
