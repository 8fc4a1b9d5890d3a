/**
 * One webview panel per run, beside the active editor. The panel keeps the run's state (report, sections
 * so far, progress) and replays it whenever the webview (re)loads and says `ready`. Everything the webview
 * sends is validated; artefacts open only from inside the run folder; panels come back after a window
 * reload through the serializer (the webview keeps `{runId}` in its state).
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ReportV1 } from '../engine/report/schema';
import { handlePanelMessage, packNumericArrays } from '../host/panelMessages';
import { isRunId, loadRun, runsRoot } from '../host/runsStore';
import type { HostToWebview, PanelState } from '../protocol/webviewMessages';
import type { Lens } from './lens';

export interface RunRef {
  runId: string;
  dir: string;
}

export interface PanelContent {
  title: string;
  run: RunRef;
  compare: RunRef | null;
  state: PanelState;
  report: ReportV1 | null;
  compareReport: ReportV1 | null;
  sections: Record<string, unknown>;
  message: string | null;
}

/** A compare panel's id joins the two run ids with "+", which run ids never contain. */
export function panelId(run: RunRef, compare: RunRef | null): string {
  return compare ? `${run.runId}+${compare.runId}` : run.runId;
}

function nonce(): string {
  return randomBytes(16).toString('base64');
}

export class RunPanel implements vscode.Disposable {
  static readonly viewType = 'robustnessLens.run';
  private static readonly panels = new Map<string, RunPanel>();

  private readonly sections = new Map<string, unknown>();
  private progressMessage: HostToWebview | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  /** Set while the run is going: the webview's Cancel button calls it. */
  onCancel: (() => void) | null = null;

  /** Opens a panel for a run (or brings its open panel forward and replaces its content). */
  static show(lens: Lens, content: PanelContent): RunPanel {
    const id = panelId(content.run, content.compare);
    const existing = RunPanel.panels.get(id);
    if (existing) {
      existing.content = content;
      existing.panel.reveal(vscode.ViewColumn.Beside);
      existing.replay();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RunPanel.viewType, content.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {});
    return new RunPanel(lens, panel, content);
  }

  /** Content of a saved run (or two, compared). */
  static contentOf(run: RunRef, compare: RunRef | null, title: string): PanelContent {
    const a = loadRun(run.dir);
    const b = compare ? loadRun(compare.dir) : null;
    return {
      title, run, compare, state: a.state, report: a.report, compareReport: b?.report ?? null, sections: a.sections,
      message: b && !b.report ? `the second run cannot be shown: ${b.message}` : a.message,
    };
  }

  private constructor(private readonly lens: Lens, readonly panel: vscode.WebviewPanel, private content: PanelContent) {
    RunPanel.panels.set(panelId(content.run, content.compare), this);
    for (const [name, section] of Object.entries(content.sections)) this.sections.set(name, section);
    const extension = lens.context.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extension, 'media', 'icon.svg');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extension, 'dist'), vscode.Uri.joinPath(extension, 'media'), vscode.Uri.file(content.run.dir),
        ...(content.compare ? [vscode.Uri.file(content.compare.dir)] : []),
      ],
    };
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Restores a panel after a reload from the state its webview saved. */
  static async restore(lens: Lens, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const id = typeof state === 'object' && state !== null ? (state as { runId?: unknown }).runId : undefined;
    const [runId, compareId] = typeof id === 'string' ? id.split('+') : [];
    const run = runId ? findRun(lens, runId) : null;
    const compare = compareId ? findRun(lens, compareId) : null;
    if (!run || (compareId && !compare)) {
      panel.webview.options = { enableScripts: false };
      panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
<body><p>This Robustness Lens run is no longer in the workspace (it was deleted or moved).</p></body></html>`;
      return;
    }
    new RunPanel(lens, panel, RunPanel.contentOf(run, compare, panel.title));
  }

  progress(stage: string, done: number, total: number, etaSeconds: number | null): void {
    this.progressMessage = { type: 'progress', stage, done, total, etaSeconds };
    this.post(this.progressMessage);
  }

  section(name: string, section: unknown): void {
    this.sections.set(name, section);
    this.post({ type: 'section', name, section });
  }

  /** The run finished (or was cancelled with a partial report). */
  finish(report: ReportV1, message: string | null): void {
    this.onCancel = null;
    this.progressMessage = null;
    this.content = { ...this.content, report, state: report.status === 'partial' ? 'partial' : report.status, message };
    this.sections.clear();
    this.replay();
  }

  /** The run failed; sections that had arrived stay on screen. */
  fail(message: string, state: 'failed' | 'cancelled' = 'failed'): void {
    this.onCancel = null;
    this.progressMessage = null;
    this.content = { ...this.content, state, message };
    this.post({ type: 'state', state, message });
  }

  dispose(): void {
    RunPanel.panels.delete(panelId(this.content.run, this.content.compare));
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Everything the webview needs to show the current state from scratch. */
  private replay(): void {
    const c = this.content;
    const base = (dir: string) => this.panel.webview.asWebviewUri(vscode.Uri.file(dir)).toString();
    this.post({
      type: 'init', runId: panelId(c.run, c.compare), title: c.title, state: c.state, report: c.report, compareWith: c.compareReport,
      resourceBase: base(c.run.dir), compareResourceBase: c.compare ? base(c.compare.dir) : null,
    });
    for (const [name, section] of this.sections) this.post({ type: 'section', name, section });
    if (this.progressMessage) this.post(this.progressMessage);
    if (c.message) this.post({ type: 'state', state: c.state, message: c.message });
  }

  private post(m: HostToWebview): void {
    void this.panel.webview.postMessage(packNumericArrays(m));
  }

  /** Validation and the rules (what a webview may ask for) live in handlePanelMessage; here only the vscode effects. */
  private receive(raw: unknown): Promise<void> {
    const runDirs = [this.content.run.dir, ...(this.content.compare ? [this.content.compare.dir] : [])];
    const filters: Record<string, Record<string, string[]>> = { svg: { 'SVG image': ['svg'] }, png: { 'PNG image': ['png'] }, csv: { 'CSV data': ['csv'] } };
    return handlePanelMessage<vscode.Uri>(raw, runDirs, {
      replay: () => this.replay(),
      cancel: () => this.onCancel?.(),
      chooseExportTarget: async (fileName, format) => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? homedir();
        return (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(folder, fileName)), filters: filters[format], saveLabel: 'Export' })) ?? null;
      },
      writeExport: async (target, bytes, chartId) => {
        await vscode.workspace.fs.writeFile(target, bytes);
        this.lens.output.appendLine(`exported ${chartId} as ${target.fsPath}`);
      },
      openFile: async (path) => {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path), { viewColumn: vscode.ViewColumn.Beside, preview: true });
      },
      refused: (reason, tellUser) => {
        this.lens.output.appendLine(`[panel ${this.content.run.runId}] ${reason}`);
        if (tellUser) void vscode.window.showWarningMessage(`Robustness Lens: ${reason}`);
      },
    });
  }

  private html(): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.lens.context.extensionUri, 'dist');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css'));
    const n = nonce();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${n}'`,
      `script-src 'nonce-${n}'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const title = this.content.title.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
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
<div id="app" data-state="${this.content.state}"></div>
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
    return RunPanel.restore(this.lens, panel, state);
  }
}
