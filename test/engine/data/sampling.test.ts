import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Dataset, type DatasetSample, sampleDataset } from '../../../src/engine/data/dataset';
import { isEngineError } from '../../../src/engine/errors';

/** A dataset with `counts[c]` samples in class c, in the stable (class, relPath) order openDataset gives. */
function fakeDataset(counts: number[]): Dataset {
  const samples: DatasetSample[] = counts.flatMap((n, label) =>
    Array.from({ length: n }, (_, i) => {
      const relPath = `c${label}/${String(i).padStart(4, '0')}.png`;
      return { path: `/d/${relPath}`, relPath, label, className: `c${label}` };
    }),
  );
  return { root: '/d', kind: 'image-folder', classNames: counts.map((_, c) => `c${c}`), samples, ignored: [], fingerprint: 'x' };
}

const perClass = (s: DatasetSample[], classes: number): number[] =>
  Array.from({ length: classes }, (_, c) => s.filter((x) => x.label === c).length);

test('same seed gives the same subset, a different seed a different one', () => {
  const ds = fakeDataset([50, 50, 50, 50]);
  const a = sampleDataset(ds, { limit: 20, seed: 1 });
  const b = sampleDataset(ds, { limit: 20, seed: 1 });
  const c = sampleDataset(ds, { limit: 20, seed: 2 });
  assert.deepEqual(
    a.map((s) => s.relPath),
    b.map((s) => s.relPath),
  );
  assert.notDeepEqual(
    a.map((s) => s.relPath),
    c.map((s) => s.relPath),
  );
  assert.equal(a.length, 20);
  assert.equal(c.length, 20);
});

test('stratified: each class gets its share, rounded by largest remainder with ties to the lower class index', () => {
  assert.deepEqual(perClass(sampleDataset(fakeDataset([50, 30, 20]), { limit: 10, seed: 5 }), 3), [5, 3, 2]);
  assert.deepEqual(perClass(sampleDataset(fakeDataset([3, 3, 3]), { limit: 4, seed: 5 }), 3), [2, 1, 1]);
  // exact shares 3.5, 1, 0.5: the two .5 remainders tie and class 0 wins
  assert.deepEqual(perClass(sampleDataset(fakeDataset([7, 2, 1]), { limit: 5, seed: 5 }), 3), [4, 1, 0]);
  // shares 2.4, 1.6 → 2 + 0.4 vs 1 + 0.6: the larger remainder wins
  assert.deepEqual(perClass(sampleDataset(fakeDataset([6, 4]), { limit: 4, seed: 9 }), 2), [2, 2]);
  const big = perClass(sampleDataset(fakeDataset([1000, 10, 333, 1]), { limit: 100, seed: 3 }), 4);
  assert.equal(
    big.reduce((a, b) => a + b, 0),
    100,
  );
  assert.deepEqual(big, [74, 1, 25, 0]);
});

test('the subset keeps the stable dataset order and holds no duplicates', () => {
  const ds = fakeDataset([40, 25, 35]);
  const s = sampleDataset(ds, { limit: 33, seed: 77 });
  const index = s.map((x) => ds.samples.indexOf(x));
  assert.deepEqual(
    index,
    [...index].sort((a, b) => a - b),
  );
  assert.equal(new Set(index).size, 33);
});

test('no limit, or a limit ≥ the dataset size, returns every sample; a bad limit is a usage error', () => {
  const ds = fakeDataset([3, 2]);
  assert.deepEqual(sampleDataset(ds, { seed: 1 }), ds.samples);
  assert.deepEqual(sampleDataset(ds, { limit: 5, seed: 1 }), ds.samples);
  assert.deepEqual(sampleDataset(ds, { limit: 500, seed: 1 }), ds.samples);
  for (const limit of [0, -1, 2.5])
    assert.throws(
      () => sampleDataset(ds, { limit, seed: 1 }),
      (e) => isEngineError(e) && e.code === 'USAGE',
    );
});

test('within a class the choice is spread by the seed (every image gets picked under some seed)', () => {
  const ds = fakeDataset([20]);
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) for (const s of sampleDataset(ds, { limit: 3, seed })) seen.add(s.relPath);
  assert.equal(seen.size, 20);
});
