/**
 * The "Get started" walkthrough (contributes.walkthroughs in package.json) and the commands its steps run:
 * open a model's view, set a model up (images, class order, preprocessing), then Analyse and the Runs view,
 * which exist already. VS Code opens a new extension's walkthrough on install by itself
 * (workbench.welcomePage.walkthroughs.openOnInstall); "Robustness Lens: Get Started" reopens it.
 */
import * as vscode from 'vscode';
import { findConfigFile } from '../host/configSetup';
import { ensureConfiguration } from './firstRunSetup';
import type { Lens } from './lens';
import { ModelViewProvider } from './modelView';
import { resolveModel } from './modelPicker';

export const WALKTHROUGH_ID = 'robustnessLens.gettingStarted';

export function registerWalkthrough(lens: Lens): void {
  const id = `${lens.context.extension.id}#${WALKTHROUGH_ID}`;
  lens.register(
    vscode.commands.registerCommand('robustnessLens.gettingStarted', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', id, false),
    ),
  );
  lens.register(
    vscode.commands.registerCommand('robustnessLens.openModel', async (arg: unknown) => {
      const model = await resolveModel(arg, 'open');
      if (model) await vscode.commands.executeCommand('vscode.openWith', model, ModelViewProvider.viewType);
    }),
  );
  lens.register(
    vscode.commands.registerCommand('robustnessLens.setUpModel', async (arg: unknown) => {
      const model = await resolveModel(arg, 'set up');
      if (!model) return;
      // A model already set up shows the file its runs will use; otherwise the first-run questions.
      const existing = findConfigFile(model.fsPath, lens.workspaceRootOf(model));
      if (existing) await vscode.window.showTextDocument(vscode.Uri.file(existing), { preview: true });
      else await ensureConfiguration(lens, model);
    }),
  );
}
