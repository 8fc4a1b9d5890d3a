/**
 * First run on a model without a configuration of its own:
 *  - when a shared robustness.json would be inherited (beside the model or above it), show what it would
 *    use and ask "Use it" (remembered for this workspace) or "Set up this model separately";
 *  - setup: the image folder (dataset-looking folders of the workspace, or browse), the class order when the
 *    class folders are not the output indices 0…9, and the normalisation; the answers are written to the
 *    model's own `<model>.robustness.json` beside it and opened, so they are visible, editable, versioned.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  configFileText,
  findSharedConfigFile,
  imageFolderCandidates,
  parseChannelValues,
  perModelConfigName,
  perModelConfigPath,
  PREPROCESSING_PRESETS,
  SHARED_CONFIG_ANSWERS_KEY,
  sharedConfigAccepted,
  sharedConfigSummary,
  withSharedConfigAccepted,
} from '../host/configSetup';
import {
  classNamesFromFile,
  classNamesProblem,
  classOrderPlan,
  type ClassOrderChoice,
  listClassFolders,
  parseTypedClassNames,
  readModelClassFacts,
} from '../host/classOrderSetup';
import { errorText } from '../engine/errors';
import type { Lens } from './lens';
import { writeFileAtomic } from '../engine/util/atomicWrite';

const IMAGES = '**/*.{png,jpg,jpeg,PNG,JPG,JPEG}';
const EXCLUDE = '{**/node_modules/**,**/.robustness/**,**/.git/**}';

async function pickImageFolder(model: vscode.Uri): Promise<string | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(model);
  const items: (vscode.QuickPickItem & { path?: string })[] = [];
  if (folder) {
    const images = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, IMAGES), EXCLUDE, 20_000);
    const rel = images.map((u) => vscode.workspace.asRelativePath(u, false));
    for (const c of imageFolderCandidates(rel).slice(0, 30)) {
      items.push({
        label: `$(folder) ${c.folder || folder.name}`,
        description:
          c.layout === 'class-folders'
            ? `${c.classes} class folders · ${c.images} images`
            : `flat folder · ${c.images} images (needs a labels file)`,
        path: join(folder.uri.fsPath, c.folder),
      });
    }
  }
  items.push({ label: '$(folder-opened) Browse…', description: 'choose the image folder' });
  const choice = await vscode.window.showQuickPick(items, {
    title: `Robustness Lens: set up ${vscode.workspace.asRelativePath(model)}: images`,
    placeHolder: 'Which images should the model be evaluated on? (one subfolder per class)',
    ignoreFocusOut: true,
  });
  if (!choice) return undefined;
  if (choice.path) return choice.path;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    defaultUri: vscode.Uri.file(dirname(model.fsPath)),
    openLabel: 'Use this image folder',
  });
  return picked?.[0]?.fsPath;
}

async function askChannels(what: 'mean' | 'std'): Promise<number[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: `Custom preprocessing: per-channel ${what}`,
    prompt: `${what} in [0, 1] pixel units, one value or one per channel`,
    placeHolder: what === 'mean' ? '0.485, 0.456, 0.406' : '0.229, 0.224, 0.225',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseChannelValues(v, what);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return text === undefined ? undefined : parseChannelValues(text, what);
}

async function pickPreprocessing(model: vscode.Uri): Promise<{ mean: number[] | null; std: number[] | null } | undefined> {
  const choice = await vscode.window.showQuickPick(
    PREPROCESSING_PRESETS.map((p) => ({ label: p.label, detail: p.detail, preset: p })),
    {
      title: `Robustness Lens: set up ${vscode.workspace.asRelativePath(model)}: normalisation`,
      placeHolder: 'How were the training images normalised?',
      ignoreFocusOut: true,
    },
  );
  if (!choice) return undefined;
  if (choice.preset.id !== 'custom') return choice.preset;
  const mean = await askChannels('mean');
  if (!mean) return undefined;
  const std = await askChannels('std');
  return std ? { mean, std } : undefined;
}

/**
 * The class order for the chosen image folder: undefined = the user backed out; null = nothing to write
 * (not a class-folder dataset, or folders 0…9, which are the output indices).
 */
async function pickClassOrder(lens: Lens, model: vscode.Uri, imagesDir: string): Promise<string[] | null | undefined> {
  const folders = listClassFolders(imagesDir);
  const facts = await readModelClassFacts(model.fsPath);
  const plan = classOrderPlan(folders, facts);
  if (!plan.ask) {
    lens.output.appendLine(`setup: no class-order question (${plan.why})`);
    return plan.classNames;
  }
  const outputs = facts.numOutputs !== null ? `the model's ${facts.numOutputs} outputs` : "the model's outputs";
  for (;;) {
    const picked = await vscode.window.showQuickPick(
      plan.choices.map((c) => ({ label: c.label, detail: c.detail, choice: c })),
      {
        title: `Robustness Lens: set up ${vscode.workspace.asRelativePath(model)}: class order`,
        placeHolder: `In which order do the ${plan.folders.length} class folders (${plan.folders.slice(0, 3).join(', ')}${plan.folders.length > 3 ? ', …' : ''}) map to ${outputs}?`,
        ignoreFocusOut: true,
      },
    );
    if (!picked) return undefined;
    const names = await answerOf(picked.choice, plan.folders, facts.numOutputs);
    if (names !== undefined) return names;
  }
}

/**
 * The class names a choice gives (null: nothing to write, the engine's default order is the answer), or
 * undefined to ask again (a mismatch explained, a dialog cancelled, a bad file).
 */
async function answerOf(choice: ClassOrderChoice, folders: string[], numOutputs: number | null): Promise<string[] | null | undefined> {
  switch (choice.kind) {
    case 'metadata':
    case 'indices':
      return choice.classNames;
    case 'alphabetical':
      if (choice.refused) {
        void vscode.window.showErrorMessage(
          `Robustness Lens: alphabetical order cannot work: ${choice.refused}. Is this the model's image folder?`,
        );
        return undefined;
      }
      return choice.classNames;
    case 'metadata-mismatch':
      void vscode.window.showWarningMessage(`Robustness Lens: the model's class names cannot be used: ${choice.detail}.`);
      return undefined;
    case 'file': {
      const file = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        filters: { 'Class names': ['txt', 'json'] },
        openLabel: 'Use these class names',
      });
      if (!file?.[0]) return undefined;
      try {
        return classNamesFromFile(file[0].fsPath, folders, numOutputs);
      } catch (e) {
        void vscode.window.showErrorMessage(`Robustness Lens: ${errorText(e)}`);
        return undefined;
      }
    }
    case 'type': {
      const text = await vscode.window.showInputBox({
        title: 'Class names in output order',
        prompt: `One name per model output${numOutputs !== null ? ` (${numOutputs})` : ''}, comma-separated, output 0 first; every class folder must be named`,
        value: folders.join(', '),
        ignoreFocusOut: true,
        validateInput: (v) => classNamesProblem(parseTypedClassNames(v), folders, numOutputs),
      });
      return text === undefined ? undefined : parseTypedClassNames(text);
    }
  }
}

/** The shared robustness.json this model would inherit, shown; 'use' is remembered for the workspace. */
async function askAboutSharedConfig(lens: Lens, model: vscode.Uri, shared: string): Promise<'use' | 'separate' | undefined> {
  const lines = sharedConfigSummary(shared, model.fsPath);
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: '$(check) Use it',
        description: vscode.workspace.asRelativePath(shared),
        detail: lines
          .filter((l) => l.label !== 'File')
          .map((l) => `${l.label}: ${l.value}`)
          .join(' · '),
        answer: 'use' as const,
      },
      {
        label: '$(new-file) Set up this model separately',
        detail: `choose its images, class order and normalisation; writes ${perModelConfigName(model.fsPath)} beside the model`,
        answer: 'separate' as const,
      },
    ],
    {
      title: `Robustness Lens: ${vscode.workspace.asRelativePath(model)} has no configuration of its own`,
      placeHolder: `Use the shared ${vscode.workspace.asRelativePath(shared)} for this model?`,
      ignoreFocusOut: true,
    },
  );
  if (picked?.answer === 'use') {
    const stored = lens.context.workspaceState.get<unknown>(SHARED_CONFIG_ANSWERS_KEY);
    await lens.context.workspaceState.update(SHARED_CONFIG_ANSWERS_KEY, withSharedConfigAccepted(stored, model.fsPath, shared));
    lens.output.appendLine(`${model.fsPath}: uses the shared ${shared} (answered once for this workspace)`);
  }
  return picked?.answer;
}

/**
 * Whether a run may start without asking: the model has its own configuration file, or its user said to use
 * the shared one it inherits. (A shared file not yet answered for is asked about by ensureConfiguration.)
 */
export function isConfigured(lens: Lens, model: vscode.Uri): boolean {
  if (existsSync(perModelConfigPath(model.fsPath))) return true;
  const shared = findSharedConfigFile(model.fsPath, lens.workspaceRootOf(model));
  return (
    shared !== undefined && sharedConfigAccepted(lens.context.workspaceState.get<unknown>(SHARED_CONFIG_ANSWERS_KEY), model.fsPath, shared)
  );
}

/**
 * True when the model has a configuration (its own, a shared one the user accepted, or one just written);
 * false when the user backed out. The search follows the engine's rule, so what is found here is what the
 * engine will use.
 */
export async function ensureConfiguration(lens: Lens, model: vscode.Uri): Promise<boolean> {
  if (isConfigured(lens, model)) return true;
  const shared = findSharedConfigFile(model.fsPath, lens.workspaceRootOf(model));
  if (shared) {
    const answer = await askAboutSharedConfig(lens, model, shared);
    if (answer !== 'separate') return answer === 'use';
  }
  const images = await pickImageFolder(model);
  if (!images) return false;
  const classNames = await pickClassOrder(lens, model, images);
  if (classNames === undefined) return false;
  const preset = await pickPreprocessing(model);
  if (!preset) return false;
  const file = perModelConfigPath(model.fsPath);
  // whole or not at all: the engine (and a watcher) may read it the moment it appears
  writeFileAtomic(file, configFileText(model.fsPath, images, preset, classNames), { exclusive: true });
  lens.output.appendLine(`wrote ${file}`);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true, preserveFocus: true });
  return true;
}
