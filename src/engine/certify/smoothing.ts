/**
 * Randomized smoothing (Cohen, Rosenfeld & Kolter 2019, "Certified adversarial robustness via randomized
 * smoothing"): the smoothed classifier g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ²I), its PREDICT (a
 * prediction with a two-sided binomial test, or abstain) and CERTIFY (a class and an L2 radius within which
 * g provably does not change, or abstain). As in the authors' code, the noise is added in the space the
 * user's pipeline feeds the network before its normalisation — here pixels in [0, 1], before the model's
 * scale and mean/std — and the noisy images are not clipped; radii are therefore L2 lengths in pixel units.
 */
import { EngineError } from '../errors';
import type { ScoreModel } from '../runtime/scoreModel';
import type { Rng } from '../util/random';
import { binomialTestTwoSided, clopperPearsonLower, normalQuantile } from './stats';

export interface SamplingOptions {
  sigma: number;
  /** Noisy copies per model call. */
  batch: number;
  rng: Rng;
  signal?: AbortSignal;
  /** Called after every model call with the copies it classified. */
  onSamples?: (count: number) => void;
}

/** How often the base classifier's top-1 class is each class over `num` copies x + σ·ε (index = class). */
export async function sampleCounts(model: ScoreModel, x: Float32Array, num: number, opts: SamplingOptions): Promise<number[]> {
  const per = x.length;
  if (per !== model.pixelsPerSample) throw new Error(`smoothing: image has ${per} pixels, the model takes ${model.pixelsPerSample}`);
  const counts: number[] = new Array<number>(model.numClasses ?? 0).fill(0);
  const batch = Math.max(1, Math.min(opts.batch, num));
  const noisy = new Float32Array(batch * per);
  const { sigma, rng } = opts;
  for (let done = 0; done < num;) {
    if (opts.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
    const n = Math.min(batch, num - done);
    rng.fillNormal(noisy, 0, n * per);
    for (let i = 0, o = 0; i < n; i++) for (let j = 0; j < per; j++, o++) noisy[o] = x[j] + sigma * noisy[o];
    const scores = await model.scores(n === batch ? noisy : noisy.subarray(0, n * per), n);
    const classes = scores.length / n;
    while (counts.length < classes) counts.push(0);
    for (let i = 0; i < n; i++) counts[argmax(scores, i * classes, classes)]++;
    done += n;
    opts.onSamples?.(n);
  }
  return counts;
}

/** The first index of the largest score in row [start, start + length) (ties to the lower class, as topK). */
function argmax(scores: Float32Array, start: number, length: number): number {
  let best = 0,
    value = scores[start];
  for (let c = 1; c < length; c++) {
    if (scores[start + c] > value) {
      value = scores[start + c];
      best = c;
    }
  }
  return best;
}

/** The class with the most votes (ties to the lower index), and the runner-up. */
function topTwo(counts: number[]): [number, number] {
  let first = 0;
  for (let c = 1; c < counts.length; c++) if (counts[c] > counts[first]) first = c;
  let second = first === 0 ? 1 : 0;
  for (let c = 0; c < counts.length; c++) if (c !== first && counts[c] > counts[second]) second = c;
  return [first, second];
}

export interface PredictResult {
  /** The smoothed prediction, or null when the test could not tell the top two classes apart (abstain). */
  prediction: number | null;
  /** The most frequent class and its count; the runner-up's count. */
  top: number;
  topCount: number;
  runnerUpCount: number;
  pValue: number;
}

/**
 * PREDICT: n noisy copies; the top two classes' counts nA, nB; abstain unless the two-sided binomial test of
 * nA against nA + nB at p = ½ rejects at level alpha. Wrong (non-abstaining) with probability at most alpha.
 */
export async function predictSmoothed(
  model: ScoreModel,
  x: Float32Array,
  p: { n: number; alpha: number } & SamplingOptions,
): Promise<PredictResult> {
  const counts = await sampleCounts(model, x, p.n, p);
  const [top, runnerUp] = topTwo(counts);
  const topCount = counts[top],
    runnerUpCount = counts[runnerUp] ?? 0;
  const pValue = binomialTestTwoSided(topCount, topCount + runnerUpCount);
  return { prediction: pValue > p.alpha ? null : top, top, topCount, runnerUpCount, pValue };
}

export interface CertifyResult {
  /** The certified class cA, or null (abstain: pA_lower < ½). */
  prediction: number | null;
  /** cA as chosen by the n0 selection samples (reported even when abstaining). */
  selected: number;
  /** Votes for cA among the n estimation samples. */
  nA: number;
  /** One-sided (1 − alpha) Clopper–Pearson lower bound on P(f(x + ε) = cA). */
  pALower: number;
  /** σ·Φ⁻¹(pA_lower), an L2 radius in the noise's units; null when abstaining. */
  radius: number | null;
}

/**
 * CERTIFY: n0 copies select cA; n fresh copies count nA; pA_lower = the Clopper–Pearson bound. With
 * probability at least 1 − alpha over the sampling, g(x + δ) = cA for every ‖δ‖₂ < σ·Φ⁻¹(pA_lower).
 */
export async function certifySmoothed(
  model: ScoreModel,
  x: Float32Array,
  p: { n0: number; n: number; alpha: number } & SamplingOptions,
): Promise<CertifyResult> {
  const selection = await sampleCounts(model, x, p.n0, p);
  const [selected] = topTwo(selection);
  const estimation = await sampleCounts(model, x, p.n, p);
  const nA = estimation[selected] ?? 0;
  const pALower = clopperPearsonLower(nA, p.n, p.alpha);
  if (pALower < 0.5) return { prediction: null, selected, nA, pALower, radius: null };
  return { prediction: selected, selected, nA, pALower, radius: p.sigma * normalQuantile(pALower) };
}
