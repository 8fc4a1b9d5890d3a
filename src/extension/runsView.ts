/**
 * The "Robustness Runs" tree: every saved run (model, date, status, headline number), newest first, with
 * open, compare two, delete and reveal. A folder whose report cannot be read is listed with the reason; a
 * run still going is listed as running and opens its live panel (progress so far, then the result).
 */
import * as vscode from 'vscode';
import { errorText } from '../engine/errors';
import { Disposable } from '../host/dispose';
import type { LiveRun } from '../host/liveRuns';
import { deleteRun, describeRun, type RunListing } from '../host/runsStore';
import { compareRuns } from './compare';
import type { Lens } from './lens';
import { offerRetry } from './runJob';
import { findRun, savedContent } from './runPanel';

interface RunNode {
  root: string;
  run: RunListing;
}

function when(d: Date | null): string {
  return d
    ? d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : 'unknown date';
}

export class RunsTreeProvider extends Disposable implements vscode.TreeDataProvider<RunNode> {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly lens: Lens) {
    super();
  }

  refresh(): void {
    this.changed.fire();
  }

  getChildren(node?: RunNode): RunNode[] {
    if (node) return [];
    return [...this.lens.savedRuns()];
  }

  getTreeItem({ run }: RunNode): vscode.TreeItem {
    const item = new vscode.TreeItem(run.model, vscode.TreeItemCollapsibleState.None);
    item.id = run.dir;
    item.resourceUri = vscode.Uri.file(run.dir);
    const live = this.lens.liveRuns.get(run.id);
    if (live?.isRunning) {
      liveItem(item, run, live);
    } else if (run.readable) {
      item.description = `${when(run.createdAt)} · ${run.title} · ${run.status} · ${run.headline}`;
      item.tooltip = new vscode.MarkdownString(
        `**${run.model}** — ${run.title}\n\n${when(run.createdAt)} — ${run.status}\n\n${run.headline}\n\n\`${run.id}\``,
      );
      item.iconPath = new vscode.ThemeIcon(run.status === 'complete' ? 'pass' : run.status === 'partial' ? 'circle-slash' : 'error');
      item.contextValue = 'robustnessLens.run';
      item.command = { title: 'Open Run', command: 'robustnessLens.openRun', arguments: [run.id] };
    } else {
      item.description = `${when(run.createdAt)} · unreadable: ${run.reason}`;
      item.tooltip = `${run.id}\nThis run cannot be shown: ${run.reason}`;
      item.iconPath = new vscode.ThemeIcon('warning');
      item.contextValue = 'robustnessLens.unreadableRun';
    }
    item.accessibilityInformation = { label: `${run.model}, ${item.description}` };
    return item;
  }
}

/** A run of this session still going: no report yet, but a panel can follow it. */
function liveItem(item: vscode.TreeItem, run: RunListing, live: LiveRun): void {
  item.description = `${when(run.createdAt)} · ${live.kind} · running`;
  item.tooltip = `${run.model} (${live.kind}) is running: click to follow its progress\n${run.id}`;
  item.iconPath = new vscode.ThemeIcon('loading~spin');
  item.contextValue = 'robustnessLens.liveRun';
  item.command = { title: 'Open Run', command: 'robustnessLens.openRun', arguments: [run.id] };
}

/** A saved run's panel title: what the run is, then the model, e.g. "Quick Attack Check (FGSM, PGD-10 L∞ at ε = 8/255): net (14:05)". */
function runPanelTitle(listing: RunListing, when: string): string {
  return listing.readable ? `${listing.title}: ${listing.model}${when}` : `Robustness: ${listing.model}${when}`;
}

/** Run id from a command argument: a tree node (context menu) or an id (status bar, tree item click). */
function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as RunNode | undefined;
  return node?.run?.id;
}

export function registerRunsView(lens: Lens): RunsTreeProvider {
  const provider = lens.register(new RunsTreeProvider(lens));
  const view = lens.register(vscode.window.createTreeView('robustnessLens.runs', { treeDataProvider: provider, canSelectMany: true }));
  lens.register(lens.onDidChangeRuns(() => provider.refresh()));
  const watcher = lens.register(vscode.workspace.createFileSystemWatcher('**/.robustness/runs/*/{report,failure}.json'));
  for (const event of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) lens.register(event(() => lens.runsDidChange()));

  const selected = (arg: unknown, all: unknown): RunNode[] => {
    const list =
      Array.isArray(all) && all.length ? (all as RunNode[]) : arg && typeof arg === 'object' ? [arg as RunNode] : [...view.selection];
    return list.filter((n) => n?.run);
  };

  lens.register(
    vscode.commands.registerCommand('robustnessLens.openRun', (arg: unknown) => {
      const id = runIdOf(arg);
      // A run of this session: its live state (progress so far, or a failure that can be retried), not only its folder.
      const live = id ? lens.liveRuns.get(id) : undefined;
      if (live) {
        lens.panels.showLive(live);
        if (live.retryable) offerRetry(lens, live);
        return;
      }
      const run = id ? findRun(lens, id) : null;
      if (!run) {
        void vscode.window.showWarningMessage(`Robustness Lens: run ${id ?? '(none)'} is no longer in the workspace.`);
        return;
      }
      const listing = describeRun(run.runId, run.dir);
      const when = listing.createdAt ? ` (${listing.createdAt.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })})` : '';
      lens.panels.show(savedContent(run, null, runPanelTitle(listing, when)));
    }),
  );

  lens.register(
    vscode.commands.registerCommand('robustnessLens.compareRuns', (arg: unknown, all: unknown) => {
      const nodes = selected(arg, all).filter((n) => n.run.readable);
      if (nodes.length !== 2) {
        void vscode.window.showInformationMessage('Robustness Lens: select exactly two readable runs (Ctrl/Cmd-click) to compare them.');
        return;
      }
      const [a, b] = nodes.map((n) => ({ runId: n.run.id, dir: n.run.dir, modelPath: n.run.readable ? n.run.modelPath : null }));
      // Checked first: stale or mismatched runs are never compared without asking.
      void compareRuns(lens, a, b, `Compare: ${nodes[0].run.model} vs ${nodes[1].run.model}`).catch((e: unknown) => {
        lens.output.appendLine(`robustnessLens.compareRuns: ${errorText(e)}`);
        void vscode.window.showErrorMessage(`Robustness Lens: ${errorText(e)}`);
      });
    }),
  );

  lens.register(
    vscode.commands.registerCommand('robustnessLens.deleteRun', async (arg: unknown, all: unknown) => {
      const nodes = selected(arg, all);
      if (!nodes.length) return;
      const what = nodes.length === 1 ? `run ${nodes[0].run.id}` : `${nodes.length} runs`;
      const ok = await vscode.window.showWarningMessage(
        `Delete ${what}? Its folder (report and images) is removed from .robustness/runs.`,
        { modal: true },
        'Delete',
      );
      if (ok !== 'Delete') return;
      for (const n of nodes) deleteRun(n.root, n.run.id);
      lens.output.appendLine(`deleted ${nodes.map((n) => n.run.id).join(', ')}`);
      lens.runsDidChange();
    }),
  );

  lens.register(
    vscode.commands.registerCommand('robustnessLens.revealRun', async (arg: unknown) => {
      const node = selected(arg, undefined)[0];
      if (node) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(node.run.dir));
    }),
  );

  // Not in the menus yet: the failure notification's Retry, and reopened panels of a crashed run, call it.
  lens.register(
    vscode.commands.registerCommand('robustnessLens.retryRun', (arg: unknown) => {
      const id = runIdOf(arg);
      const live = id ? lens.liveRuns.get(id) : undefined;
      if (!live?.retry())
        void vscode.window.showInformationMessage(
          `Robustness Lens: run ${id ?? '(none)'} cannot be retried (only a crashed run of this session can, once).`,
        );
    }),
  );

  lens.register(vscode.commands.registerCommand('robustnessLens.refreshRuns', () => lens.runsDidChange()));
  lens.register(
    vscode.commands.registerCommand('robustnessLens.showRuns', async () => {
      await vscode.commands.executeCommand('robustnessLens.runs.focus');
    }),
  );
  return provider;
}
