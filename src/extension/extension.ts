/**
 * Robustness Lens in VS Code. Activation is lazy (its commands, the runs view, the panel serializer, or a
 * workspace holding .onnx files) and cheap: the engine and onnxruntime-node live in a separate process
 * that starts with the first run, so a native crash or a long analysis never touches the extension host.
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { registerCommands } from './commands';
import { Lens } from './lens';
import { ModelViewProvider } from './modelView';
import { ModelWatcher } from './modelWatcher';
import { QuickCheckStatus } from './quickCheckStatus';
import { RunPanel, RunPanelSerializer } from './runPanel';
import { registerRunsView } from './runsView';
import { registerWalkthrough } from './walkthrough';

/** Set by the bundle's first line (esbuild banner): when the extension's code started loading. */
declare const __robustnessLensLoadStart: number | undefined;
const loadStart = typeof __robustnessLensLoadStart === 'number' ? __robustnessLensLoadStart : performance.now();

let lens: Lens | null = null;

export function activate(context: vscode.ExtensionContext): void {
  lens = new Lens(context);
  const status = lens.register(new QuickCheckStatus(lens));
  registerCommands(lens, status);
  registerRunsView(lens);
  registerWalkthrough(lens);
  lens.register(vscode.window.registerWebviewPanelSerializer(RunPanel.viewType, new RunPanelSerializer(lens)));
  lens.register(new ModelWatcher(lens, status));
  lens.register(
    vscode.window.registerCustomEditorProvider(ModelViewProvider.viewType, new ModelViewProvider(lens), {
      supportsMultipleEditorsPerDocument: true,
    }),
  );
  lens.activationMs = Math.round((performance.now() - loadStart) * 100) / 100;
  lens.output.debug(
    `Robustness Lens activated in ${lens.activationMs} ms${vscode.workspace.isTrusted ? '' : ' (Restricted Mode: no model runs until the workspace is trusted)'}`,
  );
}

export async function deactivate(): Promise<void> {
  const l = lens;
  lens = null;
  await l?.dispose();
}
