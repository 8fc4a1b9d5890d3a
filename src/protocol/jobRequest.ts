/**
 * What every job starts from: the model, its robustness.json (found or given) and the overrides of it
 * (flags, VS Code settings). The overrides mirror schemas/robustness.schema.json, with bounds on sizes.
 */
import type { ConfigOverrides } from '../engine/config/runConfig';
import { MAX_PATH } from './limits';
import {
  array,
  boolean,
  either,
  integer,
  number,
  object,
  oneOf,
  optional,
  string,
  tuple,
  type Infer,
  type MutuallyAssignable,
} from './schema';

const path = string({ max: MAX_PATH });
const numberList = array(number(), { min: 1, max: 4, message: 'must be a list of 1–4 numbers' });
const side = integer({ min: 1, max: 16384 });

const inputOverrides = object({
  name: optional(string({ max: 1000 })),
  layout: optional(oneOf(['NCHW', 'NHWC', 'NHW', 'flat'])),
  size: optional(either(Array.isArray, tuple([side, side], { message: 'must be a number or [height, width]' }), side)),
  channels: optional(oneOf(['gray', 'rgb', 'bgr'])),
  pixelScale: optional(oneOf([1, 255], { message: 'must be 1 or 255' })),
  mean: optional(numberList),
  std: optional(numberList),
  resize: optional(oneOf(['stretch', 'center-crop', 'shorter-side-crop', 'none'])),
  resizeFilter: optional(oneOf(['nearest', 'bilinear', 'bicubic', 'lanczos', 'area'])),
  resizeShorterTo: optional(integer({ min: 1 })),
});

const runtimeOverrides = object({
  executionProvider: optional(oneOf(['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'])),
  strictProvider: optional(boolean()),
  threads: optional(integer({ min: 0, max: 256 })),
  batchSize: optional(integer({ min: 1, max: 65536 })),
});

export const configOverridesSchema = object({
  images: optional(path),
  labels: optional(path),
  classNames: optional(array(string({ max: 1000 }), { min: 1, max: 100_000, message: 'must be a non-empty list' })),
  input: optional(inputOverrides),
  runtime: optional(runtimeOverrides),
  limit: optional(integer({ min: 1 })),
  seed: optional(integer({ min: 0, max: 4294967295 })),
});

export const jobRequestSchema = object({
  modelPath: path,
  /** Explicit robustness.json; otherwise searched next to the model and upwards. */
  configPath: optional(path),
  /** Where the upward search for robustness.json stops (the workspace folder). */
  workspaceRoot: optional(path),
  overrides: optional(configOverridesSchema),
  /** Scale-out: run only shard `index` of `count` of the sample (src/engine/shard/shard.ts). */
  shard: optional(object({ index: integer({ min: 0 }), count: integer({ min: 1 }) })),
});

// The overrides are robustness.json's fields (src/engine/config/configFile.ts, checked against its JSON schema):
// this fails to compile when the two drift apart. `gates` is the one exception: `check` reads it from the
// file, and no job run through this protocol is gated.
const _overridesMatchConfigFile: MutuallyAssignable<Infer<typeof configOverridesSchema>, Omit<ConfigOverrides, 'gates'>> = true;
void _overridesMatchConfigFile;
