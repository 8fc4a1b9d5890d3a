/**
 * The smoothed classifier's empirical robustness: AutoAttack's rand version (APGD-CE, then APGD-DLR on the
 * images still robust; L2; EOT) against g of Cohen et al., its gradient the mean over fresh Gaussian draws
 * (gaussianEot.ts). Each example is judged by g itself — PREDICT with the certificate's n and α on the
 * adversarial image, abstention counting as not robust — so the empirical robust accuracy (an upper bound)
 * and the certified accuracy (a lower bound) are about the same classifier. An image whose clean PREDICT is
 * already wrong is not robust at any radius; an example found at a radius also counts at every larger one.
 */
import { createApgdCe, createApgdDlr } from '../attacks/apgd';
import { attackContext, type GradientProvider } from '../attacks/context';
import { countingGradient, type CostCounter } from '../attacks/costCounter';
import type { OutputKind } from '../eval/scores';
import type { LossHead } from '../grad/lossHeads';
import type { ScoreModel } from '../runtime/scoreModel';
import { Rng } from '../util/random';
import { GaussianEotGradient } from './gaussianEot';
import { predictSmoothed } from './smoothing';

export interface SmoothedAttackOptions {
  sigma: number;
  /** PREDICT's samples and level (the certificate's n and α). */
  n: number;
  alpha: number;
  /** Noisy copies per model call (PREDICT). */
  batch: number;
  /** Ascending L2 radii in pixel units. */
  radii: number[];
  steps: number;
  eotDraws: number;
  baseKind: OutputKind;
  /** Seeds: the APGD starts and the EOT draws of this batch; PREDICT's noise per image of the batch. */
  attackSeed: number;
  eotSeed: number;
  predictSeed: (image: number) => number;
  signal?: AbortSignal;
  /** Counts gradient passes (every noise draw) and PREDICT's forward passes. */
  counter: CostCounter;
}

export interface SmoothedAttackResult {
  /** [radius][image]: robust under the attack at that radius. */
  robust: boolean[][];
  /** [radius][image]: PREDICT on the example that decided (null: abstained). */
  prediction: (number | null)[][];
}

export const SMOOTHED_ATTACKS = ['APGD-CE', 'APGD-DLR'] as const;

/** Attacks a batch of images (count × per pixels in [0,1]) at every radius; resolves even when cancelled part-way (check the signal). */
export async function attackSmoothed(
  model: ScoreModel,
  gradients: Pick<GradientProvider, 'get'>,
  pixels: Float32Array,
  labels: number[],
  o: SmoothedAttackOptions,
): Promise<SmoothedAttackResult> {
  const count = labels.length;
  const per = pixels.length / Math.max(1, count);
  const eotRng = new Rng(o.eotSeed);
  const provider = {
    get: async (head: LossHead) =>
      new GaussianEotGradient(countingGradient(await gradients.get(head), o.counter), {
        sigma: o.sigma,
        draws: o.eotDraws,
        rng: eotRng,
        baseKind: o.baseKind,
      }),
  };
  const ctx = attackContext(model, provider, 'top1', o.attackSeed, o.signal);
  const predictRngs = labels.map((_, i) => new Rng(o.predictSeed(i)));
  const judge = async (x: Float32Array, i: number): Promise<number | null> => {
    const r = await predictSmoothed(model, x, {
      n: o.n,
      alpha: o.alpha,
      sigma: o.sigma,
      batch: o.batch,
      rng: predictRngs[i],
      ...(o.signal ? { signal: o.signal } : {}),
      onSamples: (k) => (o.counter.forward += k),
    });
    return r.prediction;
  };
  const image = (v: Float32Array, i: number) => v.subarray(i * per, (i + 1) * per);

  // The clean image: δ = 0 is inside every ball.
  const clean: (number | null)[] = [];
  for (let i = 0; i < count; i++) clean.push(await judge(image(pixels, i), i));
  let still = labels.map((l, i) => clean[i] === l);
  let decided = [...clean];
  const robust: boolean[][] = [];
  const prediction: (number | null)[][] = [];
  for (const radius of o.radii) {
    for (const create of [createApgdCe, createApgdDlr]) {
      const rows = still.flatMap((s, i) => (s ? [i] : []));
      if (rows.length === 0 || o.signal?.aborted) break;
      const x = new Float32Array(rows.length * per);
      rows.forEach((i, j) => x.set(image(pixels, i), j * per));
      // EOT lives in the gradient source (one call = eotDraws draws), so the run keeps every image for all steps.
      const attack = create({ norm: 'l2', eps: radius, steps: o.steps, restarts: 1, rho: 0.75, eot: 1, keepBroken: true });
      const out = await attack.run({ pixels: x, count: rows.length, labels: rows.map((i) => labels[i]), targets: null }, ctx);
      if (o.signal?.aborted) break;
      for (let j = 0; j < rows.length; j++) {
        const i = rows[j];
        const p = await judge(image(out.adversarial, j), i);
        if (p !== labels[i]) {
          still[i] = false;
          decided[i] = p;
        }
      }
    }
    robust.push([...still]);
    prediction.push([...decided]);
    still = [...still];
    decided = [...decided];
  }
  return { robust, prediction };
}
