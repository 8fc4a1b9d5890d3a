/**
 * The model view's page (the read-only editor of a .onnx file), as one HTML string: what the model takes and
 * returns, what Robustness Lens detected, what will not work and why, the model's recent runs, and buttons
 * that post messages to the host (src/protocol/modelViewMessages.ts). Everything from the model or the disk
 * is untrusted text and escaped; the CSP allows only the page's own nonce'd style and script; colours
 * are VS Code's theme variables, so light, dark and high-contrast themes all read. No `vscode` import.
 */
import type { ModelInfoSection } from '../engine/jobs/infoJob';
import type { ModelDiagnostic, TensorSig } from '../engine/onnx/modelInfo';
import type { RunListing } from './runsStore';

export type ModelViewState =
  /** `behind`: runs the engine finishes before it reads the model (it runs one job at a time). */
  | { kind: 'loading'; behind: number }
  | { kind: 'error'; message: string; hint: string | null }
  | { kind: 'ready'; section: ModelInfoSection };

export interface RecentRun {
  id: string;
  command: string;
  createdAt: Date;
  status: string;
  headline: string;
}

export interface ModelViewPage {
  /** The file's name and full path (shown in the header). */
  modelName: string;
  modelPath: string;
  state: ModelViewState;
  runs: RecentRun[];
  /** A fresh random value per render: the CSP's nonce. */
  nonce: string;
}

/** How many recent runs the view lists. */
export const RECENT_RUNS = 5;

/** The readable runs of one model, newest first, at most `limit` (runs from several roots merged). */
export function recentRunsOf(listings: readonly RunListing[], modelPath: string, limit = RECENT_RUNS): RecentRun[] {
  return listings
    .filter((r): r is Extract<RunListing, { readable: true }> => r.readable && r.modelPath === modelPath)
    .sort((a, b) => b.id.localeCompare(a.id))
    .slice(0, limit)
    .map((r) => ({ id: r.id, command: r.command, createdAt: r.createdAt, status: r.status, headline: r.headline }));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) as HTML that shows it verbatim. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const e = escapeHtml;
const shape = (s: TensorSig['shape']) => (s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : 'unknown shape');

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A definition list from [term, text] pairs (both escaped). */
function facts(rows: [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
}

function table(caption: string, head: string[], rows: string[][]): string {
  return `<table><caption>${e(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function button(action: string, label: string, attrs = ''): string {
  return `<button type="button" data-action="${e(action)}"${attrs}>${e(label)}</button>`;
}

function signature(s: ModelInfoSection): string {
  const rows = (kind: string, sigs: TensorSig[]) => sigs.map((t) => [kind, t.name, t.elemType, shape(t.shape)]);
  return `<section aria-labelledby="io"><h2 id="io">Inputs and outputs</h2>${table(
    'The graph inputs (initializers excluded) and outputs',
    ['', 'Name', 'Element type', 'Shape'],
    [...rows('input', s.info.inputs), ...rows('output', s.info.outputs)],
  )}</section>`;
}

function detected(s: ModelInfoSection): string {
  const { info } = s;
  const images = info.imageInputs.length
    ? info.imageInputs
        .map((c) =>
          facts([
            ['Image input', c.name],
            ['Layout', c.layout],
            ['Channels', String(c.channels)],
            ['Size', c.height && c.width ? `${c.height}×${c.width}` : 'symbolic (give the size in robustness.json)'],
            ['Batch', String(c.batch)],
            ['Why', c.reason],
          ]),
        )
        .join('')
    : `<p>No input looks like an image.</p>`;
  const out = info.output;
  const scores = facts([
    ['Scores', out.name || '(none)'],
    ['Kind', out.kind],
    ['Classes', out.numClasses === null ? 'unknown until a first run' : String(out.numClasses)],
    ['Why', out.reason],
  ]);
  return `<section aria-labelledby="detected"><h2 id="detected">Detected</h2>${images}${scores}</section>`;
}

const GRADIENT_CODES = new Set<ModelDiagnostic['code']>(['NO_GRADIENT', 'ZERO_GRADIENT', 'TRAINING_DROPOUT']);

function diagnostics(s: ModelInfoSection): string {
  const items = [
    ...s.diagnostics.map(
      (d) =>
        `<li class="diagnostic" data-code="${e(d.code)}"><span class="code">${e(d.code)}</span> ${e(d.message)}<div class="hint">Hint: ${e(d.hint)}</div></li>`,
    ),
    ...[...s.info.warnings, ...s.problems].map(
      (w) => `<li class="diagnostic" data-code="WARNING"><span class="code">WARNING</span> ${e(w)}</li>`,
    ),
  ];
  const gradientOk =
    !s.diagnostics.some((d) => GRADIENT_CODES.has(d.code)) && s.info.imageInputs.length === 1
      ? '<p class="ok">Every op on the path from the image input to the scores has a gradient.</p>'
      : '';
  const checked = s.imagesDir ? `<p class="muted">Class count checked against ${e(s.imagesDir)}.</p>` : '';
  const body = items.length ? `<ul class="diagnostics">${items.join('')}</ul>` : '<p class="ok">Nothing found that would stop a run.</p>';
  return `<section aria-labelledby="diagnostics"><h2 id="diagnostics">Diagnostics</h2>${body}${gradientOk}${checked}</section>`;
}

function details(s: ModelInfoSection): string {
  const { info } = s;
  const ops = Object.entries(info.opHistogram).map(([op, n]) => [op, String(n)]);
  const meta = Object.entries(info.metadata);
  return `<section aria-labelledby="model"><h2 id="model">Model</h2>${facts([
    ['File size', bytes(info.sizeBytes)],
    ['Parameters', `${info.parameterCount.toLocaleString('en-US')} (${bytes(info.parameterBytes)})`],
    ['Nodes', String(info.nodeCount)],
    ['Opsets', info.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ') || '(none)'],
    ['IR version', String(info.irVersion)],
    ['Producer', info.producer || '(none)'],
    ['sha256', info.sha256],
    ...(s.configFile ? ([['Configuration', s.configFile]] as [string, string][]) : []),
    ...(info.externalDataFiles.length ? ([['External data', info.externalDataFiles.join(', ')]] as [string, string][]) : []),
  ])}${table('Ops by count', ['Op', 'Count'], ops)}${
    meta.length ? table('Metadata', ['Key', 'Value'], meta) : '<p class="muted">No metadata.</p>'
  }</section>`;
}

function recentRuns(runs: RecentRun[]): string {
  const body = runs.length
    ? `<ul class="runs">${runs
        .map(
          (r) =>
            `<li>${button('open-run', `${r.command} · ${r.createdAt.toLocaleString()}`, ` data-run-id="${e(r.id)}"`)} <span class="status-${e(r.status)}">${e(r.status)}</span> · ${e(r.headline)}</li>`,
        )
        .join('')}</ul>`
    : '<p class="muted">No runs of this model yet.</p>';
  return `<section aria-labelledby="runs"><h2 id="runs">Recent runs</h2>${body}</section>`;
}

function stateBody(state: ModelViewState): string {
  switch (state.kind) {
    case 'loading':
      return `<p class="loading" role="status" aria-busy="true">Reading the model…${
        state.behind
          ? ` (after the ${state.behind === 1 ? 'run' : `${state.behind} runs`} in progress: the engine does one job at a time)`
          : ''
      }</p>`;
    case 'error':
      return `<div class="error" role="alert"><h2>This file could not be read as an ONNX model</h2><p>${e(state.message)}</p>${
        state.hint ? `<p>Hint: ${e(state.hint)}</p>` : ''
      }${button('reload', 'Read Again')}</div>`;
    case 'ready':
      return signature(state.section) + detected(state.section) + diagnostics(state.section) + details(state.section);
  }
}

const STYLE = `
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 20px 20px; max-width: 72rem; }
h1 { font-size: 1.4em; margin-bottom: 0; word-break: break-all; }
h2 { font-size: 1.1em; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, transparent)); padding-bottom: 2px; }
.path, .muted, caption, .hint { color: var(--vscode-descriptionForeground); }
caption { text-align: left; padding: 4px 0; }
.actions { margin: 12px 0; display: flex; gap: 8px; flex-wrap: wrap; }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: 1px solid var(--vscode-button-border, transparent); padding: 4px 12px; cursor: pointer; font: inherit; }
button:hover { background: var(--vscode-button-hoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.runs button { color: var(--vscode-textLink-foreground); background: transparent; border: none; padding: 0; text-decoration: underline; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, transparent)); word-break: break-all; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
.facts dt { color: var(--vscode-descriptionForeground); }
.facts dd { margin: 0; word-break: break-all; }
.diagnostics { padding-left: 0; list-style: none; }
.diagnostic { border-left: 3px solid var(--vscode-editorWarning-foreground, var(--vscode-contrastBorder)); padding: 4px 8px; margin: 6px 0; background: var(--vscode-textBlockQuote-background); }
.code { font-family: var(--vscode-editor-font-family); font-size: 0.9em; }
.ok { border-left: 3px solid var(--vscode-testing-iconPassed, var(--vscode-contrastBorder)); padding-left: 8px; }
.error { border-left: 3px solid var(--vscode-errorForeground); padding: 4px 12px; color: var(--vscode-errorForeground); background: var(--vscode-inputValidation-errorBackground, transparent); }
.error p { color: var(--vscode-foreground); white-space: pre-wrap; }
.status-failed { color: var(--vscode-errorForeground); }
`;

/** Buttons post `{type: data-action}` (and the run id of a run's button); nothing else leaves the page. */
const SCRIPT = `
const vscode = acquireVsCodeApi();
document.addEventListener('click', (event) => {
  const b = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (!b) return;
  const message = { type: b.dataset.action };
  if (b.dataset.runId) message.runId = b.dataset.runId;
  vscode.postMessage(message);
});
vscode.postMessage({ type: 'ready' });
`;

export function renderModelView(page: ModelViewPage): string {
  const n = e(page.nonce);
  const csp = [`default-src 'none'`, `style-src 'nonce-${n}'`, `script-src 'nonce-${n}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(page.modelName)}</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body>
<header><h1>${e(page.modelName)}</h1><div class="path">${e(page.modelPath)}</div>
<div class="actions">${button('analyse', 'Analyse Robustness')}${button('quick-check', 'Quick Attack Check')}</div></header>
<main id="model-view" data-state="${page.state.kind}">${stateBody(page.state)}${recentRuns(page.runs)}</main>
<script nonce="${n}">${SCRIPT}</script>
</body>
</html>`;
}
