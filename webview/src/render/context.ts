/**
 * What every section renderer gets: the DOM builder, the one or two runs shown (compare mode puts a second
 * run beside the first), where exports go, and UI choices that must survive a re-render.
 */
import type { ReportV1 } from '../../../src/engine/report/schema';
import { isUnsafeRelativePath, type ComparisonNote, type PanelState } from '../../../src/protocol/webviewMessages';
import type { ExportTarget } from '../charts/exportChart';
import type { H } from '../dom';

export interface Side {
  /** 'a' for the run of the panel, 'b' for the run it is compared with. */
  key: 'a' | 'b';
  /** The model's file name (what tells the two sides apart). */
  label: string;
  report: ReportV1 | null;
  /** [name, section] in report order, streamed sections included. */
  sections: [string, unknown][];
  /** Webview URI of the run folder. */
  resourceBase: string;
  /** A standalone HTML report: the run's images embedded as data: URLs by report-relative path (null in VS Code). */
  embeddedImages: Readonly<Record<string, string>> | null;
}

export interface RenderContext {
  h: H;
  sides: Side[];
  compare: boolean;
  /** Compare mode: what differs between the two runs, as the host checked it (null: not checked). */
  comparison?: ComparisonNote[] | null;
  /** State of the panel's own run (the compared run is finished: its report status stands). */
  state: PanelState;
  /** A standalone HTML report: no host to open files or write configuration, so no control that would ask one. */
  standalone: boolean;
  exportTarget: ExportTarget;
  /** UI selections by key (e.g. which Occluded Frequency view), kept across re-renders. */
  ui: Map<string, string>;
  /** Asks the host to open a file of the panel's own run. */
  openArtefact(relPath: string): void;
  /** Asks the host to write the sanity check's proposed class order of the report with this id into its configuration. */
  applyClassOrder(reportId: string): void;
}

export interface SectionEntry<T> {
  side: Side;
  name: string;
  section: T;
}

export function sideState(ctx: RenderContext, side: Side): PanelState {
  return side.key === 'a' ? ctx.state : (side.report?.status ?? 'complete');
}

export function classNames(side: Side): string[] {
  const r = side.report;
  return r?.dataset?.classNames ?? r?.config.resolved.classNames ?? [];
}

export function className(names: string[], index: number): string {
  return names[index] ?? `class ${index}`;
}

/**
 * A report-relative path as a URI under the run folder, or null when the path would leave it (reports are
 * data, not trusted to point anywhere). Windows separators are accepted.
 */
export function resourceUrl(base: string, relPath: string): string | null {
  const rel = relPath.replace(/\\/g, '/');
  if (!base || isUnsafeRelativePath(rel)) return null;
  return `${base.replace(/\/+$/, '')}/${rel.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The URL of a run image: in a standalone HTML report its embedded data: URL (null when it was left out),
 * in VS Code the file under the run folder.
 */
export function imageUrl(side: Side, relPath: string): string | null {
  if (side.embeddedImages) {
    const rel = relPath.replace(/\\/g, '/');
    return Object.hasOwn(side.embeddedImages, rel) ? side.embeddedImages[rel] : null;
  }
  return resourceUrl(side.resourceBase, relPath);
}

/** What stands in place of an image `imageUrl` has no URL for. */
export function missingImageText(side: Side): string {
  return side.embeddedImages ? 'image not embedded in this report (size cap)' : 'path outside the run folder';
}

/** A heading prefix naming the model when two runs are shown. */
export function sideTitle(ctx: RenderContext, side: Side, title: string): string {
  return ctx.compare ? `${side.label}: ${title}` : title;
}
