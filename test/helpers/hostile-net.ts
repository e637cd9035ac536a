// A tiny private DNS tree on loopback for resolver robustness tests: well-behaved authoritative servers (the
// project's own `answer()` behind `startAuthServer`) and scriptable hostile ones (raw node:dgram / node:net), every
// one on its own 127.<net>.x.y address and all on the same port, since the resolver talks to one upstream port.
// Each server counts what reached it, so tests can hold the resolver to its budgets.

import dgram from 'node:dgram';
import net from 'node:net';
import { answer } from '../../src/authority/answer.js';
import { type AuthServer, startAuthServer } from '../../src/authority/server.js';
import { Zone } from '../../src/authority/zone.js';
import { parseZoneFile } from '../../src/authority/zonefile.js';
import { ZoneSet } from '../../src/authority/zoneset.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  Name,
  newMessage,
  parseRR,
  type RR,
} from '../../src/wire/index.js';

export interface SeenQuery {
  transport: 'udp' | 'tcp';
  /** Presentation form, lower-cased ('' when the query did not decode). */
  qname: string;
  qtype: number;
}

export interface TcpConn {
  socket: net.Socket;
  /** Writes one length-prefixed frame. */
  send(msg: Uint8Array): void;
}

/** How a hostile server behaves. Missing handlers mean silence (UDP) or a connection that never answers (TCP). */
export interface Behaviour {
  udp?: (query: Buffer, reply: (b: Uint8Array) => void) => void;
  /** Called for every complete frame received on a connection. */
  tcp?: (query: Buffer, conn: TcpConn) => void;
}

export interface FakeServer {
  readonly ip: string;
  readonly seen: SeenQuery[];
  tcpConnections: number;
  close(): Promise<void>;
}

function seenOf(transport: 'udp' | 'tcp', msg: Uint8Array): SeenQuery {
  try {
    const q = decodeMessage(msg).questions[0];
    return { transport, qname: q ? q.name.toString().toLowerCase() : '', qtype: q?.type ?? -1 };
  } catch {
    return { transport, qname: '', qtype: -1 };
  }
}

function frame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(msg.length + 2);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

/** Binds UDP and TCP on ip:port with scripted behaviour. */
export async function fakeServer(ip: string, port: number, b: Behaviour): Promise<FakeServer> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, ip, () => {
      udp.removeListener('error', reject);
      resolve();
    });
  });
  const tcp = net.createServer();
  const sockets = new Set<net.Socket>();
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, ip, () => {
        tcp.removeListener('error', reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }
  const server: FakeServer = {
    ip,
    seen: [],
    tcpConnections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => {
          try {
            udp.close(() => resolve());
          } catch {
            resolve();
          }
        }),
      ]);
    },
  };
  udp.on('message', (msg, rinfo) => {
    server.seen.push(seenOf('udp', msg));
    b.udp?.(msg, (out) => udp.send(out, rinfo.port, rinfo.address));
  });
  tcp.on('connection', (socket) => {
    server.tcpConnections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const conn: TcpConn = {
      socket,
      send: (msg) => {
        if (!socket.destroyed) socket.write(frame(msg));
      },
    };
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        server.seen.push(seenOf('tcp', msg));
        b.tcp?.(msg, conn);
      }
    });
  });
  return server;
}

/** Zones from master-file text (`{ip:x.y}` is replaced by the world's 127.<net>.x.y). */
export function zonesFrom(texts: Record<string, string>, ip: (host: string) => string): ZoneSet {
  const zones: Zone[] = [];
  for (const [origin, body] of Object.entries(texts)) {
    const text = body.replace(/\{ip:([0-9.]+)\}/g, (_, h: string) => ip(h));
    zones.push(Zone.build(Name.fromText(origin), parseZoneFile(text, { origin }).records));
  }
  return new ZoneSet(zones);
}

/** A well-behaved authoritative server for `zones` (UDP and TCP), with its query log. */
export function goodServer(ip: string, port: number, zones: ZoneSet): Promise<AuthServer> {
  return startAuthServer({ address: ip, udpPort: port, tcpPort: port, handler: (q) => answer(zones, q) });
}

/** A reply to `query` (decoded) with the question echoed and `init` applied. */
export function replyTo(query: Uint8Array, init: Partial<Message> & { an?: string[]; ns?: string[]; ar?: string[] }) {
  const q = decodeMessage(query);
  const rrs = (l?: string[]): RR[] => (l ?? []).map((t) => parseRR(t));
  const { an, ns, ar, ...rest } = init;
  return encodeMessage(
    newMessage({
      id: q.id,
      qr: true,
      opcode: q.opcode,
      rd: q.rd,
      questions: q.questions,
      answers: rrs(an),
      authorities: rrs(ns),
      additionals: rrs(ar),
      ...rest,
    }),
  );
}

/** The first question of a raw query, decoded (the tests' hostile servers only need the name). */
export function questionOf(query: Uint8Array): { name: Name; type: number } {
  const q = decodeMessage(query).questions[0];
  return { name: q.name, type: q.type };
}

/** A free TCP+UDP port on `ip` is not guaranteed; callers retry the whole world on EADDRINUSE. */
export function isAddressInUse(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'EADDRINUSE' || code === 'bind-failed' || String(e).includes('EADDRINUSE');
}
