// `sealdns signal --ns NAME --cert FILE [--dot] [--doh PATH] [--port N] [--doh-port N] [--strict]`:
// the records a nameserver's owner publishes so that resolvers encrypt to it (issue 7 item 6; the
// signal model of standards §3.4, read by src/policy/signals.ts):
//
//   _dns.NAME.        SVCB 1 NAME. alpn="dot" [port=N]                       (RFC 9461)
//   _dns.NAME.        SVCB 2 NAME. alpn="h2" [port=N] dohpath="PATH{?dns}"   (RFC 9461 5)
//   _853._tcp.NAME.   TLSA 3 1 1 <SHA-256 of the certificate's SPKI>         (--strict; DANE-EE, RFC 7671 5.1)
//   _443._tcp.NAME.   TLSA 3 1 1 <...>                                       (--strict with --doh)
//
// The TLSA owner follows the endpoint's port (RFC 7671 3; draft-ietf-dnsop-svcb-dane).

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tlsaData } from '../authority/tlsa.js';
import { Name } from '../wire/index.js';
import { parseIntOption, UsageError } from './args.js';

export interface SignalFlags {
  ns?: string;
  cert?: string;
  dot?: boolean;
  doh?: string;
  port?: string;
  dohPort?: string;
  strict?: boolean;
  ttl?: string;
}

export interface SignalSpec {
  /** Nameserver name (absolute or not; printed absolute). */
  ns: string;
  /** DER of the certificate the nameserver presents (only needed with `strict`). */
  certDer?: Uint8Array;
  /** DoT port (default 853), when DoT is offered. */
  dot?: { port: number };
  /** DoH port (default 443) and path (without the URI template), when DoH is offered. */
  doh?: { port: number; path: string };
  strict: boolean;
  ttl: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** The zone-file text to publish, with comments. Pure. */
export function signalRecords(s: SignalSpec): string {
  const ns = Name.fromText(s.ns.endsWith('.') ? s.ns : `${s.ns}.`).toString();
  if (!s.dot && !s.doh) throw new UsageError('nothing to signal: give --dot and/or --doh PATH');
  if (s.strict && s.certDer === undefined) throw new UsageError('--strict needs --cert FILE');
  const out: string[] = [
    `; Transport signals for the nameserver ${ns}`,
    `; Publish them in the zone that holds ${ns} (not necessarily the zones it serves).`,
    ';',
    '; SVCB at _dns.<nameserver> (RFC 9461) lists the encrypted transports it offers.',
  ];
  if (s.strict) {
    out.push(
      '; TLSA at _<port>._tcp.<nameserver> (DANE-EE, SHA-256 of the public key) makes the signal STRICT:',
      ';   in a DNSSEC-signed zone, resolvers must encrypt AND authenticate this server with it, and never',
      ';   fall back to cleartext; if the certificate does not match, strict resolvers do not use the server.',
      ';   In an unsigned zone the TLSA is worthless (anyone on the path can change or remove it): sign the zone.',
      ';   Changing the key: publish the new TLSA next to the old one at least 2 x TTL before switching (RFC 7671 8).',
    );
  } else {
    out.push(
      '; No TLSA: the signal is OPPORTUNISTIC: resolvers encrypt when they can and fall back to cleartext',
      ';   (Do53) when the encrypted transport fails. Add a TLSA in a DNSSEC-signed zone (--strict) to make it strict.',
    );
  }
  if (s.dot && s.doh && s.dot.port === s.doh.port)
    throw new UsageError(`DoT and DoH cannot share port ${s.dot.port}: give --doh-port`);
  out.push('');
  let prio = 1;
  if (s.dot) {
    const port = s.dot.port === 853 ? '' : ` port=${s.dot.port}`;
    out.push(`_dns.${ns}\t${s.ttl}\tIN\tSVCB\t${prio++} ${ns} alpn="dot"${port}`);
  }
  if (s.doh) {
    if (!s.doh.path.startsWith('/') || s.doh.path.includes('{') || s.doh.path.includes('?'))
      throw new UsageError(`--doh: "${s.doh.path}" must be an absolute path like /dns-query (the {?dns} is added)`);
    const port = s.doh.port === 443 ? '' : ` port=${s.doh.port}`;
    out.push(`_dns.${ns}\t${s.ttl}\tIN\tSVCB\t${prio++} ${ns} alpn="h2"${port} dohpath="${s.doh.path}{?dns}"`);
  }
  if (s.strict) {
    const data = hex(tlsaData(s.certDer!, 1, 1));
    if (s.dot) out.push(`_${s.dot.port}._tcp.${ns}\t${s.ttl}\tIN\tTLSA\t3 1 1 ${data}`);
    if (s.doh) out.push(`_${s.doh.port}._tcp.${ns}\t${s.ttl}\tIN\tTLSA\t3 1 1 ${data}`);
  }
  out.push('');
  return out.join('\n');
}

/** Reads a certificate in PEM (the first one of a chain) or DER. */
export function certificateDer(bytes: Buffer): Uint8Array {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text)![0];
    return new Uint8Array(new X509Certificate(first).raw);
  }
  return new Uint8Array(new X509Certificate(bytes).raw);
}

/** The `signal` command: reads the certificate and returns the text to print. */
export async function runSignal(flags: SignalFlags): Promise<string> {
  if (!flags.ns) throw new UsageError('--ns NAME is required');
  const dotWanted = flags.dot === true || flags.doh === undefined;
  const bothPorts = dotWanted && flags.doh !== undefined;
  const port = flags.port === undefined ? undefined : parseIntOption('--port', flags.port, 1, 65535);
  const dohPortFlag = flags.dohPort === undefined ? undefined : parseIntOption('--doh-port', flags.dohPort, 1, 65535);
  // --port is the port of the one protocol given; with both, it is DoT's and --doh-port is DoH's
  const dotPort = dotWanted ? (port ?? 853) : undefined;
  const dohPort = flags.doh === undefined ? undefined : (dohPortFlag ?? (bothPorts ? 443 : (port ?? 443)));
  let certDer: Uint8Array | undefined;
  if (flags.cert !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(flags.cert);
    } catch (e) {
      throw new UsageError(`--cert ${flags.cert}: ${(e as Error).message}`);
    }
    try {
      certDer = certificateDer(bytes);
    } catch (e) {
      throw new UsageError(`--cert ${flags.cert}: not a certificate (PEM or DER): ${(e as Error).message}`);
    }
  }
  return signalRecords({
    ns: flags.ns,
    ...(certDer === undefined ? {} : { certDer }),
    ...(dotPort === undefined ? {} : { dot: { port: dotPort } }),
    ...(dohPort === undefined ? {} : { doh: { port: dohPort, path: flags.doh! } }),
    strict: flags.strict === true,
    ttl: flags.ttl === undefined ? 3600 : parseIntOption('--ttl', flags.ttl, 0, 0x7fffffff),
  });
}
