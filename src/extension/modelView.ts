/**
 * The model view: a read-only custom editor that opens instead of VS Code's "binary file" warning when a
 * .onnx file is clicked. The engine process reads the model (the `info` job: no onnxruntime, and never on
 * the extension host's thread, however large the model); the page is rendered by src/host/modelViewHtml.ts
 * and its buttons run the existing commands on this model. Reading the model executes nothing, so the view
 * works in Restricted Mode too (the commands it offers still ask for trust).
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { errorText } from '../engine/errors';
import type { ModelInfoSection } from '../engine/jobs/infoJob';
import type { ReportV1 } from '../engine/report/schema';
import { Disposable, MutableDisposable, toDisposable, type IDisposable } from '../host/dispose';
import { EngineRunError } from '../host/engineClient';
import { modelViewAction } from '../host/modelViewActions';
import { recentRunsOf, renderModelView, type ModelViewState, type RecentRun } from '../host/modelViewHtml';
import { CONFIG_FILE_NAME, perModelConfigName } from '../host/configSetup';
import { jobRequest } from '../host/settings';
import type { JobRequest } from '../engine/jobs/prepare';
import { sectionKind } from '../protocol/sectionKinds';
import type { Lens } from './lens';

export class ModelViewProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'robustnessLens.modelView';

  constructor(private readonly lens: Lens) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const view = new ModelView(this.lens, document.uri, panel);
    panel.onDidDispose(() => view.dispose());
  }
}

/** The description of a model in an info report, or null when the report has none. */
function modelInfoOf(report: ReportV1): ModelInfoSection | null {
  const found = Object.values(report.sections).find((s) => sectionKind(s) === 'model-info');
  return (found as ModelInfoSection | undefined) ?? null;
}

class ModelView extends Disposable {
  private state: ModelViewState = { kind: 'loading', behind: 0 };
  private runs: RecentRun[] = [];
  /** Counts reads: only the latest one's answer is shown. */
  private reads = 0;
  /** Cancels the read in flight (one queued behind a long run need not wait for a closed view). */
  private readonly pending = this._register(new MutableDisposable<IDisposable>());

  constructor(
    private readonly lens: Lens,
    private readonly model: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
  ) {
    super();
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this._register(
      lens.onDidChangeRuns(() => {
        this.refreshRuns();
        this.render();
      }),
    );
    // A re-exported model (or a changed configuration next to it, its own or the shared one) is read again.
    const watcher = this._register(
      vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(
          dirname(model.fsPath),
          `{${basename(model.fsPath)},${perModelConfigName(model.fsPath)},${CONFIG_FILE_NAME}}`,
        ),
      ),
    );
    this._register(watcher.onDidChange(() => void this.read()));
    this._register(watcher.onDidCreate(() => void this.read()));
    this.refreshRuns();
    void this.read();
  }

  private request(): JobRequest {
    const root = this.lens.workspaceRootOf(this.model);
    try {
      return jobRequest(this.model.fsPath, root, this.lens.settings(this.model));
    } catch (e) {
      // A bad setting must not hide the model: describe it with robustness.json alone.
      this.lens.output.appendLine(`model view: settings ignored (${errorText(e)})`);
      return { modelPath: this.model.fsPath, ...(root ? { workspaceRoot: root } : {}) };
    }
  }

  private async read(): Promise<void> {
    if (this.isDisposed) return;
    const read = ++this.reads;
    this.state = { kind: 'loading', behind: this.lens.liveRuns.running().length };
    this.render();
    let next: ModelViewState;
    try {
      const run = this.lens.engine.start('info', this.request(), {});
      this.pending.value = toDisposable(() => run.cancel());
      const report = await run.result;
      const section = modelInfoOf(report);
      next = section
        ? { kind: 'ready', section }
        : { kind: 'error', message: 'the engine answered without a description of the model', hint: null };
    } catch (e) {
      next = { kind: 'error', message: errorText(e), hint: e instanceof EngineRunError ? (e.hint ?? null) : null };
    }
    if (this.isDisposed || read !== this.reads) return;
    this.state = next;
    this.render();
  }

  private refreshRuns(): void {
    this.runs = recentRunsOf(
      this.lens.savedRuns().map((r) => r.run),
      this.model.fsPath,
    );
  }

  private render(): void {
    if (this.isDisposed) return;
    this.panel.webview.html = renderModelView({
      modelName: basename(this.model.fsPath),
      modelPath: this.model.fsPath,
      state: this.state,
      runs: this.runs,
      nonce: randomBytes(16).toString('hex'),
    });
  }

  private onMessage(raw: unknown): void {
    const decision = modelViewAction(
      raw,
      this.runs.map((r) => r.id),
    );
    if (!decision.ok) {
      this.lens.output.appendLine(`model view: message rejected: ${decision.reason}`);
      return;
    }
    const action = decision.action;
    switch (action.kind) {
      case 'command':
        void vscode.commands.executeCommand(action.command, this.model);
        break;
      case 'open-run':
        void vscode.commands.executeCommand('robustnessLens.openRun', action.runId);
        break;
      case 'reload':
        void this.read();
        break;
      case 'ready':
        break;
    }
  }
}
