/**
 * `robustness-lens report <run folder | report.json> --html FILE --markdown FILE`, and `--html FILE` on the jobs:
 * a finished report as one self-contained HTML file (src/host/htmlReport.ts: the panel's own bundle, inlined)
 * and as a Markdown summary (src/host/reportMarkdown.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EngineError } from '../engine/errors';
import { checkReportEnvelope, type ReportV1 } from '../engine/report/schema';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { buildHtmlReport, readWebviewAssets, type HtmlReportRun } from '../host/htmlReport';
import { runsMarkdown } from '../host/reportMarkdown';
import { runDifferences } from '../host/runMatch';

export const REPORT_FLAG_SPEC = {
  html: { type: 'string' },
  markdown: { type: 'string' },
  compare: { type: 'string' },
  'max-image-bytes': { type: 'string' },
} as const;

export const REPORT_USAGE = `  --html FILE            one self-contained HTML file: every section the panel shows, its charts, the run's
                         images embedded (up to --max-image-bytes, default 8 MiB); opens offline in any browser
  --markdown FILE|-      the Markdown summary: verdict, attack and defence tables, definitions (default: stdout
                         when neither --html nor --markdown is given)
  --compare RUN          a second run (folder or report.json), shown beside the first as the panel compares runs
  --max-image-bytes N    image bytes embedded in the HTML file, all images together`;

/**
 * Where the panel's bundle is: beside the CLI in dist/ (the package), the repository's dist/ when run from
 * source, or ROBUSTNESS_LENS_WEBVIEW_DIST (tests that build the bundle themselves).
 */
export function webviewAssetDirs(): string[] {
  const env = process.env.ROBUSTNESS_LENS_WEBVIEW_DIST;
  return [...(env ? [env] : []), __dirname, resolve(__dirname, '..', '..', 'dist')];
}

/** A run folder (its report.json) or a report file; its folder is where the report's image paths point. */
export function loadReportArg(arg: string): HtmlReportRun {
  const path = resolve(arg);
  if (!existsSync(path)) throw new EngineError('FILE_NOT_FOUND', `${arg}: no such run folder or report file`);
  const file = statSync(path).isDirectory() ? join(path, 'report.json') : path;
  if (!existsSync(file)) throw new EngineError('FILE_NOT_FOUND', `${arg}: the folder holds no report.json`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new EngineError('FILE_INVALID', `${file}: not JSON (${(e as Error).message})`, { file });
  }
  const checked = checkReportEnvelope(json);
  if (!checked.ok) throw new EngineError('FILE_INVALID', `${file}: not a Robustness Lens report: ${checked.reason}`, { file });
  const dir = dirname(file);
  return { runId: basename(dir), report: checked.report, dir };
}

function imageBudget(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new EngineError('USAGE', `--max-image-bytes ${text}: expected a whole number of bytes (0 = no images)`);
  return n;
}

/** Writes the HTML file; the line the CLI prints about it. */
export function writeHtmlReport(
  file: string,
  run: HtmlReportRun,
  options: { compare?: HtmlReportRun | null; imageBudgetBytes?: number } = {},
): string {
  const compare = options.compare ?? null;
  const model = (r: ReportV1) => basename(r.model?.path ?? 'model');
  const title = compare ? `Robustness: ${model(run.report)} vs ${model(compare.report)}` : `Robustness: ${model(run.report)}`;
  const built = buildHtmlReport({
    title,
    run,
    compare,
    ...(compare ? { comparison: runDifferences(run.report, compare.report).map((d) => ({ severity: d.severity, text: d.text })) } : {}),
    assets: readWebviewAssets(webviewAssetDirs()),
    ...(options.imageBudgetBytes !== undefined ? { imageBudgetBytes: options.imageBudgetBytes } : {}),
  });
  const target = resolve(file);
  writeFileAtomic(target, built.html);
  const left = built.leftOut.length ? `, ${built.leftOut.length} left out (size cap)` : '';
  return `html       ${target} (${built.embedded} images embedded${left})`;
}

/** The `report` command. */
export function reportCommand(
  values: { html?: string; markdown?: string; compare?: string; 'max-image-bytes'?: string },
  positionals: string[],
): number {
  if (positionals.length !== 1)
    throw new EngineError(
      'USAGE',
      `report takes exactly one run folder or report.json, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  const run = loadReportArg(positionals[0]);
  const compare = values.compare !== undefined ? loadReportArg(values.compare) : null;
  const budget = imageBudget(values['max-image-bytes']);
  const lines: string[] = [];
  if (values.html !== undefined)
    lines.push(writeHtmlReport(values.html, run, { compare, ...(budget !== undefined ? { imageBudgetBytes: budget } : {}) }));
  const markdownTarget = values.markdown ?? (values.html === undefined ? '-' : undefined);
  if (markdownTarget !== undefined) {
    const markdown = runsMarkdown([run.report, ...(compare ? [compare.report] : [])]);
    if (markdownTarget === '-') process.stdout.write(markdown);
    else {
      writeFileAtomic(resolve(markdownTarget), markdown);
      lines.push(`markdown   ${resolve(markdownTarget)}`);
    }
  }
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
