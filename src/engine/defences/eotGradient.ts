/**
 * Expectation over Transformation (Athalye et al., 2018) against post-averaging: every call draws fresh
 * directions from the defence's own sampler and returns the mean of the loss gradients at the defence's
 * 6K+1 points — the gradient of the expected loss over the defence's randomness. The returned scores are the
 * defended model's (log of the mean probabilities), so early stopping and success checks see the defence.
 */
import type { GradientSource } from '../grad/estimatedGradient';
import type { GradientInputs, GradientResult } from '../grad/gradientModel';
import type { OutputKind } from '../eval/scores';
import { rowProbabilities } from '../eval/scores';
import type { Rng } from '../util/random';
import { averagingPoints, imagesPerCall, pointsPerImage, type DirectionSampler } from './postAveraging';

export interface EotOptions {
  K: number;
  radius: number;
  sampler: DirectionSampler;
  rng: Rng;
  /** Output kind of the undefended model (its logits or probabilities feed the averaging). */
  baseKind: OutputKind;
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
    const chunk = imagesPerCall(per, P);
    const grad = new Float32Array(count * per);
    const loss = new Float32Array(count);
    let logits = new Float32Array(0);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const x = pixels.subarray(start * per, (start + n) * per);
      const dirs = await this.o.sampler.sample(x, n, this.o.K, this.o.rng);
      const pts = averagingPoints(x, n, per, dirs, this.o.K, this.o.radius);
      const repeat = <T extends ArrayLike<number>>(v: T | undefined, width: number): Float32Array | undefined => {
        if (!v) return undefined;
        const out = new Float32Array(n * P * width);
        for (let i = 0; i < n; i++)
          for (let q = 0; q < P; q++) for (let c = 0; c < width; c++) out[(i * P + q) * width + c] = v[(start + i) * width + c];
        return out;
      };
      const perPoint = (v: ArrayLike<number> | undefined) =>
        v ? Array.from({ length: n * P }, (_, r) => v[start + Math.floor(r / P)]) : undefined;
      const labels = perPoint(extra.labels);
      const targets = perPoint(extra.targets);
      const classes = this.base.head.kind === 'vjp' && extra.cotangent ? extra.cotangent.length / count : 0;
      const cotangent = classes ? repeat(extra.cotangent, classes) : undefined;
      const r = await this.base.compute(pts, n * P, {
        ...(labels ? { labels } : {}),
        ...(targets ? { targets } : {}),
        ...(extra.kappa !== undefined ? { kappa: extra.kappa } : {}),
        ...(cotangent ? { cotangent } : {}),
      });
      const k = r.logits.length / (n * P);
      if (logits.length === 0) logits = new Float32Array(count * k);
      const prob = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        const g = grad.subarray((start + i) * per, (start + i + 1) * per);
        const mean = new Float64Array(k);
        let l = 0;
        for (let q = 0; q < P; q++) {
          const row = i * P + q;
          const gq = r.grad.subarray(row * per, (row + 1) * per);
          for (let j = 0; j < per; j++) g[j] += gq[j] / P;
          l += r.loss[row] / P;
          rowProbabilities(r.logits.subarray(row * k, (row + 1) * k), this.o.baseKind, prob);
          for (let c = 0; c < k; c++) mean[c] += prob[c] / P;
        }
        loss[start + i] = l;
        for (let c = 0; c < k; c++) logits[(start + i) * k + c] = Math.log(Math.max(mean[c], 1e-30));
      }
    }
    return { logits, loss, grad };
  }

  async dispose(): Promise<void> {
    // The base gradient source belongs to the caller.
  }
}
