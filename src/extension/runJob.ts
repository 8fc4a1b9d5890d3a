/**
 * One run from the user's side: a run folder, a cancellable progress notification (stage, count, ETA), the
 * engine's log in the output channel, sections streaming into the run's live state (lens.liveRuns), which
 * any panel of the run follows, and at the end report.json (or failure.json with what had arrived) plus
 * host-metrics.json with the extension host's event-loop delay.
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { errorText } from '../engine/errors';
import type { JobRequest } from '../engine/jobs/prepare';
import type { ReportV1 } from '../engine/report/schema';
import { EngineRunError } from '../host/engineClient';
import { EtaEstimator, formatDuration } from '../host/eta';
import { EventLoopDelayProbe } from '../host/eventLoopDelay';
import { HostProfiler } from '../host/hostProfiler';
import type { LiveRun } from '../host/liveRuns';
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
}

export interface RunOutcome {
  runId: string;
  dir: string;
  report: ReportV1;
  /** The panel showing the run when it ended, if one was open. */
  panel: RunPanel | null;
}

/** Runs with the same key do the same work. */
function runKey<K extends JobKind>(spec: RunSpec<K>): string {
  return JSON.stringify([spec.kind, spec.model.fsPath, spec.subject ?? null]);
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
  const eta = new EtaEstimator();

  const outcome = await vscode.window.withProgress(
    {
      location: spec.background ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
      title: spec.title,
      cancellable: !spec.background,
    },
    async (progress, token) => {
      try {
        const run = lens.engine.start(spec.kind, spec.request, spec.options(dir), {
          onProgress: (p) => {
            const left = eta.update(p.stage, p.done, p.total, performance.now());
            progress.report({ message: `${p.stage}: ${p.done}/${p.total}${left !== null ? ` · about ${formatDuration(left)} left` : ''}` });
            live.progressed({ ...p, etaSeconds: left });
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
  log(`extension host event-loop delay during the run: max ${delay.maxMs} ms, p99 ${delay.p99Ms} ms (${runSeconds.toFixed(1)} s)`);

  if (outcome.report) {
    const report = outcome.report;
    writeRunReport(dir, report);
    const partial = report.status === 'partial';
    log(`${report.status}: report ${vscode.Uri.file(dir).fsPath}/report.json`);
    // After the report is on disk: a panel opened once the run has left the live runs reads it from there.
    live.finished(report, partial ? 'cancelled: the report holds what finished' : null);
    lens.runsDidChange();
    if (partial && !spec.background) void vscode.window.showInformationMessage(`${spec.title}: cancelled; the partial report is kept.`);
    return { runId, dir, report, panel: lens.panels.find(runId) ?? null };
  }
  reportFailure(lens, spec, live, outcome.error);
  return null;
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
  log(`failed (${e?.code ?? 'INTERNAL'}): ${message}`);
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
  showFailure(lens, `${spec.title}: ${message}`, live);
}

/** The failure notification: Show details, and Retry while the run can still be retried. */
function showFailure(lens: Lens, text: string, live: LiveRun): void {
  const actions = ['Show details', ...(live.retryable ? ['Retry'] : [])];
  void vscode.window.showErrorMessage(text, ...actions).then((choice) => {
    if (choice === 'Show details') lens.output.show(true);
    if (choice === 'Retry') void vscode.commands.executeCommand('robustnessLens.retryRun', live.runId);
  });
}

/** A crashed run's panel was opened again: offer its Retry again (the panel has no button for it). */
export function offerRetry(lens: Lens, live: LiveRun): void {
  showFailure(lens, `${live.title} failed: ${live.snapshot().message ?? 'the engine stopped'}`, live);
}
