/**
 * What the notification at the end of an analysis says: clean accuracy, and robust accuracy under the
 * strongest bounded white-box attack at its fixed ε (never a minimal-ε, minimal-perturbation or query-limited
 * attack, which go lower without a budget). No `vscode` import: unit-tested directly.
 */
import { attackNorm, isAttackName } from '../engine/attacks/catalog';
import type { AttackRunSummary } from '../engine/attacks/protocol';
import type { ReportV1 } from '../engine/report/schema';

function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** A run's norm (null: a report from another version names an attack this one does not know). */
function normOf(r: AttackRunSummary): 'linf' | 'l2' | null {
  const name = r.params.attack;
  return typeof name === 'string' && isAttackName(name) ? attackNorm(name, r.params) : null;
}

/**
 * The fixed-ε white-box run with the lowest robust top-1 accuracy, among the L∞ runs (the suites' common
 * budget) where there are any, else the L2 ones; ties go to the first, as the suite orders them.
 */
export function strongestBoundedAttack(report: ReportV1): AttackRunSummary | null {
  const runs = (report.sections.attacks as { runs?: AttackRunSummary[] } | undefined)?.runs ?? [];
  const bounded = runs.filter((r) => r.mode === 'fixed-eps' && r.gradient !== 'none' && r.evaluated > 0);
  const linf = bounded.filter((r) => normOf(r) === 'linf');
  return (linf.length ? linf : bounded).reduce<AttackRunSummary | null>(
    (best, r) => (!best || r.attacked.top1Accuracy < best.attacked.top1Accuracy ? r : best),
    null,
  );
}

/** "Analysis of model.onnx finished: clean 86.6 %, robust 12.4 % under PGD-10 L∞ ε=8/255 (fixed ε), 500 images." */
export function analysisFinishedText(modelName: string, report: ReportV1): string {
  const clean = report.sections.clean;
  const parts: string[] = [];
  if (clean && clean.evaluated > 0) parts.push(`clean ${percent(clean.top1Correct / clean.evaluated)}`);
  const strongest = strongestBoundedAttack(report);
  // The label names the attack, its norm and its ε (e.g. "PGD-10 L∞ ε=8/255").
  if (strongest) parts.push(`robust ${percent(strongest.attacked.top1Accuracy)} under ${strongest.label} (fixed ε)`);
  const images = clean?.evaluated;
  const tail = images ? `, ${images} images` : '';
  const warnings = report.warnings.length
    ? ` ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}: see the report.`
    : '';
  return `Analysis of ${modelName} finished${parts.length ? `: ${parts.join(', ')}` : ''}${tail}.${warnings}`;
}
