/**
 * First run on a model without robustness.json: ask for the image folder (dataset-looking folders of the
 * workspace, or browse) and a preprocessing preset, write robustness.json beside the model and open it, so
 * the choice is visible, editable and versioned with the model.
 */
import * as vscode from 'vscode';
import { dirname, join } from 'node:path';
import {
  CONFIG_FILE_NAME,
  configFileText,
  findConfigFile,
  imageFolderCandidates,
  parseChannelValues,
  PREPROCESSING_PRESETS,
} from '../host/configSetup';
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
    title: `Robustness Lens: set up ${vscode.workspace.asRelativePath(model)} (1/2)`,
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
      title: `Robustness Lens: set up ${vscode.workspace.asRelativePath(model)} (2/2)`,
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
 * True when the model has a configuration (found, or just written); false when the user backed out.
 * The search follows the engine's rule, so what is found here is what the engine will use.
 */
export async function ensureConfiguration(lens: Lens, model: vscode.Uri): Promise<boolean> {
  if (findConfigFile(model.fsPath, lens.workspaceRootOf(model))) return true;
  const images = await pickImageFolder(model);
  if (!images) return false;
  const preset = await pickPreprocessing(model);
  if (!preset) return false;
  const file = join(dirname(model.fsPath), CONFIG_FILE_NAME);
  // whole or not at all: the engine (and a watcher) may read it the moment it appears
  writeFileAtomic(file, configFileText(model.fsPath, images, preset), { exclusive: true });
  lens.output.appendLine(`wrote ${file}`);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true, preserveFocus: true });
  return true;
}
