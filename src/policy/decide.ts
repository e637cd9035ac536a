import type { EncStateTable } from '../transport/encstate.js';
import type { Target } from '../transport/upstream.js';
import type { Name } from '../wire/index.js';
import type { ServerSignal } from './signals.js';

/**
 * The transport decision for one (nameserver, address): pure, from the published
 * signal, the RFC 9539 state of the address, and the operator's configuration.
 * A strict decision never contains a cleartext attempt — that is the privacy
 * property the tests check.
 */

export type UpstreamEncryption = 'always' | 'follow-client' | 'off';

export interface PolicyRule {
  /** Applies to zones at or below this name. */
  suffix: Name;
  /** required: never cleartext (like strict, unauthenticated if no TLSA); off: no opportunistic/probing encryption. */
  encrypt?: 'required' | 'opportunistic' | 'off';
  probing?: boolean;
}

export interface PolicyConfig {
  /** Spend TLS on upstream queries: always, only for clients that came encrypted (a DoS guard), or never (strict servers excepted). */
  upstreamEncryption: UpstreamEncryption;
  /** RFC 9539 unilateral probing of servers that publish nothing. */
  probing: boolean;
  /** For servers with no known state: try encryption before cleartext (privacy over latency). */
  bootstrap: 'cleartext-first' | 'encrypt-first';
  /** Per-suffix operator overrides (most specific wins). They can tighten, never weaken a strict signal. */
  rules: PolicyRule[];
  /** Port of cleartext DNS on upstream servers. */
  port53: number;
  /** Port used to probe DoT when nothing is published (853). */
  probePort: number;
}

export const defaultPolicyConfig: PolicyConfig = {
  upstreamEncryption: 'always',
  probing: true,
  bootstrap: 'cleartext-first',
  rules: [],
  port53: 53,
  probePort: 853,
};

export type PlanMode = 'strict' | 'opportunistic' | 'probe' | 'cleartext' | 'required' | 'unusable';

export interface Attempt {
  target: Target;
  encrypted: boolean;
  authenticated: boolean;
  /** Why this transport was chosen (goes into the privacy report). */
  why: string;
}

export interface Plan {
  mode: PlanMode;
  /** In preference order; encrypted ones may be raced (RFC 8305). Empty = do not use this server now. */
  attempts: Attempt[];
  /** RFC 9539: an encrypted connection to open in the background to learn the server's capability. */
  probe?: Target;
  reasons: string[];
  /** Why an unusable server is unusable, as an Extended DNS Error (bogus signal data: the DNSSEC EDE). */
  ede?: number;
}

export interface DecideInput {
  ns: Name;
  ip: string;
  zone: Name;
  /** undefined: the signal is being fetched by this very resolution (bootstrap). */
  signal: ServerSignal | undefined;
  enc: EncStateTable;
  now: number;
  config: PolicyConfig;
  clientEncrypted: boolean;
}

function ruleFor(zone: Name, rules: PolicyRule[]): PolicyRule | undefined {
  let best: PolicyRule | undefined;
  for (const r of rules)
    if (zone.isSubdomainOf(r.suffix) && (!best || r.suffix.labelCount > best.suffix.labelCount)) best = r;
  return best;
}

export function decide(inp: DecideInput): Plan {
  const { ns, ip, signal, enc, now, config } = inp;
  const rule = ruleFor(inp.zone, config.rules);
  const reasons: string[] = [];
  const cleartext: Attempt = {
    target: { ip, port: config.port53, protocol: 'udp', auth: 'none' },
    encrypted: false,
    authenticated: false,
    why: 'cleartext',
  };
  const nsText = ns.toString().replace(/\.$/, '');
  const endpointAttempt = (e: ServerSignal['endpoints'][number], why: string, auth: boolean): Attempt => ({
    target: {
      ip,
      port: e.port,
      protocol: e.protocol,
      auth: auth && e.tlsa.length > 0 ? 'dane' : 'none',
      alpn: e.alpn,
      ...(e.dohPath ? { dohPath: e.dohPath } : {}),
      ...(auth && e.tlsa.length > 0 ? { tlsa: e.tlsa, authName: nsText } : {}),
    },
    encrypted: true,
    authenticated: auth && e.tlsa.length > 0,
    why,
  });
  const probeTarget: Target = { ip, port: config.probePort, protocol: 'dot', auth: 'none', alpn: 'dot' };

  if (signal?.mode === 'unusable') {
    return {
      mode: 'unusable',
      attempts: [],
      reasons: [...signal.reasons],
      ...(signal.ede === undefined ? {} : { ede: signal.ede }),
    };
  }
  if (signal?.mode === 'strict') {
    reasons.push(...signal.reasons);
    if (rule?.encrypt === 'off' || config.upstreamEncryption !== 'always')
      reasons.push('operator policy would skip encryption, but a strict signal is never weakened');
    const attempts = signal.endpoints.map((e) =>
      endpointAttempt(
        e,
        e.tlsa.length > 0 ? 'strict signal (DANE)' : 'strict signal (encrypted, no usable TLSA)',
        true,
      ),
    );
    return { mode: 'strict', attempts, reasons };
  }
  // from here on nothing obliges us to encrypt: operator choices apply
  // a rule's `encrypt: opportunistic` asks for encryption below its suffix whatever the global setting says (the most
  // specific choice wins, and it only adds encryption)
  const encryptionWanted =
    rule?.encrypt === 'opportunistic' ||
    (rule?.encrypt !== 'off' &&
      (config.upstreamEncryption === 'always' ||
        (config.upstreamEncryption === 'follow-client' && inp.clientEncrypted)));
  if (rule?.encrypt === 'required') {
    reasons.push(`operator rule: encryption required below ${rule.suffix}`);
    const eps = signal?.endpoints ?? [];
    const attempts =
      eps.length > 0
        ? eps.map((e) => endpointAttempt(e, 'operator rule: encryption required', false))
        : [{ target: probeTarget, encrypted: true, authenticated: false, why: 'operator rule: encryption required' }];
    return { mode: 'required', attempts, reasons };
  }
  if (!encryptionWanted) {
    reasons.push(
      config.upstreamEncryption === 'off' || rule?.encrypt === 'off'
        ? 'operator policy: upstream encryption off'
        : 'follow-client: the client did not come encrypted',
    );
    return { mode: 'cleartext', attempts: [{ ...cleartext, why: 'policy: encryption not wanted' }], reasons };
  }
  if (signal?.mode === 'opportunistic') {
    reasons.push(...signal.reasons);
    const attempts: Attempt[] = [];
    for (const e of signal.endpoints) {
      if (enc.damped(ip, e.protocol, now)) {
        reasons.push(`${e.protocol} to ${ip} failed recently (damping)`);
        continue;
      }
      attempts.push(endpointAttempt(e, 'opportunistic signal', false));
    }
    attempts.push({
      ...cleartext,
      why: attempts.length > 0 ? 'fallback after opportunistic failure' : 'opportunistic, encryption damped',
    });
    return { mode: 'opportunistic', attempts, reasons };
  }
  // nothing published, or the signal is being fetched right now (bootstrap)
  if (signal === undefined) reasons.push(`signal for ${ns} not known yet (being fetched)`);
  else reasons.push(...signal.reasons);
  const probing = rule?.probing ?? config.probing;
  const dot: Attempt = { target: probeTarget, encrypted: true, authenticated: false, why: 'probe (RFC 9539)' };
  if (enc.recentSuccess(ip, 'dot', now)) {
    reasons.push('DoT worked recently (RFC 9539 4.6.1): no Do53');
    return {
      mode: 'probe',
      attempts: [
        { ...dot, why: 'probe: recent DoT success' },
        { ...cleartext, why: 'fallback after DoT failure' },
      ],
      reasons,
    };
  }
  // encrypt-first is unilateral use of DoT on a server that published nothing: an operator who turned probing off
  // (globally or for this suffix) does not want it either
  if (config.bootstrap === 'encrypt-first' && probing && enc.mayAttempt(ip, 'dot', now)) {
    reasons.push('bootstrap encrypt-first');
    return {
      mode: 'probe',
      attempts: [
        { ...dot, why: 'bootstrap: encrypt first' },
        { ...cleartext, why: 'fallback: no DoT' },
      ],
      reasons,
    };
  }
  const plan: Plan = {
    mode: 'cleartext',
    attempts: [
      {
        ...cleartext,
        why:
          signal === undefined
            ? 'bootstrap: signal not known yet (meta-query)'
            : 'no signal, no known encrypted transport',
      },
    ],
    reasons,
  };
  if (probing && enc.mayAttempt(ip, 'dot', now)) plan.probe = probeTarget;
  return plan;
}
