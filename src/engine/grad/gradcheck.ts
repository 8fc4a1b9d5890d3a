/**
 * Trust check for a user's own model: analytic input gradients (the gradient model) against central
 * finite differences of the plain forward model (run through onnxruntime with the preprocessing applied
 * in JavaScript, so the two paths share nothing but the weights). All pixels are checked on small inputs;
 * on large ones a seeded random subset of pixel coordinates.
 */
import type { Classifier } from '../runtime/classifier';
import { Rng } from '../util/random';
import type { GradientModel } from './gradientModel';
import { headLogits, headLoss } from './lossOnLogits';

export interface GradcheckOptions {
  /** Finite-difference step in pixel units ([0,1] scale). */
  step: number;
  /** Check at most this many pixel coordinates per image. */
  maxCoordinates: number;
  seed: number;
}

export interface GradcheckImage {
  index: number;
  label: number;
  loss: number;
  coordinates: number;
  cosine: number;
  /** max |analytic − numeric| / max |numeric| over the checked coordinates. */
  relError: number;
}

export async function gradcheck(classifier: Classifier, grads: GradientModel, pixels: Float32Array, labels: number[], opts: GradcheckOptions): Promise<GradcheckImage[]> {
  const per = classifier.pixelsPerSample;
  const count = labels.length;
  const analytic = await grads.compute(pixels, count, { labels });
  const kind = classifier.outputKind?.kind ?? 'logits';
  const rng = new Rng(opts.seed);
  const results: GradcheckImage[] = [];
  for (let i = 0; i < count; i++) {
    const image = pixels.subarray(i * per, (i + 1) * per);
    const coords = per <= opts.maxCoordinates ? Array.from({ length: per }, (_, j) => j) : rng.shuffle(Array.from({ length: per }, (_, j) => j)).slice(0, opts.maxCoordinates).sort((a, b) => a - b);
    // Four evaluations per coordinate (±h, ±h/2) for a Richardson-extrapolated central difference.
    const offsets = [opts.step, -opts.step, opts.step / 2, -opts.step / 2];
    const batch = new Float32Array(coords.length * offsets.length * per);
    coords.forEach((c, k) => offsets.forEach((d, o) => {
      const at = (k * offsets.length + o) * per;
      batch.set(image, at);
      batch[at + c] += d;
    }));
    const scores = await classifier.scores(batch, coords.length * offsets.length);
    const classes = scores.length / (coords.length * offsets.length);
    const loss = (row: number) => headLoss(grads.head, headLogits(scores.subarray(row * classes, (row + 1) * classes), kind), { label: labels[i] });
    const numeric = coords.map((_, k) => {
      const base = k * offsets.length;
      const d1 = (loss(base) - loss(base + 1)) / (2 * opts.step);
      const d2 = (loss(base + 2) - loss(base + 3)) / opts.step;
      return (4 * d2 - d1) / 3;
    });
    const a = coords.map((c) => analytic.grad[i * per + c]);
    let dot = 0, na = 0, nb = 0, maxErr = 0, maxNum = 0;
    a.forEach((v, k) => {
      dot += v * numeric[k]; na += v * v; nb += numeric[k] * numeric[k];
      maxErr = Math.max(maxErr, Math.abs(v - numeric[k]));
      maxNum = Math.max(maxNum, Math.abs(numeric[k]));
    });
    results.push({
      index: i, label: labels[i], loss: analytic.loss[i], coordinates: coords.length,
      cosine: na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb),
      relError: maxNum === 0 ? maxErr : maxErr / maxNum,
    });
  }
  return results;
}
