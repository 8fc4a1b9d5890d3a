/**
 * Where robustness.json is found: beside the model, then each parent up to the workspace folder or the
 * first folder holding .git. Its own module (no schema compilation on import) so the extension host can use
 * it at activation cheaply.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'robustness.json';

export function findConfigFile(modelPath: string, stopAt?: string): string | undefined {
  let dir = dirname(resolve(modelPath));
  const stop = stopAt ? resolve(stopAt) : undefined;
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    if (dir === stop || existsSync(join(dir, '.git'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
