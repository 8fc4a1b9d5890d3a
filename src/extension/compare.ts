/**
 * Compare Models and Compare Runs. Before two runs are put side by side they are checked (src/host/runMatch.ts):
 * a run older than its model file or configuration, or two runs that differ in images, seed, class order,
 * preprocessing, ε or attack suite, are never compared silently — a dialog says exactly what differs and
 * offers to re-run a side with the other side's settings, to compare anyway (the panel then carries the
 * differences at its top), or to cancel. The rules of the dialog are src/host/compareChoices.ts.
 */
import * as vscode from 'vscode';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ReportV1 } from '../engine/report/schema';
import {
  compareChoices,
  compareQuestion,
  comparisonNotes,
  needsAsking,
  settingsToMatch,
  type CompareCheck,
  type SideKey,
} from '../host/compareChoices';
import { matchSettings, runDifferences, runStaleness, type StalenessProbe } from '../host/runMatch';
import { commandTitle, loadRun } from '../host/runsStore';
import { diskStalenessProbe } from '../host/stalenessProbe';
import type { RunRef } from '../host/runView';
import { analyseOptions, jobRequest } from '../host/settings';
import { ensureConfiguration } from './firstRunSetup';
import type { Lens } from './lens';
import { twoModels } from './modelPicker';
import { executeRun } from './runJob';
import { savedContent } from './runPanel';

/** A run of a compared side, with the model it analysed (null: the model is unknown, e.g. an unreadable run). */
interface SideRun extends RunRef {
  model: vscode.Uri | null;
}

/** The latest analyse run of a model that has a report (complete, or partial when it was cancelled), if any. */
function latestAnalysis(lens: Lens, model: vscode.Uri): (RunRef & { createdAt: Date; partial: boolean }) | null {
  const run = lens
    .savedRuns()
    .map((r) => r.run)
    .find((r) => r.readable && r.command === 'analyse' && r.status !== 'failed' && r.modelPath === model.fsPath);
  return run && run.readable ? { runId: run.id, dir: run.dir, createdAt: run.createdAt, partial: run.status === 'partial' } : null;
}

function stalenessProbe(lens: Lens): StalenessProbe {
  return diskStalenessProbe((modelPath) => lens.workspaceRootOf(vscode.Uri.file(modelPath)));
}

/** Both reports, or the reason one cannot be compared. */
function reportsOf(runs: [SideRun, SideRun]): { ok: true; reports: [ReportV1, ReportV1] } | { ok: false; reason: string } {
  const loaded = runs.map((r) => loadRun(r.dir));
  for (let k = 0; k < 2; k++) {
    if (!loaded[k].report) return { ok: false, reason: `run ${runs[k].runId} has no report: ${loaded[k].message ?? 'unreadable'}` };
  }
  return { ok: true, reports: [loaded[0].report!, loaded[1].report!] };
}

async function checkRuns(lens: Lens, reports: [ReportV1, ReportV1], rerunnable: [boolean, boolean]): Promise<CompareCheck> {
  const probe = stalenessProbe(lens);
  const side = async (r: ReportV1, canRerun: boolean) => {
    const staleness = await runStaleness(r, probe);
    return {
      label: basename(r.model.path),
      createdAt: r.createdAt,
      staleness,
      canRerun: canRerun && !staleness.modelMissing && r.command === 'analyse',
    };
  };
  return {
    a: await side(reports[0], rerunnable[0]),
    b: await side(reports[1], rerunnable[1]),
    differences: runDifferences(reports[0], reports[1]),
  };
}

/** Analyses a model: with the settings that make it match `match` (a report), or the current settings. */
async function analyseMatching(lens: Lens, model: vscode.Uri, match: ReportV1 | null): Promise<SideRun | null> {
  if (!(await ensureConfiguration(lens, model))) return null;
  const current = lens.settings(model);
  const settings = match ? settingsToMatch(current, matchSettings(match)) : current;
  const name = basename(model.fsPath);
  const outcome = await executeRun(lens, {
    kind: 'analyse',
    model,
    title: `Analyse Robustness: ${name}`,
    panelTitle: `${commandTitle('analyse')}: ${name}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings),
    options: (dir) => analyseOptions(settings, dir),
  });
  if (!outcome) return null;
  outcome.panel?.close();
  return { runId: outcome.runId, dir: outcome.dir, model };
}

/**
 * Checks two runs and, while they are stale or differ, asks what to do; re-runs what the user picks (each
 * side at most once: a second run with the same settings would not change what it cannot fix) and shows
 * the comparison, with its differences, unless the user cancels.
 */
async function compareChecked(lens: Lens, runs: [SideRun, SideRun], title: string): Promise<void> {
  const rerunDone: [boolean, boolean] = [false, false];
  for (;;) {
    const loaded = reportsOf(runs);
    if (!loaded.ok) {
      void vscode.window.showWarningMessage(`Robustness Lens: cannot compare: ${loaded.reason}.`);
      return;
    }
    const check = await checkRuns(lens, loaded.reports, [!rerunDone[0] && runs[0].model !== null, !rerunDone[1] && runs[1].model !== null]);
    const notes = comparisonNotes(check);
    if (!needsAsking(check)) {
      lens.panels.show(savedContent(runs[0], runs[1], title, notes));
      return;
    }
    const choices = compareChoices(check);
    const question = compareQuestion(check);
    lens.output.appendLine(`Compare: ${question.message}\n${question.detail}`);
    const picked = await vscode.window.showWarningMessage(
      question.message,
      { modal: true, detail: question.detail },
      ...choices.map((c) => c.label),
    );
    const choice = choices.find((c) => c.label === picked);
    if (!choice) return;
    if (choice.action.kind === 'compare-anyway') {
      lens.panels.show(savedContent(runs[0], runs[1], title, notes));
      return;
    }
    const { sides, match } = choice.action;
    for (const side of sides) {
      const k = side === 'a' ? 0 : 1;
      const matchReport = match ? loaded.reports[match === 'a' ? 0 : 1] : null;
      const fresh = await analyseMatching(lens, runs[k].model!, matchReport);
      if (!fresh) return;
      runs[k] = fresh;
      rerunDone[k] = true;
    }
  }
}

export async function compareModels(lens: Lens, arg: unknown, selection: unknown): Promise<void> {
  const models = await twoModels(arg, selection);
  if (!models) return;
  const title = `Compare: ${basename(models[0].fsPath)} vs ${basename(models[1].fsPath)}`;
  const previous = models.map((m) => latestAnalysis(lens, m));
  const runs: (SideRun | null)[] = previous.map((r, k) => (r ? { runId: r.runId, dir: r.dir, model: models[k] } : null));
  if (previous[0] && previous[1]) {
    // A cancelled analysis is only part of one: say so before it is compared as if it were whole.
    const reuse = await vscode.window.showQuickPick(
      [
        {
          label: 'Reuse the latest analyses',
          reuse: true,
          detail: previous
            .map((r, k) => `${basename(models[k].fsPath)}: ${r!.createdAt.toLocaleString()}${r!.partial ? ' (partial: cancelled)' : ''}`)
            .join(' · '),
        },
        { label: 'Run new analyses', detail: 'analyse both models again with the current settings', reuse: false },
      ],
      { placeHolder: 'Both models have been analysed before (reused runs are checked against their models and each other)' },
    );
    if (!reuse) return;
    if (!reuse.reuse) runs.fill(null);
  }
  // A model analysed for the first time copies the other side's settings, so that the two runs match.
  const order: SideKey[] = runs[0] || !runs[1] ? ['a', 'b'] : ['b', 'a'];
  for (const side of order) {
    const k = side === 'a' ? 0 : 1;
    if (runs[k]) continue;
    const other = runs[1 - k];
    const otherReport = other ? loadRun(other.dir).report : null;
    const fresh = await analyseMatching(lens, models[k], otherReport && !otherIsStale(otherReport) ? otherReport : null);
    if (!fresh) return;
    runs[k] = fresh;
  }
  await compareChecked(lens, runs as [SideRun, SideRun], title);
}

/** Cheap part of the staleness check (no hashing): a new run copies settings only from a run that is not obviously out of date. */
function otherIsStale(r: ReportV1): boolean {
  try {
    return statSync(r.model.path).mtimeMs > Date.parse(r.createdAt);
  } catch {
    return true;
  }
}

/** Compare Runs (the Runs view): two saved runs, checked like Compare Models' runs. */
export async function compareRuns(
  lens: Lens,
  a: RunRef & { modelPath: string | null },
  b: RunRef & { modelPath: string | null },
  title: string,
): Promise<void> {
  const side = (r: RunRef & { modelPath: string | null }): SideRun => ({
    runId: r.runId,
    dir: r.dir,
    model: r.modelPath ? vscode.Uri.file(r.modelPath) : null,
  });
  await compareChecked(lens, [side(a), side(b)], title);
}
