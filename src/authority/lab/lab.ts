import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnskeyData, generateSigningKey, makeDs, type SigningKey } from '../../dnssec/keys.js';
import { signZone } from '../../dnssec/signer.js';
import { Name, type RR, RRType, type RrsigData, rrToText } from '../../wire/index.js';
import { answer } from '../answer.js';
import { generateCertificate } from '../certgen.js';
import { type AuthServer, startAuthServer } from '../server.js';
import { tlsaData } from '../tlsa.js';
import { Zone } from '../zone.js';
import { parseZoneFile } from '../zonefile.js';
import { ZoneSet } from '../zoneset.js';
import { LAB_SERVERS, LAB_ZONES, type LabServer, type LabZone } from './topology.js';

export interface LabOptions {
  /** Second octet of the lab's 127.<net>.x.y addresses (default: a free one picked at random in 100..250). */
  net?: number;
  /** Ports of every lab server (defaults 53, 853, 443 — binding them needs root or CAP_NET_BIND_SERVICE). */
  ports?: { dns?: number; dot?: number; doh?: number };
  /** Where to write root hints, trust anchor, certificates and zone files (default: a new temp dir). */
  dir?: string;
  /** Unix time used for signatures (default now). */
  now?: number;
}

export interface LabServerInfo {
  name: string;
  ip: string;
  zones: string[];
  ports: { udp?: number; tcp?: number; dot?: number; doh?: number };
  signal: LabServer['signal'];
  certPem?: string;
  /** SHA-256 of the certificate's SPKI (the TLSA 3 1 1 data). */
  spkiSha256?: string;
  server: AuthServer;
}

export interface Lab {
  net: number;
  dir: string;
  servers: LabServerInfo[];
  /** Root hints in master-file form, and the file written with them. */
  rootHints: string;
  rootHintsFile: string;
  /** Root trust anchor (DS) in master-file form, and its file (Unbound `trust-anchor-file` format). */
  trustAnchor: string;
  trustAnchorFile: string;
  /** Every file the lab wrote into `dir` (root hints, trust anchor, zone files, certificates). */
  files: string[];
  zones: Map<string, Zone>;
  /** Zone-file text of each (signed) zone, keyed by origin. */
  zoneTexts: Map<string, string>;
  ip(host: string): string;
  server(name: string): LabServerInfo;
  close(): Promise<void>;
}

const DNSSEC_ALG_DEFAULT = 13; // ECDSAP256SHA256
const DNSSEC_ALG_ED25519 = 15;

function parentZone(origin: string): LabZone | undefined {
  const o = Name.fromText(origin);
  let best: LabZone | undefined;
  for (const z of LAB_ZONES) {
    const zn = Name.fromText(z.origin);
    if (!zn.equals(o) && o.isSubdomainOf(zn) && (!best || zn.labelCount > Name.fromText(best.origin).labelCount))
      best = z;
  }
  return best;
}

/** The lab zone a name belongs to (deepest enclosing origin). */
function zoneOf(name: string): LabZone {
  const n = Name.fromText(`${name}.`);
  let best = LAB_ZONES[0];
  for (const z of LAB_ZONES) {
    const zn = Name.fromText(z.origin);
    if (n.isSubdomainOf(zn) && zn.labelCount > Name.fromText(best.origin).labelCount) best = z;
  }
  return best;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

/** Records publishing a nameserver's transport signal: SVCB at _dns.<ns> and TLSA per endpoint. */
function signalRecords(
  s: LabServer,
  spki: Uint8Array | undefined,
  dohPath: string,
  ports: { dot: number; doh: number },
): string[] {
  const sig = s.signal;
  if (sig.kind === 'none') return [];
  const out: string[] = [];
  let prio = 1;
  // a non-default port is published (RFC 9461 4.2), and the TLSA base follows it (RFC 7671 3, svcb-dane)
  const portParam = (p: number, def: number) => (p === def ? '' : ` port=${p}`);
  for (const p of sig.protocols) {
    if (p === 'dot')
      out.push(`_dns.${s.name}. 3600 IN SVCB ${prio++} ${s.name}. alpn="dot"${portParam(ports.dot, 853)}`);
    else
      out.push(
        `_dns.${s.name}. 3600 IN SVCB ${prio++} ${s.name}. alpn="h2"${portParam(ports.doh, 443)} dohpath="${dohPath}{?dns}"`,
      );
  }
  if (sig.kind === 'strict' || sig.kind === 'bad-tlsa') {
    for (const p of sig.protocols) {
      const port = p === 'dot' ? ports.dot : ports.doh;
      const data = sig.kind === 'bad-tlsa' || !spki ? 'BAD0'.repeat(16) : hex(spki);
      out.push(`_${port}._tcp.${s.name}. 3600 IN TLSA 3 1 1 ${data}`);
    }
  }
  return out;
}

async function tryStart(opts: LabOptions, net: number, dir: string): Promise<Lab> {
  const ip = (host: string) => `127.${net}.${host}`;
  const ports = { dns: opts.ports?.dns ?? 53, dot: opts.ports?.dot ?? 853, doh: opts.ports?.doh ?? 443 };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const dohPath = '/dns-query';

  // 1. certificates for every server with an encrypted listener or a signal
  const certs = new Map<string, { certPem: string; keyPem: string; spki: Uint8Array }>();
  for (const s of LAB_SERVERS) {
    if (!s.dot && !s.doh && s.signal.kind === 'none') continue;
    const c = generateCertificate({ commonName: s.name, dnsNames: [s.name], ipAddresses: [ip(s.host)] });
    certs.set(s.name, { certPem: c.certPem, keyPem: c.keyPem, spki: tlsaData(c.certDer, 1, 1) });
  }

  // 2. zone records, with signals added to the zone that holds each nameserver name
  const records = new Map<string, RR[]>();
  for (const z of LAB_ZONES) {
    let text = z.body.replace(/\{ip:([0-9.]+)\}/g, (_, h: string) => ip(h));
    for (const s of LAB_SERVERS) {
      if (zoneOf(s.name) === z) text += `\n${signalRecords(s, certs.get(s.name)?.spki, dohPath, ports).join('\n')}\n`;
    }
    records.set(z.origin, parseZoneFile(text, { origin: z.origin, file: `lab/${z.origin}zone` }).records);
  }

  // 3. sign from the leaves up, putting each child's DS into its parent
  const ordered = [...LAB_ZONES].sort(
    (a, b) => Name.fromText(b.origin).labelCount - Name.fromText(a.origin).labelCount,
  );
  let trustAnchor = '';
  const signed = new Map<string, RR[]>();
  for (const z of ordered) {
    const origin = Name.fromText(z.origin);
    let rrs = records.get(z.origin)!;
    if (z.signing !== 'unsigned') {
      const alg = z.signing === 'nsec3' ? DNSSEC_ALG_ED25519 : DNSSEC_ALG_DEFAULT;
      const keys: SigningKey[] = origin.isRoot()
        ? [generateSigningKey(alg, 'ksk'), generateSigningKey(alg, 'zsk')]
        : [generateSigningKey(alg, 'csk')];
      const expired = z.signing === 'expired';
      rrs = signZone(rrs, {
        origin,
        keys,
        denial: z.signing === 'nsec3' ? { kind: 'nsec3', iterations: z.nsec3Iterations ?? 0 } : { kind: 'nsec' },
        inception: expired ? now - 30 * 86400 : now - 3600,
        expiration: expired ? now - 86400 : now + 30 * 86400,
      });
      if (z.signing === 'bogus') rrs = corruptSignatures(rrs, Name.fromText(`www.${z.origin}`));
      const sep = keys.find((k) => (k.flags & 1) === 1)!;
      const ds = makeDs(origin, dnskeyData(sep), 2, 3600);
      const parent = parentZone(z.origin);
      if (parent) records.get(parent.origin)!.push(ds);
      else trustAnchor = rrToText(ds);
    }
    signed.set(z.origin, rrs);
  }

  // 4. zones, zone sets and servers
  const zones = new Map<string, Zone>();
  const zoneTexts = new Map<string, string>();
  for (const [origin, rrs] of signed) {
    zones.set(origin, Zone.build(Name.fromText(origin), rrs));
    zoneTexts.set(origin, `${rrs.map(rrToText).join('\n')}\n`);
  }
  const servers: LabServerInfo[] = [];
  try {
    for (const s of LAB_SERVERS) {
      const set = new ZoneSet(s.zones.map((o) => zones.get(o)!));
      const cert = certs.get(s.name);
      const server = await startAuthServer({
        address: ip(s.host),
        udpPort: ports.dns,
        tcpPort: ports.dns,
        dotPort: s.dot ? ports.dot : undefined,
        dohPort: s.doh ? ports.doh : undefined,
        dohPath,
        tls: cert ? { certPem: cert.certPem, keyPem: cert.keyPem } : undefined,
        ...(s.tls12Only ? { labTlsVersions: { min: 'TLSv1.2', max: 'TLSv1.2' } as const } : {}),
        handler: (q) => answer(set, q),
      });
      servers.push({
        name: s.name,
        ip: ip(s.host),
        zones: s.zones,
        ports: server.ports,
        signal: s.signal,
        certPem: cert?.certPem,
        spkiSha256: cert ? hex(cert.spki) : undefined,
        server,
      });
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.server.close()));
    throw e;
  }

  // 5. files a resolver needs
  const rootHints = `${LAB_SERVERS.filter((s) => s.zones.includes('.'))
    .map((s) => `.\t3600000\tIN\tNS\t${s.name}.\n${s.name}.\t3600000\tIN\tA\t${ip(s.host)}`)
    .join('\n')}\n`;
  const rootHintsFile = join(dir, 'root.hints');
  const trustAnchorFile = join(dir, 'root.key');
  const files: string[] = [];
  const write = async (file: string, text: string) => {
    await writeFile(file, text);
    files.push(file);
  };
  try {
    await mkdir(dir, { recursive: true });
    await write(rootHintsFile, rootHints);
    await write(trustAnchorFile, `${trustAnchor}\n`);
    for (const [origin, text] of zoneTexts) await write(join(dir, `${origin === '.' ? 'root.' : origin}zone`), text);
    for (const s of servers) if (s.certPem) await write(join(dir, `${s.name}.pem`), s.certPem);
  } catch (e) {
    // An unwritable directory must not leave the servers running.
    await Promise.all(servers.map((s) => s.server.close()));
    throw e;
  }

  let closed = false;
  return {
    net,
    dir,
    servers,
    rootHints,
    rootHintsFile,
    trustAnchor,
    trustAnchorFile,
    files,
    zones,
    zoneTexts,
    ip,
    server(name: string) {
      const s = servers.find((x) => x.name === name.replace(/\.$/, ''));
      if (!s) throw new Error(`no lab server ${name}`);
      return s;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(servers.map((s) => s.server.close()));
    },
  };
}

/** Breaks the signatures over the A RRset of `name` (the bogus zone). */
function corruptSignatures(rrs: RR[], name: Name): RR[] {
  return rrs.map((rr) => {
    if (rr.type !== RRType.RRSIG || !rr.name.equals(name)) return rr;
    const d = rr.data as RrsigData;
    if (d.typeCovered !== RRType.A) return rr;
    const sig = Uint8Array.from(d.signature);
    sig[sig.length - 1] ^= 0xff;
    sig[0] ^= 0x55;
    return { ...rr, data: { ...d, signature: sig } };
  });
}

/**
 * Builds the lab (keys, certificates, signed zones) and starts its servers on
 * 127.<net>.x.y. Without an explicit `net`, picks a random free one, retrying when the
 * addresses are taken (several labs can run at once, e.g. in parallel tests).
 */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const attempts = opts.net === undefined ? 8 : 1;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const net = opts.net ?? 100 + Math.floor(Math.random() * 150);
    const dir = opts.dir ?? join(tmpdir(), `sealdns-lab-${process.pid}-${net}-${Date.now()}`);
    try {
      return await tryStart(opts, net, dir);
    } catch (e) {
      last = e;
      if ((e as { code?: string }).code !== 'bind-failed' && !String(e).includes('EADDRINUSE')) throw e;
    }
  }
  throw last;
}
