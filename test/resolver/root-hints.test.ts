import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinRootHints, IANA_ROOT_SERVERS, rootHintsProblem } from '../../src/resolver/root-hints.js';
import { type NameData, parseRecordsFile, RRType } from '../../src/wire/index.js';

describe('root hints', () => {
  test('the built-in hints are IANA named.root: 13 NS, an A and an AAAA for each', () => {
    const rrs = builtinRootHints();
    const ns = rrs.filter((rr) => rr.type === RRType.NS);
    assert.equal(ns.length, 13);
    assert.ok(ns.every((rr) => rr.name.isRoot()));
    assert.deepEqual(
      ns.map((rr) => (rr.data as NameData).target.toString()),
      'abcdefghijklm'.split('').map((l) => `${l}.root-servers.net.`),
    );
    assert.equal(rrs.filter((rr) => rr.type === RRType.A).length, 13);
    assert.equal(rrs.filter((rr) => rr.type === RRType.AAAA).length, 13);
    assert.equal(new Set(IANA_ROOT_SERVERS.map(([, v4]) => v4)).size, 13);
    assert.deepEqual(IANA_ROOT_SERVERS[0], ['a', '198.41.0.4', '2001:503:ba3e::2:30']);
    assert.equal(rootHintsProblem(rrs), undefined);
  });

  test('a hints file needs root NS records and an address for one of them', () => {
    assert.equal(rootHintsProblem(parseRecordsFile('. NS a.example.\na.example. A 192.0.2.1\n')), undefined);
    assert.equal(rootHintsProblem(parseRecordsFile('a.example. A 192.0.2.1\n')), 'no NS records for the root (.)');
    assert.equal(
      rootHintsProblem(parseRecordsFile('. NS a.example.\nb.example. A 192.0.2.1\n')),
      'no A or AAAA record for any root NS name',
    );
  });
});
