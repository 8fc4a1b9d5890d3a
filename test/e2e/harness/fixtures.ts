/**
 * The workspace a user would have: a model, an ImageFolder of test images, model.robustness.json beside the
 * model and workspace settings that keep the analysis small enough for a CPU-only CI machine.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../src/engine/config/configFile';
import type { SharedModelEntry } from '../../helpers/shared';

export interface WorkspaceSpec {
  model: SharedModelEntry & { layout?: string };
  modelFile: string;
  datasetDir: string;
  perClass: number;
}

export interface WorkspaceLayout {
  modelName: string;
  imagesDir: string;
  /** Workspace-relative path of one image, for the image context menu. */
  sampleImage: string;
  imageCount: number;
  classes: string[];
}

const IMAGE = /\.(png|jpe?g)$/i;

/** VS Code settings of the run: the settings the extension contributes plus quiet-workbench settings. */
export const WORKSPACE_SETTINGS = {
  'robustnessLens.analysePreset': 'fast',
  'robustnessLens.quickCheck.images': 40,
  'robustnessLens.limit': 40,
};

export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
  'files.exclude': { '**/.robustness': false },
};

export function writeUserSettings(userData: string, overrides: Record<string, unknown> = {}): void {
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...overrides }, null, 2));
}

/** Copies the first `perClass` images of every class folder of `datasetDir` into `dir/imagesDir`. */
export function copyImageFolder(
  datasetDir: string,
  dir: string,
  imagesDir: string,
  perClass: number,
): { classes: string[]; imageCount: number; sampleImage: string } {
  const classes = readdirSync(datasetDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  let imageCount = 0;
  let sampleImage = '';
  for (const cls of classes) {
    const files = readdirSync(join(datasetDir, cls))
      .filter((f) => IMAGE.test(f))
      .sort()
      .slice(0, perClass);
    if (files.length < perClass) throw new Error(`${datasetDir}/${cls} has ${files.length} images, the workspace needs ${perClass}`);
    mkdirSync(join(dir, imagesDir, cls), { recursive: true });
    for (const f of files) copyFileSync(join(datasetDir, cls, f), join(dir, imagesDir, cls, f));
    imageCount += files.length;
    sampleImage ||= `${imagesDir}/${cls}/${files[0]}`;
  }
  return { classes, imageCount, sampleImage };
}

/** robustness.json for a shared model: preprocessing from models.json, validated as the engine would. */
export function configFor(model: WorkspaceSpec['model'], imagesDir: string, limit: number): Record<string, unknown> {
  // pixel/255 fed directly (plus mean/std where models.json has them) to the model's input
  const config = {
    images: imagesDir,
    limit, // every image: the sample is the whole folder
    seed: 0,
    ...(model.class_names ? { classNames: model.class_names } : {}),
    input: {
      name: model.input_name,
      layout: model.layout ?? 'NCHW',
      channels: model.input_shape[1] === 1 ? 'gray' : 'rgb',
      pixelScale: 1,
      ...(model.mean ? { mean: model.mean } : {}),
      ...(model.std ? { std: model.std } : {}),
    },
  };
  validateConfig(config, 'robustness.json (e2e fixture)'); // a fixture the engine rejects would only test the fixture
  return config;
}

export function makeWorkspace(dir: string, spec: WorkspaceSpec): WorkspaceLayout {
  const modelName = 'model.onnx';
  copyFileSync(spec.modelFile, join(dir, modelName));
  const imagesDir = 'images';
  const { classes, imageCount, sampleImage } = copyImageFolder(spec.datasetDir, dir, imagesDir, spec.perClass);
  // The model's own configuration file (found before any shared robustness.json).
  writeFileSync(join(dir, 'model.robustness.json'), JSON.stringify(configFor(spec.model, imagesDir, imageCount), null, 2));

  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify(WORKSPACE_SETTINGS, null, 2));
  writeFileSync(join(dir, 'notes.txt'), 'Not a model: the .onnx context-menu entries must not show here.\n');
  return { modelName, imagesDir, sampleImage, imageCount, classes };
}
