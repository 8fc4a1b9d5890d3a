/**
 * The panel's state and rendering: host messages in, DOM out. `#app[data-state]` mirrors the run state;
 * streamed sections join the report's; progress updates touch only the progress bar, so a chart being read
 * with the keyboard keeps its focus while the job runs.
 */
import type { ReportV1 } from '../../src/engine/report/schema';
import { unpackNumericArrays } from '../../src/protocol/packedArrays';
import {
  isHostToWebview,
  PANEL_STATES,
  type HostToWebview,
  type InitMessage,
  type PanelState,
  type ProgressMessage,
  type WebviewToHost,
} from '../../src/protocol/webviewMessages';
import type { ExportTarget, Rasterizer } from './charts/exportChart';
import { builder, type H } from './dom';
import { baseName } from './format';
import type { RenderContext, Side } from './render/context';
import { renderCompareCheck } from './render/compareCheck';
import { renderPanels } from './render/panels';
import { updateProgress } from './render/progress';
import { renderSummary } from './render/summary';

export interface AppDeps {
  post(message: WebviewToHost): void;
  rasterizer: Rasterizer;
  /** Saves what the host needs to restore the panel after a reload. */
  persist(state: { runId: string }): void;
}

export class PanelApp {
  private init: InitMessage | null = null;
  private streamed: [string, unknown][] = [];
  private progress: ProgressMessage | null = null;
  private state: PanelState = 'running';
  private message: string | null = null;
  private cancelRequested = false;
  private readonly ui = new Map<string, string>();
  private readonly h: H;
  private readonly titleEl: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly standaloneNote: HTMLElement;
  private readonly progressHolder: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly bannerHolder: HTMLElement;
  private readonly compareCheckHolder: HTMLElement;
  private readonly summaryHolder: HTMLElement;
  private readonly panels: HTMLElement;
  private readonly exportError: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: AppDeps,
  ) {
    const h = (this.h = builder(root.ownerDocument));
    // The host's HTML already carries the run's state: keep it until `init` arrives.
    const initial = root.dataset.state as PanelState | undefined;
    if (initial && PANEL_STATES.includes(initial)) this.state = initial;
    this.titleEl = h('h1', null, 'Robustness Lens');
    this.toolbar = h('div', { class: 'report-toolbar', role: 'toolbar', 'aria-label': 'Report' });
    this.standaloneNote = h('div', { class: 'standalone-note' });
    this.progressHolder = h('div', { class: 'progress-holder' });
    this.nav = h('nav', { class: 'section-nav', 'aria-label': 'Sections' });
    this.bannerHolder = h('div', { class: 'banner-holder' });
    this.compareCheckHolder = h('div', { class: 'compare-check-holder' });
    this.summaryHolder = h('div', { class: 'summary-holder' });
    this.panels = h('div', { class: 'panels' });
    this.exportError = h('p', { class: 'export-error', role: 'alert' });
    root.replaceChildren(
      h('header', { class: 'app-header' }, this.titleEl, this.toolbar),
      this.standaloneNote,
      this.progressHolder,
      this.exportError,
      this.bannerHolder,
      this.compareCheckHolder,
      this.nav,
      this.summaryHolder,
      this.panels,
    );
    this.render();
  }

  /** A message from the host; one of a shape the panel does not know is ignored. */
  handle(message: unknown): void {
    if (!isHostToWebview(message)) return;
    // Long number arrays arrive packed as Float64Array: renderers get the plain arrays the report types promise.
    const raw = unpackNumericArrays<HostToWebview>(message);
    switch (raw.type) {
      case 'init':
        this.init = raw;
        this.state = raw.state;
        // The host follows init with the state message it still holds, if any.
        this.message = null;
        if (raw.report) this.streamed = [];
        this.deps.persist({ runId: raw.runId });
        this.render();
        break;
      case 'section': {
        const at = this.streamed.findIndex(([name]) => name === raw.name);
        if (at >= 0) this.streamed[at] = [raw.name, raw.section];
        else this.streamed.push([raw.name, raw.section]);
        this.render();
        break;
      }
      case 'progress':
        this.progress = raw;
        this.renderProgress();
        break;
      case 'state':
        this.state = raw.state;
        this.message = raw.message;
        this.render();
        break;
    }
  }

  private sides(): Side[] {
    const init = this.init;
    const a = init?.report ?? null;
    const b = init?.compareWith ?? null;
    const sectionsA: [string, unknown][] = a ? Object.entries(a.sections ?? {}) : [];
    for (const [name, section] of this.streamed) {
      const at = sectionsA.findIndex(([n]) => n === name);
      if (at >= 0) sectionsA[at] = [name, section];
      else sectionsA.push([name, section]);
    }
    const sides: Side[] = [
      {
        key: 'a',
        label: modelLabel(a, init?.title ?? 'Run'),
        report: a,
        sections: sectionsA,
        resourceBase: init?.resourceBase ?? '',
        embeddedImages: init?.standalone ? (init.embeddedImages?.a ?? {}) : null,
      },
    ];
    if (b)
      sides.push({
        key: 'b',
        label: modelLabel(b, 'Compared run'),
        report: b,
        sections: Object.entries(b.sections ?? {}),
        resourceBase: init?.compareResourceBase ?? '',
        embeddedImages: init?.standalone ? (init.embeddedImages?.b ?? {}) : null,
      });
    if (sides.length === 2 && sides[0].label === sides[1].label)
      sides.forEach((s) => {
        s.label = `${s.label} (${runName(s.report)})`;
      });
    return sides;
  }

  private context(): RenderContext {
    const target: ExportTarget = {
      fileStem: this.init?.runId ?? 'robustness',
      post: (m) => {
        this.exportError.textContent = '';
        this.deps.post(m);
      },
      rasterizer: this.deps.rasterizer,
      onError: (text) => {
        this.exportError.textContent = text;
      },
    };
    const sides = this.sides();
    return {
      h: this.h,
      sides,
      compare: sides.length > 1,
      comparison: this.init?.comparison ?? null,
      state: this.state,
      standalone: this.init?.standalone === true,
      exportTarget: target,
      ui: this.ui,
      openArtefact: (relPath) => this.deps.post({ type: 'open-artefact', relPath }),
      applyClassOrder: (reportId) => this.deps.post({ type: 'apply-class-order', reportId }),
    };
  }

  private render(): void {
    const focusedId = this.root.ownerDocument.activeElement?.id;
    const h = this.h;
    this.root.dataset.state = this.state;
    this.titleEl.textContent = this.init?.title ?? 'Robustness Lens';
    this.renderToolbar();
    this.renderProgress();
    const ctx = this.context();
    const check = renderCompareCheck(ctx);
    this.compareCheckHolder.replaceChildren(...(check ? [check] : []));
    try {
      this.summaryHolder.replaceChildren(renderSummary(ctx));
    } catch (e) {
      // A malformed report envelope must not take the sections (or the Cancel button) down with it.
      this.summaryHolder.replaceChildren(
        h(
          'div',
          { class: 'section-error', role: 'alert', 'data-testid': 'summary' },
          `The summary could not be shown: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    }
    // Banners (the sanity check) go above everything else; the rest in reading order below the summary.
    const rendered = renderPanels(ctx);
    const panels = rendered.filter((p) => !p.banner);
    this.bannerHolder.replaceChildren(...rendered.filter((p) => p.banner).map((p) => p.element));
    this.panels.replaceChildren(...panels.map((p) => p.element));
    // The definitions (defence rate, attack modes, RCT…) sit under the verdict: one click from anywhere.
    const definitions = this.summaryHolder.querySelector('dl.definitions')?.id;
    const links = [
      ...panels.map((p) => h('li', null, h('a', { href: `#panel-${p.id}` }, p.title))),
      ...(definitions ? [h('li', null, h('a', { href: `#${definitions}`, 'data-testid': 'definitions-link' }, 'Definitions'))] : []),
    ];
    this.nav.replaceChildren(...(panels.length > 1 ? [h('ul', null, ...links)] : []));
    if (focusedId) this.root.ownerDocument.getElementById(focusedId)?.focus();
  }

  /**
   * "Export HTML report" and "Copy Markdown summary": the host does both from its own copy of the report, so
   * they appear once there is one. A standalone report instead says what it is, and what it left out.
   */
  private renderToolbar(): void {
    const h = this.h;
    const init = this.init;
    if (init?.standalone) {
      this.toolbar.replaceChildren();
      const left = init.imagesLeftOut ?? 0;
      this.standaloneNote.replaceChildren(
        h(
          'p',
          { class: 'muted', 'data-testid': 'standalone-note' },
          `A standalone Robustness Lens report (${init.runId}): open the run in VS Code to re-run it or open its files.`,
          left > 0 ? ` ${left} image${left === 1 ? ' was' : 's were'} left out of this file (size cap); they are in the run folder.` : '',
        ),
      );
      return;
    }
    this.standaloneNote.replaceChildren();
    if (!init?.report) {
      this.toolbar.replaceChildren();
      return;
    }
    if (this.toolbar.childElementCount > 0) return;
    const exportHtml = h(
      'vscode-button',
      { secondary: true, 'data-testid': 'export-html', title: 'Save this report as one self-contained HTML file' },
      'Export HTML report',
    );
    exportHtml.addEventListener('click', () => this.deps.post({ type: 'export-report' }));
    const copyMarkdown = h(
      'vscode-button',
      { secondary: true, 'data-testid': 'copy-markdown', title: 'Copy the verdict and the main tables as Markdown' },
      'Copy Markdown summary',
    );
    copyMarkdown.addEventListener('click', () => this.deps.post({ type: 'copy-markdown' }));
    this.toolbar.replaceChildren(exportHtml, copyMarkdown);
  }

  private renderProgress(): void {
    if (this.state !== 'running') {
      this.progress = null;
      this.cancelRequested = false;
    }
    const current = this.progressHolder.firstElementChild as HTMLElement | null;
    const next = updateProgress(
      this.h,
      current,
      {
        progress: this.progress,
        state: this.state,
        message: this.message,
        cancelRequested: this.cancelRequested,
        sections: this.streamed.length + Object.keys(this.init?.report?.sections ?? {}).length,
      },
      () => {
        this.cancelRequested = true;
        this.deps.post({ type: 'cancel' });
        this.renderProgress();
      },
    );
    if (next !== current) this.progressHolder.replaceChildren(next);
  }
}

/** The model's file name; reports are data, so a missing model block falls back to the given name. */
function modelLabel(report: ReportV1 | null, fallback: string): string {
  const path = report?.model?.path;
  return typeof path === 'string' ? baseName(path) : fallback;
}

function runName(report: ReportV1 | null): string {
  return report ? report.createdAt.replace(/\.\d+Z$/, 'Z') : 'run';
}
