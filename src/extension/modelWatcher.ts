/**
 * The "every export" loop: with robustnessLens.quickCheck.onModelChange on (and the workspace trusted),
 * a changed or new .onnx file gets a Quick Attack Check 2 s after its last write.
 */
import * as vscode from 'vscode';
import { sep } from 'node:path';
import { KeyedDebouncer } from '../host/debounce';
import { quickCheck } from './commands';
import type { Lens } from './lens';
import type { QuickCheckStatus } from './quickCheckStatus';

const DEBOUNCE_MS = 2000;

export class ModelWatcher implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | null = null;
  private readonly debouncer: KeyedDebouncer<string>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly lens: Lens, status: QuickCheckStatus) {
    this.debouncer = new KeyedDebouncer(DEBOUNCE_MS, (path) => {
      lens.output.appendLine(`${path} changed: running the Quick Attack Check`);
      quickCheck(lens, status, vscode.Uri.file(path), true).catch((e: unknown) => lens.output.appendLine(`quick check of ${path} failed: ${(e as Error).message}`));
    });
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('robustnessLens.quickCheck.onModelChange')) this.update(); }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.update()),
    );
    this.update();
  }

  private enabled(): boolean {
    return vscode.workspace.isTrusted && vscode.workspace.getConfiguration('robustnessLens').get<boolean>('quickCheck.onModelChange') === true;
  }

  private update(): void {
    if (this.enabled() && !this.watcher) {
      this.watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx');
      const trigger = (uri: vscode.Uri) => { if (uri.scheme === 'file' && !uri.fsPath.includes(`${sep}node_modules${sep}`)) this.debouncer.trigger(uri.fsPath); };
      this.watcher.onDidChange(trigger);
      this.watcher.onDidCreate(trigger);
      this.lens.output.appendLine('quick check on model change: watching **/*.onnx');
    } else if (!this.enabled() && this.watcher) {
      this.watcher.dispose();
      this.watcher = null;
      this.debouncer.dispose();
    }
  }

  dispose(): void {
    this.watcher?.dispose();
    this.debouncer.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
