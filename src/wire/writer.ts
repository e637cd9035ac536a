import { WireError } from './errors.js';
import type { Name } from './name.js';

const MAX_MESSAGE = 65535;

let scratch: Buffer | undefined;
let scratchInUse = false;

/**
 * Writes a DNS message into one buffer. Owner and compressible names go through a
 * suffix map (RFC 1035 4.1.4); the buffer never grows past 65535 octets. The writer
 * borrows a module-level scratch buffer (encoding is synchronous) and `finish()` copies
 * the result out, so each message costs one allocation of its exact size.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;
  /** Hard limit for this message (<= 65535). */
  limit: number;
  /** Lower-cased name suffix -> offset of its first occurrence. */
  readonly #comp: Map<string, number> | undefined;
  readonly #borrowed: boolean;

  constructor(opts: { compress?: boolean; limit?: number } = {}) {
    this.limit = Math.min(opts.limit ?? MAX_MESSAGE, MAX_MESSAGE);
    if (!scratchInUse) {
      if (scratch === undefined) scratch = Buffer.allocUnsafe(MAX_MESSAGE + 1024);
      scratchInUse = true;
      this.#borrowed = true;
      this.buf = scratch;
    } else {
      this.#borrowed = false;
      this.buf = Buffer.allocUnsafe(MAX_MESSAGE + 1024);
    }
    this.#comp = opts.compress === false ? undefined : new Map();
  }

  #room(n: number): void {
    if (this.pos + n > this.limit)
      throw new WireError('message-too-long', `message exceeds ${this.limit} octets`, this.pos);
  }

  u8(v: number): void {
    this.#room(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.#room(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  u32(v: number): void {
    this.#room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** Claims the next n octets for the caller to fill in `buf`; returns their offset. */
  reserve(n: number): number {
    this.#room(n);
    const at = this.pos;
    this.pos = at + n;
    return at;
  }

  setU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  latin1(s: string): void {
    this.#room(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /**
   * Writes a name. With `compress`, known suffixes become pointers and new suffixes
   * are remembered. With `lower`, the canonical (lower-cased) form is written and
   * nothing is compressed (RFC 4034 6.2).
   */
  name(n: Name, compress: boolean, lower = false): void {
    if (lower) {
      this.latin1(n.key);
      return;
    }
    const comp = this.#comp;
    if (!compress || comp === undefined) {
      this.latin1(n.wire);
      return;
    }
    const w = n.wire;
    const k = n.key;
    const base = this.pos;
    let p = 0;
    for (;;) {
      const len = w.charCodeAt(p);
      if (len === 0) break;
      const suffix = p === 0 ? k : k.slice(p);
      const off = comp.get(suffix);
      if (off !== undefined) {
        this.latin1(w.slice(0, p));
        this.u16(0xc000 | off);
        return;
      }
      if (base + p < 0x4000) comp.set(suffix, base + p);
      p += len + 1;
    }
    this.latin1(w);
  }

  /** Current position, to roll back to when a record does not fit (truncation). */
  mark(): number {
    return this.pos;
  }

  /** Forgets everything written after `mark`, including compression targets there. */
  rollback(mark: number): void {
    this.pos = mark;
    if (this.#comp !== undefined) for (const [k, off] of this.#comp) if (off >= mark) this.#comp.delete(k);
  }

  /** Copies the written octets out and releases the scratch buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.release();
    return out;
  }

  /** Releases the scratch buffer without producing output (after an error). */
  release(): void {
    if (this.#borrowed) scratchInUse = false;
  }
}
