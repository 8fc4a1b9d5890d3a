/** Terminal text of the robustness curves and of an attack's cost counters. */
import { formatEpsilon } from '../engine/attacks/format';
import { accuracyAt, type RobustnessCurve, type RobustnessCurvesSection } from '../engine/attacks/robustnessCurves';
import type { AttackCost } from '../engine/attacks/protocol';
import type { Norm } from '../engine/attacks/types';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const NORM_TEXT: Record<Norm, string> = { linf: 'L∞', l2: 'L2' };
/** ε short: "8/255" for an L∞ byte step, else the number; 0 as 0. */
const epsText = (eps: number, norm: Norm) => (eps === 0 ? '0' : formatEpsilon(eps, norm).split(' ')[0]);
/** Points of a derived curve shown when no ε list was given. */
const SHOWN = 8;

export function robustnessCurveLines(s: RobustnessCurvesSection): string[] {
  const crit = s.criterion === 'top1' ? 'top-1' : 'top-5';
  const lines = [
    `robustness curves — ${crit} robust accuracy over ${s.evaluated} images (clean errors count as not robust);`,
    '  derived = exact, from each image’s minimal ε (no extra attack); measured = the attack run at that ε',
  ];
  for (const { norm, curves } of s.norms) {
    lines.push(`  ${NORM_TEXT[norm]}`);
    const width = Math.max(...curves.map((c) => c.label.length + c.source.length + 3));
    for (const c of curves) {
      const name = `${c.label} (${c.source})`.padEnd(width);
      const pts = shownPoints(c, s.epsList);
      lines.push(`    ${name}  ${pts.map((p) => `${epsText(p.eps, norm)}→${p.accuracy === null ? '—' : pct(p.accuracy)}`).join('  ')}`);
      if (c.budget !== null) lines.push(`    ${''.padEnd(width)}  (searched up to ε = ${formatEpsilon(c.budget, norm)}; unknown beyond)`);
    }
  }
  return lines;
}

/**
 * A measured curve at each ε of the list; a derived one by a few of its own points, evenly spread (they include
 * the list's ε, and its breakpoints say where it falls even when the list is in another norm's scale).
 */
function shownPoints(c: RobustnessCurve, epsList: readonly number[]): { eps: number; accuracy: number | null }[] {
  if (c.source === 'measured') return epsList.map((eps) => ({ eps, accuracy: accuracyAt(c, eps) }));
  if (c.points.length <= SHOWN) return c.points;
  const last = c.points.length - 1;
  const picks = new Set(Array.from({ length: SHOWN }, (_, i) => Math.round((i * last) / (SHOWN - 1))));
  return [...picks].map((i) => c.points[i]);
}

/** "model calls  forward F, gradient G (+E evaluation forward); per image: …". */
export function costLine(c: AttackCost): string {
  const per = (x: number | null) => (x === null ? '—' : Number(x.toFixed(2)).toString());
  const q = c.perImage.queries;
  return (
    `  model calls         ${c.forward} forward + ${c.gradient} gradient passes (+${c.evaluationForward} evaluation forward) on ${c.images} images;` +
    ` per image mean ${per(c.perImage.forwardMean)} forward, ${per(c.perImage.gradientMean)} gradient;` +
    ` queries ${c.queries} (median ${per(q.median)}, mean ${per(q.mean)})`
  );
}
