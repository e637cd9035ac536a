// `sealdns lab`: starts the embedded lab (a private signed DNS tree on 127.<net>.x.y with
// plain, DoT and DoH authoritative servers), prints what a resolver needs to use it, and runs
// until SIGINT or SIGTERM.

import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Lab, type LabServerInfo, startLab } from '../authority/lab/lab.js';
import { LAB_SERVERS } from '../authority/lab/topology.js';
import { parseIntOption, UsageError } from './args.js';

export interface LabCommandOptions {
  /** Second octet of the lab addresses 127.<net>.x.y (1..254; default: a free one at random). */
  net?: string;
  dnsPort?: string;
  dotPort?: string;
  dohPort?: string;
  /** Where the lab writes its files (kept on exit); default a temporary directory removed on exit. */
  dir?: string;
}

export interface LabCommandIo {
  /** Output sink (default: standard output). */
  write?: (text: string) => void;
  /** Resolves when the lab should stop (default: the first SIGINT or SIGTERM). */
  stop?: Promise<unknown>;
}

const DEFAULT_PORTS = { dns: 53, dot: 853, doh: 443 } as const;

/** Starts the lab, prints how to use it, waits for `io.stop` (a signal), then closes it. */
export async function runLabCommand(opts: LabCommandOptions, io: LabCommandIo = {}): Promise<void> {
  const write = io.write ?? ((s: string) => void process.stdout.write(s));
  const net = opts.net === undefined ? undefined : parseIntOption('--net', opts.net, 1, 254);
  const ports = {
    dns: opts.dnsPort === undefined ? DEFAULT_PORTS.dns : parseIntOption('--dns-port', opts.dnsPort, 1, 65535),
    dot: opts.dotPort === undefined ? DEFAULT_PORTS.dot : parseIntOption('--dot-port', opts.dotPort, 1, 65535),
    doh: opts.dohPort === undefined ? DEFAULT_PORTS.doh : parseIntOption('--doh-port', opts.dohPort, 1, 65535),
  };
  if (new Set([ports.dns, ports.dot, ports.doh]).size !== 3)
    throw new UsageError('--dns-port, --dot-port and --doh-port must differ');
  if (opts.dir !== undefined && opts.dir.trim() === '') throw new UsageError('--dir: empty path');

  // Listen for signals before starting, so a signal during startup is not lost (or fatal).
  const signals = io.stop === undefined ? waitForSignal() : undefined;
  const stop = io.stop ?? signals!.promise;
  const started = performance.now();
  let lab: Lab;
  try {
    lab = await startLab({ net, ports, dir: opts.dir });
  } catch (e) {
    signals?.dispose();
    throw explainStartError(e, ports, net);
  }
  const ms = Math.round(performance.now() - started);
  write(describeLab(lab, ports, ms, opts.dir === undefined));
  write(`Lab running (pid ${process.pid}); stop it with Ctrl-C (SIGINT) or SIGTERM.\n`);

  const why = await stop;
  write(`\n${typeof why === 'string' ? `${why}: ` : ''}stopping the lab...\n`);
  await lab.close();
  if (opts.dir === undefined) await rm(lab.dir, { recursive: true, force: true });
  signals?.dispose();
  write('Lab stopped.\n');
}

/** The lab's summary: root hints, trust anchor, servers, files and example commands. */
export function describeLab(
  lab: Lab,
  ports: { dns: number; dot: number; doh: number },
  startupMs: number,
  temporaryDir: boolean,
): string {
  const L: string[] = [];
  L.push(
    `sealdns lab: ${lab.servers.length} authoritative servers on 127.${lab.net}.0.0/16, started in ${startupMs} ms`,
    '',
  );
  L.push(`Root hints (${lab.rootHintsFile}):`, ...indent(lab.rootHints), '');
  L.push(`Trust anchor (${lab.trustAnchorFile}):`, ...indent(lab.trustAnchor), '');

  L.push('Servers:');
  const rows = lab.servers.map((s) => [s.name, s.ip, transports(s), signalText(s), zonesText(s)]);
  L.push(...table([['NAME', 'IP', 'TRANSPORTS', 'SIGNAL', 'ZONES'], ...rows]).map((r) => `  ${r}`), '');

  L.push(`Files written in ${lab.dir}${temporaryDir ? ' (temporary: removed on exit, use --dir to keep them)' : ''}:`);
  L.push(...lab.files.map((f) => `  ${basename(f)}`), '');

  const clear = lab.server('ns1.clear.test');
  const dot = lab.server('ns1.dot.test');
  const doh = lab.server('ns1.doh.test');
  const root = lab.server('a.root-servers.test');
  const dnsTarget = ports.dns === DEFAULT_PORTS.dns ? clear.ip : `${clear.ip}:${ports.dns}`;
  const digPort = ports.dns === DEFAULT_PORTS.dns ? '' : ` -p ${ports.dns}`;
  const ca = (s: LabServerInfo) => `${lab.dir}/${s.name}.pem`;
  L.push('Try:');
  L.push(`  sealdns query www.clear.test A --server ${dnsTarget}`);
  L.push(`  dig @${root.ip}${digPort} +norecurse +dnssec . DNSKEY`);
  L.push(`  kdig @${dot.ip} -p ${dot.ports.dot} +tls +tls-ca=${ca(dot)} +tls-hostname=${dot.name} www.dot.test A`);
  L.push(`  kdig @${doh.ip} -p ${doh.ports.doh} +https +tls-ca=${ca(doh)} +tls-hostname=${doh.name} www.doh.test A`);
  if (ports.dns === DEFAULT_PORTS.dns) {
    L.push(
      '  unbound (server: clause): ' +
        `root-hints: "${lab.rootHintsFile}"  trust-anchor-file: "${lab.trustAnchorFile}"  ` +
        'do-not-query-localhost: no  local-zone: "test." nodefault',
    );
  } else {
    L.push(`  (a recursive resolver iterating from the root hints needs the lab on port 53, not ${ports.dns})`);
  }
  L.push('');
  return `${L.join('\n')}\n`;
}

function indent(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`);
}

function transports(s: LabServerInfo): string {
  const out: string[] = [];
  if (s.ports.udp !== undefined) out.push(`udp/${s.ports.udp}`);
  if (s.ports.tcp !== undefined) out.push(`tcp/${s.ports.tcp}`);
  if (s.ports.dot !== undefined) out.push(`dot/${s.ports.dot}`);
  if (s.ports.doh !== undefined) out.push(`doh/${s.ports.doh}`);
  return out.join(' ');
}

function signalText(s: LabServerInfo): string {
  const sig = s.signal;
  return sig.kind === 'none' ? 'none' : `${sig.kind} (${sig.protocols.join(',')})`;
}

function zonesText(s: LabServerInfo): string {
  const note = LAB_SERVERS.find((x) => x.name === s.name)?.note;
  const zones = s.zones.length === 0 ? '-' : s.zones.join(' ');
  return note === undefined ? zones : `${zones}  [${note}]`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

/** A promise resolved with the name of the first SIGINT/SIGTERM; a second one exits at once. */
function waitForSignal(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  const sigs = ['SIGINT', 'SIGTERM'] as const;
  let first: ((s: NodeJS.Signals) => void) | undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    first = resolve;
  });
  let received = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`sealdns lab: ${sig} again, exiting without a clean close\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    received = true;
    first!(sig);
  };
  for (const s of sigs) process.on(s, onSignal);
  return {
    promise,
    dispose: () => {
      for (const s of sigs) process.off(s, onSignal);
    },
  };
}

function explainStartError(e: unknown, ports: { dns: number; dot: number; doh: number }, net: number | undefined) {
  const err = e as Error & { code?: string };
  const text = String(err.message ?? err);
  let hint: string | undefined;
  if (/EACCES/.test(text) && Math.min(ports.dns, ports.dot, ports.doh) < 1024) {
    hint =
      'ports below 1024 need root or CAP_NET_BIND_SERVICE; or use --dns-port, --dot-port and --doh-port above 1023';
  } else if (/EADDRINUSE/.test(text)) {
    hint =
      net === undefined
        ? 'the addresses are in use; try again or give --net'
        : `127.${net}.x.y is in use (another lab?); pick another --net`;
  } else if (/EADDRNOTAVAIL/.test(text)) {
    hint = 'the 127.<net>.x.y addresses are not available on this system (Linux routes all of 127/8 to lo)';
  }
  if (hint === undefined) return e;
  const out = new Error(`${text}\nhint: ${hint}`, { cause: e }) as Error & { code?: string };
  if (err.code !== undefined) out.code = err.code;
  return out;
}
