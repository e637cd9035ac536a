// Frame Streams: frame encoding and decoding (also split across chunks), the unidirectional file
// writer read back by our reader, and the bidirectional unix-socket writer against an in-test
// reader: READY → ACCEPT → START … STOP → FINISH, reconnection after the reader appears, refusal
// of a foreign content type, and bounded buffering when the reader stops reading.

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  controlFrame,
  dataFrame,
  type Frame,
  FrameDecoder,
  FstrmControl,
  FstrmError,
  FstrmWriter,
  readDataFrames,
  readFrames,
} from '../../src/observe/fstrm.js';
import { tempDir } from '../helpers/peers.js';

const CT = 'protobuf:dnstap.Dnstap';
const dir = tempDir('sealdns-fstrm-');
after(() => rm(dir, { recursive: true, force: true }));

const bytes = (...b: number[]) => Uint8Array.from(b);
const payload = (i: number, n = 20) => Uint8Array.from({ length: n }, (_, k) => (i + k) & 0xff);

describe('frames', () => {
  test('START carries the content type; STOP is bare', () => {
    const start = controlFrame(FstrmControl.START, [CT]);
    const v = new DataView(start.buffer, start.byteOffset);
    assert.equal(v.getUint32(0), 0, 'escape');
    assert.equal(v.getUint32(4), start.length - 8, 'control frame length');
    assert.equal(v.getUint32(8), FstrmControl.START);
    assert.equal(v.getUint32(12), 1, 'CONTENT_TYPE field');
    assert.equal(v.getUint32(16), CT.length);
    assert.equal(Buffer.from(start.subarray(20)).toString(), CT);
    assert.deepEqual(controlFrame(FstrmControl.STOP), bytes(0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3));
  });

  test('data frames are length-prefixed and never empty', () => {
    assert.deepEqual(dataFrame(bytes(9, 8, 7)), bytes(0, 0, 0, 3, 9, 8, 7));
    assert.throws(() => dataFrame(new Uint8Array(0)), FstrmError);
  });

  test('the decoder reassembles frames split at every offset', () => {
    const stream = Buffer.concat([
      controlFrame(FstrmControl.START, [CT]),
      dataFrame(payload(1)),
      dataFrame(payload(2, 300)),
      controlFrame(FstrmControl.STOP),
    ]);
    const whole = readFrames(stream);
    assert.equal(whole.length, 4);
    for (let cut = 1; cut < stream.length; cut++) {
      const d = new FrameDecoder();
      const got: Frame[] = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      assert.deepEqual(got, whole, `cut at ${cut}`);
      assert.equal(d.pending, 0);
    }
    assert.deepEqual(readDataFrames(stream, CT), [payload(1), payload(2, 300)]);
  });

  test('malformed streams are rejected', () => {
    assert.throws(() => readFrames(bytes(0, 0, 0, 5, 1)), /after the last whole frame/);
    assert.throws(() => readFrames(bytes(0, 0, 0, 0, 0, 0, 4, 0)), /control frame of 1024/);
    assert.throws(() => readFrames(bytes(0x7f, 0, 0, 0)), /data frame of/);
    assert.throws(() => readDataFrames(dataFrame(payload(1)), CT), /does not begin with START/);
    const noStop = Buffer.concat([controlFrame(FstrmControl.START, [CT]), dataFrame(payload(1))]);
    assert.throws(() => readDataFrames(noStop, CT), /does not end with STOP/);
    const other = Buffer.concat([controlFrame(FstrmControl.START, ['other']), controlFrame(FstrmControl.STOP)]);
    assert.throws(() => readDataFrames(other, CT), /content type other/);
    assert.throws(() => controlFrame(FstrmControl.START, ['x'.repeat(257)]), /content type of 257/);
  });
});

/** A bidirectional Frame Streams reader on a unix socket (what fstrm_capture -u does). */
function startReader(
  path: string,
  opts: { accept?: string[]; paused?: boolean } = {},
): Promise<{ server: net.Server; frames: Frame[]; sockets: net.Socket[]; finished: Promise<void> }> {
  const frames: Frame[] = [];
  const sockets: net.Socket[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const server = net.createServer((s) => {
    sockets.push(s);
    const d = new FrameDecoder();
    if (opts.paused) {
      // read the handshake, then stop reading
      s.once('data', (chunk) => {
        for (const f of d.push(chunk)) frames.push(f);
        s.write(controlFrame(FstrmControl.ACCEPT, opts.accept ?? [CT]));
        s.pause();
      });
      return;
    }
    s.on('data', (chunk) => {
      for (const f of d.push(chunk)) {
        frames.push(f);
        if (f.kind === 'control' && f.type === FstrmControl.READY)
          s.write(controlFrame(FstrmControl.ACCEPT, opts.accept ?? f.contentTypes));
        if (f.kind === 'control' && f.type === FstrmControl.STOP) {
          s.write(controlFrame(FstrmControl.FINISH));
          finish();
        }
      }
    });
    s.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, frames, sockets, finished })));
}

const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe('FstrmWriter', { timeout: 30_000 }, () => {
  test('file: START, the data frames in order, STOP', async () => {
    const file = join(dir, 'out.fstrm');
    const w = new FstrmWriter({ file }, { contentType: CT });
    for (let i = 0; i < 100; i++) assert.equal(w.write(payload(i)), true);
    await w.close();
    await w.close(); // idempotent
    assert.equal(w.write(payload(0)), false, 'closed writers drop');
    const got = readDataFrames(await readFile(file), CT);
    assert.equal(got.length, 100);
    assert.deepEqual(got[42], payload(42));
    assert.deepEqual(
      { ...w.stats, connects: undefined },
      {
        written: 100,
        dropped: 1,
        queued: 0,
        connects: undefined,
        errors: 0,
      },
    );
  });

  test('file that cannot be opened: errors reported, frames dropped, close resolves', async () => {
    const errors: Error[] = [];
    const w = new FstrmWriter(
      { file: join(dir, 'no/such/dir/x.fstrm') },
      { contentType: CT, onError: (e) => errors.push(e) },
    );
    w.write(payload(1));
    await w.close();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /ENOENT/);
    assert.equal(w.stats.written, 0);
    assert.equal(w.stats.dropped, 1);
  });

  test('unix socket: READY → ACCEPT → START, data, STOP → FINISH', async () => {
    const path = join(dir, 'bidi.sock');
    const r = await startReader(path);
    const w = new FstrmWriter({ socket: path }, { contentType: CT });
    for (let i = 0; i < 50; i++) w.write(payload(i));
    await w.close();
    await r.finished;
    const [ready, start, ...rest] = r.frames;
    assert.deepEqual(ready, { kind: 'control', type: FstrmControl.READY, contentTypes: [CT] });
    assert.deepEqual(start, { kind: 'control', type: FstrmControl.START, contentTypes: [CT] });
    const stop = rest.pop();
    assert.deepEqual(stop, { kind: 'control', type: FstrmControl.STOP, contentTypes: [] });
    assert.equal(rest.length, 50);
    assert.deepEqual(rest[7], { kind: 'data', payload: payload(7) });
    assert.equal(w.stats.connects, 1);
    await closeServer(r.server);
  });

  test('unix socket: frames queue (bounded) until the reader appears, then flow', async () => {
    const path = join(dir, 'late.sock');
    const errors: Error[] = [];
    const w = new FstrmWriter(
      { socket: path },
      { contentType: CT, maxQueuedFrames: 10, reconnectMinMs: 50, reconnectMaxMs: 100, onError: (e) => errors.push(e) },
    );
    for (let i = 0; i < 15; i++) w.write(payload(i));
    assert.equal(w.stats.queued, 10);
    assert.equal(w.stats.dropped, 5);
    await new Promise((res) => setTimeout(res, 30));
    assert.ok(
      errors.some((e) => /ENOENT|ECONNREFUSED/.test(e.message)),
      errors.join(),
    );
    const r = await startReader(path);
    const deadline = Date.now() + 5_000;
    while (!w.ready && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(w.ready, true, 'reconnected');
    await w.close();
    await r.finished;
    const data = r.frames.filter((f) => f.kind === 'data');
    assert.equal(data.length, 10);
    assert.deepEqual(data[0], { kind: 'data', payload: payload(0) });
    await closeServer(r.server);
  });

  test('unix socket: a reader that accepts another content type is refused', async () => {
    const path = join(dir, 'other.sock');
    const r = await startReader(path, { accept: ['protobuf:other'] });
    const errors: Error[] = [];
    const w = new FstrmWriter(
      { socket: path },
      { contentType: CT, reconnectMinMs: 10_000, onError: (e) => errors.push(e) },
    );
    const deadline = Date.now() + 5_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.match(errors[0]?.message ?? '', /accepts protobuf:other/);
    assert.equal(w.ready, false);
    w.write(payload(1));
    await w.close();
    assert.equal(r.frames.filter((f) => f.kind === 'data').length, 0);
    await closeServer(r.server);
  });

  test('a reader that stops reading costs bounded memory: frames are dropped and counted', async () => {
    const path = join(dir, 'slow.sock');
    const r = await startReader(path, { paused: true });
    const w = new FstrmWriter(
      { socket: path },
      { contentType: CT, maxQueuedFrames: 100, highWaterBytes: 64 * 1024, handshakeTimeoutMs: 500 },
    );
    const deadline = Date.now() + 5_000;
    while (!w.ready && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(w.ready, true);
    const big = payload(3, 4096);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) if (w.write(big)) accepted++;
    // let the socket push what it can into the kernel buffers
    await new Promise((res) => setTimeout(res, 100));
    for (let i = 0; i < 1_000; i++) if (w.write(big)) accepted++;
    const s = w.stats;
    assert.ok(s.dropped > 15_000, `dropped ${s.dropped}`);
    assert.ok(s.queued <= 100, `queued ${s.queued}`);
    assert.equal(accepted + s.dropped, 21_000);
    for (const sock of r.sockets) sock.destroy();
    await w.close();
    await closeServer(r.server);
  });
});
