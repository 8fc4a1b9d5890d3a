/**
 * Runs of this session, by run id, independent of any panel: progress, ETA, the sections streamed so far,
 * how the run ended, and how to cancel or retry it. A panel subscribes to a run and unsubscribes when it is
 * closed; the run goes on. A panel opened later (from the Runs view, or by running the command again)
 * starts from the run's snapshot and then follows its updates to the result. A failed run keeps its retry
 * here, so Retry works whichever panels were closed meanwhile. No `vscode` import: unit-tested directly.
 */
import type { ReportV1 } from '../engine/report/schema';
import type { PanelState } from '../protocol/webviewMessages';
import { Disposable, toDisposable, type IDisposable } from './dispose';

export interface RunProgress {
  stage: string;
  done: number;
  total: number;
  /** Seconds left in the stage; null while there is no rate yet. */
  etaSeconds: number | null;
}

export type LiveRunEvent =
  | { type: 'progress'; progress: RunProgress }
  | { type: 'section'; name: string; section: unknown }
  | { type: 'finished'; report: ReportV1; state: 'complete' | 'partial' | 'failed'; message: string | null }
  | { type: 'failed'; state: 'failed' | 'cancelled'; message: string };

export interface LiveRunInfo {
  runId: string;
  dir: string;
  /** The job kind (analyse, attack, explain). */
  kind: string;
  /** Title of a panel showing the run. */
  title: string;
  /** Runs with the same key do the same work (same job, model and subject): a second start can join the first. */
  key: string;
}

/** What a panel needs to show the run from scratch. */
export interface LiveRunSnapshot {
  state: PanelState;
  report: ReportV1 | null;
  /** Sections streamed so far, in arrival order (empty once the report holds them). */
  sections: [string, unknown][];
  progress: RunProgress | null;
  message: string | null;
  retryable: boolean;
}

/** Failed runs whose retry is kept; older ones are forgotten (their failure.json stays on disk). */
export const KEPT_FAILED_RUNS = 10;

export class LiveRun {
  readonly runId: string;
  readonly dir: string;
  readonly kind: string;
  readonly title: string;
  readonly key: string;
  /** The report when the run finishes (complete or partial), null when it fails or is cancelled before any result. */
  readonly settled: Promise<ReportV1 | null>;

  private state: PanelState = 'running';
  private report: ReportV1 | null = null;
  private readonly sections = new Map<string, unknown>();
  private progress: RunProgress | null = null;
  private message: string | null = null;
  private cancelRun: (() => void) | null = null;
  private retryRun: (() => void) | null = null;
  private readonly listeners = new Set<(e: LiveRunEvent) => void>();
  private settle!: (report: ReportV1 | null) => void;

  constructor(
    info: LiveRunInfo,
    private readonly onEnded: (run: LiveRun) => void,
    private readonly onListenerError: (e: unknown) => void,
  ) {
    ({ runId: this.runId, dir: this.dir, kind: this.kind, title: this.title, key: this.key } = info);
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  get retryable(): boolean {
    return this.retryRun !== null;
  }

  snapshot(): LiveRunSnapshot {
    return {
      state: this.state,
      report: this.report,
      sections: [...this.sections],
      progress: this.progress ? { ...this.progress } : null,
      message: this.message,
      retryable: this.retryable,
    };
  }

  /**
   * Follows the run's updates from now on (read `snapshot()` first for what came before: both happen in one
   * turn of the event loop, so nothing falls in between). Disposing the subscription stops them.
   */
  subscribe(listener: (e: LiveRunEvent) => void): IDisposable {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** What Cancel does while the run goes on (the engine run's cancel). */
  onCancel(cancel: () => void): void {
    this.cancelRun = cancel;
  }

  /** Asks the run to stop; false when it is no longer running. */
  cancel(): boolean {
    if (!this.isRunning || !this.cancelRun) return false;
    this.cancelRun();
    return true;
  }

  progressed(progress: RunProgress): void {
    if (!this.isRunning) return;
    this.progress = { ...progress };
    this.emit({ type: 'progress', progress: { ...progress } });
  }

  sectionArrived(name: string, section: unknown): void {
    if (!this.isRunning) return;
    this.sections.set(name, section);
    this.emit({ type: 'section', name, section });
  }

  /** The run ended with a report (complete, or partial after a cancel); `message` says what the panel should add. */
  finished(report: ReportV1, message: string | null): void {
    if (!this.isRunning) return;
    const state = report.status;
    this.state = state;
    this.report = report;
    this.message = message;
    // The report holds the sections now.
    this.sections.clear();
    this.end();
    this.emit({ type: 'finished', report, state, message });
    this.settle(report);
    this.onEnded(this);
  }

  /** The run ended without a report; the sections that had arrived stay. `retry` starts it again (crashed runs). */
  failed(message: string, state: 'failed' | 'cancelled' = 'failed', retry: (() => void) | null = null): void {
    if (!this.isRunning) return;
    this.state = state;
    this.message = message;
    this.retryRun = retry;
    this.end();
    this.emit({ type: 'failed', state, message });
    this.settle(null);
    this.onEnded(this);
  }

  /** Starts the failed run again, once; false when it cannot be retried (or already was). */
  retry(): boolean {
    const retry = this.retryRun;
    if (!retry) return false;
    this.retryRun = null;
    // Not retryable any more: the registry may forget it (its failure.json stays).
    this.onEnded(this);
    retry();
    return true;
  }

  private end(): void {
    this.progress = null;
    this.cancelRun = null;
  }

  private emit(e: LiveRunEvent): void {
    for (const listener of [...this.listeners]) {
      // One broken panel must not stop the others, nor the run.
      try {
        listener(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Drops every subscriber (the registry forgot the run, or the extension is going away). */
  release(): void {
    this.listeners.clear();
    this.cancelRun = null;
  }
}

/**
 * The registry. A run is kept while it runs; afterwards only when it failed with a retry (the latest
 * KEPT_FAILED_RUNS of those): a finished run's report, and a failed run's sections, are on disk.
 */
export class LiveRuns extends Disposable {
  private readonly runs = new Map<string, LiveRun>();

  constructor(private readonly onListenerError: (e: unknown) => void = () => undefined) {
    super();
    this._register(
      toDisposable(() => {
        for (const run of this.runs.values()) run.release();
        this.runs.clear();
      }),
    );
  }

  start(info: LiveRunInfo): LiveRun {
    if (this.isDisposed) throw new Error('the live-run registry is disposed');
    if (this.runs.has(info.runId)) throw new Error(`run ${info.runId} is already registered`);
    const run = new LiveRun(info, (r) => this.ended(r), this.onListenerError);
    this.runs.set(info.runId, run);
    return run;
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  /** The run with this key that is still running, if any. */
  runningWith(key: string): LiveRun | undefined {
    for (const run of this.runs.values()) if (run.isRunning && run.key === key) return run;
    return undefined;
  }

  /** Ids of the runs still running. */
  running(): string[] {
    return [...this.runs.values()].filter((r) => r.isRunning).map((r) => r.runId);
  }

  private ended(run: LiveRun): void {
    if (!run.retryable) {
      // Subscribed panels already have the final state; later ones read it from disk.
      this.runs.delete(run.runId);
      run.release();
      return;
    }
    const failed = [...this.runs.values()].filter((r) => !r.isRunning);
    for (const old of failed.slice(0, Math.max(0, failed.length - KEPT_FAILED_RUNS))) {
      this.runs.delete(old.runId);
      old.release();
    }
  }
}
