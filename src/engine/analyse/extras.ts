/**
 * The sections analyse adds when they are cheap relative to the run: the Fourier heat map of the model and a
 * randomized-smoothing certification at the fast preset (n0 = 100, n = 1,000, σ = 0.25). The rule, decided
 * from the probe's forward-pass cost before anything runs:
 *  - together they may take at most EXTRA_SHARE (8 %) of the run's planned stages, weighed in forward passes
 *    (a gradient pass as GRADIENT_PASS_WEIGHT of them, so that the decision does not depend on the machine's
 *    timing noise and a seed gives the same report), and with a budget no more than the seconds it leaves;
 *  - the heat map first: its full grid, else every 2nd, else every 4th frequency (a reduction), else left out;
 *  - then certification: every image, else the first m images that fit (a reduction, at least
 *    MIN_CERTIFY_IMAGES), else left out;
 *  - a shard leaves both out (they are whole-sample sections; `merge` does not compute them), and so does
 *    `defend` (no frequency analyses).
 * Every decision is recorded in the run plan with its reason and the standalone command that runs it in full.
 * The computations are the standalone commands' own (fourierHeatmapCore.ts, certifyJob.ts' certifyImages).
 */
import { CERTIFY_PRESETS, DEFAULT_ALPHA } from '../../protocol/certification';
import type { RunPlanExtra } from '../report/sections';
import { DEFAULT_MAX_SIDE, distinctCells, frequencyGrid } from '../spectral/fourierHeatmap';
import { GRADIENT_PASS_WEIGHT } from './passCounts';
import { stageSeconds, type StageWork } from './stageWork';

/** Share of the run's estimated stage seconds the added sections may take together (the demo grows by well under 20 %). */
export const EXTRA_SHARE = 0.08;
/** Fewer images than this certify too little to report. */
export const MIN_CERTIFY_IMAGES = 10;
/** The certification analyse runs: the fast preset at one σ. */
export const ANALYSE_CERTIFY = { preset: 'fast' as const, ...CERTIFY_PRESETS.fast, sigmas: [0.25], alpha: DEFAULT_ALPHA };
/** Progress stage names (the budget's stop note names the stage it cut). */
export const EXTRA_STAGES = { fourier: 'Fourier heat map', certify: 'certification (randomized smoothing)' } as const;

export interface ExtrasInput {
  /** Estimated seconds of the run's planned stages (without these sections): analyse weighs a gradient pass as GRADIENT_PASS_WEIGHT forward passes. */
  runSeconds: number;
  forwardSeconds: number;
  images: number;
  height: number;
  width: number;
  /** Seconds a budget leaves after the planned stages (null: no budget). */
  budgetLeftSeconds: number | null;
  shard: boolean;
  /** False for `defend` (no frequency analyses). */
  frequencyAnalyses: boolean;
  modelPath: string;
}

/**
 * The run's size as the decision weighs it (ExtrasInput.runSeconds): its work counted at plain defended
 * passes (no probe factors) and priced in forward passes, a gradient pass as GRADIENT_PASS_WEIGHT of them.
 */
export function runSecondsInForwardPasses(plainWork: readonly StageWork[], forwardSeconds: number): number {
  const byPasses = { forwardSeconds, gradientSeconds: GRADIENT_PASS_WEIGHT * forwardSeconds };
  return plainWork.reduce((sum, w) => sum + stageSeconds(w, byPasses), 0);
}

/** Forward passes of the heat map of one model at a grid stride: (distinct cells + the clean pass) × images. */
export function fourierForward(h: number, w: number, images: number, stride: number): number {
  const grid = frequencyGrid(h, w, DEFAULT_MAX_SIDE, stride);
  return (distinctCells(grid, h, w).length + 1) * images;
}

/** Forward passes per image of the certification: n0 + n per σ, and the clean pass. */
export function certifyForwardPerImage(): number {
  return ANALYSE_CERTIFY.sigmas.length * (ANALYSE_CERTIFY.n0 + ANALYSE_CERTIFY.n) + 1;
}

const pct = (x: number) => `${Math.round(100 * x)} %`;

export function planExtras(x: ExtrasInput): RunPlanExtra[] {
  const fourierCommand = `robustness-lens fourier-heatmap ${x.modelPath}`;
  const certifyCommand = `robustness-lens certify ${x.modelPath} --preset fast --sigma 0.25`;
  const baseStride = frequencyGrid(x.height, x.width, DEFAULT_MAX_SIDE).stride;
  const fullFourier = fourierForward(x.height, x.width, x.images, baseStride);
  const certifyPer = certifyForwardPerImage();
  const leftOut = (section: RunPlanExtra['section'], reason: string, forward: number, command: string): RunPlanExtra => ({
    section,
    decision: 'left out',
    images: 0,
    forward,
    seconds: forward * x.forwardSeconds,
    stride: null,
    reduction: null,
    reason,
    command,
  });
  if (!x.frequencyAnalyses || x.shard || x.images === 0) {
    const why = !x.frequencyAnalyses
      ? 'defend runs the defences only'
      : x.shard
        ? 'a shard leaves whole-sample sections out (merge does not compute them): run the command on the whole sample'
        : 'no images';
    return [
      leftOut('fourier-heatmap', why, fullFourier, fourierCommand),
      leftOut('certification', why, certifyPer * x.images, certifyCommand),
    ];
  }
  const share = EXTRA_SHARE * x.runSeconds;
  let allowance = x.budgetLeftSeconds === null ? share : Math.max(0, Math.min(share, x.budgetLeftSeconds));
  const limit =
    x.budgetLeftSeconds !== null && x.budgetLeftSeconds < share ? 'what the budget leaves' : `${pct(EXTRA_SHARE)} of the run's estimate`;
  const out: RunPlanExtra[] = [];

  // The heat map: the full grid, else every 2nd, else every 4th frequency of it.
  let fourier: RunPlanExtra | null = null;
  for (const factor of [1, 2, 4]) {
    const stride = baseStride * factor;
    const forward = fourierForward(x.height, x.width, x.images, stride);
    const seconds = forward * x.forwardSeconds;
    if (seconds > allowance) continue;
    fourier = {
      section: 'fourier-heatmap',
      decision: factor === 1 ? 'included' : 'reduced',
      images: x.images,
      forward,
      seconds,
      stride,
      reduction: factor === 1 ? null : { what: 'Fourier heat map grid stride', from: baseStride, to: stride },
      reason:
        factor === 1
          ? `within ${limit}`
          : `the full grid exceeds ${limit}: every ${stride === 2 ? '2nd' : stride === 3 ? '3rd' : `${stride}th`} frequency`,
      command: fourierCommand,
    };
    allowance -= seconds;
    break;
  }
  out.push(fourier ?? leftOut('fourier-heatmap', `even every ${baseStride * 4}th frequency exceeds ${limit}`, fullFourier, fourierCommand));

  // Certification: every image, else as many as fit (the first m of the sample).
  const perImageSeconds = certifyPer * x.forwardSeconds;
  const fit = perImageSeconds > 0 ? Math.min(x.images, Math.floor(allowance / perImageSeconds)) : x.images;
  const after = fourier ? ' after the Fourier heat map' : '';
  if (fit >= Math.min(MIN_CERTIFY_IMAGES, x.images)) {
    out.push({
      section: 'certification',
      decision: fit === x.images ? 'included' : 'reduced',
      images: fit,
      forward: certifyPer * fit,
      seconds: certifyPer * fit * x.forwardSeconds,
      stride: null,
      reduction: fit === x.images ? null : { what: 'certified images', from: x.images, to: fit },
      reason: fit === x.images ? `within ${limit}${after}` : `every image exceeds ${limit}${after}: the first ${fit} images`,
      command: certifyCommand,
    });
  } else
    out.push(
      leftOut(
        'certification',
        `${MIN_CERTIFY_IMAGES} images exceed what is left of ${limit}${after}`,
        certifyPer * x.images,
        certifyCommand,
      ),
    );
  return out;
}

/** The included sections as stages of the run's work (their forward passes). */
export function extrasWork(extras: readonly RunPlanExtra[]): StageWork[] {
  return extras
    .filter((e) => e.decision !== 'left out' && e.images > 0)
    .map((e) => ({
      stage: e.section === 'fourier-heatmap' ? EXTRA_STAGES.fourier : EXTRA_STAGES.certify,
      images: e.images,
      perImage: { forward: e.forward / e.images, gradient: 0 },
    }));
}
