/**
 * The "every export" loop: with robustnessLens.quickCheck.onModelChange on (and the workspace trusted),
 * a changed or new .onnx file gets a Quick Attack Check 2 s after its last write.
 */
import * as vscode from 'vscode';
import { sep } from 'node:path';
import { KeyedDebouncer } from '../host/debounce';
import { Disposable, DisposableStore, MutableDisposable, toDisposable } from '../host/dispose';
import { quickCheck } from './commands';
import type { Lens } from './lens';
import type { QuickCheckStatus } from './quickCheckStatus';

const DEBOUNCE_MS = 2000;

export class ModelWatcher extends Disposable {
  /** The watcher and its subscriptions while the setting is on. */
  private readonly watching = this._register(new MutableDisposable<DisposableStore>());
  private readonly debouncer: KeyedDebouncer<string>;

  constructor(
    private readonly lens: Lens,
    status: QuickCheckStatus,
  ) {
    super();
    this.debouncer = this._register(
      new KeyedDebouncer(DEBOUNCE_MS, (path) => {
        lens.output.appendLine(`${path} changed: running the Quick Attack Check`);
        quickCheck(lens, status, vscode.Uri.file(path), true).catch((e: unknown) =>
          lens.output.appendLine(`quick check of ${path} failed: ${(e as Error).message}`),
        );
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('robustnessLens.quickCheck.onModelChange')) this.update();
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.update()));
    this.update();
  }

  private enabled(): boolean {
    return (
      vscode.workspace.isTrusted && vscode.workspace.getConfiguration('robustnessLens').get<boolean>('quickCheck.onModelChange') === true
    );
  }

  private update(): void {
    if (this.enabled() && !this.watching.value) {
      const store = new DisposableStore();
      // Switched off, the pending checks go with the watcher.
      store.add(toDisposable(() => this.debouncer.dispose()));
      const watcher = store.add(vscode.workspace.createFileSystemWatcher('**/*.onnx'));
      const trigger = (uri: vscode.Uri) => {
        if (uri.scheme === 'file' && !uri.fsPath.includes(`${sep}node_modules${sep}`)) this.debouncer.trigger(uri.fsPath);
      };
      store.add(watcher.onDidChange(trigger));
      store.add(watcher.onDidCreate(trigger));
      this.watching.value = store;
      this.lens.output.appendLine('quick check on model change: watching **/*.onnx');
    } else if (!this.enabled() && this.watching.value) {
      this.watching.clear();
    }
  }
}
