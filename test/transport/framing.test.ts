import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDecoder, frame, isTransportError } from '../../src/transport/index.js';

function msg(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

describe('FrameDecoder (RFC 7766 8)', () => {
  it('reassembles frames split anywhere and delivers several per chunk', () => {
    const frames = [msg(12, 1), msg(300, 2), msg(65535, 3), msg(13, 4)];
    const stream = Buffer.concat(frames.map((f) => frame(f)));
    for (const step of [1, 2, 3, 7, 1000, stream.length]) {
      const got: Uint8Array[] = [];
      const d = new FrameDecoder((f) => got.push(f));
      for (let i = 0; i < stream.length; i += step) d.push(stream.subarray(i, i + step));
      assert.deepEqual(got, frames, `step ${step}`);
      assert.equal(d.buffered, 0);
      assert.equal(d.partial, false);
    }
  });

  it('never buffers more than one frame', () => {
    const d = new FrameDecoder(() => {});
    d.push(Buffer.from([0xff, 0xff]));
    for (let i = 0; i < 1000; i++) d.push(new Uint8Array(60));
    assert.ok(d.buffered <= 65537);
    assert.equal(d.partial, true);
  });

  it("rejects a frame shorter than a header as 'malformed'", () => {
    const d = new FrameDecoder(() => {});
    assert.throws(
      () => d.push(Buffer.from([0, 11])),
      (e) => isTransportError(e, 'malformed'),
    );
  });

  it('frame() rewrites the ID only in its copy', () => {
    const m = msg(12, 0);
    const f = frame(m, 0xabcd);
    assert.deepEqual([...f.subarray(0, 4)], [0, 12, 0xab, 0xcd]);
    assert.equal(m[0], 0);
  });
});
