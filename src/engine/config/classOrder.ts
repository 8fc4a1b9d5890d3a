/**
 * Which class name (folder) goes with which model output, and where that order came from. A wrong order is
 * silent and ruinous (every accuracy, attack and defence figure is built on it), so a run always records
 * its source, and class names the model carries in its metadata are used when they fit the folders.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareCodePoints, isImageName } from '../data/walk';
import { classNamesFromMetadata, type MetadataClassNames } from '../onnx/metadataClassNames';

export type ClassOrderSource =
  /** --class-names */
  | 'flag'
  /** "classNames" in the configuration file */
  | 'config'
  /** a class-names file (.txt / JSON array) given as labels, by flag or configuration */
  | 'labels-file'
  /** the model's own metadata_props, matched against the class folders */
  | 'model-metadata'
  /** class folders named 0…N−1 (N ≤ 10, where sorted order and index order agree) */
  | 'folder-indices'
  /** class folders in sorted (code-point) order, as torchvision's ImageFolder: not checked against the model */
  | 'folders-sorted'
  /** a flat folder with per-image labels (indices, or names in the labels file's order) */
  | 'per-image-labels'
  /** no image folder configured, or no class folders found in it */
  | 'unknown';

export interface ClassOrder {
  source: ClassOrderSource;
  /** One phrase for reports and panels, e.g. 'the model\'s metadata "names" (10 names, matched to the class folders by name)'. */
  description: string;
}

/** Labels files the dataset reader picks up by itself in a flat folder (src/engine/data/dataset.ts). */
const AUTO_LABEL_FILES = new Set(['labels.csv', 'labels.json']);

/**
 * The class folders of an ImageFolder-layout image folder, sorted by code point as the dataset reader sorts
 * them; null when the folder is not one (images directly inside, no subfolders) or cannot be read — opening
 * the dataset then says what is wrong. Lists one folder: cheap enough to call while resolving a configuration.
 */
export function listClassFolders(imagesDir: string): string[] | null {
  let entries;
  try {
    entries = readdirSync(imagesDir, { withFileTypes: true });
  } catch {
    return null;
  }
  const dirs: string[] = [];
  let rootImages = false;
  let autoLabels = false;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = statSync(join(imagesDir, e.name)).isDirectory();
      } catch {
        continue;
      }
    }
    if (isDir) dirs.push(e.name);
    else if (isImageName(e.name)) rootImages = true;
    else if (AUTO_LABEL_FILES.has(e.name)) autoLabels = true;
  }
  // The dataset reader's rule: images in the root plus labels.csv/json make a flat folder with labels.
  if (dirs.length === 0 || (rootImages && autoLabels)) return null;
  return dirs.sort(compareCodePoints);
}

/** Folders named exactly "0", "1", …, "N−1" (no leading zeros): the names are the output indices. */
export function isIndexFolders(folders: string[]): boolean {
  const set = new Set(folders);
  return folders.length > 0 && folders.every((_, i) => set.has(String(i)));
}

/** How metadata class names relate to the class folders: usable, or why not (which names differ). */
export type MetadataFit = { fits: true; unusedNames: string[] } | { fits: false; reason: string };

export function metadataFit(names: string[], folders: string[], numOutputs: number | null): MetadataFit {
  if (numOutputs !== null && names.length !== numOutputs)
    return { fits: false, reason: `it lists ${names.length} names but the model has ${numOutputs} outputs` };
  const known = new Set(names);
  const missing = folders.filter((f) => !known.has(f));
  if (missing.length > 0) {
    const some = listSome(missing);
    return {
      fits: false,
      reason: `folder${missing.length > 1 ? 's' : ''} ${some} ${missing.length > 1 ? 'are' : 'is'} not among its names (${listSome(names)})`,
    };
  }
  const present = new Set(folders);
  return { fits: true, unusedNames: names.filter((n) => !present.has(n)) };
}

/** 'a, b, c, … (12 in all)' */
export function listSome(names: string[], max = 6): string {
  const shown = names
    .slice(0, max)
    .map((n) => JSON.stringify(n))
    .join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * The class order of an image folder when nothing configures it: the model's metadata names when they fit
 * the folders (their order is the model's own), else the folders in sorted order (ImageFolder), which
 * nothing checks against the model — said as much.
 */
export function inferClassOrder(
  imagesDir: string | null,
  metadata: Record<string, string>,
  numOutputs: number | null,
): { classNames: string[] | null; order: ClassOrder } {
  const folders = imagesDir === null ? null : listClassFolders(imagesDir);
  if (!folders) {
    return {
      classNames: null,
      order: {
        source: imagesDir === null ? 'unknown' : 'per-image-labels',
        description: imagesDir === null ? 'no image folder' : 'no class folders: labels as the image folder gives them',
      },
    };
  }
  const meta: MetadataClassNames | null = classNamesFromMetadata(metadata);
  const fit = meta ? metadataFit(meta.names, folders, numOutputs) : null;
  if (meta && fit?.fits) {
    const subset = fit.unusedNames.length > 0 ? `; ${fit.unusedNames.length} of its classes have no folder` : '';
    return {
      classNames: meta.names,
      order: {
        source: 'model-metadata',
        description: `the model's metadata "${meta.key}" (${meta.names.length} names, matched to the class folders by name${subset})`,
      },
    };
  }
  const unmatched = meta && fit && !fit.fits ? `; the model's metadata "${meta.key}" was not used: ${fit.reason}` : '';
  if (isIndexFolders(folders) && folders.length <= 10)
    return {
      classNames: null,
      order: { source: 'folder-indices', description: `class folders 0…${folders.length - 1} are the output indices${unmatched}` },
    };
  const codePoint = isIndexFolders(folders) ? ' — "10" sorts before "2"' : '';
  return {
    classNames: null,
    order: {
      source: 'folders-sorted',
      description: `folder names in alphabetical order (ImageFolder${codePoint}); not checked against the model${unmatched}`,
    },
  };
}
