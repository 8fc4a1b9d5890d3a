/**
 * Colour themes and readability of the run panel (issue #6): switching the workbench theme as a user
 * does (Preferences: Color Theme), the theme kind the webview's body shows, and WCAG contrast ratios
 * measured in the webview from computed styles.
 *
 * Not through the user settings file: code-server 4.100.3 did not apply a rewritten settings.json to the
 * running workbench (waited 20 s per theme, the panel stayed light).
 */
import type { Frame, Page } from 'playwright-core';
import { QuickInput } from './quickInput';
import type { Workbench } from './workbench';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type ThemeKind = 'vscode-light' | 'vscode-dark' | 'vscode-high-contrast' | 'vscode-high-contrast-light';

export interface ThemeSpec {
  /** `workbench.colorTheme` value. */
  name: string;
  /** Its label in the theme picker, also the webview body's data-vscode-theme-name. */
  label: string;
  /** File-name part of its screenshots. */
  slug: string;
  kind: ThemeKind;
}

export const THEMES: ThemeSpec[] = [
  { name: 'Default Dark Modern', label: 'Dark Modern', slug: 'dark-modern', kind: 'vscode-dark' },
  { name: 'Default High Contrast', label: 'Dark High Contrast', slug: 'high-contrast', kind: 'vscode-high-contrast' },
  { name: 'Default High Contrast Light', label: 'Light High Contrast', slug: 'high-contrast-light', kind: 'vscode-high-contrast-light' },
];

/** The body classes that identify a theme kind: high-contrast light also carries vscode-high-contrast (VS Code's backwards compatibility). */
export function kindMatches(classes: string[], kind: ThemeKind): boolean {
  const has = (c: string) => classes.includes(c);
  switch (kind) {
    case 'vscode-light':
      return has('vscode-light') && !has('vscode-high-contrast');
    case 'vscode-dark':
      return has('vscode-dark') && !has('vscode-high-contrast');
    case 'vscode-high-contrast':
      return has('vscode-high-contrast') && !has('vscode-high-contrast-light');
    case 'vscode-high-contrast-light':
      return has('vscode-high-contrast-light');
  }
}

export interface BodyTheme {
  classes: string[];
  themeName: string | null;
  themeKind: string | null;
}

export async function bodyTheme(frame: Frame): Promise<BodyTheme> {
  return frame.evaluate(() => ({
    classes: Array.from(document.body.classList),
    themeName: document.body.getAttribute('data-vscode-theme-name'),
    themeKind: document.body.getAttribute('data-vscode-theme-kind'),
  }));
}

/**
 * Picks `label` in Preferences: Color Theme (which writes workbench.colorTheme to the user settings) and
 * waits until the panel's body shows `kind` and the theme's name. Returns the seconds taken.
 */
export async function switchTheme(wb: Workbench, frame: Frame, label: string, kind: ThemeKind, timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  const qi = new QuickInput(wb.page);
  await wb.runCommand('Preferences: Color Theme');
  await qi.waitFor(/color theme/i, 10_000);
  await wb.page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await qi.waitFor((v) => v.rows.some((r) => r.label === label), 10_000);
  await qi.pick(label);
  await qi.waitClosed(5_000).catch(() => wb.page.keyboard.press('Escape'));
  let last: BodyTheme | undefined;
  while (Date.now() - t0 < timeoutMs) {
    last = await bodyTheme(frame).catch(() => last);
    if (last && kindMatches(last.classes, kind) && (last.themeName === null || last.themeName === label)) {
      await sleep(300); // the variables arrive with the classes; let the layout settle before measuring
      return (Date.now() - t0) / 1000;
    }
    await sleep(250);
  }
  throw new Error(`the panel did not switch to ${label} (${kind}) within ${timeoutMs / 1000} s; body: ${JSON.stringify(last)}`);
}

export interface ContrastSample {
  what: string;
  text: string;
  fg: string;
  bg: string;
  ratio: number;
}

export interface CategoryContrast {
  category: string;
  count: number;
  min: number;
  worst: ContrastSample | null;
}

export interface Readability {
  text: CategoryContrast[];
  /** Text samples below 4.5:1 (at most 12). */
  textFailures: ContrastSample[];
  /** Chart marks (bars, points, flip marks: the better of fill and stroke; lines: stroke) against their background. */
  marks: CategoryContrast[];
  /** Marks below 3:1 (at most 12). */
  markFailures: ContrastSample[];
}

/**
 * Runs in the webview's frame. A string, not a function: tsx compiles named inner functions with a
 * `__name(...)` helper that does not exist in the page.
 *
 * Text colour: `color` for HTML, `fill` for SVG text; its alpha times the opacity of the element and its
 * ancestors. Background: the background colours from the element up to the first opaque one, composited
 * (white when none is opaque). WCAG 2 relative luminance and contrast ratio.
 */
const MEASURE = String.raw`(() => {
  // computed colours: rgb() / rgba(), or color(srgb r g b / a) (0..1) where a color-mix() is involved
  const parse = (s) => {
    const m = /^\s*(rgba?|color)\(\s*(srgb\s+)?([^)]+)\)/.exec(s || '');
    if (!m || (m[1] === 'color' && !m[2])) return null;
    const p = m[3].split(/[\s,\/]+/).filter(Boolean).map((v) => v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : Number(v));
    const k = m[1] === 'color' ? 255 : 1;
    return { r: p[0] * k, g: p[1] * k, b: p[2] * k, a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, base) => ({
    r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a), b: top.b * top.a + base.b * (1 - top.a), a: 1,
  });
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const channel = (v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let base = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
    return base;
  };
  const opacity = (el) => { let o = 1; for (let n = el; n; n = n.parentElement) o *= Number(getComputedStyle(n).opacity || 1); return o; };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.chart-data, .no-export');
  const ownText = (el) => Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
  const isSvg = (el) => el instanceof SVGElement;

  const TEXT = [
    ['summary', '[data-testid="summary"] dd, [data-testid="summary"] dt, [data-testid="summary"] h2, [data-testid="summary"] h3, [data-testid="summary"] .badge'],
    ['table cells', 'table.data td, table.data th, table.data caption, table.data td *, table.data th *'],
    ['axis labels', 'svg .axis text, svg text.axis-label'],
    ['legend text', 'svg .legend text, svg text.legend-title'],
    ['headings and links', 'h1, h2, h3, .section-nav a, figcaption, figcaption *'],
    ['muted text', '.muted, .notes, .adaptive-note, .chart-readout, .section-intro'],
  ];
  const MARKS = [
    ['bars', 'svg .series .bar, svg .legend-item .bar'],
    ['lines', 'svg .series .line, svg .legend-item .line'],
    ['points', 'svg .series .point, svg .legend-item .point'],
    ['flip marks', 'svg .flip-mark'],
  ];
  const label = (el) => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class').trim().split(/\s+/).join('.') : '') +
    (el.closest('[data-series]') ? ' [' + el.closest('[data-series]').getAttribute('data-series') + ']' : '') +
    (el.closest('.legend-item') ? ' (legend ' + (el.closest('.legend-item').getAttribute('class') || '') + ')' : '') +
    (el.closest('svg[data-testid]') ? ' in ' + el.closest('svg[data-testid]').getAttribute('data-testid') : '');

  const text = [], textFailures = [], marks = [], markFailures = [];
  for (const [category, selector] of TEXT) {
    const seen = new Set();
    let min = Infinity, worst = null, count = 0;
    for (const el of document.querySelectorAll(selector)) {
      if (seen.has(el)) continue;
      seen.add(el);
      const t = ownText(el);
      if (!t || !visible(el)) continue;
      const cs = getComputedStyle(el);
      const raw = parse(isSvg(el) ? cs.fill : cs.color);
      if (!raw) continue;
      const bg = background(el);
      const alpha = raw.a * opacity(el) * (isSvg(el) ? Number(cs.fillOpacity || 1) : 1);
      const fg = over({ ...raw, a: alpha }, bg);
      const r = ratio(fg, bg);
      count++;
      const sample = { what: label(el), text: t.slice(0, 40), fg: hex(fg), bg: hex(bg), ratio: Math.round(r * 100) / 100 };
      if (r < min) { min = r; worst = sample; }
      if (r < 4.5 && textFailures.length < 12) textFailures.push({ ...sample, what: category + ': ' + sample.what });
    }
    text.push({ category, count, min: count ? Math.round(min * 100) / 100 : 0, worst });
  }
  for (const [category, selector] of MARKS) {
    let min = Infinity, worst = null, count = 0;
    for (const el of document.querySelectorAll(selector)) {
      if (!visible(el)) continue;
      const cs = getComputedStyle(el);
      const bg = background(el);
      const o = opacity(el);
      const candidates = [];
      const fill = parse(cs.fill);
      if (category !== 'lines' && fill) candidates.push({ c: over({ ...fill, a: fill.a * o * Number(cs.fillOpacity || 1) }, bg), how: 'fill' });
      const stroke = parse(cs.stroke);
      if (stroke && parseFloat(cs.strokeWidth) > 0) candidates.push({ c: over({ ...stroke, a: stroke.a * o * Number(cs.strokeOpacity || 1) }, bg), how: 'stroke' });
      if (!candidates.length) continue;
      let best = null;
      for (const k of candidates) { const r = ratio(k.c, bg); if (!best || r > best.r) best = { r, k }; }
      count++;
      const sample = { what: label(el) + ' ' + best.k.how, text: '', fg: hex(best.k.c), bg: hex(bg), ratio: Math.round(best.r * 100) / 100 };
      if (best.r < min) { min = best.r; worst = sample; }
      if (best.r < 3 && markFailures.length < 12 && !markFailures.some((f) => f.fg === sample.fg && f.bg === sample.bg)) markFailures.push({ ...sample, what: category + ': ' + sample.what });
    }
    marks.push({ category, count, min: count ? Math.round(min * 100) / 100 : 0, worst });
  }
  return { text, textFailures, marks, markFailures };
})()`;

export async function measureReadability(frame: Frame): Promise<Readability> {
  return frame.evaluate<Readability>(MEASURE);
}

/** Screenshots of the panel at its top, then of a few chart figures (element screenshots scroll them into view). */
export async function themeScreenshots(page: Page, frame: Frame, path: (name: string) => string, slug: string): Promise<string[]> {
  const written: string[] = [];
  await frame.evaluate(() => window.scrollTo(0, 0));
  const webview = page.locator('iframe.webview.ready').last();
  const panelShot = path(`09-theme-${slug}.png`);
  await webview.screenshot({ path: panelShot, timeout: 10_000 });
  written.push(panelShot);
  const charts: [string, string][] = [
    ['of-chart', '[data-testid="of-chart"]'],
    ['sweep', 'svg[data-testid^="sweep-"]'],
    ['rct', '[data-testid="rct-heatmap"]'],
  ];
  for (const [name, selector] of charts) {
    const figure = frame.locator('figure.chart', { has: frame.locator(selector) }).first();
    if ((await figure.count()) === 0) continue;
    const file = path(`09-theme-${slug}-${name}.png`);
    await figure.screenshot({ path: file, timeout: 10_000 });
    written.push(file);
  }
  await frame.evaluate(() => window.scrollTo(0, 0));
  return written;
}
