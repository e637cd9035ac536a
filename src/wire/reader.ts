import { WireError } from './errors.js';
import { Name } from './name.js';

/**
 * Node's native latin1 decoder (the engine of `buf.toString('latin1', s, e)` without the
 * argument checks). It accepts any Uint8Array as `this`, so the reader needs no Buffer view.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** Longest pointer chain a valid name can need: each pointer saves at least 2 octets of 255 (cf. miekg/dns). */
const MAX_POINTERS = 127;

/**
 * A bounds-checked cursor over a DNS message. Name decoding follows compression
 * pointers only strictly backwards (each jump lands before the start of the run it
 * came from, so it cannot loop), caps the pointer count, and memoises suffixes per
 * pointer target so that a message full of compressed names decodes each suffix once.
 */
export class WireReader {
  readonly buf: Uint8Array;
  pos: number;
  /** End of the message (names may point anywhere before it). */
  readonly end: number;
  /** Offset -> the name (or name suffix) that starts there, for compression pointers. */
  readonly #names = new Map<number, Name>();

  constructor(data: Uint8Array, pos = 0, end = data.length) {
    // A plain Uint8Array view (not a Buffer), so that slice() copies into a Uint8Array.
    this.buf = data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.pos = pos;
    this.end = end;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.end)
      throw new WireError('truncated', `${what}: need ${n} octets, ${this.end - this.pos} left`, this.pos);
  }

  u8(): number {
    if (this.pos + 1 > this.end) throw new WireError('truncated', 'u8', this.pos);
    return this.buf[this.pos++];
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw new WireError('truncated', 'u16', p);
    this.pos = p + 2;
    return (this.buf[p] << 8) | this.buf[p + 1];
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw new WireError('truncated', 'u32', p);
    this.pos = p + 4;
    return this.buf[p] * 0x1000000 + ((this.buf[p + 1] << 16) | (this.buf[p + 2] << 8) | this.buf[p + 3]);
  }

  /** A copy of the next n octets (decoded values must not pin the packet). */
  bytes(n: number): Uint8Array {
    const p = this.pos;
    if (n < 0 || p + n > this.end) throw new WireError('truncated', `${n} octets`, p);
    this.pos = p + n;
    return this.buf.slice(p, p + n);
  }

  /** The next n octets as a latin1 string. */
  latin1(n: number): string {
    const p = this.pos;
    if (p + n > this.end) throw new WireError('truncated', `${n} octets`, p);
    this.pos = p + n;
    return latin1Slice.call(this.buf, p, p + n);
  }

  /**
   * Decodes a possibly compressed name. `limit` bounds the first run (e.g. the RDATA end).
   * Every name and every pointed-to suffix is remembered by offset, so a pointer to a
   * name seen before costs one map lookup and yields the same (immutable) Name object.
   */
  name(limit = this.end): Name {
    const buf = this.buf;
    const start = this.pos;
    if (buf[start] === 0 && start < limit) {
      // the root (OPT owners, root referrals, empty targets)
      this.pos = start + 1;
      return Name.ROOT;
    }
    const names = this.#names;
    let p = start;
    let runStart = p;
    let runLimit = limit;
    let out = '';
    let after = -1;
    let jumps: number[] | undefined;
    let jumpAt: number[] | undefined;
    let pointers = 0;
    for (;;) {
      if (p >= runLimit) throw new WireError('truncated', 'name runs past its end', p);
      const len = buf[p];
      if (len === 0) {
        out += latin1Slice.call(buf, runStart, p + 1);
        if (after < 0) after = p + 1;
        break;
      }
      if (len < 64) {
        p += len + 1;
        if (p - runStart + out.length > 255) throw new WireError('name-too-long', 'name longer than 255 octets', p);
        continue;
      }
      if ((len & 0xc0) !== 0xc0) throw new WireError('bad-label-type', `label type 0x${len.toString(16)}`, p);
      if (p + 2 > runLimit) throw new WireError('truncated', 'compression pointer', p);
      const target = ((len & 0x3f) << 8) | buf[p + 1];
      if (target >= runStart) throw new WireError('bad-pointer', `pointer to ${target} is not before ${runStart}`, p);
      if (++pointers > MAX_POINTERS) throw new WireError('too-many-pointers', 'too many compression pointers', p);
      if (after < 0) after = p + 2;
      const known = names.get(target);
      if (known !== undefined) {
        if (p === start) {
          // The whole name is one pointer to a known name.
          this.pos = after;
          return known;
        }
        out += latin1Slice.call(buf, runStart, p) + known.wire;
        break;
      }
      out += latin1Slice.call(buf, runStart, p);
      if (jumps === undefined) {
        jumps = [];
        jumpAt = [];
      }
      jumps.push(target);
      jumpAt!.push(out.length);
      p = target;
      runStart = target;
      runLimit = this.end;
    }
    if (out.length > 255) throw new WireError('name-too-long', 'name longer than 255 octets', start);
    const name = new Name(out);
    names.set(start, name);
    if (jumps !== undefined) {
      for (let i = 0; i < jumps.length; i++) {
        const at = jumpAt![i];
        names.set(jumps[i], at === 0 ? name : new Name(out.slice(at)));
      }
    }
    this.pos = after;
    return name;
  }
}
