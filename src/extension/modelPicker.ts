/** Which model (or image) a command is about: the clicked file, the active editor's file, or a pick from the workspace. */
import * as vscode from 'vscode';

const EXCLUDE = '{**/node_modules/**,**/.robustness/**,**/.git/**}';

function isOnnx(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && uri.path.toLowerCase().endsWith('.onnx');
}

/** The file of the active tab (text, binary or custom editor), if any. */
export function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return undefined;
}

export function activeModel(): vscode.Uri | undefined {
  const uri = activeTabUri();
  return uri && isOnnx(uri) ? uri : undefined;
}

async function workspaceModels(): Promise<vscode.Uri[]> {
  return (await vscode.workspace.findFiles('**/*.onnx', EXCLUDE, 500)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

async function pickFrom(models: vscode.Uri[], placeHolder: string): Promise<vscode.Uri | undefined> {
  const items = models.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }));
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.uri;
}

/** The model a command applies to: its argument, the active editor's model, the only model, or the user's pick. */
export async function resolveModel(arg: unknown, purpose: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && isOnnx(arg)) return arg;
  const active = activeModel();
  if (active) return active;
  const models = await workspaceModels();
  if (models.length === 1) return models[0];
  if (models.length === 0) {
    void vscode.window.showErrorMessage(
      `Robustness Lens: no .onnx model found in the workspace to ${purpose}. Open a folder that holds one, or right-click a model in the explorer.`,
    );
    return undefined;
  }
  return pickFrom(models, `Which model to ${purpose}?`);
}

/** The model to explain an image with: the only model of the workspace, or the user's pick. */
export async function modelForImage(): Promise<vscode.Uri | undefined> {
  const models = await workspaceModels();
  if (models.length === 0) {
    void vscode.window.showErrorMessage('Robustness Lens: no .onnx model found in the workspace to explain the image with.');
    return undefined;
  }
  return models.length === 1 ? models[0] : pickFrom(models, 'Explain the image with which model?');
}

/** Two models: from the explorer's multi-selection, else picked from the workspace. */
export async function twoModels(arg: unknown, selection: unknown): Promise<[vscode.Uri, vscode.Uri] | undefined> {
  const selected = Array.isArray(selection) ? selection.filter((u): u is vscode.Uri => u instanceof vscode.Uri && isOnnx(u)) : [];
  if (selected.length === 2) return [selected[0], selected[1]];
  const models = await workspaceModels();
  if (models.length < 2) {
    void vscode.window.showErrorMessage(
      `Robustness Lens: Compare Models needs two .onnx models in the workspace (found ${models.length}).`,
    );
    return undefined;
  }
  const first = arg instanceof vscode.Uri && isOnnx(arg) ? arg : await pickFrom(models, 'First model to compare');
  if (!first) return undefined;
  const second = await pickFrom(
    models.filter((m) => m.fsPath !== first.fsPath),
    `Compare ${vscode.workspace.asRelativePath(first)} with which model?`,
  );
  return second ? [first, second] : undefined;
}
