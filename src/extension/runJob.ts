/**
 * One run from the user's side: a run folder, a cancellable progress notification (stage, count, one ETA for
 * the whole run that counts down every second), the engine's log in the output channel, sections streaming
 * into the run's live state (lens.liveRuns), which any panel of the run follows, and at the end report.json
 * (or failure.json with what had arrived) plus host-metrics.json with the extension host's event-loop delay.
 * An analysis that finishes says so in a notification with its headline numbers and Open Report; a failure
 * gives its reason and Retry; a cancel only a status-bar line.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { errorText } from '../engine/errors';
import type { JobRequest } from '../engine/jobs/prepare';
import type { ReportV1 } from '../engine/report/schema';
import { EngineRunError } from '../host/engineClient';
import type { PassCosts } from '../engine/analyse/stageWork';
import { RunEta, timeLeftText, type StagePrior } from '../host/eta';
import { EventLoopDelayProbe } from '../host/eventLoopDelay';
import { HostProfiler } from '../host/hostProfiler';
import type { LiveRun, RunProgress } from '../host/liveRuns';
import { analysisFinishedText } from '../host/runNotifications';
import { createRunFolder, writeHostMetrics, writeRunFailure, writeRunReport } from '../host/runsStore';
import type { JobKind, JobOptionsByKind } from '../protocol/engineMessages';
import type { Lens } from './lens';
import type { RunPanel } from './runPanel';

export interface RunSpec<K extends JobKind> {
  kind: K;
  model: vscode.Uri;
  /** What the job looks at besides the model (the explained image): part of what makes two runs the same. */
  subject?: string;
  /** Notification title, e.g. "Analyse Robustness: model.onnx". */
  title: string;
  /** Panel title; null = no panel (the quick check reports in the status bar). */
  panelTitle: string | null;
  request: JobRequest;
  /** Job options for the run folder the job writes its images into. */
  options: (runDir: string) => JobOptionsByKind[K];
  /** Started by a file watcher, not the user: progress in the status bar, no pop-ups on success. */
  background?: boolean;
  /** Expected seconds per progress stage (the timing probe's estimate): the ETA's prior for stages not yet measured. */
  etaPriors?: StagePrior[];
  /** The probe's per-image pass costs: they price the passes a stage reports it now expects. */
  etaCosts?: PassCosts | null;
}

/** How often the ETA counts down between progress messages. */
const ETA_TICK_MS = 1000;

export interface RunOutcome {
  runId: string;
  dir: string;
  report: ReportV1;
  /** The panel showing the run when it ended, if one was open. */
  panel: RunPanel | null;
}

/** Runs with the same key do the same work. */
function runKey<K extends JobKind>(spec: Pick<RunSpec<K>, 'kind' | 'model' | 'subject'>): string {
  return JSON.stringify([spec.kind, spec.model.fsPath, spec.subject ?? null]);
}

/** Whether a run of this job on this model (and subject) is going, which starting it again would join. */
export function isRunning(lens: Lens, kind: JobKind, model: vscode.Uri, subject?: string): boolean {
  return lens.liveRuns.runningWith(runKey({ kind, model, subject })) !== undefined;
}

/**
 * Starts a run, or — when the same run (job, model, subject) with a panel is still going — shows that
 * run's panel and waits for it, instead of queueing a duplicate behind it.
 */
export async function executeRun<K extends JobKind>(lens: Lens, spec: RunSpec<K>): Promise<RunOutcome | null> {
  const same = spec.panelTitle ? lens.liveRuns.runningWith(runKey(spec)) : undefined;
  return same ? joinRun(lens, same) : startRun(lens, spec);
}

async function joinRun(lens: Lens, live: LiveRun): Promise<RunOutcome | null> {
  lens.output.appendLine(`[${live.runId}] already running: showing its panel`);
  lens.panels.showLive(live);
  const report = await live.settled;
  return report ? { runId: live.runId, dir: live.dir, report, panel: lens.panels.find(live.runId) ?? null } : null;
}

async function startRun<K extends JobKind>(lens: Lens, spec: RunSpec<K>): Promise<RunOutcome | null> {
  const { id: runId, dir } = createRunFolder(lens.runRootFor(spec.model), spec.model.fsPath);
  // Registered before the Runs view hears of the folder, so that it lists the run as running.
  const live = lens.liveRuns.start({ runId, dir, kind: spec.kind, title: spec.panelTitle ?? spec.title, key: runKey(spec) });
  lens.runsDidChange();
  try {
    return await runLive(lens, spec, live);
  } catch (e) {
    // A run that can no longer end by itself (e.g. its report could not be written) must not show as running forever.
    live.failed(`the run stopped: ${errorText(e)}`);
    lens.runsDidChange();
    throw e;
  }
}

async function runLive<K extends JobKind>(lens: Lens, spec: RunSpec<K>, live: LiveRun): Promise<RunOutcome | null> {
  const { runId, dir } = live;
  const log = (line: string) => lens.output.appendLine(`[${runId}] ${line}`);
  log(`${spec.kind} ${spec.model.fsPath} → ${dir}`);
  if (spec.panelTitle) lens.panels.showLive(live);
  const profiler = await HostProfiler.startIfAsked();
  const started = performance.now();
  const probe = new EventLoopDelayProbe();
  const eta = new RunEta(spec.etaPriors ?? [], spec.etaCosts ?? null);
  let last: Omit<RunProgress, 'etaSeconds'> | null = null;

  const outcome = await vscode.window.withProgress(
    {
      location: spec.background ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
      title: spec.title,
      cancellable: !spec.background,
    },
    async (progress, token) => {
      // The notification and the panels show the same ETA, counted down every second between messages.
      const show = () => {
        if (!last) return;
        const left = eta.remaining(performance.now());
        progress.report({ message: `${last.stage}: ${last.done}/${last.total}${timeLeftText(left)}` });
        live.progressed({ ...last, etaSeconds: left });
      };
      const ticker = setInterval(show, ETA_TICK_MS);
      try {
        const run = lens.engine.start(spec.kind, spec.request, spec.options(dir), {
          onProgress: (p) => {
            eta.update(p.stage, p.done, p.total, performance.now(), p);
            last = { stage: p.stage, done: p.done, total: p.total };
            show();
          },
          onLog: log,
          onSection: (name, section) => live.sectionArrived(name, section),
        });
        const cancel = () => {
          log('cancelling after the current batch…');
          run.cancel();
        };
        const cancelRequests = token.onCancellationRequested(cancel);
        live.onCancel(cancel);
        try {
          return { report: await run.result, error: null };
        } finally {
          cancelRequests.dispose();
        }
      } catch (e) {
        return { report: null, error: e };
      } finally {
        clearInterval(ticker);
      }
    },
  );

  const delay = probe.stop();
  const runSeconds = (performance.now() - started) / 1000;
  if (profiler) log(`extension host CPU profile: ${await profiler.stop(runId)}`);
  const engineExit = outcome.error instanceof EngineRunError ? outcome.error.exit : null;
  writeHostMetrics(dir, {
    activationMs: lens.activationMs,
    eventLoopDelayMaxMs: delay.maxMs,
    eventLoopDelayP99Ms: delay.p99Ms,
    engineExit,
    runSeconds,
    engineVersions: lens.engineVersions,
  });
  // A developer's metric: at debug level only (the output channel's log level shows it when asked).
  lens.output.debug(
    `[${runId}] extension host event-loop delay during the run: max ${delay.maxMs} ms, p99 ${delay.p99Ms} ms (${runSeconds.toFixed(1)} s)`,
  );

  if (outcome.report) {
    const report = outcome.report;
    writeRunReport(dir, report);
    const partial = report.status === 'partial';
    log(`${report.status}: report ${vscode.Uri.file(dir).fsPath}/report.json`);
    // After the report is on disk: a panel opened once the run has left the live runs reads it from there.
    live.finished(report, partial ? 'cancelled: the report holds what finished' : null);
    lens.runsDidChange();
    // A cancel is the user's own doing: a status-bar line, not a pop-up.
    if (partial && !spec.background) vscode.window.setStatusBarMessage(`${spec.title}: cancelled; the partial report is kept`, 8000);
    if (!partial && !spec.background && spec.kind === 'analyse') notifyFinished(spec, runId, report);
    return { runId, dir, report, panel: lens.panels.find(runId) ?? null };
  }
  reportFailure(lens, spec, live, outcome.error);
  return null;
}

/** "Analysis of X finished: clean …, robust …" with Open Report. */
function notifyFinished<K extends JobKind>(spec: RunSpec<K>, runId: string, report: ReportV1): void {
  void vscode.window.showInformationMessage(analysisFinishedText(basename(spec.model.fsPath), report), 'Open Report').then((c) => {
    if (c) void vscode.commands.executeCommand('robustnessLens.openRun', runId);
  });
}

function reportFailure<K extends JobKind>(lens: Lens, spec: RunSpec<K>, live: LiveRun, error: unknown): void {
  const log = (line: string) => lens.output.appendLine(`[${live.runId}] ${line}`);
  const e = error instanceof EngineRunError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  writeRunFailure(live.dir, {
    schema: 'robustness-lens/failed-run',
    kind: spec.kind,
    modelPath: spec.model.fsPath,
    createdAt: new Date().toISOString(),
    error: {
      code: e?.code ?? 'INTERNAL',
      message,
      ...(e?.hint ? { hint: e.hint } : {}),
      ...(e?.file ? { file: e.file } : {}),
      ...(e?.details ? { details: e.details } : {}),
    },
    stage: e?.stage ?? null,
    sections: e?.sections ?? {},
    engineExit: e?.exit ?? null,
  });
  if (e?.cancelled) {
    log('cancelled before any result');
    live.failed('cancelled before any result', 'cancelled');
    lens.runsDidChange();
    return;
  }
  lens.output.error(`[${live.runId}] failed (${e?.code ?? 'INTERNAL'}): ${message}`);
  if (e?.hint) log(`  hint: ${e.hint}`);
  if (e?.details)
    log(
      e.details
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  // The retry lives with the run: it works from this notification, the Runs view, or a reopened panel.
  const retry = () => {
    executeRun(lens, spec).catch((err: unknown) => log(`retry failed: ${errorText(err)}`));
  };
  live.failed(e?.hint ? `${message}\nhint: ${e.hint}` : message, 'failed', e?.crashed ? retry : null);
  lens.runsDidChange();
  // Any failure of a user's run can be retried from its notification (after fixing its cause); a crashed
  // run's retry also lives with the run, for its panel and the Runs view.
  showFailure(lens, `${spec.title} failed: ${message}${e?.hint ? ` (${e.hint})` : ''}`, live, spec.background ? null : retry);
}

/** The failure notification: Show details, and Retry while the run can still be retried. */
function showFailure(lens: Lens, text: string, live: LiveRun, retry: (() => void) | null = null): void {
  const actions = ['Show details', ...(live.retryable || retry ? ['Retry'] : [])];
  void vscode.window.showErrorMessage(text, ...actions).then((choice) => {
    if (choice === 'Show details') lens.output.show(true);
    if (choice !== 'Retry') return;
    if (live.retryable) void vscode.commands.executeCommand('robustnessLens.retryRun', live.runId);
    else retry?.();
  });
}

/** A crashed run's panel was opened again: offer its Retry again (the panel has no button for it). */
export function offerRetry(lens: Lens, live: LiveRun): void {
  showFailure(lens, `${live.title} failed: ${live.snapshot().message ?? 'the engine stopped'}`, live);
}
