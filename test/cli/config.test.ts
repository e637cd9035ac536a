import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, normaliseConfig, parseConfigText, resolveConfig, validateConfig } from '../../src/cli/config.js';
import { defaultResolverConfig } from '../../src/resolver/resolver.js';
import { cidrToText } from '../../src/server/acl.js';
import { Name } from '../../src/wire/index.js';

const FILE = '/etc/sealdns/sealdns.yaml';

function fromFile(text: string, flags?: Record<string, unknown>) {
  return resolveConfig({ file: { path: FILE, text }, flags });
}

/** The problems of a rejected configuration, as "path: message" lines. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.equal(e.name, 'UsageError', 'a usage error: the CLI exits with code 2');
    return e.problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
  }
  assert.fail('the configuration was accepted');
}

describe('config: parse → validate → normalise', () => {
  test('a valid file is normalised: listen per transport, CIDRs, paths, resolver options', () => {
    const c = fromFile(`
# sealdns.yaml
listen:
  - 127.0.0.1:5300
  - { address: "::1", port: 5301, transport: tcp }
acl: [127.0.0.0/8, 10.0.0.0/8, "::1"]
root-hints: hints/root.hints
trust-anchor: /var/lib/sealdns/root.key
log-level: debug
qname-minimisation: strict
upstream-port: 5353
cache-max-bytes: 64m
serve-stale: true
`);
    assert.deepEqual(c.listen, [
      { address: '127.0.0.1', port: 5300, transport: 'udp' },
      { address: '127.0.0.1', port: 5300, transport: 'tcp' },
      { address: '::1', port: 5301, transport: 'tcp' },
    ]);
    assert.deepEqual(c.acl.map(cidrToText), ['127.0.0.0/8', '10.0.0.0/8', '::1/128']);
    assert.equal(c.rootHintsFile, '/etc/sealdns/hints/root.hints', 'relative to the file');
    assert.equal(c.trustAnchorFile, '/var/lib/sealdns/root.key');
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.resolver, {
      ...defaultResolverConfig,
      qnameMinimisation: 'strict',
      upstreamPort: 5353,
      cacheMaxBytes: 64 * 1024 * 1024,
      serveStale: true,
    });
  });

  test('an empty file gives the defaults', () => {
    const c = fromFile('');
    assert.deepEqual(c.listen, [
      { address: '127.0.0.1', port: 53, transport: 'udp' },
      { address: '127.0.0.1', port: 53, transport: 'tcp' },
    ]);
    assert.deepEqual(c.acl.map(cidrToText), ['127.0.0.0/8', '::1/128']);
    assert.equal(c.rootHintsFile, undefined);
    assert.equal(c.trustAnchorFile, undefined);
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.resolver, defaultResolverConfig);
  });

  test('every ResolverConfig option can be set from the file', () => {
    const c = fromFile(`
qname-minimisation: "off"
upstream-port: 1053
ipv4: true
ipv6: false
min-timeout-ms: 250
cache-min-ttl: 5
cache-max-ttl: 3600
cache-max-bytes: 1048576
negative-max-ttl: 900
aggressive-nsec: false
serve-stale: true
stale-seconds: 600
stale-reply-ttl: 10
packet-cache: false
max-concurrent: 50
qname-minimisation-qtype: NS
do-not-query-localhost: false
transport-policy: true
upstream-encryption: follow-client
probing: false
bootstrap: encrypt-first
svcb-secure-is-strict: true
attempt-delay-ms: 300
dot-probe-port: 8853
policy-rules:
  - { suffix: example.com, encrypt: required }
  - { suffix: lab.test., probing: false }
cache-partition: by-privacy
`);
    assert.deepEqual(c.resolver, {
      qnameMinimisation: 'off',
      upstreamPort: 1053,
      ipv4: true,
      ipv6: false,
      minTimeoutMs: 250,
      cacheMinTtl: 5,
      cacheMaxTtl: 3600,
      cacheMaxBytes: 1048576,
      negativeMaxTtl: 900,
      aggressiveNsec: false,
      serveStale: true,
      staleSeconds: 600,
      staleReplyTtl: 10,
      packetCache: false,
      maxConcurrent: 50,
      qnameMinimisationQtype: 'NS',
      doNotQueryLocalhost: false,
      transportPolicy: true,
      upstreamEncryption: 'follow-client',
      probing: false,
      bootstrap: 'encrypt-first',
      svcbSecureIsStrict: true,
      attemptDelayMs: 300,
      dotProbePort: 8853,
      policyRules: [
        { suffix: Name.fromText('example.com.'), encrypt: 'required' },
        { suffix: Name.fromText('lab.test.'), probing: false },
      ],
      cachePartition: 'by-privacy',
    });
    assert.deepEqual(Object.keys(c.resolver).sort(), Object.keys(defaultResolverConfig).sort());
  });

  test('unknown keys are errors, named by their path', () => {
    assert.deepEqual(
      problems(() => fromFile('listen: [{ address: 127.0.0.1, port: 53, transprt: udp }]\nbogus: 1\n')),
      ['listen[0].transprt: unknown key', 'bogus: unknown key'],
    );
    assert.deepEqual(
      problems(() => fromFile('qname-minimization: strict\n')),
      ['qname-minimization: unknown key (did you mean qname-minimisation?)'],
    );
  });

  test('bad values are all reported, each with its key path', () => {
    const got = problems(() =>
      fromFile(`
listen: [127.0.0.1:99999, { address: nowhere, port: 53 }, 42]
acl: [10.1.2.3/8]
upstream-port: 0
qname-minimisation: sometimes
cache-max-bytes: lots
log-level: loud
`),
    );
    assert.deepEqual(got, [
      'listen[0]: bad port in "127.0.0.1:99999"',
      'listen[1].address: must be an IP address',
      'listen[2]: must be IP:PORT or a mapping {address, port, transport}',
      'acl[0]: bad ACL entry "10.1.2.3/8": host bits are set (the network is 10.0.0.0/8)',
      'upstream-port: must be an integer in 1..65535',
      'qname-minimisation: must be one of off, relaxed, strict',
      'cache-max-bytes: must be a size of at least 64k (bytes, or with a k/m/g suffix)',
      'log-level: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  test('checks across keys', () => {
    assert.deepEqual(
      problems(() => fromFile('cache-min-ttl: 600\ncache-max-ttl: 60\n')),
      ['cache-min-ttl: 600 is above cache-max-ttl 60'],
    );
    assert.deepEqual(
      problems(() => fromFile('ipv4: false\nipv6: false\n')),
      ['ipv6: ipv4 and ipv6 cannot both be false (no way to reach upstreams)'],
    );
  });

  test('YAML syntax errors and a top level that is not a mapping', () => {
    const [syntax] = problems(() => fromFile('listen: [127.0.0.1:53,\n  acl: x\n'));
    assert.match(syntax, /line \d+, column \d+/);
    assert.deepEqual(problems(() => fromFile('upstream-port: 1\nupstream-port: 2\n')).length, 1);
    assert.deepEqual(
      problems(() => fromFile('- 127.0.0.1:53\n')),
      ['must be a mapping of options (key: value)'],
    );
    assert.throws(
      () => fromFile('upstream-port: 0\n'),
      (e: Error) => e.message.startsWith(`${FILE}: upstream-port:`),
    );
  });

  test('flags override the file key by key; absent flags leave the file alone', () => {
    const c = fromFile('listen: [127.0.0.1:53]\nupstream-port: 5353\nqname-minimisation: strict\nlog-level: warn\n', {
      listen: ['127.0.0.1:5300'],
      'upstream-port': 1053,
      'qname-minimisation': undefined,
      'root-hints': 'my.hints',
    });
    assert.deepEqual(
      c.listen.map((l) => `${l.transport} ${l.address}:${l.port}`),
      ['udp 127.0.0.1:5300', 'tcp 127.0.0.1:5300'],
    );
    assert.equal(c.resolver.upstreamPort, 1053);
    assert.equal(c.resolver.qnameMinimisation, 'strict');
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.rootHintsFile, 'my.hints', 'flag paths stay as given (relative to the working directory)');
  });

  test('flag errors name the flag', () => {
    assert.throws(
      () => resolveConfig({ flags: { 'upstream-port': 'fifty', 'qname-minimisation': 'always' } }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith('command line:') &&
        e.problems.some((p) => p.path === '--upstream-port') &&
        e.problems.some((p) => p.path === '--qname-minimisation'),
    );
  });

  test('the steps can be used one by one', () => {
    const data = parseConfigText('packet-cache: false\n', 'x.yaml');
    assert.deepEqual(data, { 'packet-cache': false });
    const input = validateConfig(data, 'x.yaml');
    assert.equal(normaliseConfig(input).resolver.packetCache, false);
  });
});
