/**
 * Per-checkpoint results cached by what decides them: the model file's sha256, the preprocessing and class
 * order, the sampled images (their paths, labels and bytes), the seed, the attacks' settings and the tool
 * version. A new checkpoint in the folder then costs one model's work; any change to these fields misses.
 * One JSON file per key, written atomically; a damaged or foreign file is a miss (recomputed and rewritten).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CheckpointResult } from '../../protocol/checkpoints';
import { writeFileAtomic } from '../util/atomicWrite';
import { canonicalJson, sha256Hex } from '../util/hash';

/** Bumped when the way a result is computed changes without a tool version change. */
export const CHECKPOINT_CACHE_VERSION = 1;

export interface CheckpointCacheFields {
  modelSha256: string;
  /** The resolved preprocessing, class names and labels file (the configuration's parts that change results). */
  preprocessing: unknown;
  classNames: string[] | null;
  labelsFile: string | null;
  /** sha256 over the sampled images' paths, labels and bytes. */
  images: string;
  seed: number;
  norm: 'l2' | 'linf';
  epsilon: number;
  pgdSteps: number;
  pgdAlpha: number;
  cutoff: number;
  toolVersion: string;
}

/** The default cache of a checkpoint folder, beside the checkpoints: `<folder>/.robustness/checkpoint-cache`. */
export function defaultCheckpointCacheDir(folder: string): string {
  return join(resolve(folder), '.robustness', 'checkpoint-cache');
}

export function checkpointCacheKey(fields: CheckpointCacheFields): string {
  return sha256Hex(canonicalJson({ cacheVersion: CHECKPOINT_CACHE_VERSION, ...fields }));
}

interface CacheFile {
  version: number;
  key: string;
  fields: CheckpointCacheFields;
  result: CheckpointResult;
}

function isResult(r: unknown): r is CheckpointResult {
  const o = r as Partial<Record<keyof CheckpointResult, unknown>> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.images === 'number' &&
    typeof o.cleanTop1 === 'number' &&
    Array.isArray(o.attacks) &&
    o.attacks.every((a: unknown) => typeof (a as { robustTop1?: unknown })?.robustTop1 === 'number')
  );
}

export class CheckpointCache {
  constructor(readonly dir: string | null) {}

  private file(key: string): string {
    return join(this.dir!, `${key}.json`);
  }

  /** The cached result of a key, or null (no cache, no file, or a file that is not this key's result). */
  get(key: string): CheckpointResult | null {
    if (!this.dir) return null;
    try {
      const parsed = JSON.parse(readFileSync(this.file(key), 'utf8')) as Partial<CacheFile>;
      return parsed.version === CHECKPOINT_CACHE_VERSION && parsed.key === key && isResult(parsed.result) ? parsed.result : null;
    } catch {
      return null;
    }
  }

  put(key: string, fields: CheckpointCacheFields, result: CheckpointResult): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const body: CacheFile = { version: CHECKPOINT_CACHE_VERSION, key, fields, result };
    writeFileAtomic(this.file(key), JSON.stringify(body, null, 2) + '\n');
  }
}
