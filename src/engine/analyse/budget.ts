/**
 * The budget planner: with the timing probe's per-pass costs and passCounts.ts's counts (the estimate the
 * `estimate` job and the ETA use, nothing else), it reduces an analyse run until its estimate fits a
 * wall-clock budget. Reductions come in a stated order, each exhausted before the next is touched:
 *   1. EOT samples per adaptive step against post-averaging (halved, down to EOT_FLOOR points),
 *   2. Occluded Frequency's passes per image: the band group size doubled (adjacent DCT bands ablated together)
 *      until an image costs OF_GROUPS_FLOOR passes, then its images (halved, down to OF_FLOOR),
 *   3. the sweep grids: the ε sweep's (4 points → 2: ε and 2ε), then post-averaging's radius × K grid
 *      (full → fast → the radius hint and the configured K alone),
 *   4. attack steps and query budgets (halved, four times at most, never below STEPS_FLOOR / QUERIES_FLOOR),
 *   5. the image count (the most that fits, down to IMAGE_FLOOR),
 *   6. the adaptive images (the most that fit, down to ADAPTIVE_IMAGES_FLOOR): pass 2 re-attacks every example of them
 *      through each defence, a run's costliest work per image once the rest is at its floors.
 * A step that would not lower the estimate (its stage does not run) is not taken. Pure: synthetic costs test it.
 */
import { attackDefaults, validateAttackSpec, type AttackSpec } from '../attacks/catalog';
import type { Preprocessing } from '../config/runConfig';
import { EngineError } from '../errors';
import { pointsPerImage } from '../defences/postAveraging';
import { bandCount, groupCount } from '../spectral/occludedFrequency';
import { analyseWork, type ImageShape } from './passCounts';
import { DEFAULT_EPSILON, planAnalyse, type AnalysePlan } from './plan';
import type { AnalyseOptions } from './options';
import { workSeconds, type DefendedPassFactors, type PassCosts, type StageWork } from './stageWork';

/** Gradient seconds one image's EOT step may cost by default: a costlier model averages over fewer points. */
export const EOT_STEP_SECONDS = 1;
/** The default never goes below x and one direction's six points. */
export const EOT_DEFAULT_FLOOR = 7;
export const EOT_FLOOR = 4;
export const OF_FLOOR = 4;
/** The band group size is raised no further than leaves this many groups (passes) per image. */
export const OF_GROUPS_FLOOR = 8;
export const STEPS_FLOOR = 5;
export const QUERIES_FLOOR = 100;
export const IMAGE_FLOOR = 8;
export const ADAPTIVE_IMAGES_FLOOR = 4;
/** Halvings of the attacks' steps the planner may take (down to ×1/16, never below the floors). */
const STEP_HALVINGS = 4;

export const REDUCTION_ORDER = [
  'eot-samples',
  'of-band-group',
  'of-images',
  'sweep-grid',
  'defence-grid',
  'attack-steps',
  'images',
  'adaptive-images',
] as const;
export type ReductionKind = (typeof REDUCTION_ORDER)[number];

export interface Reduction {
  kind: ReductionKind;
  /** What was reduced, from what to what, in words. */
  what: string;
  from: number;
  to: number;
}

/**
 * EOT points per step by default: all 6K+1 when a step over them costs at most EOT_STEP_SECONDS of gradient
 * per image, else as many as fit it (never fewer than EOT_DEFAULT_FLOOR). Without a gradient: all (no EOT runs).
 */
export function defaultEotSamples(K: number, gradientSeconds: number | null): number {
  const P = pointsPerImage(K);
  if (gradientSeconds === null || !(gradientSeconds > 0) || P * gradientSeconds <= EOT_STEP_SECONDS) return P;
  return Math.min(P, Math.max(EOT_DEFAULT_FLOOR, Math.floor(EOT_STEP_SECONDS / gradientSeconds)));
}

/** The user's EOT samples (at most 6K+1), or the default for this model's cost. */
export function resolveEotSamples(opts: Pick<AnalyseOptions, 'K' | 'eotSamples'>, gradientSeconds: number | null): number {
  return Math.min(pointsPerImage(opts.K), opts.eotSamples ?? defaultEotSamples(opts.K, gradientSeconds));
}

export interface BudgetProblem {
  /** The run's options, EOT samples resolved. */
  opts: AnalyseOptions;
  preprocessing: Preprocessing;
  /** Images the run would evaluate without a budget. */
  images: number;
  shape: ImageShape;
  /** Expected clean accuracy (the probe's). */
  accuracy: number;
  costs: PassCosts;
  /** The probe's defended-pass factors (absent: defended passes priced as plain ones). */
  factors?: DefendedPassFactors;
  /** Seconds the model work may take. */
  seconds: number;
}

export interface BudgetResult {
  opts: AnalyseOptions;
  images: number;
  reductions: Reduction[];
  work: StageWork[];
  /** Seconds of model work the chosen plan is estimated to take. */
  estimateSeconds: number;
  /** Whether the estimate fits (false: every reduction is at its floor and it still does not). */
  fits: boolean;
}

/** The work and its seconds for these options and image count: the same count the estimate job and the ETA use. */
export function estimateRun(opts: AnalyseOptions, problem: Omit<BudgetProblem, 'opts' | 'images' | 'seconds'>, images: number) {
  const plan = planAnalyse(opts, problem.preprocessing, images);
  const work = analyseWork(plan, problem.shape, opts.K, problem.accuracy, problem.factors);
  return { plan, work, seconds: workSeconds(work, problem.costs) };
}

/** The least the run can take: the clean pass over the fewest images the planner would keep. */
export function minimumSeconds(images: number, costs: PassCosts): number {
  return Math.min(images, IMAGE_FLOOR) * costs.forwardSeconds;
}

export function planBudget(problem: BudgetProblem): BudgetResult {
  const min = minimumSeconds(problem.images, problem.costs);
  if (problem.seconds < min)
    throw new EngineError(
      'USAGE',
      `the budget leaves ${problem.seconds.toFixed(1)} s for the model work: the clean pass alone needs ${min.toFixed(1)} s`,
    );
  let opts = problem.opts;
  let images = problem.images;
  const reductions: Reduction[] = [];
  let current = estimateRun(opts, problem, images);
  const fits = () => current.seconds <= problem.seconds;
  /** Takes a candidate if it lowers the estimate; records (or widens) its reduction. */
  const take = (kind: ReductionKind, what: string, from: number, to: number, next: AnalyseOptions, nextImages = images) => {
    const e = estimateRun(next, problem, nextImages);
    if (!(e.seconds < current.seconds)) return false;
    opts = next;
    images = nextImages;
    current = e;
    const prev = reductions.find((r) => r.kind === kind);
    if (prev) prev.to = to;
    else reductions.push({ kind, what, from, to });
    return true;
  };

  // 1. EOT samples.
  while (!fits() && current.plan.eotSamples > EOT_FLOOR) {
    const e = current.plan.eotSamples;
    if (
      !take('eot-samples', 'EOT samples per adaptive step', e, Math.max(EOT_FLOOR, Math.ceil(e / 2)), {
        ...opts,
        eotSamples: Math.max(EOT_FLOOR, Math.ceil(e / 2)),
      })
    )
      break;
  }
  // 2. Occluded Frequency: band groups per image (the group size doubled, at most to OF_GROUPS_FLOOR groups), then images.
  // Recorded as passes per image (groups), which fall; the run plan's OF line states the group size.
  const bands = bandCount(problem.shape.height, problem.shape.width);
  const maxGroup = Math.ceil(bands / Math.min(OF_GROUPS_FLOOR, bands));
  // A group size the user gave (--of-band-group) is kept.
  while (
    !fits() &&
    problem.opts.ofBandGroup === undefined &&
    current.plan.analyses.occludedFrequency &&
    current.plan.ofBandGroup < maxGroup
  ) {
    const g = current.plan.ofBandGroup;
    const to = Math.min(maxGroup, 2 * g);
    const from = groupCount(bands, g);
    if (
      groupCount(bands, to) >= from ||
      !take('of-band-group', 'Occluded Frequency passes per image (band groups)', from, groupCount(bands, to), { ...opts, ofBandGroup: to })
    )
      break;
  }
  while (!fits() && current.plan.analyses.occludedFrequency && current.plan.ofImages > OF_FLOOR) {
    const n = Math.min(current.plan.ofImages, images);
    const to = Math.max(OF_FLOOR, Math.ceil(n / 2));
    if (to >= n || !take('of-images', 'Occluded Frequency images', n, to, { ...opts, ofImages: to })) break;
  }
  // 3. The ε sweep's grid: ε and 2ε (the suite's ε and the sweep's largest stay).
  if (!fits() && current.plan.analyses.sweeps && current.plan.epsGrid.length > 2) {
    const eps = opts.epsilons?.[0] ?? DEFAULT_EPSILON;
    const top = Math.max(...current.plan.epsGrid);
    const grid = top > eps ? [eps, top] : [eps / 2, eps];
    take('sweep-grid', 'ε sweep points', current.plan.epsGrid.length, 2, { ...opts, epsilons: grid });
  }
  for (const size of ['fast', 'minimal'] as const) {
    const from = defenceGridPoints(current.plan);
    if (fits() || from === null || opts.defenceGrid === 'minimal' || (size === 'fast' && (opts.defenceGrid ?? opts.preset) === 'fast'))
      continue;
    const next = { ...opts, defenceGrid: size };
    take(
      'defence-grid',
      'post-averaging radius × K grid points',
      from,
      defenceGridPoints(planAnalyse(next, problem.preprocessing, images)) ?? from,
      next,
    );
  }
  // 4. Attack steps and query budgets.
  for (let h = 1; h <= STEP_HALVINGS && !fits(); h++) {
    const attacks = current.plan.attacks.map(halveSteps);
    if (!take('attack-steps', 'attack steps and query budgets (scale)', 1, 1 / 2 ** h, { ...opts, attacks })) break;
  }
  // 5. The image count: the most that fits (the estimate grows with the images).
  if (!fits() && images > IMAGE_FLOOR) {
    let lo = Math.min(IMAGE_FLOOR, images);
    let hi = images - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (estimateRun(opts, problem, mid).seconds <= problem.seconds) lo = mid;
      else hi = mid - 1;
    }
    take('images', 'images', images, lo, opts, lo);
  }
  // 6. The adaptive images: the most that fit.
  const adaptiveNow = Math.min(current.plan.adaptiveImages, images);
  if (!fits() && adaptiveNow > ADAPTIVE_IMAGES_FLOOR && current.plan.defences.length > 0) {
    let lo = ADAPTIVE_IMAGES_FLOOR;
    let hi = adaptiveNow - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (estimateRun({ ...opts, adaptiveImages: mid }, problem, images).seconds <= problem.seconds) lo = mid;
      else hi = mid - 1;
    }
    take('adaptive-images', 'adaptive images', adaptiveNow, lo, { ...opts, adaptiveImages: lo });
  }
  return { opts, images, reductions, work: current.work, estimateSeconds: current.seconds, fits: fits() };
}

/** Post-averaging's radius × K grid size in the plan (null: it does not run). */
function defenceGridPoints(plan: AnalysePlan): number | null {
  const d = plan.stages.find((s) => s.stage === 'defences');
  if (!d || d.skipped !== null || d.sizes['post-averaging/radii'] === undefined) return null;
  return d.sizes['post-averaging/radii'] * d.sizes['post-averaging/K'];
}

/** An attack with its steps and query budget halved (not below the floors); its other parameters kept. */
export function halveSteps(spec: AttackSpec): AttackSpec {
  const p: Record<string, unknown> = { ...attackDefaults(spec.name, spec.params.norm as 'linf' | 'l2' | undefined), ...spec.params };
  const params = { ...spec.params };
  for (const [key, floor] of [
    ['steps', STEPS_FLOOR],
    ['maxQueries', QUERIES_FLOOR],
  ] as const) {
    const v = p[key];
    if (typeof v === 'number' && v > floor) params[key] = Math.max(floor, Math.ceil(v / 2));
  }
  const next = { name: spec.name, params };
  return validateAttackSpec(next) === null ? next : spec;
}

export type { AnalysePlan };
