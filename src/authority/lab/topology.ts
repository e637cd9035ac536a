/**
 * The embedded lab's private internet: which zones exist, how each is signed, which
 * server (address) serves which zones over which transports, and which transport
 * signals each nameserver publishes. Everything is declarative; lab.ts builds and
 * starts it. Addresses are 127.<net>.<x>.<y> so several labs can run side by side.
 */

export type Signing = 'nsec' | 'nsec3' | 'unsigned' | 'bogus' | 'expired';

/** What a nameserver publishes about its encrypted transports (read by resolvers from the DNS). */
export type Signal =
  | { kind: 'none' }
  /** SVCB at _dns.<ns> plus a TLSA for the endpoint: strict (when DNSSEC-secure). */
  | { kind: 'strict'; protocols: ('dot' | 'doh')[] }
  /** SVCB without TLSA: opportunistic. */
  | { kind: 'opportunistic'; protocols: ('dot' | 'doh')[] }
  /** SVCB + TLSA whose data does not match the certificate. */
  | { kind: 'bad-tlsa'; protocols: ('dot' | 'doh')[] };

export interface LabZone {
  origin: string;
  signing: Signing;
  /** Zone body in master-file form, relative to the origin; `{ip:x.y}` is replaced by the lab address. */
  body: string;
  /** NSEC3 iterations when signing is nsec3 (RFC 9276: 0). */
  nsec3Iterations?: number;
}

export interface LabServer {
  /** Nameserver name (absolute, without the trailing dot). */
  name: string;
  /** x.y of 127.<net>.x.y */
  host: string;
  zones: string[];
  /** Encrypted listeners actually running. */
  dot?: boolean;
  doh?: boolean;
  signal: Signal;
  /**
   * Lab only: the DoT listener allows TLS 1.2 only (a misconfigured server; sealdns, TLS 1.3 only, never
   * uses it, and `sealdns check` reports it as tls12-only).
   */
  tls12Only?: boolean;
  /** A server that is delegated to but does not serve the zone (lame). */
  note?: string;
}

const SOA = (ns: string) => `@ 3600 IN SOA ${ns}. hostmaster.lab. 2026112701 7200 900 1209600 300`;

export const LAB_ZONES: LabZone[] = [
  {
    origin: '.',
    signing: 'nsec',
    body: `
${SOA('a.root-servers.test')}
@ 86400 IN NS a.root-servers.test.
@ 86400 IN NS b.root-servers.test.
test. 86400 IN NS ns1.nic.test.
test. 86400 IN NS ns2.nic.test.
ns1.nic.test. 86400 IN A {ip:1.1}
ns2.nic.test. 86400 IN A {ip:1.2}
a.root-servers.test. 86400 IN A {ip:0.1}
b.root-servers.test. 86400 IN A {ip:0.2}
example. 86400 IN NS ns1.nic.example.
ns1.nic.example. 86400 IN A {ip:1.3}
`,
  },
  {
    origin: 'test.',
    signing: 'nsec',
    body: `
${SOA('ns1.nic.test')}
@ 3600 IN NS ns1.nic.test.
@ 3600 IN NS ns2.nic.test.
ns1.nic 3600 IN A {ip:1.1}
ns2.nic 3600 IN A {ip:1.2}
a.root-servers 3600 IN A {ip:0.1}
b.root-servers 3600 IN A {ip:0.2}
clear 3600 IN NS ns1.clear
ns1.clear 3600 IN A {ip:2.1}
cname 3600 IN NS ns1.clear
dot 3600 IN NS ns1.dot
ns1.dot 3600 IN A {ip:3.1}
doh 3600 IN NS ns1.doh
ns1.doh 3600 IN A {ip:4.1}
opportunistic 3600 IN NS ns1.opportunistic
ns1.opportunistic 3600 IN A {ip:5.1}
unsigned 3600 IN NS ns1.unsigned
ns1.unsigned 3600 IN A {ip:6.1}
nsec3 3600 IN NS ns1.nsec3
ns1.nsec3 3600 IN A {ip:7.1}
bogus 3600 IN NS ns1.bogus
ns1.bogus 3600 IN A {ip:8.1}
lame 3600 IN NS ns1.lame
ns1.lame 3600 IN A {ip:9.1}
oob 3600 IN NS ns.provider.example.
badtlsa 3600 IN NS ns1.badtlsa
ns1.badtlsa 3600 IN A {ip:11.1}
closed853 3600 IN NS ns1.closed853
ns1.closed853 3600 IN A {ip:12.1}
expired 3600 IN NS ns1.expired
ns1.expired 3600 IN A {ip:13.1}
tls12 3600 IN NS ns1.tls12
ns1.tls12 3600 IN A {ip:15.1}
closedstrict 3600 IN NS ns1.closedstrict
ns1.closedstrict 3600 IN A {ip:14.1}
`,
  },
  {
    origin: 'example.',
    signing: 'nsec3',
    body: `
${SOA('ns1.nic.example')}
@ 3600 IN NS ns1.nic.example.
ns1.nic 3600 IN A {ip:1.3}
provider 3600 IN NS ns.provider
ns.provider 3600 IN A {ip:10.1}
`,
  },
  {
    origin: 'provider.example.',
    signing: 'nsec',
    body: `
${SOA('ns.provider.example')}
@ 3600 IN NS ns
ns 3600 IN A {ip:10.1}
www 3600 IN A 192.0.2.10
`,
  },
  {
    origin: 'clear.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.clear.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:2.1}
www 3600 IN A 192.0.2.1
www 3600 IN AAAA 2001:db8::1
alias 3600 IN CNAME www
mail 3600 IN MX 10 mx
mx 3600 IN A 192.0.2.4
txt 3600 IN TXT "sealdns lab" "clear.test"
*.wild 3600 IN A 192.0.2.2
; every name under bench.clear.test exists: distinct cache misses for scripts/bench-resolver.ts
*.bench 3600 IN A 192.0.2.200
a.b.c.d.e.f.g.h.deep 3600 IN A 192.0.2.3
_443._tcp.www 3600 IN TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
`,
  },
  {
    origin: 'oob.test.',
    signing: 'nsec',
    body: `
${SOA('ns.provider.example')}
@ 3600 IN NS ns.provider.example.
www 3600 IN A 192.0.2.91
`,
  },
  {
    origin: 'cname.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.clear.test')}
@ 3600 IN NS ns1.clear.test.
www 3600 IN CNAME www.clear.test.
chain 3600 IN CNAME hop.cname.test.
hop 3600 IN CNAME www.dot.test.
oob 3600 IN CNAME www.provider.example.
dangling 3600 IN CNAME nothing.clear.test.
loop1 3600 IN CNAME loop2
loop2 3600 IN CNAME loop1
`,
  },
  {
    origin: 'dot.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.dot.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:3.1}
www 3600 IN A 192.0.2.31
; cold-cache names behind a strict (DANE) DoT server for scripts/bench-resolver.ts
*.bench 3600 IN A 192.0.2.201
`,
  },
  {
    origin: 'doh.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.doh.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:4.1}
www 3600 IN A 192.0.2.41
`,
  },
  {
    origin: 'opportunistic.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.opportunistic.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:5.1}
www 3600 IN A 192.0.2.51
; cold-cache names behind an opportunistic DoT server for scripts/bench-resolver.ts
*.bench 3600 IN A 192.0.2.202
`,
  },
  {
    origin: 'unsigned.test.',
    signing: 'unsigned',
    body: `
${SOA('ns1.unsigned.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:6.1}
www 3600 IN A 192.0.2.61
; cold-cache names without DNSSEC, for the validation-cost row of scripts/bench-resolver.ts
*.bench 3600 IN A 192.0.2.203
`,
  },
  {
    origin: 'nsec3.test.',
    signing: 'nsec3',
    body: `
${SOA('ns1.nsec3.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:7.1}
www 3600 IN A 192.0.2.71
*.wild 3600 IN A 192.0.2.72
a.b.c.ent 3600 IN A 192.0.2.73
`,
  },
  {
    origin: 'bogus.test.',
    signing: 'bogus',
    body: `
${SOA('ns1.bogus.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:8.1}
www 3600 IN A 192.0.2.81
`,
  },
  {
    origin: 'badtlsa.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.badtlsa.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:11.1}
www 3600 IN A 192.0.2.111
`,
  },
  {
    origin: 'closed853.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.closed853.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:12.1}
www 3600 IN A 192.0.2.121
`,
  },
  {
    origin: 'closedstrict.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.closedstrict.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:14.1}
www 3600 IN A 192.0.2.141
`,
  },
  {
    origin: 'tls12.test.',
    signing: 'nsec',
    body: `
${SOA('ns1.tls12.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:15.1}
www 3600 IN A 192.0.2.151
`,
  },
  {
    origin: 'expired.test.',
    signing: 'expired',
    body: `
${SOA('ns1.expired.test')}
@ 3600 IN NS ns1
ns1 3600 IN A {ip:13.1}
www 3600 IN A 192.0.2.131
`,
  },
];

export const LAB_SERVERS: LabServer[] = [
  { name: 'a.root-servers.test', host: '0.1', zones: ['.'], signal: { kind: 'none' } },
  { name: 'b.root-servers.test', host: '0.2', zones: ['.'], dot: true, signal: { kind: 'none' } },
  { name: 'ns1.nic.test', host: '1.1', zones: ['test.'], signal: { kind: 'none' } },
  { name: 'ns2.nic.test', host: '1.2', zones: ['test.'], dot: true, signal: { kind: 'none' } },
  { name: 'ns1.nic.example', host: '1.3', zones: ['example.'], signal: { kind: 'none' } },
  { name: 'ns1.clear.test', host: '2.1', zones: ['clear.test.', 'cname.test.'], signal: { kind: 'none' } },
  {
    name: 'ns1.dot.test',
    host: '3.1',
    zones: ['dot.test.'],
    dot: true,
    signal: { kind: 'strict', protocols: ['dot'] },
  },
  {
    name: 'ns1.doh.test',
    host: '4.1',
    zones: ['doh.test.'],
    doh: true,
    signal: { kind: 'strict', protocols: ['doh'] },
  },
  {
    name: 'ns1.opportunistic.test',
    host: '5.1',
    zones: ['opportunistic.test.'],
    dot: true,
    signal: { kind: 'opportunistic', protocols: ['dot'] },
  },
  {
    name: 'ns1.unsigned.test',
    host: '6.1',
    zones: ['unsigned.test.'],
    dot: true,
    signal: { kind: 'opportunistic', protocols: ['dot'] },
  },
  { name: 'ns1.nsec3.test', host: '7.1', zones: ['nsec3.test.'], signal: { kind: 'none' } },
  { name: 'ns1.bogus.test', host: '8.1', zones: ['bogus.test.'], signal: { kind: 'none' } },
  { name: 'ns1.lame.test', host: '9.1', zones: [], signal: { kind: 'none' }, note: 'lame: serves nothing' },
  { name: 'ns.provider.example', host: '10.1', zones: ['provider.example.', 'oob.test.'], signal: { kind: 'none' } },
  {
    name: 'ns1.badtlsa.test',
    host: '11.1',
    zones: ['badtlsa.test.'],
    dot: true,
    signal: { kind: 'bad-tlsa', protocols: ['dot'] },
  },
  {
    name: 'ns1.closed853.test',
    host: '12.1',
    zones: ['closed853.test.'],
    signal: { kind: 'opportunistic', protocols: ['dot'] },
    note: 'signals DoT (opportunistic) but port 853 is closed',
  },
  { name: 'ns1.expired.test', host: '13.1', zones: ['expired.test.'], signal: { kind: 'none' } },
  {
    name: 'ns1.tls12.test',
    host: '15.1',
    zones: ['tls12.test.'],
    dot: true,
    tls12Only: true,
    signal: { kind: 'opportunistic', protocols: ['dot'] },
    note: 'signals DoT (opportunistic) but its DoT listener speaks TLS 1.2 only',
  },
  {
    name: 'ns1.closedstrict.test',
    host: '14.1',
    zones: ['closedstrict.test.'],
    signal: { kind: 'strict', protocols: ['dot'] },
    note: 'signals strict DoT (secure TLSA) but port 853 is closed: fails closed',
  },
];

/** Names a resolver should resolve in the lab, with what a correct validating resolver returns. */
export interface LabExpectation {
  name: string;
  type: string;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';
  /** Expected AD bit from a validating resolver given the lab trust anchor. */
  secure: boolean;
  /** Expected answer data (presentation form of the final RRset's RDATA), if any. */
  data?: string[];
  /**
   * What sealdns returns with its transport policy on, where its privacy rules intentionally differ from a plain
   * validating resolver (unbound): a strict server that cannot be reached encrypted and authenticated is never asked
   * in cleartext, so the name fails closed (SERVFAIL, EDE 22). `rcode` stays the plain resolver's answer; tests that
   * compare with other resolvers ignore this field.
   */
  privacyRcode?: 'SERVFAIL';
}

export const LAB_EXPECTATIONS: LabExpectation[] = [
  { name: 'www.clear.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.1'] },
  { name: 'www.clear.test', type: 'AAAA', rcode: 'NOERROR', secure: true, data: ['2001:db8::1'] },
  { name: 'alias.clear.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.1'] },
  { name: 'mail.clear.test', type: 'MX', rcode: 'NOERROR', secure: true, data: ['10 mx.clear.test.'] },
  { name: 'txt.clear.test', type: 'TXT', rcode: 'NOERROR', secure: true, data: ['"sealdns lab" "clear.test"'] },
  { name: 'x.wild.clear.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.2'] },
  { name: 'a.b.c.d.e.f.g.h.deep.clear.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.3'] },
  { name: 'nothing.clear.test', type: 'A', rcode: 'NXDOMAIN', secure: true },
  { name: 'www.clear.test', type: 'TXT', rcode: 'NOERROR', secure: true, data: [] },
  { name: 'www.cname.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.1'] },
  { name: 'chain.cname.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.31'] },
  { name: 'oob.cname.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.10'] },
  { name: 'dangling.cname.test', type: 'A', rcode: 'NXDOMAIN', secure: true },
  { name: 'www.dot.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.31'] },
  { name: 'www.doh.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.41'] },
  { name: 'www.opportunistic.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.51'] },
  { name: 'www.unsigned.test', type: 'A', rcode: 'NOERROR', secure: false, data: ['192.0.2.61'] },
  { name: 'www.nsec3.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.71'] },
  { name: 'x.wild.nsec3.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.72'] },
  { name: 'nothing.nsec3.test', type: 'A', rcode: 'NXDOMAIN', secure: true },
  { name: 'c.ent.nsec3.test', type: 'A', rcode: 'NOERROR', secure: true, data: [] },
  { name: 'www.bogus.test', type: 'A', rcode: 'SERVFAIL', secure: false },
  { name: 'www.lame.test', type: 'A', rcode: 'SERVFAIL', secure: false },
  { name: 'www.oob.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.91'] },
  { name: 'www.provider.example', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.10'] },
  {
    name: 'www.badtlsa.test',
    type: 'A',
    rcode: 'NOERROR',
    secure: true,
    data: ['192.0.2.111'],
    privacyRcode: 'SERVFAIL',
  },
  { name: 'www.closed853.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.121'] },
  {
    name: 'www.closedstrict.test',
    type: 'A',
    rcode: 'NOERROR',
    secure: true,
    data: ['192.0.2.141'],
    privacyRcode: 'SERVFAIL',
  },
  { name: 'www.tls12.test', type: 'A', rcode: 'NOERROR', secure: true, data: ['192.0.2.151'] },
  { name: 'www.expired.test', type: 'A', rcode: 'SERVFAIL', secure: false },
  { name: 'nonexistent.test', type: 'A', rcode: 'NXDOMAIN', secure: true },
  { name: 'nonexistent-tld', type: 'A', rcode: 'NXDOMAIN', secure: true },
];
