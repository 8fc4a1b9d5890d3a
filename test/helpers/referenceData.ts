/**
 * The committed reference results of the authors' implementations (test/fixtures/reference/, made by
 * scripts/reference/*.py) and the image folders to run ours on the same images: each reference lists its images
 * by path relative to ../shared; they are copied into a temporary folder (one subfolder per class), so our
 * sampler takes exactly those images (no --limit), in the same class order.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { JobRequest } from '../../src/engine/jobs/prepare';
import { HAVE_SHARED, REPO_ROOT, sharedManifest, sharedPath } from './shared';

export const REFERENCE_DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'reference');

/** The parsed reference file, or a skip message naming what is missing. */
export function loadReference<T>(file: string): { data: T | null; skip: string | false } {
  const path = resolve(REFERENCE_DIR, file);
  if (!HAVE_SHARED) return { data: null, skip: `../shared not found: the comparison with ${file} is skipped` };
  if (!existsSync(path))
    return { data: null, skip: `${path} not found: run scripts/reference/ (see its README) to make it; comparison skipped` };
  return { data: JSON.parse(readFileSync(path, 'utf8')) as T, skip: false };
}

/** Copies the listed shared images (datasets/<set>/<class>/<file>) into a fresh folder; returns it. */
export function imageFolder(paths: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'rl-reference-'));
  for (const p of paths) {
    const cls = basename(dirname(p));
    mkdirSync(join(dir, cls), { recursive: true });
    copyFileSync(sharedPath(p), join(dir, cls, basename(p)));
  }
  return dir;
}

/** A job request for a shared model on a folder: its class order and preprocessing from models.json. */
export function sharedModelRequest(model: string, images: string, seed = 0): JobRequest {
  const m = sharedManifest().find((e) => e.name === model);
  if (!m) throw new Error(`models.json has no model ${model}`);
  return {
    modelPath: sharedPath('models', m.file),
    overrides: {
      images,
      seed,
      ...(m.class_names ? { classNames: m.class_names } : {}),
      ...(m.mean && m.std ? { input: { mean: m.mean, std: m.std } } : {}),
      runtime: { executionProvider: 'cpu', threads: 1 },
    },
  };
}
