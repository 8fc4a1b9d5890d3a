/**
 * Paths that arrive from a webview (or any other untrusted side) are resolved only inside a known folder:
 * the text must be a plain relative path (no `..`, no absolute path, no scheme) and, after every symlink
 * is followed, the file must still lie inside the folder and exist.
 */
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { isUnsafeRelativePath } from '../protocol/webviewMessages';

export type Resolved = { ok: true; path: string } | { ok: false; reason: string };

export function resolveInsideFolder(folder: string, relPath: string): Resolved {
  if (typeof relPath !== 'string' || relPath.length === 0 || isUnsafeRelativePath(relPath)) {
    return { ok: false, reason: `${JSON.stringify(relPath)} is not a plain relative path inside the run folder` };
  }
  let root: string, real: string;
  try {
    root = realpathSync(folder);
  } catch {
    return { ok: false, reason: `the run folder ${folder} does not exist` };
  }
  try {
    real = realpathSync(resolve(root, relPath));
  } catch {
    return { ok: false, reason: `${relPath} does not exist in the run folder` };
  }
  if (!real.startsWith(root + sep)) return { ok: false, reason: `${relPath} leads outside the run folder (to ${real})` };
  return { ok: true, path: real };
}
