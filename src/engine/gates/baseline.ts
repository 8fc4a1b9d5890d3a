/** The baseline report of a `check --baseline`: read, envelope-checked, and refused when it is of another model. */
import { resolve } from 'node:path';
import { EngineError } from '../errors';
import { checkReportEnvelope, type ReportV1 } from '../report/schema';
import { readTextFile } from '../util/readText';

export function readBaselineReport(path: string): ReportV1 {
  const abs = resolve(path);
  const text = readTextFile(abs, 'baseline report');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new EngineError('CONFIG_INVALID', `--baseline ${abs}: not valid JSON (${(e as Error).message})`, { file: abs });
  }
  const envelope = checkReportEnvelope(parsed);
  if (!envelope.ok) throw new EngineError('CONFIG_INVALID', `--baseline ${abs}: ${envelope.reason}`, { file: abs });
  return envelope.report;
}

/**
 * A baseline measured on another model (another sha256) compares two models, not two runs of one: refused
 * unless asked for. Returns the note to show when it was allowed, else null.
 */
export function checkBaselineModel(
  baseline: ReportV1,
  baselinePath: string,
  model: { path: string; sha256: string },
  allowModelChange: boolean,
): string | null {
  if (baseline.model.sha256 === model.sha256) return null;
  const what = `the baseline ${resolve(baselinePath)} is of another model (${baseline.model.path}, sha256 ${baseline.model.sha256.slice(0, 12)}…; this model ${model.path} is ${model.sha256.slice(0, 12)}…)`;
  if (!allowModelChange) {
    throw new EngineError('USAGE', `${what}; pass --allow-model-change to compare against it anyway (e.g. a retrained export)`);
  }
  return `${what}: compared as allowed by --allow-model-change`;
}
