/**
 * Gradient-free fallback for models whose gradient graph cannot be built (an op without a gradient):
 * the same losses, differentiated by NES (natural evolution strategies; Ilyas et al., 2018) with antithetic
 * Gaussian directions — forward passes only. Every result carries kind 'estimated' so reports label it.
 */
import { EngineError } from '../errors';
import type { ScoreModel } from '../runtime/scoreModel';
import { Rng } from '../util/random';
import type { GradientInputs, GradientResult } from './gradientModel';
import { headLogits, headLoss } from './lossOnLogits';
import type { LossHead } from './lossHeads';

export interface GradientSource {
  readonly kind: 'analytic' | 'estimated';
  readonly head: LossHead;
  compute(pixels: Float32Array, count: number, extra?: GradientInputs): Promise<GradientResult>;
  dispose(): Promise<void>;
}

export interface EstimateOptions {
  /** Antithetic pairs of directions per image (2 forward passes each). */
  pairs: number;
  /** Smoothing radius in pixel units. */
  sigma: number;
  seed: number;
}

export const DEFAULT_ESTIMATE: EstimateOptions = { pairs: 50, sigma: 1e-3, seed: 0 };

export class EstimatedGradient implements GradientSource {
  readonly kind = 'estimated' as const;
  private readonly rng: Rng;

  constructor(
    private readonly classifier: ScoreModel,
    readonly head: LossHead,
    readonly options: EstimateOptions = DEFAULT_ESTIMATE,
  ) {
    if (!(options.pairs >= 1) || !(options.sigma > 0))
      throw new EngineError('USAGE', `gradient estimate: pairs must be ≥ 1 and sigma > 0 (got ${options.pairs}, ${options.sigma})`);
    this.rng = new Rng(options.seed);
  }

  async compute(pixels: Float32Array, count: number, extra: GradientInputs = {}): Promise<GradientResult> {
    const per = this.classifier.pixelsPerSample;
    const { pairs, sigma } = this.options;
    const logits = await this.classifier.scores(pixels, count);
    const classes = logits.length / count;
    const kind = this.classifier.outputKind?.kind ?? 'logits';
    const lossOf = (row: Float32Array, i: number) =>
      headLoss(this.head, headLogits(row, kind), {
        ...(extra.labels ? { label: extra.labels[i] } : {}),
        ...(extra.targets ? { target: extra.targets[i] } : {}),
        ...(extra.kappa !== undefined ? { kappa: extra.kappa } : {}),
        ...(extra.cotangent ? { cotangent: extra.cotangent.subarray(i * classes, (i + 1) * classes) } : {}),
      });
    const loss = new Float32Array(count);
    const grad = new Float32Array(count * per);
    const directions = new Float32Array(pairs * per);
    const batch = new Float32Array(2 * pairs * per);
    for (let i = 0; i < count; i++) {
      loss[i] = lossOf(logits.subarray(i * classes, (i + 1) * classes), i);
      const x = pixels.subarray(i * per, (i + 1) * per);
      for (let j = 0; j < directions.length; j++) directions[j] = this.rng.normal();
      for (let q = 0; q < pairs; q++) {
        for (let j = 0; j < per; j++) {
          const d = sigma * directions[q * per + j];
          batch[2 * q * per + j] = x[j] + d;
          batch[(2 * q + 1) * per + j] = x[j] - d;
        }
      }
      const scores = await this.classifier.scores(batch, 2 * pairs);
      const g = grad.subarray(i * per, (i + 1) * per);
      for (let q = 0; q < pairs; q++) {
        const diff =
          lossOf(scores.subarray(2 * q * classes, (2 * q + 1) * classes), i) -
          lossOf(scores.subarray((2 * q + 1) * classes, (2 * q + 2) * classes), i);
        const w = diff / (2 * sigma * pairs);
        for (let j = 0; j < per; j++) g[j] += w * directions[q * per + j];
      }
    }
    return { logits, loss, grad };
  }

  async dispose(): Promise<void> {
    // The classifier belongs to the caller.
  }
}
