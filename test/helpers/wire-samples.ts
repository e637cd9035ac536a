// Presentation-form sample records: at least one per type of the RDATA table (the
// rdata harness checks that none is missing), several from RFC examples. Shared by the
// wire tests, the differential test and the property tests.

import { type Message, Name, newMessage, parseRR, type RR } from '../../src/wire/index.js';

export const SAMPLES: Readonly<Record<string, readonly string[]>> = {
  A: ['host.example. 3600 IN A 192.0.2.1', 'zero.example. 60 IN A 0.0.0.0', 'max.example. 60 IN A 255.255.255.255'],
  AAAA: [
    'host.example. 3600 IN AAAA 2001:db8::1',
    'mapped.example. 60 IN AAAA ::ffff:192.0.2.1',
    'full.example. 60 IN AAAA 2001:db8:1:2:3:4:5:6',
    'zero.example. 60 IN AAAA ::',
  ],
  NS: ['example. 86400 IN NS ns1.example.', 'example. 86400 IN NS NS2.Example.NET.'],
  CNAME: ['www.example. 300 IN CNAME host.example.'],
  PTR: ['1.2.0.192.in-addr.arpa. 300 IN PTR host.example.'],
  DNAME: ['old.example. 300 IN DNAME new.example.'],
  SOA: ['example. 3600 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300'],
  MX: ['example. 300 IN MX 10 mail.example.', 'example. 300 IN MX 0 .'],
  TXT: [
    'example. 300 IN TXT "v=spf1 -all"',
    'example. 300 IN TXT "two" "strings with \\"quotes\\", \\\\ and \\010 and \\255"',
    'example. 300 IN TXT ""',
    `example. 300 IN TXT "${'x'.repeat(255)}" unquoted`,
  ],
  HINFO: ['host.example. 300 IN HINFO "INTEL-386" "Linux"'],
  RP: ['example. 300 IN RP admin.example. info.example.'],
  AFSDB: ['example. 300 IN AFSDB 1 afs.example.'],
  KX: ['example. 300 IN KX 10 kx.example.'],
  SRV: ['_sip._tcp.example. 300 IN SRV 10 60 5060 sip.example.', '_x._udp.example. 300 IN SRV 0 0 0 .'],
  NAPTR: ['example. 300 IN NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:info@example.com!" _sip._udp.example.'],
  CAA: [
    'example. 300 IN CAA 0 issue "letsencrypt.org"',
    'example. 300 IN CAA 128 tbs "Unknown"',
    'example. 300 IN CAA 0 iodef "mailto:security@example.com"',
    'example. 300 IN CAA 0 issuewild ";"',
  ],
  // RFC 4034 5.4
  DS: ['dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )'],
  // RFC 8078 4 (delete)
  CDS: ['example. 300 IN CDS 0 0 0 00'],
  // RFC 4034 2.3
  DNSKEY: [
    `example.com. 86400 IN DNSKEY 256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3
      Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w== )`,
  ],
  CDNSKEY: ['example. 300 IN CDNSKEY 0 3 0 AA=='],
  // RFC 4034 3.3
  RRSIG: [
    `host.example.com. 86400 IN RRSIG A 5 3 86400 20030322173103 (
      20030220173103 2642 example.com.
      oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o
      B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG
      J5D6fwFm8nN+6pBzeDQfsS3Ap3o= )`,
    'example. 300 IN RRSIG TYPE65534 13 1 300 20260101000000 20251201000000 1 Example. AAAA',
  ],
  // RFC 4034 4.3, plus several windows and an empty bit map
  NSEC: [
    'alfa.example.com. 86400 IN NSEC host.example.com. ( A MX RRSIG NSEC TYPE1234 )',
    'a.example. 300 IN NSEC B.Example. A NS CAA TYPE65534 TYPE65535',
    'x.example. 300 IN NSEC y.example.',
  ],
  // RFC 5155 Appendix A
  NSEC3: [
    '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 aabbccdd ( 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )',
    'b4um86eghhds6nea196smvmlo4ors995.example. 3600 IN NSEC3 1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR',
  ],
  NSEC3PARAM: ['example. 3600 IN NSEC3PARAM 1 0 12 aabbccdd', 'example. 3600 IN NSEC3PARAM 1 0 0 -'],
  TLSA: [
    '_443._tcp.www.example.com. 300 IN TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6',
    '_853._tcp.ns.example. 300 IN TLSA 2 0 0 ( 30820122 300D0609 )',
  ],
  SMIMEA: [
    'c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._smimecert.example.com. 300 IN SMIMEA 3 0 1 ( 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6 )',
  ],
  SSHFP: ['host.example. 300 IN SSHFP 4 2 ( 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6 )'],
  SVCB: [
    '_dns.resolver.arpa. 300 IN SVCB 1 dot.resolver.example. alpn=dot port=853 ipv4hint=192.0.2.53 ipv6hint=2001:db8::53',
    '_dns.resolver.arpa. 300 IN SVCB 2 doh.resolver.example. mandatory=alpn alpn=h2,h3 dohpath=/dns-query{?dns}',
    'alias.example. 300 IN SVCB 0 target.example.',
    'x.example. 300 IN SVCB 1 . key667="hello\\210qoo" ohttp',
  ],
  HTTPS: [
    'example. 300 IN HTTPS 1 . alpn="h3,h2" no-default-alpn ech=AEj+DQBEAQAgACCF ipv4hint=192.0.2.1,192.0.2.2',
    'example. 300 IN HTTPS 0 www.example.',
  ],
  ZONEMD: [
    'example. 86400 IN ZONEMD 2018031900 1 1 ( c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c )',
  ],
  OPENPGPKEY: [
    'c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._openpgpkey.example.com. 300 IN OPENPGPKEY mQENBFVHm5sBCADTnpx2',
  ],
  // RFC 7477 2.3
  CSYNC: ['example.com. 3600 IN CSYNC 66 3 A NS AAAA'],
};

/** Records of types outside the table, in RFC 3597 form. */
export const UNKNOWN_SAMPLES: readonly string[] = [
  'example. 300 IN TYPE65280 \\# 4 0A000001',
  'example. 300 IN TYPE731 \\# 0',
  'example. 300 CLASS32 TYPE10 \\# 3 ( 01 02 03 )',
];

export function sampleRecords(): RR[] {
  const out: RR[] = [];
  for (const list of Object.values(SAMPLES)) for (const t of list) out.push(parseRR(t));
  for (const t of UNKNOWN_SAMPLES) out.push(parseRR(t));
  return out;
}

/** A response with a record of every sample type spread over the sections, EDNS and a cookie. */
export function richMessage(): Message {
  const rrs = sampleRecords();
  const third = Math.ceil(rrs.length / 3);
  return newMessage({
    id: 0xabcd,
    qr: true,
    aa: true,
    rd: true,
    questions: [{ name: Name.fromText('host.example.'), type: 1, class: 1 }],
    answers: rrs.slice(0, third),
    authorities: rrs.slice(third, 2 * third),
    additionals: rrs.slice(2 * third),
    edns: {
      udpSize: 1232,
      version: 0,
      dnssecOk: true,
      zFlags: 0,
      options: [{ kind: 'cookie', client: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
    },
  });
}
