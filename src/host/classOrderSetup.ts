/**
 * Setup's class-order step, vscode-free: which question to ask for a class-folder dataset (none when the
 * folders are the output indices 0…9), the choices offered (the model's own metadata names when they fit
 * the folders, alphabetical ImageFolder order, a class-names file, typed names), and the checks every
 * answer passes before it is written as `classNames` (one name per model output, every folder named).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isIndexFolders, listSome, metadataFit } from '../engine/config/classOrder';
import { readLabelsSource } from '../engine/config/labelsSource';
import { EngineError } from '../engine/errors';
import { classNamesFromMetadata, type MetadataClassNames } from '../engine/onnx/metadataClassNames';
import { describeModel } from '../engine/onnx/modelInfo';
import { decodeModel } from '../engine/onnx/onnxProto';

export { listClassFolders } from '../engine/config/classOrder';

/** What setup needs to know about the model's outputs. */
export interface ModelClassFacts {
  /** Number of scores the model outputs (null: not fixed in the file). */
  numOutputs: number | null;
  metadataNames: MetadataClassNames | null;
}

/**
 * The model's output count and metadata class names, read in the extension host from the file alone: the
 * protobuf is decoded with zero-copy views (no onnxruntime, no weights touched), so even a large model costs
 * one file read. An unreadable model gives no facts: setup still asks, and a run will say what is wrong.
 */
export async function readModelClassFacts(modelPath: string): Promise<ModelClassFacts> {
  try {
    const bytes = await readFile(modelPath);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const proto = decodeModel(view, modelPath);
    const info = describeModel({ path: resolve(modelPath), sizeBytes: view.length, sha256: '', proto, externalDataFiles: [] });
    return { numOutputs: info.output.numClasses, metadataNames: classNamesFromMetadata(info.metadata) };
  } catch {
    return { numOutputs: null, metadataNames: null };
  }
}

export type ClassOrderChoice =
  | { kind: 'indices' | 'metadata'; label: string; detail: string; classNames: string[] }
  /**
   * classNames null: nothing to write, the engine's default is that same order — where the folders are fewer
   * than the outputs (a subset mapped to the first outputs, which a list of names cannot say).
   * `refused`: why it cannot be the answer (more folders than outputs: every run would be refused).
   */
  | { kind: 'alphabetical'; label: string; detail: string; classNames: string[] | null; refused?: string }
  /** Metadata names that do not fit the folders: shown with the reason, not selectable as an answer. */
  | { kind: 'metadata-mismatch'; label: string; detail: string }
  | { kind: 'file' | 'type'; label: string; detail: string };

export type ClassOrderPlan =
  /** No question: `classNames` to write (null: nothing to write), and why. */
  { ask: false; classNames: string[] | null; why: string } | { ask: true; folders: string[]; choices: ClassOrderChoice[] };

/** "0 ankle-boot · 1 bag · 2 coat · … · 9 trouser": the order an answer gives, briefly. */
export function orderPreview(names: string[], max = 4): string {
  const shown = (i: number) => `${i} ${names[i]}`;
  if (names.length <= max + 1) return names.map((_, i) => shown(i)).join(' · ');
  return [...names.slice(0, max).map((_, i) => shown(i)), '…', shown(names.length - 1)].join(' · ');
}

/**
 * The class-order question for an image folder's class folders (sorted as the dataset reader sorts them;
 * null = not a class-folder dataset). Folders named 0…N−1 are the output indices and, up to ten of them,
 * also their sorted order: no question. Beyond ten, sorted order puts "10" before "2", which is right for a
 * model trained with ImageFolder on those folders and wrong for one trained on index labels: asked.
 */
export function classOrderPlan(folders: string[] | null, facts: ModelClassFacts): ClassOrderPlan {
  if (!folders || folders.length === 0)
    return { ask: false, classNames: null, why: 'not a class-folder dataset: the labels file gives each image its class' };
  const n = folders.length;
  if (isIndexFolders(folders) && n <= 10) return { ask: false, classNames: null, why: `class folders 0…${n - 1} are the output indices` };

  const choices: ClassOrderChoice[] = [];
  const meta = facts.metadataNames;
  if (meta) {
    const fit = metadataFit(meta.names, folders, facts.numOutputs);
    if (fit.fits) {
      const subset = fit.unusedNames.length ? ` · ${fit.unusedNames.length} of its classes have no folder` : '';
      choices.push({
        kind: 'metadata',
        label: `$(symbol-enum) The model's own class names (metadata "${meta.key}")`,
        detail: `${orderPreview(meta.names)}${subset}`,
        classNames: meta.names,
      });
    } else {
      choices.push({
        kind: 'metadata-mismatch',
        label: `$(warning) The model's metadata "${meta.key}" does not match the folders`,
        detail: `${fit.reason}`,
      });
    }
  }
  const numeric = isIndexFolders(folders);
  const outputs = facts.numOutputs;
  if (numeric) {
    // every output's index as its name, so folders that are a subset of the classes keep their own index
    const byIndex = Array.from({ length: Math.max(n, outputs ?? 0) }, (_, i) => String(i));
    choices.push({
      kind: 'indices',
      label: '$(list-ordered) Folder name = output index',
      detail: orderPreview(byIndex),
      classNames: byIndex,
    });
  }
  const refused = outputs !== null && n > outputs ? `${n} folders but the model has ${outputs} outputs` : undefined;
  const subset = outputs !== null && n < outputs ? ` · the ${n} folders go to the first ${n} of ${outputs} outputs` : '';
  choices.push({
    kind: 'alphabetical',
    label: '$(sort-precedence) Alphabetical folder order (as torchvision ImageFolder)',
    detail: `${orderPreview(folders)}${numeric ? ' ("10" sorts before "2")' : ''}${refused ? ` · ${refused}` : subset}`,
    classNames: subset ? null : folders,
    ...(refused ? { refused } : {}),
  });
  choices.push({
    kind: 'file',
    label: '$(file) From a class-names file…',
    detail: '.txt with one name per line, or a JSON array of names, in output order',
  });
  choices.push({
    kind: 'type',
    label: '$(edit) Type the class names…',
    detail: `comma-separated, in output order${facts.numOutputs !== null ? ` (${facts.numOutputs} names)` : ''}`,
  });
  return { ask: true, folders, choices };
}

/** Why these names cannot be the class order (null when they can): one per output, distinct, every folder named. */
export function classNamesProblem(names: string[], folders: string[], numOutputs: number | null): string | null {
  if (names.length === 0) return 'no class names given';
  if (names.some((n) => n.length === 0)) return 'a class name is empty';
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) return `"${n}" appears twice`;
    seen.add(n);
  }
  if (numOutputs !== null && names.length !== numOutputs)
    return `${names.length} name${names.length === 1 ? '' : 's'} given, but the model has ${numOutputs} outputs: give one name per output, in output order`;
  const missing = folders.filter((f) => !seen.has(f));
  if (missing.length > 0)
    return `folder${missing.length > 1 ? 's' : ''} ${listSome(missing)} ${missing.length > 1 ? 'are' : 'is'} not among the names`;
  if (numOutputs === null && names.length < folders.length) return `${names.length} names for ${folders.length} class folders`;
  return null;
}

/** "t-shirt, trouser, pullover" (or one per line) → names, trimmed, empty entries dropped. */
export function parseTypedClassNames(text: string): string[] {
  return text
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The class names in a class-names file (.txt one per line, or a JSON array), checked against the folders and outputs. */
export function classNamesFromFile(path: string, folders: string[], numOutputs: number | null): string[] {
  const source = readLabelsSource(path);
  if (source.kind !== 'class-names') {
    throw new EngineError('CONFIG_INVALID', `${path}: holds per-image labels, not a list of class names`, {
      file: path,
      expected: 'a .txt file with one class name per line, or a JSON array of names, in output order',
    });
  }
  const problem = classNamesProblem(source.classNames, folders, numOutputs);
  if (problem) throw new EngineError('LABELS_MISMATCH', `${path}: ${problem}`, { file: path });
  return source.classNames;
}
