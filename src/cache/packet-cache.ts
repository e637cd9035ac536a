import { LruMap } from './lru.js';

/**
 * The packet cache: finished responses, keyed by what makes a response differ
 * (case-folded QNAME, QTYPE, QCLASS, RD, CD, DO, whether the query had EDNS). A hit
 * costs a header/question scan of the query, one copy of the stored octets, and
 * patches: the ID, the QNAME's letter case (so 0x20 clients see their own case),
 * and every TTL lowered by the time spent in the cache. No message is built.
 */

interface PacketEntry {
  wire: Uint8Array;
  /** Offsets of each record's 32-bit TTL field, and its value when stored. */
  ttlOffsets: Uint32Array;
  ttls: Uint32Array;
  stored: number;
  expires: number;
}

/** What a quick scan of a query tells: enough to key the packet cache, nothing more. */
export interface QueryKey {
  key: string;
  /** End of the question section. */
  qnameEnd: number;
  /** Largest response the client accepts over UDP (512 without EDNS). */
  udpSize: number;
  edns: boolean;
}

const MAX_TTL_RECORDS = 256;

/** Scratch space for building a key: the longest QNAME (255) and the 5 octets after it. */
const keyScratch = Buffer.allocUnsafe(255 + 5);
/**
 * Octets [0, end) of the scratch as a latin1 string: Buffer's own latin1Slice (what toString('latin1') ends in,
 * without its argument handling) where Node has it.
 */
const latin1Key: (end: number) => string =
  typeof (keyScratch as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (end) => (keyScratch as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(0, end)
    : (end) => keyScratch.toString('latin1', 0, end);

/**
 * Scans a query's header, single question and (optional) lone OPT record without
 * decoding the message. Returns undefined for anything unusual (the slow path then
 * does the full decode and all the checks). The key is the case-folded QNAME, QTYPE,
 * QCLASS and a flags octet, built in a scratch buffer and read out as one latin1 string.
 */
export function scanQuery(q: Uint8Array): QueryKey | undefined {
  const n = q.length;
  if (n < 17 || n > 512 + 64) return undefined;
  const f2 = q[2];
  const f3 = q[3];
  // QR=0, opcode QUERY, one question, no answer/authority, at most one additional
  if ((f2 & 0xf8) !== 0 || q[4] !== 0 || q[5] !== 1 || q[6] !== 0 || q[7] !== 0 || q[8] !== 0 || q[9] !== 0)
    return undefined;
  if (q[10] !== 0 || q[11] > 1) return undefined;
  const ar = q[11];
  const s = keyScratch;
  let p = 12;
  for (;;) {
    if (p >= n) return undefined;
    const len = q[p];
    if (len === 0) break;
    if (len > 63 || p + len + 1 > n || p + len + 1 - 12 > 255) return undefined;
    s[p - 12] = len;
    for (let i = p + 1; i <= p + len; i++) {
      const c = q[i];
      s[i - 12] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    p += len + 1;
  }
  let o = p - 12;
  p++;
  if (p + 4 > n || p - 12 > 255) return undefined;
  // QTYPE and QCLASS
  s[o++] = q[p];
  s[o++] = q[p + 1];
  s[o++] = q[p + 2];
  s[o++] = q[p + 3];
  p += 4;
  const qnameEnd = p;
  let edns = false;
  let udpSize = 512;
  let dnssecOk = false;
  if (ar === 1) {
    // exactly a root-owned OPT with no options we would have to echo
    if (p + 11 > n || q[p] !== 0 || q[p + 1] !== 0 || q[p + 2] !== 41) return undefined;
    udpSize = Math.max(512, (q[p + 3] << 8) | q[p + 4]);
    if (q[p + 6] !== 0) return undefined; // EDNS version > 0: slow path answers BADVERS
    dnssecOk = (q[p + 7] & 0x80) !== 0;
    if (q[p + 9] !== 0 || q[p + 10] !== 0 || p + 11 !== n) return undefined; // RDLEN 0, nothing after
    edns = true;
  } else if (p !== n) return undefined;
  // RD, CD, DO, EDNS present, AD
  s[o++] = (f2 & 0x01) | (f3 & 0x10 ? 2 : 0) | (dnssecOk ? 4 : 0) | (edns ? 8 : 0) | (f3 & 0x20 ? 16 : 0);
  return { key: latin1Key(o), qnameEnd, udpSize, edns };
}

/** Offsets of the TTL fields of every record in a response (OPT excluded). */
function ttlOffsets(w: Uint8Array): number[] | undefined {
  const n = w.length;
  if (n < 12) return undefined;
  const qd = (w[4] << 8) | w[5];
  const rrCount = ((w[6] << 8) | w[7]) + ((w[8] << 8) | w[9]) + ((w[10] << 8) | w[11]);
  let p = 12;
  const skipName = (): boolean => {
    for (;;) {
      if (p >= n) return false;
      const len = w[p];
      if (len === 0) {
        p++;
        return true;
      }
      if ((len & 0xc0) === 0xc0) {
        p += 2;
        return true;
      }
      p += len + 1;
    }
  };
  for (let i = 0; i < qd; i++) {
    if (!skipName()) return undefined;
    p += 4;
  }
  const out: number[] = [];
  for (let i = 0; i < rrCount; i++) {
    if (!skipName() || p + 10 > n) return undefined;
    const type = (w[p] << 8) | w[p + 1];
    if (type !== 41) out.push(p + 4);
    const rdlen = (w[p + 8] << 8) | w[p + 9];
    p += 10 + rdlen;
  }
  return p === n ? out : undefined;
}

export class PacketCache {
  readonly #lru: LruMap<string, PacketEntry>;
  hits = 0;
  misses = 0;

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.#lru = new LruMap(maxBytes);
  }

  get size(): number {
    return this.#lru.size;
  }

  /**
   * Answers a raw query from the cache, or returns undefined. `maxSize` is the largest
   * response the transport can carry (the client's UDP size, or 65535 over TCP).
   */
  answer(query: Uint8Array, k: QueryKey, now: number, maxSize: number): Uint8Array | undefined {
    const e = this.#lru.get(k.key);
    if (e === undefined || e.expires <= now || e.wire.length > maxSize) {
      if (e !== undefined && e.expires <= now) this.#lru.delete(k.key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    // from Node's buffer pool: no allocation of its own (a small Uint8Array would get a backing store each)
    const out = Buffer.allocUnsafe(e.wire.length);
    out.set(e.wire);
    out[0] = query[0];
    out[1] = query[1];
    // the client's question, letter case included (same length by construction of the key); a loop, not a
    // subarray view per hit
    for (let i = 12, end = k.qnameEnd; i < end; i++) out[i] = query[i];
    const elapsed = Math.floor((now - e.stored) / 1000);
    if (elapsed > 0) {
      const offs = e.ttlOffsets;
      for (let i = 0; i < offs.length; i++) {
        const t = Math.max(0, e.ttls[i] - elapsed);
        const o = offs[i];
        out[o] = t >>> 24;
        out[o + 1] = (t >>> 16) & 0xff;
        out[o + 2] = (t >>> 8) & 0xff;
        out[o + 3] = t & 0xff;
      }
    }
    return out;
  }

  /** Stores a finished response for `k` for `ttl` seconds (the smallest TTL in it). */
  store(k: QueryKey, response: Uint8Array, ttl: number, now: number): void {
    if (ttl <= 0) return;
    const offs = ttlOffsets(response);
    if (offs === undefined || offs.length > MAX_TTL_RECORDS) return;
    const ttls = new Uint32Array(offs.length);
    offs.forEach((o, i) => {
      ttls[i] = ((response[o] << 24) | (response[o + 1] << 16) | (response[o + 2] << 8) | response[o + 3]) >>> 0;
    });
    this.#lru.set(
      k.key,
      { wire: response, ttlOffsets: Uint32Array.from(offs), ttls, stored: now, expires: now + ttl * 1000 },
      response.length + 64 + offs.length * 8,
    );
  }

  clear(): void {
    this.#lru.clear();
  }
}
