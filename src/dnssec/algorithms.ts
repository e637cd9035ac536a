/**
 * Byte-level DNSSEC cryptography: signature verification and signing per DNSSEC algorithm number, DNSKEY key
 * tags, DS digests, NSEC3 hashing and BIND private-key files. Everything operates on Uint8Arrays in DNS wire
 * form; nothing here depends on the message codec.
 *
 * Wire formats of the DNSKEY public key field:
 * - RSA (algorithms 5, 7, 8, 10; RFC 3110 section 2, RFC 5702 section 2): exponent length (1 octet, or 0 then a
 *   2-octet length), exponent, modulus. Signatures are PKCS#1 v1.5, as long as the modulus.
 * - ECDSA (13, 14; RFC 6605 section 4): x || y (64 / 96 octets). Signatures are r || s (64 / 96 octets).
 * - EdDSA (15, 16; RFC 8080 section 3): the raw public key (32 / 57 octets). Signatures are 64 / 114 octets.
 *
 * Error handling: `verify*` functions never throw, they return false for any malformed key or signature.
 * `importPublicKey` throws a DnssecError (code BAD_PUBLIC_KEY or UNSUPPORTED_ALGORITHM), so a caller that needs
 * to tell a bad key from a bad signature imports first and then calls `verifyWithKey`.
 */

import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base32hex.js';
import { DnssecError } from './errors.js';

// ---------------------------------------------------------------------------------------------------------------
// Numbers and names
// ---------------------------------------------------------------------------------------------------------------

/** DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers"). Not all of them are supported. */
export const DnssecAlgorithm = {
  RSAMD5: 1,
  DH: 2,
  DSA: 3,
  RSASHA1: 5,
  DSA_NSEC3_SHA1: 6,
  RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8,
  RSASHA512: 10,
  ECC_GOST: 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
} as const;

/** DS digest type numbers (IANA "Delegation Signer (DS) Resource Record (RR) Type Digest Algorithms"). */
export const DsDigestType = {
  SHA1: 1,
  SHA256: 2,
  GOST: 3,
  SHA384: 4,
} as const;

const MNEMONICS: Readonly<Record<number, string>> = {
  1: 'RSAMD5',
  2: 'DH',
  3: 'DSA',
  5: 'RSASHA1',
  6: 'DSA-NSEC3-SHA1',
  7: 'RSASHA1-NSEC3-SHA1',
  8: 'RSASHA256',
  10: 'RSASHA512',
  12: 'ECC-GOST',
  13: 'ECDSAP256SHA256',
  14: 'ECDSAP384SHA384',
  15: 'ED25519',
  16: 'ED448',
};

/** IANA mnemonic of an algorithm number (also for unsupported ones such as DSA), or undefined if unknown. */
export function algorithmMnemonic(algorithm: number): string | undefined {
  return Object.hasOwn(MNEMONICS, algorithm) ? MNEMONICS[algorithm] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Algorithm table
// ---------------------------------------------------------------------------------------------------------------

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface AlgorithmImpl {
  readonly number: number;
  readonly mnemonic: string;
  readonly family: 'rsa' | 'ecdsa' | 'eddsa';
  /** Digest used with the signature (node:crypto name); null for EdDSA, which signs the message itself. */
  readonly hash: HashName | null;
  /**
   * Parse a DNSKEY public key field into a KeyObject. Results are cached per key bytes (bounded LRU).
   * @throws DnssecError with code BAD_PUBLIC_KEY when the key is malformed for this algorithm.
   */
  importPublicKey(publicKey: Uint8Array): KeyObject;
  /** Verify a wire-form signature over `data` with a DNSKEY public key field. Never throws. */
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** Verify with an already imported key (public, or private from which the public key is derived). Never throws. */
  verifyWithKey(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean;
}

interface RsaParams {
  readonly family: 'rsa';
  readonly minBits: number;
  readonly maxBits: number;
}
interface EcdsaParams {
  readonly family: 'ecdsa';
  /** JWK curve name. */
  readonly crv: 'P-256' | 'P-384';
  /** OpenSSL curve name, as node reports it in asymmetricKeyDetails.namedCurve and accepts in createECDH. */
  readonly opensslCurve: 'prime256v1' | 'secp384r1';
  /** Octets per coordinate / per signature half. */
  readonly size: number;
}
interface EddsaParams {
  readonly family: 'eddsa';
  readonly crv: 'Ed25519' | 'Ed448';
  readonly keyType: 'ed25519' | 'ed448';
  readonly keySize: number;
  readonly signatureSize: number;
  /** DER prefix of a PKCS#8 PrivateKeyInfo holding the raw private key (RFC 8410 section 7). */
  readonly pkcs8Prefix: Uint8Array;
}
type FamilyParams = RsaParams | EcdsaParams | EddsaParams;

interface Spec {
  readonly number: number;
  readonly hash: HashName | null;
  readonly params: FamilyParams;
}

// RFC 3110 section 2 / RFC 5702 section 2: RSA keys of 512..4096 bits, RSASHA512 at least 1024 bits.
const RSA_512: RsaParams = { family: 'rsa', minBits: 512, maxBits: 4096 };
const RSA_1024: RsaParams = { family: 'rsa', minBits: 1024, maxBits: 4096 };
/**
 * Largest accepted RSA public exponent, in bits. RFC 3110 allows up to 4096 bits, but a huge exponent makes every
 * verification as slow as a private-key operation (a denial-of-service lever) and no deployed key uses one;
 * OpenSSL itself refuses exponents over 64 bits for moduli over 3072 bits.
 */
const RSA_MAX_EXPONENT_BITS = 64;

const P256: EcdsaParams = { family: 'ecdsa', crv: 'P-256', opensslCurve: 'prime256v1', size: 32 };
const P384: EcdsaParams = { family: 'ecdsa', crv: 'P-384', opensslCurve: 'secp384r1', size: 48 };
const ED25519: EddsaParams = {
  family: 'eddsa',
  crv: 'Ed25519',
  keyType: 'ed25519',
  keySize: 32,
  signatureSize: 64,
  pkcs8Prefix: Uint8Array.from([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
  ]),
};
const ED448: EddsaParams = {
  family: 'eddsa',
  crv: 'Ed448',
  keyType: 'ed448',
  keySize: 57,
  signatureSize: 114,
  pkcs8Prefix: Uint8Array.from([
    0x30, 0x47, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x04, 0x3b, 0x04, 0x39,
  ]),
};

const SPECS: readonly Spec[] = [
  { number: 5, hash: 'sha1', params: RSA_512 },
  { number: 7, hash: 'sha1', params: RSA_512 },
  { number: 8, hash: 'sha256', params: RSA_512 },
  { number: 10, hash: 'sha512', params: RSA_1024 },
  { number: 13, hash: 'sha256', params: P256 },
  { number: 14, hash: 'sha384', params: P384 },
  { number: 15, hash: null, params: ED25519 },
  { number: 16, hash: null, params: ED448 },
];

/** Imported public keys, keyed by algorithm and key bytes; insertion order doubles as LRU order. */
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, KeyObject>();

/** Drop every cached public KeyObject (for tests and key rollover housekeeping). */
export function clearPublicKeyCache(): void {
  keyCache.clear();
}

function makeImpl(spec: Spec): AlgorithmImpl {
  const mnemonic = MNEMONICS[spec.number];
  const impl: AlgorithmImpl = {
    number: spec.number,
    mnemonic,
    family: spec.params.family,
    hash: spec.hash,
    importPublicKey(publicKey: Uint8Array): KeyObject {
      const cacheKey = `${spec.number}/${bytesToLatin1(publicKey)}`;
      const cached = keyCache.get(cacheKey);
      if (cached !== undefined) {
        keyCache.delete(cacheKey);
        keyCache.set(cacheKey, cached);
        return cached;
      }
      const key = parsePublicKey(spec, publicKey);
      if (keyCache.size >= KEY_CACHE_LIMIT) {
        const oldest = keyCache.keys().next();
        if (!oldest.done) keyCache.delete(oldest.value);
      }
      keyCache.set(cacheKey, key);
      return key;
    },
    verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
      let key: KeyObject;
      try {
        key = impl.importPublicKey(publicKey);
      } catch {
        return false;
      }
      return impl.verifyWithKey(key, data, signature);
    },
    verifyWithKey(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
      try {
        return verifyRaw(spec, key, data, signature);
      } catch {
        return false;
      }
    },
  };
  return Object.freeze(impl);
}

/** The supported algorithms, keyed by DNSSEC algorithm number. DSA (3, 6), GOST (12), RSAMD5 (1) are absent. */
export const ALGORITHMS: ReadonlyMap<number, AlgorithmImpl> = new Map(SPECS.map((s) => [s.number, makeImpl(s)]));

/** True for 5, 7, 8, 10, 13, 14, 15, 16. */
export function isSupportedAlgorithm(algorithm: number): boolean {
  return ALGORITHMS.has(algorithm);
}

/** The implementation of a supported algorithm, or undefined. */
export function getAlgorithm(algorithm: number): AlgorithmImpl | undefined {
  return ALGORITHMS.get(algorithm);
}

function requireAlgorithm(algorithm: number): AlgorithmImpl {
  const impl = ALGORITHMS.get(algorithm);
  if (impl === undefined) {
    const name = algorithmMnemonic(algorithm);
    throw new DnssecError(
      'UNSUPPORTED_ALGORITHM',
      `unsupported DNSSEC algorithm ${algorithm}${name === undefined ? '' : ` (${name})`}`,
    );
  }
  return impl;
}

function specOf(algorithm: number): Spec {
  requireAlgorithm(algorithm);
  return SPECS.find((s) => s.number === algorithm)!;
}

/**
 * Parse a DNSKEY public key field (cached).
 * @throws DnssecError UNSUPPORTED_ALGORITHM or BAD_PUBLIC_KEY.
 */
export function importPublicKey(algorithm: number, publicKey: Uint8Array): KeyObject {
  return requireAlgorithm(algorithm).importPublicKey(publicKey);
}

/** Verify an RRSIG signature field over `data` with a DNSKEY public key field. False for unsupported algorithms and malformed input; never throws. */
export function verifySignature(
  algorithm: number,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const impl = ALGORITHMS.get(algorithm);
  return impl?.verify(publicKey, data, signature) === true;
}

/** Verify with a KeyObject from importPublicKey. False for unsupported algorithms, wrong key types and bad signatures; never throws. */
export function verifyWithKey(algorithm: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const impl = ALGORITHMS.get(algorithm);
  return impl?.verifyWithKey(key, data, signature) === true;
}

// ---------------------------------------------------------------------------------------------------------------
// Public keys
// ---------------------------------------------------------------------------------------------------------------

function badKey(spec: Spec, why: string, cause?: unknown): DnssecError {
  return new DnssecError(
    'BAD_PUBLIC_KEY',
    `bad ${MNEMONICS[spec.number]} public key: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

function parsePublicKey(spec: Spec, publicKey: Uint8Array): KeyObject {
  const p = spec.params;
  let jwk: JsonWebKey;
  if (p.family === 'rsa') {
    const { exponent, modulus } = splitRsaPublicKey(spec, publicKey);
    checkRsaParameters(spec, exponent, modulus, badKey);
    jwk = { kty: 'RSA', n: b64url(modulus), e: b64url(exponent) };
  } else if (p.family === 'ecdsa') {
    if (publicKey.length !== 2 * p.size) {
      throw badKey(spec, `expected ${2 * p.size} octets, got ${publicKey.length}`);
    }
    jwk = {
      kty: 'EC',
      crv: p.crv,
      x: b64url(publicKey.subarray(0, p.size)),
      y: b64url(publicKey.subarray(p.size)),
    };
  } else {
    if (publicKey.length !== p.keySize) {
      throw badKey(spec, `expected ${p.keySize} octets, got ${publicKey.length}`);
    }
    jwk = { kty: 'OKP', crv: p.crv, x: b64url(publicKey) };
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    // e.g. an ECDSA point that is not on the curve
    throw badKey(spec, 'rejected by the crypto library', err);
  }
}

/** RFC 3110 section 2. Leading zero octets (prohibited by the RFC) are tolerated and stripped. */
function splitRsaPublicKey(spec: Spec, key: Uint8Array): { exponent: Uint8Array; modulus: Uint8Array } {
  if (key.length < 1) throw badKey(spec, 'empty key');
  let exponentLength = key[0];
  let offset = 1;
  if (exponentLength === 0) {
    if (key.length < 3) throw badKey(spec, 'truncated exponent length');
    exponentLength = (key[1] << 8) | key[2];
    offset = 3;
  }
  if (exponentLength === 0) throw badKey(spec, 'zero exponent length');
  if (offset + exponentLength >= key.length) throw badKey(spec, 'exponent length exceeds key');
  return {
    exponent: stripLeadingZeros(key.subarray(offset, offset + exponentLength)),
    modulus: stripLeadingZeros(key.subarray(offset + exponentLength)),
  };
}

function checkRsaParameters(
  spec: Spec,
  exponent: Uint8Array,
  modulus: Uint8Array,
  fail: (spec: Spec, why: string) => DnssecError,
): void {
  const p = spec.params as RsaParams;
  const modulusBits = bitLength(modulus);
  if (modulusBits < p.minBits || modulusBits > p.maxBits) {
    throw fail(spec, `modulus of ${modulusBits} bits outside ${p.minBits}..${p.maxBits}`);
  }
  if ((modulus[modulus.length - 1] & 1) === 0) throw fail(spec, 'even modulus');
  const exponentBits = bitLength(exponent);
  if (exponentBits > RSA_MAX_EXPONENT_BITS) throw fail(spec, `exponent of ${exponentBits} bits is too large`);
  if (exponentBits < 2 || (exponent[exponent.length - 1] & 1) === 0) {
    throw fail(spec, 'exponent must be odd and at least 3');
  }
}

/** Encode a public key (or the public half of a private key) as a DNSKEY public key field for `algorithm`. */
export function publicKeyToWire(algorithm: number, key: KeyObject): Uint8Array {
  const spec = specOf(algorithm);
  assertKeyMatches(spec, key);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const p = spec.params;
  if (p.family === 'rsa') {
    const e = stripLeadingZeros(fromB64url(jwk.e));
    const n = stripLeadingZeros(fromB64url(jwk.n));
    const header = e.length <= 255 ? Uint8Array.of(e.length) : Uint8Array.of(0, e.length >> 8, e.length & 0xff);
    return concatBytes(header, e, n);
  }
  if (p.family === 'ecdsa') {
    return concatBytes(leftPad(fromB64url(jwk.x), p.size), leftPad(fromB64url(jwk.y), p.size));
  }
  return fromB64url(jwk.x);
}

/** Build DNSKEY RDATA: flags (e.g. 256 ZSK, 257 KSK), protocol 3, algorithm, public key field. */
export function buildDnskeyRdata(flags: number, algorithm: number, publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + publicKey.length);
  out[0] = (flags >> 8) & 0xff;
  out[1] = flags & 0xff;
  out[2] = 3;
  out[3] = algorithm & 0xff;
  out.set(publicKey, 4);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Verification and signing
// ---------------------------------------------------------------------------------------------------------------

/** Whether `key` (public or private) is of the kind `spec` uses, including the RSA size bounds. */
function keyMatches(spec: Spec, key: KeyObject): boolean {
  if (key.type === 'secret') return false;
  const p = spec.params;
  const details = key.asymmetricKeyDetails;
  if (p.family === 'rsa') {
    const bits = details?.modulusLength;
    return key.asymmetricKeyType === 'rsa' && bits !== undefined && bits >= p.minBits && bits <= p.maxBits;
  }
  if (p.family === 'ecdsa') return key.asymmetricKeyType === 'ec' && details?.namedCurve === p.opensslCurve;
  return key.asymmetricKeyType === p.keyType;
}

function assertKeyMatches(spec: Spec, key: KeyObject): void {
  if (!keyMatches(spec, key)) {
    throw new DnssecError(
      'KEY_ALGORITHM_MISMATCH',
      `${key.type} ${key.asymmetricKeyType ?? ''} key does not fit algorithm ${spec.number} (${MNEMONICS[spec.number]})`,
    );
  }
}

function verifyRaw(spec: Spec, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (!keyMatches(spec, key)) return false;
  const p = spec.params;
  if (p.family === 'rsa') {
    const modulusBytes = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
    if (signature.length !== modulusBytes) return false;
    return cryptoVerify(spec.hash, data, key, signature);
  }
  if (p.family === 'ecdsa') {
    if (signature.length !== 2 * p.size) return false;
    return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (signature.length !== p.signatureSize) return false;
  return cryptoVerify(null, data, key, signature);
}

/**
 * Sign `data` (RRSIG RDATA without the signature, then the canonical RRset) and return the RRSIG signature
 * field in wire form. Any supported algorithm can sign; a DNSSEC signer should use 13 or 15 (or 8).
 * @throws DnssecError UNSUPPORTED_ALGORITHM, KEY_ALGORITHM_MISMATCH (wrong key type, curve or RSA size, or a
 *   public key), or errors from node:crypto.
 */
export function sign(algorithm: number, privateKey: KeyObject, data: Uint8Array): Uint8Array {
  const spec = specOf(algorithm);
  assertKeyMatches(spec, privateKey);
  if (privateKey.type !== 'private') {
    throw new DnssecError('KEY_ALGORITHM_MISMATCH', 'signing needs a private key');
  }
  const p = spec.params;
  const signature =
    p.family === 'ecdsa'
      ? cryptoSign(spec.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(spec.hash, data, privateKey);
  return new Uint8Array(signature);
}

export interface GeneratedKey {
  readonly algorithm: number;
  readonly privateKey: KeyObject;
  /** DNSKEY public key field (wire form). */
  readonly publicKey: Uint8Array;
}

export interface GenerateKeyOptions {
  /** RSA modulus size in bits; default 2048. Must be within the algorithm's bounds (512/1024..4096). */
  readonly rsaModulusBits?: number;
}

/**
 * Generate a key pair for any supported algorithm (RSA keys use exponent 65537).
 * @throws DnssecError UNSUPPORTED_ALGORITHM, or BAD_PRIVATE_KEY for an RSA size outside the algorithm's bounds.
 */
export function generateKey(algorithm: number, options: GenerateKeyOptions = {}): GeneratedKey {
  const spec = specOf(algorithm);
  const p = spec.params;
  let privateKey: KeyObject;
  if (p.family === 'rsa') {
    const bits = options.rsaModulusBits ?? 2048;
    if (!Number.isInteger(bits) || bits < p.minBits || bits > p.maxBits) {
      throw new DnssecError('BAD_PRIVATE_KEY', `RSA size ${bits} outside ${p.minBits}..${p.maxBits} bits`);
    }
    privateKey = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 }).privateKey;
  } else if (p.family === 'ecdsa') {
    privateKey = generateKeyPairSync('ec', { namedCurve: p.crv }).privateKey;
  } else if (p.keyType === 'ed25519') {
    privateKey = generateKeyPairSync('ed25519').privateKey;
  } else {
    privateKey = generateKeyPairSync('ed448').privateKey;
  }
  return { algorithm, privateKey, publicKey: publicKeyToWire(algorithm, privateKey) };
}

// ---------------------------------------------------------------------------------------------------------------
// BIND private key files (Private-key-format: v1.x)
// ---------------------------------------------------------------------------------------------------------------

export interface BindPrivateKey {
  readonly algorithm: number;
  readonly privateKey: KeyObject;
  /** DNSKEY public key field derived from the private key. */
  readonly publicKey: Uint8Array;
  /** Fields other than the format, algorithm and key material (e.g. Created, Publish, Activate), verbatim. */
  readonly metadata: Readonly<Record<string, string>>;
}

const RSA_FIELDS = [
  ['Modulus', 'n'],
  ['PublicExponent', 'e'],
  ['PrivateExponent', 'd'],
  ['Prime1', 'p'],
  ['Prime2', 'q'],
  ['Exponent1', 'dp'],
  ['Exponent2', 'dq'],
  ['Coefficient', 'qi'],
] as const;

function badPrivate(why: string, cause?: unknown): DnssecError {
  return new DnssecError(
    'BAD_PRIVATE_KEY',
    `bad BIND private key: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parse a BIND `K<name>+<alg>+<tag>.private` file (Private-key-format v1.2/v1.3; any v1.x is read) into a
 * private KeyObject. RSA keys are imported from their CRT fields as a JWK (n = p*q is checked); ECDSA keys from
 * PrivateKey as a JWK with the public point computed from it; EdDSA keys from the raw PrivateKey (RFC 8410 PKCS#8).
 * @throws DnssecError BAD_PRIVATE_KEY (syntax, missing fields, inconsistent key) or UNSUPPORTED_ALGORITHM.
 */
export function importBindPrivateKey(text: string): BindPrivateKey {
  const fields = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw badPrivate(`malformed line "${line.slice(0, 40)}"`);
    const name = line.slice(0, colon).trim();
    if (fields.has(name)) throw badPrivate(`duplicate field ${name}`);
    fields.set(name, line.slice(colon + 1).trim());
  }
  const format = fields.get('Private-key-format');
  if (format === undefined || !/^v1\.\d+$/.test(format)) throw badPrivate(`unsupported format ${format ?? '(none)'}`);
  const algField = /^(\d{1,3})(?:\s|$)/.exec(fields.get('Algorithm') ?? '');
  if (algField === null) throw badPrivate('missing or malformed Algorithm');
  const algorithm = Number(algField[1]);
  const spec = specOf(algorithm);
  const p = spec.params;
  const consumed = new Set(['Private-key-format', 'Algorithm']);
  const field = (name: string): Uint8Array => {
    const value = fields.get(name);
    if (value === undefined) throw badPrivate(`missing ${name}`);
    consumed.add(name);
    try {
      return decodeBase64(value);
    } catch (err) {
      throw badPrivate(`${name} is not base64`, err);
    }
  };

  let privateKey: KeyObject;
  try {
    if (p.family === 'rsa') {
      const jwk: JsonWebKey = { kty: 'RSA' };
      const values: Record<string, Uint8Array> = {};
      for (const [name, member] of RSA_FIELDS) {
        values[member] = stripLeadingZeros(field(name));
        jwk[member] = b64url(values[member]);
      }
      checkRsaParameters(spec, values.e, values.n, (_s, why) => badPrivate(why));
      if (toBigInt(values.p) * toBigInt(values.q) !== toBigInt(values.n))
        throw badPrivate('Modulus != Prime1 * Prime2');
      privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    } else if (p.family === 'ecdsa') {
      const d = stripLeadingZeros(field('PrivateKey'));
      if (d.length === 0 || d.length > p.size) throw badPrivate(`PrivateKey must be 1..${p.size} octets`);
      const ecdh = createECDH(p.opensslCurve);
      ecdh.setPrivateKey(d); // throws if d is zero or not below the group order
      const point = ecdh.getPublicKey(); // 0x04 || x || y
      privateKey = createPrivateKey({
        key: {
          kty: 'EC',
          crv: p.crv,
          d: b64url(leftPad(d, p.size)),
          x: b64url(point.subarray(1, 1 + p.size)),
          y: b64url(point.subarray(1 + p.size)),
        },
        format: 'jwk',
      });
    } else {
      const raw = field('PrivateKey');
      if (raw.length !== p.keySize) throw badPrivate(`PrivateKey must be ${p.keySize} octets, got ${raw.length}`);
      privateKey = createPrivateKey({
        key: Buffer.from(concatBytes(p.pkcs8Prefix, raw)),
        format: 'der',
        type: 'pkcs8',
      });
    }
  } catch (err) {
    if (err instanceof DnssecError) throw err;
    throw badPrivate('rejected by the crypto library', err);
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of fields) if (!consumed.has(name)) metadata[name] = value;
  return { algorithm, privateKey, publicKey: publicKeyToWire(algorithm, privateKey), metadata };
}

/**
 * Write a private key in BIND's `Private-key-format: v1.3` text form (LF line endings, trailing newline).
 * `metadata` lines (e.g. { Created: '20260101000000' }) are appended in the given order.
 * @throws DnssecError UNSUPPORTED_ALGORITHM, KEY_ALGORITHM_MISMATCH, or BAD_PRIVATE_KEY for bad metadata.
 */
export function exportBindPrivateKey(
  algorithm: number,
  privateKey: KeyObject,
  metadata: Readonly<Record<string, string>> = {},
): string {
  const spec = specOf(algorithm);
  assertKeyMatches(spec, privateKey);
  if (privateKey.type !== 'private') throw new DnssecError('KEY_ALGORITHM_MISMATCH', 'not a private key');
  const jwk = privateKey.export({ format: 'jwk' });
  const lines = ['Private-key-format: v1.3', `Algorithm: ${algorithm} (${MNEMONICS[algorithm]})`];
  const p = spec.params;
  if (p.family === 'rsa') {
    for (const [name, member] of RSA_FIELDS) {
      lines.push(`${name}: ${encodeBase64(stripLeadingZeros(fromB64url(jwk[member])))}`);
    }
  } else if (p.family === 'ecdsa') {
    lines.push(`PrivateKey: ${encodeBase64(leftPad(fromB64url(jwk.d), p.size))}`);
  } else {
    lines.push(`PrivateKey: ${encodeBase64(fromB64url(jwk.d))}`);
  }
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name) || /[\r\n]/.test(value)) throw badPrivate(`bad metadata field ${name}`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Key tag, DS digest, NSEC3 hash
// ---------------------------------------------------------------------------------------------------------------

/**
 * Key tag of a DNSKEY (RFC 4034 Appendix B) from its full RDATA (flags, protocol, algorithm, public key).
 * For algorithm 1 (RSAMD5) it is the most significant 16 bits of the least significant 24 bits of the modulus,
 * i.e. the 3rd- and 2nd-to-last octets of the RDATA (Appendix B.1).
 * @throws DnssecError BAD_DNSKEY_RDATA if the RDATA is shorter than 4 octets (or, for algorithm 1, than 7).
 */
export function keyTag(dnskeyRdata: Uint8Array): number {
  const n = dnskeyRdata.length;
  if (n < 4) throw new DnssecError('BAD_DNSKEY_RDATA', `DNSKEY RDATA of ${n} octets is too short`);
  if (dnskeyRdata[3] === DnssecAlgorithm.RSAMD5) {
    if (n < 7) throw new DnssecError('BAD_DNSKEY_RDATA', 'RSAMD5 DNSKEY without a modulus');
    return (dnskeyRdata[n - 3] << 8) | dnskeyRdata[n - 2];
  }
  let acc = 0;
  for (let i = 0; i < n; i++) acc += i & 1 ? dnskeyRdata[i] : dnskeyRdata[i] << 8;
  acc += (acc >>> 16) & 0xffff;
  return acc & 0xffff;
}

const DIGESTS: ReadonlyMap<number, HashName> = new Map<number, HashName>([
  [1, 'sha1'],
  [2, 'sha256'],
  [4, 'sha384'],
]);

/** True for DS digest types 1 (SHA-1), 2 (SHA-256) and 4 (SHA-384); GOST (3) and unknown types are unsupported. */
export function isSupportedDigest(digestType: number): boolean {
  return DIGESTS.has(digestType);
}

/**
 * DS digest (RFC 4034 section 5.1.4): digest(owner name in canonical wire form | DNSKEY RDATA). The owner must
 * already be canonical (uncompressed, lowercase). Returns undefined for an unsupported digest type.
 */
export function dsDigest(
  digestType: number,
  ownerCanonicalWire: Uint8Array,
  dnskeyRdata: Uint8Array,
): Uint8Array | undefined {
  const hash = DIGESTS.get(digestType);
  if (hash === undefined) return undefined;
  return new Uint8Array(createHash(hash).update(ownerCanonicalWire).update(dnskeyRdata).digest());
}

/** NSEC3 hash algorithm 1 (SHA-1) is the only one defined (RFC 5155 section 11). */
export function isSupportedNsec3HashAlgorithm(hashAlgorithm: number): boolean {
  return hashAlgorithm === 1;
}

/**
 * NSEC3 hash (RFC 5155 section 5): IH(salt, x, 0) = SHA-1(x | salt), IH(salt, x, k) = SHA-1(IH(salt, x, k-1) | salt),
 * result IH(salt, owner, iterations). `ownerCanonicalWire` is the owner name in canonical (lowercase, uncompressed)
 * wire form; `iterations` is the number of additional iterations as carried in NSEC3/NSEC3PARAM.
 * Returns the 20-octet hash (base32hex-encode it for an owner label).
 * @throws DnssecError BAD_NSEC3_PARAMS when iterations is not an integer in 0..65535 or salt exceeds 255 octets.
 */
export function nsec3Hash(ownerCanonicalWire: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff) {
    throw new DnssecError('BAD_NSEC3_PARAMS', `NSEC3 iterations ${iterations} not in 0..65535`);
  }
  if (salt.length > 255) throw new DnssecError('BAD_NSEC3_PARAMS', `NSEC3 salt of ${salt.length} octets`);
  let digest = createHash('sha1').update(ownerCanonicalWire).update(salt).digest();
  for (let i = 0; i < iterations; i++) digest = createHash('sha1').update(digest).update(salt).digest();
  return new Uint8Array(digest);
}

// ---------------------------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------------------------

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function fromB64url(text: string | undefined): Uint8Array {
  if (text === undefined) throw new DnssecError('BAD_PRIVATE_KEY', 'key export lacks a JWK member');
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

function bytesToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function leftPad(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length >= size) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}

/** Bit length of an unsigned big-endian integer without leading zero octets. */
function bitLength(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  return (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]));
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
