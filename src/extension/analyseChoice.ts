/**
 * The quick-pick before an analysis: preset × image count, each with its time estimate. It opens at once
 * ("estimating…") while the engine runs a short timing probe (job `estimate`), and the estimates fill in
 * when it answers; the highlighted choice stays. Escape backs out and stops the probe.
 */
import * as vscode from 'vscode';
import { errorText } from '../engine/errors';
import { TIMING_PROBE_SECTION } from '../engine/analyse/stageWork';
import {
  ANALYSE_CHOICE_PLACEHOLDER,
  ANALYSE_PRESETS,
  OFFERED_IMAGE_COUNTS,
  analyseChoiceTitle,
  estimatedChoiceItems,
  parseTimingProbe,
  pendingChoiceItems,
  preselectedChoice,
  sameChoice,
  unestimatedChoiceItems,
  type AnalyseChoiceItem,
} from '../host/analyseChoices';
import { analyseOptions, jobRequest, type LensSettings } from '../host/settings';
import type { Lens } from './lens';

type Item = AnalyseChoiceItem & vscode.QuickPickItem;

/** Whether the model has a saved analysis (a first run gets the fast preset preselected). */
function analysedBefore(lens: Lens, model: vscode.Uri): boolean {
  return lens.savedRuns().some(({ run }) => run.readable && run.command === 'analyse' && run.modelPath === model.fsPath);
}

export async function pickAnalyseChoice(lens: Lens, model: vscode.Uri, settings: LensSettings): Promise<AnalyseChoiceItem | null> {
  const firstRun = !analysedBefore(lens, model);
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = analyseChoiceTitle(vscode.workspace.asRelativePath(model, false));
  pick.placeholder = ANALYSE_CHOICE_PLACEHOLDER;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  let closed = false;
  const show = (items: Item[], keep: Item | undefined) => {
    if (closed) return;
    pick.items = items;
    const i = keep ? sameChoice(items, keep) : preselectedChoice(items, firstRun, settings.analysePreset);
    if (i >= 0) pick.activeItems = [items[i]];
  };
  show(pendingChoiceItems(), undefined);
  pick.busy = true;

  const probe = lens.engine.start('estimate', jobRequest(model.fsPath, lens.workspaceRootOf(model), settings), {
    analyse: analyseOptions(settings, null),
    presets: [...ANALYSE_PRESETS],
    images: [...OFFERED_IMAGE_COUNTS],
  });
  probe.result
    .then((report) => {
      const probed = parseTimingProbe(report.sections[TIMING_PROBE_SECTION]);
      if (!probed.ok) throw new Error(`the engine's timing probe is malformed: ${probed.reason}`);
      const s = probed.value;
      lens.output.debug(
        `timing probe of ${model.fsPath}: ${(s.forwardSeconds * 1000).toFixed(3)} ms forward, ${s.gradientSeconds === null ? 'no gradient' : `${(s.gradientSeconds * 1000).toFixed(3)} ms gradient`} per image (${s.probeImages} images, accuracy ${(100 * s.probeAccuracy).toFixed(0)} %), setup ${s.setupSeconds.toFixed(2)} s`,
      );
      show(estimatedChoiceItems(s), pick.activeItems[0]);
    })
    .catch((e: unknown) => {
      if (closed) return;
      lens.output.warn(`timing probe of ${model.fsPath} failed: ${errorText(e)}`);
      show(unestimatedChoiceItems(errorText(e)), pick.activeItems[0]);
    })
    .finally(() => {
      if (!closed) pick.busy = false;
    });

  return new Promise((resolve) => {
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (!chosen) return;
      resolve(chosen);
      pick.hide();
    });
    pick.onDidHide(() => {
      closed = true;
      // The run queues behind a probe still going: stop it (resolving twice is a no-op after an accept).
      probe.cancel();
      resolve(null);
      pick.dispose();
    });
    pick.show();
  });
}
