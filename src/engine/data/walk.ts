import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Python-style string order (by code point), so '10' < '2' and astral characters sort last, as sorted() does. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (part of a code point ≥ U+10000) sorts after every BMP character in code-point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export interface FoundImage {
  path: string;
  /** Relative to the walk's root, '/'-separated on every platform. */
  relPath: string;
  size: number;
}

export interface Ignored {
  path: string;
  reason: string;
}

/** A folder's entries, sorted, with symlinks resolved; hidden entries and unreadable folders are reported. */
export async function listDir(dir: string, ignored: Ignored[]): Promise<{ dirs: string[]; files: { name: string; size: number }[] }> {
  const dirs: string[] = [];
  const files: { name: string; size: number }[] = [];
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort(compareCodePoints);
  } catch (e) {
    ignored.push({ path: dir, reason: `folder not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    return { dirs, files };
  }
  const stats = await Promise.all(names.map((n) => fs.stat(path.join(dir, n)).catch((e: NodeJS.ErrnoException) => e)));
  names.forEach((name, i) => {
    const full = path.join(dir, name);
    const st = stats[i];
    if (name.startsWith('.')) ignored.push({ path: full, reason: 'hidden' });
    else if (st instanceof Error)
      ignored.push({ path: full, reason: st.code === 'ENOENT' ? 'broken symlink' : `not readable (${st.code ?? st.message})` });
    else if (st.isDirectory()) dirs.push(name);
    else if (st.isFile()) files.push({ name, size: st.size });
    else ignored.push({ path: full, reason: 'not a regular file' });
  });
  return { dirs, files };
}

/**
 * All images under `dir` (recursively, following symlinks), relPaths prefixed with `relPrefix`.
 * `visited` holds the real paths of folders already walked: a symlink back to one of them (a loop, or the
 * same folder twice) is reported and not entered again, so a walk always terminates.
 */
export async function walkImages(
  dir: string,
  relPrefix: string,
  ignored: Ignored[],
  visited: Set<string>,
  skip?: (full: string) => boolean,
): Promise<FoundImage[]> {
  const { dirs, files } = await listDir(dir, ignored);
  const out: FoundImage[] = [];
  for (const f of files) {
    const full = path.join(dir, f.name);
    if (skip?.(full)) continue;
    if (isImageName(f.name)) out.push({ path: full, relPath: relPrefix + f.name, size: f.size });
    else ignored.push({ path: full, reason: 'not an image (only .png, .jpg, .jpeg are read)' });
  }
  for (const d of dirs) {
    const full = path.join(dir, d);
    const real = await fs.realpath(full).catch(() => full);
    if (visited.has(real)) {
      ignored.push({ path: full, reason: `symlink to a folder already walked (${real}): not followed again` });
      continue;
    }
    visited.add(real);
    out.push(...(await walkImages(full, `${relPrefix}${d}/`, ignored, visited, skip)));
  }
  return out;
}
