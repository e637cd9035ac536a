#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './args.js';

const program = new Command();
program
  .name('sealdns')
  .description('A validating recursive DNS resolver that encrypts the path to root, TLD and authoritative servers')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(s) });

program
  .command('query')
  .description('send one query to a DNS server and print the reply in dig-like form')
  .argument('<name>', 'domain name to query')
  .argument('[type]', 'RR type (mnemonic or TYPEnnn)', 'A')
  .option('-s, --server <ip[:port]>', 'server address, IP, IP:PORT or [IPv6]:PORT (required without --trace)')
  .option('--tcp', 'use TCP instead of UDP')
  .option('--dnssec', 'set the DO bit (request DNSSEC records)')
  .option('--cd', 'set the CD bit (checking disabled)')
  .option('--norecurse', 'clear the RD bit')
  .option('--timeout <ms>', 'timeout in milliseconds', '5000')
  .option('--trace', 'resolve in-process (no server) and print every upstream hop: transport, encryption, why')
  .option('--root-hints <file>', 'with --trace: root hints in zone-file form (default: built-in IANA hints)')
  .option('--trust-anchor <file>', 'with --trace: DS or DNSKEY records (DNSSEC validation)')
  .option('--bootstrap <mode>', 'with --trace: cleartext-first or encrypt-first')
  .option('--upstream-encryption <mode>', 'with --trace: always, follow-client or off')
  .option('--upstream-port <port>', 'with --trace: port of the authoritative servers (default 53)')
  .option('--dot-probe-port <port>', 'with --trace: port of DoT probes (default 853)')
  .action(async (name: string, type: string, opts) => {
    if (opts.trace) {
      const { runTrace } = await import('./trace.js');
      const r = await runTrace(name, type, opts);
      process.stdout.write(`${r.text}\n`);
      return;
    }
    if (opts.server === undefined) throw new UsageError("required option '-s, --server <ip[:port]>' not specified");
    const { runQuery } = await import('./query.js');
    const { sendRaw } = await import('./send.js');
    const r = await runQuery(name, type, opts, sendRaw);
    process.stdout.write(`${r.text}\n`);
  });

program
  .command('lab')
  .description('run the embedded lab (signed zones served over UDP, TCP, DoT and DoH on 127.<net>.x.y) until stopped')
  .option('--net <n>', 'second octet of the lab addresses 127.<n>.x.y (default: a free one)')
  .option('--dns-port <port>', 'UDP and TCP port of every lab server', '53')
  .option('--dot-port <port>', 'DNS-over-TLS port', '853')
  .option('--doh-port <port>', 'DNS-over-HTTPS port', '443')
  .option('--dir <dir>', 'write root hints, trust anchor, zones and certificates here (default: a temp dir)')
  .action(async (opts) => {
    const { runLabCommand } = await import('./lab.js');
    await runLabCommand(opts);
  });

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

program
  .command('serve')
  .description('run the validating recursive resolver until SIGINT/SIGTERM')
  .option('-c, --config <file>', 'YAML configuration file (flags override it)')
  .option('-l, --listen <ip:port>', 'serve UDP and TCP here (repeatable; default 127.0.0.1:53)', collect)
  .option('--acl <cidr>', 'clients allowed (repeatable; default loopback only)', collect)
  .option('--root-hints <file>', 'root hints in zone-file form (default: built-in IANA hints)')
  .option('--trust-anchor <file>', 'DS or DNSKEY records in zone-file form (Unbound trust-anchor-file)')
  .option('--qname-minimisation <mode>', 'off, relaxed or strict')
  .option('--upstream-port <port>', 'port of the authoritative servers (default 53)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  // operating options (docs/operations.md)
  .option('--listen-dot <ip:port>', 'serve DNS over TLS here (repeatable; needs --tls-cert/--tls-key)', collect)
  .option('--listen-doh <ip:port>', 'serve DNS over HTTPS (HTTP/2 and 1.1, /dns-query) here (repeatable)', collect)
  .option('--tls-cert <file>', 'certificate chain (PEM) of the DoT/DoH listeners')
  .option('--tls-key <file>', 'private key (PEM) of the DoT/DoH listeners')
  .option('--metrics <ip:port>', 'serve Prometheus metrics at http://IP:PORT/metrics')
  .option('--query-log', 'log every client request (JSON, level info)')
  .option('--control-socket <path>', 'control socket for `sealdns control` ("off": none)')
  .option('--workers <n>', 'worker processes sharing the listening sockets (default 1)')
  .action(async (opts) => {
    const { runServe } = await import('./serve.js');
    await runServe(opts);
  });

program
  .command('control')
  .description('talk to a running `sealdns serve`: stats | flush NAME | servers | reload')
  .argument('<command>', 'stats, flush, servers or reload')
  .argument('[args...]', 'NAME for flush')
  .option('-s, --socket <path>', 'control socket (default $XDG_RUNTIME_DIR/sealdns.sock or /tmp/sealdns-<uid>.sock)')
  .option('--json', 'print the answer as JSON')
  .option('--timeout <ms>', 'how long to wait for the answer', '30000')
  .action(async (command: string, args: string[], opts) => {
    const { runControl } = await import('./control.js');
    process.stdout.write(await runControl(command, args, opts));
  });

program
  .command('signal')
  .description(
    "print the SVCB (and, with --strict, TLSA) records a nameserver's owner publishes for encrypted transports",
  )
  .requiredOption('--ns <name>', 'the nameserver name (e.g. ns1.example.com)')
  .requiredOption('--cert <file>', 'the certificate the nameserver presents (PEM or DER)')
  .option('--dot', 'offer DNS over TLS (the default when --doh is not given)')
  .option('--doh <path>', 'offer DNS over HTTPS at this path (e.g. /dns-query)')
  .option('--port <n>', 'non-default port (DoT: 853, or DoH: 443 when only --doh is given)')
  .option('--doh-port <n>', 'non-default DoH port when both --dot and --doh are given')
  .option('--strict', 'also print the TLSA records (strict: DNSSEC-signed zone required)')
  .option('--ttl <seconds>', 'TTL of the records', '3600')
  .action(async (opts) => {
    const { runSignal } = await import('./signal.js');
    process.stdout.write(await runSignal(opts));
  });

program
  .command('check')
  .description("check a zone's nameservers: signals, DNSSEC, TLS 1.3, DANE, Do53 agreement (exit 1 on errors)")
  .argument('<zone>', 'the zone to check')
  .option('--root-hints <file>', 'root hints in zone-file form (default: built-in IANA hints)')
  .option('--trust-anchor <file>', 'DS or DNSKEY records (default: the built-in IANA root anchors)')
  .option('--json', 'print the report as JSON')
  .option('--upstream-port <port>', 'Do53 port of the nameservers (default 53)')
  .option('--no-ipv6', 'do not look up or test IPv6 addresses')
  .option('--timeout <ms>', 'per handshake and per query', '5000')
  .action(async (zone: string, opts) => {
    const { runCheck } = await import('./check.js');
    const run = await runCheck(zone, opts);
    process.stdout.write(run.text);
    commandExit = run.exitCode;
  });

program
  .command('dnstap-read')
  .description('print a dnstap capture (Frame Streams file) one message per line, DOT/DOH and annotations included')
  .argument('<file>', 'the capture (written by sealdns or fstrm_capture)')
  .option('--json', 'one JSON object per message')
  .action(async (file: string, opts) => {
    const { runDnstapRead } = await import('./dnstap.js');
    process.stdout.write(await runDnstapRead(file, opts));
  });

program
  .command('start')
  .description('run the embedded lab and a resolver for it on 127.0.0.1:5300 (what `npm start` runs)')
  .option('-l, --listen <ip:port>', 'where the resolver serves UDP and TCP', '127.0.0.1:5300')
  .action(async (opts) => {
    const { runStart } = await import('./start.js');
    await runStart(opts);
  });

/** Exit code a command chose for a normal completion (`check`: 1 when a nameserver has an error). */
let commandExit = 0;

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return commandExit;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`sealdns: ${e.message}\n`);
      return 2;
    }
    const err = e as Error & { code?: string };
    process.stderr.write(`sealdns: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
    return 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
