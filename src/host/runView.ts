/**
 * What a run panel shows and sends to its webview, without `vscode` (the panel supplies the webview), so
 * that it is unit-tested: the content (saved run, compared runs, or a live run it follows), the sections
 * streamed so far and the latest progress, replayed whole whenever the webview (re)loads. Once disposed,
 * or when the webview itself is gone, nothing more is posted: a closed panel must not turn a run's next
 * progress update into an error.
 */
import type { ReportV1 } from '../engine/report/schema';
import type { ComparisonNote, HostToWebview, PanelState, ProgressMessage } from '../protocol/webviewMessages';
import { Disposable, MutableDisposable, type IDisposable } from './dispose';
import type { LiveRun, LiveRunEvent } from './liveRuns';
import { packNumericArrays } from './panelMessages';
import type { Packed } from '../protocol/packedArrays';
import type { HtmlReportRun } from './htmlReport';

export interface RunRef {
  runId: string;
  dir: string;
}

export interface PanelContent {
  title: string;
  run: RunRef;
  compare: RunRef | null;
  state: PanelState;
  report: ReportV1 | null;
  compareReport: ReportV1 | null;
  /** Compare panels: what differs between the two runs, shown above them (absent: not compared, or unchecked). */
  comparison?: ComparisonNote[];
  sections: Record<string, unknown>;
  message: string | null;
}

/** A compare panel's id joins the two run ids with "+", which run ids never contain. */
export function panelId(run: RunRef, compare: RunRef | null): string {
  return compare ? `${run.runId}+${compare.runId}` : run.runId;
}

/** The content of a panel that follows a live run, as the run stands now. */
export function liveContent(live: LiveRun): PanelContent {
  const s = live.snapshot();
  return {
    title: live.title,
    run: { runId: live.runId, dir: live.dir },
    compare: null,
    state: s.state,
    report: s.report,
    compareReport: null,
    sections: Object.fromEntries(s.sections),
    message: s.message,
  };
}

/** The webview as far as the panel's messages go. */
export interface PanelWebview {
  /** Long number arrays arrive packed (Float64Array); the webview unpacks them on receipt. */
  postMessage(message: Packed<HostToWebview>): PromiseLike<boolean>;
  /** The URI under which the webview loads a run folder's files. */
  resourceBase(dir: string): string;
}

export class RunView extends Disposable {
  private content: PanelContent;
  private readonly sections = new Map<string, unknown>();
  private progress: ProgressMessage | null = null;
  private live: LiveRun | null = null;
  private readonly subscription = this._register(new MutableDisposable<IDisposable>());

  constructor(
    private readonly webview: PanelWebview,
    content: PanelContent,
    private readonly onPostError: (e: unknown) => void = () => undefined,
  ) {
    super();
    this.content = content;
    this.adoptSections(content.sections);
  }

  get id(): string {
    return panelId(this.content.run, this.content.compare);
  }

  get title(): string {
    return this.content.title;
  }

  get state(): PanelState {
    return this.content.state;
  }

  /** Folders the panel's webview may open files from. */
  get runDirs(): string[] {
    return [this.content.run.dir, ...(this.content.compare ? [this.content.compare.dir] : [])];
  }

  get runId(): string {
    return this.content.run.runId;
  }

  /**
   * What "Export HTML report" and "Copy Markdown summary" are made of: the panel's report (and the compared
   * one) with their folders; null while the run has no report yet (still running, or failed before one).
   */
  get exportable(): { title: string; run: HtmlReportRun; compare: HtmlReportRun | null; comparison?: ComparisonNote[] } | null {
    const c = this.content;
    if (!c.report || (c.compare && !c.compareReport)) return null;
    return {
      title: c.title,
      run: { runId: c.run.runId, report: c.report, dir: c.run.dir },
      compare: c.compare && c.compareReport ? { runId: c.compare.runId, report: c.compareReport, dir: c.compare.dir } : null,
      ...(c.compare && c.comparison ? { comparison: c.comparison } : {}),
    };
  }

  /** The reports the panel shows (its run's, and the compared run's), as the host holds them. */
  get reports(): (ReportV1 | null)[] {
    return [this.content.report, this.content.compareReport];
  }

  /** The live run the panel follows, if any. */
  get following(): LiveRun | null {
    return this.live;
  }

  /** Shows a saved run (or two): stops following a live run, replays. */
  show(content: PanelContent): void {
    this.subscription.clear();
    this.live = null;
    this.content = content;
    this.progress = null;
    this.adoptSections(content.sections);
    this.replay();
  }

  /** Shows a live run as it stands, then its updates until it ends (or the panel is disposed). */
  follow(live: LiveRun): void {
    if (this.isDisposed) return;
    this.live = live;
    const snapshot = live.snapshot();
    this.content = liveContent(live);
    this.progress = snapshot.progress ? { type: 'progress', ...snapshot.progress } : null;
    this.adoptSections(this.content.sections);
    this.subscription.value = live.subscribe((e) => this.apply(e));
    this.replay();
  }

  /** The webview's Cancel button: stops the live run it shows, if it still runs. */
  cancel(): boolean {
    return this.live?.cancel() ?? false;
  }

  /** Everything the webview needs to show the current state from scratch (it (re)loaded). */
  replay(): void {
    if (this.isDisposed) return;
    const c = this.content;
    let resourceBase: string;
    let compareResourceBase: string | null;
    try {
      resourceBase = this.webview.resourceBase(c.run.dir);
      compareResourceBase = c.compare ? this.webview.resourceBase(c.compare.dir) : null;
    } catch (e) {
      // The webview went away before the panel heard of it.
      this.onPostError(e);
      return;
    }
    this.post({
      type: 'init',
      runId: this.id,
      title: c.title,
      state: c.state,
      report: c.report,
      compareWith: c.compareReport,
      resourceBase,
      compareResourceBase,
      ...(c.compare && c.comparison ? { comparison: c.comparison } : {}),
    });
    for (const [name, section] of this.sections) this.post({ type: 'section', name, section });
    if (this.progress) this.post(this.progress);
    if (c.message) this.post({ type: 'state', state: c.state, message: c.message });
  }

  private apply(e: LiveRunEvent): void {
    switch (e.type) {
      case 'progress':
        this.progress = { type: 'progress', ...e.progress };
        this.post(this.progress);
        return;
      case 'section':
        this.sections.set(e.name, e.section);
        this.post({ type: 'section', name: e.name, section: e.section });
        return;
      case 'finished':
        this.progress = null;
        this.content = { ...this.content, report: e.report, state: e.state, message: e.message, sections: {} };
        this.sections.clear();
        this.subscription.clear();
        this.replay();
        return;
      case 'failed':
        // The sections that had arrived stay on screen.
        this.progress = null;
        this.content = { ...this.content, state: e.state, message: e.message, sections: Object.fromEntries(this.sections) };
        this.subscription.clear();
        this.post({ type: 'state', state: e.state, message: e.message });
        return;
    }
  }

  private adoptSections(sections: Record<string, unknown>): void {
    this.sections.clear();
    for (const [name, section] of Object.entries(sections)) this.sections.set(name, section);
  }

  private post(m: HostToWebview): void {
    if (this.isDisposed) return;
    try {
      this.webview.postMessage(packNumericArrays(m)).then(undefined, (e: unknown) => this.onPostError(e));
    } catch (e) {
      // VS Code throws synchronously once the webview is disposed.
      this.onPostError(e);
    }
  }
}
