// The `dnstap:` configuration section (socket or file, identity, version, message selection,
// queue size; paths relative to the file) and `sealdns serve` writing client messages to a dnstap
// file through startServe.

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/cli/config.js';
import { startServe } from '../../src/cli/serve.js';
import { DNSTAP_CONTENT_TYPE, decodeDnstap, MessageType } from '../../src/observe/dnstap-schema.js';
import { readDataFrames } from '../../src/observe/fstrm.js';
import { decodeMessage, Rcode } from '../../src/wire/index.js';
import { query, udpExchange } from '../authority/serve-helpers.js';
import { tempDir } from '../helpers/peers.js';

const FILE = '/etc/sealdns/sealdns.yaml';
const dir = tempDir('sealdns-dnstap-config-');
after(() => rm(dir, { recursive: true, force: true }));

function problems(text: string): string[] {
  try {
    resolveConfig({ file: { path: FILE, text } });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('accepted');
}

describe('config: dnstap', () => {
  test('absent by default', () => {
    assert.equal(resolveConfig({ file: { path: FILE, text: 'log-level: warn' } }).dnstap, undefined);
  });

  test('a socket, with identity, version and selection; relative paths follow the file', () => {
    const c = resolveConfig({
      file: {
        path: FILE,
        text: `
dnstap:
  socket: run/dnstap.sock
  identity: resolver-1
  version: sealdns 0.1
  client-messages: false
  queue-size: 500
`,
      },
    });
    assert.deepEqual(c.dnstap, {
      output: { socket: '/etc/sealdns/run/dnstap.sock' },
      identity: 'resolver-1',
      version: 'sealdns 0.1',
      client: false,
      resolver: true,
      queueSize: 500,
    });
    const f = resolveConfig({ file: { path: FILE, text: 'dnstap: { file: /var/log/sealdns.dnstap }' } });
    assert.deepEqual(f.dnstap?.output, { file: '/var/log/sealdns.dnstap' });
    assert.equal(f.dnstap?.client, true);
  });

  test('exactly one output, known keys, sane values', () => {
    assert.deepEqual(problems('dnstap: { file: a, socket: b }'), [
      'dnstap: needs exactly one of socket (a unix socket path) or file',
    ]);
    assert.deepEqual(problems('dnstap: { identity: x }'), [
      'dnstap: needs exactly one of socket (a unix socket path) or file',
    ]);
    assert.deepEqual(problems('dnstap: { file: a, sokcet: b }'), ['dnstap.sokcet: unknown key']);
    assert.deepEqual(problems('dnstap: { file: a, queue-size: 0 }'), [
      'dnstap.queue-size: must be an integer in 1..1000000',
    ]);
    assert.equal(problems('dnstap: yes').length, 1);
  });
});

describe('serve with dnstap', { timeout: 30_000 }, () => {
  test('client queries and responses reach the dnstap file', async () => {
    const file = join(dir, 'serve.fstrm');
    const config = resolveConfig({
      flags: { listen: ['127.0.0.1:0'], 'log-level': 'silent' },
    });
    config.dnstap = {
      output: { file },
      identity: 'serve-test',
      version: undefined,
      client: true,
      resolver: true,
      queueSize: undefined,
    };
    const serving = await startServe(config);
    try {
      assert.ok(serving.dnstap);
      const port = serving.service.listeners[0].port;
      // RD clear: answered from the (empty) cache, no upstream traffic
      const r = await udpExchange(port, query('www.example', { id: 0x3131, rd: false }));
      assert.ok(r);
      assert.equal(decodeMessage(r).rcode, Rcode.REFUSED);
    } finally {
      await serving.close();
    }
    const frames = readDataFrames(await readFile(file), DNSTAP_CONTENT_TYPE).map(decodeDnstap);
    assert.deepEqual(
      frames.map((f) => f.message.type),
      [MessageType.CLIENT_QUERY, MessageType.CLIENT_RESPONSE],
    );
    assert.equal(Buffer.from(frames[0].identity!).toString(), 'serve-test');
    assert.equal(Buffer.from(frames[0].version!).toString(), 'sealdns');
    assert.equal(decodeMessage(frames[1].message.responseMessage!).id, 0x3131);
  });
});
