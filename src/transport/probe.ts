/**
 * TLS probes for diagnostics (the domain owner's checker, `sealdns check`), never used to send DNS: one handshake
 * that allows TLS 1.3 only, as every sealdns connection does (M10), and, when that fails, a second, separate
 * handshake that allows TLS 1.0 to 1.2, only to tell a server that speaks TLS but not 1.3 ("TLS 1.2 only") from a
 * closed port or a server that does not speak TLS at all. Nothing is written after either handshake; the sockets
 * are closed at once. The certificate the server presented is returned for DANE and name checks.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { fromSocketError } from './errors.js';
import type { Target } from './upstream.js';

export type TlsProbeResult =
  /** TLS 1.3 handshake completed. */
  | { kind: 'tls13'; version: string; alpn: string | false; certificate?: X509Certificate }
  /** TLS 1.3 failed but a TLS ≤ 1.2 handshake completed: the server is unusable for sealdns. */
  | { kind: 'tls12-only'; version: string; detail: string; certificate?: X509Certificate }
  /** Nothing listens (refused), or the TCP connection did not complete in time. */
  | { kind: 'closed'; code: string; detail: string }
  /** TCP connected but no TLS handshake completed with any version. */
  | { kind: 'no-tls'; detail: string };

export interface TlsProbeOptions {
  ip: string;
  port: number;
  /** ALPN to offer ("dot", "h2"). */
  alpn: string;
  /** SNI to send (default none, as sealdns's DANE-EE and unauthenticated connections). */
  servername?: string;
  timeoutMs?: number;
}

type Attempt =
  | { ok: true; version: string; alpn: string | false; certificate?: X509Certificate }
  | { ok: false; tcp: boolean; code: string; detail: string };

function handshake(o: TlsProbeOptions, versions: { min: tls.SecureVersion; max: tls.SecureVersion }): Promise<Attempt> {
  return new Promise((resolve) => {
    let tcp = false;
    let done = false;
    const socket = tls.connect({
      host: o.ip,
      port: o.port,
      minVersion: versions.min,
      maxVersion: versions.max,
      // TLS < 1.2 needs the lower security level of OpenSSL 3 to negotiate at all (probe only)
      ...(versions.min === 'TLSv1.3' ? {} : { ciphers: 'DEFAULT:@SECLEVEL=0' }),
      ALPNProtocols: [o.alpn],
      ...(o.servername === undefined ? {} : { servername: o.servername }),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const finish = (a: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const timer = setTimeout(
      () => finish({ ok: false, tcp, code: tcp ? 'tls-timeout' : 'connect-timeout', detail: 'no handshake in time' }),
      o.timeoutMs ?? 5_000,
    );
    socket.once('connect', () => {
      tcp = true;
    });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate()?.raw;
      finish({
        ok: true,
        version: socket.getProtocol() ?? 'unknown',
        alpn: socket.alpnProtocol ?? false,
        ...(raw === undefined ? {} : { certificate: new X509Certificate(raw) }),
      });
    });
    socket.once('error', (err) => {
      if (tcp) finish({ ok: false, tcp, code: 'tls-handshake', detail: err.message });
      else {
        const target: Target = { ip: o.ip, port: o.port, protocol: 'dot', auth: 'none' };
        const e = fromSocketError(err, 'connect', target);
        finish({ ok: false, tcp, code: e.code, detail: err.message });
      }
    });
    socket.once('close', () =>
      finish({ ok: false, tcp, code: tcp ? 'tls-handshake' : 'closed', detail: 'closed during the handshake' }),
    );
  });
}

/** Probes `ip:port`: TLS 1.3 only first, then (only if that fails) TLS ≤ 1.2 to classify the failure. */
export async function probeTls(o: TlsProbeOptions): Promise<TlsProbeResult> {
  const first = await handshake(o, { min: 'TLSv1.3', max: 'TLSv1.3' });
  if (first.ok) return { kind: 'tls13', version: first.version, alpn: first.alpn, certificate: first.certificate };
  if (!first.tcp) return { kind: 'closed', code: first.code, detail: first.detail };
  const old = await handshake(o, { min: 'TLSv1', max: 'TLSv1.2' });
  if (old.ok)
    return {
      kind: 'tls12-only',
      version: old.version,
      detail: `TLS 1.3 refused (${first.detail}); ${old.version} accepted`,
      certificate: old.certificate,
    };
  if (!old.tcp) return { kind: 'closed', code: old.code, detail: old.detail };
  return { kind: 'no-tls', detail: `TLS 1.3: ${first.detail}; TLS 1.0-1.2: ${old.detail}` };
}
