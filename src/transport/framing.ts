/**
 * RFC 1035 4.2.2 / RFC 7766 8 framing: every message on a stream carries a 2-octet length prefix. The decoder
 * holds at most one partial frame, whose size the prefix bounds to 65535 octets, so a slow-drip or hostile server
 * cannot grow memory; frames shorter than a DNS header are a protocol violation. Used by TCP and DoT alike.
 */
import { TransportError } from './errors.js';
import { HEADER_LENGTH, MAX_MESSAGE } from './limits.js';

/** One allocation holding prefix and message, so the frame goes out in a single write (RFC 7766 8). */
export function frame(wire: Uint8Array, id?: number): Buffer {
  if (wire.length > MAX_MESSAGE)
    throw new TransportError('bad-query', `message of ${wire.length} octets cannot be framed`);
  const out = Buffer.allocUnsafe(wire.length + 2);
  out[0] = wire.length >>> 8;
  out[1] = wire.length & 0xff;
  out.set(wire, 2);
  if (id !== undefined) {
    out[2] = id >>> 8;
    out[3] = id & 0xff;
  }
  return out;
}

export class FrameDecoder {
  /** Octets of the length prefix seen so far (0, 1 or 2) and its value. */
  #prefixSeen = 0;
  #prefix = 0;
  #frame: Uint8Array | undefined;
  #filled = 0;
  readonly #onFrame: (frame: Uint8Array) => void;

  /** `onFrame` receives each complete message in its own exact-size buffer, which it may keep or modify. */
  constructor(onFrame: (frame: Uint8Array) => void) {
    this.#onFrame = onFrame;
  }

  /** Octets buffered towards the next frame (for tests and stats). */
  get buffered(): number {
    return this.#prefixSeen + this.#filled;
  }

  /** True while a frame has started but not completed. */
  get partial(): boolean {
    return this.#prefixSeen > 0;
  }

  /**
   * Feeds received octets. Throws 'malformed' for a frame shorter than a header; the stream cannot be
   * resynchronised after that, so the caller must drop the connection. `stop()` returning true stops delivery
   * early (the connection was torn down by a frame handler).
   */
  push(chunk: Uint8Array, stop?: () => boolean): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.#prefixSeen < 2) {
        this.#prefix = (this.#prefix << 8) | chunk[p++];
        this.#prefixSeen++;
        if (this.#prefixSeen < 2) continue;
        if (this.#prefix < HEADER_LENGTH)
          throw new TransportError('malformed', `frame length ${this.#prefix} is shorter than a DNS header`);
        this.#frame = new Uint8Array(this.#prefix);
        this.#filled = 0;
        continue;
      }
      const f = this.#frame!;
      const n = Math.min(f.length - this.#filled, chunk.length - p);
      f.set(chunk.subarray(p, p + n), this.#filled);
      this.#filled += n;
      p += n;
      if (this.#filled === f.length) {
        this.#frame = undefined;
        this.#filled = 0;
        this.#prefixSeen = 0;
        this.#prefix = 0;
        this.#onFrame(f);
        if (stop?.()) return;
      }
    }
  }
}
