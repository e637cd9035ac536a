import { EDE, type Edns, type EdnsOpt, type Message, newMessage, Rcode, type RR, RRType } from '../wire/index.js';
import { type AliasLink, uniqueRecords } from './classify.js';
import type { Resolution } from './iterator.js';
import { LIMITS } from './limits.js';

const DNSSEC_TYPES = new Set<number>([RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);

/** The skeleton of a response to `query`: ID, opcode, RD and CD echoed, RA set, question copied, EDNS echoed. */
export function responseFor(query: Message, rcode: number, ede?: { code: number; text: string }): Message {
  const m = newMessage({
    id: query.id,
    qr: true,
    opcode: query.opcode,
    rd: query.rd,
    cd: query.cd,
    ra: true,
    rcode,
    questions: query.questions.slice(0, 1),
  });
  if (query.edns) {
    const options: EdnsOpt[] = [];
    if (ede) options.push({ kind: 'ede', infoCode: ede.code, extraText: ede.text.slice(0, 300) });
    const e: Edns = { udpSize: LIMITS.EDNS_UDP_SIZE, version: 0, dnssecOk: query.edns.dnssecOk, zFlags: 0, options };
    m.edns = e;
  }
  return m;
}

/**
 * SERVFAIL with an Extended DNS Error (RFC 8914) when the client speaks EDNS. A failed
 * alias chain (a CNAME/DNAME loop, RFC 1034 3.6.2) is shown in the answer section, as far
 * as it was followed, so the client can see the loop.
 */
export function servfail(query: Message, code: number, text: string, chain: readonly AliasLink[] = []): Message {
  const m = responseFor(query, Rcode.SERVFAIL, { code, text });
  const dnssecOk = query.edns?.dnssecOk === true;
  const answers: RR[] = [];
  for (const link of chain) {
    for (const set of link.dname ? [link.dname, link.cname] : [link.cname])
      answers.push(...set.rrs, ...(dnssecOk ? set.sigs : []));
  }
  m.answers = uniqueRecords(answers);
  return m;
}

/**
 * Builds the client response from a resolution: the alias chain then the answer
 * RRset in the answer section; for denials the SOA and the zone's NS RRset as the
 * authoritative server gave them (RFC 2308 2.1), and with DO the NSEC/NSEC3 proofs and
 * signatures, in the authority section. RRSIGs only with DO.
 *
 * DNSSEC (RFC 4035 3.2, RFC 6840 5.7-5.8): bogus data becomes SERVFAIL with its EDE
 * unless the client set CD; AD is set when everything is secure and the client asked
 * with DO or AD.
 */
export function buildResponse(
  query: Message,
  res: Resolution,
  extra?: { ede?: { code: number; text: string } },
): Message {
  const sec = res.security;
  if (sec.status === 'bogus' && !query.cd) {
    return servfail(query, sec.ede ?? EDE.DNSSEC_BOGUS, sec.reason ?? 'DNSSEC validation failed');
  }
  const dnssecOk = query.edns?.dnssecOk === true;
  const m = responseFor(query, res.kind === 'nxdomain' ? Rcode.NXDOMAIN : Rcode.NOERROR, extra?.ede ?? noteOf(sec));
  const answers: RR[] = [];
  // wildcard expansions carry the NSEC/NSEC3 proof of no closer match (RFC 4035 3.1.3.3): authority section, DO only
  const proofs: RR[] = [];
  const proofOf = (set: { proof?: RR[] }) => {
    if (dnssecOk && set.proof) proofs.push(...set.proof);
  };
  for (const link of res.chain) {
    if (link.dname) {
      answers.push(...link.dname.rrs);
      if (dnssecOk) answers.push(...link.dname.sigs);
      proofOf(link.dname);
    }
    answers.push(...link.cname.rrs);
    if (dnssecOk) answers.push(...link.cname.sigs);
    proofOf(link.cname);
  }
  if (res.kind === 'answer') {
    answers.push(...res.rrset.rrs);
    if (dnssecOk) answers.push(...res.rrset.sigs);
    proofOf(res.rrset);
    m.authorities = uniqueRecords(proofs);
  } else {
    m.authorities = uniqueRecords([
      ...proofs,
      ...res.authority.filter(
        (rr) => rr.type === RRType.SOA || rr.type === RRType.NS || (dnssecOk && DNSSEC_TYPES.has(rr.type)),
      ),
    ]);
  }
  // a DNAME that rewrote several links of the chain is one RRset: sent once (RFC 2181 5)
  m.answers = uniqueRecords(answers);
  if (sec.status === 'secure' && (dnssecOk || query.ad)) m.ad = true;
  return m;
}

/**
 * An EDE worth telling the client about data that is served: RFC 9276 3.2 asks for EDE 27 when NSEC3 iterations made
 * a proof insecure.
 */
function noteOf(sec: Resolution['security']): { code: number; text: string } | undefined {
  if (sec.status === 'insecure' && sec.ede === EDE.UNSUPPORTED_NSEC3_ITERATIONS)
    return { code: sec.ede, text: sec.reason ?? 'NSEC3 iterations above the limit: answer treated as unsigned' };
  return undefined;
}

/** Smallest TTL in the response's records (for the packet cache); 0 when there are none. */
export function minTtl(m: Message): number {
  let t = Number.POSITIVE_INFINITY;
  for (const rr of m.answers) t = Math.min(t, rr.ttl);
  for (const rr of m.authorities) t = Math.min(t, rr.ttl);
  return Number.isFinite(t) ? t : 0;
}

export { EDE };
