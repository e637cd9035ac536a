/**
 * Which scenarios can say something about sealdns. A scenario is not applicable when it
 * needs a step kind the in-process runner cannot reproduce, a configuration option the
 * resolver under test does not declare (a "capability"), or when the deckard README
 * (test/data/deckard/README.md) lists it as relying on another resolver's private
 * behaviour. The resolver module may export `scenarioCapabilities` to opt in.
 */
import { basename } from 'node:path';
import { UNSUPPORTED_MATCH } from './match.js';
import type { Entry, RawOption, Scenario } from './types.js';

/** Files the README says depend on another resolver's private behaviour, with its words. */
export const PRIVATE_BEHAVIOUR: Readonly<Record<string, { reason: string; capability: string }>> = {
  ...Object.fromEntries(
    ['world_cz_lidovky_www.rpl', 'world_mx_nic_www.rpl', 'nsec_aggr_cache.rpl', 'nsec3_aggr_cache.rpl'].map((f) => [
      f,
      {
        capability: 'kresd-query-pattern',
        reason:
          'README: "Captures of real-world data built around Knot Resolver\'s query pattern (`world_*`, ' +
          '`nsec*_aggr_cache`; file comments cite kresd issues) answer only the queries kresd sent (plus ' +
          '`MATCH subdomain` catch-alls); a resolver that asks different questions hits "no answer defined"."',
      },
    ]),
  ),
  'iter_minim_a.rpl': {
    capability: 'qmin-qtype-ns',
    reason:
      'README: "expects kresd-style minimised queries with QTYPE NS (com. NS, example.com. NS); only NS entries ' +
      'exist, so A-type minimisation (RFC 9156 default, Unbound) gets SERVFAIL from the mock"',
  },
  'iter_minim_a_nxdomain.rpl': {
    capability: 'qmin-qtype-ns',
    reason:
      'README: "QTYPE NS minimisation; expects the relaxed fallback (continue with the full name after NXDOMAIN ' +
      'at an ENT); a strict RFC 8020 resolver answers NXDOMAIN"',
  },
  'iter_minim_ns.rpl': { capability: 'qmin-qtype-ns', reason: 'README: "QTYPE NS minimisation (kresd)"' },
  ...Object.fromEntries(
    ['black_data.rpl', 'black_ds.rpl'].map((f) => [
      f,
      {
        capability: 'bogus-retry-other-servers',
        reason:
          'README: "Unbound \\"blacklist\\": after a bogus answer the validator retries other servers; resolvers ' +
          'without that retry legitimately SERVFAIL"',
      },
    ]),
  ),
  'val_ta_sentinel.rpl': {
    capability: 'ta-sentinel',
    reason: 'README: "RFC 8509 root-key-sentinel (optional feature)"',
  },
  ...Object.fromEntries(
    [
      'val_nsec3_nods_badsig.rpl',
      'val_faildnskey.rpl',
      'val_positive_nosigs.rpl',
      'val_secds_nosig.rpl',
      'val_adcopy.rpl',
    ].map((f) => [
      f,
      {
        capability: 'dsa',
        reason:
          'README: "Five files need DSA (algorithm 3, \\"MUST NOT\\" validate per RFC 8624): treating DSA as ' +
          'unsupported makes those zones insecure and the expected SERVFAIL/AD will not match — list them as not ' +
          'applicable."',
      },
    ]),
  ),
  ...Object.fromEntries(
    [
      'serve_expired.rpl',
      'serve_expired_0ttl_servfail.rpl',
      'serve_expired_client_timeout.rpl',
      'serve_expired_reply_ttl.rpl',
      'serve_expired_ttl.rpl',
    ].map((f) => [
      f,
      {
        capability: 'unbound-serve-expired',
        reason: 'README: "Serve-stale files encode Unbound\'s parameters (reply TTL 123, client timeout) and EDE 3."',
      },
    ]),
  ),
};

type Rule = (o: RawOption) => { capability: string; why: string } | undefined;

const no = (v: string) => /^(no|off|false|0)$/i.test(v);
const yes = (v: string) => /^(yes|on|true|1)$/i.test(v);
const ok: Rule = () => undefined;
const need =
  (capability: string, why: string): Rule =>
  () => ({ capability, why });
const needIf =
  (test: (v: string) => boolean, capability: string, why: string): Rule =>
  (o) =>
    test(o.value) ? { capability, why } : undefined;

/**
 * Options by name. `ok`: the resolver is given them in `options` and must honour them
 * (address families), or they are testbound/Unbound internals with no effect on what a
 * correct resolver answers. Others need the named capability.
 */
const OPTION_RULES: Readonly<Record<string, Rule>> = {
  'do-ip4': ok,
  'do-ip6': ok,
  'harden-glue': needIf(no, 'harden-glue-off', 'acceptance of out-of-bailiwick glue'),
  'do-not-query-localhost': needIf(no, 'query-localhost', 'queries to servers on 127.0.0.0/8 and ::1'),
  'domain-insecure': need('domain-insecure', 'negative trust anchor (domain-insecure, RFC 7646)'),
  'forward-addr': need('forwarding', 'forwarding mode (forward-addr)'),
  features: need('kresd-features', 'Knot Resolver `features:` configuration'),
  'feature-list': need('kresd-features', 'Knot Resolver `feature-list:` configuration'),
  'force-ipv6': need('force-ipv6', 'force-ipv6'),
  'target-fetch-policy': (o) =>
    o.value
      .trim()
      .split(/\s+/)
      .every((x) => x === '0')
      ? undefined
      : { capability: 'target-fetch-policy', why: `target-fetch-policy "${o.value}" (prefetches NS addresses)` },
  'minimal-responses': needIf(no, 'minimal-responses-off', 'full responses (NS records and glue in positive answers)'),
  'iter-scrub-promiscuous': ok,
  'fake-sha1': ok,
  'trust-anchor-signaling': needIf(yes, 'trust-anchor-signaling', 'RFC 8145 key-tag queries'),
  'aggressive-nsec': needIf(yes, 'aggressive-nsec', 'aggressive use of the DNSSEC-validated cache (RFC 8198)'),
  'local-zone': (o) =>
    /\snodefault$/.test(o.value) ? undefined : { capability: 'local-zone', why: `local-zone "${o.value}"` },
  'log-servfail': ok,
  verbosity: ok,
  'module-config': (o) =>
    /validator/.test(o.value) ? undefined : { capability: 'no-validation', why: `module-config "${o.value}"` },
  'serve-expired': needIf(yes, 'serve-expired', 'serve-stale (RFC 8767) with Unbound parameters'),
  'serve-expired-ttl': need('serve-expired', 'serve-expired-ttl'),
  'serve-expired-reply-ttl': need('serve-expired', 'serve-expired-reply-ttl'),
  'serve-expired-client-timeout': need('serve-expired', 'serve-expired-client-timeout'),
  'ede-serve-expired': need('serve-expired', 'ede-serve-expired'),
  // RD=0 queries from the client are sent as written; the resolver answers them from its cache or refuses.
  'access-control': ok,
  ede: ok,
  'harden-below-nxdomain': needIf(no, 'harden-below-nxdomain-off', 'no RFC 8020 NXDOMAIN cut'),
  prefetch: needIf(yes, 'prefetch', 'prefetch'),
  'cache-min-ttl': need('cache-ttl-limits', 'cache-min-ttl'),
  'cache-max-ttl': need('cache-ttl-limits', 'cache-max-ttl'),
};

/** testbound step kinds the runner reproduces; the others make a scenario not applicable. */
const HONOURED_TESTBOUND_STEPS = new Set(['TRAFFIC', 'NOTHING']);
const UNSUPPORTED_ADJUST = new Set([
  'sleep',
  'packet_sleep',
  'copy_ednsdata_assume_clientsubnet',
  'increment_ecs_scope',
]);

/**
 * Why the scenario cannot apply to the resolver under test, or undefined when it can.
 * `capabilities`: what the resolver declares beyond the defaults (see OPTION_RULES and PRIVATE_BEHAVIOUR).
 */
export function applicability(
  scenario: Scenario,
  file: string = scenario.file,
  capabilities: Iterable<string> = [],
): string | undefined {
  const caps = new Set(capabilities);
  const priv = PRIVATE_BEHAVIOUR[basename(file)];
  if (priv !== undefined && !caps.has(priv.capability))
    return `relies on another resolver's private behaviour — ${priv.reason}`;
  for (const step of scenario.steps) {
    if (step.kind === 'testbound' && !HONOURED_TESTBOUND_STEPS.has(step.name))
      return `testbound step ${step.name} (line ${step.line}) cannot be reproduced by the in-process runner`;
    if (step.kind === 'TIME_PASSES' && step.elapse === undefined)
      return `TIME_PASSES ${step.args.join(' ')} (line ${step.line}): only ELAPSE is supported`;
  }
  const entries: Entry[] = [
    ...scenario.ranges.flatMap((r) => r.entries),
    ...scenario.steps.flatMap((s) => ('entry' in s && s.entry !== undefined ? [s.entry] : [])),
  ];
  for (const e of entries) {
    const m = e.match.find((x) => UNSUPPORTED_MATCH.has(x.name));
    if (m !== undefined) return `MATCH ${m.name} (entry at line ${e.line}) is not supported by the runner`;
    const a = e.adjust.find((x) => UNSUPPORTED_ADJUST.has(x.name));
    if (a !== undefined) return `ADJUST ${a.name} (entry at line ${e.line}) is not supported by the runner`;
    if (e.unsupported.length > 0)
      return `${e.unsupported.join(', ')} (entry at line ${e.line}) is not supported by the runner`;
  }
  const cfg = scenario.config;
  for (const z of cfg.stubZones)
    if (!z.name.isRoot() && !caps.has('stub-zones'))
      return `needs a stub zone for ${z.name} (line ${z.line}); declare capability "stub-zones"`;
  if (cfg.rootHints.length === 0 && cfg.stubZones.length === 0) return 'no root hint (stub-addr) in the config';
  for (const o of cfg.options) {
    const where = `${o.clause === '' ? '' : `${o.clause}: `}${o.key}: ${o.value} (line ${o.line})`;
    if (o.clause === 'forward-zone' && !caps.has('forwarding')) return `needs forwarding: ${where}`;
    if (o.clause === 'stub-zone') {
      if (!caps.has('stub-zone-options')) return `stub-zone option not supported: ${where}`;
      continue;
    }
    const rule = OPTION_RULES[o.key];
    if (rule === undefined) {
      if (!caps.has(`option:${o.key}`)) return `option not known to the runner: ${where}`;
      continue;
    }
    const r = rule(o);
    if (r !== undefined && !caps.has(r.capability))
      return `needs ${r.why}: ${where}; declare capability "${r.capability}"`;
  }
  return undefined;
}
