/**
 * A run (or two compared) as ONE self-contained HTML file: the panel's own webview bundle (dist/webview.js and
 * .css, the same renderers and chart code) inlined, the report as JSON data, and a small bootstrap that plays
 * the VS Code host — it answers the panel's `ready` with the `init` message the extension would send, so the
 * file shows exactly what the panel shows. VS Code's theme variables are replaced by a light and a dark
 * palette chosen by `prefers-color-scheme` (light when printed); run images are embedded as data: URLs up to
 * a size cap. A CSP of `default-src 'none'` with `img-src data:` means the file cannot make a network request.
 * For `robustness-lens report --html`, `--html` on the jobs and the panel's "Export HTML report"; no vscode,
 * no onnxruntime.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../engine/errors';
import type { ReportV1 } from '../engine/report/schema';
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { OccludedFrequencySection, PerImageSection } from '../engine/report/sections';
import type { InversionSection } from '../engine/spectral/featureInversion';
import { exampleFile } from '../protocol/perImageFiles';
import { sectionKind } from '../protocol/sectionKinds';
import type { ComparisonNote, InitMessage, PanelState } from '../protocol/webviewMessages';
import { resolveInsideFolder } from './pathGuards';

/** The panel's bundle, as esbuild.mjs writes it into dist/. */
export interface WebviewAssets {
  js: string;
  css: string;
}

export const WEBVIEW_ASSET_FILES = { js: 'webview.js', css: 'webview.css' } as const;

/** Images embedded per file, all runs together: beyond it the rest are left out (and the file says how many). */
export const DEFAULT_IMAGE_BUDGET_BYTES = 8 * 1024 * 1024;

/**
 * The webview bundle from the first folder that holds both files. The CLI passes its own folder (dist/) and the
 * repository's dist/ (when run from source), the extension its dist/.
 */
export function readWebviewAssets(dirs: readonly string[]): WebviewAssets {
  for (const dir of dirs) {
    const js = join(dir, WEBVIEW_ASSET_FILES.js);
    const css = join(dir, WEBVIEW_ASSET_FILES.css);
    if (existsSync(js) && existsSync(css)) return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  }
  throw new EngineError(
    'FILE_NOT_FOUND',
    `the panel's bundle (${WEBVIEW_ASSET_FILES.js}, ${WEBVIEW_ASSET_FILES.css}) was not found in ${dirs.join(', ')}`,
    {
      hint: 'run `npm run build` first: the HTML report inlines the panel bundle it writes into dist/',
    },
  );
}

/** One run of the file: its report and the folder its images are relative to (null: no images, e.g. `eval --json`). */
export interface HtmlReportRun {
  runId: string;
  report: ReportV1;
  dir: string | null;
}

export interface HtmlReportInput {
  title: string;
  run: HtmlReportRun;
  compare?: HtmlReportRun | null;
  /** Compare mode: what differs between the runs, as the panel lists it. */
  comparison?: ComparisonNote[];
  assets: WebviewAssets;
  imageBudgetBytes?: number;
}

export interface HtmlReport {
  html: string;
  /** Images embedded, and the report-relative paths of those left out (over the budget or unreadable). */
  embedded: number;
  leftOut: string[];
}

/**
 * The run images a report refers to, in the order they are worth embedding: the gallery and the Occluded
 * Frequency pictures first, then the per-image table's examples.
 */
export function reportImagePaths(report: ReportV1): string[] {
  const first: string[] = [];
  const later: string[] = [];
  for (const section of Object.values(report.sections ?? {})) {
    const kind = sectionKind(section);
    if (kind === 'attacks') {
      for (const run of (section as AttacksSection).runs ?? [])
        for (const item of run.gallery ?? []) first.push(item.files.clean, item.files.adversarial, item.files.perturbation);
    } else if (kind === 'occluded-frequency') {
      for (const m of (section as OccludedFrequencySection).models ?? [])
        for (const image of m.images ?? []) {
          if (image.original) first.push(image.original);
          for (const p of image.previews ?? []) first.push(p.path);
        }
    } else if (kind === 'inversion') {
      for (const m of (section as InversionSection).models ?? [])
        for (const e of m.examples ?? []) first.push(e.target, e.start, e.inverted);
    } else if (kind === 'per-image') {
      const t = section as PerImageSection;
      (t.attacks ?? []).forEach((a, k) => {
        for (const i of a.saved?.images ?? [])
          later.push(
            exampleFile(t.examples.clean, k, i),
            exampleFile(t.examples.adversarial, k, i),
            exampleFile(t.examples.perturbation, k, i),
          );
      });
    }
  }
  const all = [...first, ...later].filter((p): p is string => typeof p === 'string').map((p) => p.replace(/\\/g, '/'));
  return [...new Set(all)];
}

/** The MIME type of PNG and JPEG bytes (by their signature, not the name), else null. */
function imageType(bytes: Buffer): string | null {
  if (bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return null;
}

/** Embeds the images of the runs as data: URLs while the budget lasts (shared by both runs, run A first). */
export function embedImages(
  runs: readonly HtmlReportRun[],
  budgetBytes: number,
): { images: Record<string, string>[]; embedded: number; leftOut: string[] } {
  let left = budgetBytes;
  let embedded = 0;
  const leftOut: string[] = [];
  const images = runs.map((run) => {
    const out: Record<string, string> = {};
    for (const rel of reportImagePaths(run.report)) {
      const resolved = run.dir ? resolveInsideFolder(run.dir, rel) : null;
      if (!resolved?.ok) {
        leftOut.push(rel);
        continue;
      }
      const size = statSync(resolved.path).size;
      if (size > left) {
        leftOut.push(rel);
        continue;
      }
      const bytes = readFileSync(resolved.path);
      const type = imageType(bytes);
      if (!type) {
        leftOut.push(rel);
        continue;
      }
      out[rel] = `data:${type};base64,${bytes.toString('base64')}`;
      left -= size;
      embedded++;
    }
    return out;
  });
  return { images, embedded, leftOut };
}

/**
 * VS Code's theme variables that styles.css and the web components read, per colour scheme (values of the
 * Light Modern and Dark Modern themes).
 */
const LIGHT: Record<string, string> = {
  foreground: '#3b3b3b',
  'editor-background': '#ffffff',
  descriptionForeground: '#616161',
  'panel-border': '#e5e5e5',
  'panel-background': '#f8f8f8',
  focusBorder: '#005fb8',
  'textLink-foreground': '#005fb8',
  errorForeground: '#b3261e',
  'editorWarning-foreground': '#8a6100',
  'inputValidation-errorBackground': '#f9e3e3',
  'inputValidation-errorBorder': '#be1100',
  'inputValidation-warningBackground': '#f6f5d2',
  'inputValidation-warningBorder': '#b89500',
  'badge-background': '#cccccc',
  'badge-foreground': '#3b3b3b',
  'button-background': '#005fb8',
  'button-foreground': '#ffffff',
  'button-hoverBackground': '#0258a8',
  'button-border': 'transparent',
  'button-secondaryBackground': '#e5e5e5',
  'button-secondaryForeground': '#3b3b3b',
  'button-secondaryHoverBackground': '#cccccc',
  'dropdown-background': '#ffffff',
  'dropdown-border': '#cecece',
  'dropdown-foreground': '#3b3b3b',
  'input-background': '#ffffff',
  'input-border': '#cecece',
  'input-foreground': '#3b3b3b',
  'editorHoverWidget-background': '#f8f8f8',
  'editorHoverWidget-border': '#c8c8c8',
  'editorHoverWidget-foreground': '#3b3b3b',
  'editorWidget-background': '#f8f8f8',
  'list-hoverBackground': '#f2f2f2',
  'list-inactiveSelectionBackground': '#e4e6f1',
  'progressBar-background': '#005fb8',
  'sideBar-background': '#f8f8f8',
  'charts-lines': 'rgba(59, 59, 59, 0.3)',
  'panelTitle-activeBorder': '#005fb8',
  'panelTitle-activeForeground': '#3b3b3b',
  'panelTitle-inactiveForeground': '#616161',
  'sash-hoverBorder': '#005fb8',
  'settings-headerBorder': '#e5e5e5',
};

const DARK: Record<string, string> = {
  foreground: '#cccccc',
  'editor-background': '#1f1f1f',
  descriptionForeground: '#9d9d9d',
  'panel-border': '#2b2b2b',
  'panel-background': '#181818',
  focusBorder: '#0078d4',
  'textLink-foreground': '#4daafc',
  errorForeground: '#f85149',
  'editorWarning-foreground': '#cca700',
  'inputValidation-errorBackground': '#5a1d1d',
  'inputValidation-errorBorder': '#be1100',
  'inputValidation-warningBackground': '#352a05',
  'inputValidation-warningBorder': '#b89500',
  'badge-background': '#616161',
  'badge-foreground': '#f8f8f8',
  'button-background': '#0078d4',
  'button-foreground': '#ffffff',
  'button-hoverBackground': '#026ec1',
  'button-border': 'transparent',
  'button-secondaryBackground': '#313131',
  'button-secondaryForeground': '#cccccc',
  'button-secondaryHoverBackground': '#3c3c3c',
  'dropdown-background': '#313131',
  'dropdown-border': '#3c3c3c',
  'dropdown-foreground': '#cccccc',
  'input-background': '#313131',
  'input-border': '#3c3c3c',
  'input-foreground': '#cccccc',
  'editorHoverWidget-background': '#202020',
  'editorHoverWidget-border': '#454545',
  'editorHoverWidget-foreground': '#cccccc',
  'editorWidget-background': '#202020',
  'list-hoverBackground': '#2a2d2e',
  'list-inactiveSelectionBackground': '#37373d',
  'progressBar-background': '#0078d4',
  'sideBar-background': '#181818',
  'charts-lines': 'rgba(204, 204, 204, 0.3)',
  'panelTitle-activeBorder': '#0078d4',
  'panelTitle-activeForeground': '#cccccc',
  'panelTitle-inactiveForeground': '#9d9d9d',
  'sash-hoverBorder': '#0078d4',
  'settings-headerBorder': '#2b2b2b',
};

/**
 * The light chart series of styles.css (webview/src/charts/palette.ts: LIGHT_PALETTE): the panel picks them by
 * VS Code's body class, the file by colour scheme; the dark ones are styles.css's defaults.
 */
const LIGHT_SERIES = ['#1f77b4', '#e16600', '#d62728', '#0098a9', '#2a9f2b', '#8c9000', '#9467bd', '#cf64af', '#8c564b', '#7f7f7f'];

const vars = (palette: Record<string, string>) =>
  Object.entries(palette)
    .map(([k, v]) => `  --vscode-${k}: ${v};`)
    .join('\n');
const lightSeries = LIGHT_SERIES.map((c, i) => `  --rl-series-${i}: ${c};`).join('\n');

export const THEME_CSS = `:root {
  color-scheme: light dark;
  --vscode-font-family: system-ui, -apple-system, 'Segoe UI', Ubuntu, 'Droid Sans', sans-serif;
  --vscode-font-size: 13px;
  --vscode-font-weight: normal;
${vars(DARK)}
}
@media (prefers-color-scheme: light) {
  :root {
${vars(LIGHT)}
  }
  body {
${lightSeries}
  }
}
@media print {
  :root {
    color-scheme: light;
${vars(LIGHT)}
    --vscode-editor-background: #ffffff;
  }
  body {
${lightSeries}
  }
}
`;

/**
 * Plays the host: `acquireVsCodeApi` answers `ready` with the init message stored in the page, and saves a
 * chart export ('export') as a download; nothing else leaves the page.
 */
const BOOTSTRAP = `(function () {
  'use strict';
  var init = JSON.parse(document.getElementById('rl-report-data').textContent);
  function save(m) {
    var blob;
    if (m.format === 'png') {
      var bin = atob(m.data.slice(m.data.indexOf(',') + 1));
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      blob = new Blob([bytes], { type: 'image/png' });
    } else {
      blob = new Blob([m.data], { type: m.format === 'svg' ? 'image/svg+xml' : 'text/csv' });
    }
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = m.suggestedName.toLowerCase().endsWith('.' + m.format) ? m.suggestedName : m.suggestedName + '.' + m.format;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 0);
  }
  window.acquireVsCodeApi = function () {
    return {
      postMessage: function (m) {
        if (m && m.type === 'ready') window.postMessage(init, '*');
        else if (m && m.type === 'export') save(m);
      },
      getState: function () { return null; },
      setState: function () {},
    };
  };
})();`;

/** JSON inside <script>: nothing in it may close the element or open a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Text inside <style> or <script>: a closing tag in the bundle would end the element early, and a source-map
 * comment would have developer tools fetch a file beside the page.
 */
function rawText(text: string, tag: 'style' | 'script'): string {
  return text
    .replace(/^\s*(\/\/[#@]\s*sourceMappingURL=.*|\/\*[#@]\s*sourceMappingURL=.*?\*\/)\s*$/gm, '')
    .replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function panelState(report: ReportV1): PanelState {
  return report.status === 'partial' ? 'partial' : report.status === 'failed' ? 'failed' : 'complete';
}

export function buildHtmlReport(input: HtmlReportInput): HtmlReport {
  const runs = [input.run, ...(input.compare ? [input.compare] : [])];
  const { images, embedded, leftOut } = embedImages(runs, input.imageBudgetBytes ?? DEFAULT_IMAGE_BUDGET_BYTES);
  const init: InitMessage = {
    type: 'init',
    runId: input.compare ? `${input.run.runId}+${input.compare.runId}` : input.run.runId,
    title: input.title,
    state: panelState(input.run.report),
    report: input.run.report,
    compareWith: input.compare?.report ?? null,
    resourceBase: '',
    compareResourceBase: null,
    ...(input.compare && input.comparison ? { comparison: input.comparison } : {}),
    standalone: true,
    embeddedImages: { a: images[0] ?? {}, b: images[1] ?? {} },
    imagesLeftOut: leftOut.length,
  };
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    "font-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="robustness-lens ${escapeHtml(input.run.report.tool?.version ?? '')}">
<title>${escapeHtml(input.title)}</title>
<style nonce="${nonce}">
${rawText(THEME_CSS, 'style')}
</style>
<style nonce="${nonce}">
${rawText(input.assets.css, 'style')}
</style>
</head>
<body>
<div id="app" data-state="${init.state}"></div>
<noscript><p>This Robustness Lens report draws its tables and charts with JavaScript; the report's data is in the script element #rl-report-data.</p></noscript>
<script type="application/json" id="rl-report-data">${scriptJson(init)}</script>
<script nonce="${nonce}">
${BOOTSTRAP}
</script>
<script nonce="${nonce}">
${rawText(input.assets.js, 'script')}
</script>
</body>
</html>
`;
  return { html, embedded, leftOut };
}
