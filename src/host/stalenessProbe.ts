/**
 * The staleness check's view of the disk (runMatch.ts's StalenessProbe): file facts by stat, the model's
 * sha256 streamed (a large model never sits in memory whole, nor blocks the extension host while hashed),
 * and the configuration file a new run would read, as the engine finds it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { findConfigFile } from './configSetup';
import type { StalenessProbe } from './runMatch';

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** `workspaceRootOf`: where the search for robustness.json stops, as the engine's request gives it. */
export function diskStalenessProbe(workspaceRootOf: (modelPath: string) => string | undefined): StalenessProbe {
  return {
    stat: (path) => {
      try {
        const s = statSync(path);
        return s.isFile() ? { mtimeMs: s.mtimeMs, size: s.size } : null;
      } catch {
        return null;
      }
    },
    sha256: sha256File,
    configFileFor: (modelPath) => findConfigFile(modelPath, workspaceRootOf(modelPath)) ?? null,
  };
}
