/**
 * The workspaces of the second scenario (test/e2e/flows.ts):
 * - "flows": `fresh/fresh.onnx` with no robustness.json anywhere above it (first-run setup), a class-folder
 *   image set `digits/`, and `baseline/cnn.onnx` with its own cnn.robustness.json (the second model to compare);
 * - "untrusted": a configured model, opened with workspace trust on and never trusted (Restricted Mode).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedManifest, sharedPath, type SharedModelEntry } from '../../helpers/shared';
import { configFor, copyImageFolder, WORKSPACE_SETTINGS } from './fixtures';

export interface FlowsLayout {
  dir: string;
  /** Absolute path of the unconfigured model. */
  fresh: string;
  /** Its shared original, copied over it again to simulate an export. */
  freshSource: string;
  baseline: string;
  imagesDir: string;
  imageCount: number;
}

const PER_CLASS = 4;

function sharedModel(name: string): SharedModelEntry & { layout?: string; dataset: string } {
  const entry = sharedManifest().find((m) => m.name === name);
  if (!entry || !entry.dataset) throw new Error(`models.json has no ${name} entry with a dataset`);
  return entry as SharedModelEntry & { dataset: string };
}

export function writeWorkspaceSettings(dir: string, extra: Record<string, unknown> = {}): void {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({ ...WORKSPACE_SETTINGS, ...extra }, null, 2));
}

export function makeFlowsWorkspace(dir: string): FlowsLayout {
  const mlp = sharedModel('mnist-mlp');
  const cnn = sharedModel('mnist-cnn');
  const imagesDir = 'digits';
  const { imageCount } = copyImageFolder(sharedPath(mlp.dataset), dir, imagesDir, PER_CLASS);
  const freshSource = sharedPath('models', mlp.file);
  const fresh = join(dir, 'fresh', 'fresh.onnx');
  mkdirSync(join(dir, 'fresh'));
  copyFileSync(freshSource, fresh);
  const baseline = join(dir, 'baseline', 'cnn.onnx');
  mkdirSync(join(dir, 'baseline'));
  copyFileSync(sharedPath('models', cnn.file), baseline);
  writeFileSync(join(dir, 'baseline', 'cnn.robustness.json'), JSON.stringify(configFor(cnn, `../${imagesDir}`, imageCount), null, 2));
  writeWorkspaceSettings(dir);
  return { dir, fresh, freshSource, baseline, imagesDir, imageCount };
}

/** A configured model in a folder that will not be trusted; no images: nothing may run there anyway. */
export function makeUntrustedWorkspace(dir: string): string {
  const mlp = sharedModel('mnist-mlp');
  mkdirSync(dir, { recursive: true });
  copyFileSync(sharedPath('models', mlp.file), join(dir, 'model.onnx'));
  writeFileSync(join(dir, 'model.robustness.json'), JSON.stringify(configFor(mlp, 'images', 40), null, 2));
  return join(dir, 'model.onnx');
}

export interface StrangerLayout {
  dir: string;
  /** Workspace-relative paths. */
  model: string;
  secondModel: string;
  imagesDir: string;
  imageCount: number;
  /** The model's class names in logit order (models.json), and the folders' alphabetical order. */
  logitOrder: string[];
  alphabetical: string[];
  mean: number[];
  std: number[];
}

/**
 * Issue #13's new user: a Fashion-MNIST classifier the project never saw, class-NAME folders (alphabetical ≠
 * logit order), an old shared robustness.json at the top that knows nothing of its class order or
 * normalisation, and a second copy of the model placed beside the first later.
 */
export function makeStrangerWorkspace(dir: string, perClass: number): StrangerLayout {
  const fashion = sharedModel('fashion-resnet') as SharedModelEntry & { dataset: string; class_names: string[] };
  mkdirSync(join(dir, 'model'), { recursive: true });
  const { classes, imageCount } = copyImageFolder(sharedPath(fashion.dataset), dir, 'clothes', perClass);
  copyFileSync(sharedPath('models', fashion.file), join(dir, 'model', 'fashion.onnx'));
  copyFileSync(sharedPath('models', fashion.file), join(dir, 'model', 'fashion-v2.onnx'));
  writeFileSync(join(dir, 'robustness.json'), JSON.stringify({ images: 'clothes' }, null, 2));
  // Every image is evaluated (the other workspaces sample 40).
  writeWorkspaceSettings(dir, { 'robustnessLens.limit': imageCount });
  return {
    dir,
    model: 'model/fashion.onnx',
    secondModel: 'model/fashion-v2.onnx',
    imagesDir: 'clothes',
    imageCount,
    logitOrder: fashion.class_names,
    alphabetical: [...classes].sort(),
    mean: fashion.mean!,
    std: fashion.std!,
  };
}
