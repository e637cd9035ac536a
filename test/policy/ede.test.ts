// An unusable server says why in Extended DNS Error terms: bogus signal data carries its DNSSEC EDE.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, defaultPolicyConfig } from '../../src/policy/decide.js';
import { interpretSignal } from '../../src/policy/signals.js';
import { EncStateTable } from '../../src/transport/encstate.js';
import { EDE, Name } from '../../src/wire/index.js';

describe('EDE of unusable servers', () => {
  const ns = Name.fromText('ns1.expired.test.');
  test('a bogus SVCB lookup makes the server unusable and keeps the DNSSEC EDE', () => {
    const signal = interpretSignal({
      ns,
      svcb: { kind: 'none', security: 'bogus', ede: EDE.SIGNATURE_EXPIRED },
      tlsaDot: { kind: 'none', security: 'bogus', ede: EDE.SIGNATURE_EXPIRED },
      tlsaDoh: { kind: 'none', security: 'insecure' },
      nsAuthentic: true,
    });
    assert.equal(signal.mode, 'unusable');
    assert.equal(signal.ede, EDE.SIGNATURE_EXPIRED);
    const plan = decide({
      ns,
      ip: '127.0.0.1',
      zone: Name.fromText('expired.test.'),
      signal,
      enc: new EncStateTable(),
      now: 0,
      config: defaultPolicyConfig,
      clientEncrypted: false,
    });
    assert.equal(plan.mode, 'unusable');
    assert.deepEqual(plan.attempts, []);
    assert.equal(plan.ede, EDE.SIGNATURE_EXPIRED);
  });

  test('a usable signal carries no EDE', () => {
    const signal = interpretSignal({
      ns,
      svcb: { kind: 'none', security: 'secure' },
      tlsaDot: { kind: 'none', security: 'secure' },
      tlsaDoh: { kind: 'none', security: 'insecure' },
      nsAuthentic: true,
    });
    assert.equal(signal.mode, 'none');
    assert.equal(signal.ede, undefined);
  });
});
