// DNS over a byte stream (RFC 7766 for TCP, RFC 7858 for TLS): 2-octet length framing, every
// query in the stream processed as soon as it is complete (pipelining), replies written as they
// are ready (possibly out of order), an idle timeout, bounded buffers and in-flight work, and a
// cap on concurrent connections per listener and, optionally, per client address.

import type { Server, Socket } from 'node:net';
import { type ExchangeContext, exchange, HEADER_LENGTH } from './exchange.js';

/** Queries of one connection being answered at once; reading pauses above this. */
export const MAX_INFLIGHT_PER_CONNECTION = 64;
/** Reply octets queued on one connection; reading pauses above this (a client that does not read). */
export const MAX_PENDING_WRITE = 256 * 1024;
export const DEFAULT_MAX_STREAM_CONNECTIONS = 256;

export interface StreamSettings {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Concurrent connections one client address may hold on the listener (default: no limit of its own). */
  maxConnectionsPerClient?: number;
}

/**
 * The sockets of one stream listener. `admit` is called for every accepted TCP connection
 * (before any TLS handshake) and refuses it when the listener is full, or when the client's
 * address already holds `maxPerClient` connections (one client cannot take every slot).
 */
export class ConnectionSet {
  readonly #sockets = new Set<Socket>();
  readonly #perClient = new Map<string, number>();
  readonly #max: number;
  readonly #maxPerClient: number;

  constructor(max: number, maxPerClient = Number.POSITIVE_INFINITY) {
    this.#max = max;
    this.#maxPerClient = maxPerClient;
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Connections held by one client address. */
  heldBy(address: string): number {
    return this.#perClient.get(address) ?? 0;
  }

  /** Admits `socket`, or destroys it and returns false when the listener or its client is at the limit. */
  admit(socket: Socket): boolean {
    const client = socket.remoteAddress ?? '';
    const held = this.#perClient.get(client) ?? 0;
    if (this.#sockets.size >= this.#max || held >= this.#maxPerClient) {
      socket.destroy();
      return false;
    }
    this.#sockets.add(socket);
    this.#perClient.set(client, held + 1);
    socket.once('close', () => {
      if (!this.#sockets.delete(socket)) return;
      const n = (this.#perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.#perClient.delete(client);
      else this.#perClient.set(client, n);
    });
    return true;
  }

  destroyAll(): void {
    const all = [...this.#sockets];
    this.#sockets.clear();
    this.#perClient.clear();
    for (const s of all) s.destroy();
  }
}

/** Stops `server` accepting, destroys every connection, resolves once the server has closed. */
export function closeServer(server: Server, conns: ConnectionSet, extra: () => void = () => {}): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    extra();
    conns.destroyAll();
  });
}

/** Serves DNS messages on an established (and, for DoT, handshaken) connection. */
export function serveStream(
  ctx: ExchangeContext,
  socket: Socket,
  transport: 'tcp' | 'dot',
  settings: StreamSettings,
): void {
  const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  const local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
  const info = { transport, client, local } as const;
  let pending: Buffer | undefined;
  let inflight = 0;
  let readEnded = false;
  let paused = false;

  const flow = (): void => {
    if (socket.destroyed) return;
    const full = inflight >= MAX_INFLIGHT_PER_CONNECTION || socket.writableLength >= MAX_PENDING_WRITE;
    if (full && !paused) {
      paused = true;
      socket.pause();
    } else if (!full && paused) {
      paused = false;
      socket.resume();
    }
    // RFC 7766 6.2.4: the client closed its side; finish the replies in flight, then close ours.
    if (readEnded && inflight === 0 && socket.writable) socket.end();
  };

  const garbage = (why: string): void => {
    ctx.log?.debug?.({ client, transport, why }, 'closing stream on garbage');
    socket.destroy();
  };

  const handle = (frame: Buffer): void => {
    inflight++;
    void exchange(ctx, frame, info).then((out) => {
      inflight--;
      if (out.kind === 'reply' && !socket.destroyed && socket.writable) {
        const b = Buffer.allocUnsafe(2 + out.wire.length);
        b.writeUInt16BE(out.wire.length, 0);
        b.set(out.wire, 2);
        socket.write(b);
      }
      flow();
    });
  };

  socket.setNoDelay(true);
  socket.setTimeout(settings.idleTimeoutMs, () => {
    // Idle: nothing read or written for the whole period. Replies still being made keep it open.
    if (inflight > 0) socket.setTimeout(settings.idleTimeoutMs);
    else socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    let off = 0;
    while (buf.length - off >= 2) {
      const len = buf.readUInt16BE(off);
      // No DNS message is shorter than its header: a length below 12 is not DNS (RFC 7766 8).
      if (len < HEADER_LENGTH) return garbage(`length prefix ${len}`);
      if (buf.length - off - 2 < len) break;
      handle(buf.subarray(off + 2, off + 2 + len));
      off += 2 + len;
      if (socket.destroyed) return;
    }
    // At most one incomplete frame (< 2 + 65535 octets) is kept, copied so it pins no chunk.
    pending = off === buf.length ? undefined : Buffer.from(buf.subarray(off));
    flow();
  });
  socket.on('drain', flow);
  socket.on('end', () => {
    readEnded = true;
    if (pending !== undefined) ctx.log?.debug?.({ client, transport }, 'stream ended inside a message');
    flow();
  });
  socket.on('error', (err) => ctx.log?.debug?.({ err, client, transport }, 'stream error'));
}
