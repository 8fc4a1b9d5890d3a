/**
 * The status bar item of the Quick Attack Check: robust accuracy of the last check of the active model beside
 * its clean accuracy, and the change since the check before it, e.g. "$(shield) Robust 43.8% · clean 91.0% (−2.1 pp)". The active model is the
 * .onnx file of the active editor, else the model checked last. Clicking opens that check's report.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../host/dispose';
import { QUICK_CHECK_NAME } from '../engine/attacks/quickCheckSuite';
import { QuickCheckHistory, statusLabel, statusText, statusTooltip } from '../host/quickChecks';
import { latestSanityFindings, sanityTooltip } from '../host/sanityStatus';
import type { Lens } from './lens';
import { activeModel } from './modelPicker';

export class QuickCheckStatus extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem('robustnessLens.quickCheck', vscode.StatusBarAlignment.Right, 100),
  );
  private model: vscode.Uri | undefined;
  private running = new Set<string>();

  constructor(private readonly lens: Lens) {
    super();
    this.item.name = `Robustness Lens ${QUICK_CHECK_NAME}`;
    this._register(vscode.window.tabGroups.onDidChangeTabs(() => this.followActiveEditor()));
    // A run of any kind can bring or clear a sanity warning.
    this._register(lens.onDidChangeRuns(() => this.refresh()));
    this.followActiveEditor();
  }

  history(model: vscode.Uri): QuickCheckHistory {
    return new QuickCheckHistory(this.lens.runRootFor(model), (m) => this.lens.output.appendLine(m));
  }

  /** Shows a model's latest check (called after a check, or when its editor becomes active). */
  show(model: vscode.Uri): void {
    this.model = model;
    this.refresh();
  }

  setRunning(model: vscode.Uri, running: boolean): void {
    if (running) this.running.add(model.fsPath);
    else this.running.delete(model.fsPath);
    if (this.model?.fsPath === model.fsPath || running) this.show(model);
  }

  refresh(): void {
    // A check that ends after deactivate must not touch the disposed item.
    if (this.isDisposed) return;
    const model = this.model;
    if (!model) {
      this.item.hide();
      return;
    }
    const name = basename(model.fsPath);
    const latest = this.history(model).latest(model.fsPath);
    if (this.running.has(model.fsPath)) {
      this.item.text = `$(loading~spin) ${QUICK_CHECK_NAME}…`;
      this.item.tooltip = `Robustness Lens: ${QUICK_CHECK_NAME} of ${name} running`;
      this.item.accessibilityInformation = { label: `Robustness Lens ${QUICK_CHECK_NAME} of ${name} running`, role: 'button' };
      this.item.command = undefined;
      this.item.show();
      return;
    }
    const sanity = latestSanityFindings(
      this.lens.savedRuns().map((r) => r.run),
      model.fsPath,
    );
    this.item.backgroundColor = sanity ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (!latest && !sanity) {
      this.item.hide();
      return;
    }
    if (!latest) {
      // No quick check yet, but the latest run (an analysis) failed its sanity check: that must still show.
      this.item.text = '$(warning) Sanity check failed';
      this.item.tooltip = `${sanityTooltip(sanity!)}\nClick to open that run.`;
      this.item.accessibilityInformation = { label: `Robustness Lens: the sanity check of ${name}'s latest run failed`, role: 'button' };
      this.item.command = { title: 'Open Run', command: 'robustnessLens.openRun', arguments: [sanity!.runId] };
      this.item.show();
      return;
    }
    this.item.text = statusText(latest.current, latest.previous);
    const label = statusLabel(latest.current, latest.previous, name, latest.otherAttack);
    this.item.tooltip = statusTooltip(latest, name);
    this.item.accessibilityInformation = { label, role: 'button' };
    this.item.command = { title: `Open ${QUICK_CHECK_NAME} Report`, command: 'robustnessLens.openRun', arguments: [latest.current.runId] };
    if (sanity) {
      // The figure rests on a run whose labels or preprocessing look wrong: say so first.
      this.item.text = `$(warning) ${this.item.text.replace(/^\$\([^)]*\)\s*/, '')}`;
      this.item.tooltip = `${sanityTooltip(sanity)}\n\n${this.item.tooltip}`;
      this.item.accessibilityInformation = { label: `${label}. The sanity check of the latest run failed`, role: 'button' };
      this.item.command = { title: 'Open Run', command: 'robustnessLens.openRun', arguments: [sanity.runId] };
    }
    this.item.show();
  }

  private followActiveEditor(): void {
    const model = activeModel();
    if (model && model.fsPath !== this.model?.fsPath) this.show(model);
  }
}
