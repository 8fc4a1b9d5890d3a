/**
 * Where a model's configuration is found, in this order:
 *   1. `<model-stem>.robustness.json` beside the model (its own file: `resnet.onnx` → `resnet.robustness.json`);
 *   2. `robustness.json` beside the model, then in each parent up to the workspace folder or the first
 *      folder holding .git (a file shared by every model below it).
 * One locator for the engine, the CLI and the extension, so what setup finds is what a run uses. Its own
 * module (no schema compilation on import) so the extension host can use it at activation cheaply.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';

/** The shared file's name. */
export const CONFIG_FILE_NAME = 'robustness.json';
/** What follows the model's stem in its own file's name. */
export const PER_MODEL_CONFIG_SUFFIX = '.robustness.json';

/** `resnet.onnx` → `resnet.robustness.json` (the stem is the file name without its .onnx extension). */
export function perModelConfigName(modelPath: string): string {
  const name = basename(modelPath);
  const stem = extname(name).toLowerCase() === '.onnx' ? name.slice(0, -'.onnx'.length) : name;
  return stem + PER_MODEL_CONFIG_SUFFIX;
}

/** The model's own configuration file (which may not exist). */
export function perModelConfigPath(modelPath: string): string {
  return join(dirname(resolve(modelPath)), perModelConfigName(modelPath));
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** The configuration a run of this model uses: its own file if there is one, else the nearest shared file. */
export function findConfigFile(modelPath: string, stopAt?: string): string | undefined {
  const own = perModelConfigPath(modelPath);
  return isFile(own) ? own : findSharedConfigFile(modelPath, stopAt);
}

/** The nearest `robustness.json` beside the model or above it (what the model inherits without a file of its own). */
export function findSharedConfigFile(modelPath: string, stopAt?: string): string | undefined {
  let dir = dirname(resolve(modelPath));
  const stop = stopAt ? resolve(stopAt) : undefined;
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (isFile(candidate)) return candidate;
    if (dir === stop || existsSync(join(dir, '.git'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
