// Shared by the authoritative server tests: a trivial handler and small loopback DNS clients
// (UDP, length-framed TCP/TLS streams) with every wait bounded.

import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import type { Handler } from '../../src/authority/server.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  newMessage,
  Rcode,
  type RR,
  RRType,
} from '../../src/wire/index.js';

export const IO_TIMEOUT = 3_000;
export const ANSWER_ADDRESS = '192.0.2.1';
export const BIG_COUNT = 100;
/** 50 A records: about 840 octets, between 512 and 1232. */
export const MID_COUNT = 50;

function a(name: Name, address: string, ttl = 300): RR {
  return { name, type: RRType.A, class: 1, ttl, data: { address } };
}

/**
 * A for anything (192.0.2.1, TTL 300), except: refused.test → REFUSED, throw.test → throws,
 * drop.test → no reply, big.test → 100 A records, mid.test → 50 A records, slow.test → the same after 300 ms,
 * nx.test → NXDOMAIN with an SOA (TTL 3600, MINIMUM 60).
 */
export const testHandler: Handler = (q) => {
  const question = q.questions[0];
  const name = question.name.toString().toLowerCase();
  const reply = newMessage({ id: q.id, qr: true, aa: true, rd: q.rd, questions: q.questions });
  switch (name) {
    case 'refused.test.':
      reply.aa = false;
      reply.rcode = Rcode.REFUSED;
      return reply;
    case 'throw.test.':
      throw new Error('handler bug');
    case 'drop.test.':
      return undefined;
    case 'big.test.':
      for (let i = 0; i < BIG_COUNT; i++) reply.answers.push(a(question.name, `192.0.2.${i + 1}`));
      return reply;
    case 'mid.test.':
      for (let i = 0; i < MID_COUNT; i++) reply.answers.push(a(question.name, `192.0.2.${i + 1}`));
      return reply;
    case 'slow.test.':
      reply.answers.push(a(question.name, ANSWER_ADDRESS));
      return new Promise((resolve) => setTimeout(() => resolve(reply), 300));
    case 'nx.test.': {
      const zone = Name.fromText('test.');
      reply.rcode = Rcode.NXDOMAIN;
      reply.authorities.push({
        name: zone,
        type: RRType.SOA,
        class: 1,
        ttl: 3600,
        data: {
          mname: Name.fromText('ns.test.'),
          rname: Name.fromText('hostmaster.test.'),
          serial: 1,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 60,
        },
      });
      return reply;
    }
    default:
      if (question.type === RRType.A) reply.answers.push(a(question.name, ANSWER_ADDRESS));
      return reply;
  }
};

export function query(name: string, opts: Parameters<typeof makeQuery>[2] & { type?: number } = {}): Uint8Array {
  return encodeMessage(makeQuery(name, opts.type ?? RRType.A, { id: opts.id ?? 0x2a2a, ...opts }));
}

/** One UDP exchange; resolves undefined when nothing comes back within `timeoutMs`. */
export function udpExchange(port: number, wire: Uint8Array, timeoutMs = IO_TIMEOUT): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.once('error', (err) => {
      clearTimeout(timer);
      s.close();
      reject(err);
    });
    s.once('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg);
    });
    s.send(wire, port, '127.0.0.1');
  });
}

export function frame(wire: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + wire.length);
  b.writeUInt16BE(wire.length, 0);
  b.set(wire, 2);
  return b;
}

/** A length-framed DNS stream client over a TCP or TLS socket. */
export class StreamClient {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  readonly #frames: Buffer[] = [];
  #waiter: (() => void) | undefined;
  #isClosed = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        this.#waiter?.();
        resolve();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 2 && this.#buf.length >= 2 + this.#buf.readUInt16BE(0)) {
        const len = this.#buf.readUInt16BE(0);
        this.#frames.push(this.#buf.subarray(2, 2 + len));
        this.#buf = this.#buf.subarray(2 + len);
      }
      this.#waiter?.();
    });
  }

  static connectTcp(port: number): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.off('error', reject);
        resolve(new StreamClient(s));
      });
      s.once('error', reject);
    });
  }

  static connectTls(port: number, opts: tls.ConnectionOptions): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => {
        s.setTimeout(0);
        s.off('error', reject);
        resolve(new StreamClient(s));
      });
      s.once('error', reject);
      s.setTimeout(IO_TIMEOUT, () => s.destroy(new Error('TLS connect timed out')));
    });
  }

  write(data: Uint8Array): void {
    this.socket.write(data);
  }

  send(wire: Uint8Array): void {
    this.socket.write(frame(wire));
  }

  /** The next reply frame; rejects after `timeoutMs` or when the connection closes first. */
  async next(timeoutMs = IO_TIMEOUT): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (this.#isClosed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#frames.shift()!;
  }

  async nextMessage(timeoutMs = IO_TIMEOUT): Promise<Message> {
    return decodeMessage(await this.next(timeoutMs));
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return r;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
