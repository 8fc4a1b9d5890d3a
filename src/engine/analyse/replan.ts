/**
 * The budget's second look, once pass 1 is over. The plan was made from the probe's per-pass costs and the
 * bound on pass 2's work (every example re-attacked through every defence); pass 1 then shows how the run's
 * real work compares with the probe (image decoding, FFTs, attacks that spend their whole budget) and, through
 * its verdicts, exactly which examples pass 2 will re-attack. Pass 2 (the ε sweep and the adaptive attacks) and
 * the added sections are re-estimated with that count at pass 1's pace, never faster than the probe's:
 *   - when they no longer fit what is left of the budget, the adaptive images are cut to the most that fit:
 *     every section then still runs, on fewer images, where the deadline would otherwise stop the adaptive
 *     stage part-way and leave the later sections out;
 *   - when they fit with room to spare, what the budget's plan took from pass 2 is given back, in the reverse of
 *     the order it was taken (budget.ts): first the adaptive images, then the EOT samples per step, each up to
 *     the most that fit and no further than the run would have had without a budget.
 * Pure.
 */
import type { RunPlanSection } from '../report/sections';
import { addPasses, analyseWork, suitePasses, type ImageShape } from './passCounts';
import { planAnalyse } from './plan';
import type { AnalyseOptions } from './options';
import type { Preprocessing } from '../config/runConfig';
import { ANALYSE_STAGES, stageSeconds, workSeconds, type DefendedPassFactors, type PassCosts } from './stageWork';

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
  /**
   * Per defence (by name), the share of the adaptive images' attack examples pass 2 re-attacks when it takes
   * `adaptiveImages` images: pass 1's exact count (passTwo.ts' reattackedShares). Absent: the plan's bound.
   */
  reattacked?: (adaptiveImages: number) => Readonly<Record<string, number>>;
  /** The adaptive images and EOT samples the run would have had without the budget's reductions (absent: no growth). */
  unreduced?: { adaptiveImages: number; eotSamples: number };
  /**
   * Pass 1's measured seconds per image for its scores and attack suite. Pass 2 replays them on its replayed
   * images (to re-create pass 1's examples), so they are priced at this, not counted (absent: counted at the pace).
   */
  replaySecondsPerImage?: number;
}

export type Replan = NonNullable<RunPlanSection['replanned']>;

/** Pass 1's pace: its seconds over its estimate, never below 1 (an estimate that was high is not trusted to be high again). */
export function passOnePace(estimate: number, seconds: number): number {
  return estimate > 0 && seconds > 0 ? Math.max(1, seconds / estimate) : 1;
}

function passTwoWork(x: ReplanInput, adaptiveImages: number, eotSamples: number | undefined) {
  const plan = planAnalyse({ ...x.opts, adaptiveImages, eotSamples }, x.preprocessing, x.images);
  const accuracy = x.images > 0 ? x.correct / x.images : 0;
  // Once pass 1's verdicts are known, a planned defence without a share was not chosen: pass 2 re-attacks nothing through it.
  const known = x.reattacked?.(Math.min(adaptiveImages, x.correct));
  const shares = known ? Object.fromEntries(plan.defences.map((d) => [d.name, known[d.name] ?? 0])) : {};
  const work = analyseWork(plan, x.shape, x.opts.K, accuracy, x.factors, shares);
  const pass2: string[] = [ANALYSE_STAGES.passTwoSweep, ANALYSE_STAGES.passTwoAdaptive];
  return { plan, accuracy, work: work.filter((w) => pass2.includes(w.stage)) };
}

/** Pass 2's estimated seconds with `adaptiveImages` of the correct images and `eotSamples` per EOT step (its two progress stages), at the probe's costs. */
export function passTwoSeconds(x: ReplanInput, adaptiveImages: number, eotSamples = x.opts.eotSamples): number {
  return workSeconds(passTwoWork(x, adaptiveImages, eotSamples).work, x.costs);
}

/**
 * Pass 2's seconds as the re-plan expects them: its work at pass 1's pace, except the replay of pass 1's scores
 * and attacks on the replayed images, which takes what it took in pass 1 (`replaySecondsPerImage`).
 */
export function pacedPassTwoSeconds(x: ReplanInput, pace: number, adaptiveImages: number, eotSamples = x.opts.eotSamples): number {
  const { plan, accuracy, work } = passTwoWork(x, adaptiveImages, eotSamples);
  const counted = workSeconds(work, x.costs);
  const replayed = work.find((w) => w.stage === ANALYSE_STAGES.passTwoAdaptive)?.images ?? 0;
  if (x.replaySecondsPerImage === undefined || replayed === 0) return pace * counted;
  const suite = addPasses({ forward: 1, gradient: 0 }, suitePasses(plan, x.shape.numClasses), accuracy);
  const replayCounted = stageSeconds({ stage: ANALYSE_STAGES.passTwoAdaptive, images: replayed, perImage: suite }, x.costs);
  return pace * Math.max(0, counted - replayCounted) + replayed * x.replaySecondsPerImage;
}

/** The largest v in [lo, hi] for which `fits` holds, `fits` holding up to some point and not after it (lo when none). */
function mostThatFit(lo: number, hi: number, fits: (v: number) => boolean): number {
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const percent = (share: number) => `${Math.round(100 * share)} %`;

/**
 * Pass 2's adaptive images and EOT samples once pass 1 is over: cut when pass 2 and the added sections no
 * longer fit at pass 1's pace (the adaptive images, to the most that fit, at least one; past that the deadline
 * decides), given back when they fit with room (adaptive images, then EOT samples, up to `unreduced`). Null
 * when nothing changes.
 */
export function replanPassTwo(x: ReplanInput): Replan | null {
  const plan = planAnalyse(x.opts, x.preprocessing, x.images);
  const planned = Math.min(plan.adaptiveImages, x.correct);
  const eot = plan.eotSamples;
  if (!(planned > 0)) return null;
  const pace = passOnePace(x.passOneEstimate, x.passOneSeconds);
  const seconds = (n: number, e: number) => pacedPassTwoSeconds(x, pace, n, e) + pace * x.extrasSeconds;
  const fits = (n: number, e: number) => seconds(n, e) <= x.leftSeconds;
  const paceText = `pass 1 took ${x.passOneSeconds.toFixed(0)} s against its estimate of ${x.passOneEstimate.toFixed(0)} s (${pace.toFixed(2)}×)`;
  const shares = x.reattacked?.(planned);
  const verdicts = shares
    ? `; its verdicts leave ${Object.entries(shares)
        .map(([d, s]) => `${percent(s)} of the examples to re-attack through ${d}`)
        .join(' and ')} (the plan counted all)`
    : '';
  const record = (n: number, e: number, note: string): Replan => ({
    atSeconds: x.atSeconds,
    pace,
    adaptiveImages: { from: planned, to: n },
    ...(e !== eot ? { eotSamples: { from: eot, to: e } } : {}),
    estimateSeconds: x.atSeconds + seconds(n, e),
    note,
  });
  if (!fits(planned, eot)) {
    if (planned === 1) return null;
    const n = mostThatFit(1, planned - 1, (m) => fits(m, eot));
    return record(
      n,
      eot,
      `${paceText}${verdicts}: at that pace the adaptive attacks, the ε sweep and the added sections fit the budget on ${n} of ${planned} adaptive images` +
        (fits(n, eot) ? '' : ' only if they run faster than pass 1 (the budget may stop them)'),
    );
  }
  const maxImages = Math.max(planned, Math.min(x.unreduced?.adaptiveImages ?? planned, x.correct));
  const maxEot = Math.max(eot, x.unreduced?.eotSamples ?? eot);
  const n = mostThatFit(planned, maxImages, (m) => fits(m, eot));
  const e = n === maxImages ? mostThatFit(eot, maxEot, (v) => fits(n, v)) : eot;
  if (n === planned && e === eot) return null;
  const given = [
    ...(n !== planned ? [`adaptive images ${planned} → ${n} (of ${maxImages} without the budget)`] : []),
    ...(e !== eot ? [`EOT samples per step ${eot} → ${e} (of ${maxEot})`] : []),
  ];
  return record(
    n,
    e,
    `${paceText}${verdicts}: pass 2 and the added sections fit with room, so the budget gives back ${given.join(' and ')}`,
  );
}
