/**
 * The post-averaging papers' protocol, per attack run. Clean set = the evaluated images; Attacked set =
 * each correctly classified image replaced by its adversarial example where the attack succeeded, all
 * others unchanged. Accumulated batch by batch so partial runs still report what finished.
 */
import type { AttackMode, Criterion } from './types';

export interface Stats {
  count: number;
  mean: number | null;
  median: number | null;
  max: number | null;
}

export function stats(values: ArrayLike<number>): Stats {
  const v = Array.from(values)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return { count: 0, mean: null, median: null, max: null };
  const mid = v.length >> 1;
  return {
    count: v.length,
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2,
    max: v[v.length - 1],
  };
}

/** One image's fate under one attack. */
export interface ImageOutcome {
  cleanTop1: boolean;
  cleanTop5: boolean;
  /** Attacked (it was correctly classified under the criterion and, if targeted, not already the target). */
  attacked: boolean;
  success: boolean;
  attackedTop1: boolean;
  attackedTop5: boolean;
  l2: number;
  linf: number;
  queries: number;
  epsilon: number;
}

export interface AttackRunSummary {
  label: string;
  mode: AttackMode;
  params: Record<string, unknown>;
  criterion: Criterion;
  targeted: string | null;
  gradient: 'analytic' | 'estimated' | 'none';
  seed: number;
  evaluated: number;
  clean: { top1Correct: number; top1Accuracy: number; top5Correct: number; top5Accuracy: number };
  attacked: { top1Correct: number; top1Accuracy: number; top5Correct: number; top5Accuracy: number };
  /** Images attacked: correctly classified under the criterion. */
  attackedImages: number;
  /** #Adv: attacked images the attack broke. */
  numAdversarial: number;
  successRate: number;
  norms: {
    successful: { l2: Stats; linf: Stats };
    all: { l2: Stats; linf: Stats };
  };
  queries: Stats;
  /** Minimal-ε mode: distribution of the per-image ε found. */
  epsilon: Stats | null;
  /** Minimal-perturbation attacks: fraction of evaluated images still correct when the budget is b. */
  budgetCurve: { norm: 'l2' | 'linf'; points: { budget: number; accuracy: number }[] } | null;
  seconds: number;
  imagesPerSecond: number;
  /** What the attack cost in model calls, beside its time (absent in reports written before it was counted). */
  cost?: AttackCost;
}

/**
 * Model calls of one attack run, counted per image-pass by the attack's context (costCounter.ts): `forward`
 * and `gradient` are the attack's own calls; `evaluationForward` the suite's one forward per attacked image
 * that judges the final example; `queries` the attack's own per-image account (forward or forward+backward
 * passes, what a black-box attacker pays).
 */
export interface AttackCost {
  forward: number;
  gradient: number;
  evaluationForward: number;
  /** Images the attack ran on (a cascade's later attacks run on fewer than the attacked set). */
  images: number;
  queries: number;
  perImage: {
    /** Mean over the images it ran on: the counters see batches, not images, so no median is known. */
    forwardMean: number | null;
    gradientMean: number | null;
    /** Per-image queries over the images it ran on. */
    queries: Stats;
  };
}

export function attackCost(
  passes: { forward: number; gradient: number; evaluationForward: number },
  perImageQueries: number[],
): AttackCost {
  const images = perImageQueries.length;
  return {
    ...passes,
    images,
    queries: perImageQueries.reduce((a, b) => a + b, 0),
    perImage: {
      forwardMean: images ? passes.forward / images : null,
      gradientMean: images ? passes.gradient / images : null,
      queries: stats(perImageQueries),
    },
  };
}

export function summarise(
  outcomes: ImageOutcome[],
  meta: Omit<
    AttackRunSummary,
    | 'evaluated'
    | 'clean'
    | 'attacked'
    | 'attackedImages'
    | 'numAdversarial'
    | 'successRate'
    | 'norms'
    | 'queries'
    | 'epsilon'
    | 'budgetCurve'
    | 'imagesPerSecond'
  > & { budgetNorm: 'l2' | 'linf' | null },
): AttackRunSummary {
  const n = outcomes.length;
  const count = (f: (o: ImageOutcome) => boolean) => outcomes.filter(f).length;
  const attacked = outcomes.filter((o) => o.attacked);
  const successful = attacked.filter((o) => o.success);
  const { budgetNorm, ...rest } = meta;
  const cleanCorrect = count((o) => o.cleanTop1);
  return {
    ...rest,
    evaluated: n,
    clean: {
      top1Correct: cleanCorrect,
      top1Accuracy: n ? cleanCorrect / n : 0,
      top5Correct: count((o) => o.cleanTop5),
      top5Accuracy: n ? count((o) => o.cleanTop5) / n : 0,
    },
    attacked: {
      top1Correct: count((o) => o.attackedTop1),
      top1Accuracy: n ? count((o) => o.attackedTop1) / n : 0,
      top5Correct: count((o) => o.attackedTop5),
      top5Accuracy: n ? count((o) => o.attackedTop5) / n : 0,
    },
    attackedImages: attacked.length,
    numAdversarial: successful.length,
    successRate: attacked.length ? successful.length / attacked.length : 0,
    norms: {
      successful: { l2: stats(successful.map((o) => o.l2)), linf: stats(successful.map((o) => o.linf)) },
      all: { l2: stats(attacked.map((o) => o.l2)), linf: stats(attacked.map((o) => o.linf)) },
    },
    queries: stats(attacked.map((o) => o.queries)),
    epsilon: meta.mode === 'minimal-eps' ? stats(successful.map((o) => o.epsilon)) : null,
    budgetCurve: budgetNorm ? budgetCurve(outcomes, budgetNorm) : null,
    imagesPerSecond: meta.seconds > 0 ? attacked.length / meta.seconds : 0,
  };
}

/** accuracy(b) = (clean-correct images not broken within budget b) / evaluated, on a 25-point grid. */
function budgetCurve(
  outcomes: ImageOutcome[],
  norm: 'l2' | 'linf',
): { norm: 'l2' | 'linf'; points: { budget: number; accuracy: number }[] } {
  const n = outcomes.length;
  const broken = outcomes
    .filter((o) => o.attacked && o.success)
    .map((o) => (norm === 'l2' ? o.l2 : o.linf))
    .sort((a, b) => a - b);
  const cleanCorrect = outcomes.filter((o) => o.cleanTop1).length;
  const top = broken.length ? broken[broken.length - 1] : 0;
  const points = Array.from({ length: 25 }, (_, k) => {
    const budget = (top * k) / 24;
    const within = broken.filter((v) => v <= budget + 1e-12).length;
    return { budget, accuracy: n ? (cleanCorrect - within) / n : 0 };
  });
  return { norm, points };
}
