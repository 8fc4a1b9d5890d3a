import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/util/random';

test('Rng is deterministic for a seed and differs across seeds', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => c.nextUint32()),
  );
});

test('Rng.next is uniform on [0,1) and normal has unit variance', () => {
  const r = new Rng(1);
  let sum = 0,
    sq = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005);
  sum = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.01);
  assert.ok(Math.abs(sq / n - 1) < 0.02);
});

test('Rng keeps the xoshiro128** sequence of its unsigned implementation (seeded runs stay repeatable across versions)', () => {
  // First draws for seed 42 as produced by the state-as-unsigned implementation before the int32 rewrite.
  const r = new Rng(42);
  assert.deepEqual(
    Array.from({ length: 6 }, () => r.nextUint32()),
    [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
  );
});
