/**
 * One webview panel per run, beside the active editor. What it shows (a saved run, two compared, or a live
 * run it follows) and the replay whenever the webview (re)loads and says `ready` live in RunView
 * (src/host/runView.ts); here only the vscode side. Everything the webview sends is validated; artefacts
 * open only from inside the run folder; panels come back after a window reload through the serializer (the
 * webview keeps `{runId}` in its state). Closing a panel only unsubscribes it: the run goes on, and the Runs
 * view opens it again with its progress so far.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorText } from '../engine/errors';
import { Disposable, toDisposable } from '../host/dispose';
import type { LiveRun } from '../host/liveRuns';
import { handlePanelMessage } from '../host/panelMessages';
import { buildHtmlReport, readWebviewAssets } from '../host/htmlReport';
import { runsMarkdown } from '../host/reportMarkdown';
import { appliedMessage, applyClassOrder, rerunFor, reportById } from '../host/classOrderFix';
import { liveContent, panelId, RunView, type PanelContent, type RunRef } from '../host/runView';
import { runDifferences } from '../host/runMatch';
import { isRunId, loadRun, runsRoot } from '../host/runsStore';
import type { ComparisonNote } from '../protocol/webviewMessages';
import type { Lens } from './lens';

function nonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Content of a saved run (or two, compared). A comparison carries what differs between the runs: the
 * caller's check (with staleness), else — a panel restored after a reload — the differences of the reports.
 */
export function savedContent(run: RunRef, compare: RunRef | null, title: string, comparison?: ComparisonNote[]): PanelContent {
  const a = loadRun(run.dir);
  const b = compare ? loadRun(compare.dir) : null;
  const notes =
    comparison ??
    (a.report && b?.report ? runDifferences(a.report, b.report).map((d) => ({ severity: d.severity, text: d.text })) : undefined);
  return {
    title,
    run,
    compare,
    state: a.state,
    report: a.report,
    compareReport: b?.report ?? null,
    ...(compare && notes ? { comparison: notes } : {}),
    sections: a.sections,
    message: b && !b.report ? `the second run cannot be shown: ${b.message}` : a.message,
  };
}

/**
 * The open run panels, by panel id. Disposing it (the extension deactivates) releases every panel without
 * closing its tab: VS Code restores open panels after a reload only if they are still open then.
 */
export class RunPanels extends Disposable {
  private readonly open = new Map<string, RunPanel>();

  constructor(private readonly lens: Lens) {
    super();
    this._register(
      toDisposable(() => {
        for (const panel of [...this.open.values()]) panel.dispose();
      }),
    );
  }

  /** Opens a panel for saved content (or brings its open panel forward and replaces its content). */
  show(content: PanelContent): RunPanel {
    const existing = this.open.get(panelId(content.run, content.compare));
    if (existing) {
      existing.reveal();
      existing.view.show(content);
      return existing;
    }
    return this.create(this.newWebviewPanel(content.title), content, null);
  }

  /** Opens the panel of a live run (or brings its open panel forward): the run as it stands, then its updates. */
  showLive(live: LiveRun): RunPanel {
    const existing = this.open.get(live.runId);
    if (existing) {
      existing.reveal();
      if (existing.view.following !== live) existing.view.follow(live);
      return existing;
    }
    return this.create(this.newWebviewPanel(live.title), liveContent(live), live);
  }

  /** The open panel of a run (not a compare panel), if any. */
  find(runId: string): RunPanel | undefined {
    return this.open.get(runId);
  }

  /** Restores a panel after a reload from the state its webview saved. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const id = typeof state === 'object' && state !== null ? (state as { runId?: unknown }).runId : undefined;
    const [runId, compareId] = typeof id === 'string' ? id.split('+') : [];
    const live = runId && !compareId ? this.lens.liveRuns.get(runId) : undefined;
    if (live) {
      this.create(panel, liveContent(live), live);
      return;
    }
    const run = runId ? findRun(this.lens, runId) : null;
    const compare = compareId ? findRun(this.lens, compareId) : null;
    if (!run || (compareId && !compare)) {
      panel.webview.options = { enableScripts: false };
      panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
<body><p>This Robustness Lens run is no longer in the workspace (it was deleted or moved).</p></body></html>`;
      return;
    }
    this.create(panel, savedContent(run, compare, panel.title), null);
  }

  private newWebviewPanel(title: string): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(RunPanel.viewType, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {});
  }

  private create(webviewPanel: vscode.WebviewPanel, content: PanelContent, live: LiveRun | null): RunPanel {
    if (this.isDisposed) {
      webviewPanel.dispose();
      throw new Error('Robustness Lens is shutting down');
    }
    const panel = new RunPanel(this.lens, webviewPanel, content, (p) => {
      if (this.open.get(p.view.id) === p) this.open.delete(p.view.id);
    });
    this.open.set(panel.view.id, panel);
    if (live) panel.view.follow(live);
    return panel;
  }
}

export class RunPanel extends Disposable {
  static readonly viewType = 'robustnessLens.run';

  readonly view: RunView;

  constructor(
    private readonly lens: Lens,
    readonly panel: vscode.WebviewPanel,
    content: PanelContent,
    onDisposed: (p: RunPanel) => void,
  ) {
    super();
    const log = (line: string) => lens.output.appendLine(`[panel ${content.run.runId}] ${line}`);
    this.view = this._register(
      new RunView(
        {
          postMessage: (m) => panel.webview.postMessage(m),
          resourceBase: (dir) => panel.webview.asWebviewUri(vscode.Uri.file(dir)).toString(),
        },
        content,
        (e) => log(`not sent to the webview: ${errorText(e)}`),
      ),
    );
    this._register(toDisposable(() => onDisposed(this)));
    const extension = lens.context.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extension, 'media', 'icon.svg');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extension, 'dist'),
        vscode.Uri.joinPath(extension, 'media'),
        ...this.view.runDirs.map((d) => vscode.Uri.file(d)),
      ],
    };
    panel.webview.html = this.html(content);
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    // The user closed the tab: stop listening (to the webview and to the run); the run itself goes on.
    this._register(panel.onDidDispose(() => this.dispose()));
  }

  reveal(): void {
    if (!this.isDisposed) this.panel.reveal(vscode.ViewColumn.Beside);
  }

  /** Closes the tab (dispose alone leaves it open, for a reload to restore). */
  close(): void {
    const open = !this.isDisposed;
    this.dispose();
    if (open) this.panel.dispose();
  }

  /** Validation and the rules (what a webview may ask for) live in handlePanelMessage; here only the vscode effects. */
  private receive(raw: unknown): Promise<void> {
    if (this.isDisposed) return Promise.resolve();
    const filters: Record<string, Record<string, string[]>> = {
      svg: { 'SVG image': ['svg'] },
      png: { 'PNG image': ['png'] },
      csv: { 'CSV data': ['csv'] },
    };
    return handlePanelMessage<vscode.Uri>(raw, this.view.runDirs, {
      replay: () => this.view.replay(),
      cancel: () => {
        this.view.cancel();
      },
      chooseExportTarget: async (fileName, format) => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? homedir();
        return (
          (await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.file(join(folder, fileName)),
            filters: filters[format],
            saveLabel: 'Export',
          })) ?? null
        );
      },
      writeExport: async (target, bytes, chartId) => {
        await vscode.workspace.fs.writeFile(target, bytes);
        this.lens.output.appendLine(`exported ${chartId} as ${target.fsPath}`);
      },
      openFile: async (path) => {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path), { viewColumn: vscode.ViewColumn.Beside, preview: true });
      },
      applyClassOrder: (reportId) => this.applyClassOrder(reportId),
      exportReport: () => this.exportReport(),
      copyMarkdown: () => this.copyMarkdown(),
      refused: (reason, tellUser) => {
        this.lens.output.appendLine(`[panel ${this.view.runId}] ${reason}`);
        if (tellUser) void vscode.window.showWarningMessage(`Robustness Lens: ${reason}`);
      },
    });
  }

  /** The toolbar's "Export HTML report": one self-contained file (src/host/htmlReport.ts) where the save dialog says. */
  private async exportReport(): Promise<void> {
    const content = this.view.exportable;
    if (!content) {
      void vscode.window.showWarningMessage('Robustness Lens: this run has no report to export yet.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? homedir();
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(folder, `${this.view.id.replace('+', '-vs-')}.html`)),
      filters: { 'HTML report': ['html'] },
      saveLabel: 'Export',
    });
    if (!target) return;
    try {
      const assets = readWebviewAssets([vscode.Uri.joinPath(this.lens.context.extensionUri, 'dist').fsPath]);
      const built = buildHtmlReport({ ...content, assets });
      await vscode.workspace.fs.writeFile(target, Buffer.from(built.html, 'utf8'));
      const left = built.leftOut.length ? `, ${built.leftOut.length} left out (size cap)` : '';
      this.lens.output.appendLine(
        `[panel ${this.view.runId}] HTML report written to ${target.fsPath} (${built.embedded} images embedded${left})`,
      );
      const choice = await vscode.window.showInformationMessage(
        `Robustness Lens: HTML report saved to ${target.fsPath}.`,
        'Open in Browser',
      );
      if (choice === 'Open in Browser') void vscode.env.openExternal(target);
    } catch (e) {
      this.lens.output.appendLine(`[panel ${this.view.runId}] HTML report not written: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`Robustness Lens: the HTML report was not written: ${errorText(e)}`);
    }
  }

  /** The toolbar's "Copy Markdown summary" (src/host/reportMarkdown.ts), from the host's copy of the report(s). */
  private async copyMarkdown(): Promise<void> {
    const content = this.view.exportable;
    if (!content) {
      void vscode.window.showWarningMessage('Robustness Lens: this run has no report to summarise yet.');
      return;
    }
    await vscode.env.clipboard.writeText(runsMarkdown([content.run.report, ...(content.compare ? [content.compare.report] : [])]));
    void vscode.window.setStatusBarMessage('Robustness Lens: Markdown summary copied', 3000);
  }

  /** The sanity banner's button: write the proposal (src/host/classOrderFix.ts), then offer the same run again. */
  private async applyClassOrder(reportId: string): Promise<void> {
    const report = reportById(this.view.reports, reportId);
    if (!report) {
      void vscode.window.showWarningMessage(
        'Robustness Lens: this panel no longer shows that run; open it again to apply its class order.',
      );
      return;
    }
    let written;
    try {
      written = applyClassOrder(report);
    } catch (e) {
      this.lens.output.appendLine(`[panel ${this.view.runId}] class order not applied: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`Robustness Lens: the class order was not applied: ${errorText(e)}`);
      return;
    }
    this.lens.output.appendLine(`[panel ${this.view.runId}] class order written to ${written.file}: ${written.classNames.join(', ')}`);
    const rerun = rerunFor(report);
    const choice = await vscode.window.showInformationMessage(appliedMessage(written), ...(rerun ? [rerun.label] : []), 'Open File');
    if (rerun && choice === rerun.label) void vscode.commands.executeCommand(rerun.command, vscode.Uri.file(report.model.path));
    if (choice === 'Open File') void vscode.window.showTextDocument(vscode.Uri.file(written.file));
  }

  private html(content: PanelContent): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.lens.context.extensionUri, 'dist');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString();
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString();
    const n = nonce();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${n}'`,
      `script-src 'nonce-${n}'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const title = content.title.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}" nonce="${n}">
<title>${title}</title>
</head>
<body>
<div id="app" data-state="${content.state}"></div>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
  }
}

/** A run folder by id in any of the run roots (ids are checked: they come from webview state). */
export function findRun(lens: Lens, runId: string): RunRef | null {
  if (!isRunId(runId)) return null;
  for (const root of lens.runRoots()) {
    const dir = join(runsRoot(root), runId);
    if (existsSync(dir)) return { runId, dir };
  }
  return null;
}

export class RunPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly lens: Lens) {}

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Thenable<void> {
    this.lens.panels.restore(panel, state);
    return Promise.resolve();
  }
}
