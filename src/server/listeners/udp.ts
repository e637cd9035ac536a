// DNS over UDP: one datagram in, at most one datagram out, truncated (TC) to the client's
// EDNS UDP size.

import cluster from 'node:cluster';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ServeError } from './errors.js';
import { type ExchangeContext, exchange } from './exchange.js';
import type { Listener } from './types.js';

/** Largest datagram read; anything longer cannot be a DNS message (RFC 1035 limits to 65535). */
const RECV_BUFFER = 65_535;

export async function listenUdp(ctx: ExchangeContext, address: string, port: number): Promise<Listener> {
  const socket = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', recvBufferSize: RECV_BUFFER * 4 });
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
  const local = socket.address();
  socket.on('message', (msg, rinfo) => {
    const client = { address: rinfo.address, port: rinfo.port };
    void exchange(ctx, msg, { transport: 'udp', client, local: { address: local.address, port: local.port } }).then(
      (out) => {
        if (closed || out.kind !== 'reply') return;
        socket.send(out.wire, rinfo.port, rinfo.address, (err) => {
          if (err) ctx.log?.debug?.({ err, client }, 'udp send failed');
        });
      },
    );
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
