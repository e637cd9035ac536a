/**
 * A tiny scripted network of authoritative servers for resolver tests: each server
 * address has a handler that turns a query into a response (or a timeout), every query
 * is logged, and the resolver runs on a FakeClock. Smaller than the scenario runner
 * (test/scenarios), for regression tests that need only a few exchanges.
 */

import { Resolver, type ResolverConfig } from '../../src/resolver/resolver.js';
import { FakeClock } from '../../src/transport/clock.js';
import { TransportError } from '../../src/transport/errors.js';
import { cryptoRandom } from '../../src/transport/random.js';
import { type Target, targetRef, UpstreamBase, type UpstreamReply } from '../../src/transport/upstream.js';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  makeQuery,
  Name,
  newMessage,
  parseRR,
  Rcode,
  type RR,
} from '../../src/wire/index.js';

/** A server's answer to one query: a response, or 'timeout' to drop the query. */
export type Handler = (q: Message, ip: string) => Message | 'timeout';

export interface SentQuery {
  ip: string;
  qname: string;
  qtype: number;
  protocol: Target['protocol'];
}

export const n = (text: string): Name => Name.fromText(text.endsWith('.') ? text : `${text}.`);
export const rrs = (texts: string[] = []): RR[] => texts.map((t) => parseRR(t));

/** A response to `q` (ID and question copied) with the given header bits and sections in text form. */
export function reply(
  q: Message,
  init: { aa?: boolean; rcode?: number; an?: string[]; ns?: string[]; ar?: string[] } = {},
): Message {
  return newMessage({
    id: q.id,
    qr: true,
    aa: init.aa ?? false,
    rcode: init.rcode ?? Rcode.NOERROR,
    questions: q.questions.map((x) => ({ ...x })),
    answers: rrs(init.an),
    authorities: rrs(init.ns),
    additionals: rrs(init.ar),
  });
}

/** The upstream of the tests: routes each query to the handler of its destination address. */
export class FakeNet extends UpstreamBase {
  readonly handlers: Map<string, Handler>;
  readonly sent: SentQuery[] = [];

  constructor(handlers: Record<string, Handler>) {
    super();
    this.handlers = new Map(Object.entries(handlers));
  }

  /** Queries sent to `ip` (all addresses when omitted), as "qname type" strings. */
  asked(ip?: string): string[] {
    return this.sent.filter((s) => ip === undefined || s.ip === ip).map((s) => `${s.qname} ${s.qtype}`);
  }

  protected async dispatch(wire: Uint8Array, target: Target): Promise<UpstreamReply> {
    const q = decodeMessage(wire);
    const question = q.questions[0];
    this.sent.push({ ip: target.ip, qname: question.name.toString(), qtype: question.type, protocol: target.protocol });
    const h = this.handlers.get(target.ip);
    const r = h === undefined ? 'timeout' : h(q, target.ip);
    if (r === 'timeout')
      throw new TransportError('timeout', `${target.ip} does not answer`, { target: targetRef(target) });
    const out = encodeMessage(r);
    return { wire: out, rttMs: 10, protocol: target.protocol, truncated: r.tc, mismatched: 0, reused: false };
  }

  protected async onClose(): Promise<void> {}

  protected onDestroy(): void {}
}

/** The root server every test network starts from. */
export const ROOT_IP = '193.0.14.129';

export function rootHints(ip = ROOT_IP): RR[] {
  return rrs([
    `. 3600000 IN NS k.root-servers.net.`,
    `k.root-servers.net. 3600000 IN ${ip.includes(':') ? 'AAAA' : 'A'} ${ip}`,
  ]);
}

/** A resolver on `net` with a fake clock (no minimisation, IPv4 only, unless `config` says otherwise). */
export function testResolver(
  net: FakeNet,
  config: Partial<ResolverConfig> = {},
  hints: RR[] = rootHints(),
): { resolver: Resolver; clock: FakeClock; ask(name: string, type: number): Promise<Message> } {
  const clock = new FakeClock(1_700_000_000_000);
  const resolver = new Resolver(
    { upstream: net, clock, random: cryptoRandom, rootHints: hints },
    { qnameMinimisation: 'off', ipv6: false, minTimeoutMs: 1, packetCache: false, transportPolicy: false, ...config },
  );
  let id = 1;
  return {
    resolver,
    clock,
    async ask(name: string, type: number): Promise<Message> {
      const q = makeQuery(n(name), type, { id: id++, rd: true, edns: true, udpSize: 1232, dnssecOk: false });
      return (await resolver.handle(q, { transport: 'udp' })).response;
    },
  };
}

/** Answer-section records of a response as "owner type" strings, for compact assertions. */
export function answerText(m: Message): string[] {
  return m.answers.map((rr) => `${rr.name} ${rr.type}`);
}
