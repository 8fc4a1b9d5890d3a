/**
 * Restricted Mode: running a model executes native code (onnxruntime) on files from the workspace, so no
 * model runs until the folder is trusted. Commands explain that and offer the trust editor.
 */
import * as vscode from 'vscode';

export const RESTRICTED_MESSAGE =
  'Robustness Lens does not run models in Restricted Mode: analysing a model executes it (native onnxruntime code) on files from this workspace. Trust the folder to run analyses; saved runs stay viewable.';

/** True when models may run; otherwise explains why not and offers to manage trust. */
export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(RESTRICTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
