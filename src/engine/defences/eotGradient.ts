/**
 * Expectation over Transformation (Athalye et al., 2018) against post-averaging: every call draws fresh
 * directions from the defence's own sampler and returns the mean of the loss gradients at the defence's
 * 6K+1 points — the gradient of the expected loss over the defence's randomness. The returned scores are the
 * defended model's (log of the mean probabilities), so early stopping and success checks see the defence.
 *
 * With `samples` S below 6K+1 (a budget, or a costly model), each step averages over x and S − 1 of the
 * defence's perturbed points, drawn at random from ⌈(S−1)/6⌉ fresh directions, weighted 1/P and (1 − 1/P)/(S − 1):
 * the same expectation (every perturbed point is equally likely to be any direction and λ), at S/P of the cost.
 */
import type { GradientSource } from '../grad/estimatedGradient';
import type { GradientInputs, GradientResult } from '../grad/gradientModel';
import type { OutputKind } from '../eval/scores';
import { rowProbabilities } from '../eval/scores';
import type { Rng } from '../util/random';
import { RADIUS_FRACTIONS, averagingPoints, imagesPerCall, pointsPerImage, type DirectionSampler } from './postAveraging';

export interface EotOptions {
  K: number;
  radius: number;
  sampler: DirectionSampler;
  rng: Rng;
  /** Output kind of the undefended model (its logits or probabilities feed the averaging). */
  baseKind: OutputKind;
  /** Points per image each step averages over (default and at most 6K+1: all of them); at least 2. */
  samples?: number;
}

/** Points per image an EOT step of `samples` averages over (all 6K+1 when none is given or more are asked). */
export function eotPoints(K: number, samples?: number): number {
  const P = pointsPerImage(K);
  return samples === undefined ? P : Math.max(2, Math.min(P, Math.floor(samples)));
}

export class EotGradient implements GradientSource {
  readonly kind = 'analytic' as const;

  constructor(
    private readonly base: GradientSource,
    private readonly o: EotOptions,
  ) {}

  get head() {
    return this.base.head;
  }

  async compute(pixels: Float32Array, count: number, extra: GradientInputs = {}): Promise<GradientResult> {
    const per = pixels.length / Math.max(1, count);
    const P = pointsPerImage(this.o.K);
    const S = eotPoints(this.o.K, this.o.samples);
    const all = S === P;
    // Directions drawn per image, and each kept row's weight in the defence's average.
    const Kd = all ? this.o.K : Math.ceil((S - 1) / RADIUS_FRACTIONS.length);
    return averageOverPoints(this.base, this.o.baseKind, pixels, count, extra, {
      points: S,
      weight: (q) => (all ? 1 / P : q === 0 ? 1 / P : (1 - 1 / P) / (S - 1)),
      draw: async (x, n) => {
        const dirs = await this.o.sampler.sample(x, n, Kd, this.o.rng);
        const drawn = averagingPoints(x, n, per, dirs, Kd, this.o.radius);
        return all ? drawn : this.subset(drawn, n, per, pointsPerImage(Kd), S);
      },
    });
  }

  /** Per image: x (row 0) and S − 1 of its drawn perturbed rows, picked without replacement. */
  private subset(drawn: Float32Array, n: number, per: number, drawnRows: number, S: number): Float32Array {
    const out = new Float32Array(n * S * per);
    for (let i = 0; i < n; i++) {
      const rows = Array.from({ length: drawnRows - 1 }, (_, j) => j + 1);
      for (let j = 0; j < S - 1; j++) {
        const pick = j + this.o.rng.int(rows.length - j);
        [rows[j], rows[pick]] = [rows[pick], rows[j]];
      }
      const keep = [0, ...rows.slice(0, S - 1)];
      keep.forEach((q, slot) => out.set(drawn.subarray((i * drawnRows + q) * per, (i * drawnRows + q + 1) * per), (i * S + slot) * per));
    }
    return out;
  }

  async dispose(): Promise<void> {
    // The base gradient source belongs to the caller.
  }
}

export interface PointAverage {
  /** Points per image S the base model sees each call. */
  points: number;
  /** Weight of the q-th point of an image in the average (the weights of one image sum to 1). */
  weight: (q: number) => number;
  /** The n·S points (image-major) of the n images x, each image's S points in a row. */
  draw: (x: Float32Array, n: number) => Promise<Float32Array>;
}

/**
 * EOT over random points around each image: the base source's loss and gradient at the S points drawn per
 * image, weighted and summed — the gradient of the expected loss — and as scores the log of the weighted mean
 * probabilities (the randomized model's own output), so success checks see the randomized model. The labels,
 * targets and cotangent of each image go with each of its points. Shared by post-averaging's EOT and the
 * Gaussian EOT against a randomized-smoothing classifier (certify/gaussianEot.ts).
 */
export async function averageOverPoints(
  base: GradientSource,
  baseKind: OutputKind,
  pixels: Float32Array,
  count: number,
  extra: GradientInputs,
  how: PointAverage,
): Promise<GradientResult> {
  const per = pixels.length / Math.max(1, count);
  const S = how.points;
  const chunk = imagesPerCall(per, S);
  const grad = new Float32Array(count * per);
  const loss = new Float32Array(count);
  let logits = new Float32Array(0);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const pts = await how.draw(pixels.subarray(start * per, (start + n) * per), n);
    const repeat = <T extends ArrayLike<number>>(v: T | undefined, width: number): Float32Array | undefined => {
      if (!v) return undefined;
      const out = new Float32Array(n * S * width);
      for (let i = 0; i < n; i++)
        for (let q = 0; q < S; q++) for (let c = 0; c < width; c++) out[(i * S + q) * width + c] = v[(start + i) * width + c];
      return out;
    };
    const perPoint = (v: ArrayLike<number> | undefined) =>
      v ? Array.from({ length: n * S }, (_, r) => v[start + Math.floor(r / S)]) : undefined;
    const labels = perPoint(extra.labels);
    const targets = perPoint(extra.targets);
    const classes = base.head.kind === 'vjp' && extra.cotangent ? extra.cotangent.length / count : 0;
    const cotangent = classes ? repeat(extra.cotangent, classes) : undefined;
    const r = await base.compute(pts, n * S, {
      ...(labels ? { labels } : {}),
      ...(targets ? { targets } : {}),
      ...(extra.kappa !== undefined ? { kappa: extra.kappa } : {}),
      ...(cotangent ? { cotangent } : {}),
    });
    const k = r.logits.length / (n * S);
    if (logits.length === 0) logits = new Float32Array(count * k);
    const prob = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const g = grad.subarray((start + i) * per, (start + i + 1) * per);
      const mean = new Float64Array(k);
      let l = 0;
      for (let q = 0; q < S; q++) {
        const row = i * S + q;
        const w = how.weight(q);
        const gq = r.grad.subarray(row * per, (row + 1) * per);
        for (let j = 0; j < per; j++) g[j] += w * gq[j];
        l += w * r.loss[row];
        rowProbabilities(r.logits.subarray(row * k, (row + 1) * k), baseKind, prob);
        for (let c = 0; c < k; c++) mean[c] += w * prob[c];
      }
      loss[start + i] = l;
      for (let c = 0; c < k; c++) logits[(start + i) * k + c] = Math.log(Math.max(mean[c], 1e-30));
    }
  }
  return { logits, loss, grad };
}
