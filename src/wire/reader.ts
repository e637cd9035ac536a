import { WireError } from './errors.js';
import { Name } from './name.js';

interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/** Longest pointer chain a valid name can need: each pointer saves at least 2 octets of 255 (cf. miekg/dns). */
const MAX_POINTERS = 127;

/**
 * A bounds-checked cursor over a DNS message. Name decoding follows compression
 * pointers only strictly backwards (each jump lands before the start of the run it
 * came from, so it cannot loop), caps the pointer count, and memoises suffixes per
 * pointer target so that a message full of compressed names decodes each suffix once.
 */
export class WireReader {
  readonly buf: FastBuffer;
  pos: number;
  /** End of the message (names may point anywhere before it). */
  readonly end: number;
  #memo: Map<number, string> | undefined;

  constructor(data: Uint8Array, pos = 0, end = data.length) {
    this.buf = (
      Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    ) as FastBuffer;
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
    return Uint8Array.prototype.slice.call(this.buf, p, p + n);
  }

  /** The next n octets as a latin1 string. */
  latin1(n: number): string {
    const p = this.pos;
    if (p + n > this.end) throw new WireError('truncated', `${n} octets`, p);
    this.pos = p + n;
    return this.buf.latin1Slice(p, p + n);
  }

  /** Decodes a possibly compressed name. `limit` bounds the first run (e.g. the RDATA end). */
  name(limit = this.end): Name {
    const buf = this.buf;
    const msgEnd = this.end;
    let p = this.pos;
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
        out += buf.latin1Slice(runStart, p + 1);
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
      out += buf.latin1Slice(runStart, p);
      if (after < 0) after = p + 2;
      const memo = this.#memo?.get(target);
      if (memo !== undefined) {
        out += memo;
        break;
      }
      if (jumps === undefined) {
        jumps = [];
        jumpAt = [];
      }
      jumps.push(target);
      jumpAt!.push(out.length);
      p = target;
      runStart = target;
      runLimit = msgEnd;
    }
    if (out.length > 255) throw new WireError('name-too-long', 'name longer than 255 octets', this.pos);
    if (jumps !== undefined) {
      if (this.#memo === undefined) this.#memo = new Map();
      for (let i = 0; i < jumps.length; i++) this.#memo.set(jumps[i], out.slice(jumpAt![i]));
    }
    this.pos = after;
    return new Name(out);
  }
}
