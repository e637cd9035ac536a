// A minimal UDP front end for the Resolver, run as a child process by bench-resolver.ts while
// `sealdns serve` does not exist (or when BENCH_SEALDNS=child). It is deliberately the thinnest
// possible listener: one socket, every datagram handed to Resolver.handleRaw, the reply sent back.
//
//   node dist/scripts/bench-resolver-server.js --listen 127.0.0.1:5300 --root-hints FILE [--trust-anchor FILE]
//
// Prints "ready <address>:<port>" on stdout once bound. Exits cleanly on SIGTERM/SIGINT (so that
// `node --cpu-prof` writes its profile) and prints the resolver's counters to stderr.

import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseZoneFile } from '../src/authority/zonefile.js';
import { Resolver } from '../src/resolver/resolver.js';
import { Transport } from '../src/transport/client.js';
import { systemClock } from '../src/transport/clock.js';
import { cryptoRandom } from '../src/transport/random.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const listen = opt('listen') ?? '127.0.0.1:5300';
const rootHintsFile = opt('root-hints');
if (rootHintsFile === undefined) {
  process.stderr.write('bench-resolver-server: --root-hints FILE is required\n');
  process.exit(2);
}
const colon = listen.lastIndexOf(':');
const address = listen.slice(0, colon);
const port = Number(listen.slice(colon + 1));
if (!/^127\.\d+\.\d+\.\d+$/.test(address) || !Number.isInteger(port)) {
  process.stderr.write(`bench-resolver-server: --listen must be 127.x.y.z:PORT, not ${listen}\n`);
  process.exit(2);
}
const trustAnchorFile = opt('trust-anchor');

const readRecords = (file: string) => parseZoneFile(readFileSync(file, 'utf8'), { origin: '.', file }).records;
const rootHints = readRecords(rootHintsFile);
const trustAnchors = trustAnchorFile === undefined ? undefined : readRecords(trustAnchorFile);
const upstream = new Transport({ clock: systemClock, random: cryptoRandom });
const resolver = new Resolver(
  { upstream, clock: systemClock, random: cryptoRandom, rootHints, trustAnchors },
  // RFC 8198 synthesis off, as for unbound: it would answer the cold names from the wildcard's NSEC proof
  { ipv6: false, cacheMaxBytes: 256 * 1024 * 1024, aggressiveNsec: false },
);

// client addresses are IP literals: no lookup (and no deferred send) per reply
const sock = dgram.createSocket({ type: 'udp4', lookup: (address, _o, cb) => cb(null, address, 4) });
const failed = (e: unknown) => process.stderr.write(`handleRaw failed: ${(e as Error).stack ?? String(e)}\n`);
sock.on('message', (msg, rinfo) => {
  const out = resolver.handleRaw(msg, { transport: 'udp', address: rinfo.address }, 1232);
  // a packet-cache hit comes back at once; anything else as a promise
  if (out instanceof Uint8Array) sock.send(out, rinfo.port, rinfo.address);
  else
    out.then((wire) => {
      if (wire !== undefined) sock.send(wire, rinfo.port, rinfo.address);
    }, failed);
});
sock.on('error', (e) => {
  process.stderr.write(`socket error: ${e.message}\n`);
  process.exit(1);
});
sock.bind(port, address, () => {
  process.stdout.write(`ready ${address}:${port}\n`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`stats ${JSON.stringify({ ...resolver.stats, packetCacheEntries: resolver.packets.size })}\n`);
  sock.close();
  upstream.destroy();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
