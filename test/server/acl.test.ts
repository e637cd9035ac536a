import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Acl, cidrToText, LOOPBACK_ACL, parseCidr } from '../../src/server/acl.js';

describe('ACL', () => {
  test('parses blocks and bare addresses', () => {
    assert.equal(cidrToText(parseCidr('10.0.0.0/8')), '10.0.0.0/8');
    assert.equal(cidrToText(parseCidr('192.0.2.7')), '192.0.2.7/32');
    assert.equal(cidrToText(parseCidr('2001:DB8::/32')), '2001:db8::/32');
    assert.equal(cidrToText(parseCidr('::1')), '::1/128');
    assert.equal(cidrToText(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  });

  test('rejects what is not a block, naming the entry', () => {
    for (const [text, why] of [
      ['nope', /"nope" is not an IP address/],
      ['10.0.0.0/33', /prefix length must be 0\.\.32/],
      ['::/129', /prefix length must be 0\.\.128/],
      ['10.0.0.0/', /prefix length/],
      ['10.1.2.3/8', /host bits are set \(the network is 10\.0\.0\.0\/8\)/],
      ['2001:db8::1/32', /host bits are set \(the network is 2001:db8::\/32\)/],
    ] as const) {
      assert.throws(
        () => parseCidr(text),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'bad-option');
          assert.match(e.message, new RegExp(`bad ACL entry "${text.replace(/[.[\]/]/g, '\\$&')}"`));
          assert.match(e.message, why);
          return true;
        },
      );
    }
  });

  test('loopback only by default', () => {
    const acl = Acl.parse(LOOPBACK_ACL);
    for (const a of ['127.0.0.1', '127.53.1.2', '::1', '::ffff:127.0.0.1']) assert.equal(acl.allows(a), true, a);
    for (const a of ['10.0.0.1', '128.0.0.1', '::2', 'fe80::1%lo', '::ffff:10.0.0.1', '', 'garbage'])
      assert.equal(acl.allows(a), false, a);
  });

  test('IPv4 and IPv6 prefixes of any length; IPv4-mapped clients match IPv4 blocks', () => {
    const acl = Acl.parse(['192.0.2.128/25', '2001:db8:8000::/33', '0.0.0.0/32']);
    assert.equal(acl.allows('192.0.2.128'), true);
    assert.equal(acl.allows('192.0.2.255'), true);
    assert.equal(acl.allows('192.0.2.127'), false);
    assert.equal(acl.allows('::ffff:192.0.2.200'), true);
    assert.equal(acl.allows('2001:db8:8000::1'), true);
    assert.equal(acl.allows('2001:db8:ffff:ffff::1'), true);
    assert.equal(acl.allows('2001:db8:7fff::1'), false);
    assert.equal(acl.allows('0.0.0.0'), true);
    assert.equal(acl.allows('0.0.0.1'), false);
    assert.equal(Acl.parse(['0.0.0.0/0']).allows('203.0.113.9'), true);
    assert.equal(Acl.parse(['::/0']).allows('2001:db8::9'), true);
    assert.equal(Acl.parse([]).allows('127.0.0.1'), false);
  });

  test('decisions are remembered without changing them', () => {
    const acl = Acl.parse(['10.0.0.0/8']);
    for (let i = 0; i < 10_000; i++) assert.equal(acl.allows(`10.0.${i >> 8}.${i & 0xff}`), true);
    assert.equal(acl.allows('11.0.0.1'), false);
    assert.equal(acl.allows('11.0.0.1'), false);
    // the last client's verdict is kept apart: alternating clients get their own
    for (const [a, v] of [
      ['10.1.2.3', true],
      ['11.0.0.1', false],
      ['11.0.0.1', false],
      ['10.1.2.3', true],
      ['', false],
      ['10.1.2.3', true],
    ] as const)
      assert.equal(acl.allows(a), v, a);
  });
});
