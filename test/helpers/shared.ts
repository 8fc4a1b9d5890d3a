/** Locating ../shared (real models, images and references) and skipping clearly when it is absent. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
export const HAVE_SHARED = existsSync(resolve(SHARED, 'models', 'models.json'));
export const SKIP_NO_SHARED = HAVE_SHARED
  ? false
  : `${SHARED} not found: tests on the shared models and images are skipped (CI always has it)`;

export interface SharedModelEntry {
  name: string;
  file: string;
  dataset: string | null;
  input_name: string;
  input_shape: (number | string)[];
  mean: number[] | null;
  std: number[] | null;
  class_names: string[] | null;
  clean_top1_correct?: number;
  num_test_images?: number;
  num_parameters: number;
  op_counts?: Record<string, number>;
  opset: number;
}

export function sharedManifest(): SharedModelEntry[] {
  return (JSON.parse(readFileSync(resolve(SHARED, 'models', 'models.json'), 'utf8')) as { models: SharedModelEntry[] }).models;
}

export function sharedPath(...parts: string[]): string {
  return resolve(SHARED, ...parts);
}
