// DNS over UDP: one datagram in, at most one datagram out, truncated (TC) to the client's
// EDNS UDP size.

import cluster from 'node:cluster';
import dgram, { type RemoteInfo } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { ServeError } from './errors.js';
import { type Endpoint, type ExchangeContext, exchangeNow, type Outcome, type QueryInfo } from './exchange.js';
import type { Listener } from './types.js';

/** Largest datagram read; anything longer cannot be a DNS message (RFC 1035 limits to 65535). */
const RECV_BUFFER = 65_535;

export async function listenUdp(ctx: ExchangeContext, address: string, port: number): Promise<Listener> {
  const socket = dgram.createSocket({
    type: isIPv6(address) ? 'udp6' : 'udp4',
    recvBufferSize: RECV_BUFFER * 4,
    lookup: literalLookup,
  });
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(new ServeError('bind-failed', `udp ${address}@${port}: ${err.message}`, { listener: 'udp', cause: err }));
    });
    // In a cluster worker the primary binds the socket and every worker reads from that one
    // handle (Node shares UDP handles, there is no round-robin for datagrams).
    socket.bind({ address, port, exclusive: !cluster.isWorker }, () => {
      socket.removeAllListeners('error');
      resolve();
    });
  });
  socket.on('error', (err) => ctx.log?.warn({ err, listener: 'udp' }, 'udp socket error'));
  const bound = socket.address();
  const local: Endpoint = { address: bound.address, port: bound.port };
  // A reply goes out without a send callback (a failed send to one client is not worth a callback per datagram;
  // socket-level errors still reach the 'error' handler), and without an address lookup (see literalLookup).
  const send = (out: Outcome, rinfo: RemoteInfo): void => {
    if (!closed && out.kind === 'reply') socket.send(out.wire, rinfo.port, rinfo.address);
  };
  socket.on('message', (msg, rinfo) => {
    // rinfo is the client endpoint (its other fields, family and size, are never read from it)
    const info: QueryInfo = { transport: 'udp', client: rinfo, local };
    const out = exchangeNow(ctx, msg, info);
    // a packet-cache hit is answered here, in the datagram's own event; a resolution when it is done
    if (out instanceof Promise) void out.then((o) => send(o, rinfo));
    else send(out, rinfo);
  });
  return {
    kind: 'udp',
    port: local.port,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}

/**
 * The socket's address lookup: replies go to the client's address as received, an IP literal, which dgram would
 * otherwise pass through dns.lookup (answered on the next tick) before every send. Names (a bind address given as
 * one) still go to dns.lookup.
 */
function literalLookup(
  host: string,
  opts: LookupOneOptions | number,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  // most replies go to the address the last one went to: no isIP (a regular expression) for those
  if (host === lastLiteral) {
    cb(null, host, lastFamily);
    return;
  }
  const family = isIP(host);
  if (family === 0) {
    dnsLookup(host, typeof opts === 'number' ? { family: opts } : opts, cb);
    return;
  }
  lastLiteral = host;
  lastFamily = family;
  cb(null, host, family);
}
let lastLiteral = '';
let lastFamily = 4;
