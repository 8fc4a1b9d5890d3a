/** A linear classifier z = W·x + b on planar pixels, as a ScoreModel and a GradientSource: closed forms for the defences' tests. */
import type { Preprocessing } from '../../../src/engine/config/runConfig';
import type { GradientSource } from '../../../src/engine/grad/estimatedGradient';
import type { GradientInputs, GradientResult } from '../../../src/engine/grad/gradientModel';
import type { LossHead } from '../../../src/engine/grad/lossHeads';
import type { ScoreModel } from '../../../src/engine/runtime/scoreModel';
import { Rng } from '../../../src/engine/util/random';

export function preprocessing(c: 1 | 3, h: number, w: number, std: number[] | null = null): Preprocessing {
  return {
    inputName: 'x',
    layout: 'NCHW',
    height: h,
    width: w,
    channels: c === 1 ? 'gray' : 'rgb',
    pixelScale: 1,
    mean: std ? std.map(() => 0.5) : null,
    std,
    resize: 'none',
    resizeFilter: 'bilinear',
    resizeShorterTo: null,
  };
}

export class LinearModel implements ScoreModel, GradientSource {
  readonly outputKind = { kind: 'logits' as const, reason: 'test', decidedBy: 'graph' as const };
  readonly kind = 'analytic' as const;
  readonly batchSize = 16;
  readonly W: Float64Array;
  readonly b: Float64Array;
  calls = 0;
  constructor(
    readonly preprocessing: Preprocessing,
    readonly numClasses: number,
    seed = 1,
    readonly head: LossHead = { kind: 'vjp' },
  ) {
    const rng = new Rng(seed);
    this.W = Float64Array.from({ length: numClasses * this.pixelsPerSample }, () => rng.normal());
    this.b = Float64Array.from({ length: numClasses }, () => rng.normal());
  }
  get pixelsPerSample(): number {
    const p = this.preprocessing;
    return (p.channels === 'gray' ? 1 : 3) * p.height * p.width;
  }
  async scores(pixels: Float32Array, count: number): Promise<Float32Array> {
    this.calls++;
    const per = this.pixelsPerSample,
      k = this.numClasses;
    const out = new Float32Array(count * k);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < k; c++) {
        let s = this.b[c];
        for (let j = 0; j < per; j++) s += this.W[c * per + j] * pixels[i * per + j];
        out[i * k + c] = s;
      }
    }
    return out;
  }
  /** vjp head: loss = c·z, ∂loss/∂x = Wᵀc (the same at every point). */
  async compute(pixels: Float32Array, count: number, extra: GradientInputs = {}): Promise<GradientResult> {
    const per = this.pixelsPerSample,
      k = this.numClasses;
    const logits = await this.scores(pixels, count);
    const loss = new Float32Array(count),
      grad = new Float32Array(count * per);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < k; c++) {
        const cot = extra.cotangent![i * k + c];
        loss[i] += cot * logits[i * k + c];
        for (let j = 0; j < per; j++) grad[i * per + j] += cot * this.W[c * per + j];
      }
    }
    return { logits, loss, grad };
  }
  async dispose(): Promise<void> {}
}
