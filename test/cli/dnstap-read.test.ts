// `sealdns dnstap-read`: a capture written by DnstapLogger printed one message per line with the
// DOT/DOH socket protocols named and sealdns's annotation, or as JSON lines.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { runDnstapRead } from '../../src/cli/dnstap.js';
import { DnstapLogger } from '../../src/observe/dnstap.js';
import { encodeMessage, makeQuery, Name, RRType } from '../../src/wire/index.js';
import { tempDir } from '../helpers/peers.js';

const dir = tempDir('sealdns-dnstap-read-');
after(() => rm(dir, { recursive: true, force: true }));

test('dnstap-read names DOT and DOH and shows the annotation', async () => {
  const file = join(dir, 'cap.fstrm');
  const query = encodeMessage(makeQuery(Name.fromText('www.dot.test.'), RRType.A, { id: 1 }));
  const logger = new DnstapLogger({ output: { file }, identity: 'r1' }).start();
  const ev = {
    zone: 'dot.test.',
    server: 'ns1.dot.test.',
    ip: '127.0.3.1',
    port: 853,
    protocol: 'dot',
    encrypted: true,
    authenticated: true,
    why: 'strict signal (DANE)',
    outcome: 'ok',
    query,
    sentAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    endedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  };
  channel('sealdns:resolver:upstream').publish(ev);
  channel('sealdns:resolver:upstream').publish({ ...ev, protocol: 'doh', port: 443, ip: '::1' });
  await logger.close();
  const text = await runDnstapRead(file, {});
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^2026-01-02T03:04:05\.000000Z RQ 127\.0\.3\.1#853 DOT \d+b www\.dot\.test\. A \{"ns":"ns1\.dot\.test\./,
  );
  assert.match(lines[1], / RQ ::1#443 DOH /);
  const json = (await runDnstapRead(file, { json: true }))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(json[0].socketProtocol, 'DOT');
  assert.equal(json[0].identity, 'r1');
  assert.equal(json[0].extra.authenticated, true);
  await assert.rejects(runDnstapRead(join(dir, 'missing'), {}), UsageError);
});
