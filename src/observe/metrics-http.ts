// The Prometheus scrape endpoint: plain HTTP on the configured address, `GET /metrics` answers
// the exposition text; `/` says where to look. Nothing else is served. Bind it to loopback (or a
// management network): it is not authenticated.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface MetricsEndpoint {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export const METRICS_PATH = '/metrics';

export interface MetricsLogger {
  warn(obj: object, msg?: string): void;
}

export async function startMetricsEndpoint(
  address: string,
  port: number,
  source: MetricsSource,
  log?: MetricsLogger,
): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('405\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`sealdns metrics: ${METRICS_PATH}\n`);
      return;
    }
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404\n');
      return;
    }
    source.text().then(
      (body) => res.writeHead(200, { 'content-type': source.contentType }).end(req.method === 'HEAD' ? '' : body),
      (err: unknown) => {
        log?.warn({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${String(err)}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log?.warn({ err }, 'metrics endpoint error'));
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    address,
    port: bound,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
