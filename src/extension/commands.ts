/** The palette and context-menu commands that run models: Analyse Robustness, Quick Attack Check, Explain Image Frequencies, Compare Models. */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { QUICK_CHECK_NAME, quickCheckTitle } from '../engine/attacks/quickCheckSuite';
import { errorText } from '../engine/errors';
import { exportHistorySection, quickCheckRecord, statusText } from '../host/quickChecks';
import { writeRunReport } from '../host/runsStore';
import {
  INVERSION_IMAGE_LIMIT,
  analyseOptions,
  certifyOptions,
  explainOptions,
  fourierHeatmapOptions,
  invertOptions,
  jobRequest,
  quickCheckOptions,
} from '../host/settings';
import { ensureConfiguration, isConfigured } from './firstRunSetup';
import type { Lens } from './lens';
import { compareModels } from './compare';
import { modelForImage, resolveModel } from './modelPicker';
import type { QuickCheckStatus } from './quickCheckStatus';
import { pickAnalyseChoice } from './analyseChoice';
import { executeRun, isRunning, type RunOutcome } from './runJob';
import { requireTrust } from './trust';
import { commandTitle } from '../host/runsStore';
import { CHECKPOINTS_COMMAND_TITLE, checkpointFolder, checkpointsOptions } from '../host/checkpointsFolder';
import { findConfigFile } from '../engine/config/configFile';
import { EMPIRICAL_DEFAULTS } from '../protocol/certification';

/** Wraps a command: a thrown error (a bad setting, an unwritable folder) becomes a notification, never a silent failure. */
function command(lens: Lens, id: string, run: (...args: unknown[]) => Promise<unknown>): void {
  lens.register(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await run(...args);
      } catch (e) {
        lens.output.appendLine(`${id}: ${errorText(e)}`);
        void vscode.window.showErrorMessage(`Robustness Lens: ${errorText(e)}`, 'Show details').then((c) => {
          if (c) lens.output.show(true);
        });
      }
    }),
  );
}

/** An analysis chosen without the quick-pick (a command argument, or another command running it). */
export interface AnalyseChoice {
  preset: 'fast' | 'full';
  /** Images to evaluate (null: as the settings and robustness.json say). */
  limit: number | null;
}

/**
 * `{ preset, limit? }` passed to the command (tests, keybindings), checked; undefined when none was passed
 * (menus pass other things there: the explorer its selection, an editor title its group).
 */
export function analyseChoiceArg(arg: unknown): AnalyseChoice | undefined {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg) || !('preset' in arg)) return undefined;
  const { preset, limit = null } = arg as { preset: unknown; limit?: unknown };
  if (
    (preset !== 'fast' && preset !== 'full') ||
    (limit !== null && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1))
  ) {
    throw new Error(
      `robustnessLens.analyse: options ${JSON.stringify(arg)}: expected { preset: "fast" or "full", limit: a whole number ≥ 1 or null }`,
    );
  }
  return { preset, limit };
}

/**
 * Analyses a model: the preset and image count from the quick-pick (with time estimates), or `choice` when
 * given. A run of the same model still going is joined, without asking.
 */
export async function analyse(lens: Lens, model: vscode.Uri, choice?: AnalyseChoice): Promise<RunOutcome | null> {
  const settings = lens.settings(model);
  if (!(await ensureConfiguration(lens, model))) return null;
  const name = basename(model.fsPath);
  const running = isRunning(lens, 'analyse', model);
  const picked =
    choice || running
      ? { preset: choice?.preset ?? settings.analysePreset, limit: choice?.limit ?? null, priors: [], costs: null }
      : await pickAnalyseChoice(lens, model, settings);
  if (!picked) return null;
  const chosen = { ...settings, analysePreset: picked.preset };
  return executeRun(lens, {
    kind: 'analyse',
    model,
    title: `Analyse Robustness: ${name}`,
    panelTitle: `${commandTitle('analyse')}: ${name}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings, picked.limit ?? settings.limit),
    options: (dir) => analyseOptions(chosen, dir),
    etaPriors: picked.priors,
    etaCosts: picked.costs,
  });
}

/** Runs the quick check; `background` = started by the model watcher (no prompts, no pop-ups). */
export async function quickCheck(lens: Lens, status: QuickCheckStatus, model: vscode.Uri, background = false): Promise<void> {
  const settings = lens.settings(model);
  if (background ? !hasConfiguration(lens, model) : !(await ensureConfiguration(lens, model))) return;
  const name = basename(model.fsPath);
  status.setRunning(model, true);
  let outcome: RunOutcome | null = null;
  try {
    outcome = await executeRun(lens, {
      kind: 'attack',
      model,
      title: `${quickCheckTitle()}: ${name}`,
      panelTitle: null,
      background,
      request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings, settings.quickCheck.images),
      options: (dir) => quickCheckOptions(dir),
    });
  } finally {
    status.setRunning(model, false);
  }
  if (!outcome) return;
  const history = status.history(model);
  history.add(quickCheckRecord(outcome.report, outcome.runId));
  // With two exports or more, the check's report also draws robustness over the exports (the Robustness along
  // training chart); opening the check from the status bar shows it.
  const exportsSection = exportHistorySection(history.of(outcome.report.model.path), outcome.report.model.path);
  if (exportsSection.entries.length >= 2) {
    outcome.report.sections.exportHistory = exportsSection;
    writeRunReport(outcome.dir, outcome.report);
  }
  status.show(model);
  const latest = history.latest(outcome.report.model.path);
  if (!background && latest) {
    const text = statusText(latest.current, latest.previous).replace('$(shield) ', '');
    void vscode.window
      .showInformationMessage(
        `${QUICK_CHECK_NAME} of ${name}: ${text} under ${latest.current.attack} (fixed ε) on ${latest.current.images} images.` +
          (latest.otherAttack ? ` Not compared with the previous check, which ran ${latest.otherAttack}: a new series starts.` : ''),
        'Open Report',
      )
      .then((c) => {
        if (c) void vscode.commands.executeCommand('robustnessLens.openRun', outcome.runId);
      });
  }
}

function hasConfiguration(lens: Lens, model: vscode.Uri): boolean {
  if (isConfigured(lens, model)) return true;
  lens.output.appendLine(`${model.fsPath} changed, but it has no configuration of its own yet: run ${QUICK_CHECK_NAME} once to set it up`);
  return false;
}

async function explainImage(lens: Lens, image: vscode.Uri): Promise<void> {
  const model = await modelForImage();
  if (!model || !(await ensureConfiguration(lens, model))) return;
  const settings = lens.settings(model);
  await executeRun(lens, {
    kind: 'explain',
    model,
    subject: image.fsPath,
    title: `Explain Image Frequencies: ${basename(image.fsPath)}`,
    panelTitle: `Frequencies: ${basename(image.fsPath)}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings),
    options: (dir) => explainOptions(image.fsPath, null, dir),
  });
}

/** Randomized smoothing (the `certify` job): a pick of the sample size, then a run with its panel. */
async function certify(lens: Lens, model: vscode.Uri): Promise<void> {
  if (!(await ensureConfiguration(lens, model))) return;
  const settings = lens.settings(model);
  const name = basename(model.fsPath);
  const presets = [
    {
      label: 'Fast · n = 1,000 noise samples per image and σ',
      detail: 'certified radii up to about 2.5σ (a small n caps them); minutes on a CPU for small images',
      preset: 'fast' as const,
      empirical: false,
    },
    {
      label: 'Fast, and attack the smoothed classifier',
      detail: `beside the certificates (lower bounds), its empirical robust accuracy (an upper bound) at L2 ${EMPIRICAL_DEFAULTS.radii.join(', ')}: APGD-CE and APGD-DLR, ${EMPIRICAL_DEFAULTS.steps.fast} steps, EOT over ${EMPIRICAL_DEFAULTS.eotDraws} noise draws; several times the certification's time`,
      preset: 'fast' as const,
      empirical: true,
    },
    {
      label: "Full · n = 100,000 (Cohen et al.'s setting), and attack the smoothed classifier",
      detail: `radii up to about 4σ; a hundred times the fast preset’s forward passes; the attack at ${EMPIRICAL_DEFAULTS.steps.full} steps`,
      preset: 'full' as const,
      empirical: true,
    },
  ];
  const picked = await vscode.window.showQuickPick(presets, {
    title: `Certify ${name}: randomized smoothing (σ 0.12, 0.25, 0.5; α = 0.001)`,
    placeHolder: 'Choose how many noise samples to draw per image (forward passes only: any model works)',
  });
  if (!picked) return;
  await executeRun(lens, {
    kind: 'certify',
    model,
    title: `Certify Robustness: ${name}`,
    panelTitle: `${commandTitle('certify')}: ${name}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings),
    options: () => certifyOptions(picked.preset, picked.empirical),
  });
}

/** The Fourier heat map (the `fourier-heatmap` job): the error under each single-frequency perturbation, with its panel. */
async function fourierHeatmap(lens: Lens, model: vscode.Uri): Promise<void> {
  if (!(await ensureConfiguration(lens, model))) return;
  const settings = lens.settings(model);
  const name = basename(model.fsPath);
  await executeRun(lens, {
    kind: 'fourier-heatmap',
    model,
    title: `Fourier Heat Map: ${name}`,
    panelTitle: `${commandTitle('fourier-heatmap')}: ${name}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings),
    options: () => fourierHeatmapOptions(settings),
  });
}

/**
 * Robustness along training (the `checkpoints` job) on a folder of ONNX checkpoints. One configuration serves
 * them all (same architecture, same preprocessing): that of a checkpoint already set up, else the first one's,
 * set up now; the run names it explicitly, so every checkpoint uses it.
 */
async function checkpoints(lens: Lens, folder: vscode.Uri): Promise<void> {
  const found = checkpointFolder(folder.fsPath);
  if (!found.ok) {
    void vscode.window.showErrorMessage(`Robustness Lens: ${found.message}`);
    return;
  }
  const uris = found.listing.files.map((f) => vscode.Uri.file(f.path));
  const representative = uris.find((u) => isConfigured(lens, u)) ?? uris[0];
  if (!(await ensureConfiguration(lens, representative))) return;
  const settings = lens.settings(representative);
  const root = lens.workspaceRootOf(representative);
  const configPath = findConfigFile(representative.fsPath, root);
  const name = basename(folder.fsPath);
  const n = uris.length;
  await executeRun(lens, {
    kind: 'checkpoints',
    model: folder,
    title: `${CHECKPOINTS_COMMAND_TITLE}: ${name} (${n} checkpoint${n === 1 ? '' : 's'})`,
    panelTitle: `${commandTitle('checkpoints')}: ${name}`,
    request: { ...jobRequest(folder.fsPath, root, settings), ...(configPath ? { configPath } : {}) },
    options: () => checkpointsOptions(folder.fsPath),
  });
}

/**
 * Feature inversion (the `invert` job): this model alone, or beside a second one picked with a file dialog
 * (e.g. a natural and a robust model), on at most INVERSION_IMAGE_LIMIT images of the configured folder.
 */
async function featureInversion(lens: Lens, model: vscode.Uri): Promise<void> {
  if (!(await ensureConfiguration(lens, model))) return;
  const settings = lens.settings(model);
  const name = basename(model.fsPath);
  const how = await vscode.window.showQuickPick(
    [
      { label: 'This model alone', detail: 'invert the input of its last Gemm/MatMul layer', compare: false },
      { label: 'Compare with another model…', detail: 'pick a second .onnx of the same input shape (e.g. a robust one)', compare: true },
    ],
    { title: `Feature inversion of ${name}`, placeHolder: 'Which frequencies match its features? Alone or side by side' },
  );
  if (!how) return;
  let other: vscode.Uri | null = null;
  if (how.compare) {
    other =
      (
        await vscode.window.showOpenDialog({
          canSelectMany: false,
          filters: { 'ONNX models': ['onnx'] },
          openLabel: 'Compare',
          title: `Model to invert beside ${name}`,
        })
      )?.[0] ?? null;
    if (!other) return;
  }
  const limit = Math.min(settings.limit ?? INVERSION_IMAGE_LIMIT, INVERSION_IMAGE_LIMIT);
  await executeRun(lens, {
    kind: 'invert',
    model,
    title: `Feature Inversion: ${name}${other ? ` vs ${basename(other.fsPath)}` : ''}`,
    panelTitle: `${commandTitle('invert')}: ${name}${other ? ` vs ${basename(other.fsPath)}` : ''}`,
    request: jobRequest(model.fsPath, lens.workspaceRootOf(model), settings, limit),
    options: (dir) => invertOptions(other?.fsPath ?? null, dir),
  });
}

export function registerCommands(lens: Lens, status: QuickCheckStatus): void {
  command(lens, 'robustnessLens.analyse', async (arg, options) => {
    if (!requireTrust()) return;
    // A second argument { preset, limit } skips the quick-pick.
    const choice = analyseChoiceArg(options);
    const model = await resolveModel(arg, 'analyse');
    if (model) await analyse(lens, model, choice);
  });
  command(lens, 'robustnessLens.quickCheck', async (arg) => {
    if (!requireTrust()) return;
    const model = await resolveModel(arg, 'check');
    if (model) await quickCheck(lens, status, model);
  });
  command(lens, 'robustnessLens.certify', async (arg) => {
    if (!requireTrust()) return;
    const model = await resolveModel(arg, 'certify');
    if (model) await certify(lens, model);
  });
  command(lens, 'robustnessLens.fourierHeatmap', async (arg) => {
    if (!requireTrust()) return;
    const model = await resolveModel(arg, 'map');
    if (model) await fourierHeatmap(lens, model);
  });
  command(lens, 'robustnessLens.checkpoints', async (arg) => {
    if (!requireTrust()) return;
    const folder =
      arg instanceof vscode.Uri
        ? arg
        : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Analyse checkpoints' }))?.[0];
    if (folder) await checkpoints(lens, folder);
  });
  command(lens, 'robustnessLens.featureInversion', async (arg) => {
    if (!requireTrust()) return;
    const model = await resolveModel(arg, 'invert');
    if (model) await featureInversion(lens, model);
  });
  command(lens, 'robustnessLens.explainImage', async (arg) => {
    if (!requireTrust()) return;
    const image =
      arg instanceof vscode.Uri
        ? arg
        : (
            await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Images: ['png', 'jpg', 'jpeg'] }, openLabel: 'Explain' })
          )?.[0];
    if (image) await explainImage(lens, image);
  });
  command(lens, 'robustnessLens.compareModels', async (arg, selection) => {
    if (!requireTrust()) return;
    await compareModels(lens, arg, selection);
  });
}
