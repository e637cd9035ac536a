import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ALGORITHMS,
  algorithmMnemonic,
  buildDnskeyRdata,
  clearPublicKeyCache,
  dsDigest,
  exportBindPrivateKey,
  generateKey,
  getAlgorithm,
  importBindPrivateKey,
  importPublicKey,
  isSupportedAlgorithm,
  isSupportedDigest,
  isSupportedNsec3HashAlgorithm,
  keyTag,
  nsec3Hash,
  publicKeyToWire,
  sign,
  verifySignature,
  verifyWithKey,
} from '../../src/dnssec/algorithms.js';
import { decodeBase64, encodeBase32Hex, encodeBase64 } from '../../src/dnssec/base32hex.js';
import { type DnssecErrorCode, isDnssecError } from '../../src/dnssec/errors.js';

// ---------------------------------------------------------------------------------------------------------------
// Vector files: prefer the copy in test/data (repo root is three levels above dist/test/dnssec/), fall back to
// the shared folder next to the repository.
// ---------------------------------------------------------------------------------------------------------------

const LOCAL_VECTORS = new URL('../../../test/data/dnssec-vectors/', import.meta.url);
const SHARED_VECTORS = new URL('../../../../shared/testdata/dnssec-vectors/', import.meta.url);
const VECTORS_DIR = existsSync(new URL('vectors.json', LOCAL_VECTORS)) ? LOCAL_VECTORS : SHARED_VECTORS;

const readVector = (name: string): string => readFileSync(new URL(name, VECTORS_DIR), 'utf8');

interface KeytagVector {
  source: string;
  dnskey: string;
  key_tag: number;
}
interface DsVector {
  source: string;
  dnskey: string;
  digest_type: number;
  ds: string;
}
interface RrsigVector {
  source: string;
  algorithm: number;
  key_tag: number;
  dnskey: string;
  rrset: string[];
  rrsig: string;
  expect: 'valid' | 'invalid';
  deterministic?: boolean;
  signed_data_hex: string | null;
}
interface Nsec3HashVector {
  name: string;
  algorithm: number;
  iterations: number;
  salt: string;
  hash: string;
}
interface Vectors {
  keytag: KeytagVector[];
  ds: DsVector[];
  rrsig: RrsigVector[];
  nsec3_hash: Nsec3HashVector[];
  nsec3_responses: { dnskey_rrset: string[]; trust_anchor: string };
}

const vectors = JSON.parse(readVector('vectors.json')) as Vectors;

// ---------------------------------------------------------------------------------------------------------------
// Hand-made wire helpers (the message codec is not used here on purpose)
// ---------------------------------------------------------------------------------------------------------------

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Canonical (lowercase, uncompressed) wire form of an absolute name in presentation form, no escapes. */
function nameWire(name: string): Uint8Array {
  const labels = name
    .toLowerCase()
    .split('.')
    .filter((l) => l !== '');
  const bytes: number[] = [];
  for (const label of labels) bytes.push(label.length, ...Buffer.from(label, 'ascii'));
  bytes.push(0);
  return Uint8Array.from(bytes);
}

const TYPES: Readonly<Record<string, number>> = { A: 1, SOA: 6, MX: 15, DNSKEY: 48, NSEC3: 50 };

interface PresentationRecord {
  owner: string;
  ttl: number;
  type: string;
  fields: string[];
}

function parseRecord(text: string): PresentationRecord {
  const [owner, ttl, klass, type, ...fields] = text.trim().split(/\s+/);
  assert.equal(klass, 'IN');
  return { owner, ttl: Number(ttl), type, fields };
}

interface Dnskey {
  owner: string;
  flags: number;
  algorithm: number;
  publicKey: Uint8Array;
  rdata: Uint8Array;
}

function parseDnskey(text: string): Dnskey {
  const r = parseRecord(text);
  assert.equal(r.type, 'DNSKEY');
  const [flags, protocol, algorithm, ...key] = r.fields;
  assert.equal(protocol, '3');
  const publicKey = decodeBase64(key.join(''));
  const rdata = concat(u16(Number(flags)), [3, Number(algorithm)], publicKey);
  return { owner: r.owner, flags: Number(flags), algorithm: Number(algorithm), publicKey, rdata };
}

/** RFC 4034 section 3.2: YYYYMMDDHHmmSS (UTC) or a plain number of seconds. */
function parseSigTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) return Number(text);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

interface Rrsig {
  owner: string;
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signer: string;
  signature: Uint8Array;
}

function parseRrsig(text: string): Rrsig {
  const r = parseRecord(text);
  assert.equal(r.type, 'RRSIG');
  const [covered, alg, labels, ttl, expiration, inception, tag, signer, ...sig] = r.fields;
  return {
    owner: r.owner,
    typeCovered: TYPES[covered],
    algorithm: Number(alg),
    labels: Number(labels),
    originalTtl: Number(ttl),
    expiration: parseSigTime(expiration),
    inception: parseSigTime(inception),
    keyTag: Number(tag),
    signer,
    signature: decodeBase64(sig.join('')),
  };
}

/** RDATA of the few record types the vectors sign (A, MX, DNSKEY), in canonical form. */
function rdataOf(text: string): Uint8Array {
  const r = parseRecord(text);
  switch (r.type) {
    case 'A':
      return Uint8Array.from(r.fields[0].split('.').map(Number));
    case 'MX':
      return concat(u16(Number(r.fields[0])), nameWire(r.fields[1]));
    case 'DNSKEY':
      return parseDnskey(text).rdata;
    default:
      throw new Error(`no test encoder for ${r.type}`);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** RFC 4034 section 3.1.8.1: RRSIG RDATA without the signature, then the RRset in canonical form and order. */
function signedData(rrsig: Rrsig, rrset: string[], labelsOverride?: number): Uint8Array {
  const head = concat(
    u16(rrsig.typeCovered),
    [rrsig.algorithm, labelsOverride ?? rrsig.labels],
    u32(rrsig.originalTtl),
    u32(rrsig.expiration),
    u32(rrsig.inception),
    u16(rrsig.keyTag),
    nameWire(rrsig.signer),
  );
  const records = rrset
    .map((text) => ({ r: parseRecord(text), rdata: rdataOf(text) }))
    .sort((x, y) => compareBytes(x.rdata, y.rdata))
    .map(({ r, rdata }) =>
      concat(nameWire(r.owner), u16(TYPES[r.type]), u16(1), u32(rrsig.originalTtl), u16(rdata.length), rdata),
    );
  return concat(head, ...records);
}

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] ^= 1 << bit;
  return out;
}

function throwsCode(fn: () => unknown, code: DnssecErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isDnssecError(err, code), `expected DnssecError ${code}, got ${String(err)}`);
    return true;
  });
}

const SUPPORTED = [5, 7, 8, 10, 13, 14, 15, 16];

/** The RFC example private keys, keyed by file name. */
const PRIVATE_FILES = readdirSync(fileURLToPath(VECTORS_DIR)).filter((f) => f.endsWith('.private'));

function privateKeyFor(algorithm: number, publicKey: Uint8Array): KeyObject {
  for (const file of PRIVATE_FILES) {
    const k = importBindPrivateKey(readVector(file));
    if (k.algorithm === algorithm && hex(k.publicKey) === hex(publicKey)) return k.privateKey;
  }
  throw new Error(`no private key file for algorithm ${algorithm}`);
}

// ---------------------------------------------------------------------------------------------------------------

describe('vector files', () => {
  it('are read from the repository copy', () => {
    assert.equal(VECTORS_DIR, LOCAL_VECTORS);
    assert.ok(vectors.rrsig.length >= 8);
  });

  it('the repository copy matches ../shared/testdata when that folder exists', (t) => {
    if (!existsSync(new URL('vectors.json', SHARED_VECTORS))) {
      t.skip('../shared/testdata/dnssec-vectors not present');
      return;
    }
    const shared = readdirSync(fileURLToPath(SHARED_VECTORS));
    for (const file of shared) {
      const local = readFileSync(new URL(file, LOCAL_VECTORS), 'utf8');
      const original = readFileSync(new URL(file, SHARED_VECTORS), 'utf8');
      if (file.endsWith('.json')) assert.deepEqual(JSON.parse(local), JSON.parse(original), file);
      else if (!file.endsWith('.md')) assert.equal(local, original, file); // README.md is reformatted by Biome
    }
  });
});

describe('algorithm table', () => {
  it('supports exactly 5, 7, 8, 10, 13, 14, 15, 16', () => {
    assert.deepEqual(
      [...ALGORITHMS.keys()].sort((a, b) => a - b),
      SUPPORTED,
    );
    for (const n of SUPPORTED) assert.equal(isSupportedAlgorithm(n), true, String(n));
    for (const n of [-1, 0, 1, 2, 3, 4, 6, 9, 11, 12, 17, 23, 252, 253, 254, 255, 256, 1.5, Number.NaN]) {
      assert.equal(isSupportedAlgorithm(n), false, String(n));
      assert.equal(getAlgorithm(n), undefined);
    }
  });

  it('describes each algorithm', () => {
    const expected: Record<number, [string, string, string | null]> = {
      5: ['RSASHA1', 'rsa', 'sha1'],
      7: ['RSASHA1-NSEC3-SHA1', 'rsa', 'sha1'],
      8: ['RSASHA256', 'rsa', 'sha256'],
      10: ['RSASHA512', 'rsa', 'sha512'],
      13: ['ECDSAP256SHA256', 'ecdsa', 'sha256'],
      14: ['ECDSAP384SHA384', 'ecdsa', 'sha384'],
      15: ['ED25519', 'eddsa', null],
      16: ['ED448', 'eddsa', null],
    };
    for (const [n, [mnemonic, family, hash]] of Object.entries(expected)) {
      const impl = getAlgorithm(Number(n))!;
      assert.equal(impl.number, Number(n));
      assert.equal(impl.mnemonic, mnemonic);
      assert.equal(impl.family, family);
      assert.equal(impl.hash, hash);
      assert.equal(algorithmMnemonic(Number(n)), mnemonic);
    }
    assert.equal(algorithmMnemonic(3), 'DSA');
    assert.equal(algorithmMnemonic(6), 'DSA-NSEC3-SHA1');
    assert.equal(algorithmMnemonic(12), 'ECC-GOST');
    assert.equal(algorithmMnemonic(99), undefined);
    assert.equal(algorithmMnemonic(Number('toString')), undefined);
  });
});

describe('keyTag (RFC 4034 Appendix B)', () => {
  it('matches the key tags of the RFC keys', () => {
    assert.ok(vectors.keytag.length >= 9);
    for (const v of vectors.keytag) {
      assert.equal(keyTag(parseDnskey(v.dnskey).rdata), v.key_tag, v.source);
    }
  });

  it('matches the key tags the RFC 5155 RRSIGs name', () => {
    const tags = vectors.nsec3_responses.dnskey_rrset
      .filter((r) => parseRecord(r).type === 'DNSKEY')
      .map((r) => keyTag(parseDnskey(r).rdata))
      .sort((a, b) => a - b);
    assert.deepEqual(tags, [12708, 40430]);
  });

  it('uses the modulus octets for algorithm 1 (RSAMD5)', () => {
    const rdata = concat([0x01, 0x00, 3, 1], [1, 3], fromHex('c0ffeeabcdef1234'));
    // most significant 16 bits of the least significant 24 bits of the modulus: 0x12 0x34 of ...12 34 (ff)
    const withTail = concat(rdata, [0xff]);
    assert.equal(keyTag(withTail), 0x1234);
    assert.equal(keyTag(rdata), 0xef12);
    // the same RDATA with another algorithm uses the checksum
    const asAlg5 = Uint8Array.from(withTail);
    asAlg5[3] = 5;
    assert.notEqual(keyTag(asAlg5), 0x1234);
  });

  it('handles carries and the largest RDATA sizes', () => {
    const big = new Uint8Array(65535).fill(0xff);
    big[3] = 8;
    // reference: plain summation with BigInt-free arithmetic, as in RFC 4034 Appendix B
    let ac = 0;
    for (let i = 0; i < big.length; i++) ac += i & 1 ? big[i] : big[i] << 8;
    ac += (ac >> 16) & 0xffff;
    assert.equal(keyTag(big), ac & 0xffff);
    assert.equal(keyTag(Uint8Array.of(0, 0, 3, 8)), 0x0308);
  });

  it('throws BAD_DNSKEY_RDATA for truncated RDATA', () => {
    throwsCode(() => keyTag(new Uint8Array(0)), 'BAD_DNSKEY_RDATA');
    throwsCode(() => keyTag(Uint8Array.of(1, 0, 3)), 'BAD_DNSKEY_RDATA');
    throwsCode(() => keyTag(Uint8Array.of(1, 0, 3, 1, 0xaa, 0xbb)), 'BAD_DNSKEY_RDATA');
  });
});

describe('dsDigest', () => {
  it('reproduces the RFC 4034 / 4509 / 6605 / 8080 DS records', () => {
    assert.ok(vectors.ds.length >= 8);
    const seen = new Set<number>();
    for (const v of vectors.ds) {
      const key = parseDnskey(v.dnskey);
      const [tag, alg, digestType, digest] = parseRecord(v.ds).fields;
      assert.equal(Number(digestType), v.digest_type);
      assert.equal(Number(alg), key.algorithm);
      assert.equal(keyTag(key.rdata), Number(tag), v.source);
      const out = dsDigest(v.digest_type, nameWire(key.owner), key.rdata);
      assert.ok(out !== undefined);
      assert.equal(hex(out), digest.toLowerCase(), v.source);
      seen.add(v.digest_type);
    }
    assert.deepEqual([...seen].sort(), [1, 2, 4]);
  });

  it('returns undefined for unsupported digest types', () => {
    const key = parseDnskey(vectors.ds[0].dnskey);
    for (const t of [0, 3, 5, 6, 255, 1.5]) {
      assert.equal(dsDigest(t, nameWire(key.owner), key.rdata), undefined, String(t));
      assert.equal(isSupportedDigest(t), false, String(t));
    }
    for (const t of [1, 2, 4]) assert.equal(isSupportedDigest(t), true);
  });
});

describe('nsec3Hash (RFC 5155 section 5)', () => {
  it('reproduces the RFC 5155 Appendix A hashes from vectors.json', () => {
    assert.equal(vectors.nsec3_hash.length, 15);
    for (const v of vectors.nsec3_hash) {
      assert.equal(isSupportedNsec3HashAlgorithm(v.algorithm), true);
      const h = nsec3Hash(nameWire(v.name), fromHex(v.salt), v.iterations);
      assert.equal(h.length, 20);
      assert.equal(encodeBase32Hex(h), v.hash, v.name);
    }
  });

  it('reproduces rfc5155-nsec3-hashes.txt', () => {
    const lines = readVector('rfc5155-nsec3-hashes.txt')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith(';'));
    assert.equal(lines.length, 15);
    for (const line of lines) {
      const [name, expected] = line.trim().split(/\s+/);
      assert.equal(encodeBase32Hex(nsec3Hash(nameWire(name), fromHex('aabbccdd'), 12)), expected, name);
    }
  });

  it('iterations count additional hashings; empty salt is allowed', () => {
    const owner = nameWire('example.');
    const salt = fromHex('aabbccdd');
    const once = createHash('sha1').update(owner).update(salt).digest();
    assert.equal(hex(nsec3Hash(owner, salt, 0)), once.toString('hex'));
    const twice = createHash('sha1').update(once).update(salt).digest();
    assert.equal(hex(nsec3Hash(owner, salt, 1)), twice.toString('hex'));
    const noSalt = createHash('sha1').update(owner).digest();
    assert.equal(hex(nsec3Hash(owner, new Uint8Array(0), 0)), noSalt.toString('hex'));
    assert.equal(isSupportedNsec3HashAlgorithm(0), false);
    assert.equal(isSupportedNsec3HashAlgorithm(2), false);
  });

  it('rejects out-of-range parameters', () => {
    const owner = nameWire('example.');
    for (const n of [-1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      throwsCode(() => nsec3Hash(owner, new Uint8Array(0), n), 'BAD_NSEC3_PARAMS');
    }
    throwsCode(() => nsec3Hash(owner, new Uint8Array(256), 0), 'BAD_NSEC3_PARAMS');
    assert.equal(nsec3Hash(owner, new Uint8Array(255), 0).length, 20);
  });
});

describe('RRSIG vectors', () => {
  const valid = vectors.rrsig.filter((v) => v.expect === 'valid');
  const invalid = vectors.rrsig.filter((v) => v.expect === 'invalid');

  it('covers every algorithm the RFC vectors exercise', () => {
    assert.deepEqual(
      [...new Set(valid.map((v) => v.algorithm))].sort((a, b) => a - b),
      [8, 10, 13, 14, 15, 16],
    );
    assert.equal(invalid.length, 4);
  });

  it('the hand-assembled signed data equals signed_data_hex', () => {
    for (const v of valid) {
      assert.equal(hex(signedData(parseRrsig(v.rrsig), v.rrset)), v.signed_data_hex, v.source);
    }
  });

  for (const v of valid) {
    const rrsig = parseRrsig(v.rrsig);
    const key = parseDnskey(v.dnskey);
    const data = fromHex(v.signed_data_hex!);
    const label = `${algorithmMnemonic(v.algorithm)} key ${v.key_tag} (${v.source})`;

    it(`verifies ${label}`, () => {
      assert.equal(rrsig.algorithm, v.algorithm);
      assert.equal(keyTag(key.rdata), rrsig.keyTag);
      assert.equal(verifySignature(v.algorithm, key.publicKey, data, rrsig.signature), true);
      assert.equal(getAlgorithm(v.algorithm)!.verify(key.publicKey, data, rrsig.signature), true);
      const imported = importPublicKey(v.algorithm, key.publicKey);
      assert.equal(verifyWithKey(v.algorithm, imported, data, rrsig.signature), true);
    });

    it(`rejects ${label} after a flipped bit`, () => {
      for (const i of [0, rrsig.signature.length >> 1, rrsig.signature.length - 1]) {
        assert.equal(verifySignature(v.algorithm, key.publicKey, data, flipBit(rrsig.signature, i)), false, `sig ${i}`);
      }
      for (const i of [0, 20, data.length - 1]) {
        assert.equal(
          verifySignature(v.algorithm, key.publicKey, flipBit(data, i), rrsig.signature),
          false,
          `data ${i}`,
        );
      }
      // the same bytes under another algorithm number of the same family must not verify
      const other = { 8: 5, 10: 8, 13: 14, 14: 13, 15: 16, 16: 15 }[v.algorithm as 8 | 10 | 13 | 14 | 15 | 16];
      assert.equal(verifySignature(other, key.publicKey, data, rrsig.signature), false);
    });

    it(`the RFC private key reproduces ${label}`, () => {
      const privateKey = privateKeyFor(v.algorithm, key.publicKey);
      const mine = sign(v.algorithm, privateKey, data);
      if (v.deterministic === true) {
        assert.equal(hex(mine), hex(rrsig.signature));
      } else {
        assert.equal(mine.length, rrsig.signature.length);
      }
      assert.equal(verifySignature(v.algorithm, key.publicKey, data, mine), true);
    });
  }

  it('RFC 8080 signatures as published (before erratum 4935): only the Labels=3 bytes match them', () => {
    for (const v of invalid) {
      const rrsig = parseRrsig(v.rrsig);
      const key = parseDnskey(v.dnskey);
      assert.equal(rrsig.labels, 3);
      assert.equal(keyTag(key.rdata), rrsig.keyTag);
      // The signatures were computed over signed data carrying Labels=3, so they are cryptographically correct
      // for those bytes; a validator rejects them before any crypto because Labels (3) exceeds the owner's label
      // count (RFC 4035 section 5.3.1). With Labels corrected to 2 the signature no longer matches.
      const asPublished = signedData(rrsig, v.rrset);
      const corrected = signedData(rrsig, v.rrset, 2);
      assert.equal(verifySignature(v.algorithm, key.publicKey, asPublished, rrsig.signature), true, v.source);
      assert.equal(verifySignature(v.algorithm, key.publicKey, corrected, rrsig.signature), false, v.source);
      // the corrected signed data is the one the valid vector signs
      const good = valid.find((g) => g.algorithm === v.algorithm && g.key_tag === v.key_tag)!;
      assert.equal(hex(corrected), good.signed_data_hex);
    }
  });

  it('verifies the RFC 5155 RSASHA1-NSEC3-SHA1 DNSKEY RRset signature (hand-assembled signed data)', () => {
    const rrset = vectors.nsec3_responses.dnskey_rrset.filter((r) => parseRecord(r).type === 'DNSKEY');
    const rrsig = parseRrsig(vectors.nsec3_responses.dnskey_rrset.find((r) => parseRecord(r).type === 'RRSIG')!);
    assert.equal(rrsig.algorithm, 7);
    assert.equal(rrsig.labels, 1);
    assert.equal(rrsig.inception, Date.UTC(2005, 9, 21) / 1000);
    const key = rrset.map(parseDnskey).find((k) => keyTag(k.rdata) === rrsig.keyTag)!;
    assert.equal(key.flags, 257);
    const data = signedData(rrsig, rrset);
    assert.equal(verifySignature(7, key.publicKey, data, rrsig.signature), true);
    // RRset order is canonical: reversing the input must give the same signed data
    assert.equal(hex(signedData(rrsig, [...rrset].reverse())), hex(data));
    assert.equal(verifySignature(7, key.publicKey, flipBit(data, data.length - 1), rrsig.signature), false);
    assert.equal(verifySignature(7, key.publicKey, data, flipBit(rrsig.signature, 5)), false);
    // RSASHA1 (5) uses the same hash and padding as 7
    assert.equal(verifySignature(5, key.publicKey, data, rrsig.signature), true);
    assert.equal(verifySignature(8, key.publicKey, data, rrsig.signature), false);
    // the trust anchor is the KSK that signed the DNSKEY RRset
    const anchor = vectors.nsec3_responses.trust_anchor.trim().split(/\s+/);
    assert.equal(hex(decodeBase64(anchor.slice(5).join(''))), hex(key.publicKey));
  });
});

describe('key generation and signing', () => {
  const message = new TextEncoder().encode('sealdns round trip');

  for (const [alg, bits] of [
    [8, undefined],
    [13, undefined],
    [15, undefined],
    [5, 1024],
    [7, 1024],
    [10, 1024],
    [14, undefined],
    [16, undefined],
  ] as const) {
    it(`generate -> sign -> verify for ${algorithmMnemonic(alg)} (${alg})`, () => {
      const k = generateKey(alg, bits === undefined ? {} : { rsaModulusBits: bits });
      assert.equal(k.algorithm, alg);
      assert.equal(k.privateKey.type, 'private');
      // RSA: exponent length octet, exponent 65537 (3 octets), modulus
      const expectedLength: Record<number, number> = {
        8: 4 + 256,
        5: 4 + 128,
        7: 4 + 128,
        10: 4 + 128,
        13: 64,
        14: 96,
        15: 32,
        16: 57,
      };
      assert.equal(k.publicKey.length, expectedLength[alg]);
      if (getAlgorithm(alg)!.family === 'rsa') assert.equal(hex(k.publicKey.subarray(0, 4)), '03010001');
      const sig = sign(alg, k.privateKey, message);
      const sigLength: Record<number, number> = { 8: 256, 5: 128, 7: 128, 10: 128, 13: 64, 14: 96, 15: 64, 16: 114 };
      assert.equal(sig.length, sigLength[alg]);
      assert.equal(verifySignature(alg, k.publicKey, message, sig), true);
      assert.equal(verifySignature(alg, k.publicKey, flipBit(message, 3), sig), false);
      assert.equal(verifySignature(alg, k.publicKey, message, flipBit(sig, 7)), false);
      // verifyWithKey also accepts the private KeyObject
      assert.equal(verifyWithKey(alg, k.privateKey, message, sig), true);
      assert.equal(hex(publicKeyToWire(alg, k.privateKey)), hex(k.publicKey));
      const tag = keyTag(buildDnskeyRdata(257, alg, k.publicKey));
      assert.ok(Number.isInteger(tag) && tag >= 0 && tag <= 0xffff);

      // BIND v1.3 round trip
      const text = exportBindPrivateKey(alg, k.privateKey, { Created: '20260101000000' });
      assert.match(
        text,
        new RegExp(`^Private-key-format: v1\\.3\\nAlgorithm: ${alg} \\(${algorithmMnemonic(alg)}\\)\\n`),
      );
      assert.ok(text.endsWith('Created: 20260101000000\n'));
      const back = importBindPrivateKey(text);
      assert.equal(back.algorithm, alg);
      assert.equal(hex(back.publicKey), hex(k.publicKey));
      assert.deepEqual(back.metadata, { Created: '20260101000000' });
      assert.equal(verifySignature(alg, k.publicKey, message, sign(alg, back.privateKey, message)), true);
      assert.equal(exportBindPrivateKey(alg, back.privateKey, back.metadata), text);
    });
  }

  it('rejects keys that do not fit the algorithm', () => {
    const ed = generateKey(15);
    const ec = generateKey(13);
    throwsCode(() => sign(13, ed.privateKey, message), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => sign(14, ec.privateKey, message), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => sign(16, ed.privateKey, message), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => sign(8, ec.privateKey, message), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => sign(15, importPublicKey(15, ed.publicKey), message), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => exportBindPrivateKey(13, ed.privateKey), 'KEY_ALGORITHM_MISMATCH');
    throwsCode(() => exportBindPrivateKey(15, importPublicKey(15, ed.publicKey)), 'KEY_ALGORITHM_MISMATCH');
    // the 512-bit RFC 5702 key is fine for RSASHA256 but too small for RSASHA512 (RFC 5702 section 2)
    const rsa512 = importBindPrivateKey(readVector('rfc5702-6.1-rsasha256.private'));
    assert.equal(sign(8, rsa512.privateKey, message).length, 64);
    throwsCode(() => sign(10, rsa512.privateKey, message), 'KEY_ALGORITHM_MISMATCH');
    // RSA-PSS keys are not DNSSEC RSA keys
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey;
    throwsCode(() => sign(8, pss, message), 'KEY_ALGORITHM_MISMATCH');
    // verifyWithKey with a mismatched key is just false
    const sig = sign(15, ed.privateKey, message);
    assert.equal(verifyWithKey(15, ed.privateKey, message, sig), true);
    assert.equal(verifyWithKey(16, ed.privateKey, message, sig), false);
    assert.equal(verifyWithKey(13, ed.privateKey, message, sig), false);
    assert.equal(verifyWithKey(3, ed.privateKey, message, sig), false);
  });

  it('rejects unsupported algorithms and bad RSA sizes', () => {
    for (const alg of [0, 1, 3, 6, 12, 17, 255]) {
      throwsCode(() => generateKey(alg), 'UNSUPPORTED_ALGORITHM');
      throwsCode(() => sign(alg, generateKey(15).privateKey, message), 'UNSUPPORTED_ALGORITHM');
      throwsCode(() => importPublicKey(alg, new Uint8Array(32)), 'UNSUPPORTED_ALGORITHM');
    }
    throwsCode(() => generateKey(8, { rsaModulusBits: 256 }), 'BAD_PRIVATE_KEY');
    throwsCode(() => generateKey(10, { rsaModulusBits: 768 }), 'BAD_PRIVATE_KEY');
    throwsCode(() => generateKey(8, { rsaModulusBits: 8192 }), 'BAD_PRIVATE_KEY');
  });
});

describe('BIND private key files', () => {
  it('imports every RFC example key (v1.2) and derives its published DNSKEY', () => {
    assert.equal(PRIVATE_FILES.length, 8);
    const published = vectors.keytag.map((v) => parseDnskey(v.dnskey));
    for (const file of PRIVATE_FILES) {
      const k = importBindPrivateKey(readVector(file));
      const match = published.find((p) => p.algorithm === k.algorithm && hex(p.publicKey) === hex(k.publicKey));
      assert.ok(match !== undefined, `${file}: derived public key is not an RFC DNSKEY`);
      assert.deepEqual(k.metadata, {});
    }
  });

  it('exports the RFC keys back to the same fields in v1.3 form', () => {
    for (const file of PRIVATE_FILES) {
      const original = readVector(file);
      const k = importBindPrivateKey(original);
      const exported = exportBindPrivateKey(k.algorithm, k.privateKey);
      assert.equal(exported, original.replace('Private-key-format: v1.2', 'Private-key-format: v1.3'), file);
    }
  });

  it('keeps metadata fields and accepts CRLF line endings', () => {
    const text = [
      'Private-key-format: v1.3',
      'Algorithm: 15 (ED25519)',
      'PrivateKey: ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=',
      'Created: 20260101000000',
      'Publish: 20260101000000',
      'Activate: 20260102000000',
      '',
    ].join('\r\n');
    const k = importBindPrivateKey(text);
    assert.equal(keyTag(buildDnskeyRdata(257, 15, k.publicKey)), 3613);
    assert.deepEqual(k.metadata, { Created: '20260101000000', Publish: '20260101000000', Activate: '20260102000000' });
    throwsCode(() => exportBindPrivateKey(15, k.privateKey, { 'Bad Name': 'x' }), 'BAD_PRIVATE_KEY');
    throwsCode(() => exportBindPrivateKey(15, k.privateKey, { Created: 'x\nAlgorithm: 8' }), 'BAD_PRIVATE_KEY');
  });

  it('rejects malformed files with typed errors', () => {
    const ed = readVector('rfc8080-6.1-ed25519-3613.private');
    const ec = readVector('rfc6605-6.1-ecdsap256sha256.private');
    const rsa = readVector('rfc5702-6.1-rsasha256.private');
    const bad: Array<[string, DnssecErrorCode]> = [
      ['', 'BAD_PRIVATE_KEY'],
      [ed.replace('v1.2', 'v2.0'), 'BAD_PRIVATE_KEY'],
      [ed.replace('Private-key-format: v1.2\n', ''), 'BAD_PRIVATE_KEY'],
      [ed.replace('Algorithm: 15 (ED25519)', 'Algorithm: ED25519'), 'BAD_PRIVATE_KEY'],
      [ed.replace('Algorithm: 15 (ED25519)', 'Algorithm: 3 (DSA)'), 'UNSUPPORTED_ALGORITHM'],
      [ed.replace('Algorithm: 15 (ED25519)', 'Algorithm: 16 (ED448)'), 'BAD_PRIVATE_KEY'],
      [`${ed}PrivateKey: AAAA\n`, 'BAD_PRIVATE_KEY'],
      [`${ed}garbage line\n`, 'BAD_PRIVATE_KEY'],
      [ed.replace(/PrivateKey: .*/, 'PrivateKey: not*base64'), 'BAD_PRIVATE_KEY'],
      [ed.replace(/PrivateKey: .*/, 'PrivateKey: AAAA'), 'BAD_PRIVATE_KEY'],
      [ed.replace(/PrivateKey: .*\n/, ''), 'BAD_PRIVATE_KEY'],
      [ec.replace(/PrivateKey: .*/, `PrivateKey: ${encodeBase64(new Uint8Array(32))}`), 'BAD_PRIVATE_KEY'],
      [ec.replace(/PrivateKey: .*/, `PrivateKey: ${encodeBase64(new Uint8Array(32).fill(0xff))}`), 'BAD_PRIVATE_KEY'],
      [ec.replace(/PrivateKey: .*/, `PrivateKey: ${encodeBase64(new Uint8Array(33).fill(1))}`), 'BAD_PRIVATE_KEY'],
      [rsa.replace(/Prime1: .*\n/, ''), 'BAD_PRIVATE_KEY'],
      [rsa.replace(/Prime1: ./, 'Prime1: 5'), 'BAD_PRIVATE_KEY'],
      [rsa.replace('Algorithm: 8 (RSASHA256)', 'Algorithm: 10 (RSASHA512)'), 'BAD_PRIVATE_KEY'],
    ];
    for (const [text, code] of bad) throwsCode(() => importBindPrivateKey(text), code);
  });

  it('left-pads a short ECDSA PrivateKey field', () => {
    const d = new Uint8Array(31).fill(7);
    const text = `Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: ${encodeBase64(d)}\n`;
    const k = importBindPrivateKey(text);
    const exported = exportBindPrivateKey(13, k.privateKey);
    assert.ok(exported.includes(`PrivateKey: ${encodeBase64(concat([0], d))}\n`), exported);
    assert.equal(hex(importBindPrivateKey(exported).publicKey), hex(k.publicKey));
  });
});

describe('malformed keys and signatures', () => {
  const data = new TextEncoder().encode('data');
  const ed25519 = generateKey(15);
  const ed448 = generateKey(16);
  const p256 = generateKey(13);
  const p384 = generateKey(14);
  const rsa = importBindPrivateKey(readVector('rfc5702-6.2-rsasha512.private')); // 1024-bit, usable for 5/7/8/10
  const good: Record<number, { publicKey: Uint8Array; privateKey: KeyObject }> = {
    5: rsa,
    7: rsa,
    8: rsa,
    10: rsa,
    13: p256,
    14: p384,
    15: ed25519,
    16: ed448,
  };

  function rsaKey(exponent: Uint8Array, modulus: Uint8Array, longForm = false): Uint8Array {
    const header = longForm ? [0, exponent.length >> 8, exponent.length & 0xff] : [exponent.length];
    return concat(header, exponent, modulus);
  }

  const rsaModulus = rsa.publicKey.subarray(4); // header 03 01 00 01

  /** Keys that importPublicKey must reject, and keys that merely must not verify the signature. */
  function badKeysFor(alg: number): { rejected: Uint8Array[]; wrong: Uint8Array[] } {
    const pk = good[alg].publicKey;
    const family = getAlgorithm(alg)!.family;
    const rejected = [new Uint8Array(0), pk.subarray(0, 1)];
    // a truncated or extended RSA modulus can still be a well-formed (other) key
    const wrong = [flipBit(pk, pk.length - 2)];
    if (family === 'rsa') {
      wrong.push(pk.subarray(0, pk.length - 1), concat(pk, [1]));
    } else {
      rejected.push(pk.subarray(0, pk.length - 1), concat(pk, [0]));
    }
    if (family === 'eddsa') {
      // OpenSSL does not check EdDSA points on import; such keys fail at verification
      wrong.push(new Uint8Array(pk.length), new Uint8Array(pk.length).fill(0xff));
    } else {
      rejected.push(new Uint8Array(pk.length), new Uint8Array(pk.length).fill(0xff));
    }
    if (family === 'ecdsa') {
      rejected.push(flipBit(pk, pk.length - 1)); // (x, y xor 1) is not on the curve
      rejected.push(concat(pk.subarray(pk.length / 2), pk.subarray(0, pk.length / 2))); // swapped coordinates
    }
    if (family === 'rsa') {
      const e = Uint8Array.of(1, 0, 1);
      rejected.push(
        Uint8Array.of(0), // zero exponent length, truncated long form
        Uint8Array.of(0, 0, 0, 1), // long form with zero length
        rsaKey(e, new Uint8Array(0)), // no modulus
        concat([200], e, rsaModulus), // exponent length beyond the key
        concat([0, 0xff, 0xff], e), // long-form length beyond the key
        rsaKey(e, rsaModulus.subarray(0, 32)), // 256-bit modulus
        rsaKey(e, flipBit(rsaModulus, rsaModulus.length - 1)), // even modulus
        rsaKey(new Uint8Array(9).fill(0xff), rsaModulus), // 72-bit exponent
        rsaKey(Uint8Array.of(2), rsaModulus), // even exponent
        rsaKey(Uint8Array.of(1), rsaModulus), // exponent 1
        rsaKey(Uint8Array.of(0, 0), rsaModulus), // exponent 0
        rsaKey(e, concat(new Uint8Array(600).fill(0x55), [1])), // 4808-bit modulus
      );
    }
    return { rejected, wrong };
  }

  for (const alg of SUPPORTED) {
    it(`${algorithmMnemonic(alg)}: malformed public keys give false / BAD_PUBLIC_KEY`, () => {
      const { publicKey, privateKey } = good[alg];
      const sig = sign(alg, privateKey, data);
      assert.equal(verifySignature(alg, publicKey, data, sig), true);
      const { rejected, wrong } = badKeysFor(alg);
      for (const [i, bad] of rejected.entries()) {
        assert.equal(verifySignature(alg, bad, data, sig), false, `rejected key #${i}`);
        throwsCode(() => importPublicKey(alg, bad), 'BAD_PUBLIC_KEY');
      }
      for (const [i, bad] of wrong.entries()) {
        assert.equal(verifySignature(alg, bad, data, sig), false, `wrong key #${i}`);
      }
    });

    it(`${algorithmMnemonic(alg)}: malformed signatures give false without throwing`, () => {
      const { publicKey, privateKey } = good[alg];
      const sig = sign(alg, privateKey, data);
      const bad = [
        new Uint8Array(0),
        sig.subarray(0, 1),
        sig.subarray(0, sig.length - 1),
        sig.subarray(1),
        concat(sig, [0]),
        concat([0], sig),
        new Uint8Array(sig.length),
        new Uint8Array(sig.length).fill(0xff),
        new Uint8Array(4096).fill(0x30),
      ];
      for (const [i, s] of bad.entries()) {
        assert.equal(verifySignature(alg, publicKey, data, s), false, `signature #${i}`);
        assert.equal(verifyWithKey(alg, importPublicKey(alg, publicKey), data, s), false, `signature #${i}`);
      }
    });
  }

  it('accepts (and strips) RSA leading zero octets and the long exponent-length form', () => {
    const sig = sign(8, rsa.privateKey, data);
    const e = Uint8Array.of(1, 0, 1);
    assert.equal(verifySignature(8, rsaKey(e, rsaModulus, true), data, sig), true);
    assert.equal(verifySignature(8, rsaKey(concat([0], e), concat([0], rsaModulus)), data, sig), true);
  });

  it('ECDSA signatures with r or s zero or above the group order are rejected', () => {
    const sig = sign(13, p256.privateKey, data);
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const order = fromHex('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    for (const forged of [
      concat(new Uint8Array(32), s),
      concat(r, new Uint8Array(32)),
      concat(order, s),
      concat(r, order),
    ]) {
      assert.equal(verifySignature(13, p256.publicKey, data, forged), false);
    }
  });

  it('unsupported algorithms verify as false', () => {
    for (const alg of [0, 1, 3, 6, 12, 200]) {
      assert.equal(verifySignature(alg, ed25519.publicKey, data, sign(15, ed25519.privateKey, data)), false);
    }
  });
});

describe('public key cache', () => {
  it('returns the cached KeyObject for equal key bytes, per algorithm', () => {
    clearPublicKeyCache();
    const k = generateKey(13);
    const a = importPublicKey(13, k.publicKey);
    const copy = concat([9, 9], k.publicKey).subarray(2);
    assert.equal(importPublicKey(13, copy), a);
    assert.equal(getAlgorithm(13)!.importPublicKey(k.publicKey), a);
    clearPublicKeyCache();
    assert.notEqual(importPublicKey(13, k.publicKey), a);
    // RSA keys are cached per algorithm number (5 and 8 have different size rules)
    const rsa = importBindPrivateKey(readVector('rfc5702-6.1-rsasha256.private'));
    assert.notEqual(importPublicKey(5, rsa.publicKey), importPublicKey(8, rsa.publicKey));
    throwsCode(() => importPublicKey(10, rsa.publicKey), 'BAD_PUBLIC_KEY');
  });

  it('is bounded (least recently used keys are evicted)', () => {
    clearPublicKeyCache();
    const first = generateKey(15).publicKey;
    const firstObject = importPublicKey(15, first);
    const keys = Array.from({ length: 300 }, () => {
      const publicKey = generateKeyPairSync('ed25519').publicKey;
      return publicKeyToWire(15, publicKey);
    });
    const kept = generateKey(15).publicKey;
    const keptObject = importPublicKey(15, kept);
    for (const [i, key] of keys.entries()) {
      importPublicKey(15, key);
      if (i % 10 === 0) assert.equal(importPublicKey(15, kept), keptObject); // touched: stays cached
    }
    assert.equal(importPublicKey(15, kept), keptObject);
    assert.notEqual(importPublicKey(15, first), firstObject);
    clearPublicKeyCache();
  });
});
