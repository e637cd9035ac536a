/**
 * Zone signing keys: the private key plus what the zone publishes about it (DNSKEY flags, public key field), key
 * generation, import from BIND/ldns key files, and DS records for the parent (RFC 4034 sections 2 and 5).
 */

import type { KeyObject } from 'node:crypto';
import { canonicalRdata, type DnskeyData, type DsData, Name, parseRR, type RR, RRType } from '../wire/index.js';
import {
  buildDnskeyRdata,
  dsDigest,
  type GenerateKeyOptions,
  generateKey,
  importBindPrivateKey,
  keyTag,
} from './algorithms.js';
import { DnssecError } from './errors.js';

/** DNSKEY flag bits (RFC 4034 2.1.1, RFC 5011 7). */
export const DnskeyFlag = {
  /** Bit 7: the key is a zone key; only zone keys may sign zone data. */
  ZONE: 0x0100,
  /** Bit 8 (RFC 5011): the key is revoked. */
  REVOKE: 0x0080,
  /** Bit 15: secure entry point — by convention a KSK or CSK. */
  SEP: 0x0001,
} as const;

/** Flags of a zone-signing key. */
export const ZSK_FLAGS = DnskeyFlag.ZONE;
/** Flags of a key-signing key or a combined signing key. */
export const KSK_FLAGS = DnskeyFlag.ZONE | DnskeyFlag.SEP;

export type KeyRole = 'ksk' | 'zsk' | 'csk';

/**
 * A key the signer can use. `flags` is 256 for a ZSK and 257 for a KSK or CSK; which RRsets a key signs follows
 * from the SEP bit and the other keys of its algorithm (see signZone).
 */
export interface SigningKey {
  readonly algorithm: number;
  readonly flags: number;
  readonly privateKey: KeyObject;
  /** DNSKEY public key field (wire form). */
  readonly publicKey: Uint8Array;
}

/** The DNSKEY RDATA a signing key publishes. */
export function dnskeyData(key: SigningKey): DnskeyData {
  return { flags: key.flags, protocol: 3, algorithm: key.algorithm, publicKey: key.publicKey };
}

/** Key tag (RFC 4034 Appendix B) of a signing key's DNSKEY. */
export function signingKeyTag(key: SigningKey): number {
  return keyTag(buildDnskeyRdata(key.flags, key.algorithm, key.publicKey));
}

/** A DNSKEY record for `key` at `owner` (class IN). */
export function dnskeyRecord(key: SigningKey, owner: Name, ttl: number): RR {
  return { name: owner, type: RRType.DNSKEY, class: 1, ttl, data: dnskeyData(key) };
}

/**
 * A fresh key pair with the flags of `role` (a KSK and a CSK both carry 257).
 * @throws DnssecError UNSUPPORTED_ALGORITHM, or BAD_PRIVATE_KEY for a bad RSA size.
 */
export function generateSigningKey(algorithm: number, role: KeyRole, options: GenerateKeyOptions = {}): SigningKey {
  const k = generateKey(algorithm, options);
  return { algorithm, flags: role === 'zsk' ? ZSK_FLAGS : KSK_FLAGS, privateKey: k.privateKey, publicKey: k.publicKey };
}

/**
 * A signing key from a BIND/ldns `K<name>+<alg>+<tag>.private` file. The flags come from `keyFileOrFlags`: the
 * matching `.key` file (its DNSKEY record, which must carry the same algorithm and public key), or a number;
 * without it the key is taken as a KSK/CSK (257), since private-key files do not record the flags.
 * @throws DnssecError BAD_PRIVATE_KEY, UNSUPPORTED_ALGORITHM, or BAD_SIGNING_KEY when the .key file does not
 *   hold one DNSKEY record that matches the private key.
 */
export function signingKeyFromBind(privateText: string, keyFileOrFlags?: string | number): SigningKey {
  const priv = importBindPrivateKey(privateText);
  let flags = KSK_FLAGS;
  if (typeof keyFileOrFlags === 'number') {
    flags = keyFileOrFlags;
  } else if (keyFileOrFlags !== undefined) {
    const dnskey = parseKeyFile(keyFileOrFlags);
    if (dnskey.algorithm !== priv.algorithm || !sameBytes(dnskey.publicKey, priv.publicKey)) {
      throw new DnssecError('BAD_SIGNING_KEY', 'the .key file holds a different public key than the .private file');
    }
    flags = dnskey.flags;
  }
  checkFlags(flags);
  return { algorithm: priv.algorithm, flags, privateKey: priv.privateKey, publicKey: priv.publicKey };
}

function parseKeyFile(text: string): DnskeyData {
  const found: DnskeyData[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('$')) continue;
    let rr: RR;
    try {
      rr = parseRR(line, { defaultTtl: 0, origin: Name.ROOT });
    } catch (err) {
      throw new DnssecError('BAD_SIGNING_KEY', `unreadable .key file line "${line.slice(0, 60)}"`, { cause: err });
    }
    if (rr.type === RRType.DNSKEY) found.push(rr.data as DnskeyData);
  }
  if (found.length !== 1) throw new DnssecError('BAD_SIGNING_KEY', `.key file holds ${found.length} DNSKEY records`);
  return found[0];
}

/** @throws DnssecError BAD_SIGNING_KEY unless `flags` is a 16-bit value with the ZONE bit set. */
export function checkFlags(flags: number): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff || (flags & DnskeyFlag.ZONE) === 0) {
    throw new DnssecError('BAD_SIGNING_KEY', `DNSKEY flags ${flags} lack the ZONE bit (256)`);
  }
}

/**
 * The DS record (RFC 4034 section 5) the parent publishes for `owner`'s DNSKEY. The TTL is the DNSKEY record's
 * when an RR is given, else `ttl` (default 3600).
 * @throws DnssecError UNSUPPORTED_DIGEST for digest types other than 1, 2 and 4; BAD_SIGNING_KEY for an RR that is
 *   not a DNSKEY.
 */
export function makeDs(owner: Name, dnskey: DnskeyData | RR, digestType = 2, ttl?: number): RR {
  let data: DnskeyData;
  let recordTtl = ttl ?? 3600;
  if ('type' in dnskey) {
    if (dnskey.type !== RRType.DNSKEY) throw new DnssecError('BAD_SIGNING_KEY', `makeDs needs a DNSKEY record`);
    data = dnskey.data as DnskeyData;
    recordTtl = ttl ?? dnskey.ttl;
  } else {
    data = dnskey;
  }
  const rdata = canonicalRdata(RRType.DNSKEY, data);
  const digest = dsDigest(digestType, owner.toCanonicalBytes(), rdata);
  if (digest === undefined) throw new DnssecError('UNSUPPORTED_DIGEST', `unsupported DS digest type ${digestType}`);
  const ds: DsData = { keyTag: keyTag(rdata), algorithm: data.algorithm, digestType, digest };
  return { name: owner, type: RRType.DS, class: 1, ttl: recordTtl, data: ds };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
