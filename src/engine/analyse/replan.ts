/**
 * The budget's second look, once pass 1 is over. The plan was made from the probe's per-pass costs; pass 1
 * then shows how the run's real work compares with them (image decoding, FFTs, attacks that spend their
 * whole budget). Pass 2 (the ε sweep and the adaptive attacks) and the added sections are re-estimated at
 * pass 1's pace, never faster than the probe's, and when they no longer fit what is left of the budget the
 * adaptive images are cut to the most that fit: every section then still runs, on fewer images, where the
 * deadline would otherwise stop the adaptive stage part-way and leave the later sections out. Pure.
 */
import type { RunPlanSection } from '../report/sections';
import { analyseWork, type ImageShape } from './passCounts';
import { planAnalyse } from './plan';
import type { AnalyseOptions } from './options';
import type { Preprocessing } from '../config/runConfig';
import { ANALYSE_STAGES, workSeconds, type DefendedPassFactors, type PassCosts } from './stageWork';

export interface ReplanInput {
  opts: AnalyseOptions;
  preprocessing: Preprocessing;
  /** The run's images, and how many of them the clean pass found correct. */
  images: number;
  correct: number;
  shape: ImageShape;
  costs: PassCosts;
  factors: DefendedPassFactors;
  /** Pass 1's estimate (clean evaluation and pass 1, at the probe's costs) and the seconds it took. */
  passOneEstimate: number;
  passOneSeconds: number;
  /** Estimated seconds of the added sections (the plan's extras), at the probe's costs. */
  extrasSeconds: number;
  /** Seconds left of the budget's planning share (after the report's reserve). */
  leftSeconds: number;
  /** Seconds since the run began (recorded). */
  atSeconds: number;
}

export type Replan = NonNullable<RunPlanSection['replanned']>;

/** Pass 1's pace: its seconds over its estimate, never below 1 (an estimate that was high is not trusted to be high again). */
export function passOnePace(estimate: number, seconds: number): number {
  return estimate > 0 && seconds > 0 ? Math.max(1, seconds / estimate) : 1;
}

/** Pass 2's estimated seconds with `adaptiveImages` of the correct images (its two progress stages). */
export function passTwoSeconds(x: ReplanInput, adaptiveImages: number): number {
  const plan = planAnalyse({ ...x.opts, adaptiveImages }, x.preprocessing, x.images);
  const work = analyseWork(plan, x.shape, x.opts.K, x.images > 0 ? x.correct / x.images : 0, x.factors);
  const pass2: string[] = [ANALYSE_STAGES.passTwoSweep, ANALYSE_STAGES.passTwoAdaptive];
  return workSeconds(
    work.filter((w) => pass2.includes(w.stage)),
    x.costs,
  );
}

/**
 * The adaptive images pass 2 keeps: all the plan's when pass 2 and the added sections fit at pass 1's pace,
 * else the most that fit (at least one; past that the deadline decides). Null when nothing changes.
 */
export function replanPassTwo(x: ReplanInput): Replan | null {
  const planned = Math.min(planAnalyse(x.opts, x.preprocessing, x.images).adaptiveImages, x.correct);
  if (!(planned > 1)) return null;
  const pace = passOnePace(x.passOneEstimate, x.passOneSeconds);
  const fits = (n: number) => pace * (passTwoSeconds(x, n) + x.extrasSeconds) <= x.leftSeconds;
  if (fits(planned)) return null;
  let lo = 1;
  let hi = planned - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const estimate = pace * (passTwoSeconds(x, lo) + x.extrasSeconds);
  return {
    atSeconds: x.atSeconds,
    pace,
    adaptiveImages: { from: planned, to: lo },
    estimateSeconds: x.atSeconds + estimate,
    note:
      `pass 1 took ${x.passOneSeconds.toFixed(0)} s against its estimate of ${x.passOneEstimate.toFixed(0)} s (${pace.toFixed(2)}×): ` +
      `at that pace the adaptive attacks, the ε sweep and the added sections fit the budget on ${lo} of ${planned} adaptive images` +
      (fits(lo) ? '' : ' only if they run faster than pass 1 (the budget may stop them)'),
  };
}
