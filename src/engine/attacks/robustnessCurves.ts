/**
 * Robust accuracy against ε, per norm and attack (Foolbox's `epsilons`). Two sources, each marked:
 * - derived: minimal-ε and minimal-perturbation attacks give each image the smallest budget that broke it, so
 *   the whole curve follows exactly, at no extra model call: robust at ε ⇔ clean-correct and not broken
 *   within ε. A minimal-ε search only looked up to its budget, so its curve stops there.
 * - measured: a fixed-budget attack run once per ε of `--eps-list` (and at its own ε).
 * Accuracy is over the evaluated images (clean errors count as not robust), under the run's criterion.
 * Pure: the webview and the CLI read the section's types.
 */
import type { AttackRunSummary, ImageOutcome } from './protocol';
import type { AttackMode, Criterion, Norm } from './types';

export interface CurvePoint {
  eps: number;
  accuracy: number;
}

export interface RobustnessCurve {
  /** The attack without its ε (measured curves) or its run label (derived). */
  label: string;
  attack: string;
  mode: AttackMode;
  source: 'derived' | 'measured';
  /** Minimal-ε searches: the largest ε searched (the curve is unknown beyond it); null when unbounded. */
  budget: number | null;
  /** Sorted by ε; a derived curve has a point at 0, at every image's minimal ε and at each ε of the list. */
  points: CurvePoint[];
}

export interface RobustnessCurvesSection {
  kind: 'robustness-curves';
  criterion: Criterion;
  evaluated: number;
  /** The ε list asked for (`--eps-list`; analyse: its ε grid), in pixel units; empty when none. */
  epsList: number[];
  norms: { norm: Norm; curves: RobustnessCurve[] }[];
}

/** One image as the derived curve sees it: clean-correct under the criterion, and its minimal ε (NaN: never broken). */
export interface MinimalImage {
  correct: boolean;
  minimal: number;
}

/** The per-image minimal budget of a minimal-ε (the ε found) or minimal-perturbation (the norm of δ) run. */
export function minimalImages(outcomes: readonly ImageOutcome[], mode: AttackMode, norm: Norm, criterion: Criterion): MinimalImage[] {
  return outcomes.map((o) => {
    const broken = o.attacked && o.success;
    const value = mode === 'minimal-eps' ? o.epsilon : norm === 'l2' ? o.l2 : o.linf;
    return { correct: criterion === 'top1' ? o.cleanTop1 : o.cleanTop5, minimal: broken ? value : NaN };
  });
}

/** accuracy(ε) = #(correct and not broken within ε) / evaluated, at 0, every breakpoint and every ε of the list. */
export function derivedCurve(images: readonly MinimalImage[], epsList: readonly number[], budget: number | null): CurvePoint[] {
  const n = images.length;
  const broken = images
    .filter((x) => x.correct && Number.isFinite(x.minimal))
    .map((x) => x.minimal)
    .sort((a, b) => a - b);
  const correct = images.filter((x) => x.correct).length;
  const within = (eps: number) => budget === null || eps <= budget * (1 + 1e-9);
  const grid = [...new Set([0, ...broken, ...epsList].filter(within))].sort((a, b) => a - b);
  let k = 0;
  return grid.map((eps) => {
    while (k < broken.length && broken[k] <= eps) k++;
    return { eps, accuracy: n ? (correct - k) / n : 0 };
  });
}

export interface DerivedRun {
  label: string;
  attack: string;
  mode: AttackMode;
  norm: Norm;
  budget: number | null;
  outcomes: readonly ImageOutcome[];
}

export interface MeasuredRun {
  /** The curve it belongs to (the attack without its ε). */
  label: string;
  attack: string;
  norm: Norm;
  eps: number;
  summary: Pick<AttackRunSummary, 'attacked' | 'mode'>;
}

export function robustnessCurves(opts: {
  criterion: Criterion;
  evaluated: number;
  epsList: readonly number[];
  derived: readonly DerivedRun[];
  measured: readonly MeasuredRun[];
}): RobustnessCurvesSection {
  const byNorm = new Map<Norm, RobustnessCurve[]>();
  const add = (norm: Norm, c: RobustnessCurve) => byNorm.set(norm, [...(byNorm.get(norm) ?? []), c]);
  for (const d of opts.derived) {
    const images = minimalImages(d.outcomes, d.mode, d.norm, opts.criterion);
    add(d.norm, {
      label: d.label,
      attack: d.attack,
      mode: d.mode,
      source: 'derived',
      budget: d.budget,
      points: derivedCurve(images, opts.epsList, d.budget),
    });
  }
  const families = new Map<string, MeasuredRun[]>();
  for (const m of opts.measured) families.set(`${m.norm}|${m.label}`, [...(families.get(`${m.norm}|${m.label}`) ?? []), m]);
  for (const runs of families.values()) {
    const points = new Map<number, number>();
    for (const r of runs) points.set(r.eps, opts.criterion === 'top1' ? r.summary.attacked.top1Accuracy : r.summary.attacked.top5Accuracy);
    add(runs[0].norm, {
      label: runs[0].label,
      attack: runs[0].attack,
      mode: runs[0].summary.mode,
      source: 'measured',
      budget: null,
      points: [...points].map(([eps, accuracy]) => ({ eps, accuracy })).sort((a, b) => a.eps - b.eps),
    });
  }
  const order: Norm[] = ['linf', 'l2'];
  return {
    kind: 'robustness-curves',
    criterion: opts.criterion,
    evaluated: opts.evaluated,
    epsList: [...opts.epsList].sort((a, b) => a - b),
    norms: order.filter((n) => byNorm.has(n)).map((norm) => ({ norm, curves: byNorm.get(norm)! })),
  };
}

/** An attack's label without its ε (e.g. "PGD-10 L∞ ε=8/255" → "PGD-10 L∞"): the name of its measured curve. */
export function labelWithoutEpsilon(label: string): string {
  return label.replace(/\s*ε\s*=\s*[^\s,)]+(\s*\([^)]*\))?/u, '').trim();
}

/** Robust accuracy of a curve at ε: the last point at or below ε (a step function), null outside it. */
export function accuracyAt(curve: RobustnessCurve, eps: number): number | null {
  if (curve.budget !== null && eps > curve.budget * (1 + 1e-9)) return null;
  let best: CurvePoint | null = null;
  for (const p of curve.points) if (p.eps <= eps * (1 + 1e-9)) best = p;
  if (curve.source === 'measured') return best && Math.abs(best.eps - eps) <= 1e-9 * Math.max(1, eps) ? best.accuracy : null;
  return best ? best.accuracy : null;
}
