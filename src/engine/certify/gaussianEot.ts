/**
 * EOT against a randomized-smoothing classifier (the `rand` version of AutoAttack, Croce & Hein 2020, run on
 * g of Cohen et al.): every call draws m fresh Gaussian noise vectors δ ~ N(0, σ²I) per image and returns the
 * mean over the m draws of the base model's loss gradient at x + δ — the gradient of E_δ[loss(f(x + δ))] — and
 * as scores the log of the mean softmax over the draws, the smoothed soft classifier, so an attack's success
 * checks look at the smoothed model. The noise is added in pixel space and not clipped, as certification does.
 * Shares its averaging with post-averaging's EOT (defences/eotGradient.ts).
 */
import type { GradientSource } from '../grad/estimatedGradient';
import type { GradientInputs, GradientResult } from '../grad/gradientModel';
import type { OutputKind } from '../eval/scores';
import type { Rng } from '../util/random';
import { averageOverPoints } from '../defences/eotGradient';

export interface GaussianEotOptions {
  sigma: number;
  /** Noise draws per image and call (AutoAttack's rand version: 20 EOT iterations). */
  draws: number;
  rng: Rng;
  /** Output kind of the base model (its logits or probabilities feed the mean softmax). */
  baseKind: OutputKind;
}

export class GaussianEotGradient implements GradientSource {
  constructor(
    private readonly base: GradientSource,
    private readonly o: GaussianEotOptions,
  ) {}

  /** An estimated base gradient stays labelled as estimated. */
  get kind() {
    return this.base.kind;
  }

  get head() {
    return this.base.head;
  }

  compute(pixels: Float32Array, count: number, extra: GradientInputs = {}): Promise<GradientResult> {
    const m = this.o.draws;
    const per = pixels.length / Math.max(1, count);
    return averageOverPoints(this.base, this.o.baseKind, pixels, count, extra, {
      points: m,
      weight: () => 1 / m,
      draw: (x, n) => Promise.resolve(gaussianDraws(x, n, per, m, this.o.sigma, this.o.rng)),
    });
  }

  async dispose(): Promise<void> {
    // The base gradient source belongs to the caller.
  }
}

/** The n·m points x_i + σ·ε (image-major, m per image), ε standard normal from `rng` in that order. */
export function gaussianDraws(x: Float32Array, n: number, per: number, m: number, sigma: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * m * per);
  for (let i = 0, o = 0; i < n; i++)
    for (let q = 0; q < m; q++) for (let j = 0; j < per; j++, o++) out[o] = x[i * per + j] + sigma * rng.normal();
  return out;
}
