import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { parseLabelsFile, type LabelEntry } from './labelsFile';
import { compareCodePoints, type Ignored, isImageName, listDir, walkImages } from './walk';

export { sampleDataset } from './sampling';

export interface DatasetSample {
  /** Absolute path. */
  path: string;
  /** Relative to the dataset root, '/'-separated. */
  relPath: string;
  label: number;
  className: string;
}

export interface Dataset {
  root: string;
  kind: 'image-folder' | 'flat-with-labels';
  classNames: string[];
  /** Sorted by class index, then relPath (code-point order). */
  samples: DatasetSample[];
  /** Non-image files, hidden entries, unreadable folders, unlabelled images, labels without a file… */
  ignored: Ignored[];
  /**
   * sha256 over the class names and, per sample, relPath + file size + label. No mtimes (copying a
   * dataset changes them but not its content) and no content hash (reading 10,000 files only to open a
   * dataset is too slow); this still changes whenever images are added, removed, relabelled or resized.
   */
  fingerprint: string;
}

export interface DatasetOptions {
  root: string;
  /** Class names in model-output order; without them ImageFolder classes are the sorted folder names. */
  classNames?: string[];
  /** A CSV/JSON labels file (relative to root or absolute) for a flat folder of images. */
  labelsFile?: string;
  /** Number of model outputs: more classes than this is a mismatch. */
  numClasses?: number;
}

const LAYOUT_HELP =
  'expected one subfolder per class containing .png/.jpg/.jpeg images (ImageFolder layout), or a flat folder of images with a labels file (labels.csv / labels.json)';
const AUTO_LABEL_FILES = ['labels.csv', 'labels.json'];

/** Lists a dataset folder (ImageFolder layout, or flat images + labels file) without reading any image. */
export async function openDataset(opts: DatasetOptions): Promise<Dataset> {
  const root = path.resolve(opts.root);
  await checkRoot(root);
  if (opts.classNames) checkClassNames(opts.classNames);
  const ignored: Ignored[] = [];
  const top = await listDir(root, ignored);
  let labelsFile = opts.labelsFile;
  // labels.csv / labels.json are picked up on their own when images lie directly in the root (or there
  // are no subfolders): a root of class folders stays ImageFolder even if it also holds such a file.
  const flatImages = top.files.filter((f) => isImageName(f.name)).length;
  if (labelsFile === undefined && (flatImages > 0 || top.dirs.length === 0))
    labelsFile = AUTO_LABEL_FILES.find((f) => top.files.some((t) => t.name === f));

  const { kind, classNames, found } =
    labelsFile !== undefined
      ? { kind: 'flat-with-labels' as const, ...(await flatWithLabels(root, path.resolve(root, labelsFile), opts, ignored)) }
      : { kind: 'image-folder' as const, ...(await imageFolder(root, top, opts, ignored)) };

  if (found.length === 0) {
    const why =
      kind === 'image-folder' && flatImages > 0
        ? `${flatImages} images lie directly in the folder but there is no labels file; ${LAYOUT_HELP}`
        : LAYOUT_HELP;
    throw new EngineError('DATASET_INVALID', `${root}: no images found (${why})`, { file: root });
  }
  if (opts.numClasses !== undefined && classNames.length > opts.numClasses) {
    const what = kind === 'image-folder' && !opts.classNames ? 'class folders' : 'classes';
    throw new EngineError('LABELS_MISMATCH', `${root}: ${classNames.length} ${what} but the model has ${opts.numClasses} outputs`, {
      file: root,
      hint: 'check that the image folder belongs to this model, or configure the class names in model-output order',
    });
  }
  found.sort((a, b) => a.label - b.label || compareCodePoints(a.relPath, b.relPath));
  const samples = found.map(({ size: _size, ...s }) => s);
  return { root, kind, classNames, samples, ignored, fingerprint: fingerprint(classNames, found) };
}

type Found = DatasetSample & { size: number };

async function checkRoot(root: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EngineError('FILE_NOT_FOUND', `${root}: image folder not found`, { file: root });
    throw new EngineError('FILE_UNREADABLE', `${root}: image folder not readable (${code ?? (e as Error).message})`, {
      file: root,
      cause: e,
    });
  }
  if (!st.isDirectory()) throw new EngineError('DATASET_INVALID', `${root}: not a folder (${LAYOUT_HELP})`, { file: root });
}

function checkClassNames(names: string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string' || n === '')
      throw new EngineError('CONFIG_INVALID', `class names: every name must be a non-empty string, got ${JSON.stringify(n)}`);
    if (seen.has(n)) throw new EngineError('CONFIG_INVALID', `class names: ${JSON.stringify(n)} appears twice`);
    seen.add(n);
  }
}

/**
 * ImageFolder: each non-hidden subfolder is a class, walked recursively. Class index = position in the
 * code-point-sorted folder names (torchvision's find_classes, except hidden folders such as
 * .ipynb_checkpoints are skipped), or the folder's position in the configured class names.
 */
async function imageFolder(
  root: string,
  top: { dirs: string[]; files: { name: string }[] },
  opts: DatasetOptions,
  ignored: Ignored[],
): Promise<{ classNames: string[]; found: Found[] }> {
  for (const f of top.files) {
    ignored.push({
      path: path.join(root, f.name),
      reason: isImageName(f.name) ? 'image outside any class folder' : 'not an image (only .png, .jpg, .jpeg are read)',
    });
  }
  const folders = top.dirs; // already sorted by code point
  let classNames = folders;
  if (opts.classNames) {
    classNames = opts.classNames;
    const unknown = folders.filter((f) => !classNames.includes(f));
    if (unknown.length > 0) {
      throw new EngineError(
        'LABELS_MISMATCH',
        `${root}: class folder${unknown.length > 1 ? 's' : ''} ${list(unknown)} match${unknown.length > 1 ? '' : 'es'} no configured class name; configured names: ${list(classNames)}`,
        {
          file: root,
          hint: 'rename the folders to the class names, or fix the configured class names (they must be in model-output order)',
        },
      );
    }
  }
  const rootReal = await fs.realpath(root);
  const found: Found[] = [];
  for (const folder of folders) {
    const label = classNames.indexOf(folder);
    const dir = path.join(root, folder);
    // A fresh visited set per class: a folder linked into two classes counts in both, as in torchvision.
    const visited = new Set([rootReal, await fs.realpath(dir).catch(() => dir)]);
    const images = await walkImages(dir, `${folder}/`, ignored, visited);
    if (images.length === 0) ignored.push({ path: dir, reason: 'class folder contains no images' });
    for (const img of images) found.push({ ...img, label, className: folder });
  }
  return { classNames, found };
}

/** Flat folder (subfolders allowed) + labels file naming each image's class. */
async function flatWithLabels(
  root: string,
  labelsPath: string,
  opts: DatasetOptions,
  ignored: Ignored[],
): Promise<{ classNames: string[]; found: Found[] }> {
  let text: string;
  try {
    text = await fs.readFile(labelsPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EngineError('FILE_NOT_FOUND', `${labelsPath}: labels file not found`, { file: labelsPath });
    throw new EngineError('FILE_UNREADABLE', `${labelsPath}: labels file not readable (${code ?? (e as Error).message})`, {
      file: labelsPath,
      cause: e,
    });
  }
  const entries = parseLabelsFile(text, labelsPath);
  const labelsName = path.basename(labelsPath);
  const { classNames, labelOf } = resolveLabels(entries, labelsPath, opts);
  const images = await walkImages(root, '', ignored, new Set([await fs.realpath(root)]), (full) => full === labelsPath);
  const byRel = new Map(images.map((img) => [img.relPath, img]));

  const found: Found[] = [];
  const used = new Set<string>();
  let missing = 0;
  for (const e of entries) {
    if (used.has(e.file)) continue; // duplicates were checked in resolveLabels
    used.add(e.file);
    const img = byRel.get(e.file);
    const label = labelOf.get(e.file)!;
    if (img) found.push({ ...img, label, className: classNames[label] });
    else {
      missing++;
      const reason = isImageName(e.file)
        ? `listed in ${labelsName} (${e.where}) but the file does not exist`
        : `listed in ${labelsName} (${e.where}) but not a .png/.jpg/.jpeg file`;
      ignored.push({ path: path.join(root, e.file), reason });
    }
  }
  for (const img of images) if (!used.has(img.relPath)) ignored.push({ path: img.path, reason: `image has no label in ${labelsName}` });
  if (found.length === 0 && entries.length > 0) {
    throw new EngineError(
      'DATASET_INVALID',
      `${root}: no images found: none of the ${missing} files listed in ${labelsPath} exist under the folder (paths must be relative to it)`,
      { file: labelsPath },
    );
  }
  return { classNames, found };
}

/** Maps every labelled file to a class index and decides the class names (see parseLabelsFile for the label rule). */
function resolveLabels(
  entries: LabelEntry[],
  labelsPath: string,
  opts: DatasetOptions,
): { classNames: string[]; labelOf: Map<string, number> } {
  const names = entries.filter((e) => typeof e.label === 'string').map((e) => e.label as string);
  const indices = entries.filter((e) => typeof e.label === 'number').map((e) => e.label as number);
  let classNames: string[];
  if (opts.classNames) {
    classNames = opts.classNames;
    const unknown = [...new Set(names.filter((n) => !classNames.includes(n)))];
    if (unknown.length > 0) {
      throw new EngineError(
        'LABELS_MISMATCH',
        `${labelsPath}: label${unknown.length > 1 ? 's' : ''} ${list(unknown)} match${unknown.length > 1 ? '' : 'es'} no configured class name; configured names: ${list(classNames)}`,
        { file: labelsPath },
      );
    }
    const tooBig = entries.find((e) => typeof e.label === 'number' && e.label >= classNames.length);
    if (tooBig) {
      throw new EngineError(
        'LABELS_MISMATCH',
        `${labelsPath}: ${tooBig.where}: class index ${tooBig.label} but only ${classNames.length} class names are configured`,
        { file: labelsPath },
      );
    }
  } else if (names.length > 0 && indices.length > 0) {
    throw new EngineError(
      'DATASET_INVALID',
      `${labelsPath}: labels mix class indices (e.g. ${indices[0]}) and class names (e.g. ${JSON.stringify(names[0])}); use one kind, or configure the class names`,
      { file: labelsPath },
    );
  } else if (names.length > 0) {
    classNames = [...new Set(names)].sort(compareCodePoints);
  } else {
    const max = indices.reduce((m, i) => Math.max(m, i), -1);
    if (opts.numClasses !== undefined && max >= opts.numClasses) {
      const at = entries.find((e) => e.label === max)!;
      throw new EngineError(
        'LABELS_MISMATCH',
        `${labelsPath}: ${at.where}: class index ${max} but the model has ${opts.numClasses} outputs`,
        { file: labelsPath },
      );
    }
    classNames = Array.from({ length: Math.max(max + 1, opts.numClasses ?? 0) }, (_, i) => String(i));
  }
  const labelOf = new Map<string, number>();
  for (const e of entries) {
    const label = typeof e.label === 'number' ? e.label : classNames.indexOf(e.label);
    const prev = labelOf.get(e.file);
    if (prev !== undefined && prev !== label) {
      throw new EngineError(
        'DATASET_INVALID',
        `${labelsPath}: ${JSON.stringify(e.file)} is listed twice with different labels (${classNames[prev]} and ${classNames[label]}; second at ${e.where})`,
        { file: labelsPath },
      );
    }
    labelOf.set(e.file, label);
  }
  return { classNames, labelOf };
}

function fingerprint(classNames: string[], found: Found[]): string {
  const h = createHash('sha256');
  h.update(`classes\t${JSON.stringify(classNames)}\n`);
  for (const s of found) h.update(`${s.relPath}\t${s.size}\t${s.label}\n`);
  return h.digest('hex');
}

/** A short quoted list for messages (long lists are cut). */
function list(items: string[], max = 20): string {
  const shown = items
    .slice(0, max)
    .map((s) => JSON.stringify(s))
    .join(', ');
  return items.length > max ? `${shown} … (${items.length} in all)` : shown;
}
