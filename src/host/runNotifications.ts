/**
 * What the notification at the end of an analysis says: clean accuracy, and the verdict's robust accuracy
 * (the strongest bounded white-box attack at its fixed ε, never a minimal-ε, minimal-perturbation or
 * query-limited attack, which go lower without a budget): the panel, the CLI, the Runs view and the
 * notification read the same figure from protocol/verdict.ts. No `vscode` import: unit-tested directly.
 */
import type { ReportV1 } from '../engine/report/schema';
import { reportVerdict } from '../protocol/verdict';

function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** "Analysis of model.onnx finished: clean 86.6 %, robust 12.4 % under PGD-10 L∞ ε=8/255 (fixed ε), 500 images." */
export function analysisFinishedText(modelName: string, report: ReportV1): string {
  const clean = report.sections.clean;
  const parts: string[] = [];
  if (clean && clean.evaluated > 0) parts.push(`clean ${percent(clean.top1Correct / clean.evaluated)}`);
  const robust = reportVerdict(report).robust;
  // The label names the attack, its norm and its ε (e.g. "PGD-10 L∞ ε=8/255").
  if (robust) parts.push(`robust ${percent(robust.top1)} under ${robust.label} (fixed ε)`);
  const images = clean?.evaluated;
  const tail = images ? `, ${images} images` : '';
  const warnings = report.warnings.length
    ? ` ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}: see the report.`
    : '';
  return `Analysis of ${modelName} finished${parts.length ? `: ${parts.join(', ')}` : ''}${tail}.${warnings}`;
}
