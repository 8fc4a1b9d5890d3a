/**
 * The low-pass defence ("A frequency domain analysis of gradient-based adversarial examples"): every
 * input image is low-pass filtered (spectral/lowPass.ts: per channel, centred DFT, keep |k_x|, |k_y| ≤ k,
 * inverse, real part) and the filtered, unclipped image goes to the model.
 */
import type { Preprocessing } from '../config/runConfig';
import { channelCount } from '../data/pixels';
import type { OutputKindDecision } from '../runtime/classifier';
import type { ScoreModel } from '../runtime/scoreModel';
import { lowPassBatch, maxCutoff } from '../spectral/lowPass';
import { EngineError } from '../errors';

export function checkCutoff(cutoff: number, p: Preprocessing): number {
  const max = maxCutoff(p.height, p.width);
  if (!Number.isInteger(cutoff) || cutoff < 1 || cutoff > max) {
    throw new EngineError(
      'USAGE',
      `low-pass: cutoff ${cutoff}: expected a whole number from 1 to ${max} for ${p.height}×${p.width} inputs (at ${max} the filter keeps every frequency)`,
    );
  }
  return cutoff;
}

export class LowPassModel implements ScoreModel {
  constructor(
    readonly base: ScoreModel,
    readonly cutoff: number,
  ) {
    checkCutoff(cutoff, base.preprocessing);
  }

  get outputKind(): OutputKindDecision | null {
    return this.base.outputKind;
  }
  get pixelsPerSample(): number {
    return this.base.pixelsPerSample;
  }
  get numClasses(): number | null {
    return this.base.numClasses;
  }
  get preprocessing(): Preprocessing {
    return this.base.preprocessing;
  }
  get batchSize(): number {
    return this.base.batchSize;
  }

  async scores(pixels: Float32Array, count: number): Promise<Float32Array> {
    const p = this.base.preprocessing;
    return this.base.scores(lowPassBatch(pixels, count, channelCount(p), p.height, p.width, this.cutoff), count);
  }
}
