/**
 * The run panel's DOM contract (rendered by the webview, asserted here): `#app[data-state]`, the tables,
 * the Occluded Frequency bars, the RCT heatmaps with their legends, and a data table in every chart figure.
 */
import type { Frame, Page } from 'playwright-core';

export type PanelState = 'running' | 'complete' | 'partial' | 'failed' | 'cancelled';
const DONE: readonly string[] = ['complete', 'partial'];
const STOPPED: readonly string[] = ['failed', 'cancelled'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function readState(frame: Frame): Promise<string | null> {
  return frame.locator('#app').getAttribute('data-state', { timeout: 2_000 });
}

/**
 * Waits until `#app` reaches complete or partial. Re-finds the panel's frame when it went away (a hidden
 * webview may be recreated). Throws on failed/cancelled with the panel's text, or on timeout with the
 * last state seen.
 */
export async function waitForFinalState(
  findFrame: () => Promise<Frame>,
  timeoutMs: number,
  onState: (state: string) => Promise<void> | void,
): Promise<{ frame: Frame; state: PanelState }> {
  const deadline = Date.now() + timeoutMs;
  let frame = await findFrame();
  let last: string | null = null;
  while (Date.now() < deadline) {
    let state: string | null;
    try {
      state = await readState(frame);
    } catch {
      frame = await findFrame();
      continue;
    }
    if (state !== last) {
      last = state;
      await onState(String(state));
    }
    if (state && DONE.includes(state)) return { frame, state: state as PanelState };
    if (state && STOPPED.includes(state)) {
      const text = (
        (await frame
          .locator('#app')
          .innerText()
          .catch(() => '')) ?? ''
      )
        .replace(/\s+/g, ' ')
        .slice(0, 600);
      throw new Error(`the panel ended in state "${state}" instead of complete/partial; it shows: ${text}`);
    }
    await sleep(2_000);
  }
  throw new Error(`#app[data-state] did not reach complete or partial within ${timeoutMs / 1000} s; last state: ${String(last)}`);
}

export interface HeatmapInfo {
  /** Bitmap size (the canvas's width/height attributes): what was drawn, even inside a hidden tab. */
  width: number;
  height: number;
  /** Pixels with non-zero alpha: 0 means the heatmap was sized but never drawn. */
  paintedPixels: number;
}

export interface PanelContents {
  hasSummary: boolean;
  verdictFirst: boolean;
  verdictLead: string;
  attackRows: string[];
  defenceTables: number;
  ofBars: number;
  heatmaps: HeatmapInfo[];
  rctLegends: number;
  charts: number;
  /** `figure.chart` elements without the screen-reader `table.chart-data`. */
  chartsWithoutDataTable: number;
  sweepCharts: string[];
  hasGallery: boolean;
}

export async function inspectPanel(frame: Frame): Promise<PanelContents> {
  // Runs in the page. No named inner functions: tsx compiles them with a `__name(...)` helper that does
  // not exist there ("ReferenceError: __name is not defined").
  return frame.evaluate((): PanelContents => {
    const $$ = document.querySelectorAll.bind(document);
    const heatmaps = Array.from($$<HTMLCanvasElement>('canvas[data-testid="rct-heatmap"]')).map((c) => {
      let paintedPixels = 0;
      const ctx = c.width > 0 && c.height > 0 ? c.getContext('2d') : null;
      if (ctx) {
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) paintedPixels++;
      }
      return { width: c.width, height: c.height, paintedPixels };
    });
    const charts = Array.from($$('figure.chart'));
    return {
      hasSummary: $$('[data-testid="summary"]').length > 0,
      // the verdict opens the card: right after its header, with the robust accuracy when bounded attacks ran
      verdictFirst: document.querySelector('.summary-card > header + [data-testid="verdict"]') !== null,
      verdictLead: document.querySelector('[data-testid="verdict"] .verdict-lead')?.textContent ?? '',
      attackRows: Array.from($$('table[data-testid="attack-table"] tr[data-attack]')).map((r) => r.getAttribute('data-attack') ?? ''),
      defenceTables: $$('table[data-testid="defence-table"]').length,
      // bars that carry a band (data-category); the legend's swatches are rect.bar too
      ofBars: $$('svg[data-testid="of-chart"] rect.bar[data-category]').length,
      heatmaps,
      rctLegends: $$('svg[data-testid="rct-legend"]').length,
      charts: charts.length,
      chartsWithoutDataTable: charts.filter((f) => !f.querySelector('table.chart-data')).length,
      sweepCharts: Array.from($$('svg[data-testid^="sweep-"]')).map((s) => s.getAttribute('data-testid') ?? ''),
      hasGallery: $$('[data-testid="gallery"]').length > 0,
    };
  });
}

/**
 * Polls every webview frame holding `#app` until `accept(frame)` holds (e.g. "is the compare panel and has
 * finished"); throws after `timeoutMs` naming `what`.
 */
export async function waitForPanelWhere(
  page: Page,
  what: string,
  accept: (frame: Frame) => Promise<boolean>,
  timeoutMs: number,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames().slice().reverse()) {
      if (frame === page.mainFrame()) continue;
      if (
        (await frame
          .locator('#app')
          .count()
          .catch(() => 0)) === 0
      )
        continue;
      if (await accept(frame).catch(() => false)) return frame;
    }
    await sleep(1_000);
  }
  throw new Error(`no panel ${what} within ${timeoutMs / 1000} s`);
}

/** Waits until the panel's state is one of `states`; returns it (throws with the last state on timeout). */
export async function waitForStateIn(frame: Frame, states: readonly string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await readState(frame).catch(() => last);
    if (last && states.includes(last)) return last;
    await sleep(500);
  }
  throw new Error(`#app[data-state] did not reach ${states.join(' or ')} within ${timeoutMs / 1000} s; last state: ${String(last)}`);
}

/** A chart's data as the panel shows it to screen readers (header cells, rows), and its data bars (not the legend's swatches). */
export interface ChartTable {
  headers: string[];
  rows: string[][];
  bars: number;
}

export async function chartTable(frame: Frame, testId: string): Promise<ChartTable> {
  const figure = frame.locator('figure.chart', { has: frame.locator(`[data-testid="${testId}"]`) }).first();
  return figure.evaluate(
    (f, id): ChartTable => ({
      headers: Array.from(f.querySelectorAll('table.chart-data thead th')).map((th) => (th.textContent ?? '').trim()),
      rows: Array.from(f.querySelectorAll('table.chart-data tbody tr')).map((tr) =>
        Array.from(tr.children).map((c) => (c.textContent ?? '').trim()),
      ),
      bars: f.querySelectorAll(`svg[data-testid="${id}"] rect.bar[data-category]`).length,
    }),
    testId,
  );
}

/** The compare panel: which model each side is, and the attack rows per side. */
export interface CompareContents {
  isCompare: boolean;
  /** Model label of each attack-table row, keyed by its side ('a' = the panel's run, 'b' = the compared one). */
  attackRowModels: { side: string; model: string; attack: string }[];
}

export async function inspectCompare(frame: Frame): Promise<CompareContents> {
  return frame.evaluate((): CompareContents => ({
    isCompare: document.querySelector('[data-testid="summary"].summary-compare') !== null,
    attackRowModels: Array.from(document.querySelectorAll('table[data-testid="attack-table"] tr[data-attack]')).map((tr) => ({
      side: tr.getAttribute('data-side') ?? '',
      model: (tr.querySelector('td')?.textContent ?? '').trim(),
      attack: tr.getAttribute('data-attack') ?? '',
    })),
  }));
}
