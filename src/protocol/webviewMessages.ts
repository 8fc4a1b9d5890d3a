/**
 * The messages between the extension host and a run panel's webview — the one module both sides import —
 * each declared once as a schema, its type `Infer<>` of it. The host trusts nothing the webview sends: every
 * incoming message goes through `parseWebviewMessage`, which accepts only the shapes below (unknown types,
 * extra-long strings and wrong field types are rejected); the webview ignores host messages that
 * `isHostToWebview` refuses.
 * Must stay free of `vscode` and Node imports: the webview bundle includes it.
 */
import type { ReportV1 } from '../engine/report/schema';
import {
  boolean,
  check,
  custom,
  fail,
  array,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  plainObjectProblem,
  record,
  refine,
  string,
  tagged,
  type Infer,
} from './schema';

export const PANEL_STATES = ['running', 'complete', 'partial', 'failed', 'cancelled'] as const;
export type PanelState = (typeof PANEL_STATES)[number];
const panelState = oneOf(PANEL_STATES);

// ---- host → webview ----

/** The host is trusted: its messages are checked for shape only, so any length of text passes. */
const hostText = string({ min: 0, max: Number.MAX_SAFE_INTEGER });

/**
 * A report as the webview takes it: a plain object (or null). Reports are data the panel renders
 * defensively, section by section; the host has checked their envelope already (src/host/runsStore.ts,
 * the engine messages).
 */
const reportData = custom((value, path): ReportV1 => {
  const problem = plainObjectProblem(value);
  if (problem) fail(path, `must be ${problem}`);
  return value as ReportV1;
});

/**
 * One line of a compare panel's mismatch warning: a run older than its model or configuration ('stale'),
 * a difference that makes the numbers incomparable ('hard'), or one that leaves the shared part comparable
 * ('soft', e.g. different attack suites).
 */
const comparisonNote = object({ severity: oneOf(['stale', 'hard', 'soft']), text: hostText });
export type ComparisonNote = Infer<typeof comparisonNote>;

/** Everything a panel shows; sent on open, on reload (serializer) and when a run finishes. */
const initMessage = object({
  type: literal('init'),
  runId: hostText,
  title: hostText,
  state: panelState,
  /** Null while a run has produced nothing yet. */
  report: nullable(reportData),
  /** Compare Models: the second run, shown side by side. */
  compareWith: nullable(reportData),
  /** webview URI of the run folder: report-relative image paths (gallery, previews) resolve against it. */
  resourceBase: hostText,
  /** Second run's folder URI when comparing. */
  compareResourceBase: nullable(hostText),
  /** Compare mode: what differs between the two runs (empty: they match; absent: not a comparison). */
  comparison: optional(array(comparisonNote, { max: 1000 })),
  /**
   * A standalone HTML report (src/host/htmlReport.ts), not a VS Code panel: no host to open files, export or
   * write configuration, so the panel hides what would ask one.
   */
  standalone: optional(boolean()),
  /** Standalone: the run images embedded as data: URLs, by report-relative path ('a' the run, 'b' the compared run). */
  embeddedImages: optional(object({ a: record(hostText), b: record(hostText) })),
  /** Standalone: images of the run folder left out of the file (over the size cap), said in the file. */
  imagesLeftOut: optional(number()),
});

/** A finished section of a running job (partial results stream into the panel). */
const sectionMessage = object({
  type: literal('section'),
  name: hostText,
  section: custom((value, path): unknown => (typeof value === 'object' && value !== null ? value : fail(path, 'must be an object'))),
});

const progressMessage = object({
  type: literal('progress'),
  stage: hostText,
  done: number(),
  total: number(),
  etaSeconds: nullable(number()),
});

const stateMessage = object({
  type: literal('state'),
  state: panelState,
  /** E.g. the error text of a failed run, or "cancelled: 3 of 5 sections kept". */
  message: nullable(hostText),
});

export const hostToWebviewSchema = tagged('type', {
  init: initMessage,
  section: sectionMessage,
  progress: progressMessage,
  state: stateMessage,
});

export type InitMessage = Infer<typeof initMessage>;
export type SectionMessage = Infer<typeof sectionMessage>;
export type ProgressMessage = Infer<typeof progressMessage>;
export type StateMessage = Infer<typeof stateMessage>;
export type HostToWebview = Infer<typeof hostToWebviewSchema>;

// ---- webview → host ----

export const EXPORT_FORMATS = ['svg', 'png', 'csv'] as const;
/** 32 MiB: a PNG export of a large chart as a data URL stays well below it. */
export const MAX_EXPORT_CHARS = 32 * 1024 * 1024;
const MAX_NAME_CHARS = 200;

const readyMessage = object({ type: literal('ready') });
const cancelMessage = object({ type: literal('cancel') });

/** Save a chart (SVG text, PNG as a data: URL) or its data (CSV text) through the host's save dialog. */
const exportMessage = refine(
  object({
    type: literal('export'),
    chartId: string({ max: MAX_NAME_CHARS, message: 'must be a non-empty string' }),
    format: oneOf(EXPORT_FORMATS, { message: `must be one of ${EXPORT_FORMATS.join(', ')}` }),
    suggestedName: refine(string({ max: MAX_NAME_CHARS, message: 'must be a plain file name' }), (name) =>
      /[\\/\u0000-\u001f]|^\.\.?$/.test(name) ? 'must be a plain file name' : null,
    ),
    data: string({ max: MAX_EXPORT_CHARS }),
  }),
  (m) => (m.format === 'png' && !m.data.startsWith('data:image/png;base64,') ? 'png data must be a data:image/png;base64 URL' : null),
);

/** Open an artefact of the run (e.g. a gallery PNG); `relPath` must stay inside the run folder. */
const openArtefactMessage = object({
  type: literal('open-artefact'),
  relPath: refine(string({ max: 1000, message: 'must be a non-empty string' }), (p) =>
    isUnsafeRelativePath(p) ? `${JSON.stringify(p)} leaves the run folder` : null,
  ),
});

/**
 * The sanity banner's "Apply this class order": the host writes the proposal of the report with this id (its
 * own copy, never names sent by the webview) into that run's configuration file.
 */
const applyClassOrderMessage = object({
  type: literal('apply-class-order'),
  reportId: string({ max: MAX_NAME_CHARS, message: 'must be a non-empty string' }),
});

/**
 * The toolbar's "Export HTML report" (the host writes the panel's run(s) as one self-contained file where the
 * save dialog says) and "Copy Markdown summary" (the host puts the summary on the clipboard). Both from the
 * host's own copy of the reports, never content sent by the webview.
 */
const exportReportMessage = object({ type: literal('export-report') });
const copyMarkdownMessage = object({ type: literal('copy-markdown') });

export const webviewToHostSchema = tagged('type', {
  ready: readyMessage,
  export: exportMessage,
  'open-artefact': openArtefactMessage,
  cancel: cancelMessage,
  'apply-class-order': applyClassOrderMessage,
  'export-report': exportReportMessage,
  'copy-markdown': copyMarkdownMessage,
});

export type ReadyMessage = Infer<typeof readyMessage>;
export type ExportMessage = Infer<typeof exportMessage>;
export type OpenArtefactMessage = Infer<typeof openArtefactMessage>;
export type CancelMessage = Infer<typeof cancelMessage>;
export type ApplyClassOrderMessage = Infer<typeof applyClassOrderMessage>;
export type ExportReportMessage = Infer<typeof exportReportMessage>;
export type CopyMarkdownMessage = Infer<typeof copyMarkdownMessage>;
export type WebviewToHost = Infer<typeof webviewToHostSchema>;

export type ParseResult = { ok: true; message: WebviewToHost } | { ok: false; reason: string };

/** Validates a message from the webview. */
export function parseWebviewMessage(value: unknown): ParseResult {
  const notPlain = plainObjectProblem(value);
  if (notPlain) return { ok: false, reason: `not ${notPlain}` };
  const type = (value as { type?: unknown }).type;
  if (!webviewToHostSchema.tags.includes(type as never)) return { ok: false, reason: `unknown message type ${JSON.stringify(type)}` };
  const checked = check(webviewToHostSchema, value);
  return checked.ok ? { ok: true, message: checked.value } : { ok: false, reason: `${String(type)}: ${checked.reason}` };
}

/** Whether a message from the host has a shape the panel knows (anything else is ignored). */
export function isHostToWebview(value: unknown): value is HostToWebview {
  return check(hostToWebviewSchema, value).ok;
}

/** Absolute paths, drive letters, URL schemes, backslashes and any `..` segment are refused. */
export function isUnsafeRelativePath(p: string): boolean {
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p)) return true;
  return p.split('/').some((seg) => seg === '..' || seg === '');
}
