/**
 * One run from the user's side: a run folder, a cancellable progress notification (stage, count, ETA), the
 * engine's log in the output channel, sections streaming into the panel, and at the end report.json (or
 * failure.json with what had arrived) plus host-metrics.json with the extension host's event-loop delay.
 */
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import type { JobRequest } from '../engine/jobs/prepare';
import type { ReportV1 } from '../engine/report/schema';
import { EngineRunError } from '../host/engineClient';
import { EtaEstimator, formatDuration } from '../host/eta';
import { EventLoopDelayProbe } from '../host/eventLoopDelay';
import { HostProfiler } from '../host/hostProfiler';
import { createRunFolder, writeHostMetrics, writeRunFailure, writeRunReport } from '../host/runsStore';
import type { JobKind, JobOptionsByKind } from '../protocol/engineMessages';
import type { Lens } from './lens';
import { RunPanel } from './runPanel';

export interface RunSpec<K extends JobKind> {
  kind: K;
  model: vscode.Uri;
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
  panel: RunPanel | null;
}

export async function executeRun<K extends JobKind>(lens: Lens, spec: RunSpec<K>): Promise<RunOutcome | null> {
  const { id: runId, dir } = createRunFolder(lens.runRootFor(spec.model), spec.model.fsPath);
  lens.runsDidChange();
  const log = (line: string) => lens.output.appendLine(`[${runId}] ${line}`);
  log(`${spec.kind} ${spec.model.fsPath} → ${dir}`);
  const panel = spec.panelTitle
    ? RunPanel.show(lens, { title: spec.panelTitle, run: { runId, dir }, compare: null, state: 'running', report: null, compareReport: null, sections: {}, message: null })
    : null;
  const profiler = await HostProfiler.startIfAsked();
  const started = performance.now();
  const probe = new EventLoopDelayProbe();
  const eta = new EtaEstimator();

  const outcome = await vscode.window.withProgress(
    { location: spec.background ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title: spec.title, cancellable: !spec.background },
    async (progress, token) => {
      try {
        const run = lens.engine.start(spec.kind, spec.request, spec.options(dir), {
          onProgress: (p) => {
            const left = eta.update(p.stage, p.done, p.total, performance.now());
            progress.report({ message: `${p.stage}: ${p.done}/${p.total}${left !== null ? ` · about ${formatDuration(left)} left` : ''}` });
            panel?.progress(p.stage, p.done, p.total, left);
          },
          onLog: log,
          onSection: (name, section) => panel?.section(name, section),
        });
        const cancel = () => { log('cancelling after the current batch…'); run.cancel(); };
        token.onCancellationRequested(cancel);
        if (panel) panel.onCancel = cancel;
        return { report: await run.result, error: null };
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
    activationMs: lens.activationMs, eventLoopDelayMaxMs: delay.maxMs, eventLoopDelayP99Ms: delay.p99Ms, engineExit, runSeconds, engineVersions: lens.engine.versions,
  });
  log(`extension host event-loop delay during the run: max ${delay.maxMs} ms, p99 ${delay.p99Ms} ms (${runSeconds.toFixed(1)} s)`);
  lens.runsDidChange();

  if (outcome.report) {
    const report = outcome.report;
    writeRunReport(dir, report);
    const partial = report.status === 'partial';
    log(`${report.status}: report ${vscode.Uri.file(dir).fsPath}/report.json`);
    panel?.finish(report, partial ? 'cancelled: the report holds what finished' : null);
    if (partial && !spec.background) void vscode.window.showInformationMessage(`${spec.title}: cancelled; the partial report is kept.`);
    return { runId, dir, report, panel };
  }
  reportFailure(lens, spec, { runId, dir }, outcome.error, panel);
  return null;
}

function reportFailure<K extends JobKind>(lens: Lens, spec: RunSpec<K>, run: { runId: string; dir: string }, error: unknown, panel: RunPanel | null): void {
  const log = (line: string) => lens.output.appendLine(`[${run.runId}] ${line}`);
  const e = error instanceof EngineRunError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  writeRunFailure(run.dir, {
    schema: 'robustness-lens/failed-run', kind: spec.kind, modelPath: spec.model.fsPath, createdAt: new Date().toISOString(),
    error: { code: e?.code ?? 'INTERNAL', message, ...(e?.hint ? { hint: e.hint } : {}), ...(e?.file ? { file: e.file } : {}), ...(e?.details ? { details: e.details } : {}) },
    stage: e?.stage ?? null, sections: e?.sections ?? {}, engineExit: e?.exit ?? null,
  });
  lens.runsDidChange();
  if (e?.cancelled) {
    log('cancelled before any result');
    panel?.fail('cancelled before any result', 'cancelled');
    return;
  }
  log(`failed (${e?.code ?? 'INTERNAL'}): ${message}`);
  if (e?.hint) log(`  hint: ${e.hint}`);
  if (e?.details) log(e.details.split('\n').map((l) => `  ${l}`).join('\n'));
  panel?.fail(e?.hint ? `${message}\nhint: ${e.hint}` : message);
  const actions = ['Show details', ...(e?.crashed ? ['Retry'] : [])];
  void vscode.window.showErrorMessage(`${spec.title}: ${message}`, ...actions).then((choice) => {
    if (choice === 'Show details') lens.output.show(true);
    if (choice === 'Retry') void executeRun(lens, spec);
  });
}
