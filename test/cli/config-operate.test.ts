// The operating options of the configuration (src/cli/config-operate.ts): DoT/DoH listeners and
// their certificate, metrics endpoint, query log, control socket, workers and connection limits —
// defaults, relative paths, flags, and errors named by their key.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/cli/config.js';
import { operateFlags } from '../../src/cli/config-operate.js';

const FILE = '/etc/sealdns/sealdns.yaml';

function fromFile(text: string, flags?: Record<string, unknown>) {
  return resolveConfig({ file: { path: FILE, text }, flags });
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
  }
  assert.fail('the configuration was accepted');
}

describe('config: operating options', () => {
  test('defaults', () => {
    const c = resolveConfig({ env: undefined } as never);
    assert.equal(c.tls, undefined);
    assert.equal(c.metrics, undefined);
    assert.equal(c.queryLog, false);
    assert.equal(c.workers, 1);
    assert.equal(c.control?.explicit, false);
    assert.match(c.control?.socket ?? '', /sealdns(-\d+)?\.sock$/);
    assert.deepEqual(c.downstream, {
      idleTimeoutMs: 10_000,
      maxConnections: 256,
      maxConnectionsPerClient: undefined,
      dohPath: '/dns-query',
    });
  });

  test('a file with every operating option', () => {
    const c = fromFile(`
listen:
  - { address: 127.0.0.1, port: 5300, transport: udp }
  - { address: 127.0.0.1, port: 8853, transport: dot }
  - { address: "::1", port: 8443, transport: doh }
tls: { cert: certs/server.pem, key: /etc/ssl/server.key }
metrics: 127.0.0.1:9153
query-log: true
control: { socket: run/control.sock }
workers: 4
idle-timeout-ms: 5000
max-connections: 100
max-connections-per-client: 8
doh-path: /q
`);
    assert.deepEqual(c.listen, [
      { address: '127.0.0.1', port: 5300, transport: 'udp' },
      { address: '127.0.0.1', port: 8853, transport: 'dot' },
      { address: '::1', port: 8443, transport: 'doh' },
    ]);
    assert.deepEqual(c.tls, { certFile: '/etc/sealdns/certs/server.pem', keyFile: '/etc/ssl/server.key' });
    assert.deepEqual(c.metrics, { address: '127.0.0.1', port: 9153 });
    assert.equal(c.queryLog, true);
    assert.deepEqual(c.control, { socket: '/etc/sealdns/run/control.sock', explicit: true });
    assert.equal(c.workers, 4);
    assert.deepEqual(c.downstream, {
      idleTimeoutMs: 5000,
      maxConnections: 100,
      maxConnectionsPerClient: 8,
      dohPath: '/q',
    });
  });

  test('metrics as a mapping; control off', () => {
    const c = fromFile('metrics: { address: "::1", port: 9100 }\ncontrol: false\n');
    assert.deepEqual(c.metrics, { address: '::1', port: 9100 });
    assert.equal(c.control, undefined);
    assert.deepEqual(
      problems(() => fromFile('control: true\n')),
      ['control: must be a mapping {socket: PATH}, or false'],
    );
  });

  test('errors are named by their key', () => {
    assert.deepEqual(
      problems(() => fromFile('listen: [ { address: 127.0.0.1, port: 853, transport: dot } ]\n')),
      ['tls: a dot listener (127.0.0.1:853) needs tls: { cert: FILE, key: FILE }'],
    );
    assert.deepEqual(
      problems(() =>
        fromFile(`
listen: [ { address: 127.0.0.1, port: 53, transport: quic } ]
tls: { cert: a.pem }
metrics: nowhere
workers: 0
control: { path: x }
doh-path: dns-query
`),
      ),
      [
        'listen[0].transport: must be one of udp, tcp, dot, doh',
        'tls.key: must be a file name',
        'metrics: "nowhere" is not an IP address (use IP, IP:PORT or [IPv6]:PORT)',
        'workers: must be an integer in 1..64',
        'control.socket: must be a file name',
        'control.path: unknown key',
        'doh-path: must be a URL path such as /dns-query',
      ],
    );
  });

  test('flags: --listen-dot/--listen-doh join --listen, --tls-cert/--tls-key, --metrics, --workers, --control-socket', () => {
    const flags = operateFlags({
      listen: ['127.0.0.1:5300'],
      listenDot: ['127.0.0.1:8853', '[::1]'],
      listenDoh: ['127.0.0.1:0'],
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      metrics: '127.0.0.1:9153',
      queryLog: true,
      controlSocket: 'off',
      workers: '2',
    });
    const c = resolveConfig({ flags });
    assert.deepEqual(c.listen, [
      { address: '127.0.0.1', port: 5300, transport: 'udp' },
      { address: '127.0.0.1', port: 5300, transport: 'tcp' },
      { address: '127.0.0.1', port: 8853, transport: 'dot' },
      { address: '::1', port: 853, transport: 'dot' },
      { address: '127.0.0.1', port: 0, transport: 'doh' },
    ]);
    assert.deepEqual(c.tls, { certFile: 'c.pem', keyFile: 'k.pem' });
    assert.equal(c.workers, 2);
    assert.equal(c.control, undefined);
    assert.equal(c.queryLog, true);
    assert.deepEqual(
      problems(() => resolveConfig({ flags: operateFlags({ listenDot: ['127.0.0.1:853'], tlsCert: 'c.pem' }) })),
      ['--tls.key: must be a file name'],
    );
    assert.deepEqual(
      problems(() => resolveConfig({ flags: operateFlags({ workers: 'many' }) })),
      ['--workers: must be an integer in 1..64'],
    );
  });

  test('flags override the file', () => {
    const c = fromFile(
      'metrics: 127.0.0.1:9153\nworkers: 4\n',
      operateFlags({ metrics: '127.0.0.1:9999', workers: '1' }),
    );
    assert.deepEqual(c.metrics, { address: '127.0.0.1', port: 9999 });
    assert.equal(c.workers, 1);
  });
});
