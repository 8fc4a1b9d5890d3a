/**
 * The messages between the extension host and a run panel's webview — the one module both sides import.
 * The host trusts nothing the webview sends: every incoming message goes through `parseWebviewMessage`,
 * which accepts only the shapes below (unknown types, extra-long strings and wrong field types are rejected).
 * Must stay free of `vscode` and Node imports: the webview bundle includes it.
 */
import type { ReportV1 } from '../engine/report/schema';

export type PanelState = 'running' | 'complete' | 'partial' | 'failed' | 'cancelled';

// ---- host → webview ----

/** Everything a panel shows; sent on open, on reload (serializer) and when a run finishes. */
export interface InitMessage {
  type: 'init';
  runId: string;
  title: string;
  state: PanelState;
  /** Null while a run has produced nothing yet. */
  report: ReportV1 | null;
  /** Compare Models: the second run, shown side by side. */
  compareWith: ReportV1 | null;
  /** webview URI of the run folder: report-relative image paths (gallery, previews) resolve against it. */
  resourceBase: string;
  /** Second run's folder URI when comparing. */
  compareResourceBase: string | null;
}

/** A finished section of a running job (partial results stream into the panel). */
export interface SectionMessage {
  type: 'section';
  name: string;
  section: unknown;
}

export interface ProgressMessage {
  type: 'progress';
  stage: string;
  done: number;
  total: number;
  etaSeconds: number | null;
}

export interface StateMessage {
  type: 'state';
  state: PanelState;
  /** E.g. the error text of a failed run, or "cancelled: 3 of 5 sections kept". */
  message: string | null;
}

export type HostToWebview = InitMessage | SectionMessage | ProgressMessage | StateMessage;

// ---- webview → host ----

export interface ReadyMessage {
  type: 'ready';
}

/** Save a chart (SVG text, PNG as a data: URL) or its data (CSV text) through the host's save dialog. */
export interface ExportMessage {
  type: 'export';
  chartId: string;
  format: 'svg' | 'png' | 'csv';
  suggestedName: string;
  data: string;
}

/** Open an artefact of the run (e.g. a gallery PNG); `relPath` must stay inside the run folder. */
export interface OpenArtefactMessage {
  type: 'open-artefact';
  relPath: string;
}

export interface CancelMessage {
  type: 'cancel';
}

export type WebviewToHost = ReadyMessage | ExportMessage | OpenArtefactMessage | CancelMessage;

export const EXPORT_FORMATS = ['svg', 'png', 'csv'] as const;
/** 32 MiB: a PNG export of a large chart as a data URL stays well below it. */
export const MAX_EXPORT_CHARS = 32 * 1024 * 1024;
const MAX_NAME_CHARS = 200;

export type ParseResult = { ok: true; message: WebviewToHost } | { ok: false; reason: string };

function isString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

function hasOnlyKeys(o: Record<string, unknown>, keys: string[]): string | null {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  return extra.length ? `unexpected field(s) ${extra.join(', ')}` : null;
}

/** Validates a message from the webview. */
export function parseWebviewMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  // Only plain data: a field inherited through a prototype would pass the own-key checks below unseen.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return { ok: false, reason: 'not a plain object' };
  const o = value as Record<string, unknown>;
  const fail = (reason: string): ParseResult => ({ ok: false, reason: `${String(o.type)}: ${reason}` });
  switch (o.type) {
    case 'ready':
    case 'cancel': {
      const extra = hasOnlyKeys(o, ['type']);
      return extra ? fail(extra) : { ok: true, message: { type: o.type } };
    }
    case 'export': {
      const extra = hasOnlyKeys(o, ['type', 'chartId', 'format', 'suggestedName', 'data']);
      if (extra) return fail(extra);
      if (!isString(o.chartId, MAX_NAME_CHARS)) return fail('chartId must be a non-empty string');
      if (!EXPORT_FORMATS.includes(o.format as never)) return fail(`format must be one of ${EXPORT_FORMATS.join(', ')}`);
      if (!isString(o.suggestedName, MAX_NAME_CHARS) || /[\\/\u0000-\u001f]|^\.\.?$/.test(o.suggestedName)) return fail('suggestedName must be a plain file name');
      if (!isString(o.data, MAX_EXPORT_CHARS)) return fail(`data must be a non-empty string of at most ${MAX_EXPORT_CHARS} characters`);
      if (o.format === 'png' && !o.data.startsWith('data:image/png;base64,')) return fail('png data must be a data:image/png;base64 URL');
      return { ok: true, message: { type: 'export', chartId: o.chartId, format: o.format as ExportMessage['format'], suggestedName: o.suggestedName, data: o.data } };
    }
    case 'open-artefact': {
      const extra = hasOnlyKeys(o, ['type', 'relPath']);
      if (extra) return fail(extra);
      if (!isString(o.relPath, 1000)) return fail('relPath must be a non-empty string');
      if (isUnsafeRelativePath(o.relPath)) return fail(`relPath ${JSON.stringify(o.relPath)} leaves the run folder`);
      return { ok: true, message: { type: 'open-artefact', relPath: o.relPath } };
    }
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(o.type)}` };
  }
}

/** Absolute paths, drive letters, URL schemes, backslashes and any `..` segment are refused. */
export function isUnsafeRelativePath(p: string): boolean {
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p)) return true;
  return p.split('/').some((seg) => seg === '..' || seg === '');
}
