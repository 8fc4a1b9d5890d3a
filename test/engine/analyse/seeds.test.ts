/** Seeds by stage path reproduce the formulas reports always used, so old reports stay reproducible. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_STREAMS, seedFor, seedRecord, type SeedStreamPath } from '../../../src/engine/util/seeds';

test("every stream reproduces the engine's historical seed formula", () => {
  for (const s of [0, 1, 12345, 2 ** 31 - 1]) {
    for (let a = 0; a < 9; a++) assert.equal(seedFor(s, 'attacks/suite', a), s + 1000003 * a, 'per-attack seed');
    assert.equal(seedFor(s, 'attacks/estimated-gradient'), s);
    for (let i = 0; i < 7; i++) assert.equal(seedFor(s, 'defences/post-averaging/radius', i), s + 7919 + i, 'per-radius seed');
    assert.equal(seedFor(s, 'frequency/occluded-frequency'), s + 104729);
    for (let j = 0; j < 3; j++) assert.equal(seedFor(s, 'frequency/occluded-frequency/preview', j), s + 104729 + j);
    assert.equal(seedFor(s, 'adaptive/post-averaging/model'), s + 15485863);
    assert.equal(seedFor(s, 'adaptive/post-averaging/eot'), s + 15485867);
    assert.equal(seedFor(s, 'sweeps/epsilon'), s + 32452843);
    for (let e = 0; e < 4; e++) assert.equal(seedFor(s, 'sweeps/epsilon/pgd', e), s + 1000003 * e);
    for (let a = 0; a < 8; a++)
      for (let b = 0; b < 7; b++)
        for (let d = 0; d < 2; d++) {
          assert.equal(
            seedFor(s, 'adaptive/attack', a, b, d),
            s + 49979687 + 1009 * a + 7 * b + d,
            'adaptive seed per attack, batch and defence',
          );
        }
  }
});

test('a stream refuses the wrong number of indices', () => {
  assert.throws(() => seedFor(0, 'adaptive/attack', 1, 2), /expected 3 index\(es\) \(attack, batch, defence\), got 2/);
  assert.throws(() => seedFor(0, 'sweeps/epsilon', 1), /expected 0 index/);
});

test('the report records a stream as one entry that spells out its index terms', () => {
  assert.deepEqual(seedRecord(5, 'adaptive/attack'), { 'adaptive/attack + 1009·attack + 7·batch + 1·defence': 5 + 49979687 });
  assert.deepEqual(seedRecord(5, 'adaptive/post-averaging/eot'), { 'adaptive/post-averaging/eot': 5 + 15485867 });
  for (const path of Object.keys(SEED_STREAMS) as SeedStreamPath[]) {
    const [[key, value]] = Object.entries(seedRecord(7, path));
    assert.ok(key.startsWith(path));
    assert.equal(value, seedFor(7, path, ...SEED_STREAMS[path].strides.map(() => 0)));
  }
});
