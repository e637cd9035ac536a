// Small fake DNS servers for transport tests: real sockets on 127.0.0.1 (or ::1), each test scripting how the
// server answers. Replies are built with the wire codec. Every server tracks its sockets so `close()` ends them all.

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { isTransportError, type Target, type TransportError } from '../../src/transport/index.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  newMessage,
  RRType,
} from '../../src/wire/index.js';

export function target(port: number, protocol: Target['protocol'] = 'udp', ip = '127.0.0.1'): Target {
  return { ip, port, protocol, auth: 'none' };
}

/** An A query for `name` (with EDNS), as bytes. */
export function queryWire(name: string, id = 0x1234, type: number = RRType.A): Uint8Array {
  return encodeMessage(makeQuery(name, type, { id }));
}

export interface AnswerOptions {
  address?: string;
  tc?: boolean;
  id?: number;
  /** Answer for another name than the query's. */
  qname?: string;
  qtype?: number;
}

/** A reply to `query` (which must decode) with one A record. */
export function answerFor(query: Uint8Array, opts: AnswerOptions = {}): Uint8Array {
  const q = decodeMessage(query);
  const question = q.questions[0];
  const name =
    opts.qname === undefined ? question.name : Name.fromText(opts.qname.endsWith('.') ? opts.qname : `${opts.qname}.`);
  const reply: Message = newMessage({
    id: opts.id ?? q.id,
    qr: true,
    rd: q.rd,
    ra: true,
    tc: opts.tc ?? false,
    questions: [{ name, type: opts.qtype ?? question.type, class: question.class }],
    answers: opts.tc
      ? []
      : [{ name, type: RRType.A, class: 1, ttl: 300, data: { address: opts.address ?? '192.0.2.1' } }],
  });
  return encodeMessage(reply);
}

/** The first answer's address in a reply. */
export function addressOf(reply: Uint8Array): string {
  const m = decodeMessage(reply);
  return (m.answers[0]?.data as { address: string } | undefined)?.address ?? '';
}

export function idOf(wire: Uint8Array): number {
  return (wire[0] << 8) | wire[1];
}

export function qnameOf(wire: Uint8Array): string {
  return decodeMessage(wire).questions[0].name.toString();
}

// ---- UDP ------------------------------------------------------------------------------------------

export interface FakeUdpServer {
  socket: dgram.Socket;
  port: number;
  received: number;
  close(): Promise<void>;
}

export async function udpServer(
  handler: (msg: Buffer, rinfo: dgram.RemoteInfo, reply: (b: Uint8Array) => void) => void,
  address = '127.0.0.1',
): Promise<FakeUdpServer> {
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
  const server: FakeUdpServer = {
    socket,
    port: socket.address().port,
    received: 0,
    close: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
  socket.on('message', (msg, rinfo) => {
    server.received++;
    handler(msg, rinfo, (b) => socket.send(b, rinfo.port, rinfo.address));
  });
  return server;
}

/** A free UDP port with nothing listening (bound, then closed). */
export async function closedUdpPort(): Promise<number> {
  const s = await udpServer(() => {});
  const port = s.port;
  await s.close();
  return port;
}

// ---- TCP ------------------------------------------------------------------------------------------

export interface Conn {
  socket: net.Socket;
  /** Sequence number of the connection on this server (1-based). */
  n: number;
  send(msg: Uint8Array): void;
}

export interface FakeTcpServer {
  server: net.Server;
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections currently open. */
  readonly open: Set<net.Socket>;
  /** Resolves when the nth connection (1-based) has closed. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

export function frameOf(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(msg.length + 2);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

/**
 * A TCP server that splits the client's stream into messages and hands each to `onQuery`. `onConnect` may take
 * over a connection entirely (garbage, drips) by returning true.
 */
export async function tcpServer(
  onQuery: (msg: Buffer, conn: Conn) => void,
  onConnect?: (conn: Conn) => boolean | undefined,
  address = '127.0.0.1',
): Promise<FakeTcpServer> {
  const open = new Set<net.Socket>();
  const closeWaiters = new Map<number, () => void>();
  const closedConns = new Set<number>();
  const server = net.createServer();
  const fake: FakeTcpServer = {
    server,
    port: 0,
    accepted: 0,
    open,
    closed: (n) =>
      closedConns.has(n) ? Promise.resolve() : new Promise<void>((resolve) => closeWaiters.set(n, resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    const n = ++fake.accepted;
    open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      open.delete(socket);
      closedConns.add(n);
      closeWaiters.get(n)?.();
    });
    const conn: Conn = {
      socket,
      n,
      send: (msg) => {
        if (!socket.destroyed) socket.write(frameOf(msg));
      },
    };
    if (onConnect?.(conn)) return;
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        onQuery(msg, conn);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  fake.port = (server.address() as net.AddressInfo).port;
  return fake;
}

/** A TCP port with nothing listening. */
export async function closedTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Whether the host can bind ::1 (IPv6 loopback). */
export async function hasIpv6Loopback(): Promise<boolean> {
  try {
    const s = await udpServer(() => {}, '::1');
    await s.close();
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Awaits `p` and asserts it rejects with a TransportError of `code`; returns that error. */
export async function rejectsWith(p: Promise<unknown>, code: TransportError['code']): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isTransportError(err), `expected a TransportError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}
