// Self-signed / CA-issued X.509 v3 certificates for the lab's DoT and DoH servers and for tests.
// Node has no API that creates certificates, so the TBSCertificate is assembled with the small
// DER encoder in der.ts and signed with node:crypto.

import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  contentBytes,
  decodeOid,
  elementBytes,
  explicit,
  ia5String,
  implicit,
  implicitOf,
  integer,
  namedBits,
  nullValue,
  octetString,
  oid,
  readChildren,
  readElement,
  sequence,
  set,
  Tag,
  time,
  utf8String,
} from './der.js';

export type CertificateKeyType = 'p256' | 'ed25519';

export interface CertificateOptions {
  /** Subject CN (1..64 characters, encoded as UTF8String). */
  commonName: string;
  /**
   * subjectAltName dNSName entries (ASCII / A-label form; a leading `*.` wildcard label and one
   * trailing dot are accepted, the dot is dropped). When omitted for a leaf certificate and the
   * commonName is a host name, the commonName is used; pass `[]` to suppress that.
   */
  dnsNames?: string[];
  /**
   * subjectAltName iPAddress entries, IPv4 or IPv6 text form. When omitted for a leaf
   * certificate and the commonName is an IP address, the commonName is used.
   */
  ipAddresses?: string[];
  /** Validity length in days from notBefore (default 365); ignored when notAfter is given. */
  days?: number;
  /** Start of validity (default: now minus 5 minutes, to tolerate clock skew). Truncated to whole seconds. */
  notBefore?: Date;
  /** End of validity (default: notBefore + days). Truncated to whole seconds. */
  notAfter?: Date;
  /** Key generated for the new certificate (default 'p256': ECDSA P-256). */
  keyType?: CertificateKeyType;
  /** Sign with this CA (certificate must have basicConstraints cA=TRUE) instead of self-signing. */
  issuer?: { certPem: string; keyPem: string };
  /** Make a CA certificate (basicConstraints cA=TRUE, keyUsage keyCertSign+cRLSign, no EKU). */
  isCA?: boolean;
}

export interface GeneratedCertificate {
  /** The certificate, PEM ("CERTIFICATE"). */
  certPem: string;
  /** The new private key, PKCS#8 PEM ("PRIVATE KEY"). */
  keyPem: string;
  /** The certificate, DER. */
  certDer: Uint8Array;
  /** The certificate's SubjectPublicKeyInfo, DER. */
  spkiDer: Uint8Array;
}

const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KeyUsageBit = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

const DEFAULT_DAYS = 365;
const DEFAULT_BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Generates a key pair and an X.509 v3 certificate for it (self-signed unless `issuer` is given). */
export function generateCertificate(opts: CertificateOptions): GeneratedCertificate {
  const commonName = opts.commonName;
  if (typeof commonName !== 'string' || commonName.length === 0 || [...commonName].length > 64) {
    throw new RangeError('commonName must be 1..64 characters');
  }
  const isCA = opts.isCA === true;
  const { notBefore, notAfter } = validity(opts);

  let dnsNames = opts.dnsNames;
  let ipAddresses = opts.ipAddresses;
  if (!isCA && dnsNames === undefined && !isIP(commonName) && isDnsName(commonName)) dnsNames = [commonName];
  if (!isCA && ipAddresses === undefined && isIP(commonName)) ipAddresses = [commonName];
  const generalNames = [
    ...(dnsNames ?? []).map((n) => implicitOf(2, ia5String(normalizeDnsName(n)))),
    ...(ipAddresses ?? []).map((ip) => implicit(7, ipAddressBytes(ip))),
  ];

  const { publicKey, privateKey } = generateKey(opts.keyType ?? 'p256');
  const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const subjectKeyId = keyIdentifier(spkiDer);
  const subject = name(commonName);

  let issuerName = subject;
  let authorityKeyId = subjectKeyId;
  let signingKey = privateKey;
  if (opts.issuer !== undefined) {
    const ca = loadIssuer(opts.issuer);
    issuerName = ca.subject;
    authorityKeyId = ca.keyId;
    signingKey = ca.key;
  }
  const signer = signerFor(signingKey);

  const extensions: Uint8Array[] = [
    extension(OID.basicConstraints, true, isCA ? sequence(boolean(true)) : sequence()),
    extension(
      OID.keyUsage,
      true,
      namedBits(
        isCA
          ? [KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]
          : [KeyUsageBit.digitalSignature],
      ),
    ),
  ];
  if (!isCA) extensions.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))));
  // The subject DN is never empty (CN is mandatory), so subjectAltName is non-critical.
  if (generalNames.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...generalNames)));
  extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId)));
  extensions.push(extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, authorityKeyId))));

  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(serialNumber()),
    signer.algorithm,
    issuerName,
    sequence(time(notBefore), time(notAfter)),
    subject,
    spkiDer,
    explicit(3, sequence(...extensions)),
  );
  const certDer = sequence(tbs, signer.algorithm, bitString(signer.sign(tbs)));

  return {
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certDer,
    spkiDer,
  };
}

function validity(opts: CertificateOptions): { notBefore: Date; notAfter: Date } {
  const days = opts.days ?? DEFAULT_DAYS;
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
    throw new RangeError(`days must be a positive number: ${days}`);
  }
  const start = opts.notBefore ?? new Date(Date.now() - DEFAULT_BACKDATE_MS);
  const notBefore = wholeSeconds(start, 'notBefore');
  const notAfter = opts.notAfter
    ? wholeSeconds(opts.notAfter, 'notAfter')
    : wholeSeconds(new Date(notBefore.getTime() + days * DAY_MS), 'notAfter');
  if (notAfter.getTime() <= notBefore.getTime()) throw new RangeError('notAfter must be later than notBefore');
  return { notBefore, notAfter };
}

function wholeSeconds(d: Date, what: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${what} is not a valid Date`);
  const t = Math.floor(d.getTime() / 1000) * 1000;
  const year = new Date(t).getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`${what} year ${year} is outside 0000..9999`);
  return new Date(t);
}

/** Random positive 16-byte serial: the top bit is cleared (positive) and the next one set (exactly 16 octets). */
function serialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return serial;
}

/** Name with a single RDN: CN=<commonName>. */
function name(commonName: string): Uint8Array {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function generateKey(keyType: CertificateKeyType): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (keyType) {
    case 'p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    default:
      throw new RangeError(`unsupported keyType: ${String(keyType)}`);
  }
}

interface Signer {
  /** AlgorithmIdentifier used both in TBSCertificate.signature and Certificate.signatureAlgorithm. */
  algorithm: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

function signerFor(key: KeyObject): Signer {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const [hash, algOid] =
        curve === 'prime256v1'
          ? ['sha256', OID.ecdsaWithSha256]
          : curve === 'secp384r1'
            ? ['sha384', OID.ecdsaWithSha384]
            : curve === 'secp521r1'
              ? ['sha512', OID.ecdsaWithSha512]
              : [undefined, undefined];
      if (hash === undefined || algOid === undefined) throw new Error(`unsupported EC curve: ${curve}`);
      // ecdsa-with-SHA*: parameters absent; signature value is the DER Ecdsa-Sig-Value.
      return {
        algorithm: sequence(oid(algOid)),
        sign: (data) => new Uint8Array(sign(hash, data, { key, dsaEncoding: 'der' })),
      };
    }
    case 'ed25519':
      return { algorithm: sequence(oid(OID.ed25519)), sign: (data) => new Uint8Array(sign(null, data, key)) };
    case 'rsa':
      return {
        algorithm: sequence(oid(OID.sha256WithRsaEncryption), nullValue()),
        sign: (data) => new Uint8Array(sign('sha256', data, key)),
      };
    default:
      throw new Error(`unsupported signing key type: ${key.asymmetricKeyType}`);
  }
}

interface LoadedIssuer {
  subject: Uint8Array;
  keyId: Uint8Array;
  key: KeyObject;
}

function loadIssuer(issuer: { certPem: string; keyPem: string }): LoadedIssuer {
  const cert = new X509Certificate(issuer.certPem);
  if (!cert.ca) throw new Error('issuer certificate is not a CA (basicConstraints cA is not TRUE)');
  const key = createPrivateKey(issuer.keyPem);
  if (!cert.checkPrivateKey(key)) throw new Error('issuer private key does not match the issuer certificate');

  const der = new Uint8Array(cert.raw);
  const certificate = readElement(der);
  const tbs = readChildren(der, certificate)[0];
  const fields = readChildren(der, tbs);
  // version [0] is optional; then serial, signature, issuer, validity, subject, spki, [1], [2], [3].
  const base = fields[0].tag === 0xa0 ? 1 : 0;
  const subject = elementBytes(der, fields[base + 4]);
  const spki = elementBytes(der, fields[base + 5]);
  const keyId = findSubjectKeyId(der, fields.slice(base + 6)) ?? keyIdentifier(spki);
  return { subject: new Uint8Array(subject), keyId: new Uint8Array(keyId), key };
}

function findSubjectKeyId(der: Uint8Array, optionalFields: ReturnType<typeof readChildren>): Uint8Array | undefined {
  const wrapper = optionalFields.find((f) => f.tag === 0xa3);
  if (wrapper === undefined) return undefined;
  const extensions = readChildren(der, readChildren(der, wrapper)[0]);
  for (const ext of extensions) {
    const parts = readChildren(der, ext);
    if (parts[0].tag !== Tag.OID || decodeOid(contentBytes(der, parts[0])) !== OID.subjectKeyIdentifier) continue;
    const value = parts[parts.length - 1];
    const inner = readElement(der, value.contentStart, value.end);
    if (inner.tag !== Tag.OCTET_STRING) return undefined;
    return contentBytes(der, inner);
  }
  return undefined;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value (without unused-bits octet). */
function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const spki = readElement(spkiDer);
  const bits = readChildren(spkiDer, spki)[1];
  if (bits === undefined || bits.tag !== Tag.BIT_STRING) throw new Error('malformed SubjectPublicKeyInfo');
  const key = spkiDer.subarray(bits.contentStart + 1, bits.end);
  return new Uint8Array(createHash('sha1').update(key).digest());
}

function isIP(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

const DNS_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function isDnsName(text: string): boolean {
  try {
    normalizeDnsName(text);
    return true;
  } catch {
    return false;
  }
}

function normalizeDnsName(input: string): string {
  const name = input.length > 1 && input.endsWith('.') ? input.slice(0, -1) : input;
  const labels = name.split('.');
  const ok =
    name.length > 0 &&
    name.length <= 253 &&
    labels.every((label, i) => (label === '*' && i === 0 && labels.length > 1) || DNS_LABEL.test(label));
  if (!ok) throw new RangeError(`invalid dNSName (use ASCII/A-label form): ${JSON.stringify(input)}`);
  return name;
}

/** iPAddress GeneralName content: 4 octets for IPv4, 16 for IPv6. */
export function ipAddressBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) throw new RangeError(`invalid IP address: ${JSON.stringify(ip)}`);
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 in the low 32 bits (e.g. ::ffff:192.0.2.1): rewrite it as two hex groups.
    const [a, b, c, d] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parseGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const halves = text.split('::');
  const head = parseGroups(halves[0]);
  const rest = halves.length > 1 ? parseGroups(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  const groups = [...head, ...(halves.length > 1 ? new Array<number>(fill).fill(0) : []), ...rest];
  if (groups.length !== 8) throw new RangeError(`invalid IP address: ${JSON.stringify(ip)}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
