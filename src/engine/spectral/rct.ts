/**
 * Relative change of DCT coefficients (RCT) maps, eq. 8 of the seed paper: how strongly an attack changes
 * each frequency of the image relative to what the image has there, accumulated image by image.
 */
import { EngineError } from '../errors';
import type { Map2D } from '../report/sections';
import { dct2 } from './dct';
import { BINNING_NOTE } from '../../protocol/reportMaps';

/**
 * ε in the denominator, in DCT units of pixel values in [0, 1]. The authors' code has no ε and blows up
 * at coefficients that are (near) zero; 0.01 is small next to typical low-frequency coefficients.
 */
export const DEFAULT_RCT_EPSILON = 0.01;

export const RCT_DEFINITION =
  'RCT[u,v] = mean over successful adversarial examples x′ of clean images x (planar [C,H,W], pixels in [0,1]) of ' +
  '(1/C) Σ_c |D(x′_c)[u,v] − D(x_c)[u,v]| / (|D(x_c)[u,v]| + ε), where D is the orthonormal 2-D DCT-II of one ' +
  'H×W channel, D(z)[u,v] = α_u α_v Σ_{i,j} z[i,j] cos(π(2i+1)u/2H) cos(π(2j+1)v/2W), α_0 = √(1/n), α_k = √(2/n) ' +
  'for k > 0. The map is in DCT layout: (0,0), the DC coefficient, at the top left; frequency grows to the right ' +
  "and downwards. ε keeps near-zero coefficients of x from dominating the mean (the authors' code has none). " +
  BINNING_NOTE;

export class RctAccumulator {
  private readonly hw: number;
  private readonly sum: Float64Array;
  private images = 0;

  constructor(
    readonly channels: number,
    readonly h: number,
    readonly w: number,
    readonly epsilon = DEFAULT_RCT_EPSILON,
  ) {
    for (const [name, v] of [
      ['channels', channels],
      ['height', h],
      ['width', w],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new EngineError('USAGE', `RCT: ${name} ${v}: expected a positive integer`);
    }
    if (!(epsilon > 0) || !Number.isFinite(epsilon))
      throw new EngineError('USAGE', `RCT: ε = ${epsilon}: expected a positive finite number (the default is ${DEFAULT_RCT_EPSILON})`);
    this.hw = h * w;
    this.sum = new Float64Array(this.hw);
  }

  /** Images added so far. */
  get count(): number {
    return this.images;
  }

  /** Adds one clean image and its adversarial example (planar [C,H,W], same length). */
  add(clean: ArrayLike<number>, adversarial: ArrayLike<number>): void {
    const { channels, h, w, hw, epsilon } = this;
    if (clean.length !== channels * hw || adversarial.length !== channels * hw) {
      throw new EngineError(
        'USAGE',
        `RCT: expected ${channels}×${h}×${w} = ${channels * hw} values per image, got ${clean.length} (clean) and ${adversarial.length} (adversarial)`,
      );
    }
    const x = new Float64Array(hw),
      delta = new Float64Array(hw),
      fx = new Float64Array(hw),
      fd = new Float64Array(hw);
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < hw; i++) {
        x[i] = clean[c * hw + i];
        delta[i] = adversarial[c * hw + i] - x[i];
      }
      // D(x′) − D(x) = D(δ) by linearity; transforming δ itself keeps small changes free of cancellation.
      dct2(x, h, w, fx);
      dct2(delta, h, w, fd);
      for (let k = 0; k < hw; k++) this.sum[k] += Math.abs(fd[k]) / (Math.abs(fx[k]) + epsilon) / channels;
    }
    this.images++;
  }

  /** The mean map over the images added so far; all zeros while count is 0 (callers report count beside it). */
  result(): Map2D {
    const n = Math.max(1, this.images);
    return { height: this.h, width: this.w, values: Array.from(this.sum, (v) => v / n) };
  }
}
