/**
 * How stream connections are opened. A Connector yields a socket that is ready for DNS messages: connected for
 * TCP, and (for DoT, added later beside this one) after the TLS handshake and server authentication. Clients and
 * pools only see this function, so TCP and DoT share framing, pipelining, pooling and timeouts.
 */
import { connect, type Socket } from 'node:net';
import { fromSocketError, TransportError } from './errors.js';
import { type Target, targetRef } from './upstream.js';

export interface ConnectRequest {
  target: Target;
  /**
   * Aborted when the attempt is no longer wanted (connect timeout, destroy). The connector must then destroy its
   * socket and reject with `signal.reason` (a TransportError).
   */
  signal: AbortSignal;
}

/** Resolves with a ready socket, or rejects with a TransportError ('connect-refused', 'connect-timeout', ...). */
export type Connector = (req: ConnectRequest) => Promise<Socket>;

function reasonOf(signal: AbortSignal, target: Target): TransportError {
  const r: unknown = signal.reason;
  return r instanceof TransportError
    ? r
    : new TransportError('aborted', 'connection attempt aborted', { cause: r, target: targetRef(target) });
}

/** Plain TCP (RFC 7766), Nagle off so pipelined queries leave at once. */
export const tcpConnector: Connector = ({ target, signal }) =>
  new Promise<Socket>((resolve, reject) => {
    if (signal.aborted) {
      reject(reasonOf(signal, target));
      return;
    }
    const socket = connect({ host: target.ip, port: target.port, noDelay: true });
    const cleanup = () => {
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(fromSocketError(err, 'connect', target));
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(reasonOf(signal, target));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
