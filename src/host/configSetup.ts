/**
 * First run on a model without configuration: where its configuration would be found, which workspace
 * folders look like image datasets, the preprocessing presets, the configuration file written from the
 * user's choice (the model's own `<model>.robustness.json` beside it, paths relative to it, so the choice is
 * visible and versionable), and what a shared robustness.json the model would inherit says.
 */
import { readFileSync } from 'node:fs';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { EngineError } from '../engine/errors';
import { orderPreview } from './classOrderSetup';

export {
  CONFIG_FILE_NAME,
  findConfigFile,
  findSharedConfigFile,
  perModelConfigName,
  perModelConfigPath,
} from '../engine/config/configLocator';

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

/** A path as written in a configuration file: relative to `fromDir`, forward slashes ('.' for the folder itself). */
function relativePath(fromDir: string, to: string): string {
  return relative(fromDir, resolve(to)).split(sep).join('/') || '.';
}

/**
 * Configuration file text for a model: images relative to the model's folder; mean/std when the preset has
 * them; classNames (logit order) when setup's class-order step produced them.
 */
export function configFileText(
  modelPath: string,
  imagesDir: string,
  preset: { mean: number[] | null; std: number[] | null },
  classNames: string[] | null = null,
): string {
  const config: Record<string, unknown> = { images: relativePath(dirname(resolve(modelPath)), imagesDir) };
  if (classNames) config.classNames = classNames;
  if (preset.mean || preset.std) {
    config.input = { ...(preset.mean ? { mean: preset.mean } : {}), ...(preset.std ? { std: preset.std } : {}) };
  }
  return JSON.stringify(config, null, 2) + '\n';
}

/** One line of what a configuration file would give a model: label and value. */
export interface ConfigSummaryLine {
  label: 'Images' | 'Normalisation' | 'Class order' | 'File';
  value: string;
}

/**
 * What a shared robustness.json would give this model, for the "use it or set up separately" question:
 * its image folder, mean/std, class order and path. Read leniently (no schema): a broken file is shown as
 * such here, and a run names the offending field.
 */
export function sharedConfigSummary(configPath: string, modelPath: string): ConfigSummaryLine[] {
  const file = resolve(configPath);
  const modelDir = dirname(resolve(modelPath));
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    config = parsed as Record<string, unknown>;
  } catch (e) {
    return [{ label: 'File', value: `${file} (cannot be read: ${(e as Error).message})` }];
  }
  const rel = (p: unknown) => (typeof p === 'string' ? relativePath(modelDir, resolve(dirname(file), p)) : null);
  const input = (config.input ?? {}) as { mean?: unknown; std?: unknown };
  const nums = (v: unknown) => (Array.isArray(v) ? v.join(', ') : null);
  const mean = nums(input.mean);
  const std = nums(input.std);
  const names = Array.isArray(config.classNames) ? (config.classNames as unknown[]).map(String) : null;
  const images = rel(config.images);
  return [
    { label: 'Images', value: images ?? 'not set' },
    {
      label: 'Normalisation',
      value: mean || std ? [mean && `mean ${mean}`, std && `std ${std}`].filter(Boolean).join(' · ') : 'none (pixels in [0, 1])',
    },
    {
      label: 'Class order',
      value: names
        ? `classNames: ${orderPreview(names)}`
        : typeof config.labels === 'string'
          ? `labels file ${rel(config.labels)}`
          : "not set: the model's metadata names if they fit the folders, else alphabetical folder order",
    },
    { label: 'File', value: file },
  ];
}

/**
 * The models whose user answered "Use it" to a shared robustness.json: model path → that file's path. Kept
 * in the workspace state rather than written as a copy, because "use it" means later edits to the shared
 * file should reach this model too (a copy would fork it silently). A different shared file (a nearer one
 * appears) is asked about again.
 */
export const SHARED_CONFIG_ANSWERS_KEY = 'robustnessLens.sharedConfigAccepted';

function answersOf(stored: unknown): Record<string, string> {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return {};
  return Object.fromEntries(Object.entries(stored).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function sharedConfigAccepted(stored: unknown, modelPath: string, sharedPath: string): boolean {
  return answersOf(stored)[resolve(modelPath)] === resolve(sharedPath);
}

export function withSharedConfigAccepted(stored: unknown, modelPath: string, sharedPath: string): Record<string, string> {
  return { ...answersOf(stored), [resolve(modelPath)]: resolve(sharedPath) };
}
