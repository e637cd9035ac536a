import { WireError } from './errors.js';
import { NameMode } from './fields.js';
import type { RR } from './message.js';
import type { Name } from './name.js';
import { encodeRdata, type RData } from './rdata.js';
import { WireWriter } from './writer.js';

/**
 * DNSSEC canonical forms (RFC 4034 6): RDATA with the names of the listed types
 * lower-cased and nothing compressed, RRs sorted by canonical RDATA, duplicates removed.
 */

/** Canonical RDATA octets of one record. */
export function canonicalRdata(type: number, data: RData): Uint8Array {
  const w = new WireWriter({ compress: false });
  try {
    encodeRdata(type, data, w, NameMode.Lower);
    return w.finish();
  } catch (e) {
    w.release();
    throw e;
  }
}

/** Uncompressed RDATA octets with names as given (not lower-cased). */
export function plainRdata(type: number, data: RData): Uint8Array {
  const w = new WireWriter({ compress: false });
  try {
    encodeRdata(type, data, w, NameMode.Plain);
    return w.finish();
  } catch (e) {
    w.release();
    throw e;
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** An RRset's records in canonical order (RFC 4034 6.3) with duplicate RDATA removed, each with its canonical RDATA. */
export function canonicalRRset(rrs: readonly RR[]): { rr: RR; rdata: Uint8Array }[] {
  const items = rrs.map((rr) => ({ rr, rdata: canonicalRdata(rr.type, rr.data) }));
  items.sort((x, y) => compareBytes(x.rdata, y.rdata));
  return items.filter((x, i) => i === 0 || compareBytes(x.rdata, items[i - 1].rdata) !== 0);
}

/**
 * The octets RRSIG covers for one RRset (RFC 4034 3.1.8.1): `rrsigRdataNoSig` (the
 * RRSIG RDATA without the signature, signer name canonical) followed by each RR in
 * canonical form with `owner` (the wildcard-adjusted owner, lower-cased), type, class,
 * `originalTtl` and RDATA length.
 */
export function signedData(
  rrsigRdataNoSig: Uint8Array,
  owner: Name,
  rrs: readonly RR[],
  originalTtl: number,
): Uint8Array {
  if (rrs.length === 0) throw new WireError('bad-rdata', 'empty RRset');
  const set = canonicalRRset(rrs);
  const ownerBytes = owner.toCanonicalBytes();
  let total = rrsigRdataNoSig.length;
  for (const x of set) total += ownerBytes.length + 10 + x.rdata.length;
  const out = new Uint8Array(total);
  out.set(rrsigRdataNoSig, 0);
  let p = rrsigRdataNoSig.length;
  for (const x of set) {
    out.set(ownerBytes, p);
    p += ownerBytes.length;
    out[p++] = x.rr.type >> 8;
    out[p++] = x.rr.type & 0xff;
    out[p++] = x.rr.class >> 8;
    out[p++] = x.rr.class & 0xff;
    out[p++] = (originalTtl >>> 24) & 0xff;
    out[p++] = (originalTtl >>> 16) & 0xff;
    out[p++] = (originalTtl >>> 8) & 0xff;
    out[p++] = originalTtl & 0xff;
    out[p++] = x.rdata.length >> 8;
    out[p++] = x.rdata.length & 0xff;
    out.set(x.rdata, p);
    p += x.rdata.length;
  }
  return out;
}

/**
 * A string whose plain comparison (`<`, `localeCompare`-free) gives the canonical order of names (RFC 4034 6.1):
 * labels right to left, each lower-cased octet shifted up by one and labels separated by 0, so that a label that is
 * a prefix of another sorts first and a name sorts before its descendants. For ordered indexes of names (the
 * aggressive NSEC cache) where a Name comparison per step would be slower.
 */
export function canonicalOrderKey(name: Name): string {
  const key = name.key; // lower-cased wire form: length-prefixed labels, root last
  const labels: string[] = [];
  let p = 0;
  for (;;) {
    const len = key.charCodeAt(p);
    if (len === 0 || Number.isNaN(len)) break;
    let l = '';
    for (let i = p + 1; i <= p + len; i++) l += String.fromCharCode(key.charCodeAt(i) + 1);
    labels.push(l);
    p += len + 1;
  }
  labels.reverse();
  return labels.join('\0');
}
