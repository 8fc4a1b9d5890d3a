/** Shards partition the sample; the shard comes from --shard or the scheduler's environment, and bad values are usage errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetSample } from '../../../src/engine/data/dataset';
import { parseShard, resolveShard, sampleFingerprint, shardFromEnv, takeShard } from '../../../src/engine/shard/shard';

const sample = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => ({ relPath: `c${i % 3}/${i}.png`, label: i % 3, className: `c${i % 3}` }) as unknown as DatasetSample,
  );

test('the shards of a sample partition it, each in sample order, every shard recording the same whole-sample fingerprint', () => {
  for (const [size, n] of [
    [24, 3],
    [10, 4],
    [2, 3],
    [7, 1],
  ]) {
    const all = sample(size);
    const parts = Array.from({ length: n }, (_, i) => takeShard(all, { index: i, count: n }));
    const positions = parts.flatMap((p) => p.base.images).sort((a, b) => a - b);
    assert.deepEqual(
      positions,
      all.map((_, p) => p),
    );
    for (const p of parts) {
      assert.deepEqual(
        p.samples,
        p.base.images.map((i) => all[i]),
      );
      assert.deepEqual(
        p.base.relPaths,
        p.samples.map((s) => s.relPath),
      );
      assert.equal(p.base.sampleFingerprint, sampleFingerprint(all));
      assert.equal(p.base.sampledImages, size);
    }
  }
  assert.notEqual(sampleFingerprint(sample(5)), sampleFingerprint(sample(6)));
});

test('parseShard: i/n with 0 ≤ i < n; anything else is a usage error naming the range', () => {
  assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
  assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
  assert.throws(() => parseShard('3/2'), /shard index 3 is out of range 0…1/);
  assert.throws(() => parseShard('2/2'), /out of range/);
  assert.throws(() => parseShard('0/0'), /at least 1/);
  assert.throws(() => parseShard('-1/2'), /expected i\/n/);
  assert.throws(() => parseShard('1'), /expected i\/n/);
});

test('the environment: Kubernetes Indexed Job, Slurm array from its minimum, --shard first, neither: unsharded', () => {
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '5' }), { index: 2, count: 5 });
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }), {
    index: 3,
    count: 4,
  });
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }), { index: 0, count: 2 });
  assert.equal(shardFromEnv({}), null);
  assert.deepEqual(resolveShard('0/2', { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '2' }), { index: 0, count: 2 });
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' }), /JOB_COMPLETIONS is not/);
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' }), /out of range 0…3/);
  // an array numbered 1…4 without SLURM_ARRAY_TASK_MIN would put task 4 out of range: it says so
  assert.throws(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' }), /out of range/);
  assert.throws(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' }), /expected a whole number/);
});
