/**
 * Scale-out: shard i of n takes every n-th image of the seeded stratified sample (sample positions p with
 * p mod n = i), so the shards partition the sample whatever its size, and each shard's report records which
 * images it ran and the whole sample's fingerprint for `merge` to check completeness and sameness.
 */
import { createHash } from 'node:crypto';
import type { DatasetSample } from '../data/dataset';
import { EngineError } from '../errors';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** What a shard's report says about the whole sample and its part of it. */
export interface ShardBase extends Shard {
  /** Images in the whole (unsharded) sample. */
  sampledImages: number;
  /** sha256 of the whole sample's relPaths and labels, in sample order. */
  sampleFingerprint: string;
  /** Positions in the whole sample of this shard's images, and their relPaths (same order). */
  images: number[];
  relPaths: string[];
}

/** `i/n` with 0 ≤ i < n. */
export function parseShard(text: string, source = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new EngineError('USAGE', `${source} ${text}: expected i/n, e.g. --shard 0/4 (shard 0 of 4)`);
  return checkShard(Number(m[1]), Number(m[2]), source);
}

function checkShard(index: number, count: number, source: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new EngineError('USAGE', `${source}: the shard count must be at least 1, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new EngineError(
      'USAGE',
      `${source}: shard index ${index} is out of range 0…${count - 1} for ${count} shard${count > 1 ? 's' : ''}`,
      {
        hint: 'shards are numbered from 0: --shard 0/3, 1/3, 2/3',
      },
    );
  return { index, count };
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number {
  const text = env[name]!;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n)) throw new EngineError('USAGE', `${name}=${text}: expected a whole number`);
  return n;
}

/**
 * The shard from the scheduler's environment, when no --shard was given: Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX of JOB_COMPLETIONS — the latter is not set by Kubernetes itself; the manifest passes
 * spec.completions in) or Slurm job arrays (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, counted from
 * SLURM_ARRAY_TASK_MIN, as --array=1-4 numbers tasks 1…4). Neither set: null (the whole sample).
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): Shard | null {
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (env.JOB_COMPLETIONS === undefined)
      throw new EngineError('USAGE', `JOB_COMPLETION_INDEX=${env.JOB_COMPLETION_INDEX} is set but JOB_COMPLETIONS is not`, {
        hint: "pass the Job's spec.completions to the container as JOB_COMPLETIONS (see docs/k8s-indexed-job.yaml), or use --shard i/n",
      });
    return checkShard(envInteger(env, 'JOB_COMPLETION_INDEX'), envInteger(env, 'JOB_COMPLETIONS'), 'JOB_COMPLETION_INDEX/JOB_COMPLETIONS');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    if (env.SLURM_ARRAY_TASK_COUNT === undefined)
      throw new EngineError('USAGE', `SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID} is set but SLURM_ARRAY_TASK_COUNT is not`);
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? envInteger(env, 'SLURM_ARRAY_TASK_MIN') : 0;
    return checkShard(
      envInteger(env, 'SLURM_ARRAY_TASK_ID') - min,
      envInteger(env, 'SLURM_ARRAY_TASK_COUNT'),
      'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (less SLURM_ARRAY_TASK_MIN)',
    );
  }
  return null;
}

/** --shard first, else the environment; null: unsharded. */
export function resolveShard(flag: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  return flag !== undefined ? parseShard(flag) : shardFromEnv(env);
}

export function sampleFingerprint(samples: readonly DatasetSample[]): string {
  const h = createHash('sha256');
  for (const s of samples) h.update(`${s.label}\t${s.relPath}\n`);
  return h.digest('hex');
}

/** The shard's part of the sample, in sample order, with the record its report carries. */
export function takeShard(samples: readonly DatasetSample[], shard: Shard): { samples: DatasetSample[]; base: ShardBase } {
  const images = samples.flatMap((_, p) => (p % shard.count === shard.index ? [p] : []));
  const part = images.map((p) => samples[p]);
  return {
    samples: part,
    base: {
      ...shard,
      sampledImages: samples.length,
      sampleFingerprint: sampleFingerprint(samples),
      images,
      relPaths: part.map((s) => s.relPath),
    },
  };
}
