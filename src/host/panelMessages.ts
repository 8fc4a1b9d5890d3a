/**
 * What the host does with a message from a run panel's webview, without `vscode` (the panel supplies the
 * effects), so that the rules are unit-tested: nothing is done for a message that fails validation; a
 * webview can only replay, cancel its run, open a file that really lies inside its run folder(s), or offer
 * an export that is written only where the user's save dialog says, or apply the class order its own report
 * proposes (the host takes the names from its copy of the report), or export the report as HTML or Markdown
 * (from the host's copy, to where the save dialog says or the clipboard). No message runs a command or a file
 * the webview names.
 */
import { resolveInsideFolder } from './pathGuards';
import { parseWebviewMessage, type ExportMessage } from '../protocol/webviewMessages';

export interface PanelEffects<Target> {
  /** Sends the panel's whole state again (the webview (re)loaded). */
  replay(): void;
  /** Cancels the panel's run, if it is still going. */
  cancel(): void;
  /** Asks the user where to save (the save dialog); null when dismissed. */
  chooseExportTarget(fileName: string, format: ExportMessage['format']): Promise<Target | null>;
  /** Writes an export to where the user chose. */
  writeExport(target: Target, bytes: Uint8Array, chartId: string): Promise<void>;
  /** Opens a file of the run (a path already resolved inside a run folder). */
  openFile(path: string): Promise<void>;
  /** Writes the sanity check's proposed class order of the panel's report with this id into its run's configuration. */
  applyClassOrder(reportId: string): Promise<void>;
  /** "Export HTML report": the panel's run(s) as one self-contained HTML file, where the user's save dialog says. */
  exportReport(): Promise<void>;
  /** "Copy Markdown summary": the panel's run(s) summary onto the clipboard. */
  copyMarkdown(): Promise<void>;
  /** A message or request was refused; `tellUser` when the user asked for something that cannot be done. */
  refused(reason: string, tellUser: boolean): void;
}

/** The file name offered in the save dialog: the webview's suggestion with the format's extension. */
export function exportFileName(m: ExportMessage): string {
  const ext = `.${m.format}`;
  return m.suggestedName.toLowerCase().endsWith(ext) ? m.suggestedName : `${m.suggestedName}${ext}`;
}

/** The bytes of an export: SVG and CSV as UTF-8 text, PNG decoded from its data: URL. */
export function exportBytes(m: ExportMessage): Uint8Array {
  return m.format === 'png' ? Buffer.from(m.data.slice('data:image/png;base64,'.length), 'base64') : Buffer.from(m.data, 'utf8');
}

/** Handles one raw message from the webview of a panel showing the runs in `runDirs`. */
export async function handlePanelMessage<Target>(raw: unknown, runDirs: readonly string[], fx: PanelEffects<Target>): Promise<void> {
  const parsed = parseWebviewMessage(raw);
  if (!parsed.ok) {
    fx.refused(`message rejected: ${parsed.reason}`, false);
    return;
  }
  const m = parsed.message;
  switch (m.type) {
    case 'ready':
      fx.replay();
      return;
    case 'cancel':
      fx.cancel();
      return;
    case 'export': {
      const target = await fx.chooseExportTarget(exportFileName(m), m.format);
      if (target !== null) await fx.writeExport(target, exportBytes(m), m.chartId);
      return;
    }
    case 'apply-class-order':
      await fx.applyClassOrder(m.reportId);
      return;
    case 'export-report':
      await fx.exportReport();
      return;
    case 'copy-markdown':
      await fx.copyMarkdown();
      return;
    case 'open-artefact': {
      const reasons: string[] = [];
      for (const dir of runDirs) {
        const r = resolveInsideFolder(dir, m.relPath);
        if (r.ok) {
          await fx.openFile(r.path);
          return;
        }
        reasons.push(r.reason);
      }
      fx.refused(`refused to open ${JSON.stringify(m.relPath)}: ${reasons.join('; ')}`, true);
    }
  }
}

// Packing lives with the protocol: the webview unpacks what the host packs (see src/protocol/packedArrays.ts).
export { PACKED_ARRAY_MIN, packNumericArrays } from '../protocol/packedArrays';
