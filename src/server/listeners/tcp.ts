// DNS over TCP (RFC 7766).

import cluster from 'node:cluster';
import net from 'node:net';
import { ServeError } from './errors.js';
import type { ExchangeContext } from './exchange.js';
import { ConnectionSet, closeServer, type StreamSettings, serveStream } from './stream.js';
import type { Listener } from './types.js';

export async function listenTcp(
  ctx: ExchangeContext,
  address: string,
  port: number,
  settings: StreamSettings,
): Promise<Listener> {
  const conns = new ConnectionSet(settings.maxConnections, settings.maxConnectionsPerClient);
  const server = net.createServer({ allowHalfOpen: true });
  server.on('connection', (socket) => {
    if (conns.admit(socket)) serveStream(ctx, socket, 'tcp', settings);
    else ctx.log?.debug?.({ client: socket.remoteAddress, listener: 'tcp' }, 'connection refused: listener full');
  });
  const bound = await listen(server, address, port, 'tcp');
  server.on('error', (err) => ctx.log?.warn({ err, listener: 'tcp' }, 'tcp listener error'));
  return { kind: 'tcp', port: bound, close: () => closeServer(server, conns) };
}

/**
 * Binds a net/tls/http2 server; resolves with the bound port. In a cluster worker the socket is
 * the primary's, shared by every worker (`exclusive: false`: the primary accepts and hands the
 * connections round-robin to the workers); elsewhere `exclusive` makes no difference.
 */
export function listen(server: net.Server, address: string, port: number, kind: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new ServeError('bind-failed', `${kind} ${address}@${port}: ${err.message}`, { listener: kind, cause: err }),
      );
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: !cluster.isWorker }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
