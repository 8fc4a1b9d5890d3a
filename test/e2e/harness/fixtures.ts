/**
 * The workspace a user would have: a model, an ImageFolder of test images, robustness.json beside the
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

export function writeUserSettings(userData: string): void {
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
}

export function makeWorkspace(dir: string, spec: WorkspaceSpec): WorkspaceLayout {
  const modelName = 'model.onnx';
  copyFileSync(spec.modelFile, join(dir, modelName));

  const imagesDir = 'images';
  const classes = readdirSync(spec.datasetDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  let imageCount = 0;
  let sampleImage = '';
  for (const cls of classes) {
    const files = readdirSync(join(spec.datasetDir, cls)).filter((f) => IMAGE.test(f)).sort().slice(0, spec.perClass);
    if (files.length < spec.perClass) throw new Error(`${spec.datasetDir}/${cls} has ${files.length} images, the workspace needs ${spec.perClass}`);
    mkdirSync(join(dir, imagesDir, cls), { recursive: true });
    for (const f of files) copyFileSync(join(spec.datasetDir, cls, f), join(dir, imagesDir, cls, f));
    imageCount += files.length;
    sampleImage ||= `${imagesDir}/${cls}/${files[0]}`;
  }

  // Preprocessing from models.json: pixel/255 fed directly (no mean/std) to a grey NCHW input.
  const config = {
    images: imagesDir,
    limit: imageCount, // every image: the sample is the whole folder
    seed: 0,
    ...(spec.model.class_names ? { classNames: spec.model.class_names } : {}),
    input: {
      name: spec.model.input_name,
      layout: spec.model.layout ?? 'NCHW',
      channels: spec.model.input_shape[1] === 1 ? 'gray' : 'rgb',
      pixelScale: 1,
      ...(spec.model.mean ? { mean: spec.model.mean } : {}),
      ...(spec.model.std ? { std: spec.model.std } : {}),
    },
  };
  validateConfig(config, 'robustness.json (e2e fixture)'); // a fixture the engine rejects would only test the fixture
  writeFileSync(join(dir, 'robustness.json'), JSON.stringify(config, null, 2));

  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify(WORKSPACE_SETTINGS, null, 2));
  writeFileSync(join(dir, 'notes.txt'), 'Not a model: the .onnx context-menu entries must not show here.\n');
  return { modelName, imagesDir, sampleImage, imageCount, classes };
}
