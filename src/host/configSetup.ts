/**
 * First run on a model without configuration: where robustness.json would be found, which workspace
 * folders look like image datasets, the preprocessing presets, and the robustness.json written from the
 * user's choice (beside the model, paths relative to it, so the choice is visible and versionable).
 */
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { EngineError } from '../engine/errors';

export { CONFIG_FILE_NAME, findConfigFile } from '../engine/config/configLocator';

export interface PreprocessingPreset {
  id: 'none' | 'imagenet' | 'cifar10' | 'custom';
  label: string;
  detail: string;
  mean: number[] | null;
  std: number[] | null;
}

export const PREPROCESSING_PRESETS: PreprocessingPreset[] = [
  { id: 'none', label: 'None', detail: 'pixels in [0, 1], no mean/std normalisation', mean: null, std: null },
  {
    id: 'imagenet',
    label: 'ImageNet mean/std',
    detail: 'mean 0.485, 0.456, 0.406 · std 0.229, 0.224, 0.225 (torchvision models)',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  {
    id: 'cifar10',
    label: 'CIFAR-10 mean/std',
    detail: 'mean 0.4914, 0.4822, 0.4465 · std 0.2470, 0.2435, 0.2616',
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
  },
  { id: 'custom', label: 'Custom…', detail: 'enter the per-channel mean and std', mean: null, std: null },
];

/** "0.5, 0.5, 0.5" → [0.5, 0.5, 0.5]: one or three numbers (or four), std strictly positive. */
export function parseChannelValues(text: string, what: 'mean' | 'std'): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const values = parts.map(Number);
  if (parts.length < 1 || parts.length > 4 || values.some((v) => !Number.isFinite(v) || (what === 'std' && v <= 0))) {
    throw new EngineError(
      'USAGE',
      `${what} "${text}": expected 1 to 4 ${what === 'std' ? 'positive ' : ''}numbers separated by commas, e.g. ${what === 'std' ? '0.229, 0.224, 0.225' : '0.485, 0.456, 0.406'}`,
    );
  }
  return values;
}

export interface ImageFolderCandidate {
  /** Folder, relative to the workspace folder, with forward slashes ('' = the workspace folder itself). */
  folder: string;
  layout: 'class-folders' | 'flat';
  images: number;
  /** Class subfolders (class-folders layout). */
  classes: number;
}

/**
 * Dataset roots among the images of a workspace (paths relative to it, forward slashes): a folder whose
 * subfolders hold images is a class-folder dataset (torchvision ImageFolder); a folder holding images
 * directly, whose parent is not such a root, is a flat folder. Largest first.
 */
export function imageFolderCandidates(imagePaths: string[]): ImageFolderCandidate[] {
  const perDir = new Map<string, number>();
  for (const p of imagePaths) {
    const dir = posix.dirname(p) === '.' ? '' : posix.dirname(p);
    perDir.set(dir, (perDir.get(dir) ?? 0) + 1);
  }
  const roots = new Map<string, { images: number; classes: number }>();
  for (const [dir, n] of perDir) {
    if (dir === '') continue;
    const parent = posix.dirname(dir) === '.' ? '' : posix.dirname(dir);
    const r = roots.get(parent) ?? { images: 0, classes: 0 };
    r.images += n;
    r.classes += 1;
    roots.set(parent, r);
  }
  const out: ImageFolderCandidate[] = [];
  for (const [folder, r] of roots) if (r.classes >= 2) out.push({ folder, layout: 'class-folders', images: r.images, classes: r.classes });
  const classRoots = new Set(out.map((c) => c.folder));
  for (const [dir, n] of perDir) {
    const parent = posix.dirname(dir) === '.' ? '' : posix.dirname(dir);
    if (!classRoots.has(parent) || dir === '') out.push({ folder: dir, layout: 'flat', images: n, classes: 0 });
  }
  return out.sort((a, b) => b.images - a.images || a.folder.localeCompare(b.folder));
}

/** robustness.json text for a model: images relative to the model's folder; mean/std when the preset has them. */
export function configFileText(modelPath: string, imagesDir: string, preset: { mean: number[] | null; std: number[] | null }): string {
  const rel =
    relative(dirname(resolve(modelPath)), resolve(imagesDir))
      .split(sep)
      .join('/') || '.';
  const config: Record<string, unknown> = { images: rel };
  if (preset.mean || preset.std) {
    config.input = { ...(preset.mean ? { mean: preset.mean } : {}), ...(preset.std ? { std: preset.std } : {}) };
  }
  return JSON.stringify(config, null, 2) + '\n';
}
