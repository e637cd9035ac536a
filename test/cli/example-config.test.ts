// sealdns.example.yaml is the operator's reference: it must be a valid configuration, and it must
// document every option the configuration accepts (a new option without an example fails here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, resolveConfig } from '../../src/cli/config.js';
import { defaultResolverConfig } from '../../src/resolver/index.js';

const path = fileURLToPath(new URL('../../../sealdns.example.yaml', import.meta.url));
const text = readFileSync(path, 'utf8');

describe('sealdns.example.yaml', () => {
  test('is a valid configuration whose resolver values are the defaults', () => {
    const c = resolveConfig({ file: { path, text } });
    assert.deepEqual(c.resolver, defaultResolverConfig);
    assert.equal(c.logLevel, 'info');
  });

  test('mentions every configuration key', () => {
    const missing = CONFIG_KEYS.filter((k) => !new RegExp(`^#?\\s*${k.replace(/[-]/g, '\\-')}:`, 'm').test(text));
    assert.deepEqual(missing, [], `keys without an example: ${missing.join(', ')}`);
  });
});
