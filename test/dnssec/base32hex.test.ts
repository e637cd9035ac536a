import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  decodeBase32Hex,
  decodeBase64,
  encodeBase32Hex,
  encodeBase64,
  tryDecodeBase32Hex,
} from '../../src/dnssec/base32hex.js';
import { isDnssecError } from '../../src/dnssec/errors.js';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 4648 section 10 test vectors for BASE32-HEX, with the '=' padding removed.
const RFC4648_B32HEX: ReadonlyArray<readonly [string, string]> = [
  ['', ''],
  ['f', 'CO'],
  ['fo', 'CPNG'],
  ['foo', 'CPNMU'],
  ['foob', 'CPNMUOG'],
  ['fooba', 'CPNMUOJ1'],
  ['foobar', 'CPNMUOJ1E8'],
];

// RFC 4648 section 10 test vectors for BASE64.
const RFC4648_B64: ReadonlyArray<readonly [string, string]> = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

function assertInvalid(fn: () => unknown, code: 'INVALID_BASE32HEX' | 'INVALID_BASE64'): void {
  assert.throws(fn, (err: unknown) => isDnssecError(err, code));
}

describe('base32hex', () => {
  it('encodes the RFC 4648 vectors in lowercase without padding', () => {
    for (const [plain, encoded] of RFC4648_B32HEX) {
      assert.equal(encodeBase32Hex(ascii(plain)), encoded.toLowerCase(), plain);
    }
  });

  it('decodes the RFC 4648 vectors in either case', () => {
    for (const [plain, encoded] of RFC4648_B32HEX) {
      assert.equal(hex(decodeBase32Hex(encoded)), hex(ascii(plain)), encoded);
      assert.equal(hex(decodeBase32Hex(encoded.toLowerCase())), hex(ascii(plain)), encoded);
    }
    assert.equal(hex(decodeBase32Hex('cPnMuOj1E8')), hex(ascii('foobar')));
  });

  it('round-trips NSEC3 hashes (RFC 5155 Appendix A owner labels)', () => {
    for (const label of [
      '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom',
      '35mthgpgcu1qg68fab165klnsnk3dpvl',
      'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv',
    ]) {
      const bytes = decodeBase32Hex(label);
      assert.equal(bytes.length, 20);
      assert.equal(encodeBase32Hex(bytes), label);
      assert.equal(encodeBase32Hex(decodeBase32Hex(label.toUpperCase())), label);
    }
    assert.equal(hex(decodeBase32Hex('vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv')), 'ff'.repeat(20));
    assert.equal(hex(decodeBase32Hex('00000000000000000000000000000000')), '00'.repeat(20));
  });

  it('round-trips random byte strings of every length 0..64', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = encodeBase32Hex(bytes);
      assert.equal(text.length, Math.ceil((n * 8) / 5));
      assert.match(text, /^[0-9a-v]*$/);
      assert.equal(hex(decodeBase32Hex(text)), hex(bytes));
    }
  });

  it('encodes a subarray view correctly', () => {
    const backing = ascii('xxfoobarxx');
    assert.equal(encodeBase32Hex(backing.subarray(2, 8)), 'cpnmuoj1e8');
  });

  it('rejects characters outside the alphabet, padding and whitespace', () => {
    for (const bad of ['w0', 'cw', 'CPNG=', 'CO======', 'cp ng', 'cp-g', 'c\u00e9', 'z1', '0p9m\n', '\u0660\u0661']) {
      assertInvalid(() => decodeBase32Hex(bad), 'INVALID_BASE32HEX');
      assert.equal(tryDecodeBase32Hex(bad), undefined);
    }
  });

  it('rejects impossible lengths and non-zero trailing bits', () => {
    for (const bad of ['c', 'cpn', 'cpnmuo', '0p9mhaveq']) {
      assertInvalid(() => decodeBase32Hex(bad), 'INVALID_BASE32HEX');
    }
    // 'CO' is the canonical encoding of "f"; 'CP' carries a set bit in the two unused trailing bits.
    assertInvalid(() => decodeBase32Hex('CP'), 'INVALID_BASE32HEX');
    assertInvalid(() => decodeBase32Hex('cpnmuoj1e9'), 'INVALID_BASE32HEX');
    assert.equal(tryDecodeBase32Hex('cp'), undefined);
    assert.equal(hex(tryDecodeBase32Hex('co')!), '66');
  });
});

describe('base64', () => {
  it('encodes and decodes the RFC 4648 vectors', () => {
    for (const [plain, encoded] of RFC4648_B64) {
      assert.equal(encodeBase64(ascii(plain)), encoded);
      assert.equal(hex(decodeBase64(encoded)), hex(ascii(plain)));
    }
  });

  it('accepts unpadded input and returns a plain Uint8Array', () => {
    assert.equal(hex(decodeBase64('Zg')), hex(ascii('f')));
    assert.equal(hex(decodeBase64('Zm8')), hex(ascii('fo')));
    const out = decodeBase64('Zm9v');
    assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
  });

  it('rejects invalid base64', () => {
    for (const bad of [
      'Z',
      'Zm9vY',
      'Zg=',
      'Zg===',
      '=Zg=',
      'Zm=v',
      'Zm9v Yg==',
      'Zm9v\nYg==',
      'Zm9_',
      'Zm9-',
      '%%%%',
    ]) {
      assertInvalid(() => decodeBase64(bad), 'INVALID_BASE64');
    }
  });
});
