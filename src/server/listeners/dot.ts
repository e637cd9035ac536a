// DNS over TLS (RFC 7858): TLS 1.3 only, ALPN "dot" offered (clients that send no ALPN are
// served too), then the same framing as TCP.

import tls from 'node:tls';
import type { ExchangeContext } from './exchange.js';
import { ConnectionSet, closeServer, type StreamSettings, serveStream } from './stream.js';
import { listen } from './tcp.js';
import type { Listener } from './types.js';

export interface TlsCredentials {
  certPem: string;
  keyPem: string;
}

/** The secure-context options of every DoT/DoH listener: the credentials, TLS 1.3 only. */
export function secureContextOptions(creds: TlsCredentials): tls.SecureContextOptions {
  return { cert: creds.certPem, key: creds.keyPem, minVersion: 'TLSv1.3' };
}

export async function listenDot(
  ctx: ExchangeContext,
  address: string,
  port: number,
  creds: TlsCredentials,
  settings: StreamSettings,
): Promise<Listener> {
  const conns = new ConnectionSet(settings.maxConnections, settings.maxConnectionsPerClient);
  const server = tls.createServer({
    ...secureContextOptions(creds),
    ALPNProtocols: ['dot'],
    handshakeTimeout: settings.idleTimeoutMs,
    // No half-open TLS: a client that closes mid-handshake must not hold a connection slot.
    allowHalfOpen: false,
  });
  // Admission happens on the raw TCP connection, so handshakes count against the limit too.
  server.on('connection', (socket) => {
    if (!conns.admit(socket))
      ctx.log?.debug?.({ client: socket.remoteAddress, listener: 'dot' }, 'connection refused: listener full');
  });
  server.on('secureConnection', (socket) => serveStream(ctx, socket, 'dot', settings));
  server.on('tlsClientError', (err, socket) =>
    ctx.log?.debug?.({ err, client: socket.remoteAddress, listener: 'dot' }, 'TLS handshake failed'),
  );
  const bound = await listen(server, address, port, 'dot');
  server.on('error', (err) => ctx.log?.warn({ err, listener: 'dot' }, 'dot listener error'));
  return {
    kind: 'dot',
    port: bound,
    // setSecureContext replaces the whole context: TLS 1.3 only must be restated.
    setCredentials: (c) => server.setSecureContext(secureContextOptions(c)),
    close: () => closeServer(server, conns),
  };
}
