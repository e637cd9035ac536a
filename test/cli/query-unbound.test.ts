// `sealdns query` (our stub client and wire codec) against a real Debian unbound:
// the "sealdns query www.example.com A --server 127.0.0.1:PORT against a running unbound prints the answer".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startUnbound, stopAll, toolSkip } from '../helpers/peers.js';

after(stopAll);

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function sealdns(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('sealdns query against unbound', { skip: toolSkip('unbound') }, () => {
  test('prints the answer over UDP and TCP, with DNSSEC records on request', async (t) => {
    const port = await freePort();
    await startUnbound({
      port,
      localZones: [{ name: 'example.com.', type: 'static' }],
      localData: [
        'www.example.com. 300 IN A 192.0.2.1',
        'www.example.com. 300 IN AAAA 2001:db8::1',
        'example.com. 300 IN MX 10 mail.example.com.',
        'example.com. 300 IN TXT "sealdns interop"',
        '_dns.ns1.example.com. 300 IN SVCB 1 ns1.example.com. alpn=dot',
      ],
      testContext: t,
    });
    const server = `127.0.0.1:${port}`;
    const a = sealdns('query', 'www.example.com', 'A', '--server', server);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /status: NOERROR/);
    assert.match(a.out, /www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1/);
    assert.match(a.out, /SERVER: 127\.0\.0\.1#\d+\(UDP\)/);

    const aaaa = sealdns('query', 'www.example.com', 'AAAA', '--server', server, '--tcp');
    assert.equal(aaaa.code, 0, aaaa.err);
    assert.match(aaaa.out, /IN\s+AAAA\s+2001:db8::1/);
    assert.match(aaaa.out, /\(TCP\)/);

    const mx = sealdns('query', 'example.com', 'MX', '--server', server);
    assert.match(mx.out, /IN\s+MX\s+10 mail\.example\.com\./);
    const txt = sealdns('query', 'example.com', 'TXT', '--server', server);
    assert.match(txt.out, /IN\s+TXT\s+"sealdns interop"/);
    const svcb = sealdns('query', '_dns.ns1.example.com', 'SVCB', '--server', server);
    assert.match(svcb.out, /IN\s+SVCB\s+1 ns1\.example\.com\. alpn="dot"/);

    const nx = sealdns('query', 'nothing.example.com', 'A', '--server', server);
    assert.equal(nx.code, 0, nx.err);
    assert.match(nx.out, /status: NXDOMAIN/);
  });

  test('bad arguments exit 2 with a message', () => {
    const r = sealdns('query', 'www.example.com', 'NOTATYPE', '--server', '127.0.0.1');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown type "NOTATYPE"/);
    const s = sealdns('query', 'www.example.com', 'A', '--server', 'not-an-ip');
    assert.equal(s.code, 2);
    assert.match(s.err, /not an IP address/);
  });
});
