/**
 * The extension's shared services: the output channel, the engine client (its process starts on the first
 * run), the runs of this session (live runs) and their panels, settings, and where runs are kept.
 * Everything registered here is disposed with the extension.
 */
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { errorText } from '../engine/errors';
import { Disposable, type IDisposable } from '../host/dispose';
import { EngineClient } from '../host/engineClient';
import { LiveRuns } from '../host/liveRuns';
import { readSettings, type LensSettings } from '../host/settings';
import { RunPanels } from './runPanel';
import { listRuns, type RunListing } from '../host/runsStore';

const EXTRA_ROOTS_KEY = 'robustnessLens.extraRunRoots';

export class Lens extends Disposable {
  /**
   * The users' log (a log channel: its level is set from the channel's menu). What a user needs is info and
   * above; developer metrics (timings, event-loop delay) go to debug.
   */
  readonly output = this._register(vscode.window.createOutputChannel('Robustness Lens', { log: true }));
  /** Milliseconds from the bundle starting to load to the end of activate(). */
  activationMs = 0;
  private engineClient: EngineClient | null = null;
  private disposing: Promise<void> | null = null;
  private readonly runsChanged = this._register(new vscode.EventEmitter<void>());
  /** Fired when a run is added, removed, or ends. */
  readonly onDidChangeRuns = this.runsChanged.event;
  private savedRunsCache: { root: string; run: RunListing }[] | null = null;
  /** This session's runs by run id: what a panel opened mid-run (or after a failure) starts from. */
  readonly liveRuns = this._register(new LiveRuns((e) => this.output.warn(`a run panel failed to take an update: ${errorText(e)}`)));
  readonly panels: RunPanels;

  constructor(readonly context: vscode.ExtensionContext) {
    super();
    this.panels = this._register(new RunPanels(this));
  }

  get engine(): EngineClient {
    // A client made now would start a process nothing disposes.
    if (this.disposing || this.isDisposed) throw new Error('Robustness Lens is shutting down');
    this.engineClient ??= new EngineClient({
      enginePath: this.context.asAbsolutePath('dist/engineProcess.js'),
      // The engine's output: native crash messages land here, so users see it.
      onOutput: (line) => this.output.info(`[engine] ${line}`),
      onProtocolError: (reason) => this.output.warn(`[engine] message rejected: ${reason}`),
    });
    return this.engineClient;
  }

  /** Versions the engine process reported, if one ran (never starts a client: this is read after runs, even during shutdown). */
  get engineVersions(): Record<string, string> | null {
    return this.engineClient?.versions ?? null;
  }

  /** The settings for a model (folder-level settings apply); throws a USAGE EngineError on a bad value. */
  settings(scope?: vscode.Uri): LensSettings {
    const cfg = vscode.workspace.getConfiguration('robustnessLens', scope);
    return readSettings((key) => cfg.get(key));
  }

  /** The workspace folder that holds a file (robustness.json's upward search stops there). */
  workspaceRootOf(file: vscode.Uri): string | undefined {
    return vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath;
  }

  /**
   * Where a model's runs are saved: its workspace folder, else the first workspace folder, else the model's
   * own folder (remembered, so the runs view and restored panels still find them).
   */
  runRootFor(model: vscode.Uri): string {
    const root = this.workspaceRootOf(model) ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (root) return root;
    const dir = dirname(model.fsPath);
    const extra = this.extraRunRoots();
    if (!extra.includes(dir)) void this.context.globalState.update(EXTRA_ROOTS_KEY, [...extra, dir]);
    return dir;
  }

  /** Every folder whose `.robustness/runs` may hold runs. */
  runRoots(): string[] {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return [...new Set([...roots, ...this.extraRunRoots()])];
  }

  /** Every saved run under the run roots, read from disk once per change: the Runs view and every model view share it. */
  savedRuns(): readonly { root: string; run: RunListing }[] {
    return (this.savedRunsCache ??= this.runRoots().flatMap((root) => listRuns(root).map((run) => ({ root, run }))));
  }

  /** A run was written, finished or deleted (here or on disk): the listing is read again by whoever shows it next. */
  runsDidChange(): void {
    this.savedRunsCache = null;
    this.runsChanged.fire();
  }

  /** Makes `d` live as long as the extension (disposed, newest first, on deactivate). */
  register<T extends IDisposable>(d: T): T {
    return this._register(d);
  }

  // A caller that can wait (deactivate) awaits the engine's exit; one holding it as a plain Disposable need not.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override dispose(): Promise<void> {
    // The engine first: its last output still has a channel to go to.
    this.disposing ??= (async () => {
      await this.engineClient?.dispose();
      super.dispose();
    })();
    return this.disposing;
  }

  private extraRunRoots(): string[] {
    const v = this.context.globalState.get<unknown>(EXTRA_ROOTS_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }
}
