// The control socket over a real unix socket: JSON-lines requests and answers, errors reported
// (bad JSON, unknown command, a handler that throws), several requests on one connection
// answered in order, the socket file private (0600), a stale file replaced and a live one kept.

import assert from 'node:assert/strict';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ControlServer,
  controlRequest,
  defaultControlSocket,
  parseControlRequest,
  startControlServer,
} from '../../src/observe/control.js';
import { tempDir } from '../helpers/peers.js';

describe('control socket', () => {
  const dir = tempDir('sealdns-control-');
  const path = join(dir, 'control.sock');
  const flushed: string[] = [];
  let reloadError: string | undefined;
  let server: ControlServer;

  before(async () => {
    server = await startControlServer(path, {
      stats: () => ({ queries: 3 }),
      servers: async () => [{ ip: '192.0.2.1' }],
      flush: (name) => {
        flushed.push(name);
        return { flushed: name };
      },
      reload: async () => {
        if (reloadError !== undefined) throw new Error(reloadError);
        return { applied: ['acl'], restartNeeded: [] };
      },
    });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('answers each command', async () => {
    assert.deepEqual(await controlRequest(path, { cmd: 'stats' }), { id: 1, ok: true, result: { queries: 3 } });
    assert.deepEqual(await controlRequest(path, { cmd: 'servers' }), {
      id: 1,
      ok: true,
      result: [{ ip: '192.0.2.1' }],
    });
    assert.deepEqual(await controlRequest(path, { cmd: 'flush', name: 'example.com' }), {
      id: 1,
      ok: true,
      result: { flushed: 'example.com' },
    });
    assert.deepEqual(flushed, ['example.com']);
    assert.deepEqual(await controlRequest(path, { cmd: 'reload' }), {
      id: 1,
      ok: true,
      result: { applied: ['acl'], restartNeeded: [] },
    });
  });

  test('a failing command is reported, not fatal', async () => {
    reloadError = 'config.yaml: listen[0].port: must be an integer in 0..65535';
    try {
      assert.deepEqual(await controlRequest(path, { cmd: 'reload' }), { id: 1, ok: false, error: reloadError });
    } finally {
      reloadError = undefined;
    }
    assert.equal((await controlRequest(path, { cmd: 'stats' })).ok, true, 'still serving');
  });

  test('several requests on one connection are answered in order; garbage gets an error line', async () => {
    const lines = await new Promise<string[]>((resolve, reject) => {
      const c = net.connect({ path });
      let buf = '';
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        buf += d;
        const got = buf.split('\n').filter(Boolean);
        if (got.length === 4) {
          c.end();
          resolve(got);
        }
      });
      c.once('error', reject);
      c.write('{"id":"a","cmd":"stats"}\nnot json\n{"id":7,"cmd":"shutdown"}\n');
      c.write('{"id":8,"cmd":"flush"}\n');
    });
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(parsed[0], { id: 'a', ok: true, result: { queries: 3 } });
    assert.deepEqual(parsed[1], { ok: false, error: 'not JSON' });
    assert.equal(parsed[2].ok, false);
    assert.match(parsed[2].error, /unknown command "shutdown"/);
    assert.deepEqual(parsed[3], { ok: false, error: 'flush needs a name' });
  });

  test('the socket file is private to its owner', () => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a socket in use is not taken over; a stale one is replaced', async () => {
    await assert.rejects(
      startControlServer(path, { stats: () => 1, servers: () => 1, flush: () => 1, reload: () => 1 }),
      /in use/,
    );
    const stale = join(dir, 'stale.sock');
    writeFileSync(stale, '');
    const s = await startControlServer(stale, {
      stats: () => 'fresh',
      servers: () => 1,
      flush: () => 1,
      reload: () => 1,
    });
    try {
      assert.deepEqual(await controlRequest(stale, { cmd: 'stats' }), { id: 1, ok: true, result: 'fresh' });
    } finally {
      await s.close();
    }
  });

  test('no server: a clear error', async () => {
    await assert.rejects(controlRequest(join(dir, 'nobody.sock'), { cmd: 'stats' }), /no sealdns control socket/);
  });

  test('requests are checked', () => {
    assert.deepEqual(parseControlRequest('{"cmd":"flush","name":"a.b"}'), { id: undefined, cmd: 'flush', name: 'a.b' });
    assert.throws(() => parseControlRequest('[1]'), /JSON object/);
  });

  test('default socket: $XDG_RUNTIME_DIR, else /tmp/sealdns-<uid>.sock', () => {
    assert.equal(defaultControlSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/sealdns.sock');
    assert.match(defaultControlSocket({}), /sealdns-\d+\.sock$/);
  });
});
